"""Finding the files of a billing export: literal paths, folders, patterns and manifests.

Billing exports arrive as a set of parts per billing period, with a manifest naming them:

- **AWS Data Exports** (CUR 2.0, FOCUS 1.0): ``<prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/``
  holds the parts (``<export>-00001.snappy.parquet``, ``...csv.gz``; with "create new" delivery
  one sub-folder per execution), ``<prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/
  <export>-Manifest.json`` lists them in ``dataFiles`` (full ``s3://`` URIs of the latest
  delivery).
- **Legacy CUR**: ``<prefix>/<report>/YYYYMMDD-YYYYMMDD/<report>-Manifest.json`` lists the
  current parts in ``reportKeys`` (S3 keys, ``.../<assemblyId>/<report>-1.csv.gz``); older
  assemblies stay beside them and must not be read.

:func:`find_export_files` turns what the user named into the files to read. A folder holding
manifests is read through them (only the parts they list; data files of older deliveries are
left out and counted); a manifest can be named directly; a folder without a manifest gives all
its data files. A path that exists is always taken literally, even with ``[``, ``*`` or ``?`` in
its name; only a path that does not exist is expanded as a pattern (one the shell did not
expand). :func:`duckdb_path` escapes a literal path for DuckDB, which would otherwise expand
it as a pattern itself.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from costplan.errors import InputError, Problem

SUFFIXES = (".parquet", ".csv", ".csv.gz")
_GLOB_CHARS = re.compile(r"([\[*?])")
_PARTITION = re.compile(r"BILLING_PERIOD=(\d{4}-\d{2})")
_LEGACY_RANGE = re.compile(r"^(\d{8})-(\d{8})$")


def duckdb_path(path: str) -> str:
    """``path`` with DuckDB's pattern characters escaped (``a[1].csv`` -> ``a[[]1].csv``)."""
    return _GLOB_CHARS.sub(lambda m: f"[{m[1]}]", str(path))


def is_manifest(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith("manifest.json")


def is_data_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(SUFFIXES)


@dataclass
class Manifest:
    """One export manifest: which files make a billing period."""

    path: str
    kind: str
    """``data-exports`` (``dataFiles``) or ``legacy-cur`` (``reportKeys``)."""
    name: str
    """The export's or report's name."""
    period: str
    """The billing period ``YYYY-MM`` (from the manifest, else its folder), or ``""``."""
    keys: list[str]
    """The parts as the manifest names them (S3 URIs or keys)."""


@dataclass
class ExportFiles:
    """What an import reads."""

    files: list[str]
    """Data files, absolute, sorted."""
    manifests: list[Manifest] = field(default_factory=list)
    from_manifest: dict[str, str] = field(default_factory=dict)
    """Data file -> the manifest that lists it."""
    ignored: list[str] = field(default_factory=list)
    """Data files found in a folder with manifests that no manifest lists (older deliveries)."""

    @property
    def complete(self) -> bool:
        """Every file comes from a manifest: each billing period is read whole."""
        return bool(self.files) and all(f in self.from_manifest for f in self.files)


def read_manifest(path: str | os.PathLike) -> Manifest:
    """Parse a Data Exports or legacy CUR manifest (:class:`InputError` naming what is wrong)."""
    p = str(path)
    try:
        doc = json.loads(Path(p).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(Problem(f"cannot read the manifest: {exc.strerror}", file=p)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem(f"the manifest is not JSON: {exc}", file=p)) from None
    if not isinstance(doc, dict):
        raise InputError(Problem("the manifest is not a JSON object", file=p))
    if isinstance(doc.get("dataFiles"), list):
        kind, keys = "data-exports", doc["dataFiles"]
        name = str(doc.get("exportName") or _export_name_from_arn(doc.get("exportArn")) or "")
        start = (doc.get("billingPeriod") or {}).get("start") if isinstance(doc.get("billingPeriod"), dict) else None
        period = _period_text(start) or _partition_period(p)
    elif isinstance(doc.get("reportKeys"), list):
        kind, keys = "legacy-cur", doc["reportKeys"]
        name = str(doc.get("reportName") or "")
        start = (doc.get("billingPeriod") or {}).get("start") if isinstance(doc.get("billingPeriod"), dict) else None
        period = _period_text(start) or _legacy_period(p)
    else:
        raise InputError(
            Problem(
                "not a billing export manifest: it has neither dataFiles (AWS Data Exports) nor reportKeys "
                "(legacy CUR)",
                file=p,
            )
        )
    bad = [k for k in keys if not isinstance(k, str) or not k]
    if bad:
        raise InputError(Problem(f"the manifest lists {len(bad)} part(s) that are not file names", file=p))
    return Manifest(p, kind, name, period, list(keys))


def _export_name_from_arn(arn) -> str | None:
    if not isinstance(arn, str) or "/" not in arn:
        return None
    return arn.rsplit("/", 2)[-2] if arn.count("/") >= 2 else arn.rsplit("/", 1)[-1]


def _period_text(value) -> str | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"^(\d{4})-?(\d{2})", value)
    return f"{m[1]}-{m[2]}" if m else None


def _partition_period(path: str) -> str:
    m = _PARTITION.search(path.replace("\\", "/"))
    return m[1] if m else ""


def _legacy_period(path: str) -> str:
    for part in Path(path).parts[::-1]:
        m = _LEGACY_RANGE.match(part)
        if m:
            return f"{m[1][:4]}-{m[1][4:6]}"
    return ""


def _resolve(manifest: Manifest, candidates: list[str]) -> tuple[list[str], list[str]]:
    """Local files for the manifest's parts (matched on the longest common path ending), and
    the parts with no local file."""
    by_name: dict[str, list[str]] = {}
    for c in candidates:
        by_name.setdefault(os.path.basename(c), []).append(c)
    found, missing = [], []
    for key in manifest.keys:
        tail = key.split("://", 1)[-1].split("/")
        # a part of one billing period is never matched to another period's file of the same name
        wanted = _partitions("/".join(tail))
        hits = [h for h in by_name.get(tail[-1], []) if not _partitions(h) or not wanted or _partitions(h) == wanted]
        if len(hits) > 1:
            def score(c, tail=tail):
                parts = Path(c).parts
                n = 0
                while n < min(len(parts), len(tail)) and parts[-1 - n] == tail[-1 - n]:
                    n += 1
                return n

            best = max(score(h) for h in hits)
            hits = [h for h in hits if score(h) == best]
        if len(hits) == 1:
            found.append(hits[0])
        elif not hits:
            missing.append(key)
        else:
            raise InputError(
                Problem(f"part {key} matches several local files: {', '.join(sorted(hits))}", file=manifest.path)
            )
    return found, missing


def _partitions(path: str) -> tuple[str, ...]:
    """The billing-period folders in a path (``BILLING_PERIOD=2026-10``, ``20261001-20261101``)."""
    parts = str(path).replace("\\", "/").split("/")
    return tuple(p for p in parts if _PARTITION.fullmatch(p) or _LEGACY_RANGE.match(p))


def _root_of(manifest_path: str) -> str:
    """The folder a manifest's parts are looked for in: the export's folder (the parent of
    ``metadata/``) for Data Exports, the report's folder for a legacy CUR."""
    p = Path(manifest_path).resolve()
    for parent in p.parents:
        if parent.name == "metadata":
            return str(parent.parent)
        if _LEGACY_RANGE.match(parent.name):
            return str(parent.parent)
    return str(p.parent)


def _data_files_under(folder: str) -> list[str]:
    return sorted(str(f) for f in Path(folder).rglob("*") if f.is_file() and is_data_file(f.name))


def _choose(manifests: list[Manifest]) -> list[Manifest]:
    """One manifest per export and billing period: the top-level one (a legacy CUR keeps one
    per delivery beside the current one)."""
    groups: dict[tuple, list[Manifest]] = {}
    for m in manifests:
        groups.setdefault((m.kind, m.name, m.period or m.path), []).append(m)
    chosen = []
    for (_, name, period), ms in sorted(groups.items()):
        if len(ms) == 1:
            chosen.append(ms[0])
            continue
        depth = {m.path: len(Path(m.path).parts) for m in ms}
        shallow = min(depth.values())
        top = [m for m in ms if depth[m.path] == shallow]
        if len(top) != 1:
            raise InputError(
                Problem(
                    f"{len(top)} manifests for {name or 'the export'} {period}: "
                    + ", ".join(sorted(m.path for m in top)),
                    hint="name the one to import",
                )
            )
        chosen.append(top[0])
    return chosen


def find_export_files(paths: Sequence[str | os.PathLike]) -> ExportFiles:
    """The files an import of ``paths`` reads (see the module docstring). Every problem is
    reported at once (:class:`InputError`)."""
    problems: list[Problem] = []
    plain: list[str] = []
    manifest_paths: list[str] = []
    folder_manifests: list[tuple[str, list[str]]] = []  # (folder, its manifests)
    folder_data: dict[str, list[str]] = {}

    def take_file(f: str) -> None:
        if is_manifest(f):
            manifest_paths.append(f)
        elif is_data_file(f):
            plain.append(f)
        else:
            problems.append(
                Problem(f"unsupported file type; expected one of {', '.join(SUFFIXES)} or a *Manifest.json", file=f)
            )

    for p in paths:
        s = str(p)
        if os.path.isfile(s):
            take_file(s)
        elif os.path.isdir(s):
            found = sorted(str(f) for f in Path(s).rglob("*") if f.is_file())
            ms = [f for f in found if is_manifest(f)]
            data = [f for f in found if is_data_file(f)]
            if ms:
                folder_manifests.append((s, ms))
                folder_data[s] = data
            elif data:
                plain += data
            else:
                problems.append(Problem(f"no {', '.join(SUFFIXES)} file or manifest in this folder", file=s))
        elif _GLOB_CHARS.search(s):
            hits = sorted(h for h in glob.glob(s, recursive=True) if os.path.isfile(h))
            if not hits:
                problems.append(Problem("no such file, and no file matches it as a pattern", file=s))
            for h in hits:
                take_file(h)
        else:
            problems.append(Problem("no such file or folder", file=s))
    if problems:
        raise InputError(problems)

    manifests: list[Manifest] = []
    for mp in manifest_paths:
        try:
            manifests.append(read_manifest(mp))
        except InputError as exc:
            problems += exc.problems
    in_folders: list[Manifest] = []
    for _folder, ms in folder_manifests:
        for mp in ms:
            try:
                in_folders.append(read_manifest(mp))
            except InputError as exc:
                problems += exc.problems
    if problems:
        raise InputError(problems)
    chosen = _choose(manifests + in_folders)
    from_manifest: dict[str, str] = {}
    for m in chosen:
        root = _root_of(m.path)
        candidates = _data_files_under(root)
        found, missing = _resolve(m, candidates)
        if missing:
            shown = ", ".join(k.rsplit("/", 1)[-1] for k in missing[:5]) + (" ..." if len(missing) > 5 else "")
            problems.append(
                Problem(
                    f"{len(missing)} of the {len(m.keys)} part(s) it lists are not under {root}: {shown}",
                    file=m.path,
                    hint="copy the whole billing period (e.g. `aws s3 sync` of the export's folder) and import again",
                )
            )
        for f in found:
            from_manifest[os.path.abspath(f)] = m.path
    if problems:
        raise InputError(problems)
    files = sorted(set(os.path.abspath(f) for f in plain) | set(from_manifest))
    listed = set(from_manifest)
    ignored = sorted(
        {os.path.abspath(f) for data in folder_data.values() for f in data} - listed - set(map(os.path.abspath, plain))
    )
    return ExportFiles(files, chosen, from_manifest, ignored)


def expand_paths(paths: Sequence[str | os.PathLike]) -> list[str]:
    """The data files :func:`find_export_files` reads for ``paths``."""
    return find_export_files(paths).files
