"""The notebooks open in JupyterLab from the dev install: the server starts, serves the Lab UI,
lists and opens every notebook and starts the kernel they run on. (Their execution is tested
by nbmake over the same kernel.)"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOKEN = "costplan-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, method: str = "GET", body: bytes | None = None):
    req = urllib.request.Request(url, method=method, data=body, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:  # loopback only
        return r.status, r.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    pytest.importorskip("jupyterlab")
    port = _free_port()
    home = tmp_path_factory.mktemp("jupyter-home")
    log = home / "server.log"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={REPO}", "--ServerApp.open_browser=False", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _get(f"{base}/api/status")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("jupyter lab did not start: " + log.read_text()[-2000:])
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(home, ignore_errors=True)


def test_lab_ui_is_served(lab):
    status, body = _get(f"{lab}/lab")
    assert status == 200 and b"JupyterLab" in body


def test_every_notebook_opens(lab):
    _status, body = _get(f"{lab}/api/contents/notebooks")
    names = {c["name"] for c in json.loads(body)["content"] if c["type"] == "notebook"}
    expected = {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
    assert expected and names == expected
    for name in sorted(names):
        _status, body = _get(f"{lab}/api/contents/notebooks/{name}")
        nb = json.loads(body)
        assert nb["type"] == "notebook" and nb["content"]["cells"]


def test_kernel_starts(lab):
    status, body = _get(f"{lab}/api/kernels", method="POST", body=b"{}")
    kernel = json.loads(body)
    assert status in (200, 201) and kernel["id"]
    _get(f"{lab}/api/kernels/{kernel['id']}", method="DELETE")
