"""Data transfer, NAT gateways, load balancers, public IPv4 addresses and Route 53."""

from __future__ import annotations

from costplan.components.base import CostLine, PricedService, PriceListOffer, PricingContext, keep
from costplan.stack.models import DataTransfer, LoadBalancer, NatGateways, PublicIpv4, Route53


def price_data_transfer(name: str, d: DataTransfer, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    common = dict(
        component=f"{region}/data_transfer", kind="data_transfer", region=region, service="AWSDataTransfer",
        path=path, assumption=d.why,
    )
    return keep(
        ctx.priced(sku="data-transfer-out-internet", usage="gb", quantity=d.internet_egress_gb, scaling="egress",
                   description=f"{d.internet_egress_gb:,.0f} GB out to the internet", **common),
        ctx.priced(sku="data-transfer-inter-region", usage="gb", quantity=d.inter_region_gb, scaling="traffic",
                   description=f"{d.inter_region_gb:,.0f} GB to other AWS regions", **common),
        ctx.priced(sku="data-transfer-inter-az", usage="gb", quantity=d.inter_az_gb, scaling="traffic",
                   description=f"{d.inter_az_gb:,.0f} GB across availability zones", **common),
    )


def price_nat(name: str, n: NatGateways, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    common = dict(component=f"{region}/nat_gateways", kind="nat_gateway", region=region, service="AmazonEC2",
                  sku="nat-gateway", path=path, assumption=n.why)
    return keep(
        ctx.priced(usage="hour", quantity=n.count * ctx.hours, scaling="fixed", description=f"{n.count} NAT gateways x {ctx.hours:g} h",
                   **common),
        ctx.priced(usage="gb-processed", quantity=n.gb_processed, scaling="traffic",
                   description=f"{n.gb_processed:,.0f} GB processed by NAT gateways", **common),
    )


def price_load_balancer(name: str, lb: LoadBalancer, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    unit = "lcu-hour" if lb.type == "alb" else "nlcu-hour"
    common = dict(component=f"{region}/load_balancers/{name}", kind="load_balancer", region=region,
                  service="AWSELB", sku=lb.type, path=path, assumption=lb.why)
    return keep(
        ctx.priced(usage="hour", quantity=lb.count * ctx.hours, scaling="fixed",
                   description=f"{lb.count} x {lb.type.upper()} x {ctx.hours:g} h", **common),
        ctx.priced(usage=unit, quantity=lb.count * lb.capacity_units * ctx.hours, scaling="traffic",
                   description=f"{lb.capacity_units:g} {'LCU' if lb.type == 'alb' else 'NLCU'} average per load balancer",
                   **common),
    )


def price_public_ipv4(name: str, p: PublicIpv4, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    return keep(
        ctx.priced(component=f"{region}/public_ipv4", kind="public_ipv4", region=region, service="AmazonVPC",
                   sku="public-ipv4", usage="hour", quantity=p.addresses * ctx.hours, scaling="fixed",
                   description=f"{p.addresses} public IPv4 addresses x {ctx.hours:g} h", path=path, assumption=p.why)
    )


def price_route53(name: str, r: Route53, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    """Hosted zones, queries by routing policy (standard, latency, geo; queries to alias records
    of AWS resources are free, so ``alias_queries_million`` gives no line) and health checks."""
    common = dict(component="global/route53", kind="route53", region="global", service="AmazonRoute53", path=path,
                  assumption=r.why)
    return keep(
        ctx.priced(sku="route53-hosted-zone", usage="zone-month", quantity=r.hosted_zones, scaling="fixed",
                   description=f"{r.hosted_zones} hosted zones", **common),
        ctx.priced(sku="route53-queries", usage="million-queries", variant="standard", quantity=r.queries_million,
                   scaling="traffic",
                   description=f"{r.queries_million:g} million standard queries", **common),
        ctx.priced(sku="route53-queries", usage="million-queries", variant="latency",
                   quantity=r.latency_queries_million, scaling="traffic",
                   description=f"{r.latency_queries_million:g} million latency-based routing queries", **common),
        ctx.priced(sku="route53-queries", usage="million-queries", variant="geo", quantity=r.geo_queries_million,
                   scaling="traffic",
                   description=f"{r.geo_queries_million:g} million geo DNS queries", **common),
        ctx.priced(sku="route53-health-check", usage="check-month", variant="aws-endpoint", quantity=r.health_checks,
                   scaling="fixed",
                   description=f"{r.health_checks} health checks (AWS endpoints)", **common),
    )


SERVICES = (
    PricedService("data_transfer", "data_transfer", price_data_transfer, DataTransfer, products=("AWSDataTransfer",),
                  price_list=(PriceListOffer("AWSDataTransfer", queries=({"productFamily": "Data Transfer"},),
                                             region_field="fromRegionCode"),),
                  scalings=frozenset({"egress", "traffic"}),
                  catalog_keys=(("AWSDataTransfer", "data-transfer-out-internet", "gb"),
                                ("AWSDataTransfer", "data-transfer-inter-region", "gb"),
                                ("AWSDataTransfer", "data-transfer-inter-az", "gb")),
                  usage_types=(("data-transfer-out-internet", "*", "DataTransfer-Out-Bytes"),
                               ("data-transfer-inter-region", "*", "DataTransfer-InterRegion-Bytes"),
                               ("*", "*", "DataTransfer-Regional-Bytes"))),
    PricedService("nat_gateways", "nat_gateway", price_nat, NatGateways, products=("AmazonEC2",),
                  terraform_handlers=("aws_nat_gateway",),
                  scalings=frozenset({"fixed", "traffic"}),
                  catalog_keys=(("AmazonEC2", "nat-gateway", "hour"), ("AmazonEC2", "nat-gateway", "gb-processed")),
                  usage_keys={"aws_nat_gateway": {"gb_processed": (0, "data processed [GB/month]")}},
                  usage_types=(("*", "Hrs", "NatGateway-Hours"), ("*", "*", "NatGateway-Bytes"))),
    PricedService("load_balancers", "load_balancer", price_load_balancer, LoadBalancer, named=True, products=("AWSELB",),
                  price_list=(PriceListOffer("AWSELB"),), terraform_handlers=("aws_lb", "aws_alb"),
                  pulumi_tokens={"aws:lb/loadBalancer:LoadBalancer": "aws_lb", "aws:alb/loadBalancer:LoadBalancer": "aws_lb",
                                 "aws:lb/listener:Listener": "aws_lb_listener",
                                 "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group"},
                  scalings=frozenset({"fixed", "traffic"}),
                  catalog_keys=(("AWSELB", "alb", "hour"), ("AWSELB", "alb", "lcu-hour"), ("AWSELB", "nlb", "hour"),
                                ("AWSELB", "nlb", "nlcu-hour")),
                  usage_types=(("*", "Hrs", "LoadBalancerUsage"), ("*", "*", "LCUUsage"))),
    PricedService("public_ipv4", "public_ipv4", price_public_ipv4, PublicIpv4, products=("AmazonVPC",),
                  price_list=(PriceListOffer("AmazonVPC"),),
                  scalings=frozenset({"fixed"}), catalog_keys=(("AmazonVPC", "public-ipv4", "hour"),),
                  terraform={"aws_eip": {"counts": {"addresses": 1}}},
                  usage_types=(("*", "*", "PublicIPv4:InUseAddress"),)),
    PricedService("route53", "route53", price_route53, Route53, scope="global", products=("AmazonRoute53",),
                  price_list=(PriceListOffer("AmazonRoute53", queries=(), global_queries=({},), global_offer=True),),
                  scalings=frozenset({"fixed", "traffic"}),
                  catalog_keys=(("AmazonRoute53", "route53-hosted-zone", "zone-month"),
                                ("AmazonRoute53", "route53-queries", "million-queries"),
                                ("AmazonRoute53", "route53-health-check", "check-month")),
                  terraform={"aws_route53_zone": {"counts": {"hosted_zones": 1}, "usage": {"queries_million": "queries_million"}},
                             "aws_route53_health_check": {"counts": {"health_checks": 1}}},
                  usage_keys={"aws_route53_zone": {"queries_million": (0, "standard queries [million/month]")}},
                  usage_types=(("route53-hosted-zone", "*", "HostedZone"), ("route53-queries", "*", "DNS-Queries"),
                               ("*", "*", "Health-Check-AWS"))),
)
