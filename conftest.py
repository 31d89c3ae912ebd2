"""Every pytest run in the checkout (tests/ and the notebooks under nbmake) keeps out of it:
each test process has its own temporary default store (tests/isolation.py), and the run fails
if the checkout gained or changed files beyond git's own."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "tests"))

from isolation import build_test_store, checkout_entries, new_entries  # noqa: E402


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the main process (or the only one)
        session.config._checkout_before = checkout_entries()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_checkout_before", None)
    if before is None:
        return
    written = new_entries(before, checkout_entries())
    if written:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        msg = f"the tests wrote into the checkout {REPO}: {', '.join(written)}"
        if tr is not None:
            tr.ensure_newline()
            tr.write_line("ERROR: " + msg, red=True, bold=True)
        else:  # pragma: no cover
            sys.stderr.write(msg + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_runtest_setup(item):
    if item.path.suffix == ".ipynb":  # a notebook's kernel reads the default store as COSTPLAN_STORE
        build_test_store()
