"""Names, units and constants shared across costplan (see docs/nomenclature.md)."""

from __future__ import annotations

HOURS_PER_MONTH = 730.0
"""AWS's average month for hourly prices [h/month] (8,760 h / 12)."""

HOURS_PER_YEAR = 8760.0
"""[h/year]"""

# Commercial AWS regions (code -> name), used to validate stack specs: costplan/regions.py is
# the one table of regions, their names and Price List locations.
from costplan.regions import REGION_NAMES as AWS_REGIONS  # noqa: E402, F401 (re-exported)

# AWS service code -> the service name Cost Explorer and FOCUS exports use (ServiceName).
SERVICE_NAMES: dict[str, str] = {
    "AmazonEC2": "Amazon Elastic Compute Cloud",
    "AmazonEKS": "Amazon Elastic Container Service for Kubernetes",
    "AmazonRDS": "Amazon Relational Database Service",
    "AmazonElastiCache": "Amazon ElastiCache",
    "AmazonS3": "Amazon Simple Storage Service",
    "AWSDataTransfer": "AWS Data Transfer",
    "AWSELB": "Elastic Load Balancing",
    "AmazonVPC": "Amazon Virtual Private Cloud",
    "AmazonCloudWatch": "AmazonCloudWatch",
    "AWSXRay": "AWS X-Ray",
    "awswaf": "AWS WAF",
    "AWSConfig": "AWS Config",
    "AWSCloudTrail": "AWS CloudTrail",
    "AmazonRoute53": "Amazon Route 53",
    "awskms": "AWS Key Management Service",
    "ComputeSavingsPlans": "Savings Plans for AWS Compute usage",
}

# Component kinds, the vocabulary of EstimateResult.lines["component_kind"].
COMPONENT_KINDS = (
    "node_pool",
    "eks",
    "rds",
    "elasticache",
    "ebs_volume",
    "k8s_volume",
    "s3",
    "data_transfer",
    "nat_gateway",
    "load_balancer",
    "public_ipv4",
    "route53",
    "cloudwatch",
    "xray",
    "waf",
    "config",
    "cloudtrail",
    "flow_logs",
    "kms",
    "commitment",
)
