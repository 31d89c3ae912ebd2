"""The projection evaluates its Monte Carlo paths a block of months at a time, carrying the
running state (classes and sizes that never step down, packed pod mixes, reservations ever
unused) from block to block. Whatever the block size, the result is the one of the whole
horizon evaluated at once: every frame equal value for value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import P, mini_catalog
from projection_stacks import FIXED, REFERENCE, db_dict, mini_stack

from costplan.errors import InputError
from costplan.pricing.catalog import default_catalog
from costplan.projection.simulate import (
    COLUMN_OVERHEAD,
    ProjectionModel,
    block_months,
    block_sizes,
    bytes_per_path_month,
    column_stats,
    project,
    quantiles,
    simulate,
    spot_factors,
)
from costplan.stack import load_stack

FRAMES = ("monthly", "by_component", "capacity", "per_user", "steps")


def assert_same(a, b) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    assert a.warnings == b.warnings


@pytest.fixture(scope="module")
def reference():
    return load_stack(REFERENCE), default_catalog()


@pytest.mark.parametrize("block", [1, 5, 7])
def test_reference_stack_in_blocks_equals_the_whole_horizon(reference, block):
    stack, catalog = reference
    whole = project(stack, months=24, simulations=400, seed=3, catalog=catalog, months_per_block=24)
    assert_same(project(stack, months=24, simulations=400, seed=3, catalog=catalog, months_per_block=block), whole)


def test_spot_scenario_in_blocks_equals_the_whole_horizon(reference):
    # spot prices move +-15% a month on every path: one stream per month, so a block draws
    # exactly the factors the whole horizon has for its months
    from costplan.stack.loader import stack_from_data

    stack, catalog = reference
    spot = stack_from_data(stack._data, stack._source, stack._lines, scenario="app-on-spot")
    whole = project(spot, months=13, simulations=300, seed=5, catalog=catalog, months_per_block=13)
    assert_same(project(spot, months=13, simulations=300, seed=5, catalog=catalog, months_per_block=4), whole)
    model = ProjectionModel(spot, catalog)
    all_months = spot_factors(model, 300, 5, 0, 13)
    assert np.array_equal(spot_factors(model, 300, 5, 4, 9), all_months[:, 4:9])
    assert not np.array_equal(all_months[:, 0], all_months[:, 1])  # months are not one draw repeated


def commitments_stack():
    """The mini stack with uncertain drivers, a database whose CPU steps it up a class (the
    running maximum crosses blocks), an RI and a Savings Plan that end after 12 months, and a
    capacity reservation unused only in the early months."""
    d = db_dict()
    drivers = d["projection"]["drivers"]
    drivers["active_users"] = {"value": 1000, "low": 700, "high": 1500, "distribution": "lognormal", "why": FIXED}
    drivers["annual_growth"] = {"value": 0.35, "low": 0.1, "high": 0.6, "distribution": "normal", "why": FIXED}
    drivers["peak_rps_per_user"] = {"value": 0.1, "low": 0.08, "high": 0.13, "distribution": "triangular",
                                    "why": FIXED}
    d["regions"]["us-east-1"]["node_pools"]["batch"] = {"instance_types": ["c5.large"], "count": 2}
    d["commitments"] = {
        "reserved_instances": {"ri": {"service": "ec2", "instance_type": "c5.large", "region": "us-east-1",
                                      "count": 2}},
        "savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                 "hourly_commitment": 0.1}},
        "capacity_reservations": {"cr": {"instance_type": "c5.xlarge", "region": "us-east-1", "count": 4}},
    }
    d["projection"]["renew_commitments"] = False
    return mini_stack(d)


def commitments_catalog():
    return mini_catalog([
        P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 1.798, variant="postgresql:multi-az"),
        P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.05, model="reserved", term="1yr", option="no-upfront",
          cls="standard"),
    ])


@pytest.mark.parametrize("block", [1, 3, 11])
def test_stack_with_commitments_in_blocks_equals_the_whole_horizon(block):
    stack, catalog = commitments_stack(), commitments_catalog()
    whole = project(stack, months=30, simulations=500, seed=11, catalog=catalog, months_per_block=30)
    blocks = project(stack, months=30, simulations=500, seed=11, catalog=catalog, months_per_block=block)
    assert_same(blocks, whole)
    comp = whole.by_component.set_index(["component", "month"])
    # the RI and the plan end after their 1-year term (months 0-11), whatever the block
    assert comp.loc[("commitments/reserved_instances/ri", 11), "p50"] != 0.0
    assert comp.loc[("commitments/reserved_instances/ri", 12), "p50"] == 0.0
    assert comp.loc[("commitments/savings_plans/sp", 12), "p90"] == 0.0
    # the database steps up on some paths and never steps down: p90 of the class is monotone
    cls = whole.capacity[whole.capacity.resource == "us-east-1/main/class"].p90.to_numpy()
    assert cls[-1] == 1.0 and (np.diff(cls) >= 0).all()
    # 4 reserved, 2 running in month 0: 2 x 0.17 x 730 unused, billed at the on-demand rate
    assert comp.loc[("commitments/capacity_reservations/cr", 0), "deterministic"] == pytest.approx(2 * 0.17 * 730)


def test_block_statistics_are_numpys_over_the_whole_horizon(reference):
    # the block's quantiles and means against np.quantile / np.mean over the whole-horizon arrays
    stack, catalog = reference
    r = project(stack, months=12, simulations=300, seed=9, catalog=catalog, months_per_block=5)
    _, _, _, cost = simulate(ProjectionModel(stack, catalog), 12, 300, 9)
    total = sum(cost.values())
    assert np.array_equal(r.monthly[["p10", "p50", "p90"]].to_numpy().T, np.quantile(total, [0.1, 0.5, 0.9], axis=0))
    assert r.monthly["mean"].to_numpy() == pytest.approx(total.mean(axis=0), rel=1e-12)
    bc = r.by_component.set_index(["component", "month"])
    for name in ("us-east-1/data_transfer", "us-east-1/rds/ultibiker-primary", "us-east-1/nat_gateways"):
        got = bc.loc[name].sort_index()
        assert np.array_equal(got[["p10", "p50", "p90"]].to_numpy().T, np.quantile(cost[name], [0.1, 0.5, 0.9], axis=0))


def test_column_stats_of_a_constant_column_are_that_value():
    # 0.1 x 3 paths: the pairwise mean would be 0.10000000000000002
    arr = np.broadcast_to(np.array([0.1, 7.0]), (3, 2))
    q, mean = column_stats(arr)
    assert q.tolist() == [[0.1, 7.0]] * 3 and mean.tolist() == [0.1, 7.0]
    q = quantiles(np.array([[1.0, np.nan], [3.0, np.nan], [2.0, np.nan]]))
    assert q[:, 0].tolist() == [1.2, 2.0, 2.8] and np.isnan(q[:, 1]).all()


def test_beyond_one_month_of_all_paths_the_paths_are_blocked_too(reference):
    stack, catalog = reference
    model = ProjectionModel(stack, catalog)
    per_path = COLUMN_OVERHEAD * bytes_per_path_month(model)
    assert block_months(model, 120, 50_000) >= 1
    assert block_sizes(model, 120, 100, budget=10**12) == (120, 100)
    assert block_sizes(model, 120, 2000) == (32, 2000)  # 65,536 path-months, every path
    # a month of 50,000 paths is beyond 2 MiB: one month of the paths three quarters of it hold
    assert block_sizes(model, 120, 50_000, budget=2**21) == (1, int(3 * 2**19 // per_path))
    # refused only when a month of 128 paths (the smallest block of numpy's pairwise sum) does not fit
    with pytest.raises(InputError, match=r"one month of this stack .* over 128 paths needs about"):
        block_sizes(model, 120, 50_000, budget=int(160 * per_path))


@pytest.mark.parametrize(("paths", "months"), [(100, None), (256, 2), (333, 1)])
def test_reference_stack_in_blocks_of_paths_equals_all_paths_at_once(reference, paths, months):
    stack, catalog = reference
    whole = project(stack, months=6, simulations=700, seed=3, catalog=catalog)
    assert_same(project(stack, months=6, simulations=700, seed=3, catalog=catalog, paths_per_block=paths,
                        months_per_block=months), whole)


def test_commitments_and_spot_in_blocks_of_paths_equal_all_paths_at_once(reference):
    stack, catalog = commitments_stack(), commitments_catalog()
    whole = project(stack, months=30, simulations=500, seed=11, catalog=catalog)
    assert_same(project(stack, months=30, simulations=500, seed=11, catalog=catalog, paths_per_block=128,
                        months_per_block=7), whole)
    from costplan.stack.loader import stack_from_data

    ref, catalog = reference
    spot = stack_from_data(ref._data, ref._source, ref._lines, scenario="app-on-spot")
    whole = project(spot, months=5, simulations=600, seed=5, catalog=catalog)
    assert_same(project(spot, months=5, simulations=600, seed=5, catalog=catalog, paths_per_block=150), whole)


def test_figures_outside_the_first_blocks_window_are_found_over_all_paths(reference, monkeypatch):
    # windows of no width around the first block's quantiles: most figures are outside, and the
    # month is evaluated again for their rows
    from costplan.projection import pathblocks

    monkeypatch.setattr(pathblocks, "WINDOW_SIGMAS", 0.0)
    monkeypatch.setattr(pathblocks, "WINDOW_SLACK", 0)
    resolved = []
    orig = pathblocks.PathSelection.resolve
    monkeypatch.setattr(pathblocks.PathSelection, "resolve",
                        lambda self, rows, *a: (resolved.append(len(rows)), orig(self, rows, *a)))
    stack, catalog = reference
    whole = project(stack, months=4, simulations=900, seed=2, catalog=catalog)
    assert_same(project(stack, months=4, simulations=900, seed=2, catalog=catalog, paths_per_block=200), whole)
    assert sum(resolved) > 0


@pytest.mark.parametrize("n", [1, 129, 1000, 4099, 20_000])
def test_blocks_of_paths_add_up_as_numpys_pairwise_sum(n):
    from costplan.projection.pathblocks import pairwise_leaves, pairwise_total

    x = np.random.default_rng(n).lognormal(0, 3, (4, n))
    for most in (1, 100, 300, 5000):
        leaves = pairwise_leaves(n, most)
        assert leaves[0][0] == 0 and leaves[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(leaves, leaves[1:], strict=False))
        assert all(e - s <= max(most, 128) for s, e in leaves)
        total = pairwise_total(n, most, [x[:, s:e].sum(axis=1) for s, e in leaves])
        assert np.array_equal(total, x.sum(axis=1)) and np.array_equal(total / n, x.mean(axis=1))


def test_selection_over_blocks_of_paths_gives_numpys_quantiles():
    from costplan.projection.pathblocks import PathSelection, pairwise_leaves
    from costplan.projection.simulate import _positions, interpolate

    rng = np.random.default_rng(4)
    n = 3000
    rows = np.stack([
        rng.lognormal(3, 1, n),  # continuous
        rng.integers(0, 40, n).astype(float),  # whole numbers: counted
        np.where(rng.uniform(size=n) < 0.85, 2.0, rng.integers(3, 9, n)),  # mostly at a minimum
        np.where(np.arange(n) < 200, 5.0, rng.integers(0, 10_000, n)),  # the first block is all 5: counted
        # whole numbers in the first block, halves later on: counted, then not
        np.where(np.arange(n) < 300, rng.integers(0, 5, n), rng.integers(0, 10, n) / 2.0),
        np.full(n, 0.1),  # equal on every path
        np.concatenate([rng.uniform(0, 1, n - 1), [1e300]]),  # a far outlier
    ])
    for most in (150, 700):
        sel = PathSelection(n, len(rows), _positions(n)[:2], most)
        for s, e in pairwise_leaves(n, most):
            sel.add(np.array(rows[:, s:e]))
        a, b, mean, lo, hi, unresolved = sel.finish()
        if unresolved.any():
            sel.resolve(np.flatnonzero(unresolved), np.array(rows[unresolved]), a, b)
        assert np.array_equal(interpolate(a, b, n), np.quantile(rows.T, [0.1, 0.5, 0.9], axis=0))
        assert np.array_equal(mean, rows.mean(axis=1))
        assert np.array_equal(lo, rows.min(axis=1)) and np.array_equal(hi, rows.max(axis=1))


def test_memory_of_blocks_of_paths_grows_far_less_than_with_all_paths(reference):
    # tracemalloc's peak of a whole projection at 2,000 and 6,000 paths: with blocks of 256
    # paths the 4,000 more paths add what each path keeps (its draws, its month's total and
    # users, its share of the selection windows), not a month of their arrays
    import tracemalloc

    stack, catalog = reference

    def peak(sims, **kw):
        tracemalloc.start()
        try:
            project(stack, months=3, simulations=sims, seed=1, catalog=catalog, months_per_block=1, **kw)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    whole = peak(6000) - peak(2000)
    blocked = peak(6000, paths_per_block=256) - peak(2000, paths_per_block=256)
    assert whole > 0 and blocked < whole / 4


def test_counted_quantiles_are_the_partitioned_ones():
    rng = np.random.default_rng(0)
    for shape, high in (((1501, 3), 7), ((1024, 2), 3000), ((2000, 1), 2), ((1100, 4), 1), ((3000, 40), 60)):
        arr = rng.integers(-5, high, shape).astype(float)
        assert np.array_equal(quantiles(arr, counts=True), np.quantile(arr, [0.1, 0.5, 0.9], axis=0))
    halves = rng.integers(0, 9, (1300, 2)) / 2.0  # not whole numbers: partitioned, same figures
    assert np.array_equal(quantiles(halves, counts=True), np.quantile(halves, [0.1, 0.5, 0.9], axis=0))


def measured_bytes_per_path_month(model) -> float:
    """The peak numpy allocation of one path-month, measured with tracemalloc (two sizes, so
    the fixed cost of a call cancels out)."""
    import tracemalloc

    from costplan.projection.simulate import draw_paths, evaluate

    peaks = []
    for n in (256, 1024):
        draws = {k: np.repeat(v, n) for k, v in draw_paths(model, 0, 0).items()}
        tracemalloc.start()
        try:
            out = evaluate(model, draws, 0, 2, {})
            del out
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return (peaks[1] - peaks[0]) / (768 * 2)


def test_the_block_size_estimate_is_at_least_the_measured_peak(reference):
    stack, catalog = reference
    for model in (ProjectionModel(stack, catalog), ProjectionModel(commitments_stack(), commitments_catalog())):
        assert bytes_per_path_month(model) >= measured_bytes_per_path_month(model)


def test_binned_order_statistics_are_the_partitioned_ones():
    # from 4,096 paths a month's order statistics come from a histogram: numpy's figures exactly
    rng = np.random.default_rng(1)
    cases = [
        rng.lognormal(3, 1, (5000, 2)),
        np.round(rng.normal(0, 1, (4096, 1)), 2),  # many ties
        np.concatenate([np.full((6000, 1), 7.25), rng.uniform(7, 8, (10, 1))]),  # nearly constant
        np.concatenate([rng.uniform(0, 1, (4999, 1)), [[1e300]]]),  # one far outlier: a coarse histogram
        np.concatenate([np.full((4500, 1), 1.0), np.full((4500, 1), np.nextafter(1.0, 2))]),  # a span of one ulp
    ]
    for arr in cases:
        assert np.array_equal(quantiles(arr), np.quantile(arr, [0.1, 0.5, 0.9], axis=0))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_a_block_size_that_is_not_a_whole_number_of_months_is_refused(bad):
    with pytest.raises(InputError, match="months_per_block must be a whole number 1 or more"):
        project(commitments_stack(), months=3, simulations=10, catalog=commitments_catalog(), months_per_block=bad)
