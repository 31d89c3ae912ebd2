"""Spot quotes, scenarios side by side, per-user notes and figures."""

from __future__ import annotations

import pytest
from helpers import mini_catalog
from projection_catalog import reference_catalog
from projection_stacks import REFERENCE, mini_dict, mini_stack

from costplan.errors import InputError
from costplan.projection import figures, project, project_scenarios, spot_savings
from costplan.projection.spot import spot_quote
from costplan.projection.unit_cost import cost_per_user, per_user_notes
from costplan.stack import load_stack

H = 730


def test_diversified_spot_quote_by_hand():
    q = spot_quote(["c5.xlarge", "c5.2xlarge"], "us-east-1", reference_catalog(), fallback_share=0.1)
    # per c5.xlarge node: c5.xlarge spot 0.0748; c5.2xlarge spot 0.1496 x 4/8 vCPU = 0.0748
    assert q.spot == pytest.approx(0.0748)
    assert q.expected == pytest.approx(0.1 * 0.17 + 0.9 * 0.0748)
    assert q.saving == pytest.approx(1 - (0.1 * 0.17 + 0.9 * 0.0748) / 0.17)
    # bands <5% and 5-10%: midpoints 2.5% and 7.5%
    assert q.interruptions_per_node_month == pytest.approx(0.05)


def test_types_without_spot_rows_are_named_and_none_at_all_is_an_error():
    q = spot_quote(["c5.xlarge", "m5.2xlarge"], "us-east-1", mini_catalog())
    assert q.types_without_spot == ("m5.2xlarge",)
    with pytest.raises(InputError, match="no spot price"):
        spot_quote(["m5.2xlarge"], "us-east-1", mini_catalog())


def test_guide_app_pool_on_spot_against_on_demand():
    stack = load_stack(REFERENCE, scenario="app-on-spot")
    df = spot_savings(stack, reference_catalog(), pools=["app"]).set_index("RegionId")
    us = df.loc["us-east-1"]
    od = 3 * H * 0.17
    spot = 3 * H * (0.1 * 0.17 + 0.9 * 0.0748)
    assert us.on_demand_cost == pytest.approx(od)
    assert us.spot_cost == pytest.approx(spot)
    assert us.saving == pytest.approx(od - spot)
    # 3 nodes x 90% on spot x 5% interruptions per node-month
    assert us.interruptions_per_month == pytest.approx(3 * 0.9 * 0.05)
    eu = df.loc["eu-west-1"]
    assert eu.spot_cost == pytest.approx(3 * H * (0.1 * 0.192 + 0.9 * (0.0941 + 0.1882 / 2) / 2))


def test_scenarios_side_by_side_with_the_same_draws():
    d = mini_dict()
    d["scenarios"] = {"bigger": {"description": "one more node minimum",
                                 "patch": {"regions": {"us-east-1": {"node_pools": {"app": {"min": 3, "desired": 3}}}}}}}
    comp = project_scenarios(mini_stack(d), months=12, simulations=200, seed=3, catalog=mini_catalog())
    s = comp.summary.set_index("scenario")
    assert list(s.index) == ["base", "bigger"]
    # the base needs 2 nodes in every month of year 1 (<= 14 pods); the scenario runs 3: one node more
    assert s.loc["bigger", "diff_total_p50"] == pytest.approx(12 * H * 0.17)
    m = comp.monthly[comp.monthly.scenario == "bigger"]
    assert m.diff_p50.to_numpy() == pytest.approx([H * 0.17] * 12)
    fig = figures.scenarios_chart(comp)
    assert [t.name for t in fig.data if t.showlegend is not False] == ["base", "bigger"]


def test_commitment_curve_figure_marks_each_optimum():
    from costplan.projection.commitments import optimise_commitments

    plan = optimise_commitments([1.0, 2.0, 3.0, 4.0], {("1yr", "no-upfront"): 0.5, ("3yr", "no-upfront"): 0.6})
    fig = figures.commitment_curve(plan.curve)
    markers = [t for t in fig.data if t.mode == "markers"]
    assert len(markers) == 2
    assert sorted(float(t.x[0]) for t in markers) == pytest.approx(sorted(plan.table.commitment))


def test_cost_per_user_keeps_shape_and_handles_zero_users():
    import numpy as np

    assert cost_per_user(100.0, 50.0) == 2.0
    out = cost_per_user(np.array([[10.0, 10.0]]), np.array([[5.0, 0.0]]))
    assert out.shape == (1, 2) and out[0, 0] == 2.0 and np.isnan(out[0, 1])


def test_per_user_notes_and_figures_without_io(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = project(mini_stack(), simulations=50, catalog=mini_catalog())
    notes = per_user_notes(r)
    assert notes[0].startswith("cost per user (median path) goes from")
    assert any(n.startswith("step: us-east-1/app") for n in notes)
    f = figures.fan_chart(r)
    assert [t.name for t in f.data if t.name] == ["p10-p90", "median", "central drivers", "fixed part"]
    assert len(figures.nodes_per_pool(r).data) == 3  # band (2 traces) + median for the one pool
    assert len(figures.per_user_chart(r).data) == 5
    # egress ($90+/month, growing) outweighs the EKS control plane ($73/month): it is the second area
    assert [t.name for t in figures.stacked_components(r, top=2).data] == [
        "us-east-1/node_pools/app", "us-east-1/data_transfer", "other"]
    assert list(tmp_path.iterdir()) == []  # nothing written
