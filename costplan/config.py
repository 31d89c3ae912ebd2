"""Settings with one documented precedence.

CLI option > environment variable ``COSTPLAN_<NAME>`` > ``[tool.costplan]`` in the nearest
``pyproject.toml`` (searched upwards from the working directory) > built-in default.

| name | meaning | built-in default |
|---|---|---|
| ``stack`` | stack spec used when none is named | ``data/ultibiker/stack.yaml`` (bundled) |
| ``store`` | local DuckDB file of actual spend | ``data/costplan.duckdb`` in a source checkout, ``~/.local/share/costplan/costplan.duckdb`` (``$XDG_DATA_HOME``) for an installed package; built from the synthetic sample on first use |
| ``catalog`` | price catalog CSV or folder | the newest embedded snapshot |
| ``reports_dir`` | where reports are written | ``reports/`` |
| ``component_map`` | extra rules mapping spend to component kinds, tried before the built-in ones | none |
| ``currency`` | the one billing currency a store holding several is read in (costs are never added across currencies) | none |
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
}


@lru_cache(maxsize=8)
def _pyproject_table(start: str) -> dict:
    d = Path(start).resolve()
    for parent in (d, *d.parents):
        f = parent / "pyproject.toml"
        if f.is_file():
            try:
                data = tomllib.loads(f.read_text())
            except (OSError, tomllib.TOMLDecodeError):
                return {}
            return data.get("tool", {}).get("costplan", {}) or {}
    return {}


def setting(name: str, cli_value: str | os.PathLike | None = None) -> str:
    """Resolve one setting by the documented precedence."""
    if name not in _BUILTIN:
        raise KeyError(f"unknown setting {name!r}; known: {', '.join(_BUILTIN)}")
    if cli_value not in (None, ""):
        return str(cli_value)
    env = os.environ.get(f"COSTPLAN_{name.upper()}")
    if env:
        return env
    table = _pyproject_table(os.getcwd())
    if table.get(name):
        return str(table[name])
    return _BUILTIN[name]
