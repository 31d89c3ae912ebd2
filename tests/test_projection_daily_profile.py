"""The daily load profile: pools costed on peak and off-peak node-hours, Savings Plans sized
on both levels. Expected values are worked out here from the list prices in helpers.py.

The mini stack's app pool: c5.xlarge ($0.17/h) with 0.5 vCPU reserved, so 3.5 vCPU
allocatable = 7 api pods of 0.5 vCPU a node; api pods serve 10 req/s each, HPA 2..40; the
pool runs 2..5 nodes. At 2,500 users x 0.1 req/s = 250 req/s the peak needs 25 pods = 4
nodes (7 + 7 + 7 + 4).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from cli_runner import costplan
from helpers import LIST, P, mini_catalog
from hypothesis import given, settings
from hypothesis import strategies as st
from projection_stacks import mini_dict, mini_stack

from costplan.errors import InputError
from costplan.pricing.catalog import write_catalog
from costplan.projection import project
from costplan.projection.commitments import (
    brute_force_commitment,
    commitment_cost,
    evaluate_commitment,
    optimal_coverage,
    optimise_commitments,
    stack_commitments,
)

H = 730
C5X = 0.17  # c5.xlarge on demand [USD/h]
C5X_SPOT = 0.0748  # c5.xlarge spot [USD/h]
SP_RATE = 0.107  # c5.xlarge 1yr all-upfront Compute Savings Plan rate [USD/h]
EKS = 0.10 * H


def profiled(peak_hours=6.0, offpeak_share=0.4, users=2500, growth=0.0, **profile) -> dict:
    d = mini_dict()
    d["projection"]["drivers"]["active_users"] = {"value": users, "why": "typed in for a test"}
    d["projection"]["drivers"]["annual_growth"] = {"value": growth, "why": "typed in for a test"}
    d["projection"]["daily_profile"] = {"peak_hours": peak_hours, "offpeak_share": offpeak_share,
                                        "why": "typed in for a test", **profile}
    return d


def _run(d, months=2, cat=None):
    return project(mini_stack(d), months=months, simulations=0, catalog=cat or mini_catalog())


def _cost(r, component, month=0):
    return r.by_component.set_index(["component", "month"]).loc[(component, month), "p50"]


def test_pool_is_costed_on_peak_and_offpeak_node_hours():
    # peak 250 req/s -> 25 pods -> 4 nodes; off-peak 0.4 x 250 = 100 req/s -> 10 pods -> 2 nodes
    r = _run(profiled(peak_hours=6, offpeak_share=0.4))
    node_hours = H * (6 / 24 * 4 + 18 / 24 * 2)  # 1,825 h
    assert _cost(r, "us-east-1/node_pools/app") == pytest.approx(node_hours * C5X)
    # egress: the stack's 1,000 GB at the central month 0 (a volume: no profile), the account's
    # first 100 GB free (AWS Free Tier)
    assert r.monthly.deterministic[0] == pytest.approx(EKS + node_hours * C5X + 900 * 0.09)
    cap = r.capacity.set_index(["resource", "month"])
    # the capacity frame keeps the peak in the `nodes` rows and adds the off-peak as its own kind
    assert cap.loc[("us-east-1/app", 0), "p50"] == 4 and cap.loc[("us-east-1/app", 0), "kind"] == "nodes"
    assert cap.loc[("us-east-1/app/offpeak", 0), "p50"] == 2
    assert cap.loc[("us-east-1/app/offpeak", 0), "kind"] == "nodes_offpeak"
    assert cap.loc[("us-east-1/app/offpeak", 0), "unit"] == "nodes"
    assert cap.loc[("us-east-1/app/pods/api", 0), "p50"] == 25  # pods: the peak
    # steps are about the peak (limits, max_size): 2 -> 4 nodes, and no step row for the off-peak
    steps = r.steps.set_index("resource")
    assert (steps.loc["us-east-1/app", "from"], steps.loc["us-east-1/app", "to"]) == ("2", "4")
    assert "us-east-1/app/offpeak" not in steps.index


def test_nodes_figure_draws_the_offpeak_dashed():
    from costplan.projection import figures

    fig = figures.nodes_per_pool(_run(profiled(peak_hours=6, offpeak_share=0.4)))
    # band (2 traces), peak median, off-peak median
    assert [t.name for t in fig.data][2:] == ["us-east-1/app", "us-east-1/app off-peak"]
    assert list(fig.data[3].y) == [2, 2] and fig.data[3].line.dash == "dash"


def test_without_a_profile_nothing_changes_and_24_peak_hours_is_the_same():
    d = profiled(peak_hours=24, offpeak_share=0.1)
    flat = profiled()
    del flat["projection"]["daily_profile"]
    a, b = _run(d, months=3), _run(flat, months=3)
    assert np.allclose(a.monthly.deterministic, b.monthly.deterministic)
    assert a.monthly.deterministic[0] == pytest.approx(EKS + 4 * H * C5X + 900 * 0.09)  # 100 GB free
    assert "nodes_offpeak" not in set(b.capacity.kind)
    assert set(a.capacity.resource) - set(b.capacity.resource) == {"us-east-1/app/offpeak"}


def test_offpeak_keeps_min_replicas_and_the_pool_minimum():
    # off-peak demand 0: the HPA keeps its 2 pods (1 vCPU, one node); the pool keeps its minimum
    d = profiled(peak_hours=6, offpeak_share=0.0)
    r = _run(d)
    cap = r.capacity.set_index(["resource", "month"])
    assert cap.loc[("us-east-1/app/offpeak", 0), "p50"] == 2  # pool min 2
    d["regions"]["us-east-1"]["node_pools"]["app"].update(min=1, desired=1)
    r = _run(d)
    cap = r.capacity.set_index(["resource", "month"])
    assert cap.loc[("us-east-1/app/offpeak", 0), "p50"] == 1  # 2 pods x 0.5 vCPU fit one node, not 0
    assert _cost(r, "us-east-1/node_pools/app") == pytest.approx(H * (6 / 24 * 4 + 18 / 24 * 1) * C5X)


def test_spot_pool_uses_the_same_node_hours():
    d = profiled(peak_hours=6, offpeak_share=0.4)
    d["regions"]["us-east-1"]["node_pools"]["app"]["capacity"] = "spot"
    r = _run(d)
    node_hours = H * (6 / 24 * 4 + 18 / 24 * 2)
    # 10% of node-hours fall back to on demand, 90% on spot
    assert _cost(r, "us-east-1/node_pools/app") == pytest.approx(node_hours * (0.1 * C5X + 0.9 * C5X_SPOT))


def test_root_volumes_follow_the_node_hours():
    d = profiled(peak_hours=6, offpeak_share=0.4)
    d["regions"]["us-east-1"]["node_pools"]["app"]["root_volume"] = {"type": "gp3", "size_gb": 20}
    r = _run(d)
    node_hours = H * (6 / 24 * 4 + 18 / 24 * 2)
    # a root volume lives as long as its node: 20 GB x 2.5 nodes on average x $0.08/GB-month
    assert _cost(r, "us-east-1/node_pools/app") == pytest.approx(node_hours * C5X + 20 * 2.5 * 0.08)


def test_fixed_part_and_marginal_cost_follow_the_profile():
    r = _run(profiled(peak_hours=6, offpeak_share=0.4))
    # zero users: both levels at the pool minimum of 2 nodes
    assert r.monthly.fixed[0] == pytest.approx(EKS + 2 * H * C5X)
    # 3,500 users: peak 350 req/s -> 35 pods -> 5 nodes, off-peak 140 req/s -> 14 pods -> 2 nodes:
    # one more node for 6 h a day; egress grows 1,000 GB x 1,000 / 2,500 users = 400 GB at $0.09
    pu = r.per_user.set_index("month")
    assert pu.marginal_per_1000_users[0] == pytest.approx(H * 6 / 24 * C5X + 400 * 0.09)
    assert pu.deterministic[0] == pytest.approx(r.monthly.deterministic[0] / 2500)


def test_database_stays_sized_on_the_peak():
    """A profile does not move the database step: RDS does not autoscale. The primary needs
    users x 0.1 req/s x 20 ms / 0.7 > 4 vCPU from 1,400 users: month 14 at 35 % growth from
    1,000 users (12 ln 1.4 / ln 1.35 = 13.45)."""
    d = profiled(peak_hours=4, offpeak_share=0.2, users=1000, growth=0.35)
    d["regions"]["us-east-1"]["rds"] = {"main": {"instance_class": "db.r6g.xlarge", "multi_az": True,
                                                  "storage": {"type": "gp3", "size_gb": 100}}}
    d["projection"]["database"] = {"cpu_ms_per_request": 20, "max_cpu_utilisation": 0.7, "connections_per_pod": 1,
                                   "class_ladder": ["db.r6g.xlarge", "db.r6g.2xlarge"]}
    cat = mini_catalog([P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 1.798, variant="postgresql:multi-az")])
    r = _run(d, months=15, cat=cat)
    assert _cost(r, "us-east-1/rds/main", 13) == pytest.approx(0.899 * H + 100 * 0.23)
    assert _cost(r, "us-east-1/rds/main", 14) == pytest.approx(1.798 * H + 100 * 0.23)


def test_savings_plan_in_the_projection_covers_each_level():
    """$0.4/h at 0.107 / 0.17 covers $0.6355/h of on-demand c5.xlarge: all of the off-peak's
    2 nodes ($0.34/h) but not the peak's 4 ($0.68/h). The monthly average ($0.425/h) would
    wrongly look fully covered."""
    d = profiled(peak_hours=6, offpeak_share=0.4)
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 0.4}}}
    r = _run(d)
    k = 0.4 / SP_RATE * C5X
    covered = H * (6 / 24 * min(4 * C5X, k) + 18 / 24 * min(2 * C5X, k))
    assert _cost(r, "commitments/savings_plans/sp") == pytest.approx(0.4 * H - covered)
    assert covered < H * (6 / 24 * 4 + 18 / 24 * 2) * C5X  # the peak hours overflow on demand


def test_reference_stack_profile_moves_no_cost_while_pools_sit_at_their_minimums():
    """The reference stack's profile (4 peak hours, 0.2 off-peak: an average of 1/3 of the
    peak) changes no cost: at the peak its pools already sit at their minimums (the api needs
    ~46 x 0.67 / 25 = 2 pods, HPA minimum 3, on 3 app nodes), so the off-peak runs the same
    nodes. It adds one off-peak row per pool."""
    from projection_catalog import reference_catalog
    from projection_stacks import REFERENCE

    from costplan.stack import load_stack

    stack = load_stack(REFERENCE)
    assert stack.projection.daily_profile.peak_hours == 4
    assert (4 + 20 * stack.projection.daily_profile.offpeak_share) / 24 == pytest.approx(1 / 3)
    flat = stack.model_copy(deep=True)
    flat.projection.daily_profile = None
    cat = reference_catalog()
    a = project(stack, months=36, simulations=200, seed=3, catalog=cat)
    b = project(flat, months=36, simulations=200, seed=3, catalog=cat)
    for col in ("p10", "p50", "p90", "deterministic", "fixed"):
        assert np.allclose(a.monthly[col], b.monthly[col]), col
    assert np.allclose(a.per_user.marginal_per_1000_users, b.per_user.marginal_per_1000_users)
    off = a.capacity[(a.capacity.kind == "nodes_offpeak") & (a.capacity.month == 0)].set_index("resource")
    assert off.deterministic.to_dict() == {f"{r}/{p}/offpeak": n for r in ("us-east-1", "eu-west-1")
                                           for p, n in (("system", 2), ("app", 3), ("analytics", 2))}
    assert a.steps.equals(b.steps)


# -- Savings Plan sizing on two levels ---------------------------------------------------------
D = 1 - SP_RATE / C5X  # 0.3706


def test_two_level_optimum_by_hand():
    # one month: $0.68/h for 182.5 h, $0.34/h for 547.5 h. The lower d-quantile by time:
    # 0.34 is reached in 75% of the hours > d = 37%, so k* = 0.34
    u, w = [0.68, 0.34], [H * 0.25, H * 0.75]
    assert optimal_coverage(u, D, weights=w) == pytest.approx(0.34)
    # peak 18 h a day: the off-peak is 25% of the hours < d, so k* is the peak
    assert optimal_coverage(u, D, weights=[H * 0.75, H * 0.25]) == pytest.approx(0.68)
    # the cost: W (1 - d) k + sum w max(0, u - k)
    assert commitment_cost(u, (1 - D) * 0.34, D, weights=w) == pytest.approx(H * (1 - D) * 0.34 + H * 0.25 * 0.34)


@settings(max_examples=80, deadline=None)
@given(
    levels=st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.floats(0, 100, allow_nan=False)),
                    min_size=1, max_size=24),
    peak_hours=st.floats(0.5, 24),
    d=st.floats(0, 0.95),
)
def test_two_level_optimum_never_loses_to_a_brute_force_scan(levels, peak_hours, d):
    u = np.array(levels).ravel()  # month by month: peak, off-peak
    s = peak_hours / 24
    w = np.tile([H * s, H * (1 - s)], len(levels))
    c = (1 - d) * optimal_coverage(u, d, weights=w)
    best = commitment_cost(u, c, d, weights=w)
    scan = np.unique(np.r_[np.linspace(0, (1 - d) * max(u.max(), 1e-9), 301), (1 - d) * u])
    direct = np.array([np.sum(w * (x + np.maximum(0, u - x / (1 - d)))) for x in scan])
    assert best <= direct.min() + 1e-7 * max(1.0, abs(direct.min()))
    _, brute = brute_force_commitment(u, d, grid=101, weights=w)
    assert best == pytest.approx(brute, rel=1e-9, abs=1e-6)
    ev = evaluate_commitment(u, c, d, hours_per_value=w)
    assert ev.cost == pytest.approx(best, rel=1e-9, abs=1e-6)
    assert 0.0 <= ev.utilisation <= 1.0 + 1e-12 and 0.0 <= ev.coverage <= 1.0 + 1e-12
    assert ev.hours == round(H * len(levels))


def test_equal_weights_give_the_unweighted_answer():
    u = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0, 8.0])  # a year of months
    for payment in ("no-upfront", "all-upfront"):
        a = optimise_commitments(u, 0.3, payment=payment, hours_per_value=H)
        b = optimise_commitments(u, 0.3, payment=payment, hours_per_value=np.full(len(u), float(H)))
        cols = ["commitment", "coverage", "utilisation", "on_demand_cost", "cost", "break_even_month", "hours"]
        assert b.table[cols].iloc[0].to_dict() == pytest.approx(a.table[cols].iloc[0].to_dict())
        assert np.allclose(a.curve.cost, b.curve.cost)
    # all upfront: 0.7 x 3 = $2.1/h x 8,760 h = $18,396 paid up front; month by month the
    # on-demand spend (u x 730) minus the overflow above k = 3 catches up in month 11
    assert a.table.break_even_month.iloc[0] == b.table.break_even_month.iloc[0] == 11


def test_weights_must_match_the_usage():
    with pytest.raises(InputError, match="3 values for 2 usage values"):
        optimal_coverage([1.0, 2.0], 0.3, weights=[1.0, 1.0, 1.0])
    with pytest.raises(InputError, match=">= 0 hours"):
        evaluate_commitment([1.0, 2.0], 0.5, 0.3, hours_per_value=[1.0, -1.0])


def test_stack_commitments_see_both_levels():
    """Peak 4 nodes ($0.68/h) 6 h a day, off-peak 2 nodes ($0.34/h): the optimum covers the
    off-peak level, $0.34 x 0.107 / 0.17 = $0.214/h, not the monthly average $0.425/h."""
    d = profiled(peak_hours=6, offpeak_share=0.4)
    avg = 0.25 * 4 * C5X + 0.75 * 2 * C5X  # $0.425/h
    d["commitments"] = {"savings_plans": {"avg": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                  "hourly_commitment": (1 - D) * avg}}}
    res = stack_commitments(mini_stack(d), mini_catalog(), term="1yr", payment="all-upfront", simulations=0)
    row = res.table.iloc[0]
    assert row.discount == pytest.approx(D)
    assert row.commitment == pytest.approx(2 * SP_RATE)
    hours = 8760
    od = hours * avg
    cost = hours * 2 * SP_RATE + hours * 0.25 * (4 - 2) * C5X  # fee + the peak's 2 extra nodes on demand
    assert row.on_demand_cost == pytest.approx(od)
    assert row.net_savings == pytest.approx(od - cost)
    assert row.coverage == pytest.approx(2 * C5X / avg)  # 0.34 of 0.425 every hour
    assert row.utilisation == pytest.approx(1.0)
    assert row.hours == hours
    # a plan sized on the average covers $0.425/h: fully used at the peak, 0.34 / 0.425 off-peak
    ex = res.existing.set_index("name").loc["avg"]
    assert ex.utilisation == pytest.approx((0.25 * avg + 0.75 * 2 * C5X) / avg)
    assert ex.optimal_commitment == pytest.approx(2 * SP_RATE)
    assert ex.net_savings < row.net_savings


@pytest.mark.parametrize("peak_hours,count", [(6, 2), (18, 4)])
def test_reserved_instances_see_both_levels(peak_hours, count):
    """An RI at $0.10/h against $0.17/h on demand pays from d = 1 - 0.10 / 0.17 = 41% of the
    hours: 6 peak hours a day (25%) leave the off-peak's 2 nodes as the level to reserve;
    18 peak hours (75%) make the peak's 4 nodes worth reserving."""
    ri = 0.10
    cat = mini_catalog([P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", ri, model="reserved", term="1yr",
                          option="all-upfront", cls="standard")])
    res = stack_commitments(mini_stack(profiled(peak_hours=peak_hours, offpeak_share=0.4)), cat, term="1yr",
                            payment="all-upfront", simulations=0)
    row = res.reserved.set_index("resource").loc["us-east-1/app"]
    s = peak_hours / 24
    hours = 8760
    od = hours * (s * 4 + (1 - s) * 2) * C5X
    with_ri = hours * count * ri + hours * (s * max(0, 4 - count) + (1 - s) * max(0, 2 - count)) * C5X
    assert row["count"] == count
    assert row.on_demand_cost == pytest.approx(od)
    assert row.net_savings == pytest.approx(od - with_ri)


def test_instance_savings_plan_then_compute_plan_on_two_levels():
    """c5 family plan at 0.10 / 0.17 (41% off) covers the off-peak's $0.34/h ($0.20/h); what
    it leaves is $0.34/h for 25% of the hours and 0 for 75%, so the compute plan (37% off)
    commits nothing."""
    cat = mini_catalog([P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.10, model="savings_plan", term="1yr",
                          option="all-upfront", cls="ec2-instance")])
    res = stack_commitments(mini_stack(profiled(peak_hours=6, offpeak_share=0.4)), cat, term="1yr",
                            payment="all-upfront", simulations=0)
    c = res.combined.set_index("plan")
    assert c.loc["ec2-instance savings plan", "commitment"] == pytest.approx(2 * 0.10)
    assert c.loc["compute savings plan", "commitment"] == pytest.approx(0.0)
    od = 8760 * (0.25 * 4 + 0.75 * 2) * C5X
    assert c.on_demand_cost.iloc[0] == pytest.approx(od)
    assert c.net_savings.iloc[0] == pytest.approx(od - 8760 * (2 * 0.10 + 0.25 * 2 * C5X))


# -- spec validation -----------------------------------------------------------------------------
@pytest.fixture
def cat(tmp_path):
    return str(write_catalog(LIST, tmp_path / "cat" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"}))


@pytest.mark.parametrize("profile,fragments", [
    ({"peak_hours": 0, "offpeak_share": 0.2, "why": "bad"}, ["daily_profile.peak_hours", "greater than 0"]),
    ({"peak_hours": 25, "offpeak_share": 0.2, "why": "bad"}, ["daily_profile.peak_hours", "less than or equal to 24"]),
    ({"peak_hours": 4, "offpeak_share": 1.5, "why": "bad"}, ["daily_profile.offpeak_share", "less than or equal to 1"]),
    ({"peak_hours": 4, "offpeak_share": 0.2}, ["daily_profile.why", "required"]),
    ({"peak_hours": 4, "offpeak_share": 0.2, "why": "x", "peak_hour": 3}, ["peak_hour", "did you mean 'peak_hours'"]),
], ids=["peak-hours-0", "peak-hours-25", "offpeak-share-1.5", "missing-why", "typo"])
def test_bad_profile_exits_2_naming_the_field(write, cat, profile, fragments):
    d = mini_dict()
    d["projection"]["daily_profile"] = profile
    path = write("s.yaml", yaml.safe_dump(d))
    r = costplan("project", str(path), "--catalog", cat, "--simulations", "0", "--months", "2")
    assert r.code == 2, r.err
    assert "Traceback" not in r.err and "s.yaml" in r.err
    for f in fragments:
        assert f in r.err, f"{f!r} not in {r.err!r}"


def test_cli_json_has_the_offpeak_rows(write, cat):
    path = write("s.yaml", yaml.safe_dump(profiled(peak_hours=6, offpeak_share=0.4)))
    r = costplan("project", str(path), "--catalog", cat, "--simulations", "0", "--months", "2", "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    off = [c for c in out["capacity"] if c["kind"] == "nodes_offpeak" and c["month"] == 0]
    assert [(c["resource"], c["deterministic"]) for c in off] == [("us-east-1/app/offpeak", 2)]
    # 1,000 GB out, the first 100 GB free: 900 x $0.09 = $81
    assert out["monthly"][0]["deterministic"] == pytest.approx(EKS + H * (0.25 * 4 + 0.75 * 2) * C5X + 81)
