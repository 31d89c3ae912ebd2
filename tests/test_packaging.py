"""An installed wheel works with no checkout around it: the reference stack and the notebooks
travel inside it (setup.py), and the default store goes to the user's data folder, never into
site-packages. Built offline (no build isolation: setuptools comes from the dev extra)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _source_copy(dst: Path) -> Path:
    """The working tree's files (tracked and new, not ignored) in ``dst``: the build sees no
    leftovers of earlier builds (build/, *.egg-info) and leaves none in the checkout."""
    import shutil

    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for f in filter(None, files):
        if (REPO / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, dst / f)
    return dst


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    src = _source_copy(tmp / "src")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp / "dist")],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("costplan-*.whl")
    site = tmp / "site"
    inst = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True, text=True,
    )
    assert inst.returncode == 0, inst.stderr
    return wheel, site, tmp


def _run(installed, *args):
    _, site, tmp = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COSTPLAN_", "XDG_"))}
    env.update(PYTHONPATH=str(site), HOME=str(tmp / "home"), COLUMNS="200")
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)


def test_wheel_carries_the_reference_stack_notebooks_and_catalog(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("stack.yaml", "claimed-costs.yaml", "costplan-usage.yaml", "k8s/api-deployment.yaml"):
        assert f"costplan/_bundled/ultibiker/{f}" in names
    assert "costplan/_bundled/notebooks/quarterly_review.ipynb" in names
    assert any(n.startswith("costplan/pricing/data/aws-prices_") for n in names)
    assert "costplan/actuals/data/component_map.csv" in names


def test_installed_package_runs_the_defaults_outside_a_checkout(installed):
    _, site, tmp = installed
    where = _run(installed, "-c", "import costplan, costplan.config as c; print(costplan.__file__, c.IN_CHECKOUT)")
    assert where.stdout.split() == [str(site / "costplan" / "__init__.py"), "False"], where.stderr
    est = _run(installed, "-m", "costplan", "estimate", "--format", "json")
    assert est.returncode == 0, est.stderr
    import costplan

    expected = costplan.estimate(costplan.load_stack(REPO / "data" / "ultibiker" / "stack.yaml")).total_monthly_cost
    assert json.loads(est.stdout)["total_monthly_cost"] == pytest.approx(expected, abs=0.005)
    act = _run(installed, "-m", "costplan", "actuals", "--by", "month", "--format", "csv")
    assert act.returncode == 0, act.stderr
    assert (tmp / "home" / ".local" / "share" / "costplan" / "costplan.duckdb").is_file()
    assert not list(site.rglob("*.duckdb"))  # nothing written into the installed package


def test_installed_package_refreshes_into_the_user_folder(tmp_path, monkeypatch):
    """Outside a checkout, a refresh of the embedded catalog is written under
    $XDG_DATA_HOME/costplan/prices, and a refreshed snapshot newer than the embedded one is
    the default from then on."""
    import shutil

    from costplan import config
    from costplan.pricing import catalog as cat_mod
    from costplan.pricing.refresh import _base_folder

    monkeypatch.setattr(config, "IN_CHECKOUT", False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("COSTPLAN_CATALOG", raising=False)
    embedded = cat_mod.newest_catalog_file(cat_mod.DATA_DIR)
    assert cat_mod.default_catalog_path() == embedded
    folder = _base_folder(None, cat_mod.Catalog.load(embedded))
    assert folder == tmp_path / "costplan" / "prices"
    folder.mkdir(parents=True)
    newer = folder / "aws-prices_2099-01-01.csv"
    shutil.copy(embedded, newer)
    assert cat_mod.default_catalog_path() == newer
    monkeypatch.setattr(config, "IN_CHECKOUT", True)  # a checkout keeps its snapshots in the package
    assert cat_mod.default_catalog_path() == embedded
    assert _base_folder(None, cat_mod.Catalog.load(embedded)) == embedded.parent
