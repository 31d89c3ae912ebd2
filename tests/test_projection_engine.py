"""The projection engine on small stacks, against costs computed by hand from list prices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import P, mini_catalog
from hypothesis import given, settings
from hypothesis import strategies as st
from projection_stacks import REFERENCE, db_dict, mini_dict, mini_stack

from costplan.errors import InputError
from costplan.projection import project, users_by_month
from costplan.projection.drivers import draw
from costplan.projection.simulate import ProjectionModel
from costplan.stack.models import Driver

H = 730
C5X = 0.17  # c5.xlarge on-demand [USD/h]
EKS = 0.10 * H


def test_10000_users_growing_35_percent_a_year_are_13500_in_month_12():
    assert users_by_month(10_000, 0.35, 13)[12] == pytest.approx(13_500)
    assert users_by_month(10_000, 0.35, 7)[6] == pytest.approx(10_000 * math.sqrt(1.35))


def test_reference_stack_users_in_month_12():
    from projection_catalog import reference_catalog

    r = project(REFERENCE, months=13, simulations=0, catalog=reference_catalog())
    assert r.monthly.users_p50.iloc[12] == pytest.approx(13_500)


def _nodes(users):
    pods = max(2, math.ceil(users * 0.1 / 10 - 1e-9))  # 10 req/s per pod, HPA min 2
    return min(5, max(2, math.ceil(pods * 0.5 / 3.5 - 1e-9)))  # 0.5 vCPU per pod on 3.5 vCPU nodes


def test_deterministic_costs_by_hand():
    r = project(mini_stack(), simulations=0, catalog=mini_catalog())
    m = r.monthly.set_index("month")
    for month in (0, 12, 24, 35):
        users = 1000 * 1.35 ** (month / 12)
        egress = users * 1.0  # GB: the account's first 100 GB free (AWS Free Tier), then the first tier's $0.09
        expected = EKS + _nodes(users) * H * C5X + (egress - 100) * 0.09
        assert m.p50[month] == pytest.approx(expected, rel=1e-9), month
        assert m.p10[month] == m.p50[month] == m.p90[month] == m.deterministic[month]
    # month 12: 1,350 users -> 135 req/s -> 14 pods -> 7.0 vCPU = exactly 2 nodes
    cap = r.capacity.set_index(["resource", "month"])
    assert cap.loc[("us-east-1/app/pods/api", 12), "p50"] == 14
    assert cap.loc[("us-east-1/app", 12), "p50"] == 2
    # month 24: 1,822.5 users -> 19 pods -> 9.5 vCPU -> 3 nodes
    assert cap.loc[("us-east-1/app", 24), "p50"] == 3
    step = r.steps.set_index("resource").loc["us-east-1/app"]
    assert step["from"] == "2" and step["to"] == "3"
    first3 = next(mo for mo in range(36) if _nodes(1000 * 1.35 ** (mo / 12)) == 3)
    assert step["month"] == first3
    # fixed part: zero users -> pool minimum 2 nodes + EKS; egress is all variable
    assert m.fixed[0] == pytest.approx(EKS + 2 * H * C5X)


def test_pool_at_max_is_reported():
    r = project(mini_stack(mini_dict(projection__drivers__annual_growth={"value": 1.0, "why": "doubling"})),
                simulations=0, catalog=mini_catalog())
    cap = r.capacity.set_index(["resource", "month"])
    # 1000 x 2^(m/12) users need > 5 nodes (17.5 vCPU = 35 pods = 3,500 users) from month 22
    assert cap.loc[("us-east-1/app", 21), "at_limit_share"] == 0
    assert cap.loc[("us-east-1/app", 22), "at_limit_share"] == 1
    assert cap.loc[("us-east-1/app", 35), "p50"] == 5
    step = r.steps.set_index("resource").loc["us-east-1/app"]
    assert step.first_month_at_limit == 22
    assert any("exceeds pool max 5 from month 22" in w for w in r.warnings)


def test_spot_pool_costs_the_blend_of_spot_and_fallback():
    d = mini_dict()
    d["regions"]["us-east-1"]["node_pools"]["app"]["capacity"] = "spot"
    r = project(mini_stack(d), months=1, simulations=0, catalog=mini_catalog())
    # 2 nodes x 730 h x (10% on demand at 0.17 + 90% spot at 0.0748)
    expected_pool = 2 * H * (0.1 * 0.17 + 0.9 * 0.0748)
    comp = r.by_component.set_index("component")
    assert comp.loc["us-east-1/node_pools/app", "p50"] == pytest.approx(expected_pool)
    assert len(r.spot) == 1 and r.spot.saving.iloc[0] == pytest.approx(2 * H * 0.17 - expected_pool)


def test_savings_plan_covers_at_most_its_commitment_and_at_most_the_usage():
    d = mini_dict()
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 0.5}}}
    r = project(mini_stack(d), simulations=0, catalog=mini_catalog())
    comp = r.by_component[r.by_component.component == "commitments/savings_plans/sp"].set_index("month")
    # month 0: 2 nodes = $0.34/h on demand, all covered (the plan could cover 0.5 / 0.107 x 0.17 = $0.794/h)
    assert comp.p50[0] == pytest.approx(0.5 * H - 2 * C5X * H)
    # month 24: 3 nodes = $0.51/h, still all covered
    assert comp.p50[24] == pytest.approx(0.5 * H - 3 * C5X * H)
    d["commitments"]["savings_plans"]["sp"]["hourly_commitment"] = 0.2
    r = project(mini_stack(d), simulations=0, catalog=mini_catalog())
    comp = r.by_component[r.by_component.component == "commitments/savings_plans/sp"].set_index("month")
    # $0.2/h covers 0.2 / 0.107 instance-hours per hour, valued at 0.17
    assert comp.p50[24] == pytest.approx(0.2 * H - 0.2 / 0.107 * C5X * H)


def _db_stack():
    return mini_stack(db_dict())


def test_database_steps_up_a_class_when_cpu_headroom_runs_out():
    cat = mini_catalog([P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 1.798, variant="postgresql:multi-az")])
    r = project(_db_stack(), simulations=0, catalog=cat)
    # need = users x 0.1 req/s x 20 ms / 0.7 > 4 vCPU  <=>  users > 1,400  <=>  month > 12 ln 1.4 / ln 1.35 = 13.45
    comp = r.by_component.set_index(["component", "month"])
    assert comp.loc[("us-east-1/rds/main", 13), "p50"] == pytest.approx(0.899 * H + 100 * 0.23)
    assert comp.loc[("us-east-1/rds/main", 14), "p50"] == pytest.approx(1.798 * H + 100 * 0.23)
    cap = r.capacity.set_index(["resource", "month"])
    assert cap.loc[("us-east-1/main/class", 14), "label"] == "db.r6g.2xlarge"
    step = r.steps.set_index("resource").loc["us-east-1/main/class"]
    assert (step["month"], step["from"], step["to"]) == (14, "db.r6g.xlarge", "db.r6g.2xlarge")


def test_a_step_to_an_unpriced_class_is_an_error_not_zero():
    with pytest.raises(InputError, match="db.r6g.2xlarge.*no price"):
        project(_db_stack(), simulations=0, catalog=mini_catalog())


def test_stack_without_projection_section_is_an_input_error():
    d = mini_dict()
    del d["projection"]
    with pytest.raises(InputError, match="no `projection:` section"):
        project(mini_stack(d), catalog=mini_catalog())


def test_projection_spec_rejects_unknown_keys_and_bad_ranges():
    d = mini_dict()
    d["projection"]["drivers"]["active_users"]["hihg"] = 3
    with pytest.raises(InputError, match="hihg"):
        mini_stack(d)
    d = mini_dict(projection__drivers__active_users={"value": 10, "low": 20, "high": 30, "why": "bad"})
    with pytest.raises(InputError, match="low <= value <= high"):
        mini_stack(d)
    d = mini_dict(projection__drivers__peak_rps_per_user={"value": -1, "why": "negative"})
    with pytest.raises(InputError, match="peak_rps_per_user must be >= 0"):
        mini_stack(d)


@pytest.mark.parametrize("dist,low,high", [("normal", 80, 120), ("lognormal", 80, 125)])
def test_low_and_high_are_the_10th_and_90th_percentiles(dist, low, high):
    # normal: symmetric around the value; lognormal: symmetric in log space (80 x 125 = 100^2)
    d = Driver(value=100, low=low, high=high, distribution=dist, why="test")
    x = draw(d, 200_000, np.random.default_rng(1))
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    assert p50 == pytest.approx(100, rel=0.01)
    assert p10 == pytest.approx(low, rel=0.01) and p90 == pytest.approx(high, rel=0.01)


def test_uniform_and_triangular_stay_in_bounds_and_fixed_repeats():
    rng = np.random.default_rng(0)
    for dist in ("uniform", "triangular"):
        x = draw(Driver(value=2, low=1, high=5, distribution=dist, why="test"), 10_000, rng)
        assert x.min() >= 1 and x.max() <= 5
    assert draw(Driver(value=3, why="test"), 4, rng).tolist() == [3, 3, 3, 3]


def test_monte_carlo_ranges_are_ordered_and_seeded():
    from projection_catalog import reference_catalog

    cat = reference_catalog()
    a = project(REFERENCE, simulations=300, seed=1, catalog=cat)
    b = project(REFERENCE, simulations=300, seed=1, catalog=cat)
    c = project(REFERENCE, simulations=300, seed=2, catalog=cat)
    for df in (a.monthly, a.by_component, a.per_user, a.capacity):
        assert (df.p10 <= df.p50 + 1e-9).all() and (df.p50 <= df.p90 + 1e-9).all()
    assert a.monthly.p50.equals(b.monthly.p50)
    assert not a.monthly.p50.equals(c.monthly.p50)
    assert (a.monthly.p90 > a.monthly.p10).all()  # the drivers are uncertain: the band is not empty
    # components add up to the total on the central path
    det = a.by_component.groupby("month").deterministic.sum()
    assert np.allclose(det.to_numpy(), a.monthly.deterministic.to_numpy())


@settings(max_examples=30, deadline=None)
@given(
    users=st.lists(st.floats(0, 200_000), min_size=2, max_size=20),
    growth=st.floats(-0.5, 2.0),
)
def test_more_users_never_means_fewer_nodes_or_lower_cost(users, growth):
    from projection_catalog import reference_catalog

    model = _reference_model(reference_catalog)
    u = np.sort(np.array(users))
    n = len(u)
    draws = {k: np.full(n, v) for k, v in model.central.items()}
    draws["active_users"] = u
    draws["annual_growth"] = np.full(n, growth)
    demand = model.demand(draws, 12)
    capa = model.capacity(demand, draws)
    cost = sum(model.cost(demand, capa).values())
    assert (np.diff(cost, axis=0) >= -1e-6).all()
    for name, c in capa.items():
        assert (np.diff(np.asarray(c["value"], float), axis=0) >= 0).all(), name


_MODEL = {}


def _reference_model(cat_factory):
    if "m" not in _MODEL:
        from costplan.stack import load_stack

        _MODEL["m"] = ProjectionModel(load_stack(REFERENCE), cat_factory())
    return _MODEL["m"]


def test_per_user_cost_falls_as_fixed_costs_are_amortised():
    r = project(mini_stack(), simulations=0, catalog=mini_catalog())
    pu = r.per_user.set_index("month")
    users0 = 1000.0
    assert pu.deterministic[0] == pytest.approx(r.monthly.p50[0] / users0)
    assert pu.fixed_per_user[0] == pytest.approx((EKS + 2 * H * C5X) / users0)
    assert pu.deterministic[35] < pu.deterministic[0]
    # the next 1,000 users in month 0: 2,000 users need 20 pods = 10 vCPU = 3 nodes (+1 node) and 1,000 GB more egress
    assert pu.marginal_per_1000_users[0] == pytest.approx(H * C5X + 1000 * 0.09)


def test_month_0_central_path_is_the_estimate():
    from costplan.estimator import estimate

    stack = mini_stack()
    r = project(stack, months=2, simulations=0, catalog=mini_catalog())
    assert r.monthly.deterministic.iloc[0] == pytest.approx(estimate(stack, mini_catalog()).total_monthly_cost)


def test_negative_growth_draws_are_not_clipped_at_zero():
    d = Driver(value=-0.1, low=-0.3, high=0.1, distribution="normal", why="shrinking")
    from costplan.projection.drivers import GROWTH_FLOOR

    x = draw(d, 10_000, np.random.default_rng(0), floor=GROWTH_FLOOR)
    assert np.median(x) == pytest.approx(-0.1, abs=0.01) and x.min() >= GROWTH_FLOOR
    r = project(mini_stack(mini_dict(projection__drivers__annual_growth={"value": -0.2, "why": "decline"})),
                months=13, simulations=0, catalog=mini_catalog())
    assert r.monthly.users_p50.iloc[12] == pytest.approx(800)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), paths=st.integers(2, 60))
def test_quantiles_are_ordered_for_any_seed(seed, paths):
    d = mini_dict()
    d["projection"]["drivers"]["active_users"] = {"value": 1000, "low": 500, "high": 2000, "why": "wide"}
    d["projection"]["drivers"]["annual_growth"] = {"value": 0.3, "low": -0.2, "high": 0.8, "distribution": "normal",
                                                   "why": "wide"}
    r = project(mini_stack(d), months=12, simulations=paths, seed=seed, catalog=mini_catalog())
    for df in (r.monthly, r.by_component, r.per_user, r.capacity):
        assert (df.p10 <= df.p50 + 1e-9).all() and (df.p50 <= df.p90 + 1e-9).all()
    assert (r.monthly.users_p10 <= r.monthly.users_p90).all()


def test_zero_central_driver_behind_scaled_lines_is_an_input_error():
    d = mini_dict(projection__drivers__egress_gb_per_user={"value": 0, "why": "none"})
    with pytest.raises(InputError, match="egress_gb_per_user is 0 at the central values.*data_transfer"):
        project(mini_stack(d), simulations=0, catalog=mini_catalog())


def test_commitments_end_after_their_term_unless_renewed():
    d = mini_dict()
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 0.2}}}
    d["projection"]["renew_commitments"] = False
    r = project(mini_stack(d), months=14, simulations=0, catalog=mini_catalog())
    comp = r.by_component[r.by_component.component == "commitments/savings_plans/sp"].set_index("month")
    assert comp.p50[11] == pytest.approx(0.2 * H - 0.2 / 0.107 * C5X * H)
    assert comp.p50[12] == 0.0 and comp.p50[13] == 0.0
    assert r.monthly.p50[12] == pytest.approx(EKS + 2 * H * C5X + (1000 * 1.35 - 100) * 0.09)  # 100 GB free


def test_a_read_replica_steps_up_with_its_primary():
    """The primary steps xlarge -> 2xlarge in month 14 (test above); its replica, one rung
    below it, steps large -> xlarge: 0.225 -> 0.45 $/h (Single-AZ), storage 100 GB x 0.115."""
    data = mini_dict()
    data["regions"]["us-east-1"]["rds"] = {"main": {
        "instance_class": "db.r6g.xlarge", "multi_az": True, "storage": {"type": "gp3", "size_gb": 100},
        "read_replicas": {"reader": {"instance_class": "db.r6g.large"},
                          "archive": {"instance_class": "db.t3.large"}}}}
    data["projection"]["database"] = {"cpu_ms_per_request": 20, "max_cpu_utilisation": 0.7, "connections_per_pod": 1,
                                      "class_ladder": ["db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge"]}
    cat = mini_catalog([P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 1.798, variant="postgresql:multi-az"),
                        P("AmazonRDS", "db.r6g.xlarge", "instance-hour", "Hrs", 0.45, variant="postgresql:single-az"),
                        P("AmazonRDS", "db.t3.large", "instance-hour", "Hrs", 0.145, variant="postgresql:single-az")])
    r = project(mini_stack(data), simulations=0, catalog=cat)
    comp = r.by_component.set_index(["component", "month"])["p50"]
    assert comp[("us-east-1/rds/main", 14)] == pytest.approx(1.798 * H + 100 * 0.23)
    assert comp[("us-east-1/rds/main.reader", 13)] == pytest.approx(0.225 * H + 100 * 0.115)
    assert comp[("us-east-1/rds/main.reader", 14)] == pytest.approx(0.45 * H + 100 * 0.115)
    # a replica class off the ladder keeps its class, and the projection says so
    assert comp[("us-east-1/rds/main.archive", 14)] == pytest.approx(0.145 * H + 100 * 0.115)
    assert any("db.t3.large is not on projection.database.class_ladder" in w for w in r.warnings)
