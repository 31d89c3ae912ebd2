"""Priced components: one pricer per kind of stack component.

``REGION_SECTIONS`` maps each field of :class:`costplan.stack.models.Region` to its pricer;
the estimate walks it, and the consistency tests use it to check that every component's
price keys exist in the catalog.
"""

from __future__ import annotations

from costplan.components.base import CostLine, PricingContext
from costplan.components.compute import price_eks, price_node_pool
from costplan.components.databases import price_elasticache, price_rds
from costplan.components.network import (
    price_data_transfer,
    price_load_balancer,
    price_nat,
    price_public_ipv4,
    price_route53,
)
from costplan.components.services import (
    price_cloudtrail,
    price_cloudwatch,
    price_config,
    price_flow_logs,
    price_kms,
    price_waf,
    price_xray,
)
from costplan.components.storage import price_ebs_volume, price_k8s_volume, price_s3

# section name -> (pricer, is a mapping of named components)
REGION_SECTIONS = {
    "eks_clusters": (price_eks, True),
    "node_pools": (price_node_pool, True),
    "rds": (price_rds, True),
    "elasticache": (price_elasticache, True),
    "k8s_volumes": (price_k8s_volume, True),
    "ebs_volumes": (price_ebs_volume, True),
    "s3": (price_s3, True),
    "data_transfer": (price_data_transfer, False),
    "nat_gateways": (price_nat, False),
    "load_balancers": (price_load_balancer, True),
    "public_ipv4": (price_public_ipv4, False),
    "cloudwatch": (price_cloudwatch, False),
    "xray": (price_xray, False),
    "flow_logs": (price_flow_logs, False),
    "waf": (price_waf, False),
    "config": (price_config, False),
    "cloudtrail": (price_cloudtrail, False),
    "kms": (price_kms, False),
}
GLOBAL_SECTIONS = {"route53": (price_route53, False)}

__all__ = ["CostLine", "PricingContext", "REGION_SECTIONS", "GLOBAL_SECTIONS"]
