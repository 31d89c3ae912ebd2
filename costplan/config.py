"""Settings, resolved once, with one documented precedence.

CLI option > environment variable ``COSTPLAN_<NAME>`` > ``[tool.costplan]`` in the nearest
``pyproject.toml`` (searched upwards from the working directory; relative paths there are
relative to that file's folder) > built-in default. :func:`load_settings` returns one
:class:`Settings` (a pydantic-settings model) that every command and every library default
reads. A pyproject.toml that is not valid TOML, an unknown key in ``[tool.costplan]`` or a
value of the wrong type, and any value that cannot be right (a stack file that does not exist,
a store that is a folder), is an :class:`~costplan.errors.InputError` naming the file and line,
or the variable, or the option (docs/refusals.md). Every setting, with its variable, key and
default, is listed in docs/configuration.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DATA_DIR = PROJECT_DIR / "data"
IN_CHECKOUT = (DATA_DIR / "ultibiker" / "stack.yaml").is_file()
"""True when costplan runs from a source checkout (editable install or ``python -m`` in the
repository); False for an installed wheel, which carries the reference stack and the notebooks
in ``costplan/_bundled/`` (see setup.py)."""
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
REFERENCE_DIR = DATA_DIR / "ultibiker" if IN_CHECKOUT else BUNDLED_DIR / "ultibiker"
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks" if IN_CHECKOUT else BUNDLED_DIR / "notebooks"
DEFAULT_STACK = REFERENCE_DIR / "stack.yaml"
DEFAULT_CLAIMS = REFERENCE_DIR / "claimed-costs.yaml"


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/costplan`` (default ``~/.local/share/costplan``): an installed
    package's store lives there, never inside site-packages."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "costplan"


# --- settings ----------------------------------------------------------------------------------

#: Built-in defaults of the settings that depend on where costplan runs (the tests point the
#: default store into a temporary folder).
_BUILTIN = {
    "stack": str(DEFAULT_STACK),
    "store": str((DATA_DIR if IN_CHECKOUT else user_data_dir()) / "costplan.duckdb"),
}
ENGINES = ("duckdb", "athena", "spark")
#: ``COSTPLAN_*`` variables that are not settings.
_OTHER_ENV = ("COSTPLAN_DEBUG", "COSTPLAN_EXTRAS", "COSTPLAN_TEST_WORKERS")


def is_memory_size(value: str) -> bool:
    """True for an amount of memory DuckDB takes: a number and a unit (``KB``, ``MB``, ``GB``,
    ``TB`` or ``KiB`` .. ``TiB``)."""
    import re

    return bool(re.fullmatch(r"\s*\d+(\.\d+)?\s*([KMGT]i?B)\s*", value, re.I))


class Settings(BaseSettings):
    """Every costplan setting. Build it with :func:`load_settings` (which names the file and
    line, the variable or the option of a bad value); each field's description is its row in
    docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="COSTPLAN_", extra="forbid", env_ignore_empty=True,
                                      frozen=True, validate_default=False)

    stack: Path = Field(default_factory=lambda: Path(_BUILTIN["stack"]),
                        description="stack spec used when none is named")
    store: Path = Field(default_factory=lambda: Path(_BUILTIN["store"]),
                        description="local DuckDB file of actual spend")
    catalog: Path | None = Field(None, description="price catalog CSV, or a folder whose newest snapshot is used")
    reports_dir: Path = Field(Path("reports"), description="where reports are written")
    component_map: Path | None = Field(None, description="extra rules mapping spend to component kinds")
    price_list_url: str = Field("https://pricing.us-east-1.amazonaws.com",
                                description="base URL of AWS's public bulk Price List files")
    currency: str | None = Field(None, description="the one billing currency a multi-currency store is read in")
    engine: str = Field("duckdb", description="where spend is read: duckdb, athena or spark")
    strict_prices: bool = Field(False, description="refuse estimate-grade (verified=false) prices")
    memory_limit: str = Field("600MB", description="the most memory DuckDB may use for the store")
    temp_dir: Path | None = Field(None, description="where DuckDB spills what does not fit in memory_limit")

    @field_validator("engine")
    @classmethod
    def _engine(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in ENGINES:
            raise ValueError(f"unknown engine {v!r} (duckdb, athena or spark)")
        return v

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, v: str) -> str:
        if not is_memory_size(v):
            raise ValueError("is not an amount of memory (write e.g. 600MB, 2GB or 1.5GiB)")
        return v.strip()

    @field_validator("price_list_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("is not an http:// or https:// URL")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        return v.strip().upper() or None if v else None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, **_unused):
        """CLI options (the keyword arguments) > ``COSTPLAN_*`` > ``[tool.costplan]``; no
        ``.env`` file and no secrets folder (``_unused``: those sources)."""
        return init_settings, env_settings, PyprojectSource(settings_cls)


#: Settings that name a file or folder: a relative value in ``[tool.costplan]`` is relative
#: to the folder of that pyproject.toml, not to the working directory.
_PATHS = tuple(n for n, f in Settings.model_fields.items() if "Path" in str(f.annotation))
#: Settings that are a yes/no (a TOML boolean in ``[tool.costplan]``).
_FLAGS = tuple(n for n, f in Settings.model_fields.items() if f.annotation is bool)


@dataclass(frozen=True)
class PyprojectTable:
    """The ``[tool.costplan]`` table of one pyproject.toml, checked."""

    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    """name -> value (relative paths made absolute from the file's folder)"""
    lines: dict[str, int | None] = field(default_factory=dict)
    """name -> the line it is set on [1-based]"""
    shown: dict[str, str] = field(default_factory=dict)
    """name -> ``[tool.costplan] name = 'value'`` as written (and the absolute path)"""


def _table_span(text: str) -> tuple[int, int] | None:
    """Character span of the ``[tool.costplan]`` table's body: from its header to the next
    table header (``[...]`` or ``[[...]]`` at the start of a line), comments and blank lines
    included."""
    import re

    head = re.search(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*[\"']?costplan[\"']?[ \t]*\][ \t]*(#.*)?\r?$", text, re.M)
    if head is None:
        return None
    nxt = re.compile(r"^[ \t]*\[", re.M).search(text, head.end())
    return head.end(), nxt.start() if nxt else len(text)


def line_of_key(text: str, key: str) -> int | None:
    """The line [1-based] of ``key = ...`` inside the ``[tool.costplan]`` table of a
    pyproject's text (None when the table or the key is written another way, e.g. as an
    inline table)."""
    import re

    span = _table_span(text)
    if span is None:
        return None
    pat = re.compile(rf"^[ \t]*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})[ \t]*=", re.M)
    m = pat.search(text, span[0], span[1])
    return text.count("\n", 0, m.start()) + 1 if m else None


def _line_of(text: str, pattern: str) -> int | None:
    """The first line [1-based] that starts with ``pattern`` (a regular expression)."""
    import re

    m = re.search(rf"^[ \t]*{pattern}", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _header_line(text: str) -> int | None:
    span = _table_span(text)
    return text.count("\n", 0, span[0]) + 1 if span else None


def find_pyproject(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest pyproject.toml in ``start`` (default: the working directory) or above."""
    d = Path(start or os.getcwd()).resolve()
    for parent in (d, *d.parents):
        f = parent / "pyproject.toml"
        if f.is_file():
            return f
    return None


def read_pyproject(start: str | os.PathLike | None = None) -> PyprojectTable | None:
    """``[tool.costplan]`` of the nearest pyproject.toml above ``start`` (None when there is
    no pyproject.toml). A file that is not valid TOML or UTF-8, an unknown key or a value of
    the wrong type is an :class:`~costplan.errors.InputError` naming the file and line; all
    the problems of the table at once."""
    f = find_pyproject(start)
    if f is None:
        return None
    try:
        st = f.stat()
    except OSError:
        st = None
    return _read_pyproject(f, (st.st_mtime_ns, st.st_size, st.st_ino) if st else None)


@lru_cache(maxsize=16)
def _read_pyproject(f: Path, _stamp) -> PyprojectTable:
    """:func:`read_pyproject` of one file; ``_stamp`` (modification time, size, inode) makes
    an edited file read again."""
    import difflib
    import re

    from costplan.errors import CostplanError, InputError, Problem

    try:
        raw = f.read_bytes()
    except OSError as exc:
        raise CostplanError(f"{f}: cannot read the settings file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); costplan reads its "
                                 "settings from [tool.costplan] here", file=str(f),
                                 line=raw.count(b"\n", 0, exc.start) + 1)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError(Problem(
            f"not valid TOML{f', column {m.group(2)}' if m else ''}: {msg}; costplan reads its settings from "
            "[tool.costplan] here", file=str(f), line=int(m.group(1)) if m else None)) from None
    tool = data.get("tool")
    table = tool.get("costplan") if isinstance(tool, dict) else None
    if table is None:
        return PyprojectTable(f)
    if not isinstance(table, dict):
        raise InputError(Problem("tool.costplan must be a table ([tool.costplan] with key = \"value\" lines)",
                                 file=str(f), line=_line_of(text, r"(tool[ \t]*\.[ \t]*)?costplan[ \t]*=")))
    fields = Settings.model_fields
    out = PyprojectTable(f)
    problems = []
    for key, value in table.items():
        line = line_of_key(text, key) or _header_line(text)
        if key not in fields:
            near = difflib.get_close_matches(key, fields, n=1)
            problems.append(Problem(f"[tool.costplan] {key}: unknown setting", file=str(f), line=line,
                                    hint=f"did you mean {near[0]!r}?" if near else f"settings: {', '.join(fields)}"))
            continue
        if key in _FLAGS:
            if not isinstance(value, bool):
                problems.append(Problem(f"[tool.costplan] {key}: expected true or false, got {value!r}",
                                        file=str(f), line=line, hint=f"write {key} = true"))
                continue
            shown = f"[tool.costplan] {key} = {str(value).lower()}"
        elif not isinstance(value, str):
            problems.append(Problem(f"[tool.costplan] {key}: expected a string, got {value!r}", file=str(f),
                                    line=line, hint=f'write {key} = "..."'))
            continue
        elif not value.strip():
            continue  # an empty value is the built-in default, as an empty variable is
        else:
            shown = f"[tool.costplan] {key} = {value!r}"
            if key in _PATHS and not Path(value).is_absolute():
                value = str(f.parent / value)
                shown += f" ({value})"
        out.values[key] = value
        out.lines[key] = line
        out.shown[key] = shown
    if problems:
        raise InputError(problems)
    return out


class PyprojectSource(PydanticBaseSettingsSource):
    """The settings source of ``[tool.costplan]`` in the nearest pyproject.toml."""

    def __init__(self, settings_cls: type[BaseSettings]):
        super().__init__(settings_cls)
        self.table = read_pyproject()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        values = self.table.values if self.table else {}
        return values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.table.values) if self.table else {}


def _check_env() -> None:
    """Warn (once) about ``COSTPLAN_*`` variables that are no setting: a typo is not silently
    ignored."""
    import difflib
    import warnings

    known = [f"COSTPLAN_{n.upper()}" for n in Settings.model_fields]
    for var in sorted(os.environ):
        if var.startswith("COSTPLAN_") and var not in known and var not in _OTHER_ENV and var not in _WARNED:
            _WARNED.add(var)
            near = difflib.get_close_matches(var, known, n=1)
            warnings.warn(f"{var} is not a costplan setting ({'did you mean ' + near[0] + '?' if near else 'settings: ' + ', '.join(known)}); "
                          "it is ignored", stacklevel=3)


_WARNED: set[str] = set()


def check_sources() -> None:
    """Read the nearest pyproject.toml and look at the ``COSTPLAN_*`` variables: every command
    calls this first, so a broken pyproject.toml (not TOML, an unknown key, a wrong type) stops
    it even when it reads no setting, and a misspelt variable is a warning."""
    _check_env()
    read_pyproject()


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _where(name: str, cli: dict, table: PyprojectTable | None):
    """Where the value of ``name`` comes from: ("cli" | "env" | "pyproject" | "default", how to
    show it, file, line)."""
    if name in cli:
        return "cli", _option(name), None, None
    var = f"COSTPLAN_{name.upper()}"
    # pydantic-settings reads the variables case-insensitively, and of two spellings of one
    # variable the last in the environment wins: the one named is the one it read
    found = [(key, env) for key, env in os.environ.items() if key.upper() == var and env]
    if found:
        key, env = found[-1]
        return "env", f"environment variable {key}={env}", None, None
    if table is not None and name in table.values:
        return "pyproject", table.shown[name], str(table.path), table.lines[name]
    return "default", f"the default {name}", None, None


def _problem(name: str, bad: str, cli: dict, table: PyprojectTable | None):
    from costplan.errors import Problem

    kind, shown, file, line = _where(name, cli, table)
    if kind == "cli":
        return Problem(bad, location=shown)
    return Problem(f"{shown}: {bad}", file=file, line=line)


def _bad_path(name: str, p: Path) -> str | None:
    """What is wrong with a file or folder setting (None: nothing)."""
    if name in ("stack", "component_map") and not p.is_file():
        return "is a folder, expected a file" if p.is_dir() else "file not found"
    if name == "catalog" and not p.exists():
        return "not found (a catalog CSV or a folder of them)"
    if name == "store" and p.is_dir():
        return "is a folder, expected a DuckDB file"
    if name in ("reports_dir", "temp_dir") and p.exists() and not p.is_dir():
        return "is a file, expected a folder"
    return None


def load_settings(**cli: Any) -> Settings:
    """The settings, resolved once: ``cli`` holds the command-line options (None or "" = not
    given), then ``COSTPLAN_*``, then the nearest ``[tool.costplan]``, then the defaults. Every
    value that cannot be right is reported at once in one :class:`~costplan.errors.InputError`
    naming the option, the variable, or the pyproject's file and line. Files and folders named
    by a variable or a pyproject must be usable (a stack that exists, a store that is no
    folder); those named on the command line are checked by the command that opens them."""
    from costplan.errors import InputError

    unknown = set(cli) - set(Settings.model_fields)
    if unknown:
        raise KeyError(f"unknown setting(s) {sorted(unknown)}; known: {', '.join(Settings.model_fields)}")
    cli = {k: v for k, v in cli.items() if v is not None and v != ""}
    _check_env()
    table = read_pyproject()
    try:
        settings = Settings(**cli)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "bool_parsing":
                msg = "is not a yes/no value; use true or false"
            problems.append(_problem(name, msg, cli, table) if name in Settings.model_fields else str(exc))
        raise InputError(problems) from None
    problems = []
    for name in _PATHS:
        value = getattr(settings, name)
        if value is None or _where(name, cli, table)[0] not in ("env", "pyproject"):
            continue
        bad = _bad_path(name, Path(value))
        if bad:
            problems.append(_problem(name, bad, cli, table))
    if problems:
        raise InputError(problems)
    return settings


def default_store() -> Path:
    """The built-in default store (built from the synthetic sample on first use)."""
    return Path(_BUILTIN["store"])
