"""EC2 reserved and Savings Plans rates in every region with an EC2 on-demand price: the
embedded catalog stores them for the reference types in a few regions and derives the rest at
lookup (costplan/pricing/catalog.py, docs/prices.md "Derived prices")."""

from __future__ import annotations

import math

import pytest

from costplan.errors import PriceNotFoundError
from costplan.estimator import estimate
from costplan.pricing.catalog import Catalog, Price, default_catalog
from costplan.regions import PRICED_REGIONS
from costplan.stack.models import Stack

WHY = "synthetic quantity for the commitments test"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def _stack() -> dict:
    pools = {"app": {"instance_types": ["m5.large"], "count": 4},
             "new": {"instance_types": ["m6i.large"], "count": 2}}
    return {
        "name": "commitments-outside-the-stored-regions",
        "regions": {r: {"node_pools": pools} for r in ("us-west-2", "sa-east-1")},
        "commitments": {
            "savings_plans": {"compute": {"type": "compute", "term": "1yr", "payment": "no-upfront",
                                          "hourly_commitment": 0.1, "why": WHY}},
            "reserved_instances": {
                "sao-paulo": {"service": "ec2", "instance_type": "m5.large", "region": "sa-east-1", "count": 2,
                              "term": "3yr", "payment": "all-upfront"},
                "oregon": {"service": "ec2", "instance_type": "m6i.large", "region": "us-west-2", "count": 1},
            },
        },
    }


def test_a_stack_with_commitments_in_us_west_2_and_sa_east_1_prices_with_no_missing_price(catalog):
    res = estimate(Stack.model_validate(_stack()), catalog)  # InputError if any price were missing
    assert not [w for w in res.warnings if "no compute Savings Plan rate" in w], res.warnings
    lines = res.lines
    ri = lines[(lines.component == "commitments/reserved_instances/sao-paulo") & (lines.ListCost > 0)]
    assert len(ri) == 1
    # By hand: m5.large sa-east-1 on-demand = us-east-1 0.096 x regional factor 1.4298 (its
    # catalog row, itself derived: 0.137264); the us-east-1 m5.large standard 3-year all-upfront
    # RI (AWS Price List item, ec2-instance-selector fixture) is $949 upfront / 26,280 h =
    # 0.036111/h, ratio to on-demand 0.036111 / 0.096 = 0.376157 -> 0.137264 x 0.376157 = 0.051633/h.
    od = catalog.price("AmazonEC2", "m5.large", "sa-east-1", "instance-hour")
    assert od.unit_price == pytest.approx(0.096 * 1.4298, abs=5e-5)
    assert ri.ListUnitPrice.iloc[0] == pytest.approx(0.051633, abs=2e-5)
    assert ri.ListCost.iloc[0] == pytest.approx(2 * 730 * 0.051633, abs=0.05)
    assert not ri.price_verified.iloc[0]
    # the Savings Plan covered usage in both regions, and says it rests on estimate-grade rates
    sp = lines[(lines.component == "commitments/savings_plans/compute") & (lines.ListCost < 0)]
    assert len(sp) == 1 and sp.ListCost.iloc[0] < 0
    assert not sp.price_verified.iloc[0]


def test_derived_rate_is_estimate_grade_and_names_its_rule(catalog):
    p = catalog.price("AmazonEC2", "m6i.large", "us-west-2", "instance-hour", "", "reserved", "1yr", "no-upfront",
                      "standard")
    # m6i has no us-east-1 RI row: the m5.large ratio, standard 1yr no upfront $0.06/h / 0.096 = 0.625;
    # m6i.large us-west-2 on-demand is $0.096 (the us-east-1 price x regional factor 1 there)
    od = catalog.price("AmazonEC2", "m6i.large", "us-west-2", "instance-hour")
    assert p.unit_price == pytest.approx(od.unit_price * 0.625, abs=1e-6)
    assert not p.verified
    assert p.note.startswith("derived at lookup:") and "m5.large" in p.note and "0.6250" in p.note
    assert catalog.has("AmazonEC2", "m6i.large", "us-west-2", "instance-hour", "", "reserved", "1yr", "no-upfront",
                       "standard")


def test_stored_rates_win_over_the_lookup_rule(catalog):
    # us-east-1 c5.large 1-year standard all-upfront is a verified stored row (ec2-instances-info)
    p = catalog.price("AmazonEC2", "c5.large", "us-east-1", "instance-hour", "", "reserved", "1yr", "all-upfront",
                      "standard")
    assert p.verified and not p.note.startswith("derived at lookup")


@pytest.mark.parametrize("region", PRICED_REGIONS)
def test_every_region_with_an_on_demand_price_has_every_commitment_rate(catalog, region):
    for itype in ("m5.large", "m6i.large", "c6g.xlarge", "r7g.2xlarge"):
        if not catalog.has("AmazonEC2", itype, region, "instance-hour"):
            continue
        for term in ("1yr", "3yr"):
            for pay in ("no-upfront", "partial-upfront", "all-upfront"):
                for model, classes in (("reserved", ("standard", "convertible")),
                                       ("savings_plan", ("compute", "ec2-instance"))):
                    for cls in classes:
                        p = catalog.price("AmazonEC2", itype, region, "instance-hour", "", model, term, pay, cls)
                        od = catalog.price("AmazonEC2", itype, region, "instance-hour")
                        assert 0 < p.unit_price < od.unit_price, (itype, region, model, term, pay, cls)


def _row(region: str, model: str, price: float, cls: str = "", term: str = "", pay: str = "") -> Price:
    return Price("AmazonEC2", "m5.large", region, "instance-hour", "", model, term, pay, cls, 0.0, math.inf, "Hrs",
                 price, "", "test", "2026-01-01", True, "")


def test_no_rule_in_the_manifest_no_derivation_and_a_missing_input_is_still_an_error():
    rows = [_row("us-east-1", "on_demand", 0.1), _row("eu-west-1", "on_demand", 0.2),
            _row("us-east-1", "reserved", 0.06, "standard", "1yr", "no-upfront")]
    key = ("AmazonEC2", "m5.large", "eu-west-1", "instance-hour", "", "reserved", "1yr", "no-upfront", "standard")
    with pytest.raises(PriceNotFoundError):
        Catalog.from_prices(rows).price(*key)
    ruled = Catalog.from_prices(rows, {"derived_commitments": {"base_region": "us-east-1", "fallback_sku": "m5.large"}})
    # 0.2 x 0.06 / 0.1 = 0.12
    assert ruled.price(*key).unit_price == pytest.approx(0.12)
    with pytest.raises(PriceNotFoundError):  # no 3-year rate in us-east-1 to take a ratio from
        ruled.price(*key[:6], "3yr", "no-upfront", "standard")
    with pytest.raises(PriceNotFoundError):  # no on-demand price in ap-south-1
        ruled.price(*key[:2], "ap-south-1", *key[3:])
    assert len(ruled) == 3  # derived rates are not stored rows
