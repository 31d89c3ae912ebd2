import os
import sys
import tempfile
from pathlib import Path

import pytest

# Offline by construction, even when pytest is run directly rather than via scripts/test.sh.
sys.path.insert(0, str(Path(__file__).parent))

from helpers import FAKE_AWS_ENV

os.environ.update(FAKE_AWS_ENV)
os.environ.pop("AWS_PROFILE", None)
# The built-in default store of a source checkout is data/costplan.duckdb: in-process tests
# get theirs in a temporary folder instead (built from the sample on first use, like the real
# one), so that they do not write into the checkout.
def _temporary_default_store() -> None:
    from costplan import config

    config._BUILTIN["store"] = str(Path(tempfile.mkdtemp(prefix="costplan-tests-")) / "costplan.duckdb")


_temporary_default_store()
# The catalog's binary snapshots (costplan/pricing/catalog.py) and any other user cache go to a
# temporary folder too, shared by this run's subprocesses, never the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="costplan-tests-cache-")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def mini_catalog():
    from helpers import mini_catalog as mk

    return mk()


@pytest.fixture
def write(tmp_path):
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.write_text(text)
        return p

    return _write
