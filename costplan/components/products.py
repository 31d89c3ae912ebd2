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
    category: str
    """FOCUS 1.2 ServiceCategory."""
    subcategory: str
    """FOCUS 1.2 ServiceSubcategory."""


PRODUCTS: dict[str, Product] = {p.code: p for p in (
    Product("AmazonEC2", "Amazon Elastic Compute Cloud", "Amazon Elastic Compute Cloud",
            "Compute", "Virtual Machines"),
    Product("AmazonEKS", "Amazon Elastic Container Service for Kubernetes", "Amazon Elastic Kubernetes Service",
            "Compute", "Containers"),
    Product("AmazonRDS", "Amazon Relational Database Service", "Amazon Relational Database Service",
            "Databases", "Relational Databases"),
    Product("AmazonElastiCache", "Amazon ElastiCache", "Amazon ElastiCache",
            "Databases", "Caching"),
    Product("AmazonS3", "Amazon Simple Storage Service", "Amazon Simple Storage Service",
            "Storage", "Object Storage"),
    Product("AWSDataTransfer", "AWS Data Transfer", "AWS Data Transfer",
            "Networking", "Network Connectivity"),
    Product("AWSELB", "Elastic Load Balancing", "Elastic Load Balancing",
            "Networking", "Application Networking"),
    Product("AmazonVPC", "Amazon Virtual Private Cloud", "Amazon Virtual Private Cloud",
            "Networking", "Network Infrastructure"),
    Product("AmazonCloudWatch", "AmazonCloudWatch", "Amazon CloudWatch",
            "Management and Governance", "Observability"),
    Product("AWSXRay", "AWS X-Ray", "AWS X-Ray",
            "Management and Governance", "Observability"),
    Product("awswaf", "AWS WAF", "AWS WAF",
            "Networking", "Network Security"),
    Product("AWSConfig", "AWS Config", "AWS Config",
            "Management and Governance", "Compliance"),
    Product("AWSCloudTrail", "AWS CloudTrail", "AWS CloudTrail",
            "Management and Governance", "Compliance"),
    Product("AmazonRoute53", "Amazon Route 53", "Amazon Route 53",
            "Networking", "Network Routing"),
    Product("awskms", "AWS Key Management Service", "AWS Key Management Service",
            "Security", "Secret Management"),
    Product("AmazonEFS", "Amazon Elastic File System", "Amazon Elastic File System",
            "Storage", "File Storage"),
    Product("AmazonECR", "Amazon EC2 Container Registry (ECR)", "Amazon EC2 Container Registry (ECR)",
            "Compute", "Containers"),
    Product("ComputeSavingsPlans", "Savings Plans for AWS Compute usage", "Savings Plans for AWS Compute usage",
            "Compute", "Other (Compute)"),
)}


def service_name(code: str) -> str:
    """The estimate's ServiceName of a product code (the code itself when unknown)."""
    p = PRODUCTS.get(code)
    return p.name if p is not None else code
