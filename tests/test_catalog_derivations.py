"""Held-out checks of the rules that derive the catalog's estimate-grade prices.

Each test drops prices a licensed source does list, derives them again with the rule the build
script uses where no source has a price (scripts/build_catalog.py, docs/prices.md "Derived
prices"), and bounds the error against the licensed value. The bounds are the errors measured
on these files (stated beside each), rounded up: they say how far an estimate-grade price can
be off, and they fail if a change to a rule or a source makes the estimates worse.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def b():
    spec = importlib.util.spec_from_file_location("build_catalog_derive", REPO / "scripts" / "build_catalog.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def cache(b):
    return b.cache_on_demand()


@pytest.fixture(scope="module")
def factors(b, cache):
    return b.regional_factors(cache)


def _errors(pairs):
    """Relative errors derived/actual - 1 of (derived, actual) pairs."""
    return [d / a - 1 for d, a in pairs]


def test_ec2_regional_factor_against_the_licensed_ec2_prices(b, factors):
    # vantage ec2instances.info record (MIT, 2026-07-20): x2iedn.32xlarge Linux on-demand in 22
    # commercial regions. Rule: us-east-1 price x the regional factor of its family (cache.r5).
    # Measured: mean |error| 9.3%, worst 19.0% (the x2iedn regional mark-up is above the
    # ElastiCache one in most regions).
    prices = json.loads((b.SRC / b.SOURCES["vantage-ec2-x2iedn-2026-07-20"]["file"]).read_text())["linux_ondemand"]
    base = prices["us-east-1"]
    errs = _errors((base * b.factor(factors, "x2iedn", r)[0], p) for r, p in prices.items() if r != "us-east-1")
    assert len(errs) >= 20
    assert statistics.mean(abs(e) for e in errs) < 0.10
    assert max(abs(e) for e in errs) < 0.20


@pytest.mark.parametrize(
    "itype,region,list_price",
    [
        # AWS EC2 on-demand Linux list prices (AWS Price List, as published 2026): c5.xlarge
        # eu-west-1 $0.192/h, m5.large ap-southeast-2 $0.12/h, m5.2xlarge eu-west-1 $0.428/h.
        ("c5.xlarge", "eu-west-1", 0.192),
        ("m5.large", "ap-southeast-2", 0.12),
        ("m5.2xlarge", "eu-west-1", 0.428),
    ],
)
def test_derived_ec2_prices_of_the_reference_stack_are_close(b, factors, itype, region, list_price):
    od = b.ec2_on_demand(factors)
    p = od[(itype, region)]
    assert not p.verified and p.note.startswith("derived: us-east-1")
    assert p.unit_price == pytest.approx(list_price, rel=0.05)


def test_rds_regional_factor_against_the_licensed_rds_prices(b, factors):
    # vantage RDS data (MIT, 2021-08-03): every Single-AZ PostgreSQL/MySQL price outside
    # us-east-1, derived from the us-east-1 price x the class family's regional factor.
    # Measured over 1,272 prices: mean |error| 3.8%, worst 26.5% (db.m5.16xlarge ap-south-1).
    single = b.rds_single_az()
    pairs = []
    for (cls, region, engine), price in single.items():
        base = single.get((cls, "us-east-1", engine))
        if region != "us-east-1" and region in b.REGIONS and base:
            pairs.append((base * b.factor(factors, cls.split(".")[1], region)[0], price))
    errs = _errors(pairs)
    assert len(errs) > 1000
    assert statistics.mean(abs(e) for e in errs) < 0.05
    assert max(abs(e) for e in errs) < 0.30


def test_rds_graviton2_ratio_leave_one_family_out(b):
    # The rule prices db.t4g as db.t3 x RDS's Graviton2/Intel ratio. Held out: measure the
    # ratio on db.m6g/db.m5 only, derive every us-east-1 db.r6g from db.r5, compare with the
    # licensed db.r6g. db.r6g.large PostgreSQL: 0.25 (db.r5.large) x 0.891 = 0.2228 vs 0.225.
    # Measured: worst 1.0%.
    single = b.rds_single_az()
    ratio = b.graviton2_ratio(single, pairs=(("m6g", "m5"),))
    pairs = []
    for (cls, region, engine), price in single.items():
        if region == "us-east-1" and cls.startswith("db.r6g."):
            r5 = single.get((f"db.r5.{cls.split('.')[2]}", region, engine))
            if r5:
                pairs.append((r5 * ratio, price))
    errs = _errors(pairs)
    assert len(errs) >= 10
    assert max(abs(e) for e in errs) < 0.02


def test_next_generation_step_by_the_ec2_ratio(b, cache, factors):
    # The rule prices db.m7g / db.r7g as db.m6g / db.r6g x the EC2 us-east-1 price ratio of the
    # two families at that size. Held out on ElastiCache, where both generations are licensed:
    # cache.m7g = cache.m6g x EC2 m7g/m6g (cache.m7g.large Redis us-east-1: 0.149 x
    # 0.0816/0.077 = 0.1579 vs 0.158). Measured over 777 prices: worst 0.5%.
    od = b.ec2_on_demand(factors)
    pairs = []
    for (node, region, engine), price in cache.items():
        family, size = node.split(".")[1:]
        sibling = {"m7g": "m6g", "r7g": "r6g"}.get(family)
        if not sibling:
            continue
        base = cache.get((f"cache.{sibling}.{size}", region, engine))
        new, old = od.get((f"{family}.{size}", "us-east-1")), od.get((f"{sibling}.{size}", "us-east-1"))
        if base and new and old:
            pairs.append((base * new.unit_price / old.unit_price, price))
    errs = _errors(pairs)
    assert len(errs) > 500
    assert max(abs(e) for e in errs) < 0.01


def test_multi_az_is_twice_single_az(b):
    # Infracost golden db_instance_test (Apache-2.0, 2024): MySQL db.t3.large Multi-AZ 730 h
    # $198.56 -> $0.272/h; the licensed Single-AZ price is $0.136/h: 2 x 0.136 = 0.272.
    single = b.rds_single_az()
    assert 2 * single[("db.t3.large", "us-east-1", "mysql")] == pytest.approx(198.56 / 730)


def test_general_factor_against_the_licensed_data_transfer_prices(b, factors):
    # Infracost data-transfer golden (Apache-2.0): internet egress, first 10 TB, in 24
    # commercial regions besides us-east-1, derived as us-east-1 0.09 x the region's general
    # factor. Measured: mean |error| 9.0%, worst 23.3% (af-south-1, whose egress is priced
    # far above its compute). This is the rule for every service priced in us-east-1 only.
    rows = [p for p in b.data_transfer() if p.sku == "data-transfer-out-internet" and p.tier_start == 0]
    base = next(p for p in rows if p.region == "us-east-1").unit_price
    errs = _errors((base * b.general_factor(factors, p.region)[0], p.unit_price) for p in rows if p.region != "us-east-1")
    assert len(errs) >= 20
    assert statistics.mean(abs(e) for e in errs) < 0.10
    assert max(abs(e) for e in errs) < 0.25


def test_regional_factor_is_one_in_us_east_1_and_named_in_the_note(b, factors):
    assert b.factor(factors, "m5", "us-east-1")[0] == 1.0
    f, why = b.factor(factors, "m6i", "eu-west-1")
    assert why == f"regional factor {f:.4f} (cache.m5)"
    assert 1.0 < f < 1.3  # eu-west-1 is dearer than us-east-1 for every licensed cache.m5 size
