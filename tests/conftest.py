import os
import sys
from pathlib import Path

import pytest

# Offline by construction, even when pytest is run directly rather than via scripts/test.sh.
sys.path.insert(0, str(Path(__file__).parent))

from helpers import FAKE_AWS_ENV

os.environ.update(FAKE_AWS_ENV)
os.environ.pop("AWS_PROFILE", None)
# No test writes into the checkout: the default store is a temporary file (tests/isolation.py,
# imported by the checkout's conftest.py, which also fails the run if the checkout gained files).
import isolation  # noqa: F401

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
