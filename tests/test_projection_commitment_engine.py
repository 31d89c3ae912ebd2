"""The estimate and the projection apply commitments through one engine
(costplan.components.commitments.CommitmentEngine): on the deterministic path the first
projected month is the estimate, and later months follow the projected instances with the
same AWS rules. Expected values worked out by hand from the list prices in tests/helpers.py
and the rates typed in below."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import P, mini_catalog
from projection_stacks import FIXED, REFERENCE, db_dict, mini_dict, mini_stack

from costplan.components.commitments import CommitmentEngine, Usage
from costplan.estimator import estimate
from costplan.pricing.catalog import default_catalog
from costplan.projection import project
from costplan.stack.loader import stack_from_data

H = 730
C5L, C5X = 0.085, 0.17  # on-demand [USD/h]
EKS = 0.10 * H
EGRESS0 = (1000 - 100) * 0.09  # 1,000 GB out, the account's first 100 GB free

RATES = [  # typed in for these tests [USD/h]
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.05, model="reserved", term="1yr", option="no-upfront",
      cls="standard"),
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.054, model="savings_plan", term="1yr", option="all-upfront",
      cls="compute"),
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.06, model="savings_plan", term="1yr", option="all-upfront",
      cls="ec2-instance"),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.11, model="savings_plan", term="1yr", option="all-upfront",
      cls="ec2-instance"),
]


def cat():
    return mini_catalog(RATES)


def components(r, month: int) -> dict[str, float]:
    bc = r.by_component[r.by_component.month == month]
    return dict(zip(bc.component, bc.deterministic, strict=True))


def month0_is_the_estimate(stack, catalog) -> tuple:
    """Month 0 of the deterministic projection against the estimate, component by component."""
    e = estimate(stack, catalog)
    r = project(stack, months=25, simulations=0, catalog=catalog)
    planned = e.lines.groupby("component", sort=False).ListCost.sum().to_dict()
    assert components(r, 0) == pytest.approx(planned, abs=0.005)
    assert r.monthly.deterministic[0] == pytest.approx(e.total_monthly_cost, abs=0.005)
    return e, r


def with_commitments(commitments: dict, **pools) -> dict:
    d = mini_dict()
    for name, (itype, n) in pools.items():
        d["regions"]["us-east-1"]["node_pools"][name] = {"instance_types": [itype], "count": n}
    d["commitments"] = commitments
    return d


# -- the first projected month is the estimate ------------------------------------------------
def test_ri_then_ec2_instance_plan_then_compute_plan_month0_is_the_estimate_by_hand():
    # running: app 2 x c5.xlarge (the mini stack's month 0), batch 2 x c5.large.
    # 1. the c5.large RI (4 units) goes to the smallest size first: 1 batch instance,
    #    fee 0.05 x 730 = 36.50, covers 0.085 x 730 = 62.05.
    # 2. the c5 EC2 Instance plan, $0.10/h, highest discount first: xlarge 1 - 0.11/0.17 =
    #    35.3% before large 1 - 0.06/0.085 = 29.4%: 0.10 / 0.11 = 0.909 xlarge covered,
    #    0.909 x 0.17 x 730 = 112.82; fee 73.00.
    # 3. the Compute plan, $0.20/h: the xlarge left (1.091 x 0.107 = $0.1167/h), then the
    #    large left (0.054): everything is covered, $0.0294/h unused; fee 146.00.
    # So the month costs the fixed lines plus the fees: 73 + 81 + 36.50 + 73 + 146 = 409.50.
    d = with_commitments({
        "reserved_instances": {"ri": {"service": "ec2", "instance_type": "c5.large", "region": "us-east-1"}},
        "savings_plans": {
            "family": {"type": "ec2-instance", "region": "us-east-1", "instance_family": "c5", "term": "1yr",
                       "payment": "all-upfront", "hourly_commitment": 0.10},
            "compute": {"type": "compute", "term": "1yr", "payment": "all-upfront", "hourly_commitment": 0.20},
        },
    }, batch=("c5.large", 2))
    e, r = month0_is_the_estimate(mini_stack(d), cat())
    assert e.total_monthly_cost == pytest.approx(EKS + EGRESS0 + 36.50 + 73.00 + 146.00)
    comp = components(r, 0)
    assert comp["commitments/reserved_instances/ri"] == pytest.approx(36.50 - 62.05)
    assert comp["commitments/savings_plans/family"] == pytest.approx(73.00 - 0.10 / 0.11 * C5X * H)
    assert comp["commitments/savings_plans/compute"] == pytest.approx(
        146.00 - ((2 - 0.10 / 0.11) * C5X * H + C5L * H))


def test_size_flexible_ri_follows_the_growing_pool():
    # 6 c5.large RIs = 24 units = 3 c5.xlarge. Month 0 runs 2 xlarge: covered 2 x 0.17 x 730 =
    # 248.20 against the fee 6 x 0.05 x 730 = 219.00. Month 24 runs 3 (the mini stack's growth):
    # the same RIs cover all three, 372.30.
    d = with_commitments({"reserved_instances": {"ri": {
        "service": "ec2", "instance_type": "c5.large", "region": "us-east-1", "count": 6}}})
    _, r = month0_is_the_estimate(mini_stack(d), cat())
    assert components(r, 0)["commitments/reserved_instances/ri"] == pytest.approx(219.00 - 248.20)
    assert components(r, 24)["commitments/reserved_instances/ri"] == pytest.approx(219.00 - 372.30)
    assert components(r, 24)["us-east-1/node_pools/app"] == pytest.approx(3 * C5X * H)


def test_capacity_reservation_is_unused_only_while_fewer_instances_run():
    # 3 c5.xlarge reserved. Month 0 runs 2: one reserved instance unused, billed at on-demand
    # 0.17 x 730 = 124.10. Month 24 runs 3: the reservation is used, nothing billed for it.
    d = with_commitments({"capacity_reservations": {"cr": {"instance_type": "c5.xlarge", "region": "us-east-1",
                                                           "count": 3}}})
    _, r = month0_is_the_estimate(mini_stack(d), cat())
    assert components(r, 0)["commitments/capacity_reservations/cr"] == pytest.approx(124.10)
    assert components(r, 24)["commitments/capacity_reservations/cr"] == pytest.approx(0.0)
    egress24 = (1000 * 1.35**2 - 100) * 0.09
    assert r.monthly.deterministic[24] == pytest.approx(EKS + 3 * C5X * H + egress24)


def test_reservation_under_a_savings_plan_is_billed_once_in_the_projection():
    # 2 c5.xlarge reserved and running under a $0.214/h Compute plan (2 x 0.107): the plan
    # covers both, the reservation adds nothing. Month 0 = EKS + egress + the fee 0.214 x 730.
    d = with_commitments({
        "capacity_reservations": {"cr": {"instance_type": "c5.xlarge", "region": "us-east-1", "count": 2}},
        "savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                 "hourly_commitment": 0.214}},
    })
    e, r = month0_is_the_estimate(mini_stack(d), cat())
    assert e.total_monthly_cost == pytest.approx(EKS + EGRESS0 + 0.214 * H)
    assert "commitments/capacity_reservations/cr" not in components(r, 0)


def test_ri_not_renewed_ends_after_its_term():
    d = with_commitments({"reserved_instances": {"ri": {
        "service": "ec2", "instance_type": "c5.large", "region": "us-east-1", "count": 2}}})
    d["projection"]["renew_commitments"] = False
    r = project(mini_stack(d), months=14, simulations=0, catalog=cat())
    # 2 c5.large RIs = one c5.xlarge: fee 73.00, covers 124.10, for 12 months; then nothing
    assert components(r, 11)["commitments/reserved_instances/ri"] == pytest.approx(73.00 - 124.10)
    assert components(r, 12)["commitments/reserved_instances/ri"] == 0.0


def test_rds_ri_for_the_next_class_matches_once_the_database_steps_there():
    # the primary steps db.r6g.xlarge -> db.r6g.2xlarge in month 14 (test_projection_engine);
    # an RI bought for the 2xlarge (0.90 $/h, typed in) is unused before, used from then on,
    # covering the 2xlarge's on-demand 1.798 x 730.
    d = db_dict()
    d["commitments"] = {"reserved_instances": {"db": {
        "service": "rds", "instance_type": "db.r6g.2xlarge", "region": "us-east-1", "multi_az": True,
        "engine": "postgresql"}}}
    catalog = mini_catalog(RATES + [
        P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 1.798, variant="postgresql:multi-az"),
        P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 0.90, variant="postgresql:multi-az",
          model="reserved", term="1yr", option="no-upfront", cls="standard")])
    _, r = month0_is_the_estimate(mini_stack(d), catalog)
    ri = "commitments/reserved_instances/db"
    assert components(r, 13)[ri] == pytest.approx(0.90 * H)
    assert components(r, 14)[ri] == pytest.approx(0.90 * H - 1.798 * H)


def reference_data() -> dict:
    """The reference stack as data; the sensor volume is sized from the drivers in the
    projection, and at 1,000 points a user and a day its claims keep the stack's 100 GB, so
    that month 0 is the estimate line for line."""
    import yaml

    with open(REFERENCE) as f:
        data = yaml.safe_load(f)
    data["projection"]["drivers"]["sensor_points_per_user_day"] = {"value": 1000, "why": FIXED}
    return data


def test_reference_stack_month0_is_the_estimate():
    month0_is_the_estimate(stack_from_data(reference_data(), REFERENCE), default_catalog())


def test_reference_stack_with_ris_plans_and_reservations_month0_is_the_estimate():
    data = reference_data()
    data["commitments"]["reserved_instances"] = {
        "system": {"service": "ec2", "instance_type": "c5.large", "region": "us-east-1", "count": 3},
        "cache": {"service": "elasticache", "instance_type": "cache.r7g.large", "region": "us-east-1", "count": 2,
                  "engine": "redis"},
    }
    data["commitments"]["savings_plans"]["m5"] = {
        "type": "ec2-instance", "region": "us-east-1", "instance_family": "m5", "term": "1yr",
        "payment": "no-upfront", "hourly_commitment": 0.3}
    data["commitments"]["capacity_reservations"]["app"] = {"instance_type": "c5.xlarge", "region": "eu-west-1",
                                                           "count": 5}
    stack = stack_from_data(data, REFERENCE)
    e, _ = month0_is_the_estimate(stack, default_catalog())
    assert {"commitments/reserved_instances/system", "commitments/reserved_instances/cache",
            "commitments/savings_plans/m5", "commitments/capacity_reservations/app"} <= set(e.lines.component)


# -- the engine keeps its input's shape -------------------------------------------------------
def test_engine_on_arrays_is_the_engine_on_each_element():
    from costplan.stack.models import Commitments

    c = Commitments.model_validate({
        "reserved_instances": {"ri": {"service": "ec2", "instance_type": "c5.large", "region": "us-east-1",
                                      "count": 3}},
        "savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                 "hourly_commitment": 0.2}},
        "capacity_reservations": {"cr": {"instance_type": "c5.xlarge", "region": "us-east-1", "count": 2}},
    })
    usage = [Usage("AmazonEC2", "c5.xlarge", "us-east-1", "", C5X), Usage("AmazonEC2", "c5.large", "us-east-1", "", C5L)]
    engine = CommitmentEngine(c, usage, cat())
    xl = np.array([[0.0, 1.0, 2.5], [3.0, 4.0, 7.0]])
    lg = np.array([[1.0, 0.0, 2.0], [5.0, 0.5, 0.0]])
    arr = engine.apply([xl, lg], H)
    for idx in np.ndindex(xl.shape):
        one = engine.apply([float(xl[idx]), float(lg[idx])], H)
        assert arr.ri_covered["ri"][idx] == pytest.approx(one.ri_covered["ri"])
        assert arr.sp_covered["sp"][idx] == pytest.approx(one.sp_covered["sp"])
        assert arr.unused_reserved["cr"][idx] == pytest.approx(one.unused_reserved["cr"])
    # by hand, 0 xlarge and 1 large running: the reservation's 2 xlarge are unused, the RI
    # (12 units) covers the large (4) and one unused reserved xlarge (8)
    one = engine.apply([0.0, 1.0], H)
    assert one.unused_reserved["cr"] == 2.0
    assert one.ri_covered["ri"] == pytest.approx((C5L + C5X) * H)


def test_sized_plans_are_valued_by_the_engine_at_each_types_own_rate():
    # a $0.22/h c5 EC2 Instance plan over two hours: 2 x c5.xlarge (plan rate 0.11: exactly
    # $0.22/h, all covered), then 2 x c5.large (0.06: $0.12/h, all covered). Each hour costs
    # the fee alone, 0.44 in all; an average family discount would leave $0.01 uncovered.
    import pandas as pd

    from costplan.projection.commitments import _cost_with_plans

    class Model:
        catalog = cat()

    usage = pd.DataFrame({"c5.xlarge@us-east-1": [2.0, 0.0], "c5.large@us-east-1": [0.0, 2.0]})
    od = {"c5.xlarge@us-east-1": C5X, "c5.large@us-east-1": C5L}
    sized = {"ec2_instance_sp": {"c5@us-east-1": 0.22}, "compute_sp": 0.0}
    assert _cost_with_plans(Model, usage, od, sized, "1yr", "all-upfront", np.ones(2), 1) == pytest.approx(0.44)
