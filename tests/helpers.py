"""Test helpers: small hand-written catalogs and stacks.

Prices here are typed in from AWS's public list prices (us-east-1) so that tests compute
expected costs by hand, independently of the embedded snapshot.
"""

from __future__ import annotations

import math

from costplan.pricing.catalog import Catalog, Price

# Fake credentials and no real profile or metadata service: AWS is never reached from tests.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def P(service, sku, usage, unit, price, *, region="us-east-1", variant="", model="on_demand", term="", option="",
      cls="", t0=0.0, t1=math.inf, verified=True, band="", source="test-list-price") -> Price:
    return Price(service=service, sku=sku, region=region, usage=usage, variant=variant, pricing_model=model, term=term,
                 purchase_option=option, offering_class=cls, tier_start=t0, tier_end=t1, unit=unit, unit_price=price,
                 interruption_band=band, source=source, as_of="2026-07-20", verified=verified, note="")


# us-east-1 list prices (USD), see shared reference prices-found.md
LIST = [
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.085),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.17),
    P("AmazonEC2", "c5.2xlarge", "instance-hour", "Hrs", 0.34),
    P("AmazonEC2", "m5.2xlarge", "instance-hour", "Hrs", 0.384),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.0748, model="spot", band="<5%", verified=False),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.107, model="savings_plan", term="1yr", option="all-upfront",
      cls="compute", verified=False),
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.10, variant="standard"),
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.60, variant="extended"),
    P("AmazonRDS", "db.r6g.xlarge", "instance-hour", "Hrs", 0.899, variant="postgresql:multi-az"),
    P("AmazonRDS", "db.r6g.large", "instance-hour", "Hrs", 0.225, variant="postgresql:single-az"),
    P("AmazonRDS", "gp3", "storage-gb-month", "GB-Mo", 0.23, variant="multi-az"),
    P("AmazonRDS", "gp3", "storage-gb-month", "GB-Mo", 0.115, variant="single-az"),
    P("AmazonElastiCache", "cache.r7g.large", "node-hour", "Hrs", 0.219, variant="redis"),
    P("AmazonEC2", "gp3", "storage-gb-month", "GB-Mo", 0.08),
    P("AmazonEC2", "gp3", "iops-month", "IOPS-Mo", 0.005),
    P("AmazonEC2", "gp3", "throughput-mbps-month", "MBps-Mo", 0.04),
    P("AmazonEC2", "gp2", "storage-gb-month", "GB-Mo", 0.10),
    P("AmazonS3", "s3-standard", "storage-gb-month", "GB-Mo", 0.023, t1=51200),
    P("AmazonS3", "s3-standard", "storage-gb-month", "GB-Mo", 0.022, t0=51200, t1=512000),
    P("AmazonS3", "s3-standard", "storage-gb-month", "GB-Mo", 0.021, t0=512000),
    P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.09, t1=10240),
    P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.085, t0=10240, t1=51200),
    P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.07, t0=51200, t1=153600),
    P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.05, t0=153600),
    P("AWSDataTransfer", "data-transfer-inter-region", "gb", "GB", 0.02),
    P("AWSDataTransfer", "data-transfer-inter-az", "gb", "GB", 0.01),
    P("AmazonEC2", "nat-gateway", "hour", "Hrs", 0.045),
    P("AmazonEC2", "nat-gateway", "gb-processed", "GB", 0.045),
    P("AWSELB", "alb", "hour", "Hrs", 0.0225),
    P("AWSELB", "alb", "lcu-hour", "LCU-Hrs", 0.008),
]


def mini_catalog(extra=()) -> Catalog:
    return Catalog.from_prices([*LIST, *extra], {"as_of": "2026-07-20"})


def base_stack_dict() -> dict:
    """A small one-region stack in dict form."""
    return {
        "name": "mini",
        "regions": {
            "us-east-1": {
                "eks_clusters": {"main": {"count": 1}},
                "node_pools": {"app": {"instance_types": ["c5.xlarge"], "count": 6}},
            }
        },
    }
