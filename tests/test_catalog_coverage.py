"""Every (service, region) pair the embedded catalog claims is priced, for the instance
classes and services the catalog covers: `prices info` shows no missing cell, and a stack that
uses every service and class in every commercial region estimates with no missing price."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costplan.estimator import estimate
from costplan.pricing.catalog import Catalog, default_catalog
from costplan.pricing.info import MISSING, catalog_info
from costplan.regions import PRICED_REGIONS, REGIONS
from costplan.stack.models import Stack

WHY = "synthetic quantity for the coverage test"
SPOT_ADVISOR = Path(__file__).resolve().parents[1] / "data" / "price-sources" / "spotinfo_spot-advisor-data_2025-06-28_trimmed.json"


def sold() -> dict[str, set[str]]:
    """region -> instance types AWS's Spot Advisor feed lists there (sold in that region)."""
    data = json.loads(SPOT_ADVISOR.read_text())["spot_advisor"]
    return {r: set(v["Linux"]) for r, v in data.items()}


SOLD = sold()

EC2_TYPES = [f"{f}.{s}" for f in ("m5", "m6i", "m7i", "m6g", "m7g", "c5", "c6i", "c6g", "c7g", "r5", "r6i", "r6g",
                                   "r7g", "t3", "t4g") for s in ("large", "xlarge", "2xlarge")]
RDS_CLASSES = [f"db.{f}.{s}" for f in ("m5", "m6g", "m6i", "m7g", "r5", "r6g", "r6i", "r7g")
               for s in ("large", "xlarge", "2xlarge", "4xlarge")] + [
    f"db.{f}.{s}" for f in ("t3", "t4g") for s in ("micro", "small", "medium", "large", "xlarge", "2xlarge")]
CACHE_NODES = [f"cache.{f}.{s}" for f in ("m6g", "m7g", "r6g", "r7g") for s in ("large", "xlarge", "2xlarge")] + [
    f"cache.{f}.{s}" for f in ("t3", "t4g") for s in ("micro", "small", "medium")]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_all_thirty_three_commercial_regions_are_priced():
    assert len(REGIONS) == 33
    assert PRICED_REGIONS == tuple(r.code for r in REGIONS)


def test_taipei_is_derived_from_hong_kong_and_says_so(catalog):
    # No licensed source prices ap-east-2: it takes ap-east-1's regional factors.
    # By hand from the vendored ElastiCache file, Redis OSS cache.m5.* ap-east-1 / us-east-1:
    # .213/.156=1.36538, .428/.311=1.37621, .856/.623=1.37400, 1.711/1.245=1.37430,
    # 5.133/3.744=1.37099, 10.264/7.488=1.37073 -> median (1.37099+1.37400)/2 = 1.372495.
    # m6i.large (Intel, basis cache.m5): us-east-1 0.096 x 1.372495 = 0.131760
    p = catalog.price("AmazonEC2", "m6i.large", "ap-east-2", "instance-hour")
    assert p.unit_price == pytest.approx(0.131760, abs=1e-6)
    assert not p.verified
    assert "of ap-east-1, the nearest priced region" in p.note
    taipei = [q for q in catalog if q.region == "ap-east-2"]
    assert taipei and not any(q.verified for q in taipei)
    uniform = {"eks-cluster", "public-ipv4", "kms-key", "waf-web-acl", "waf-rule", "waf-requests"}
    assert all(("ap-east-1" in q.note) == (q.sku not in uniform) for q in taipei), \
        [q for q in taipei if ("ap-east-1" in q.note) != (q.sku not in uniform)][:3]


def test_prices_info_has_no_missing_cell(catalog):
    info = catalog_info(catalog)
    assert set(info.summary["regions"]) == {*PRICED_REGIONS, "global"}
    missing = info.coverage[info.coverage.status == MISSING]
    assert missing.empty, missing.to_string()
    summary = info.coverage_summary()
    assert summary.missing.sum() == 0
    assert set(summary.loc[summary.service != "AmazonRoute53", "regions"]) == {33}


@pytest.mark.parametrize("region", PRICED_REGIONS)
def test_every_class_in_every_region(catalog, region):
    # EC2: every listed type AWS sells in the region (not every family reaches every region:
    # no m5 in ap-southeast-5, for example)
    offered = [t for t in EC2_TYPES if t in SOLD[region]]
    assert len(offered) >= 15, region
    missing = [t for t in offered if not catalog.has("AmazonEC2", t, region, "instance-hour")]
    missing += [(c, v) for c in RDS_CLASSES for v in ("postgresql:single-az", "postgresql:multi-az",
                                                      "mysql:single-az", "mysql:multi-az")
                if not catalog.has("AmazonRDS", c, region, "instance-hour", v)]
    missing += [(n, e) for n in CACHE_NODES for e in ("redis", "valkey", "memcached")
                if not catalog.has("AmazonElastiCache", n, region, "node-hour", e)]
    assert not missing, f"{region}: {missing}"


def _region_section(i: int, region: str) -> dict:
    offered = [t for t in EC2_TYPES if t in SOLD[region]]
    ec2 = offered[i % len(offered)]
    db = RDS_CLASSES[i % len(RDS_CLASSES)]
    return {
        "eks_clusters": {"c": {"support": "standard"}},
        "node_pools": {
            "od": {"instance_types": [ec2], "count": 2},
            "spot": {"instance_types": [offered[-1]], "count": 2, "capacity": "spot"},
        },
        "rds": {
            "pg": {"engine": "postgresql", "instance_class": db, "multi_az": True,
                   "storage": {"type": "gp3", "size_gb": 500, "iops": 15000},
                   "backup": {"storage_gb": 100}},
            "my": {"engine": "mysql", "instance_class": "db.t4g.large",
                   "storage": {"type": "io2", "size_gb": 100, "iops": 3000}},
            "old": {"instance_class": "db.m5.large", "storage": {"type": "standard", "size_gb": 50},
                    "read_replicas": {"r": {"instance_class": "db.r7g.large", "multi_az": True}}},
        },
        "elasticache": {
            "redis": {"node_type": CACHE_NODES[i % len(CACHE_NODES)], "engine": "redis", "nodes": 2},
            "valkey": {"node_type": "cache.r7g.large", "engine": "valkey", "nodes": 2},
            "memcached": {"node_type": "cache.t4g.small", "engine": "memcached", "nodes": 2},
        },
        "ebs_volumes": {
            t: {"type": t, "size_gb": 500, "iops": 4000 if t in ("gp3", "io1", "io2") else None,
                "throughput_mbps": 250 if t == "gp3" else None, "snapshot_gb": 100,
                "io_requests_million": 5 if t == "standard" else 0}
            for t in ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")
        },
        "s3": {c: {"storage_class": c, "size_gb": 60000, "requests_tier1": 1e6, "requests_tier2": 1e7, "why": WHY}
               for c in ("standard", "standard-ia", "glacier-ir")},
        "data_transfer": {"internet_egress_gb": 200000, "inter_region_gb": 100, "inter_az_gb": 100, "why": WHY},
        "nat_gateways": {"count": 2, "gb_processed": 100, "why": WHY},
        "load_balancers": {"a": {"type": "alb", "capacity_units": 2, "why": WHY},
                           "n": {"type": "nlb", "capacity_units": 2, "why": WHY}},
        "public_ipv4": {"addresses": 3, "why": WHY},
        "cloudwatch": {"metrics": 300000, "alarms_standard": 5, "alarms_high_resolution": 5, "log_ingest_gb": 10,
                       "log_storage_gb": 10, "why": WHY},
        "xray": {"traces_recorded_million": 3, "traces_retrieved_million": 3, "why": WHY},
        "waf": {"web_acls": 1, "rules": 3, "requests_million": 5, "why": WHY},
        "config": {"configuration_items": 100, "rule_evaluations": 600000, "why": WHY},
        "cloudtrail": {"management_event_copies_100k": 1, "data_events_100k": 1, "insights_events_100k": 1,
                       "why": WHY},
        "flow_logs": {"ingest_gb": 60000, "destination": "s3" if i % 2 else "cloudwatch-logs", "why": WHY},
        "kms": {"keys": 2, "requests_10k": 10, "why": WHY},
    }


def test_a_stack_of_every_service_in_every_region_prices_with_no_missing_price(catalog):
    spec = {
        "name": "coverage",
        "regions": {r: _region_section(i, r) for i, r in enumerate(PRICED_REGIONS)},
        "global": {"route53": {"hosted_zones": 30, "queries_million": 2000, "health_checks": 52, "why": WHY}},
    }
    res = estimate(Stack.model_validate(spec), catalog)  # InputError naming every missing price if any
    lines = res.lines
    usage = lines[lines.component_kind != "commitment"]
    assert set(usage.RegionId) == {*PRICED_REGIONS, "global"}
    assert (usage.ListCost > 0).all()
    # every service the catalog prices appears in every region
    per_region = usage[usage.RegionId != "global"].groupby("RegionId").ServiceCode.nunique()
    assert set(per_region) == {14}
