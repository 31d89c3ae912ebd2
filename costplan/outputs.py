"""Writing outputs without ever losing a user's files (docs/refusals.md).

Every command that writes a folder or a file (``report --out``, ``review --out``,
``import terraform|pulumi --out``, ``prices refresh --out``) goes through this module:

1. The path is made absolute and real (:func:`resolve`) before anything is checked or
   created, so ``new/../victim`` is checked as ``victim``, never after ``new`` was made.
2. It is refused when it is a symbolic link, the current folder or one above it, the home
   folder, the costplan checkout, or the root of the file system.
3. An existing folder is replaced only when it is an earlier output of the same kind: it
   holds costplan's marker file (:data:`MARKER`) naming that kind, and nothing but the
   entries that kind writes. An existing file is replaced only when costplan wrote it.
4. The new output is written into a temporary sibling and renamed into place, so a failure
   leaves the previous output (or nothing); of the previous folder only the entries costplan
   writes are removed, never a whole tree it did not check.

A write that fails for lack of space or permission is a :class:`~costplan.errors.CostplanError`
(exit code 1) naming the path; a refused path is an :class:`~costplan.errors.InputError`
(exit code 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from costplan.errors import CostplanError, InputError, Problem

MARKER = ".costplan-output"
"""The file costplan writes into every output folder: JSON with the output's ``kind``."""


@dataclass(frozen=True)
class OutputKind:
    """A kind of output folder: its name (in the marker) and the entries it holds."""

    name: str
    owns: Callable[[str], bool]
    """True for the name of an entry (file or folder) this kind writes."""
    marker_required: bool = True
    """False for folders costplan shares with files it writes itself without a marker
    (a price catalog folder: dated CSVs and their manifest)."""


def resolve(path: str | os.PathLike, option: str = "--out", *, folder: bool = True) -> Path:
    """``path`` as an absolute real path (symbolic links of its parents followed, ``..``
    applied), refused (:class:`InputError`) when it is a symbolic link itself or, for a
    ``folder`` output, the current folder or one above it, the home folder, the checkout or
    ``/``. (A file output that names a folder is refused by :func:`check_file`.)"""
    raw = os.fspath(path)
    if not str(raw).strip():
        raise InputError(Problem("is empty; name a folder or file to write", location=option))
    absolute = Path(os.path.abspath(raw))
    if absolute.is_symlink():
        target = os.readlink(absolute)
        raise InputError(Problem(
            f"is a symbolic link (to {target}); costplan does not write through links", file=str(raw),
            location=option, hint="name the real folder or file"))
    real = Path(os.path.realpath(absolute))
    if folder:
        _refuse_special(real, raw, option)
    return real


def _refuse_special(real: Path, raw: str, option: str) -> None:
    from costplan import config

    def same(a: Path, b: Path) -> bool:
        try:
            return a == Path(os.path.realpath(b))
        except OSError:  # pragma: no cover - an unreadable cwd or home
            return False

    cwd = Path(os.path.realpath(os.getcwd()))
    special = [
        (real == Path(real.anchor), "the root of the file system"),
        (same(real, Path.home()), "your home folder"),
        (config.IN_CHECKOUT and same(real, config.PROJECT_DIR), "the costplan checkout"),
        (real == cwd, "the current folder"),
        (real in cwd.parents, "a folder above the current one"),
    ]
    for hit, what in special:
        if hit:
            shown = "" if os.path.normpath(raw) == str(real) else f" ({real})"
            raise InputError(Problem(
                f"is {what}{shown}; costplan writes its output into a folder of its own", file=raw,
                location=option, hint="name a new folder, e.g. reports/2026-10"))


def _marker_kind(folder: Path) -> str | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("kind") if isinstance(data, dict) else None


def check_folder(dst: Path, kind: OutputKind, option: str = "--out") -> None:
    """Refuse (:class:`InputError`) an existing ``dst`` that is a file, or a folder that is
    neither empty nor an earlier output of ``kind``. ``dst`` comes from :func:`resolve`."""
    if dst.exists() and not dst.is_dir():
        raise InputError(Problem("is a file; name a folder for the output", file=str(dst), location=option))
    if not dst.is_dir():
        return
    try:
        entries = sorted(p.name for p in dst.iterdir())
    except OSError as exc:
        raise CostplanError(f"{dst}: cannot read the folder: {exc.strerror or exc}") from None
    if not entries:
        return
    found = _marker_kind(dst)
    if found is not None and found != kind.name:
        raise InputError(Problem(
            f"is an output of `costplan {found}`, not a {kind.name} folder; it is left as it is", file=str(dst),
            location=option, hint="name a new or empty folder"))
    foreign = [n for n in entries if n != MARKER and not kind.owns(n)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise InputError(Problem(
            f"exists and holds files costplan did not write ({shown}); costplan writes only into new or empty "
            "folders and its own output folders",
            file=str(dst), location=option, hint="name a new or empty folder"))
    if kind.marker_required and found != kind.name:
        raise InputError(Problem(
            f"has no marker file {MARKER}, so costplan cannot tell it wrote this {kind.name}; it is left as it is",
            file=str(dst), location=option, hint="name a new or empty folder"))


def _mode(default: int = 0o666) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return default & ~umask


def write_failure(path: Path, exc: OSError, what: str = "write") -> CostplanError:
    """An environment failure (full disk, permissions) as an error naming the path (exit 1)."""
    reason = exc.strerror or str(exc)
    return CostplanError(f"{path}: cannot {what}: {reason}; nothing was changed")


@contextlib.contextmanager
def replacing_folder(dst: Path, kind: OutputKind, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary folder beside ``dst``; when the block succeeds, mark it as an output
    of ``kind`` and move it into place (an earlier output there is replaced: only its own
    entries are removed). When the block fails, the temporary folder is removed and ``dst``
    is as it was. ``dst`` must come from :func:`resolve`; it is checked again here."""
    check_folder(dst, kind, option)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.tmp-", dir=dst.parent))
        os.chmod(tmp, _mode(0o777))
    except OSError as exc:
        raise write_failure(dst.parent, exc, "create the output folder") from None
    try:
        yield tmp
        _write_marker(tmp, kind)
        _swap_in(tmp, dst, kind)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_failure(dst, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_marker(folder: Path, kind: OutputKind) -> None:
    import costplan

    (folder / MARKER).write_text(json.dumps({"kind": kind.name, "written_by": f"costplan {costplan.__version__}"})
                                 + "\n", encoding="utf-8")


def _swap_in(tmp: Path, dst: Path, kind: OutputKind) -> None:
    old = None
    if dst.exists():
        check_folder(dst, kind)  # still ours, just before it is moved aside
        old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
        os.replace(dst, old)
    try:
        os.replace(tmp, dst)
    except BaseException:
        if old is not None:
            os.replace(old, dst)
        raise
    if old is not None:
        remove_own(old, kind)


def remove_own(folder: Path, kind: OutputKind) -> bool:
    """Remove the entries of ``folder`` that ``kind`` writes (and the marker), then the folder
    if that left it empty. Anything else stays. True when the folder is gone."""
    for entry in folder.iterdir():
        if entry.name == MARKER or kind.owns(entry.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        import warnings

        warnings.warn(f"{folder}: kept, because it holds files costplan did not write", stacklevel=2)
        return False
    return True


def check_file(dst: Path, written_by_costplan: Callable[[Path], bool], option: str = "--out",
               what: str = "file") -> None:
    """Refuse (:class:`InputError`) a file output ``dst`` (from :func:`resolve`) that is a
    folder, whose folder does not exist, or that exists and was not written by costplan."""
    if dst.is_dir():
        raise InputError(Problem(f"is a folder; name the {what} to write, e.g. {dst / 'stack.yaml'}",
                                 file=str(dst), location=option))
    if not dst.parent.is_dir():
        raise InputError(Problem(f"the folder {dst.parent} does not exist", file=str(dst), location=option,
                                 hint="create it first, or name a file in an existing folder"))
    if dst.exists() and not written_by_costplan(dst):
        raise InputError(Problem(
            "exists and was not written by costplan; it is left as it is", file=str(dst), location=option,
            hint="name a new file, or remove this one first"))


def write_file(dst: Path, text: str, written_by_costplan: Callable[[Path], bool], option: str = "--out",
               what: str = "file") -> None:
    """Write ``text`` to ``dst`` atomically (a temporary sibling renamed into place) after
    :func:`check_file`; a full disk or a permission error is a :class:`CostplanError`."""
    check_file(dst, written_by_costplan, option, what)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, _mode())
        os.replace(tmp, dst)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise write_failure(dst, exc) from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def starts_with(prefix: str) -> Callable[[Path], bool]:
    """A recogniser of files costplan wrote: they begin with ``prefix`` (a header line)."""

    def check(path: Path) -> bool:
        try:
            with path.open("rb") as f:
                return f.read(len(prefix.encode())) == prefix.encode()
        except OSError:
            return False

    return check
