"""Parsers for AWS's machine-readable price sources, turning them into catalog rows.

Pure functions, no I/O: each ``parse_*`` takes a response (or pages of responses) and returns
:class:`~costplan.pricing.catalog.Price` rows in the catalog vocabulary of
``docs/catalog-format.md``, so that a refreshed catalog prices a stack exactly like the
embedded snapshot.

- :func:`parse_product`: one item of the Price List API ``pricing.get_products`` answer
  (on-demand and reserved terms).
- :func:`parse_products`: many items at once, counting the ones that do not map.
- :func:`parse_savings_plans_rates`: pages of ``savingsplans.describe_savings_plans_offering_rates``.
- :func:`summarise_spot_history`: pages of ``ec2.describe_spot_price_history``.

Reserved prices are stored as an **effective hourly rate** [USD/h]::

    effective_hourly = upfront_fee / term_hours + recurring_hourly
    term_hours       = 8,760 h (1yr = 365 days x 24 h) or 26,280 h (3yr)

which is how AWS itself quotes an RI's "effective hourly" price. For example the m5.large 1-year
standard partial-upfront RI (us-east-1) costs $252 upfront plus $0.029/h:
252 / 8760 + 0.029 = 0.05777 USD/h, against $0.096/h on demand.

Items that are priced but do not map to a catalog row (Windows instances, Oracle databases,
other storage classes ...) are never dropped silently: :func:`parse_products` counts them by
reason, and the refresh reports the counts. A malformed item raises
:class:`PriceListFormatError` naming its SKU.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from costplan.errors import CostplanError
from costplan.pricing.catalog import Price
from costplan.units import AWS_REGIONS

HOURS_PER_TERM = {"1yr": 8760.0, "3yr": 26280.0}
"""Hours in a reservation term [h]: 365 days x 24 h per year."""

PURCHASE_OPTIONS = {"No Upfront": "no-upfront", "Partial Upfront": "partial-upfront", "All Upfront": "all-upfront"}
SAVINGS_PLAN_TYPES = {"Compute": "compute", "EC2Instance": "ec2-instance"}
SAVINGS_PLAN_DURATIONS = {31536000: "1yr", 94608000: "3yr"}

# AWS region code -> the Price List ``location`` name. Older price lists have no ``regionCode``
# attribute, and some products still name the region only by its location.
REGIONS: dict[str, str] = {code: name.replace("Europe (", "EU (") for code, name in AWS_REGIONS.items()}
LOCATION_TO_REGION: dict[str, str] = {v: k for k, v in REGIONS.items()}
LOCATION_TO_REGION.update({v.replace("EU (", "Europe ("): k for k, v in REGIONS.items() if v.startswith("EU (")})

SPOT_PRODUCT_DESCRIPTIONS = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)")

GLOBAL_REGION = "global"
"""The catalog region of global prices (Route 53), as the embedded catalog keys them."""
FREE_TIER = "free_tier"
"""``pricing_model`` of the rows parsed from a free-tier product while a refresh runs; they are
folded into the paid prices by :func:`apply_free_tiers` and never written to a catalog."""


class PriceListFormatError(CostplanError):
    """A price source answered with something we cannot read (names the SKU)."""


@dataclass(frozen=True)
class _Target:
    """Where one AWS product lands in the catalog, and how its unit converts."""

    service: str
    sku: str
    usage: str
    variant: str = ""
    unit: str = "Hrs"
    api_units: tuple[str, ...] = ("Hrs",)
    scale: float = 1.0
    """Multiplier from the API's price to ours [API units per our unit]: 1/1024 for GiBps -> MiBps,
    1,000 for requests -> 1K requests."""
    tiers: tuple[float, float] | None = None
    """Fixed tier bounds when AWS publishes each tier as its own product (io2 IOPS) [unit]."""
    note: str = ""
    strict_unit: bool = True
    """A unit outside ``api_units`` is a format error (True) or a product left unmapped and
    counted, its last good price kept (False: services mapped from their usage types alone)."""
    region: str | None = None
    """The catalog region of a product that belongs to no AWS region (``global``: Route 53, an
    account-wide free tier); None: the product's own region."""
    free_tier: bool = False
    """An account-wide free-tier product: its $0 range becomes the first tier of the paid price
    of the same key in every region (:func:`apply_free_tiers`), never a catalog row itself."""


@dataclass
class ParsedPrices:
    """Rows parsed from a price source, with what could not be mapped.

    ``unmapped`` counts items (or terms) by reason; ``publication_dates`` maps a service code to
    the newest ``publicationDate`` seen (YYYY-MM-DD).
    """

    prices: list[Price] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    publication_dates: dict[str, str] = field(default_factory=dict)
    items: int = 0


# -- product attributes -> catalog key ------------------------------------------------------
_REGISTERED: dict[str, Any] = {}
"""Product code -> mapper, filled by :func:`mapper` in the order the mappers are defined."""


def mapper(code: str):
    """Register ``fn(family, attributes, usage type) -> _Target | reason`` as the mapper of the
    Price List offer ``code``; the offer itself is declared by one service of the registry
    (``PricedService.price_list``), which is what puts the mapper to use."""

    def register(fn):
        if code in _REGISTERED:
            raise ValueError(f"two Price List mappers for {code}")
        _REGISTERED[code] = fn
        return fn

    return register


def _usagetype_tail(attrs: Mapping[str, str]) -> str:
    """``usagetype`` without its region prefix: ``EU-NatGateway-Hours`` -> ``NatGateway-Hours``."""
    ut = attrs.get("usagetype", "")
    head, sep, tail = ut.partition("-")
    # region prefixes are upper-case letters and digits (USE1, EU, APS2, EUW2 ...)
    if sep and re.fullmatch(r"[A-Z]{2,4}\d?", head) and not ut.startswith(("EBS", "RDS")):
        return tail
    return ut


def region_of(attrs: Mapping[str, str]) -> str | None:
    """The AWS region code of a product: ``regionCode``, else its ``location`` name."""
    code = attrs.get("regionCode") or attrs.get("fromRegionCode")  # data transfer: where it leaves from
    if code:
        return code
    return LOCATION_TO_REGION.get(attrs.get("location") or attrs.get("fromLocation", ""))


_EBS_VOLUMES = ("gp2", "gp3", "io1", "io2", "st1", "sc1")
_RDS_STORAGE = {
    "General Purpose": "gp2",
    "General Purpose-GP3": "gp3",
    "Provisioned IOPS": "io1",
    "Provisioned IOPS-IO2": "io2",
}


@mapper("AmazonEC2")
def _map_ec2(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    if family.startswith("Compute Instance"):
        wrong = [
            f"{k} {a.get(k)!r}"
            for k, want in (
                ("operatingSystem", "Linux"),
                ("tenancy", "Shared"),
                ("preInstalledSw", "NA"),
                ("capacitystatus", "Used"),
            )
            if a.get(k, want) != want
        ]
        if a.get("marketoption", "OnDemand") != "OnDemand":
            wrong.append(f"marketoption {a.get('marketoption')!r}")
        if wrong:
            return f"AmazonEC2 instance not Linux/Shared/no software/Used ({wrong[0]})"
        itype = a.get("instanceType")
        if not itype:
            return "AmazonEC2 instance without instanceType"
        return _Target("AmazonEC2", itype, "instance-hour")
    if family == "Storage" and ut.startswith("EBS:VolumeUsage"):
        vol = a.get("volumeApiName", "")
        if vol in _EBS_VOLUMES:
            return _Target("AmazonEC2", vol, "storage-gb-month", unit="GB-Mo", api_units=("GB-Mo",))
        return f"AmazonEC2 EBS volume type {vol or ut!r}"
    if family == "Storage Snapshot" and ut == "EBS:SnapshotUsage":
        return _Target("AmazonEC2", "ebs-snapshot", "storage-gb-month", unit="GB-Mo", api_units=("GB-Mo",))
    if ut.startswith("EBS:VolumeP-IOPS."):
        vol = a.get("volumeApiName") or ut.split(".")[1]
        vol = {"piops": "io1"}.get(vol, vol)
        if vol not in ("gp3", "io1", "io2"):
            return f"AmazonEC2 EBS IOPS for {vol!r}"
        # io2 publishes each IOPS tier as its own product (…io2, …io2.tier2, …io2.tier3)
        tiers = {"EBS:VolumeP-IOPS.io2.tier2": (32000.0, 64000.0), "EBS:VolumeP-IOPS.io2.tier3": (64000.0, math.inf)}
        bounds = tiers.get(ut, (0.0, 32000.0) if ut == "EBS:VolumeP-IOPS.io2" else None)
        return _Target(
            "AmazonEC2", vol, "iops-month", unit="IOPS-Mo", api_units=("IOPS-Mo",), tiers=bounds,
            note="above the 3,000 IOPS baseline" if vol == "gp3" else "",
        )
    if ut == "EBS:VolumeP-Throughput.gp3":
        return _Target(
            "AmazonEC2", "gp3", "throughput-mbps-month", unit="MBps-Mo", api_units=("GiBps-mo", "GiBps-Mo"),
            scale=1 / 1024, note="above the 125 MB/s baseline; Price List quotes per GiBps-month, divided by 1024",
        )
    if family == "NAT Gateway":
        if ut == "NatGateway-Hours":
            return _Target("AmazonEC2", "nat-gateway", "hour")
        if ut == "NatGateway-Bytes":
            return _Target("AmazonEC2", "nat-gateway", "gb-processed", unit="GB", api_units=("GB",))
        return f"AmazonEC2 NAT gateway usage {ut!r}"
    return f"AmazonEC2 product family {family!r}"


_RDS_ENGINES = {"PostgreSQL": "postgresql", "MySQL": "mysql"}
"""Price List databaseEngine -> the catalog's engine (RDS for PostgreSQL and for MySQL)."""


@mapper("AmazonRDS")
def _map_rds(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    deployment = a.get("deploymentOption", "")
    az = {"Single-AZ": "single-az", "Multi-AZ": "multi-az"}.get(deployment)
    if family == "Database Instance":
        engine = _RDS_ENGINES.get(a.get("databaseEngine", ""))
        if engine is None:
            return f"AmazonRDS engine {a.get('databaseEngine', '')!r}"
        if az is None:
            return f"AmazonRDS deployment {deployment!r}"
        itype = a.get("instanceType")
        if not itype:
            return "AmazonRDS instance without instanceType"
        return _Target("AmazonRDS", itype, "instance-hour", variant=f"{engine}:{az}")
    if family == "Database Storage":
        vol = _RDS_STORAGE.get(a.get("volumeType", ""))
        if vol is None or az is None:
            return f"AmazonRDS storage {a.get('volumeType')!r} {deployment!r}"
        if a.get("databaseEngine", "PostgreSQL") not in ("PostgreSQL", "Any", "All"):
            return f"AmazonRDS storage for engine {a.get('databaseEngine')!r}"
        return _Target("AmazonRDS", vol, "storage-gb-month", variant=az, unit="GB-Mo", api_units=("GB-Mo",))
    if family == "Provisioned IOPS":
        if az is None:
            return f"AmazonRDS IOPS {deployment!r}"
        if a.get("databaseEngine", "PostgreSQL") not in ("PostgreSQL", "Any", "All"):
            return f"AmazonRDS IOPS for engine {a.get('databaseEngine')!r}"
        upper = ut.upper()
        vol = "gp3" if "GP3" in upper else "io2" if "IO2" in upper else "io1"
        return _Target(
            "AmazonRDS", vol, "iops-month", variant=az, unit="IOPS-Mo", api_units=("IOPS-Mo",),
            note="above the gp3 baseline" if vol == "gp3" else "",
        )
    if family == "Storage Snapshot" and ut.endswith("ChargedBackupUsage"):
        return _Target("AmazonRDS", "backup-storage", "storage-gb-month", unit="GB-Mo", api_units=("GB-Mo",))
    if ut == "RDS:ProxyUsage":
        # per vCPU of the instances behind the proxy, per hour (one product per engine, one price)
        return _Target("AmazonRDS", "rds-proxy", "vcpu-hour", unit="vCPU-Hrs", api_units=("Hrs", "vCPU-Hrs"),
                       note="per vCPU-hour of the provisioned instances behind the proxy", strict_unit=False)
    if family == "RDSProxy":
        return f"AmazonRDS proxy usage {ut!r}"
    return f"AmazonRDS product family {family!r}"


@mapper("AmazonElastiCache")
def _map_elasticache(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    if family != "Cache Instance":
        return f"AmazonElastiCache product family {family!r}"
    engine = a.get("cacheEngine", "").lower()
    if engine not in ("redis", "valkey", "memcached"):
        return f"AmazonElastiCache engine {a.get('cacheEngine')!r}"
    if not ut.startswith("NodeUsage:"):
        return f"AmazonElastiCache usage {ut!r}"
    itype = a.get("instanceType")
    if not itype:
        return "AmazonElastiCache node without instanceType"
    return _Target("AmazonElastiCache", itype, "node-hour", variant=engine)


@mapper("AWSELB")
def _map_elb(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    kind = {"Load Balancer-Application": "alb", "Load Balancer-Network": "nlb", "Load Balancer": "clb"}.get(family)
    if kind is None:
        return f"AWSELB product family {family!r}"
    if ut == "LoadBalancerUsage":
        return _Target("AWSELB", kind, "hour")
    if kind == "alb" and ut == "LCUUsage":
        return _Target("AWSELB", "alb", "lcu-hour", unit="LCU-Hrs", api_units=("LCU-Hrs",))
    if kind == "nlb" and ut == "LCUUsage":
        return _Target("AWSELB", "nlb", "nlcu-hour", unit="NLCU-Hrs", api_units=("NLCU-Hrs", "LCU-Hrs"))
    return f"AWSELB {kind} usage {ut!r}"


@mapper("AmazonEKS")
def _map_eks(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    variant = {"AmazonEKS-Hours:perCluster": "standard", "AmazonEKS-Hours:extendedSupport": "extended"}.get(ut)
    if variant is None:
        return f"AmazonEKS usage {ut!r}"
    return _Target("AmazonEKS", "eks-cluster", "cluster-hour", variant=variant, api_units=("Hrs", "Hours", "hours"))


_S3_STORAGE = {
    "TimedStorage-ByteHrs": "s3-standard",
    "TimedStorage-SIA-ByteHrs": "s3-standard-ia",
    "TimedStorage-GIR-ByteHrs": "s3-glacier-ir",
}


@mapper("AmazonS3")
def _map_s3(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    if family == "Storage" and ut in _S3_STORAGE:
        return _Target("AmazonS3", _S3_STORAGE[ut], "storage-gb-month", unit="GB-Mo", api_units=("GB-Mo",))
    if family == "API Request":
        usage = {"S3-API-Tier1": "requests-tier1", "S3-API-Tier2": "requests-tier2"}.get(a.get("group", ""))
        if usage:
            return _Target(
                "AmazonS3", "s3-standard", usage, unit="1K requests", api_units=("Requests",), scale=1000.0,
                note="Price List quotes per request, multiplied by 1,000",
            )
    return f"AmazonS3 {family or 'product'} {ut!r}"


_CLOUDWATCH = {
    # usage type (without its region prefix) -> (sku, usage, variant, our unit, the file's units)
    "CW:MetricMonitorUsage": ("cloudwatch-metrics", "metric-month", "", "Metrics-Mo", ("Metrics",)),
    "CW:AlarmMonitorUsage": ("cloudwatch-alarm", "alarm-month", "standard", "Alarms-Mo", ("Alarms",)),
    "CW:HighResAlarmMonitorUsage": ("cloudwatch-alarm", "alarm-month", "high-resolution", "Alarms-Mo", ("Alarms",)),
    "DataProcessing-Bytes": ("cloudwatch-logs", "ingest-gb", "", "GB", ("GB",)),
    "TimedStorage-ByteHrs": ("cloudwatch-logs", "storage-gb-month", "", "GB-Mo", ("GB-Mo",)),
    # vended logs (VPC Flow Logs among them) delivered to CloudWatch Logs
    "VendedLog-Bytes": ("vpc-flow-logs", "ingest-gb", "cloudwatch-logs", "GB", ("GB",)),
    # ... and delivered to S3 (plain text; Parquet conversion is S3-Egress-InputBytes, not priced)
    "S3-Egress-Bytes": ("vpc-flow-logs", "ingest-gb", "s3", "GB", ("GB",)),
}


@mapper("AmazonCloudWatch")
def _map_cloudwatch(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    t = _CLOUDWATCH.get(ut)
    if t is None:
        return f"AmazonCloudWatch usage {ut!r}"
    sku, usage, variant, unit, api = t
    return _Target("AmazonCloudWatch", sku, usage, variant=variant, unit=unit, api_units=api, strict_unit=False)


@mapper("AmazonVPC")
def _map_vpc(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    if ut == "PublicIPv4:InUseAddress":
        return _Target("AmazonVPC", "public-ipv4", "hour", strict_unit=False)
    return f"AmazonVPC usage {ut!r}"


@mapper("awskms")
def _map_kms(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    # KMS usage types carry the region's code as their prefix: us-east-1-KMS-Keys
    ut = a.get("usagetype", "")
    if ut.startswith("Global-"):
        return f"awskms free tier {ut!r}"
    ut = "KMS-" + ut.rpartition("KMS-")[2] if "KMS-" in ut else ut
    if ut == "KMS-Keys":
        return _Target("awskms", "kms-key", "key-month", unit="Keys-Mo", api_units=("Keys", "Keys-Mo"),
                       strict_unit=False)
    if ut == "KMS-Requests":
        return _Target("awskms", "kms-requests", "10k-requests", unit="10K requests", api_units=("Requests",),
                       scale=10000.0, note="Price List quotes per request, multiplied by 10,000", strict_unit=False)
    return f"awskms usage {ut!r}"


@mapper("AWSDataTransfer")
def _map_data_transfer(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    kind = a.get("transferType", "")
    if kind == "AWS Outbound" and ut == "DataTransfer-Out-Bytes":
        return _Target("AWSDataTransfer", "data-transfer-out-internet", "gb", unit="GB", api_units=("GB",),
                       strict_unit=False)
    if kind == "IntraRegion" and ut == "DataTransfer-Regional-Bytes":
        return _Target("AWSDataTransfer", "data-transfer-inter-az", "gb", unit="GB", api_units=("GB",),
                       strict_unit=False)
    if kind == "InterRegion Outbound" and ut.endswith("-AWS-Out-Bytes"):
        # one product per destination region; the catalog keeps one price per source region (a
        # destination priced differently is a conflict the refresh reports)
        return _Target("AWSDataTransfer", "data-transfer-inter-region", "gb", unit="GB", api_units=("GB",),
                       strict_unit=False)
    return f"AWSDataTransfer {kind or 'transfer'} {ut!r}"


def _by_usage(service: str, table: Mapping[str, tuple]) -> Any:
    """A mapper for a service whose catalog prices are told apart by usage type alone:
    ``table`` maps the usage type (without its region prefix) to ``(sku, usage, variant, our
    unit, the file's units, scale)``. A unit other than those is counted, never converted."""

    def mapper(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
        t = table.get(ut)
        if t is None:
            return f"{service} usage {ut!r}"
        sku, usage, variant, unit, api, scale = t
        note = f"Price List quotes per {api[0].rstrip('s').lower()}, multiplied by {scale:,.0f}" if scale != 1 else ""
        return _Target(service, sku, usage, variant=variant, unit=unit, api_units=api, scale=scale, note=note,
                       strict_unit=False)

    return mapper


_map_ecr = mapper("AmazonECR")(_by_usage("AmazonECR", {
    "TimedStorage-ByteHrs": ("ecr-storage", "storage-gb-month", "", "GB-Mo", ("GB-Mo",), 1.0),
}))
_map_efs_usage = _by_usage("AmazonEFS", {
    "TimedStorage-ByteHrs": ("efs-standard", "storage-gb-month", "", "GB-Mo", ("GB-Mo",), 1.0),
    "IATimedStorage-ByteHrs": ("efs-standard-ia", "storage-gb-month", "", "GB-Mo", ("GB-Mo",), 1.0),
    "TimedStorage-Z-ByteHrs": ("efs-one-zone", "storage-gb-month", "", "GB-Mo", ("GB-Mo",), 1.0),
    "ProvisionedTP-MiBpsHrs": ("efs-provisioned-throughput", "mbps-month", "", "MBps-Mo", ("MiBps-Mo", "MBps-Mo"), 1.0),
})


@mapper("AmazonEFS")
def _map_efs(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    if ut == "IADataAccess-Bytes":
        # one product per direction, told apart by accessType (Read / Write)
        usage = {"read": "read-gb", "write": "write-gb"}.get(a.get("accessType", "").lower())
        if usage is None:
            return f"AmazonEFS Infrequent Access requests with accessType {a.get('accessType')!r}"
        return _Target("AmazonEFS", "efs-ia-requests", usage, unit="GB", api_units=("GB",), strict_unit=False)
    if ut == "ProvisionedTP-MiBpsHrs" and a.get("throughputClass", "Provisioned") != "Provisioned":
        # the throughput included with storage is a $0 product of the same usage type
        return f"AmazonEFS throughput class {a.get('throughputClass')!r} (not provisioned throughput)"
    return _map_efs_usage(family, a, ut)


_map_config = mapper("AWSConfig")(_by_usage("AWSConfig", {
    "ConfigurationItemRecorded": ("config", "configuration-item", "", "Items", ("Items", "items"), 1.0),
    "ConfigRuleEvaluations": ("config", "rule-evaluation", "", "Evaluations", ("Evaluations", "evaluations"), 1.0),
}))
_map_cloudtrail = mapper("AWSCloudTrail")(_by_usage("AWSCloudTrail", {
    # management events beyond the first copy, data events, Insights events: per event in the
    # Price List, per 100,000 in the catalog
    "PaidEventsRecorded": ("cloudtrail", "management-events-copy-100k", "", "100K events", ("Events", "events"), 1e5),
    "DataEventsRecorded": ("cloudtrail", "data-events-100k", "", "100K events", ("Events", "events"), 1e5),
    "InsightsEvents": ("cloudtrail", "insights-events-100k", "", "100K events", ("Events", "events"), 1e5),
}))
_map_waf = mapper("awswaf")(_by_usage("awswaf", {
    "WebACLV2": ("waf-web-acl", "acl-month", "", "ACL-Mo", ("Month", "Months", "WebACL"), 1.0),
    "RuleV2": ("waf-rule", "rule-month", "", "Rule-Mo", ("Month", "Months", "Rule"), 1.0),
    "RequestV2-Tier1": ("waf-requests", "million-requests", "", "1M requests", ("Requests", "Request"), 1e6),
}))


@mapper("AmazonRoute53")
def _map_route53(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    # Route 53 is global: its usage types carry no region prefix ("DNS-Queries" must not lose
    # "DNS-" as if it were one), and its rows are keyed by the region ``global``
    ut = a.get("usagetype", "")
    glob = {"region": GLOBAL_REGION, "strict_unit": False}
    if family == "DNS Zone" and ut == "HostedZone":
        return _Target("AmazonRoute53", "route53-hosted-zone", "zone-month", unit="Zone-Mo",
                       api_units=("HostedZone", "Hosted Zone", "Zone-Mo"), **glob)
    if family == "DNS Query":
        variant = {"DNS-Queries": "standard", "LBR-Queries": "latency", "Geo-Queries": "geo"}.get(ut)
        if variant:
            return _Target("AmazonRoute53", "route53-queries", "million-queries", variant=variant, unit="1M queries",
                           api_units=("Queries", "Query"), scale=1e6,
                           note="Price List quotes per query, multiplied by 1,000,000 (tier bounds divided by it)", **glob)
    if family == "DNS Health Check":
        variant = {"health-check-aws": "aws-endpoint", "health-check-non-aws": "non-aws-endpoint"}.get(ut.lower())
        if variant:
            return _Target("AmazonRoute53", "route53-health-check", "check-month", variant=variant, unit="Checks-Mo",
                           api_units=("HealthCheck", "Health Check", "Count", "Checks-Mo"), **glob)
    return f"AmazonRoute53 {family or 'product'} {ut!r}"


_XRAY = {
    "XRay-TracesStored": "traces-recorded-million",
    "XRay-TracesAccessed": "traces-retrieved-million",
}


@mapper("AWSXRay")
def _map_xray(family: str, a: Mapping[str, str], ut: str) -> _Target | str:
    free = ut.startswith("Global-")
    usage = _XRAY.get(ut.removeprefix("Global-"))
    if usage is None:
        return f"AWSXRay usage {ut!r}"
    return _Target("AWSXRay", "xray", usage, unit="1M traces", api_units=("traces", "Traces"), scale=1e6,
                   note="Price List quotes per trace, multiplied by 1,000,000 (tier bounds divided by it)",
                   strict_unit=False, free_tier=free, region=GLOBAL_REGION if free else None)


FREE_TIERS: frozenset[tuple[str, str, str, str]] = frozenset({
    ("AWSXRay", "xray", "traces-recorded-million", ""),
    ("AWSXRay", "xray", "traces-retrieved-million", ""),
})
"""``(service, sku, usage, variant)`` whose monthly free amount is a separate, global product
(``Global-XRay-TracesStored``): a refreshed price of such a key needs it as its first tier."""


def _offers() -> dict:
    from costplan.components.registry import price_list_offers

    return price_list_offers()


_MAPPERS = {code: m for code, m in _REGISTERED.items() if code in _offers()}
"""Product code -> its mapper: the mappers registered above for the offers the service
registry declares (``PricedService.price_list``), in the order they are defined here."""
SERVICES = tuple(_MAPPERS)
"""Service codes whose Price List products this module maps to catalog rows."""
GLOBAL_SERVICES = tuple(code for code, o in _offers().items() if o.global_offer)
"""Service codes whose every price is global (one offer file, region ``global``)."""


def map_product(product: Mapping[str, Any], service_code: str | None = None) -> tuple[_Target, str] | str:
    """Map a Price List ``product`` to a catalog target and region, or return why it does not map."""
    attrs = product.get("attributes") or {}
    service = service_code or attrs.get("servicecode", "")
    mapper = _MAPPERS.get(service)
    if mapper is None:
        return f"service {service!r} is not mapped"
    why = None
    region = None
    if attrs.get("locationType", "AWS Region") != "AWS Region":
        why = f"{service} location type {attrs.get('locationType')!r}"
    else:
        region = region_of(attrs)
        if region is None:
            why = f"{service} location {attrs.get('location')!r} has no known region code"
    target = mapper(product.get("productFamily", ""), attrs, _usagetype_tail(attrs))
    if isinstance(target, str):
        # a global product (Route 53, a free tier) the mapper does not price: say which
        glob = service in GLOBAL_SERVICES or attrs.get("location") in ("Global", "Any")
        return target if glob else why or target
    if target.region is not None:  # a global product: it names no region, or names one it does not belong to
        return target, target.region
    if why:
        return why
    return target, region


# -- terms -> prices ----------------------------------------------------------------------
def _number(value: Any, sku: str, what: str, where: str = "Price List item") -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PriceListFormatError(f"{where} {sku}: {what} is not a number: {value!r}") from None
    if math.isnan(x) or x < 0:
        raise PriceListFormatError(f"{where} {sku}: {what} must be >= 0, got {value!r}")
    return x


def _usd(dim: Mapping[str, Any], sku: str) -> float:
    ppu = dim.get("pricePerUnit")
    if not isinstance(ppu, Mapping) or "USD" not in ppu:
        raise PriceListFormatError(
            f"Price List item {sku}: price dimension {dim.get('rateCode', '?')} has no pricePerUnit.USD"
        )
    return _number(ppu["USD"], sku, f"pricePerUnit.USD of {dim.get('rateCode', '?')}")


def _range(dim: Mapping[str, Any], sku: str) -> tuple[float, float]:
    begin = _number(dim.get("beginRange", "0") or "0", sku, "beginRange")
    end_raw = dim.get("endRange", "Inf")
    end = math.inf if end_raw in (None, "", "Inf", "inf") else _number(end_raw, sku, "endRange")
    if end <= begin:
        raise PriceListFormatError(f"Price List item {sku}: endRange {end_raw} is not above beginRange {begin}")
    return begin, end


def _dimensions(term: Mapping[str, Any], sku: str) -> list[Mapping[str, Any]]:
    dims = term.get("priceDimensions")
    if not isinstance(dims, Mapping) or not dims:
        raise PriceListFormatError(f"Price List item {sku}: term {term.get('offerTermCode', '?')} has no priceDimensions")
    return list(dims.values())


def _check_unit(dim: Mapping[str, Any], target: _Target, sku: str) -> None:
    if dim.get("unit") not in target.api_units:
        raise PriceListFormatError(
            f"Price List item {sku}: unit {dim.get('unit')!r} for {target.service} {target.sku} {target.usage} "
            f"(expected {' or '.join(target.api_units)}); refusing to guess a conversion"
        )


def _load(item: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(item, (str, bytes)):
        try:
            item = json.loads(item)
        except json.JSONDecodeError as exc:
            raise PriceListFormatError(f"Price List item is not JSON: {exc} (starts {str(item)[:60]!r})") from None
    if not isinstance(item, Mapping):
        raise PriceListFormatError(f"Price List item is a {type(item).__name__}, not a JSON object")
    return item


def _sku_of(item: Mapping[str, Any]) -> str:
    product = item.get("product")
    if not isinstance(product, Mapping) or not product.get("sku"):
        raise PriceListFormatError(
            f"Price List item without product.sku (keys: {sorted(item)}); cannot tell which product it is"
        )
    return str(product["sku"])


def publication_date(item: str | Mapping[str, Any]) -> str:
    """The ``publicationDate`` of a Price List item as YYYY-MM-DD ('' when absent)."""
    return str(_load(item).get("publicationDate", ""))[:10]


def default_source(service_code: str, published: str) -> str:
    """Catalog source id of a Price List row: ``aws-price-list-api:<servicecode>:<YYYY-MM-DD>``."""
    return f"aws-price-list-api:{service_code}:{published or 'unknown'}"


def parse_product(
    price_list_json: str | Mapping[str, Any],
    *,
    as_of: str | None = None,
    source: str | None = None,
    unmapped: Counter | None = None,
) -> list[Price]:
    """Catalog rows for one Price List ``get_products`` item: on-demand and reserved.

    ``price_list_json`` is one element of the API's ``PriceList`` (a JSON string) or the parsed
    dict. ``as_of`` [YYYY-MM-DD] defaults to the item's ``publicationDate``; ``source`` to
    :func:`default_source`. Returns ``[]`` for a product that does not map to the catalog and
    adds the reason to ``unmapped`` when given. Raises :class:`PriceListFormatError`, naming the
    SKU, for a malformed item.
    """
    item = _load(price_list_json)
    sku = _sku_of(item)
    product = item["product"]
    if not isinstance(product.get("attributes"), Mapping):
        raise PriceListFormatError(f"Price List item {sku}: product has no attributes")
    service = item.get("serviceCode") or product["attributes"].get("servicecode", "")
    mapped = map_product(product, service)
    if isinstance(mapped, str):
        if unmapped is not None:
            unmapped[mapped] += 1
        return []
    target, region = mapped
    published = publication_date(item)
    as_of = as_of or published
    source = source or default_source(service, published)
    terms = item.get("terms")
    if not isinstance(terms, Mapping):
        raise PriceListFormatError(f"Price List item {sku}: no terms")

    def row(model: str, start: float, end: float, price: float, term="", option="", cls_="", note="") -> Price:
        return Price(
            service=target.service, sku=target.sku, region=region, usage=target.usage, variant=target.variant,
            pricing_model=model, term=term, purchase_option=option, offering_class=cls_,
            tier_start=start, tier_end=end, unit=target.unit, unit_price=round(price, 10), interruption_band="",
            source=source, as_of=as_of, verified=True,
            note="; ".join(x for x in (target.note, note, f"Price List SKU {sku}") if x),
        )

    out: list[Price] = []
    if not target.strict_unit:
        units = {d.get("unit") for t in (terms.get("OnDemand") or {}).values() for d in _dimensions(t, sku)}
        if units - set(target.api_units):
            if unmapped is not None:
                unmapped[f"{target.service} {target.sku} {target.usage} in unit {', '.join(sorted(map(str, units)))} "
                         f"(expected {' or '.join(target.api_units)})"] += 1
            return []
    for term in (terms.get("OnDemand") or {}).values():
        for dim in _dimensions(term, sku):
            _check_unit(dim, target, sku)
            start, end = _range(dim, sku)
            if target.tiers is not None:
                if (start, end) not in ((0.0, math.inf), target.tiers):
                    raise PriceListFormatError(f"Price List item {sku}: unexpected range {start}-{end} for {target.usage}")
                start, end = target.tiers
            elif target.scale != 1:
                # bounds are in the file's unit: 1e9 queries = 1,000 x 1M queries
                start, end = _scaled_bound(start, target.scale), _scaled_bound(end, target.scale)
            out.append(row(FREE_TIER if target.free_tier else "on_demand", start, end, _usd(dim, sku) * target.scale))
    for term in (terms.get("Reserved") or {}).values():
        r = _reserved(term, target, sku)
        if isinstance(r, str):
            if unmapped is not None:
                unmapped[r] += 1
            continue
        lease, option, cls_, rate, note = r
        out.append(row("reserved", 0.0, math.inf, rate, lease, option, cls_, note))
    if not out and unmapped is not None:
        unmapped[f"{service} product without on-demand or reserved prices"] += 1
    return out


def _scaled_bound(x: float, scale: float) -> float:
    """A tier bound in the file's unit converted to ours (``scale`` file units per our unit)."""
    return x if math.isinf(x) or x == 0 else round(x / scale, 9)


def _reserved(term: Mapping[str, Any], target: _Target, sku: str) -> tuple[str, str, str, float, str] | str:
    """(term, purchase option, offering class, effective hourly rate [USD/h], note) or why not."""
    attrs = term.get("termAttributes") or {}
    lease = attrs.get("LeaseContractLength")
    option_raw = attrs.get("PurchaseOption")
    if not lease or not option_raw:
        raise PriceListFormatError(
            f"Price List item {sku}: reserved term {term.get('offerTermCode', '?')} lacks "
            "LeaseContractLength or PurchaseOption"
        )
    lease = {"1 yr": "1yr", "3 yr": "3yr"}.get(lease, lease)
    if lease not in HOURS_PER_TERM:
        return f"{target.service} reserved term {lease!r}"
    option = PURCHASE_OPTIONS.get(option_raw)
    if option is None:
        return f"{target.service} reserved purchase option {option_raw!r}"
    cls_ = attrs.get("OfferingClass", "").lower()
    note = ""
    if not cls_:
        cls_ = "standard"
        note = "no OfferingClass in the Price List; reserved nodes of this service are standard"
    if cls_ not in ("standard", "convertible"):
        return f"{target.service} reserved offering class {cls_!r}"
    upfront, hourly, hourly_seen = 0.0, 0.0, False
    for dim in _dimensions(term, sku):
        unit = dim.get("unit")
        if unit == "Quantity":
            upfront += _usd(dim, sku)
        elif unit in target.api_units and target.usage.endswith("hour"):
            if hourly_seen:
                raise PriceListFormatError(f"Price List item {sku}: reserved term with two hourly rates")
            hourly, hourly_seen = _usd(dim, sku), True
        else:
            return f"{target.service} reserved {target.usage} in unit {unit!r}"
    if not hourly_seen and option != "all-upfront":
        raise PriceListFormatError(f"Price List item {sku}: {lease} {option_raw} reserved term has no hourly rate")
    rate = upfront / HOURS_PER_TERM[lease] + hourly
    amort = f"effective hourly = {upfront:g} upfront / {HOURS_PER_TERM[lease]:g} h + {hourly:g}/h"
    return lease, option, cls_, rate, "; ".join(x for x in (amort, note) if x)


def apply_free_tiers(prices: Iterable[Price], conflicts: list[str]) -> list[Price]:
    """Fold the account-wide free-tier products into the paid prices they belong to.

    A key of :data:`FREE_TIERS` is priced by two products: the paid one per region (one tier,
    ``0``-``inf``, or tiers starting at the free amount) and a global one, ``0``-``F`` at $0.
    The result is the paid price with ``[0, F)`` at $0 as its first tier and the paid price
    from ``F`` on, which is how the catalog keeps it. A paid product that already starts with
    a bounded $0 tier is kept as it is. A paid price without its free-tier product, or whose
    tiers fit neither shape, is left out and reported in ``conflicts`` (the last good price is
    kept). The free-tier rows themselves (``pricing_model`` :data:`FREE_TIER`) never pass.
    """
    free: dict[tuple, Price] = {}
    paid: dict[tuple, list[Price]] = {}
    out: list[Price] = []
    for p in prices:
        fkey = (p.service, p.sku, p.usage, p.variant)
        if p.pricing_model == FREE_TIER:
            if p.unit_price == 0 and p.tier_start == 0 and not math.isinf(p.tier_end):
                free.setdefault(fkey, p)
        elif fkey in FREE_TIERS and p.pricing_model == "on_demand":
            paid.setdefault(p.key, []).append(p)
        else:
            out.append(p)
    for key, rows in paid.items():
        rows = sorted({r.tier_start: r for r in rows}.values(), key=lambda r: r.tier_start)
        first = rows[0]
        name = " ".join(x for x in key if x)
        if first.tier_start == 0 and first.unit_price == 0 and not math.isinf(first.tier_end):
            out += rows  # the paid product carries its free tier itself
            continue
        f = free.get(key[:2] + key[3:5])
        if f is None:
            conflicts.append(f"{name}: no free-tier product (its $0 first tier) in the price list; kept the last good price")
            continue
        amount = f.tier_end
        if len(rows) == 1 and first.tier_start == 0 and math.isinf(first.tier_end):
            rows = [replace(first, tier_start=amount)]
        elif first.tier_start != amount:
            conflicts.append(f"{name}: paid tiers start at {first.tier_start:g}, the free tier ends at {amount:g}; "
                             "kept the last good price")
            continue
        free_row = replace(
            rows[0], tier_start=0.0, tier_end=amount, unit_price=0.0, source=f.source, as_of=f.as_of,
            note=f"free tier: first {amount:g} {f.unit} per account per month; {f.note}",
        )
        out += [free_row, *rows]
    return out


def parse_products(
    items: Iterable[str | Mapping[str, Any]], *, as_of: str | None = None, source: str | None = None
) -> ParsedPrices:
    """Parse many ``get_products`` items; count the unmapped ones by reason."""
    out = ParsedPrices()
    for item in items:
        item = _load(item)
        out.items += 1
        out.prices += parse_product(item, as_of=as_of, source=source, unmapped=out.unmapped)
        service = item.get("serviceCode") or ""
        pub = publication_date(item)
        if service and pub:
            out.publication_dates[service] = max(pub, out.publication_dates.get(service, ""))
    return out


# -- Savings Plans --------------------------------------------------------------------------
def parse_savings_plans_rates(
    pages: Iterable[Mapping[str, Any]], *, as_of: str | None = None, source: str = "aws-savings-plans-api"
) -> ParsedPrices:
    """Savings Plans rows from pages of ``describe_savings_plans_offering_rates``.

    The API gives no publication date: ``as_of`` [YYYY-MM-DD] defaults to today (UTC).

    Keeps EC2 Linux shared-tenancy instance rates of Compute and EC2 Instance plans; a rate is
    already an hourly price under the plan [USD/h] (AWS spreads any upfront payment into it).
    Other products (Fargate, Lambda, SageMaker ...) are counted in ``unmapped``.
    """
    if as_of is None:
        import datetime as dt

        as_of = dt.datetime.now(dt.UTC).date().isoformat()
    out = ParsedPrices()
    for page in pages:
        for r in page.get("searchResults", []) or []:
            out.items += 1
            props = {p.get("name"): p.get("value") for p in r.get("properties", []) or []}
            offering = r.get("savingsPlanOffering") or {}
            oid = offering.get("offeringId", "?")
            if r.get("productType") != "EC2" or "BoxUsage" not in (r.get("usageType") or ""):
                out.unmapped[f"savings plan rate for {r.get('productType')!r} {r.get('usageType', '')!r}"] += 1
                continue
            if props.get("productDescription", "Linux/UNIX") != "Linux/UNIX" or props.get("tenancy", "shared") != "shared":
                out.unmapped["savings plan rate not Linux/UNIX shared tenancy"] += 1
                continue
            plan = SAVINGS_PLAN_TYPES.get(offering.get("planType", ""))
            term = SAVINGS_PLAN_DURATIONS.get(int(offering.get("durationSeconds") or 0))
            option = PURCHASE_OPTIONS.get(offering.get("paymentOption", ""))
            if plan is None or term is None or option is None:
                out.unmapped[
                    f"savings plan {offering.get('planType')!r} {offering.get('durationSeconds')!r}s "
                    f"{offering.get('paymentOption')!r}"
                ] += 1
                continue
            itype = props.get("instanceType") or (r.get("usageType") or "").rpartition(":")[2]
            region = props.get("region")
            if not itype or not region:
                raise PriceListFormatError(f"Savings Plans offering {oid}: rate without instanceType or region")
            if r.get("unit") != "Hrs":
                raise PriceListFormatError(f"Savings Plans offering {oid}: unit {r.get('unit')!r} for {itype}, expected Hrs")
            if (r.get("currency") or offering.get("currency") or "USD") != "USD":
                raise PriceListFormatError(f"Savings Plans offering {oid}: currency {offering.get('currency')!r}")
            rate = _number(r.get("rate"), oid, f"rate for {itype}", "Savings Plans offering")
            out.prices.append(
                Price(
                    service="AmazonEC2", sku=itype, region=region, usage="instance-hour", variant="",
                    pricing_model="savings_plan", term=term, purchase_option=option, offering_class=plan,
                    tier_start=0.0, tier_end=math.inf, unit="Hrs", unit_price=rate, interruption_band="",
                    source=source, as_of=as_of, verified=True, note=f"Savings Plans offering {oid}",
                )
            )
    return out


# -- Spot -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpotStats:
    """Spot price statistics of one instance type in one region over a period."""

    instance_type: str
    region: str
    samples: int
    median: float
    """Median of the sampled spot prices over all Availability Zones [USD/h]."""
    mean: float
    """[USD/h]"""
    minimum: float
    """[USD/h]"""
    maximum: float
    """[USD/h]"""
    start: str
    """First sample time (ISO 8601, UTC)."""
    end: str
    """Last sample time (ISO 8601, UTC)."""


_AZ = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d+)")


def _iso(ts: Any) -> str:
    if hasattr(ts, "isoformat"):
        import datetime as dt

        if isinstance(ts, dt.datetime) and ts.tzinfo is not None:
            ts = ts.astimezone(dt.UTC)
        return ts.isoformat().replace("+00:00", "Z")
    return str(ts).replace("+00:00", "Z")


def spot_statistics(pages: Iterable[Mapping[str, Any]], *, region: str | None = None) -> list[SpotStats]:
    """Per instance type and region: median, mean, min and max of every sampled spot price.

    Reads every page; only Linux/UNIX samples count. The region is ``region`` when given, else
    taken from each sample's Availability Zone. Each price change is one sample (not weighted
    by how long it held).
    """
    prices: dict[tuple[str, str], list[float]] = {}
    times: dict[tuple[str, str], list[str]] = {}
    for page in pages:
        for s in page.get("SpotPriceHistory", []) or []:
            if s.get("ProductDescription") not in SPOT_PRODUCT_DESCRIPTIONS:
                continue
            itype = s.get("InstanceType")
            reg = region
            if reg is None:
                m = _AZ.match(s.get("AvailabilityZone") or "")
                reg = m.group(1) if m else None
            if not itype or not reg:
                raise PriceListFormatError(f"spot price sample without instance type or zone: {s}")
            key = (itype, reg)
            prices.setdefault(key, []).append(_number(s.get("SpotPrice"), itype, "SpotPrice", "spot price sample of"))
            times.setdefault(key, []).append(_iso(s.get("Timestamp", "")))
    out = []
    for (itype, reg), values in sorted(prices.items()):
        ts = sorted(times[(itype, reg)])
        out.append(
            SpotStats(
                instance_type=itype, region=reg, samples=len(values), median=statistics.median(values),
                mean=statistics.fmean(values), minimum=min(values), maximum=max(values), start=ts[0], end=ts[-1],
            )
        )
    return out


def summarise_spot_history(
    pages: Iterable[Mapping[str, Any]],
    *,
    region: str | None = None,
    as_of: str | None = None,
    source: str = "aws-ec2-spot-price-history",
) -> list[Price]:
    """Spot rows from pages of ``describe_spot_price_history``: the median price [USD/h].

    ``verified`` is true (AWS's own record); the note gives the period, sample count, mean, min
    and max. ``as_of`` defaults to the date of the last sample.
    """
    rows = []
    for st in spot_statistics(pages, region=region):
        rows.append(
            Price(
                service="AmazonEC2", sku=st.instance_type, region=st.region, usage="instance-hour", variant="",
                pricing_model="spot", term="", purchase_option="", offering_class="", tier_start=0.0,
                tier_end=math.inf, unit="Hrs", unit_price=st.median, interruption_band="", source=source,
                as_of=as_of or st.end[:10], verified=True,
                note=(
                    f"median of {st.samples} Linux/UNIX spot prices {st.start} to {st.end} over all zones; "
                    f"mean {st.mean:.6g}, min {st.minimum:.6g}, max {st.maximum:.6g}"
                ),
            )
        )
    return rows
