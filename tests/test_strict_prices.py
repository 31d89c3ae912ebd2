"""Strict prices: `--strict-prices` (and the `strict_prices` setting) refuses any line priced
from an estimate-grade (verified=false) price; without it the estimate says what share rests
on such prices. Prices are written by hand (tests/helpers.py); the shares are worked out here."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.errors import InputError
from costplan.estimator import estimate
from costplan.pricing.catalog import write_catalog
from costplan.stack.models import Stack
from tests.helpers import P

H = 730
# c5.large on-demand is verified ($0.085/h); the spot price of c5.xlarge is an estimate
# ($0.0748/h, on-demand x (1 - Spot Advisor saving)).
PRICES = [
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.085),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.0748, model="spot", band="<5%", verified=False),
]
SPEC = {
    "name": "strict",
    "regions": {"us-east-1": {"node_pools": {
        "system": {"instance_types": ["c5.large"], "count": 2},
        "app": {"instance_types": ["c5.xlarge"], "count": 3, "capacity": "spot"},
    }}},
}


@pytest.fixture
def files(tmp_path):
    cat = write_catalog(PRICES, tmp_path / "cat" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20", "sources": []})
    stack = tmp_path / "stack.yaml"
    stack.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return stack, cat


def test_share_of_estimate_grade_prices(files):
    from costplan.pricing.catalog import Catalog

    stack, cat = files
    res = estimate(Stack.model_validate(SPEC), Catalog.load(cat))
    # verified: 2 x 0.085 x 730 = 124.10; estimate: 3 x 0.0748 x 730 = 163.812; share 163.812 / 287.912
    assert res.unverified_cost == pytest.approx(163.812)
    assert res.unverified_share == pytest.approx(163.812 / 287.912)  # 56.9%
    assert any("1 lines ($163.81, 57% of the cost before commitments)" in w and "--strict-prices" in w
               for w in res.warnings)
    assert res.to_dict()["unverified_price_share"] == pytest.approx(0.569, abs=1e-4)


def test_strict_refuses_and_names_every_estimate_grade_line(files):
    from costplan.pricing.catalog import Catalog

    stack, cat = files
    with pytest.raises(InputError) as exc:
        estimate(str(stack), Catalog.load(cat), strict_prices=True)
    probs = exc.value.problems
    assert len(probs) == 1
    assert probs[0].location == "regions.us-east-1.node_pools.app.instance_types"
    assert probs[0].file == str(stack) and probs[0].line is not None
    assert "c5.xlarge instance-hour in us-east-1 is priced from an estimate-grade price (0.0748 USD/Hrs" in probs[0].message


def test_strict_passes_when_every_price_is_verified(files):
    from costplan.pricing.catalog import Catalog

    _, cat = files
    spec = {"name": "ok", "regions": {"us-east-1": {"node_pools": {"s": {"instance_types": ["c5.large"], "count": 2}}}}}
    res = estimate(Stack.model_validate(spec), Catalog.load(cat), strict_prices=True)
    assert res.total_monthly_cost == pytest.approx(2 * 0.085 * H)


def _run(args, env=None, cwd=None, monkeypatch=None):
    if cwd is not None:
        monkeypatch.chdir(cwd)
    return CliRunner().invoke(app, args, env=env or {})


@pytest.mark.parametrize("how", ["flag", "env", "pyproject"])
def test_cli_estimate_strict_exits_2(files, tmp_path, monkeypatch, how):
    stack, cat = files
    args = ["estimate", str(stack), "--catalog", str(cat)]
    env = {}
    if how == "flag":
        args.append("--strict-prices")
    elif how == "env":
        env["COSTPLAN_STRICT_PRICES"] = "true"
    else:
        (tmp_path / "pyproject.toml").write_text("[tool.costplan]\nstrict_prices = true\n")
        monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 2, res.output
    assert "node_pools.app.instance_types" in res.stderr and "estimate-grade" in res.stderr
    assert "Traceback" not in res.output


def test_cli_flag_overrides_the_setting(files, monkeypatch):
    stack, cat = files
    res = CliRunner().invoke(app, ["estimate", str(stack), "--catalog", str(cat), "--no-strict-prices",
                                   "--format", "json"], env={"COSTPLAN_STRICT_PRICES": "1"})
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["unverified_price_cost"] == pytest.approx(163.81)


def test_cli_bad_setting_value_is_named(files):
    stack, cat = files
    res = CliRunner().invoke(app, ["estimate", str(stack), "--catalog", str(cat)], env={"COSTPLAN_STRICT_PRICES": "maybe"})
    assert res.exit_code == 2
    assert "COSTPLAN_STRICT_PRICES=maybe" in res.stderr and "true or false" in res.stderr


def test_cli_project_and_report_refuse_too(files, tmp_path):
    stack, cat = files
    res = CliRunner().invoke(app, ["project", str(stack), "--catalog", str(cat), "-n", "0", "--strict-prices"])
    assert res.exit_code == 2 and "estimate-grade" in res.stderr, res.output
    out = tmp_path / "report"
    res = CliRunner().invoke(app, ["report", "--stack", str(stack), "--catalog", str(cat), "--strict-prices",
                                   "--store", str(tmp_path / "none.duckdb"), "--out", str(out), "--no-images"])
    assert res.exit_code == 2 and "estimate-grade" in res.stderr, res.output
    assert not out.exists() and not (tmp_path / "none.duckdb").exists()  # refused before anything is written
