"""`costplan prices refresh --source bulk` for Route 53, X-Ray, RDS Proxy, EFS Infrequent Access
requests and vended logs delivered to S3.

The offer files are the static fixtures under tests/data/aws/bulk/ (see PROVENANCE.md there:
which row shapes are confirmed from public material and which are assumed), served on
127.0.0.1 by tests/bulk_fixtures.BulkSite, plus a few files built here in the same format.
Every expected price is worked out by hand from the fixture rows in the comments.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from bulk_fixtures import BulkSite, offer_csv, site_files
from test_refresh_bulk import base, static_files  # noqa: F401  (base: the last good catalog fixture)

from costplan.pricing import bulk
from costplan.pricing.catalog import Catalog, Price
from costplan.pricing.price_list import FREE_TIER, apply_free_tiers
from costplan.pricing.refresh import _dedupe, plan_requests, refresh_from_bulk

DATA = Path(__file__).parent / "data" / "aws" / "bulk"
TODAY = dt.date(2026, 12, 1)
INF = math.inf


def refresh(files, base, tmp_path, services, regions="us-east-1"):
    with BulkSite(files) as site:
        return refresh_from_bulk(regions, services, base.parent, base=base, price_list_url=site.url,
                                 cache_dir=tmp_path / "cache", today=TODAY,
                                 http=bulk.Http(attempts=2, backoff=0.0, timeout=10, sleep=lambda s: None))


def tiers(cat: Catalog, service, sku, region, usage, variant=""):
    return [(t.tier_start, t.tier_end, t.unit_price, t.unit)
            for t in cat.tiers(service, sku, region, usage, variant, "on_demand")]


def test_route53_is_read_from_its_global_file_and_kept_as_region_global(base, tmp_path):
    # --regions names eu-west-1: Route 53 has one file for the whole offer, region "global"
    result = refresh(static_files(), base, tmp_path, "AmazonRoute53", regions="eu-west-1")
    assert [(f.offer, f.region) for f in result.files] == [("AmazonRoute53", "global")]
    cat = Catalog.load(result.path)
    # hosted zones: $0.50 for the first 25, $0.10 after (per zone-month, as in the file)
    assert tiers(cat, "AmazonRoute53", "route53-hosted-zone", "global", "zone-month") == [
        (0, 25, 0.5, "Zone-Mo"), (25, INF, 0.1, "Zone-Mo")]
    # queries: $0.0000004 per query for the first 1,000,000,000 queries = $0.40 per million for
    # the first 1,000 million; $0.0000002 = $0.20 per million beyond
    assert tiers(cat, "AmazonRoute53", "route53-queries", "global", "million-queries", "standard") == [
        (0, 1000, 0.4, "1M queries"), (1000, INF, 0.2, "1M queries")]
    assert tiers(cat, "AmazonRoute53", "route53-queries", "global", "million-queries", "latency") == [
        (0, 1000, 0.6, "1M queries"), (1000, INF, 0.3, "1M queries")]
    assert tiers(cat, "AmazonRoute53", "route53-queries", "global", "million-queries", "geo") == [
        (0, 1000, 0.7, "1M queries"), (1000, INF, 0.35, "1M queries")]
    # health checks: the file's AWS-endpoint product has its first 50 checks at $0
    assert tiers(cat, "AmazonRoute53", "route53-health-check", "global", "check-month", "aws-endpoint") == [
        (0, 50, 0.0, "Checks-Mo"), (50, INF, 0.5, "Checks-Mo")]
    assert tiers(cat, "AmazonRoute53", "route53-health-check", "global", "check-month", "non-aws-endpoint") == [
        (0, INF, 0.75, "Checks-Mo")]
    assert {p.source for p in cat.find(service="AmazonRoute53")} == {"aws-price-list-bulk:AmazonRoute53:2026-11-20"}
    # no Route 53 row lands in a region, and the optional health-check feature is counted
    assert {p.region for p in cat.find(service="AmazonRoute53")} == {"global"}
    assert result.unmapped == {"AmazonRoute53 DNS Health Check 'Health-Check-Option-AWS'": 1}
    assert result.conflicts == [] and result.refreshed == {("AmazonRoute53", "global"): 11}  # 2+2+2+2+2+1 tiers


def test_xray_free_traces_become_the_first_tier_of_the_regional_price(base, tmp_path):
    result = refresh(static_files(), base, tmp_path, "AWSXRay")
    cat = Catalog.load(result.path)
    # recorded: $0.000005 per trace = $5.00 per million; the global free product covers the
    # first 100,000 traces = 0.1 million
    assert tiers(cat, "AWSXRay", "xray", "us-east-1", "traces-recorded-million") == [
        (0, 0.1, 0.0, "1M traces"), (0.1, INF, 5.0, "1M traces")]
    # retrieved: $0.0000005 per trace = $0.50 per million after the first 1,000,000 (1 million)
    assert tiers(cat, "AWSXRay", "xray", "us-east-1", "traces-retrieved-million") == [
        (0, 1.0, 0.0, "1M traces"), (1.0, INF, 0.5, "1M traces")]
    rows = cat.tiers("AWSXRay", "xray", "us-east-1", "traces-recorded-million", "", "on_demand")
    assert "XRAYFREESTORED01" in rows[0].note and "XRAYSTOREDUSE101" in rows[1].note
    # the free product itself never becomes a row; Insights traces are counted, not priced
    assert not [p for p in cat.find(service="AWSXRay") if p.region == "global" or p.pricing_model == FREE_TIER]
    assert result.unmapped == {"AWSXRay usage 'XRay-InsightsTracesStored'": 1}
    assert result.conflicts == []


def test_xray_without_its_free_tier_product_keeps_the_last_good_price(base, tmp_path):
    """A file with only the paid product would price the free traces at $5 per million: a
    conflict, reported, and the last good (tiered) price kept."""
    rows = [r for r in _rows_of(DATA / "offers/v1.0/aws/AWSXRay/20261120000000/us-east-1/index.csv")
            if "Global-" not in r["usageType"]]
    before = tiers(Catalog.load(base), "AWSXRay", "xray", "us-east-1", "traces-recorded-million")
    result = refresh(site_files({("AWSXRay", "us-east-1"): offer_csv("AWSXRay", rows)}), base, tmp_path, "AWSXRay")
    assert len(result.conflicts) == 2 and all("no free-tier product" in c for c in result.conflicts)
    assert tiers(Catalog.load(result.path), "AWSXRay", "xray", "us-east-1", "traces-recorded-million") == before
    assert before[0][2] == 0.0 and before[1][2] == 5.0


def test_rds_proxy_efs_ia_requests_and_vended_logs_to_s3(base, tmp_path):
    result = refresh(static_files(), base, tmp_path, "AmazonRDS,AmazonEFS,AmazonCloudWatch")
    cat = Catalog.load(result.path)
    # RDS Proxy: $0.015 per hour per vCPU, one product per engine at the same price
    assert tiers(cat, "AmazonRDS", "rds-proxy", "us-east-1", "vcpu-hour") == [(0, INF, 0.015, "vCPU-Hrs")]
    assert cat.price("AmazonRDS", "rds-proxy", "us-east-1", "vcpu-hour").source == "aws-price-list-bulk:AmazonRDS:2026-11-20"
    # EFS Infrequent Access requests: $0.01 per GB read and per GB written (by accessType)
    assert tiers(cat, "AmazonEFS", "efs-ia-requests", "us-east-1", "read-gb") == [(0, INF, 0.01, "GB")]
    assert tiers(cat, "AmazonEFS", "efs-ia-requests", "us-east-1", "write-gb") == [(0, INF, 0.01, "GB")]
    # provisioned throughput $6.00 per MiBps-month; the $0 "Included" product of the same usage
    # type is not provisioned throughput (else: two prices for one key, and no refresh)
    assert tiers(cat, "AmazonEFS", "efs-provisioned-throughput", "us-east-1", "mbps-month") == [(0, INF, 6.0, "MBps-Mo")]
    # vended logs delivered to S3: 0.25 / 0.15 / 0.075 / 0.05 per GB over 10, 20, 20 TB and beyond
    assert tiers(cat, "AmazonCloudWatch", "vpc-flow-logs", "us-east-1", "ingest-gb", "s3") == [
        (0, 10240, 0.25, "GB"), (10240, 30720, 0.15, "GB"), (30720, 51200, 0.075, "GB"), (51200, INF, 0.05, "GB")]
    assert result.conflicts == []
    assert result.unmapped["AmazonRDS proxy usage 'RDS:Proxy-ASv2-Usage'"] == 1
    assert result.unmapped["AmazonEFS throughput class 'Included' (not provisioned throughput)"] == 1


def test_parquet_delivery_to_s3_is_not_taken_for_the_plain_delivery_price(base, tmp_path):
    def od(sku, price, ut, start="0", end="Inf"):
        return {"SKU": sku, "OfferTermCode": "JRTCKXETXF", "RateCode": f"{sku}.JRTCKXETXF.{start}",
                "TermType": "OnDemand", "StartingRange": start, "EndingRange": end, "Unit": "GB",
                "PricePerUnit": price, "Currency": "USD", "Product Family": "Data Payload",
                "serviceCode": "AmazonCloudWatch", "Location": "US West (Oregon)", "Location Type": "AWS Region",
                "Region Code": "us-west-2", "usageType": ut}

    rows = [od("CWS3USW2", "0.25", "USW2-S3-Egress-Bytes", "0", "10240"),
            od("CWS3USW2", "0.15", "USW2-S3-Egress-Bytes", "10240", "30720"),
            od("CWS3USW2", "0.075", "USW2-S3-Egress-Bytes", "30720", "51200"),
            od("CWS3USW2", "0.05", "USW2-S3-Egress-Bytes", "51200", "Inf"),
            od("CWPARQUETUSW2", "0.035", "USW2-S3-Egress-InputBytes")]
    result = refresh(site_files({("AmazonCloudWatch", "us-west-2"): offer_csv("AmazonCloudWatch", rows)}),
                     base, tmp_path, "AmazonCloudWatch", regions="us-west-2")
    cat = Catalog.load(result.path)
    assert [t[2] for t in tiers(cat, "AmazonCloudWatch", "vpc-flow-logs", "us-west-2", "ingest-gb", "s3")] == [
        0.25, 0.15, 0.075, 0.05]
    assert result.unmapped == {"AmazonCloudWatch usage 'S3-Egress-InputBytes'": 1}


def _price(start, end, price, sku="route53-queries", unit="1M queries", model="on_demand"):
    return Price("AmazonRoute53", sku, "global", "million-queries", "standard", model, "", "", "", start, end, unit,
                 price, "", "s", "2026-11-20", True, "Price List SKU X")


@pytest.mark.parametrize("rows, needle", [
    ([_price(1000, INF, 0.2)], "first tier starts at 1000"),               # the first tier missing
    ([_price(0, 1000, 0.4)], "last tier ends at 1000"),                   # the last tier missing
    ([_price(0, 1000, 0.4), _price(1000, 2000, 0.2)], "last tier ends at 2000"),
])
def test_refreshed_tiers_not_from_zero_or_bounded_are_a_conflict(rows, needle):
    conflicts: list[str] = []
    assert _dedupe(rows, conflicts) == {}
    assert len(conflicts) == 1 and needle in conflicts[0] and "kept the last good price" in conflicts[0]


def test_free_tier_paid_product_already_tiered_from_the_free_amount():
    """A paid product whose tiers start at the free amount gets the free range prepended; one
    starting elsewhere is a conflict."""
    def x(start, end, price, model="on_demand", region="us-east-1"):
        return Price("AWSXRay", "xray", region, "traces-recorded-million", "", model, "", "", "", start, end,
                     "1M traces", price, "", "s", "2026-11-20", True, "n")

    free = x(0, 0.1, 0.0, FREE_TIER, "global")
    out = apply_free_tiers([x(0.1, INF, 5.0), free], conflicts := [])
    assert [(p.tier_start, p.tier_end, p.unit_price) for p in out] == [(0, 0.1, 0.0), (0.1, INF, 5.0)]
    assert conflicts == []
    out = apply_free_tiers([x(0.5, INF, 5.0), free], conflicts := [])
    assert out == [] and "paid tiers start at 0.5" in conflicts[0]


def test_query_api_fetches_global_products_once_without_a_region_filter():
    reqs = plan_requests(["us-east-1", "eu-west-1"], ["AmazonRoute53", "AWSXRay"])
    glob = [(r.service, r.region, r.params["Filters"]) for r in reqs if r.region == "global"]
    assert glob == [
        ("AmazonRoute53", "global", []),
        ("AWSXRay", "global", [{"Type": "TERM_MATCH", "Field": "usagetype", "Value": "Global-XRay-TracesStored"}]),
        ("AWSXRay", "global", [{"Type": "TERM_MATCH", "Field": "usagetype", "Value": "Global-XRay-TracesAccessed"}]),
    ]
    # X-Ray's paid traces are regional: one request per region, filtered on it
    assert [(r.service, r.region) for r in reqs if r.region != "global"] == [
        ("AWSXRay", "us-east-1"), ("AWSXRay", "eu-west-1")]


def _rows_of(path: Path) -> list[dict[str, str]]:
    import csv

    lines = path.read_text().splitlines()[5:]
    return [dict(r) for r in csv.DictReader(lines)]


def test_reference_stack_priced_like_the_snapshot(base, tmp_path):
    """The fixtures carry the embedded catalog's us-east-1 and global prices: refreshing these
    services leaves every line of the reference stack as it was (X-Ray with its free traces,
    RDS Proxy, Route 53 zones and queries, flow logs), the one AWS-endpoint health check
    included: both price the first 50 checks at $0 (the embedded row charged $0.50 before)."""
    from costplan.config import DEFAULT_STACK
    from costplan.estimator import estimate
    from costplan.stack import load_stack

    stack = load_stack(DEFAULT_STACK)
    before = estimate(stack, catalog=Catalog.load(base)).lines
    result = refresh(static_files(), base, tmp_path, "AmazonRoute53,AWSXRay,AmazonRDS,AmazonEFS,AmazonCloudWatch")
    after = estimate(stack, catalog=Catalog.load(result.path)).lines
    cols = ["component", "sku", "usage", "variant", "PricingQuantity", "ListUnitPrice", "ListCost"]
    assert after[cols].equals(before[cols])
    check = (after.sku == "route53-health-check") & (after.variant == "aws-endpoint")
    assert check.sum() == 1 and after.loc[check, "PricingQuantity"].item() == 1
    assert after.loc[check, "ListCost"].item() == 0.0
    refreshed = after[after.price_source.str.startswith("aws-price-list-bulk:")]
    assert {"xray", "rds-proxy", "route53-hosted-zone", "route53-queries", "route53-health-check",
            "vpc-flow-logs"} <= set(refreshed.sku)
