"""The pricers' one pricing rule works on scalars and on numpy arrays alike, and the
projection prices its paths with the prices the estimate's lines carry. Expected values by
hand from the list prices in tests/helpers.py."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import mini_catalog
from projection_stacks import mini_stack

from costplan.components.base import PricingContext
from costplan.estimator import estimate
from costplan.projection.simulate import ProjectionModel, simulate

H = 730


def egress(ctx, quantity):
    return ctx.priced(component="us-east-1/data_transfer/data_transfer", kind="data_transfer", region="us-east-1",
                      service="AWSDataTransfer", sku="data-transfer-out-internet", usage="gb", quantity=quantity,
                      description="", path="p", scaling="egress")


def test_priced_keeps_the_shape_of_its_quantity():
    ctx = PricingContext(catalog=mini_catalog(), hours=H)
    q = np.array([[100.0, 12000.0], [0.0, 60000.0]])
    line = egress(ctx, q)
    # tiers: 10,240 GB at 0.09, to 51,200 at 0.085, to 153,600 at 0.07
    by_hand = np.array([[100 * 0.09, 10240 * 0.09 + 1760 * 0.085],
                        [0.0, 10240 * 0.09 + 40960 * 0.085 + 8800 * 0.07]])
    assert line.ListCost.shape == (2, 2)
    assert line.ListCost == pytest.approx(by_hand)
    for idx in np.ndindex(q.shape):
        if q[idx]:
            one = egress(ctx, float(q[idx]))
            assert line.ListCost[idx] == pytest.approx(one.ListCost)
            assert line.ListUnitPrice[idx] == pytest.approx(one.ListUnitPrice)
    # the source and verification name the tiers the largest quantity reaches
    assert line.price_source == egress(ctx, 60000.0).price_source
    assert line.cost_of(12000.0) == pytest.approx(10240 * 0.09 + 1760 * 0.085)


def test_an_estimate_line_prices_projected_quantities_at_its_own_prices():
    lines = estimate(mini_stack(), mini_catalog()).cost_lines
    pool = next(ln for ln in lines if ln.component == "us-east-1/node_pools/app" and ln.usage == "instance-hour")
    assert pool.cost_of(np.array([2 * H, 3 * H])).tolist() == pytest.approx([2 * H * 0.17, 3 * H * 0.17])
    assert pool.cost_of(2 * H) == pytest.approx(pool.ListCost)


class _NoLookups:
    """A catalog that refuses every lookup."""

    as_of = "2026-07-20"

    def __getattr__(self, name):
        raise AssertionError(f"the projection looked a price up again ({name})")


def test_the_projection_prices_its_paths_without_looking_prices_up_again():
    model = ProjectionModel(mini_stack(), mini_catalog())
    model.catalog = _NoLookups()
    _, _, _, cost = simulate(model, 36, 50, 1)
    assert set(cost) == {r.component for r in model.rules}
    assert all(np.isfinite(v).all() for v in cost.values())
