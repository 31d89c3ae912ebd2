"""AWS products (service codes) the priced services bill under: the one table of their names.

``name`` is the service name the estimate's lines carry (Cost Explorer's ``SERVICE``
dimension); ``bill_name`` the one a Cost and Usage Report's ``product_servicename`` and a
FOCUS export's ``ServiceName`` carry, which differs for EKS and CloudWatch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    code: str
    """AWS product code: the catalog's ``service``, a CUR's ``line_item_product_code``."""
    name: str
    """ServiceName of the estimate's lines (Cost Explorer's SERVICE)."""
    bill_name: str
    """ServiceName in a CUR or FOCUS export."""


PRODUCTS: dict[str, Product] = {p.code: p for p in (
    Product("AmazonEC2", "Amazon Elastic Compute Cloud", "Amazon Elastic Compute Cloud"),
    Product("AmazonEKS", "Amazon Elastic Container Service for Kubernetes", "Amazon Elastic Kubernetes Service"),
    Product("AmazonRDS", "Amazon Relational Database Service", "Amazon Relational Database Service"),
    Product("AmazonElastiCache", "Amazon ElastiCache", "Amazon ElastiCache"),
    Product("AmazonS3", "Amazon Simple Storage Service", "Amazon Simple Storage Service"),
    Product("AWSDataTransfer", "AWS Data Transfer", "AWS Data Transfer"),
    Product("AWSELB", "Elastic Load Balancing", "Elastic Load Balancing"),
    Product("AmazonVPC", "Amazon Virtual Private Cloud", "Amazon Virtual Private Cloud"),
    Product("AmazonCloudWatch", "AmazonCloudWatch", "Amazon CloudWatch"),
    Product("AWSXRay", "AWS X-Ray", "AWS X-Ray"),
    Product("awswaf", "AWS WAF", "AWS WAF"),
    Product("AWSConfig", "AWS Config", "AWS Config"),
    Product("AWSCloudTrail", "AWS CloudTrail", "AWS CloudTrail"),
    Product("AmazonRoute53", "Amazon Route 53", "Amazon Route 53"),
    Product("awskms", "AWS Key Management Service", "AWS Key Management Service"),
    Product("ComputeSavingsPlans", "Savings Plans for AWS Compute usage", "Savings Plans for AWS Compute usage"),
)}


def service_name(code: str) -> str:
    """The estimate's ServiceName of a product code (the code itself when unknown)."""
    p = PRODUCTS.get(code)
    return p.name if p is not None else code
