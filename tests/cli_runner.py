"""Run the real `costplan` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    code: int
    out: str
    err: str


def costplan(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> Run:
    from isolation import TEST_STORE, build_test_store

    if (env or {}).get("COSTPLAN_STORE", os.environ.get("COSTPLAN_STORE")) == str(TEST_STORE):
        build_test_store()  # the test processes' default store, which the command sees as COSTPLAN_STORE
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e["COLUMNS"] = "200"
    e.update(env or {})
    p = subprocess.run(
        [sys.executable, "-m", "costplan", *args], cwd=cwd or REPO, env=e, capture_output=True, text=True,
        timeout=timeout,
    )
    return Run(p.returncode, p.stdout, p.stderr)
