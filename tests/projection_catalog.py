"""A hand-typed catalog covering the UltiBiker reference stack, for projection tests.

us-east-1 rows come from tests/helpers.py (public list prices). The rest are typed in from
public list prices (AWS pricing pages as summarised in the shared reference prices-found.md);
rows not checked against a primary source are marked ``verified=False``. Spot rows: the
on-demand price x (1 - Spot Advisor saving) with its interruption band (spotinfo data,
2025-06-28).
"""

from __future__ import annotations

from helpers import LIST, P

from costplan.pricing.catalog import Catalog

US, EU = "us-east-1", "eu-west-1"


def _both(service, sku, usage, unit, us_price, eu_price, **kw):
    return [P(service, sku, usage, unit, us_price, region=US, **kw), P(service, sku, usage, unit, eu_price, region=EU, **kw)]


def _dt(region):
    return [
        P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.09, region=region, t1=10240),
        P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.085, region=region, t0=10240, t1=51200),
        P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.07, region=region, t0=51200, t1=153600),
        P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.05, region=region, t0=153600),
        P("AWSDataTransfer", "data-transfer-inter-region", "gb", "GB", 0.02, region=region),
        P("AWSDataTransfer", "data-transfer-inter-az", "gb", "GB", 0.01, region=region),
    ]


EXTRA = [
    # RDS Proxy, EFS, ECR (us-east-1 list prices: RDS, EFS and ECR pricing pages)
    P("AmazonRDS", "rds-proxy", "vcpu-hour", "vCPU-Hrs", 0.015, region=US, verified=False),
    P("AmazonEFS", "efs-standard", "storage-gb-month", "GB-Mo", 0.30, region=US),
    P("AmazonECR", "ecr-storage", "storage-gb-month", "GB-Mo", 0.10, region=US),
    # eu-west-1 compute, storage, network (public list prices, Ireland)
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.10, region=EU, variant="standard"),
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.096, region=EU, verified=False),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.192, region=EU, verified=False),
    P("AmazonEC2", "c5.2xlarge", "instance-hour", "Hrs", 0.384, region=EU, verified=False),
    P("AmazonEC2", "m5.2xlarge", "instance-hour", "Hrs", 0.428, region=EU, verified=False),
    P("AmazonEC2", "gp2", "storage-gb-month", "GB-Mo", 0.11, region=EU, verified=False),
    P("AmazonEC2", "gp3", "storage-gb-month", "GB-Mo", 0.088, region=EU, verified=False),
    P("AmazonEC2", "gp3", "iops-month", "IOPS-Mo", 0.0055, region=EU, verified=False),
    P("AmazonEC2", "gp3", "throughput-mbps-month", "MiBps-Mo", 0.044, region=EU, verified=False),
    P("AmazonEC2", "nat-gateway", "hour", "Hrs", 0.048, region=EU, verified=False),
    P("AmazonEC2", "nat-gateway", "gb-processed", "GB", 0.048, region=EU, verified=False),
    P("AWSELB", "alb", "hour", "Hrs", 0.0252, region=EU, verified=False),
    P("AWSELB", "alb", "lcu-hour", "LCU-Hrs", 0.008, region=EU, verified=False),
    *_dt(EU),
    # spot (on-demand x (1 - Spot Advisor saving))
    P("AmazonEC2", "c5.2xlarge", "instance-hour", "Hrs", 0.1496, model="spot", band="5-10%", verified=False),
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.0941, region=EU, model="spot", band="<5%", verified=False),
    P("AmazonEC2", "c5.2xlarge", "instance-hour", "Hrs", 0.1882, region=EU, model="spot", band="<5%", verified=False),
    # Compute Savings Plan 1yr all upfront: ~37% off on-demand, as the c5.xlarge row in helpers.py
    *[P("AmazonEC2", t, "instance-hour", "Hrs", round(od * 0.63, 4), region=r, model="savings_plan", term="1yr",
        option="all-upfront", cls="compute", verified=False)
      for t, r, od in [("c5.large", US, 0.085), ("m5.2xlarge", US, 0.384), ("c5.2xlarge", US, 0.34),
                       ("c5.large", EU, 0.096), ("c5.xlarge", EU, 0.192), ("m5.2xlarge", EU, 0.428),
                       ("c5.2xlarge", EU, 0.384)]],
    # RDS and ElastiCache
    P("AmazonRDS", "db.r6g.large", "instance-hour", "Hrs", 0.248, region=EU, variant="postgresql:single-az", verified=False),
    P("AmazonRDS", "db.r6g.2xlarge", "instance-hour", "Hrs", 1.798, variant="postgresql:multi-az", verified=False),
    # read replicas step with their primary (one rung below it on the ladder)
    P("AmazonRDS", "db.r6g.xlarge", "instance-hour", "Hrs", 0.45, variant="postgresql:single-az", verified=False),
    P("AmazonRDS", "db.r6g.xlarge", "instance-hour", "Hrs", 0.496, region=EU, variant="postgresql:single-az",
      verified=False),
    P("AmazonRDS", "gp3", "storage-gb-month", "GB-Mo", 0.127, region=EU, variant="single-az", verified=False),
    P("AmazonRDS", "db.r6g.4xlarge", "instance-hour", "Hrs", 3.596, variant="postgresql:multi-az", verified=False),
    P("AmazonElastiCache", "cache.r7g.xlarge", "node-hour", "Hrs", 0.437, variant="redis"),
    P("AmazonElastiCache", "cache.r7g.2xlarge", "node-hour", "Hrs", 0.873, variant="redis"),
    P("AmazonElastiCache", "cache.r7g.4xlarge", "node-hour", "Hrs", 1.745, variant="redis"),
    # S3 requests
    P("AmazonS3", "s3-standard", "requests-tier1", "1K-Requests", 0.005),
    P("AmazonS3", "s3-standard", "requests-tier2", "1K-Requests", 0.0004),
    # services (same list price in both regions unless noted)
    *_both("AmazonVPC", "public-ipv4", "hour", "Hrs", 0.005, 0.005),
    *_both("AmazonCloudWatch", "cloudwatch-metrics", "metric-month", "Metrics", 0.30, 0.30),
    *_both("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "Alarms", 0.10, 0.10, variant="standard"),
    *_both("AmazonCloudWatch", "cloudwatch-logs", "ingest-gb", "GB", 0.50, 0.57),
    *_both("AmazonCloudWatch", "cloudwatch-logs", "storage-gb-month", "GB-Mo", 0.03, 0.03),
    *_both("AmazonCloudWatch", "vpc-flow-logs", "ingest-gb", "GB", 0.50, 0.57, variant="cloudwatch-logs"),
    P("AWSXRay", "xray", "traces-recorded-million", "Traces", 5.0),
    P("AWSXRay", "xray", "traces-retrieved-million", "Traces", 0.5),
    *_both("awswaf", "waf-web-acl", "acl-month", "ACL", 5.0, 5.0),
    *_both("awswaf", "waf-rule", "rule-month", "Rule", 1.0, 1.0),
    *_both("awswaf", "waf-requests", "million-requests", "Requests", 0.60, 0.60),
    *_both("AWSConfig", "config", "configuration-item", "Items", 0.003, 0.003),
    *_both("AWSConfig", "config", "rule-evaluation", "Evaluations", 0.001, 0.001),
    P("AWSCloudTrail", "cloudtrail", "data-events-100k", "Events", 0.10),
    P("AWSCloudTrail", "cloudtrail", "insights-events-100k", "Events", 0.35),
    *_both("awskms", "kms-key", "key-month", "Keys", 1.0, 1.0),
    *_both("awskms", "kms-requests", "10k-requests", "Requests", 0.03, 0.03),
    P("AmazonRoute53", "route53-hosted-zone", "zone-month", "Zones", 0.50, region="global"),
    P("AmazonRoute53", "route53-queries", "million-queries", "Queries", 0.40, region="global", variant="standard"),
    P("AmazonRoute53", "route53-health-check", "check-month", "Checks", 0.50, region="global", variant="aws-endpoint"),
]


def reference_catalog(extra=()) -> Catalog:
    return Catalog.from_prices([*LIST, *EXTRA, *extra], {"as_of": "2026-07-20"})
