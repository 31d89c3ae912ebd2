"""Names, units and constants shared across costplan (see docs/nomenclature.md)."""

from __future__ import annotations

HOURS_PER_MONTH = 730.0
"""AWS's average month for hourly prices [h/month] (8,760 h / 12)."""

HOURS_PER_YEAR = 8760.0
"""[h/year]"""

# Commercial AWS regions (code -> name), used to validate stack specs.
AWS_REGIONS: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-north-1": "Europe (Stockholm)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)",
    "sa-east-1": "South America (Sao Paulo)",
}

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
