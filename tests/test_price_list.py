"""Parsing AWS price answers into catalog rows (costplan.pricing.price_list).

Expected values are worked out here from the list prices in the recorded answers, never read
back from the parser.
"""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path

import pytest

from costplan.pricing.catalog import check_tiers, tiered_cost
from costplan.pricing.price_list import (
    PriceListFormatError,
    parse_product,
    parse_products,
    parse_savings_plans_rates,
    spot_statistics,
    summarise_spot_history,
)

DATA = Path(__file__).parent / "data" / "aws" / "pricing"


def load(name: str):
    return json.loads((DATA / name).read_text())


@pytest.fixture
def m5():
    return load("get_products_ec2_m5_large.json")


def by_terms(rows):
    return {(p.pricing_model, p.offering_class, p.term, p.purchase_option): p for p in rows}


# -- the real m5.large Price List item ----------------------------------------------------
def test_m5_large_on_demand_and_reserved_rates(m5):
    rows = parse_product(json.dumps(m5))  # the API hands items over as JSON strings
    got = by_terms(rows)
    assert len(rows) == 1 + 12  # one on-demand price, 12 reserved offers (2 classes x 2 terms x 3 options)
    od = got[("on_demand", "", "", "")]
    assert od.unit_price == pytest.approx(0.096)
    assert (od.service, od.sku, od.region, od.usage, od.variant, od.unit) == (
        "AmazonEC2", "m5.large", "us-east-1", "instance-hour", "", "Hrs"
    )
    assert od.tier_start == 0 and math.isinf(od.tier_end)
    # 1-year standard, partial upfront: $252 upfront over 365 x 24 h, plus $0.029/h
    assert got[("reserved", "standard", "1yr", "partial-upfront")].unit_price == pytest.approx(252 / (365 * 24) + 0.029)
    # 3-year standard, all upfront: $949 over 3 x 365 x 24 h, no hourly fee
    assert got[("reserved", "standard", "3yr", "all-upfront")].unit_price == pytest.approx(949 / (3 * 365 * 24))
    # 3-year convertible, partial: $592 + $0.023/h
    assert got[("reserved", "convertible", "3yr", "partial-upfront")].unit_price == pytest.approx(
        592 / 26280 + 0.023
    )
    # no upfront: the hourly fee alone
    assert got[("reserved", "convertible", "1yr", "no-upfront")].unit_price == pytest.approx(0.071)
    # the published discount of 1-year standard all-upfront is 41.3 %
    assert 1 - got[("reserved", "standard", "1yr", "all-upfront")].unit_price / 0.096 == pytest.approx(0.413, abs=5e-4)


def test_m5_large_provenance(m5):
    rows = parse_product(m5)
    assert {p.source for p in rows} == {"aws-price-list-api:AmazonEC2:2021-02-05"}
    assert {p.as_of for p in rows} == {"2021-02-05"}
    assert all(p.verified for p in rows)
    assert all("6C86BEPQVG73ZGGR" in p.note for p in rows)
    rows = parse_product(m5, as_of="2026-11-26", source="x")
    assert {(p.as_of, p.source) for p in rows} == {("2026-11-26", "x")}


def test_region_code_wins_over_location_name(m5):
    item = copy.deepcopy(m5)
    item["product"]["attributes"]["regionCode"] = "eu-west-1"
    assert {p.region for p in parse_product(item)} == {"eu-west-1"}
    item["product"]["attributes"].pop("regionCode")
    item["product"]["attributes"]["location"] = "Europe (Ireland)"
    assert {p.region for p in parse_product(item)} == {"eu-west-1"}


@pytest.mark.parametrize(
    "attr,value",
    [("operatingSystem", "Windows"), ("tenancy", "Dedicated"), ("preInstalledSw", "SQL Std"), ("capacitystatus", "UnusedCapacityReservation")],
)
def test_instances_we_do_not_price_are_counted_not_dropped(m5, attr, value):
    item = copy.deepcopy(m5)
    item["product"]["attributes"][attr] = value
    unmapped = Counter()
    assert parse_product(item, unmapped=unmapped) == []
    assert sum(unmapped.values()) == 1
    assert value in next(iter(unmapped))


def test_unknown_location_is_reported(m5):
    item = copy.deepcopy(m5)
    item["product"]["attributes"]["location"] = "Atlantis (Central)"
    unmapped = Counter()
    assert parse_product(item, unmapped=unmapped) == []
    assert "Atlantis" in next(iter(unmapped))


# -- malformed items name their SKU ---------------------------------------------------------
def test_missing_price_names_the_sku(m5):
    item = copy.deepcopy(m5)
    dims = item["terms"]["OnDemand"]["6C86BEPQVG73ZGGR.JRTCKXETXF"]["priceDimensions"]
    next(iter(dims.values())).pop("pricePerUnit")
    with pytest.raises(PriceListFormatError, match="6C86BEPQVG73ZGGR.*pricePerUnit.USD"):
        parse_product(item)


def test_non_numeric_price_names_the_sku(m5):
    item = copy.deepcopy(m5)
    dims = item["terms"]["OnDemand"]["6C86BEPQVG73ZGGR.JRTCKXETXF"]["priceDimensions"]
    next(iter(dims.values()))["pricePerUnit"]["USD"] = "n/a"
    with pytest.raises(PriceListFormatError, match="6C86BEPQVG73ZGGR.*not a number"):
        parse_product(item)


def test_reserved_term_without_lease_names_the_sku(m5):
    item = copy.deepcopy(m5)
    next(iter(item["terms"]["Reserved"].values()))["termAttributes"].pop("LeaseContractLength")
    with pytest.raises(PriceListFormatError, match="6C86BEPQVG73ZGGR.*LeaseContractLength"):
        parse_product(item)


def test_unexpected_unit_is_refused(m5):
    item = copy.deepcopy(m5)
    dims = item["terms"]["OnDemand"]["6C86BEPQVG73ZGGR.JRTCKXETXF"]["priceDimensions"]
    next(iter(dims.values()))["unit"] = "Mins"
    with pytest.raises(PriceListFormatError, match="6C86BEPQVG73ZGGR.*unit 'Mins'"):
        parse_product(item)


def test_not_json_and_no_sku():
    with pytest.raises(PriceListFormatError, match="not JSON"):
        parse_product("{truncated")
    with pytest.raises(PriceListFormatError, match="product.sku"):
        parse_product({"product": {"attributes": {}}, "terms": {}})


# -- other services --------------------------------------------------------------------------
def keyed(rows):
    return {(p.service, p.sku, p.region, p.usage, p.variant, p.pricing_model, p.term, p.purchase_option, p.offering_class, p.tier_start): p for p in rows}


def test_rds_postgresql_instances_storage_and_iops():
    parsed = parse_products(load("get_products_rds_postgresql.json"))
    got = keyed(parsed.prices)
    assert got[("AmazonRDS", "db.r6g.xlarge", "us-east-1", "instance-hour", "postgresql:multi-az", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.899)
    assert got[("AmazonRDS", "db.r6g.xlarge", "us-east-1", "instance-hour", "postgresql:single-az", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.45)
    assert got[("AmazonRDS", "gp3", "us-east-1", "storage-gb-month", "multi-az", "on_demand", "", "", "", 0)].unit == "GB-Mo"
    assert got[("AmazonRDS", "gp3", "us-east-1", "storage-gb-month", "multi-az", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.23)
    assert got[("AmazonRDS", "gp3", "us-east-1", "iops-month", "multi-az", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.04)
    # $4,800 upfront for a year of Multi-AZ db.r6g.xlarge
    assert got[("AmazonRDS", "db.r6g.xlarge", "us-east-1", "instance-hour", "postgresql:multi-az", "reserved", "1yr", "all-upfront", "standard", 0)].unit_price == pytest.approx(4800 / 8760)
    assert got[("AmazonRDS", "db.r6g.xlarge", "us-east-1", "instance-hour", "postgresql:multi-az", "reserved", "1yr", "no-upfront", "standard", 0)].unit_price == pytest.approx(0.629)
    assert parsed.items == 5
    assert parsed.unmapped == Counter({"AmazonRDS deployment 'Multi-AZ (readable standbys)'": 1})
    assert parsed.publication_dates == {"AmazonRDS": "2026-11-20"}


def test_elasticache_engines_and_reserved_without_offering_class():
    parsed = parse_products(load("get_products_elasticache.json"))
    got = keyed(parsed.prices)
    assert got[("AmazonElastiCache", "cache.r7g.large", "eu-west-1", "node-hour", "redis", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.243)
    assert got[("AmazonElastiCache", "cache.r7g.large", "eu-west-1", "node-hour", "valkey", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.1944)
    ri = got[("AmazonElastiCache", "cache.r7g.large", "eu-west-1", "node-hour", "redis", "reserved", "1yr", "partial-upfront", "standard", 0)]
    assert ri.unit_price == pytest.approx(650 / 8760 + 0.074)
    assert "OfferingClass" in ri.note
    # legacy heavy-utilisation offers are reported, not priced
    assert parsed.unmapped == Counter({"AmazonElastiCache reserved purchase option 'Heavy Utilization'": 1})


def test_nat_load_balancer_and_eks():
    parsed = parse_products(load("get_products_network.json"))
    got = keyed(parsed.prices)
    assert got[("AmazonEC2", "nat-gateway", "us-east-1", "hour", "", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.045)
    nat_gb = got[("AmazonEC2", "nat-gateway", "us-east-1", "gb-processed", "", "on_demand", "", "", "", 0)]
    assert (nat_gb.unit, nat_gb.unit_price) == ("GB", pytest.approx(0.045))
    assert got[("AWSELB", "alb", "eu-west-1", "hour", "", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.0252)
    assert got[("AWSELB", "alb", "eu-west-1", "lcu-hour", "", "on_demand", "", "", "", 0)].unit == "LCU-Hrs"
    assert got[("AmazonEKS", "eks-cluster", "us-east-1", "cluster-hour", "standard", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.10)
    assert got[("AmazonEKS", "eks-cluster", "us-east-1", "cluster-hour", "extended", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.60)
    assert len(parsed.prices) == 6
    assert parsed.unmapped == Counter({"AmazonEKS usage 'Fargate-vCPU-Hours:perCPU'": 1})


def test_ebs_gp3_and_tiered_s3():
    parsed = parse_products(load("get_products_storage.json"))
    got = keyed(parsed.prices)
    assert got[("AmazonEC2", "gp3", "us-east-1", "storage-gb-month", "", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.08)
    assert got[("AmazonEC2", "gp3", "us-east-1", "iops-month", "", "on_demand", "", "", "", 0)].unit_price == pytest.approx(0.005)
    # the Price List quotes gp3 throughput per GiBps-month: $40.96 / 1024 = $0.04 per MiBps-month
    tput = got[("AmazonEC2", "gp3", "us-east-1", "throughput-mbps-month", "", "on_demand", "", "", "", 0)]
    assert (tput.unit, tput.unit_price) == ("MBps-Mo", pytest.approx(0.04))
    s3 = sorted((p for p in parsed.prices if p.sku == "s3-standard" and p.usage == "storage-gb-month"), key=lambda p: p.tier_start)
    assert [(p.tier_start, p.tier_end, p.unit_price) for p in s3] == [
        (0, 51200, pytest.approx(0.023)), (51200, 512000, pytest.approx(0.022)), (512000, math.inf, pytest.approx(0.021))
    ]
    assert check_tiers(s3) == []
    # 100,000 GB-month: the first 50 TB at $0.023, the next 48,800 GB at $0.022
    assert tiered_cost(100_000, s3) == pytest.approx(51200 * 0.023 + 48800 * 0.022)
    # $0.000005 per PUT request is $0.005 per 1,000
    req = got[("AmazonS3", "s3-standard", "us-east-1", "requests-tier1", "", "on_demand", "", "", "", 0)]
    assert (req.unit, req.unit_price) == ("1K requests", pytest.approx(0.005))
    assert parsed.unmapped == Counter({"AmazonS3 Storage 'TimedStorage-ZIA-ByteHrs'": 1})


# -- Savings Plans -----------------------------------------------------------------------------
def test_savings_plans_rates_over_pages():
    parsed = parse_savings_plans_rates(load("describe_savings_plans_offering_rates_pages.json"), as_of="2026-11-26")
    got = {(p.sku, p.offering_class, p.term, p.purchase_option): p.unit_price for p in parsed.prices}
    assert got == {
        ("m5.large", "compute", "1yr", "no-upfront"): pytest.approx(0.068),
        ("m5.xlarge", "compute", "1yr", "no-upfront"): pytest.approx(0.136),
        ("m5.large", "ec2-instance", "3yr", "all-upfront"): pytest.approx(0.037),
    }
    assert {(p.pricing_model, p.region, p.usage, p.unit, p.as_of) for p in parsed.prices} == {
        ("savings_plan", "us-east-1", "instance-hour", "Hrs", "2026-11-26")
    }
    assert parsed.items == 5 and sum(parsed.unmapped.values()) == 2


def test_savings_plans_bad_unit_is_an_error():
    pages = load("describe_savings_plans_offering_rates_pages.json")
    pages[0]["searchResults"][0]["unit"] = "Lambda-GB-Second"
    with pytest.raises(PriceListFormatError, match="0a1b2c3d-0000-4000-8000-000000000001"):
        parse_savings_plans_rates(pages, as_of="2026-11-26")


# -- Spot ----------------------------------------------------------------------------------------
def test_spot_summary_over_real_pages():
    pages = load("describe_spot_price_history_m5_large_pages.json")
    assert len(pages) == 3
    samples = [s for page in pages for s in page["SpotPriceHistory"]]
    prices = sorted(float(s["SpotPrice"]) for s in samples)
    assert len(prices) == 250
    median = (prices[124] + prices[125]) / 2  # even count: mean of the two middle values
    [row] = summarise_spot_history(pages)
    assert row.unit_price == pytest.approx(median)
    assert (row.sku, row.region, row.pricing_model, row.verified, row.as_of) == ("m5.large", "us-east-1", "spot", True, "2021-02-09")
    assert "250" in row.note and "2021-01-08" in row.note and "2021-02-09" in row.note
    [st] = spot_statistics(pages)
    assert st.samples == 250
    assert st.mean == pytest.approx(sum(prices) / 250)
    assert (st.minimum, st.maximum) == (prices[0], prices[-1])
    assert st.start.startswith("2021-01-08") and st.end.startswith("2021-02-09")


def test_spot_summary_reads_every_page():
    pages = load("describe_spot_price_history_m5_large_pages.json")
    last_page_only = sorted(float(s["SpotPrice"]) for s in pages[2]["SpotPriceHistory"])
    [st] = spot_statistics(pages[2:])
    assert st.samples == len(last_page_only) == 50
    [all_pages] = spot_statistics(pages)
    assert all_pages.samples == 250


def test_spot_ignores_other_systems_and_groups_by_region():
    pages = [
        {"SpotPriceHistory": [
            {"AvailabilityZone": "eu-west-1a", "InstanceType": "c5.large", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.030", "Timestamp": "2026-11-01T00:00:00+00:00"},
            {"AvailabilityZone": "eu-west-1b", "InstanceType": "c5.large", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.040", "Timestamp": "2026-11-02T00:00:00+00:00"},
            {"AvailabilityZone": "eu-west-1b", "InstanceType": "c5.large", "ProductDescription": "Windows", "SpotPrice": "0.200", "Timestamp": "2026-11-02T00:00:00+00:00"},
            {"AvailabilityZone": "us-east-1a", "InstanceType": "c5.large", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.035", "Timestamp": "2026-11-02T00:00:00+00:00"},
        ]}
    ]
    got = {(r.sku, r.region): r.unit_price for r in summarise_spot_history(pages)}
    assert got == {("c5.large", "eu-west-1"): pytest.approx(0.035), ("c5.large", "us-east-1"): pytest.approx(0.035)}
