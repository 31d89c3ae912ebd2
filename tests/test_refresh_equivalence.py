"""A refresh whose stubbed AWS answers carry the embedded snapshot's own prices must price the
reference stack exactly like the snapshot: same lines, same unit prices, same total.

The stubbed Price List items are built in the real ``get_products`` shape (see
tests/data/aws/pricing/get_products_ec2_m5_large.json) from the snapshot rows the UltiBiker
estimate uses, for every service the refresh maps; each planned request is answered with the
items its filters select. The estimate's price_source column proves the refreshed rows are the
ones used.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

from botocore.stub import Stubber

from costplan.config import DEFAULT_STACK
from costplan.estimator import estimate
from costplan.pricing.catalog import Catalog, default_catalog_path
from costplan.pricing.price_list import REGIONS
from costplan.pricing.refresh import refresh_catalog
from costplan.stack import load_stack

PREFIX = {"us-east-1": "", "eu-west-1": "EU-"}
EKS_PREFIX = {"us-east-1": "USE1-", "eu-west-1": "EU-"}
API_UNIT = {"Hrs": "Hrs", "GB-Mo": "GB-Mo", "GB": "GB", "LCU-Hrs": "LCU-Hrs", "Metrics-Mo": "Metrics",
            "Alarms-Mo": "Alarms", "Keys-Mo": "Keys", "10K requests": "Requests", "Items": "Items",
            "Evaluations": "Evaluations", "100K events": "Events", "ACL-Mo": "Month", "Rule-Mo": "Month",
            "1M requests": "Requests"}
SCALE = {"10K requests": 1e4, "100K events": 1e5, "1M requests": 1e6}
"""Our unit in the file's units: KMS quotes per request, the catalog per 10,000."""
DT_PREFIX = {"us-east-1": "USE1-", "eu-west-1": "EU-"}


# catalog key -> (product family, usage type without its region prefix)
CLOUDWATCH = {
    ("cloudwatch-metrics", "metric-month", ""): ("Metric", "CW:MetricMonitorUsage"),
    ("cloudwatch-alarm", "alarm-month", "standard"): ("Alarm", "CW:AlarmMonitorUsage"),
    ("cloudwatch-alarm", "alarm-month", "high-resolution"): ("Alarm", "CW:HighResAlarmMonitorUsage"),
    ("cloudwatch-logs", "ingest-gb", ""): ("Data Payload", "DataProcessing-Bytes"),
    ("cloudwatch-logs", "storage-gb-month", ""): ("Storage Snapshot", "TimedStorage-ByteHrs"),
    ("vpc-flow-logs", "ingest-gb", "cloudwatch-logs"): ("Data Payload", "VendedLog-Bytes"),
}
BY_USAGE = {
    ("AmazonECR", "ecr-storage", "storage-gb-month"): "TimedStorage-ByteHrs",
    ("AmazonEFS", "efs-standard", "storage-gb-month"): "TimedStorage-ByteHrs",
    ("AWSConfig", "config", "configuration-item"): "ConfigurationItemRecorded",
    ("AWSConfig", "config", "rule-evaluation"): "ConfigRuleEvaluations",
    ("AWSCloudTrail", "cloudtrail", "data-events-100k"): "DataEventsRecorded",
    ("AWSCloudTrail", "cloudtrail", "insights-events-100k"): "InsightsEvents",
    ("awswaf", "waf-web-acl", "acl-month"): "WebACLV2",
    ("awswaf", "waf-rule", "rule-month"): "RuleV2",
    ("awswaf", "waf-requests", "million-requests"): "RequestV2-Tier1",
}
# catalog sku -> (transferType, usage type without its prefix, toLocation)
DATA_TRANSFER = {
    "data-transfer-out-internet": ("AWS Outbound", "DataTransfer-Out-Bytes", "External"),
    "data-transfer-inter-az": ("IntraRegion", "DataTransfer-Regional-Bytes", None),
    "data-transfer-inter-region": ("InterRegion Outbound", None, None),
}


def _num(x: float) -> str:
    return "Inf" if x == float("inf") else repr(float(x))


def item_for(tiers, n: int):
    """A get_products item priced exactly like the snapshot rows of one key, or None."""
    p = tiers[0]
    if p.region not in PREFIX or p.unit not in API_UNIT:
        return None
    pre = PREFIX[p.region]
    a = {"regionCode": p.region, "location": REGIONS[p.region], "locationType": "AWS Region", "servicecode": p.service}
    az = {"multi-az": "Multi-AZ", "single-az": "Single-AZ"}
    match (p.service, p.sku, p.usage, p.variant):
        case ("AmazonEC2", sku, "instance-hour", ""):
            family = "Compute Instance"
            a.update(instanceType=sku, operatingSystem="Linux", tenancy="Shared", preInstalledSw="NA",
                     capacitystatus="Used", usagetype=f"{pre}BoxUsage:{sku}")
        case ("AmazonEC2", ("gp2" | "gp3") as vol, "storage-gb-month", ""):
            family = "Storage"
            a.update(volumeApiName=vol, usagetype=f"{pre}EBS:VolumeUsage.{vol}")
        case ("AmazonEC2", "nat-gateway", ("hour" | "gb-processed") as usage, ""):
            family = "NAT Gateway"
            a.update(usagetype=pre + ("NatGateway-Hours" if usage == "hour" else "NatGateway-Bytes"))
        case ("AmazonEKS", "eks-cluster", "cluster-hour", "standard"):
            family = "Compute"
            a.update(usagetype=f"{EKS_PREFIX[p.region]}AmazonEKS-Hours:perCluster")
        case ("AWSELB", "alb", ("hour" | "lcu-hour") as usage, ""):
            family = "Load Balancer-Application"
            a.update(usagetype=pre + ("LoadBalancerUsage" if usage == "hour" else "LCUUsage"))
        case ("AmazonRDS", sku, "instance-hour", variant) if variant.startswith("postgresql:"):
            family = "Database Instance"
            a.update(instanceType=sku, databaseEngine="PostgreSQL", deploymentOption=az[variant.split(":")[1]])
        case ("AmazonRDS", "gp3", "storage-gb-month", variant) if variant in az:
            family = "Database Storage"
            a.update(volumeType="General Purpose-GP3", deploymentOption=az[variant], databaseEngine="PostgreSQL")
        case ("AmazonElastiCache", sku, "node-hour", "redis"):
            family = "Cache Instance"
            a.update(instanceType=sku, cacheEngine="Redis", usagetype=f"{pre}NodeUsage:{sku}")
        case ("AmazonS3", "s3-standard", "storage-gb-month", ""):
            family = "Storage"
            a.update(usagetype=f"{pre}TimedStorage-ByteHrs", volumeType="Standard")
        case ("AmazonCloudWatch", sku, usage, variant) if (sku, usage, variant) in CLOUDWATCH:
            family, ut = CLOUDWATCH[(sku, usage, variant)]
            a.update(usagetype=f"{DT_PREFIX[p.region]}{ut}")
        case ("AmazonVPC", "public-ipv4", "hour", ""):
            family = "IP Address"
            a.update(usagetype=f"{DT_PREFIX[p.region]}PublicIPv4:InUseAddress", group="VPCPublicIPv4Address")
        case ("awskms", ("kms-key" | "kms-requests") as sku, _usage, ""):
            family = "Encryption Key"
            a.update(usagetype=f"{p.region}-" + ("KMS-Keys" if sku == "kms-key" else "KMS-Requests"))
        case ("AWSDataTransfer", sku, "gb", "") if sku in DATA_TRANSFER:
            family = "Data Transfer"
            kind, ut, to = DATA_TRANSFER[sku]
            to = to or REGIONS[p.region if kind == "IntraRegion" else "us-west-2"]
            a = {"fromRegionCode": p.region, "fromLocation": REGIONS[p.region], "fromLocationType": "AWS Region",
                 "toLocation": to, "transferType": kind, "servicecode": p.service,
                 "usagetype": DT_PREFIX[p.region] + (ut or "USW2-AWS-Out-Bytes")}
        case (service, sku, usage, ""):
            # services told apart by usage type alone
            ut = BY_USAGE.get((service, sku, usage))
            if ut is None:
                return None
            family = "Service"
            a.update(usagetype=f"{DT_PREFIX[p.region]}{ut}")
        case _:
            return None
    sku = f"STUBSKU{n:09d}"
    k = SCALE.get(p.unit, 1.0)
    dims = {
        f"{sku}.JRTCKXETXF.{i}": {
            "unit": API_UNIT[t.unit], "beginRange": _num(t.tier_start * k), "endRange": _num(t.tier_end * k),
            "pricePerUnit": {"USD": repr(t.unit_price / k)}, "rateCode": f"{sku}.JRTCKXETXF.{i}", "description": "",
            "appliesTo": [],
        }
        for i, t in enumerate(tiers)
    }
    return {
        "product": {"productFamily": family, "attributes": a, "sku": sku},
        "serviceCode": p.service,
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {"priceDimensions": dims, "sku": sku, "offerTermCode": "JRTCKXETXF",
                                                    "effectiveDate": "2026-11-01T00:00:00Z", "termAttributes": {}}}},
        "version": "20261120000000",
        "publicationDate": "2026-11-20T00:00:00Z",
    }


def selected(item, request) -> bool:
    if item["serviceCode"] != request.params["ServiceCode"]:
        return False
    for f in request.params["Filters"]:
        have = item["product"]["productFamily"] if f["Field"] == "productFamily" else item["product"]["attributes"].get(f["Field"])
        if have != f["Value"]:
            return False
    return True


class StubSession:
    def __init__(self, client):
        self._client = client

    def client(self, name, region_name=None, config=None):
        assert (name, region_name) == ("pricing", "us-east-1")
        return self._client


def test_refreshed_catalog_prices_the_reference_stack_like_the_snapshot(tmp_path):
    import boto3

    snapshot = default_catalog_path()
    folder = tmp_path / "catalog"
    folder.mkdir()
    base = copy_catalog(snapshot, folder)
    before_cat = Catalog.load(base)
    stack = load_stack(DEFAULT_STACK)
    before = estimate(stack, catalog=before_cat)

    # the snapshot rows the estimate uses, as stubbed Price List items
    used = before.lines[before.lines.component_kind != "commitment"]
    items, keys = [], set()
    for r in used.itertuples():
        key = (r.ServiceCode, r.sku, r.RegionId, r.usage, r.variant if isinstance(r.variant, str) else "", r.pricing_model)
        if key in keys or r.pricing_model != "on_demand":
            continue
        tiers = before_cat.tiers(*key)
        item = item_for(tiers, len(items))
        if item is not None:
            keys.add(key)
            items.append(item)
    assert len(keys) >= 20  # EC2, EBS, NAT, EKS, ALB, RDS, ElastiCache and S3 rows in both regions

    regions = ["us-east-1", "eu-west-1"]
    services = ("AmazonEC2,AmazonEKS,AWSELB,AmazonRDS,AmazonElastiCache,AmazonS3,AmazonCloudWatch,AmazonVPC,awskms,"
                "AWSDataTransfer,AmazonECR,AmazonEFS,AWSConfig,AWSCloudTrail,awswaf")
    plan = refresh_catalog(None, regions, services, base=base, dry_run=True).requests
    client = boto3.Session(region_name="us-east-1").client("pricing", region_name="us-east-1")
    stubber = Stubber(client)
    answered = 0
    for req in plan:
        chosen = [json.dumps(i) for i in items if selected(i, req)]
        answered += len(chosen)
        stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": chosen}, dict(req.params))
    assert answered == len(items)  # every stubbed item is selected by exactly one planned request
    with stubber:
        result = refresh_catalog(StubSession(client), regions, services, folder, base=base, today=dt.date(2026, 12, 1))
    stubber.assert_no_pending_responses()
    assert result.path == folder / "aws-prices_2026-12-01.csv"
    assert result.unmapped == {} and result.conflicts == []

    after = estimate(stack, catalog=Catalog.load(result.path))
    cols = ["component", "sku", "usage", "variant", "pricing_model", "PricingQuantity", "ListUnitPrice", "ListCost"]
    assert after.lines[cols].equals(before.lines[cols])
    assert after.total_monthly_cost == before.total_monthly_cost
    # ... and the refreshed rows are the ones that priced it
    refreshed = after.lines[after.lines.price_source.str.startswith("aws-price-list-api:")]
    assert len(refreshed) >= len(keys), (len(refreshed), len(keys))
    assert set(refreshed.price_as_of) == {"2026-12-01"}
    assert {"AWSDataTransfer", "AmazonCloudWatch", "AmazonVPC", "awskms", "AmazonECR", "AmazonEFS", "AWSConfig",
            "AWSCloudTrail", "awswaf"} <= set(refreshed.ServiceCode)


def copy_catalog(snapshot, folder):
    shutil.copy2(snapshot, folder / snapshot.name)
    manifest = snapshot.parent / "manifest.json"
    if manifest.exists():
        shutil.copy2(manifest, folder / "manifest.json")
    return folder / snapshot.name
