"""Decisions priced on the whole bill (costplan.decisions): the same figure as `costplan diff`,
existing commitments included, with a range and the estimate-grade flag."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.config import DEFAULT_STACK
from costplan.decisions import evaluate_decisions, scenario_stack, table
from costplan.stack import load_stack

runner = CliRunner()


@pytest.fixture(scope="module")
def stack():
    return load_stack(DEFAULT_STACK)


@pytest.fixture(scope="module")
def decisions(stack):
    return {d.key: d for d in evaluate_decisions(stack, simulations=20, seed=0)}


def _diff_cli(new: str) -> dict:
    res = runner.invoke(app, ["diff", str(DEFAULT_STACK), new, "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout[res.stdout.index("{"):])


def test_app_on_spot_equals_diff_to_the_cent(decisions):
    d = decisions["scenario:app-on-spot"]
    cli = _diff_cli(f"{DEFAULT_STACK}#app-on-spot")
    assert round(d.net_monthly, 2) == cli["difference"]
    assert round(d.diff.new_total, 2) == cli["new_monthly_cost"]
    # spot is cheaper per node-hour, yet the whole bill rises: the compute Savings Plan already
    # bought ($2.05/h) loses the on-demand usage it covered, and its fee is paid anyway
    sp = d.diff.components.set_index("component").loc["commitments/savings_plans/compute"]
    assert sp["difference"] > 0 and d.net_monthly > 0 and not d.saves
    assert "raises the bill by $" in d.headline()


def test_generated_scenarios_are_stack_scenarios(stack, decisions):
    """A generated decision is a scenario patch; applied as a stack file's scenario it gives the
    same bill."""
    d = decisions["spot:analytics"]
    assert d.patch == {"regions": {r: {"node_pools": {"analytics": {"capacity": "spot"}}}
                                   for r in ("us-east-1", "eu-west-1")}}
    from costplan.estimator import estimate

    again = estimate(scenario_stack(stack, "analytics-on-spot", d.patch))
    assert round(again.total_monthly_cost, 2) == round(d.diff.new_total, 2)
    # the app pools are not offered twice: the stack's own app-on-spot scenario covers them
    assert "spot:app" not in decisions


def test_range_and_estimate_grade(stack, decisions):
    vol = stack.projection.spot.price_volatility  # 0.15 in the bundled stack
    for d in decisions.values():
        assert d.low <= d.net_monthly + 1e-9 and d.net_monthly <= d.high + 1e-9
    d = decisions["scenario:app-on-spot"]
    # +-15% of the expected spot cost the scenario adds (the base has no spot pool); the pools'
    # totals also hold their on-demand fallback and volumes, so the width is at most 2 x 15% of them
    new_spot = d.diff.components.set_index("component").loc[
        ["us-east-1/node_pools/app", "eu-west-1/node_pools/app"], "new"].sum()
    assert new_spot > 0
    assert 0 < d.high - d.low <= 2 * vol * new_spot + 1e-6
    # spot prices in the bundled catalog are estimate-grade: the decision says so
    assert d.estimate_grade and "estimate-grade" in d.headline()


def test_commitment_purchase_is_priced_on_top_of_existing(stack, decisions):
    buys = [d for d in decisions.values() if d.kind == "commitment"]
    for d in buys:
        plans = d.patch["commitments"]["savings_plans"]
        assert len(plans) == 1  # added to the stack's own plan, which stays in both sides
        comp = set(d.diff.components["component"])
        assert "commitments/savings_plans/compute" in comp


def test_table_is_sorted_by_net_effect(decisions):
    t = table(list(decisions.values()))
    assert list(t["net_monthly"]) == sorted(t["net_monthly"])
    assert t["net_monthly"].map(lambda v: round(v, 2) == v).all()


def test_a_headline_says_its_range_in_words_not_in_signs():
    """A saving's range is said as savings ("between $12.19 and $12.99"), never as negative
    amounts after "saves"; a range that crosses zero names each end."""
    import types

    from costplan.decisions import Decision

    def line(net, low, high):
        return Decision("k", "spot", "T", "s", types.SimpleNamespace(difference=net), low, high).headline()

    assert line(-12.19, -12.99, -12.19) == "T: saves $12.19/month (between $12.19 and $12.99) on the whole bill"
    assert line(72.43, 55.36, 89.5) == "T: raises the bill by $72.43/month (between $55.36 and $89.50) on the whole bill"
    assert line(-5.0, -8.0, 3.0) == ("T: saves $5.00/month (from saving $8.00 to raising it by $3.00) "
                                     "on the whole bill")
    assert line(-5.0, -5.0, -5.0) == "T: saves $5.00/month on the whole bill"
