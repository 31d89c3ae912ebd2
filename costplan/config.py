"""Settings with one documented precedence.

CLI option > environment variable ``COSTPLAN_<NAME>`` > ``[tool.costplan]`` in the nearest
``pyproject.toml`` (searched upwards from the working directory; relative paths there are
relative to that file's folder) > built-in default. A pyproject.toml that is not valid TOML,
an unknown key in ``[tool.costplan]`` or a value that cannot be right is an error naming the
file and line, or the variable (docs/refusals.md).

| name | meaning | built-in default |
|---|---|---|
| ``stack`` | stack spec used when none is named | ``data/ultibiker/stack.yaml`` (bundled) |
| ``store`` | local DuckDB file of actual spend | ``data/costplan.duckdb`` in a source checkout, ``~/.local/share/costplan/costplan.duckdb`` (``$XDG_DATA_HOME``) for an installed package; built from the synthetic sample on first use |
| ``catalog`` | price catalog CSV or folder | the newest embedded snapshot |
| ``reports_dir`` | where reports are written | ``reports/`` |
| ``component_map`` | extra rules mapping spend to component kinds, tried before the built-in ones | none |
| ``price_list_url`` | base URL of AWS's public bulk Price List files, read by ``costplan prices refresh`` | ``https://pricing.us-east-1.amazonaws.com`` |
| ``currency`` | the one billing currency a store holding several is read in (costs are never added across currencies) | none |
| ``engine`` | where spend is read: ``duckdb`` (the store), ``athena`` or ``spark`` (docs/org-scale.md) | ``duckdb`` |
| ``strict_prices`` | refuse any estimate-grade (``verified=false``) price: ``estimate``, ``project`` and ``report`` exit 2 naming the lines (``true``/``false``; the CLI's ``--strict-prices``) | false |
| ``memory_limit`` | the most memory DuckDB may use for the store (imports spill to ``temp_dir`` beyond it), e.g. ``512MB``, ``2GB`` | ``600MB`` (a 10 M-row import then peaks below 1 GB of process memory, docs/performance.md) |
| ``temp_dir`` | where DuckDB spills what does not fit in ``memory_limit`` | DuckDB's own: ``<store>.tmp`` beside the store file |
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

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


_BUILTIN = {
    "stack": str(DEFAULT_STACK),
    "store": str((DATA_DIR if IN_CHECKOUT else user_data_dir()) / "costplan.duckdb"),
    "catalog": "",
    "reports_dir": "reports",
    "component_map": "",
    "currency": "",
    "engine": "duckdb",
    "strict_prices": "",
    "memory_limit": "600MB",
    "temp_dir": "",
    "price_list_url": "https://pricing.us-east-1.amazonaws.com",
}
#: Settings that are a yes/no (``true``/``false``, ``1``/``0``, ``yes``/``no``; a TOML boolean
#: in ``[tool.costplan]``).
_FLAGS = ("strict_prices",)
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


#: Settings that name a file or folder: a relative value in ``[tool.costplan]`` is relative
#: to the folder of that pyproject.toml, not to the working directory.
_PATHS = ("stack", "store", "catalog", "reports_dir", "component_map", "temp_dir")
#: ``COSTPLAN_*`` variables that are not settings.
_OTHER_ENV = ("COSTPLAN_DEBUG", "COSTPLAN_EXTRAS", "COSTPLAN_TEST_WORKERS")


def _line_of_key(text: str, key: str) -> int | None:
    """The line of ``key = ...`` inside the ``[tool.costplan]`` table of a pyproject's text."""
    import re

    head = re.search(r"^\s*\[tool\.costplan\]", text, re.M)
    if head is None:
        return None
    m = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.M).search(text, head.end())
    return text.count("\n", 0, m.start()) + 1 if m else None


@lru_cache(maxsize=8)
def _pyproject_table(start: str) -> dict:
    """``[tool.costplan]`` of the nearest pyproject.toml above ``start``: name -> (value,
    where it is set, how to show it), relative paths made absolute from the pyproject's folder. A pyproject that
    is not valid TOML or UTF-8, an unknown key or a value that is not a string is an
    :class:`~costplan.errors.InputError` naming the file and line."""
    import difflib

    from costplan.errors import CostplanError, InputError, Problem

    d = Path(start).resolve()
    for parent in (d, *d.parents):
        f = parent / "pyproject.toml"
        if not f.is_file():
            continue
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
            import re

            m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise InputError(Problem(
                f"not valid TOML{f', column {m.group(2)}' if m else ''}: {msg}; costplan reads its settings from "
                "[tool.costplan] here", file=str(f), line=int(m.group(1)) if m else None)) from None
        tool = data.get("tool") or {}
        table = tool.get("costplan") or {} if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise InputError(Problem("tool.costplan must be a table ([tool.costplan] with key = \"value\" lines)",
                                     file=str(f), line=_line_of_key(text, "costplan")))
        out, problems = {}, []
        for key, value in table.items():
            line = _line_of_key(text, key)
            if key not in _BUILTIN:
                near = difflib.get_close_matches(key, _BUILTIN, n=1)
                problems.append(Problem(f"[tool.costplan] {key}: unknown setting", file=str(f), line=line,
                                        hint=f"did you mean {near[0]!r}?" if near else f"settings: {', '.join(_BUILTIN)}"))
            elif key in _FLAGS and isinstance(value, bool):
                out[key] = ("true" if value else "false", f"{f}:{line}" if line else str(f),
                            f"[tool.costplan] {key} = {str(value).lower()}")
            elif not isinstance(value, str):
                problems.append(Problem(f"[tool.costplan] {key}: expected a string, got {value!r}", file=str(f),
                                        line=line, hint=f'write {key} = "..."'))
            elif value:
                shown = f"[tool.costplan] {key} = {value!r}"
                if key in _PATHS and not Path(value).is_absolute():
                    value = str(parent / value)
                    shown += f" ({value})"
                out[key] = (value, f"{f}:{line}" if line else str(f), shown)
        if problems:
            raise InputError(problems)
        return out
    return {}


def _check_env() -> None:
    """Warn (once) about ``COSTPLAN_*`` variables that are no setting: a typo is not silently
    ignored."""
    import difflib
    import warnings

    known = [f"COSTPLAN_{n.upper()}" for n in _BUILTIN]
    for var in sorted(os.environ):
        if var.startswith("COSTPLAN_") and var not in known and var not in _OTHER_ENV and var not in _WARNED:
            _WARNED.add(var)
            near = difflib.get_close_matches(var, known, n=1)
            warnings.warn(f"{var} is not a costplan setting ({'did you mean ' + near[0] + '?' if near else 'settings: ' + ', '.join(known)}); "
                          "it is ignored", stacklevel=3)


_WARNED: set[str] = set()


def _check_value(name: str, value: str, where: str | None, shown: str) -> str:
    """A setting from the environment or a pyproject, checked where it is used: a file or
    folder that must exist does; otherwise an :class:`InputError` naming where it was set."""
    from costplan.errors import InputError, Problem

    p = Path(value)
    bad = None
    if name in ("stack", "component_map") and not p.is_file():
        bad = "is a folder, expected a file" if p.is_dir() else "file not found"
    elif name == "catalog" and not p.exists():
        bad = "not found (a catalog CSV or a folder of them)"
    elif name == "store" and p.is_dir():
        bad = "is a folder, expected a DuckDB file"
    elif name in ("reports_dir", "temp_dir") and p.exists() and not p.is_dir():
        bad = "is a file, expected a folder"
    elif name == "memory_limit" and not is_memory_size(value):
        bad = "is not an amount of memory (write e.g. 600MB, 2GB or 1.5GiB)"
    elif name == "price_list_url" and not value.startswith(("http://", "https://")):
        bad = "is not an http:// or https:// URL"
    if name in _FLAGS and value.strip().lower() not in _TRUE + _FALSE:
        bad = "is not a yes/no value; use true or false"
    if bad:
        raise InputError(Problem(f"{shown}: {bad}", file=where))
    return value


def flag(name: str, cli_value: bool | None = None) -> bool:
    """A yes/no setting by the same precedence as :func:`setting` (``cli_value`` None: not
    given on the command line)."""
    if name not in _FLAGS:
        raise KeyError(f"{name!r} is not a yes/no setting; those are: {', '.join(_FLAGS)}")
    if cli_value is not None:
        return bool(cli_value)
    return setting(name).strip().lower() in _TRUE
def is_memory_size(value: str) -> bool:
    """True for an amount of memory DuckDB takes: a number and a unit (``KB``, ``MB``, ``GB``,
    ``TB`` or ``KiB`` .. ``TiB``)."""
    import re

    return bool(re.fullmatch(r"\s*\d+(\.\d+)?\s*([KMGT]i?B)\s*", value, re.I))


def setting(name: str, cli_value: str | os.PathLike | None = None) -> str:
    """Resolve one setting by the documented precedence. A value from ``COSTPLAN_<NAME>`` or
    ``[tool.costplan]`` that cannot be right (a stack file that does not exist, a store that
    is a folder) is an :class:`~costplan.errors.InputError` naming the variable or the line."""
    if name not in _BUILTIN:
        raise KeyError(f"unknown setting {name!r}; known: {', '.join(_BUILTIN)}")
    if cli_value not in (None, ""):
        return str(cli_value)
    _check_env()
    var = f"COSTPLAN_{name.upper()}"
    env = os.environ.get(var)
    if env and env.strip():
        return _check_value(name, env, None, f"environment variable {var}={env}")
    table = _pyproject_table(os.getcwd())
    if name in table:
        value, where, shown = table[name]
        return _check_value(name, value, where, shown)
    return _BUILTIN[name]
