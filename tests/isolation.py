"""Keeps the test run out of the checkout: the default store of every test process is a
temporary file, and what the checkout holds beyond git's files is compared before and after."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


# The built-in default store of a source checkout is data/costplan.duckdb: the tests get theirs
# in a temporary folder instead, one per test process. In this process it is the built-in
# default (built from the sample on first use, like the real one); subprocesses (the real
# `costplan` command, notebook kernels) get it as COSTPLAN_STORE, built before they start
# (tests/cli_runner.py; for a notebook, pytest_runtest_setup in the checkout's conftest.py). No test writes into the checkout: the run
# fails if it gained files (pytest_sessionfinish there).
def _temporary_folder(prefix: str) -> Path:
    """A new temporary folder, removed when this process ends (its subprocesses, which share
    it, have ended by then): a run leaves nothing behind in the temporary directory either."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _temporary_default_store() -> Path:
    from costplan import config

    store = _temporary_folder("costplan-tests-") / "costplan.duckdb"
    config._BUILTIN["store"] = str(store)
    os.environ["COSTPLAN_STORE"] = str(store)
    return store


TEST_STORE = _temporary_default_store()
# The catalog's binary snapshots (costplan/pricing/catalog.py) and any other user cache go to a
# temporary folder too, shared by this process's subprocesses, never the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = str(_temporary_folder("costplan-tests-cache-"))


def build_test_store() -> Path:
    """The test processes' default store, built from the sample if it is not there yet (for a
    subprocess, which sees it as a COSTPLAN_STORE that must exist)."""
    from costplan.sample import ensure_default_store

    return ensure_default_store(TEST_STORE)


# --- the run leaves the checkout as it found it -------------------------------------------------
#: Tool caches that may appear in the checkout during a run (none is costplan's output).
CACHES = (".venv", ".venv-focus-validator", ".hypothesis", ".pytest_cache", ".ruff_cache", "costplan.egg-info")


def checkout_entries(root: Path = REPO) -> dict[str, tuple[int, int] | None]:
    """Every untracked or ignored entry of the checkout (an ignored folder as one entry) but the
    tool caches: path -> (modification time [ns], size [bytes]) of a file, None for a folder."""
    import subprocess

    out = {}
    for flags in (["--others", "--exclude-standard"], ["--others", "--ignored", "--exclude-standard", "--directory"]):
        p = subprocess.run(["git", "ls-files", "-z", *flags], cwd=root, capture_output=True, text=True, check=False)
        if p.returncode != 0:  # not a git checkout (an unpacked sdist): nothing to compare
            return {}
        for rel in filter(None, p.stdout.split("\0")):
            parts = Path(rel).parts
            if not parts or parts[0] in CACHES or "__pycache__" in parts or ".ipynb_checkpoints" in parts:
                continue
            f = root / rel
            st = f.stat() if f.is_file() else None
            out[rel.rstrip("/")] = (st.st_mtime_ns, st.st_size) if st else None
    return out


def new_entries(before: dict, after: dict) -> list[str]:
    """Entries of ``after`` that ``before`` lacks, or files that changed since."""
    return sorted(k for k, v in after.items() if k not in before or (v is not None and before[k] != v))


