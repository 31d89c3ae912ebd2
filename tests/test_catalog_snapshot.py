"""The embedded price catalog snapshot: provenance on every row, hand-checked list prices,
coverage of the reference stack, sane tiers and commitments, and a reproducible build.

Expected prices below are written by hand from AWS public list prices (and the Price List
item vendored under data/price-sources/), never read back from the catalog.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest

from costplan.errors import PriceNotFoundError
from costplan.pricing.catalog import DATA_DIR, Catalog, check_tiers

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = DATA_DIR / "aws-prices_2026-11-26.csv"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(SNAPSHOT)


@pytest.fixture(scope="module")
def build_script():
    spec = importlib.util.spec_from_file_location("build_catalog", REPO / "scripts" / "build_catalog.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- provenance ---------------------------------------------------------------------------------
def test_snapshot_is_the_default_and_loads_without_problems(monkeypatch):
    monkeypatch.delenv("COSTPLAN_CATALOG", raising=False)
    cat = Catalog.load()  # raises InputError listing every problem if any row is malformed
    assert cat.path == SNAPSHOT
    assert len(cat) > 5000
    assert cat.manifest["file"] == SNAPSHOT.name
    assert cat.manifest["rows"] == len(cat)


def test_every_row_has_source_date_and_verified_flag(catalog):
    ids = {s["id"] for s in catalog.manifest["sources"]}
    for p in catalog:
        assert p.source in ids, f"{p.key}: source {p.source!r} not in the manifest"
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", p.as_of), p.key
        assert isinstance(p.verified, bool)
        if not p.verified:
            assert p.note, f"{p.key}: an unverified price must say how it was derived"


def test_manifest_sources_are_complete(catalog):
    used = {p.source for p in catalog}
    for s in catalog.manifest["sources"]:
        assert s["id"] in used, f"manifest lists unused source {s['id']}"
        assert s["url"].startswith("https://")
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", s["as_of"])
        assert s["license"]
        if "vendored" in s:
            assert (REPO / s["vendored"]).is_file(), s["vendored"]
    # every row's as_of is the as_of of its source
    as_of = {s["id"]: s["as_of"] for s in catalog.manifest["sources"]}
    assert all(p.as_of == as_of[p.source] for p in catalog)


def test_sources_readme_cites_every_vendored_file():
    readme = (REPO / "data" / "price-sources" / "README.md").read_text()
    for f in (REPO / "data" / "price-sources").iterdir():
        if f.name != "README.md":
            assert f.name in readme, f"{f.name} is not described in data/price-sources/README.md"


# -- hand-checked list prices ---------------------------------------------------------------------
# (service, sku, region, usage, variant, pricing_model, term, purchase_option, offering_class) -> USD
ONE_YEAR_H, THREE_YEARS_H = 8760, 26280
HAND_PRICES = [
    (("AmazonEC2", "c5.xlarge", "us-east-1", "instance-hour"), 0.17),
    (("AmazonEC2", "c5.large", "us-east-1", "instance-hour"), 0.085),
    (("AmazonEC2", "m5.2xlarge", "us-east-1", "instance-hour"), 0.384),
    (("AmazonEC2", "r5.xlarge", "us-east-1", "instance-hour"), 0.252),
    (("AmazonEC2", "m7g.2xlarge", "us-east-1", "instance-hour"), 0.3264),
    (("AmazonElastiCache", "cache.r7g.large", "us-east-1", "node-hour", "redis"), 0.219),
    (("AmazonElastiCache", "cache.r7g.large", "eu-west-1", "node-hour", "valkey"), 0.1944),
    (("AmazonElastiCache", "cache.r7g.large", "ap-southeast-2", "node-hour", "redis"), 0.263),
    (("AmazonElastiCache", "cache.r6g.large", "eu-west-1", "node-hour", "redis"), 0.229),
    (("AmazonEC2", "nat-gateway", "us-east-1", "hour"), 0.045),
    (("AmazonEC2", "nat-gateway", "us-east-1", "gb-processed"), 0.045),
    (("AWSELB", "alb", "us-east-1", "hour"), 0.0225),
    (("AWSELB", "alb", "us-east-1", "lcu-hour"), 0.008),
    (("AWSELB", "nlb", "us-east-1", "nlcu-hour"), 0.006),
    (("AmazonEC2", "gp3", "us-east-1", "storage-gb-month"), 0.08),
    (("AmazonEC2", "gp3", "us-east-1", "iops-month"), 0.005),
    (("AmazonEC2", "gp3", "us-east-1", "throughput-mbps-month"), 0.04),
    (("AmazonEC2", "gp2", "us-east-1", "storage-gb-month"), 0.10),
    (("AmazonEKS", "eks-cluster", "us-east-1", "cluster-hour", "standard"), 0.10),
    (("AmazonEKS", "eks-cluster", "us-east-1", "cluster-hour", "extended"), 0.60),
    (("AmazonRDS", "gp3", "us-east-1", "storage-gb-month", "multi-az"), 0.23),
    (("AmazonRDS", "gp3", "us-east-1", "iops-month", "single-az"), 0.02),
    (("AmazonRDS", "backup-storage", "us-east-1", "storage-gb-month"), 0.095),
    (("AWSDataTransfer", "data-transfer-inter-region", "ap-southeast-2", "gb"), 0.098),
    (("AWSDataTransfer", "data-transfer-inter-region", "eu-west-1", "gb"), 0.02),
    (("AWSDataTransfer", "data-transfer-inter-az", "us-east-1", "gb"), 0.01),
    (("AWSCloudTrail", "cloudtrail", "us-east-1", "data-events-100k"), 0.10),
    (("AWSCloudTrail", "cloudtrail", "us-east-1", "management-events-copy-100k"), 2.00),
    (("awswaf", "waf-requests", "us-east-1", "million-requests"), 0.60),
    (("AmazonVPC", "public-ipv4", "eu-west-1", "hour"), 0.005),
    (("awskms", "kms-key", "us-east-1", "key-month"), 1.0),
    # m5.large Linux us-east-1 reserved, from the Price List terms: upfront / hours + hourly
    (("AmazonEC2", "m5.large", "us-east-1", "instance-hour", "", "reserved", "1yr", "no-upfront", "standard"), 0.06),
    (("AmazonEC2", "m5.large", "us-east-1", "instance-hour", "", "reserved", "1yr", "all-upfront", "standard"),
     494 / ONE_YEAR_H),
    (("AmazonEC2", "m5.large", "us-east-1", "instance-hour", "", "reserved", "3yr", "partial-upfront", "convertible"),
     592 / THREE_YEARS_H + 0.023),
    # spot: on-demand x (1 - Spot Advisor saving): c5.xlarge 56% us-east-1; m5.xlarge 66%
    (("AmazonEC2", "c5.xlarge", "us-east-1", "instance-hour", "", "spot"), 0.17 * (1 - 0.56)),
    (("AmazonEC2", "m5.xlarge", "us-east-1", "instance-hour", "", "spot"), 0.192 * (1 - 0.66)),
]


@pytest.mark.parametrize("key,expected", HAND_PRICES, ids=lambda v: "/".join(v) if isinstance(v, tuple) else None)
def test_hand_checked_prices(catalog, key, expected):
    # derived rates are stored rounded to 6 decimal places [USD]
    assert catalog.price(*key).unit_price == pytest.approx(expected, rel=1e-6, abs=5e-7)


@pytest.mark.parametrize(
    "region,tiers",
    [
        ("us-east-1", [(0, 10240, 0.09), (10240, 51200, 0.085), (51200, 153600, 0.07), (153600, math.inf, 0.05)]),
        ("eu-west-1", [(0, 10240, 0.09), (10240, 51200, 0.085), (51200, 153600, 0.07), (153600, math.inf, 0.05)]),
        ("ap-southeast-2", [(0, 10240, 0.114), (10240, 51200, 0.098), (51200, 153600, 0.094),
                            (153600, math.inf, 0.092)]),
    ],
)
def test_internet_egress_tiers(catalog, region, tiers):
    got = catalog.tiers("AWSDataTransfer", "data-transfer-out-internet", region, "gb")
    assert [(t.tier_start, t.tier_end) for t in got] == [(a, b) for a, b, _ in tiers]
    assert [t.unit_price for t in got] == pytest.approx([p for _, _, p in tiers])


def test_config_rule_evaluation_tiers(catalog):
    got = catalog.tiers("AWSConfig", "config", "us-east-1", "rule-evaluation")
    assert [(t.tier_start, t.tier_end, t.unit_price) for t in got] == [
        (0, 100_000, 0.001), (100_000, 500_000, 0.0008), (500_000, math.inf, 0.0005)]


def test_spot_rows_carry_the_interruption_band(catalog):
    assert catalog.price("AmazonEC2", "c5.xlarge", "us-east-1", "instance-hour", "", "spot").interruption_band == "<5%"
    assert catalog.price("AmazonEC2", "m5.xlarge", "us-east-1", "instance-hour", "", "spot").interruption_band == ">20%"
    assert all(p.interruption_band for p in catalog if p.pricing_model == "spot")
    assert not any(p.interruption_band for p in catalog if p.pricing_model != "spot")
    assert not any(p.verified for p in catalog if p.pricing_model == "spot")


def test_missing_price_is_an_error_not_zero(catalog):
    # ap-east-2 (Taipei) is a commercial region no licensed source prices (costplan/regions.py)
    with pytest.raises(PriceNotFoundError, match="only in"):
        catalog.price("AmazonEC2", "r5.xlarge", "ap-east-2", "instance-hour")
    with pytest.raises(PriceNotFoundError):
        catalog.price("AmazonRDS", "db.r6g.xlarge", "eu-west-1", "instance-hour", "oracle-se2:multi-az")


# -- coverage of the reference stack ------------------------------------------------------------
REFERENCE_TYPES = [f"{f}.{s}" for f in ("c5", "m5", "r5", "c6g", "c7g", "m6g", "m7g", "r6g", "r7g")
                   for s in ("large", "xlarge", "2xlarge")]
REQUIRED = (
    [("AmazonEC2", t, "instance-hour", "") for t in REFERENCE_TYPES]
    + [("AmazonEKS", "eks-cluster", "cluster-hour", v) for v in ("standard", "extended")]
    + [("AmazonRDS", db, "instance-hour", f"postgresql:{az}") for db in ("db.r6g.large", "db.r6g.xlarge",
       "db.r6g.2xlarge") for az in ("single-az", "multi-az")]
    + [("AmazonRDS", s, "storage-gb-month", az) for s in ("gp3", "gp2", "io1") for az in ("single-az", "multi-az")]
    + [("AmazonRDS", s, "iops-month", az) for s in ("gp3", "io1") for az in ("single-az", "multi-az")]
    + [("AmazonRDS", "backup-storage", "storage-gb-month", "")]
    + [("AmazonElastiCache", n, "node-hour", e) for n in ("cache.r7g.large", "cache.r7g.xlarge", "cache.r6g.large",
       "cache.r6g.xlarge", "cache.m7g.large") for e in ("redis", "valkey")]
    + [("AmazonEC2", v, "storage-gb-month", "") for v in ("gp3", "gp2", "io1", "io2", "st1", "sc1", "ebs-snapshot")]
    + [("AmazonEC2", "gp3", "iops-month", ""), ("AmazonEC2", "gp3", "throughput-mbps-month", ""),
       ("AmazonEC2", "io1", "iops-month", ""), ("AmazonEC2", "io2", "iops-month", "")]
    + [("AmazonS3", c, u, "") for c in ("s3-standard", "s3-standard-ia", "s3-glacier-ir")
       for u in ("storage-gb-month", "requests-tier1", "requests-tier2")]
    + [("AWSDataTransfer", s, "gb", "") for s in ("data-transfer-out-internet", "data-transfer-inter-region",
                                                   "data-transfer-inter-az")]
    + [("AmazonEC2", "nat-gateway", "hour", ""), ("AmazonEC2", "nat-gateway", "gb-processed", ""),
       ("AmazonVPC", "public-ipv4", "hour", "")]
    + [("AWSELB", "alb", "hour", ""), ("AWSELB", "alb", "lcu-hour", ""), ("AWSELB", "nlb", "hour", ""),
       ("AWSELB", "nlb", "nlcu-hour", "")]
    + [("AmazonCloudWatch", "cloudwatch-metrics", "metric-month", ""),
       ("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "standard"),
       ("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "high-resolution"),
       ("AmazonCloudWatch", "cloudwatch-logs", "ingest-gb", ""),
       ("AmazonCloudWatch", "cloudwatch-logs", "storage-gb-month", ""),
       ("AmazonCloudWatch", "vpc-flow-logs", "ingest-gb", "cloudwatch-logs"),
       ("AmazonCloudWatch", "vpc-flow-logs", "ingest-gb", "s3")]
    + [("AWSXRay", "xray", u, "") for u in ("traces-recorded-million", "traces-retrieved-million")]
    + [("awswaf", "waf-web-acl", "acl-month", ""), ("awswaf", "waf-rule", "rule-month", ""),
       ("awswaf", "waf-requests", "million-requests", "")]
    + [("AWSConfig", "config", u, "") for u in ("configuration-item", "rule-evaluation")]
    + [("AWSCloudTrail", "cloudtrail", u, "") for u in ("management-events-copy-100k", "data-events-100k",
                                                        "insights-events-100k")]
    + [("awskms", "kms-key", "key-month", ""), ("awskms", "kms-requests", "10k-requests", "")]
)
GLOBAL = [
    ("AmazonRoute53", "route53-hosted-zone", "zone-month", ""),
    *[("AmazonRoute53", "route53-queries", "million-queries", v) for v in ("standard", "latency", "geo")],
    *[("AmazonRoute53", "route53-health-check", "check-month", v) for v in ("aws-endpoint", "non-aws-endpoint")],
]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_reference_stack_is_covered(catalog, region):
    missing = [k for k in REQUIRED if not catalog.has(k[0], k[1], region, k[2], k[3])]
    assert not missing, f"{region}: no price for {missing}"


def test_global_services_are_covered(catalog):
    missing = [k for k in GLOBAL if not catalog.has(k[0], k[1], "global", k[2], k[3])]
    assert not missing


def test_free_tiers_are_explicit_zero_rows(catalog):
    recorded = catalog.tiers("AWSXRay", "xray", "us-east-1", "traces-recorded-million")
    assert (recorded[0].tier_start, recorded[0].tier_end, recorded[0].unit_price) == (0, 0.1, 0)
    assert recorded[1].unit_price == pytest.approx(5.0)
    zero = [p for p in catalog if p.unit_price == 0]
    assert zero and all(p.tier_end < math.inf and "free" in p.note for p in zero)


def test_every_current_generation_type_priced_in_us_east_1(catalog):
    ec2 = {p.sku for p in catalog.find(region="us-east-1", service="AmazonEC2") if p.usage == "instance-hour"}
    for family in ("c6i", "c7i", "m6i", "m7i", "r6i", "r7i", "t3", "t4g", "c8g", "m8g", "r8g", "g5", "i4i"):
        assert any(s.startswith(f"{family}.") for s in ec2), family
    assert len(ec2) > 800


# -- structure ------------------------------------------------------------------------------------
def _groups(catalog):
    g = defaultdict(list)
    for p in catalog:
        g[p.key].append(p)
    return g


def test_tiers_contiguous_from_zero_and_unbounded(catalog):
    for key, tiers in _groups(catalog).items():
        assert not check_tiers(tiers), key
        assert tiers[0].tier_start == 0, key
        assert math.isinf(tiers[-1].tier_end), f"{key}: quantities above {tiers[-1].tier_end} would be unpriced"


def test_spot_below_on_demand(catalog):
    n = 0
    for p in catalog:
        if p.pricing_model == "spot":
            od = catalog.price(p.service, p.sku, p.region, p.usage, p.variant)
            assert 0 < p.unit_price < od.unit_price, p.key
            n += 1
    assert n > 500


def test_commitments_below_on_demand_and_longer_terms_cheaper(catalog):
    n = 0
    for p in catalog:
        if p.pricing_model not in ("reserved", "savings_plan"):
            continue
        od = catalog.price(p.service, p.sku, p.region, p.usage, p.variant)
        assert 0 < p.unit_price < od.unit_price, p.key
        if p.term == "3yr":
            one = catalog.price(p.service, p.sku, p.region, p.usage, p.variant, p.pricing_model, "1yr",
                                p.purchase_option, p.offering_class) if catalog.has(
                p.service, p.sku, p.region, p.usage, p.variant, p.pricing_model, "1yr", p.purchase_option,
                p.offering_class) else None
            if one is not None:
                assert p.unit_price <= one.unit_price, p.key
                n += 1
    assert n > 100


def test_commitments_for_reference_families_in_us_east_1(catalog):
    for t in REFERENCE_TYPES:
        for cls in ("standard", "convertible"):
            for term in ("1yr", "3yr"):
                for opt in ("no-upfront", "partial-upfront", "all-upfront"):
                    assert catalog.has("AmazonEC2", t, "us-east-1", "instance-hour", "", "reserved", term, opt, cls)
        for cls in ("compute", "ec2-instance"):
            assert catalog.has("AmazonEC2", t, "us-east-1", "instance-hour", "", "savings_plan", "1yr",
                               "all-upfront", cls)
    assert catalog.has("AmazonElastiCache", "cache.r7g.large", "us-east-1", "node-hour", "redis", "reserved",
                       "1yr", "no-upfront", "standard")


# -- build ----------------------------------------------------------------------------------------
def test_build_is_deterministic_and_matches_the_committed_snapshot(build_script, tmp_path):
    a = build_script.build(tmp_path / "a")
    b = build_script.build(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert a.read_bytes() == SNAPSHOT.read_bytes(), "stale snapshot: run python scripts/build_catalog.py"
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (DATA_DIR / "manifest.json").read_bytes()
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["rows"] == len(Catalog.load(a))


def test_build_rejects_an_unbounded_gap(build_script, monkeypatch):
    real = build_script.data_transfer

    def truncated():  # drop the top internet-egress tier of eu-west-1
        return [p for p in real() if not (p.region == "eu-west-1" and p.tier_start == 153600)]

    monkeypatch.setattr(build_script, "data_transfer", truncated)
    with pytest.raises(build_script.BuildError, match="unpriced"):
        build_script.build_prices()
