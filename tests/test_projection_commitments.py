"""Savings Plan / RI sizing: the exact optimum against hand values and a brute-force scan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from projection_stacks import REFERENCE

from costplan.errors import InputError
from costplan.projection.commitments import (
    brute_force_commitment,
    commitment_cost,
    evaluate_commitment,
    optimal_coverage,
    optimise_commitments,
    optimise_reserved_instances,
    size_in_aws_order,
    stack_commitments,
)


def test_hand_example():
    # u = 1,2,3,4 $/h; d = 0.5: k* = u_(ceil(4 x 0.5)) = u_(2) = 2, c* = 1 $/h
    u = [1.0, 2.0, 3.0, 4.0]
    assert optimal_coverage(u, 0.5) == 2.0
    # cost(1) = 4 x 1 + (0 + 0 + 1 + 2) = 7; cost(0) = 10; cost(1.5) = 6 + (0+0+0+1) = 7 (flat: j = Hd is whole)
    assert commitment_cost(u, 1.0, 0.5) == pytest.approx(7.0)
    assert commitment_cost(u, 0.0, 0.5) == pytest.approx(10.0)
    assert commitment_cost(u, 2.0, 0.5) == pytest.approx(8.0)
    assert optimal_coverage(u, 0.0) == 0.0


def test_flat_usage_is_fully_covered_with_hand_savings_and_break_even():
    u = pd.Series(10.0, index=pd.date_range("2027-01-01", periods=8760, freq="h"))
    plan = optimise_commitments(u, {("1yr", "all-upfront"): 0.3, ("1yr", "no-upfront"): 0.25})
    t = plan.table.set_index("payment")
    assert t.loc["all-upfront", "commitment"] == pytest.approx(7.0)  # (1 - 0.3) x 10
    assert t.loc["all-upfront", "cost"] == pytest.approx(7.0 * 8760)
    assert t.loc["all-upfront", "net_savings"] == pytest.approx(3.0 * 8760)
    assert t.loc["all-upfront", "coverage"] == pytest.approx(1.0)
    assert t.loc["all-upfront", "utilisation"] == pytest.approx(1.0)
    assert t.loc["all-upfront", "upfront"] == pytest.approx(7.0 * 8760)
    # upfront $61,320 is recovered when cumulative on-demand spend (7,300 a month) reaches it: month 9
    assert t.loc["all-upfront", "break_even_month"] == 9
    assert t.loc["no-upfront", "break_even_month"] == 1
    assert plan.table.payment.iloc[0] == "all-upfront"  # best first
    assert plan.curve.optimum.sum() == 2


def test_oversized_commitment_is_partly_wasted():
    u = np.r_[np.full(4380, 10.0), np.full(4380, 0.0)]
    ev = evaluate_commitment(u, 7.0, 0.3, "1yr", "no-upfront")
    assert ev.utilisation == pytest.approx(0.5)
    assert ev.coverage == pytest.approx(1.0)
    assert ev.net_savings == pytest.approx(10 * 4380 - 7 * 8760)  # negative: a loss
    # month 1 (730 h at $10/h on demand = $7,300): the plan's $7/h covers all of it for
    # 7 x 730 = $5,110, cheaper; the loss comes in the idle second half of the year
    assert ev.break_even_month == 1


def test_reserved_instances_are_a_whole_number_quantile():
    counts = np.r_[np.full(5000, 2.0), np.full(3760, 3.0)]
    # d = 1 - 0.10 / 0.17 = 0.412: the 3,607th smallest count is 2
    assert optimise_reserved_instances(counts, 0.17, 0.10) == 2
    counts = np.r_[np.full(3000, 2.0), np.full(5760, 3.0)]
    assert optimise_reserved_instances(counts, 0.17, 0.10) == 3


def test_aws_order_ris_then_compute_plan_on_what_is_left():
    usage = pd.DataFrame({"c5.xlarge": np.full(100, 4.0), "m5.2xlarge": np.full(100, 1.0)})
    out = size_in_aws_order(usage, {"c5.xlarge": 0.17, "m5.2xlarge": 0.384}, ri_rates={"c5.xlarge": 0.10},
                            compute_sp_discount=0.3)
    assert out["reserved_instances"] == {"c5.xlarge": 4}
    # left: 1 x m5.2xlarge = $0.384/h, covered by a compute plan of 0.7 x 0.384
    assert out["compute_sp"] == pytest.approx(0.7 * 0.384)
    assert np.allclose(out["left_on_demand"], 0.0)


def test_bad_inputs():
    with pytest.raises(InputError, match="negative"):
        optimal_coverage([1.0, -2.0], 0.3)
    with pytest.raises(InputError, match=r"discount must be in \[0, 1\)"):
        optimal_coverage([1.0], 1.0)
    with pytest.raises(InputError, match="empty"):
        optimal_coverage([], 0.2)
    with pytest.raises(InputError, match="no discount known"):
        optimise_commitments([1.0, 2.0], {("1yr", "no-upfront"): 0.2}, term="3yr")


@settings(max_examples=80, deadline=None)
@given(
    usage=st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=200),
    d=st.floats(0, 0.95),
)
def test_optimiser_never_loses_to_any_scanned_commitment(usage, d):
    u = np.array(usage)
    c = (1 - d) * optimal_coverage(u, d)
    best = commitment_cost(u, c, d)
    scan = np.unique(np.r_[np.linspace(0, (1 - d) * max(u.max(), 1e-9), 301), (1 - d) * u])
    direct = np.array([np.sum(x + np.maximum(0, u - x / (1 - d))) for x in scan])
    assert best <= direct.min() + 1e-7 * max(1.0, abs(direct.min()))
    _, brute = brute_force_commitment(u, d, grid=101)
    assert best == pytest.approx(brute, rel=1e-9, abs=1e-7)
    ev = evaluate_commitment(u, c, d)
    assert 0.0 <= ev.utilisation <= 1.0 + 1e-12
    assert 0.0 <= ev.coverage <= 1.0 + 1e-12
    assert ev.net_savings >= -1e-7  # never worse than no plan (c = 0 is a candidate)


def test_guides_commitments_on_the_reference_stack():
    from projection_catalog import reference_catalog

    res = stack_commitments(REFERENCE, reference_catalog(), simulations=50)
    # the test catalog prices only 1yr all-upfront Compute Savings Plans (37% off everywhere)
    assert list(zip(res.table.term, res.table.payment, strict=True)) == [("1yr", "all-upfront")]
    row = res.table.iloc[0]
    assert row.discount == pytest.approx(0.37, abs=1e-3)
    # nodes stay at their minimums, so usage is flat: the optimum covers all on-demand EC2:
    # us-east-1 2 x 0.085 + 3 x 0.17 + 2 x 0.384; eu-west-1 2 x 0.096 + 3 x 0.192 + 2 x 0.428 [USD/h]
    od = 2 * 0.085 + 3 * 0.17 + 2 * 0.384 + 2 * 0.096 + 3 * 0.192 + 2 * 0.428
    assert row.commitment == pytest.approx(od * (1 - row.discount), rel=1e-9)
    ex = res.existing.set_index("name").loc["compute"]
    assert ex.commitment == 2.05 and ex.upfront == pytest.approx(2.05 * 8760)
    # $2.05/h at 37% off covers 2.05 / 0.63 = $3.25/h of on-demand usage, more than the $3.07/h running
    assert ex.coverage == pytest.approx(1.0)
    assert ex.utilisation == pytest.approx(od / (2.05 / (1 - row.discount)))
    assert ex.net_savings == pytest.approx((od - 2.05) * 8760)
    assert any("capacity reservation for 'db.r6g.xlarge'" in f and "no discount" in f for f in res.findings)


def test_reserved_instances_sized_on_the_projected_node_counts():
    from helpers import P, mini_catalog
    from projection_stacks import mini_stack

    cat = mini_catalog([P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.10, model="reserved", term="1yr",
                          option="all-upfront", cls="standard")])
    res = stack_commitments(mini_stack(), cat, term="1yr", payment="all-upfront", simulations=0)
    ri = res.reserved.set_index("resource").loc["us-east-1/app"]
    # 2 nodes in every month of the first year: buy 2; saving (0.17 - 0.10) x 2 x 8,760 h
    assert ri["count"] == 2
    assert ri.net_savings == pytest.approx(2 * (0.17 - 0.10) * 8760)
    assert ri.utilisation == pytest.approx(1.0)
    # the Savings Plan alternative for the same usage: 0.107 / 0.17 of $0.34/h
    assert res.table.commitment.iloc[0] == pytest.approx(2 * 0.107)


def test_instance_savings_plans_then_compute_plan_in_aws_order():
    from helpers import P, mini_catalog
    from projection_stacks import mini_stack

    cat = mini_catalog([P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.10, model="savings_plan", term="1yr",
                          option="all-upfront", cls="ec2-instance")])
    res = stack_commitments(mini_stack(), cat, term="1yr", payment="all-upfront", simulations=0)
    c = res.combined.set_index("plan")
    # 2 c5.xlarge all year: the c5 family plan at 0.10/0.17 covers them all; nothing is left for the compute plan
    assert c.loc["ec2-instance savings plan", "scope"] == "c5@us-east-1"
    assert c.loc["ec2-instance savings plan", "commitment"] == pytest.approx(2 * 0.10)
    assert c.loc["compute savings plan", "commitment"] == pytest.approx(0.0)
    assert c.net_savings.iloc[0] == pytest.approx(2 * (0.17 - 0.10) * 8760)


def test_family_of_a_region_qualified_column():
    out = size_in_aws_order(pd.DataFrame({"c5.large@us-east-1": [2.0] * 10, "c5.xlarge@us-east-1": [1.0] * 10}),
                            {"c5.large@us-east-1": 0.085, "c5.xlarge@us-east-1": 0.17},
                            ec2_sp_discounts={"c5@us-east-1": 0.4})
    # one family plan covers both sizes: (2 x 0.085 + 0.17) x 0.6
    assert out["ec2_instance_sp"] == {"c5@us-east-1": pytest.approx(0.34 * 0.6)}
    assert out["hourly_fees"] == pytest.approx(0.34 * 0.6)


def test_stack_commitments_without_the_alternatives_sizes_the_same_savings_plans():
    """``alternatives=False`` (what the decisions read) leaves out the reserved-instance and
    combined sizing and nothing else: the same Savings Plan table and the same evaluation of
    the stack's own plans, to the cent."""
    from projection_catalog import reference_catalog

    full = stack_commitments(REFERENCE, reference_catalog(), simulations=20, seed=3)
    only = stack_commitments(REFERENCE, reference_catalog(), simulations=20, seed=3, alternatives=False)
    assert len(full.combined)  # the full call has one (the test catalog prices no RI), so the check can fail
    assert only.reserved.empty and only.combined.empty
    pd.testing.assert_frame_equal(only.table, full.table)
    pd.testing.assert_frame_equal(only.existing, full.existing)
