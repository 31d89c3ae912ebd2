"""No test writes into the checkout: the default store of the test processes (and of the
commands and notebook kernels they start) is a temporary file, and a file the run adds to the
checkout is caught (conftest.py at the checkout's root fails the run)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cli_runner import costplan
from isolation import REPO, TEST_STORE, checkout_entries, new_entries

from costplan import config


def test_the_default_store_is_outside_the_checkout():
    assert REPO not in config.default_store().resolve().parents
    assert config.default_store() == TEST_STORE
    assert os.environ["COSTPLAN_STORE"] == str(TEST_STORE)  # what subprocesses and kernels see


def test_a_command_reads_the_temporary_store():
    r = costplan("store", "--format", "json")
    assert r.code == 0, r.err
    assert str(TEST_STORE) in r.out


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_a_file_written_into_the_checkout_is_caught(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("data/*.duckdb\n.hypothesis/\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stack.yaml").write_text("name: x\n")
    _git(tmp_path, "add", ".")
    (tmp_path / "data" / "old.duckdb").write_bytes(b"1")
    before = checkout_entries(tmp_path)
    assert new_entries(before, checkout_entries(tmp_path)) == []
    (tmp_path / "data" / "costplan.duckdb").write_bytes(b"x")  # ignored by git, still caught
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r.md").write_text("x")  # untracked
    (tmp_path / ".hypothesis").mkdir()
    (tmp_path / ".hypothesis" / "db").write_text("x")  # a tool cache: not costplan's output
    (tmp_path / "data" / "old.duckdb").write_bytes(b"22")  # an existing file changed
    assert new_entries(before, checkout_entries(tmp_path)) == ["data/costplan.duckdb", "data/old.duckdb",
                                                              "reports/r.md"]


def test_a_test_process_removes_its_temporary_folders_when_it_ends(tmp_path):
    """Each test process's temporary store and cache folders are gone when it ends (they used
    to stay, about 260 MB of catalog snapshots per process and run)."""
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = ("import sys; sys.path.insert(0, 'tests'); import isolation, os; "
            "isolation.build_test_store(); print(isolation.TEST_STORE.parent, os.environ['XDG_CACHE_HOME'])")
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    store_folder, cache_folder = (Path(x) for x in p.stdout.split())
    assert store_folder.parent == tmp_path and cache_folder.parent == tmp_path  # they were made there
    assert list(tmp_path.iterdir()) == []  # and are gone
