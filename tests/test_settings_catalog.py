"""The ``catalog`` setting is the default of every command and of the library: a
``[tool.costplan] catalog`` in the nearest pyproject.toml is used by ``costplan.estimate()``,
``costplan prices show`` and ``costplan prices info`` alike (relative to the pyproject's folder)."""

from __future__ import annotations

import json

import pytest
from helpers import LIST, P
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.pricing.catalog import write_catalog

# c5.xlarge at a made-up $1.00/h so that the catalog in use is unmistakable
ODD = [p for p in LIST if p.sku != "c5.xlarge" or p.pricing_model != "on_demand"] + [
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 1.00, source="project-catalog")]


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_catalog(ODD, tmp_path / "prices" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    (tmp_path / "pyproject.toml").write_text('[tool.costplan]\ncatalog = "prices"\n')
    sub = tmp_path / "work"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the nearest pyproject.toml is the parent folder's
    monkeypatch.delenv("COSTPLAN_CATALOG", raising=False)
    return tmp_path


def test_library_estimate_uses_the_pyproject_catalog(project):
    import costplan
    from costplan.stack import stack_from_data

    st = stack_from_data({"name": "s", "regions": {"us-east-1": {"node_pools": {
        "app": {"instance_types": ["c5.xlarge"], "count": 2}}}}})
    # 2 x 730 h x $1.00
    assert costplan.estimate(st).total_monthly_cost == pytest.approx(1460.0)


def test_prices_show_and_info_use_the_pyproject_catalog(project):
    r = CliRunner().invoke(app, ["prices", "show", "c5.xlarge", "--model", "on_demand", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["unit_price"], x["source"]) for x in rows] == [(1.0, "project-catalog")]
    r = CliRunner().invoke(app, ["prices", "info", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert str(project / "prices") in r.stdout
