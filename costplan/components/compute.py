"""EKS control planes and node pools."""

from __future__ import annotations

from costplan.components.base import CostLine, PricedService, PriceListOffer, PricingContext, keep
from costplan.stack.models import EbsVolume, EksCluster, NodePool


def eks_support(name: str, c: EksCluster, region: str, ctx: PricingContext, path: str) -> tuple[str, str]:
    """The support tier the cluster is billed at and the reason (the spec's ``support`` if
    given, else its ``kubernetes_version`` on the pricing date); warns when it is an assumption."""
    from costplan.pricing.eks_versions import support_on

    where = f"{path} ({region}/eks_clusters/{name})"
    if c.support is not None:
        return c.support, "support given in the stack"
    if c.kubernetes_version is None:
        rates = _eks_rates(ctx, region)
        ctx.warnings.append(
            f"{where}: no kubernetes_version: priced at the standard-support rate{rates[0]}; a version past its end "
            f"of standard support is billed at the extended-support rate{rates[1]} (set kubernetes_version or support)"
        )
        return "standard", "no kubernetes_version: standard support assumed"
    s = support_on(c.kubernetes_version, ctx.pricing_date)
    if not s.known:
        ctx.warnings.append(f"{where}: {s.reason}; priced at the {s.tier}-support rate")
    return s.tier, f"{s.reason} (pricing date {ctx.pricing_date.isoformat()})"


def _eks_rates(ctx: PricingContext, region: str) -> tuple[str, str]:
    out = []
    for tier in ("standard", "extended"):
        try:
            p = ctx.catalog.price("AmazonEKS", "eks-cluster", region, "cluster-hour", tier)
            out.append(f" (${p.unit_price:g}/h)")
        except Exception:  # noqa: BLE001 - only the wording of a warning; the price itself is looked up below
            out.append("")
    return out[0], out[1]


def price_eks(name: str, c: EksCluster, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    tier, why = eks_support(name, c, region, ctx, path)
    version = f"Kubernetes {c.kubernetes_version}, " if c.kubernetes_version else ""
    return keep(
        ctx.priced(
            component=f"{region}/eks_clusters/{name}",
            kind="eks",
            region=region,
            service="AmazonEKS",
            sku="eks-cluster",
            usage="cluster-hour",
            variant=tier,
            quantity=c.count * ctx.hours,
            scaling="fixed",
            description=f"EKS control plane, {version}{tier} support ({c.count} x {ctx.hours:g} h)",
            path=path,
            assumption=why,
        )
    )


def node_hours_each(pool: NodePool, hours: float) -> float:
    """Hours each node of ``pool`` runs in the month [h]: the pool's ``hours_per_month`` when
    given (0 is a pool that never runs, priced at $0), else the stack's month ``hours`` [h].

    The one rule the estimate, the projection and the spot savings all use."""
    return pool.hours_per_month if pool.hours_per_month is not None else hours


def node_pool_hours(pool: NodePool, hours: float) -> float:
    """Instance hours of a pool in the month [h]."""
    return pool.nodes * node_hours_each(pool, hours)


def price_node_pool(name: str, pool: NodePool, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    itype = pool.instance_types[0]
    node_hours = node_pool_hours(pool, ctx.hours)
    per_node_h = node_hours_each(pool, ctx.hours)
    alt = f"; also allowed: {', '.join(pool.instance_types[1:])}" if len(pool.instance_types) > 1 else ""
    what = "spot (expected price)" if pool.capacity == "spot" else "on-demand"
    out = [
        ctx.priced(
            component=f"{region}/node_pools/{name}",
            kind="node_pool",
            region=region,
            service="AmazonEC2",
            sku=itype,
            usage="instance-hour",
            pricing_model="spot" if pool.capacity == "spot" else "on_demand",
            quantity=node_hours,
            scaling="nodes",
            description=f"{pool.nodes} x {itype} {what}, {per_node_h:g} h each{alt}",
            path=f"{path}.instance_types",
            assumption=pool.why or "",
        )
    ]
    if pool.root_volume is not None:
        out += _volume_lines(
            f"{region}/node_pools/{name}",
            "node_pool",
            EbsVolume(
                type=pool.root_volume.type,
                size_gb=pool.root_volume.size_gb,
                iops=pool.root_volume.iops,
                throughput_mbps=pool.root_volume.throughput_mbps,
                count=1,
            ),
            region,
            ctx,
            f"{path}.root_volume",
            volumes=pool.nodes * per_node_h / ctx.hours,
            label="root volume",
            assumption=pool.root_volume.why or "",
            scaling="per_node",
        )
    for i, dv in enumerate(pool.data_volumes):
        out += _volume_lines(
            f"{region}/node_pools/{name}",
            "node_pool",
            EbsVolume(type=dv.type, size_gb=dv.size_gb, iops=dv.iops, throughput_mbps=dv.throughput_mbps, count=1),
            region,
            ctx,
            f"{path}.data_volumes.{i}",
            volumes=pool.nodes * per_node_h / ctx.hours,
            label=f"volume {i + 2}",
            assumption=dv.why or "",
            scaling="per_node",
        )
    return keep(*out)


def _volume_lines(
    component: str,
    kind: str,
    v: EbsVolume,
    region: str,
    ctx: PricingContext,
    path: str,
    *,
    volumes: float | None = None,
    label: str = "EBS",
    assumption: str = "",
    scaling: str = "fixed",
    size_scaling: str | None = None,
) -> list[CostLine | None]:
    """EBS cost components of ``volumes`` volumes (default ``v.count``) for the month.

    ``scaling`` is how every line scales in a projection; ``size_scaling`` (default the
    same) that of the GB-month line."""
    n = v.count if volumes is None else volumes
    common = dict(component=component, kind=kind, region=region, service="AmazonEC2", path=path, assumption=assumption,
                  scaling=scaling)
    out = [
        ctx.priced(
            sku=v.type,
            usage="storage-gb-month",
            quantity=n * v.size_gb,
            description=f"{label}: {n:g} x {v.size_gb:g} GiB {v.type}",
            **{**common, "scaling": size_scaling or scaling},
        )
    ]
    if v.type == "gp3":
        extra_iops = max(0, (v.iops or 3000) - 3000)
        extra_tp = max(0.0, (v.throughput_mbps or 125) - 125)
        out.append(
            ctx.priced(
                sku="gp3",
                usage="iops-month",
                quantity=n * extra_iops,
                description=f"{label}: gp3 IOPS above the 3,000 included ({n:g} x {extra_iops})",
                **common,
            )
        )
        out.append(
            ctx.priced(
                sku="gp3",
                usage="throughput-mbps-month",
                quantity=n * extra_tp,
                description=f"{label}: gp3 throughput above the 125 MB/s included ({n:g} x {extra_tp:g} MB/s)",
                **common,
            )
        )
    elif v.type in ("io1", "io2"):
        out.append(
            ctx.priced(
                sku=v.type,
                usage="iops-month",
                quantity=n * (v.iops or 0),
                description=f"{label}: provisioned IOPS ({n:g} x {v.iops or 0})",
                **common,
            )
        )
    if v.type == "standard" and getattr(v, "io_requests_million", 0):
        out.append(
            ctx.priced(
                sku="standard",
                usage="io-requests-million",
                quantity=v.io_requests_million,
                description=f"{label}: magnetic I/O requests",
                **common,
            )
        )
    if v.snapshot_gb:
        out.append(
            ctx.priced(
                sku="ebs-snapshot",
                usage="storage-gb-month",
                quantity=v.snapshot_gb,
                description=f"{label}: snapshots",
                **common,
            )
        )
    return out


EBS_KEYS = (("AmazonEC2", "gp3", "storage-gb-month"), ("AmazonEC2", "gp3", "iops-month"),
             ("AmazonEC2", "gp3", "throughput-mbps-month"), ("AmazonEC2", "gp2", "storage-gb-month"),
             ("AmazonEC2", "io2", "iops-month"), ("AmazonEC2", "ebs-snapshot", "storage-gb-month"))
"""The EBS prices a volume line may use."""

SERVICES = (
    PricedService("eks_clusters", "eks", price_eks, EksCluster, named=True, products=("AmazonEKS",),
                  price_list=(PriceListOffer("AmazonEKS"),), terraform_handlers=("aws_eks_cluster",),
                  scalings=frozenset({"fixed"}), catalog_keys=(("AmazonEKS", "eks-cluster", "cluster-hour"),),
                  usage_types=(("*", "*", "AmazonEKS-Hours:perCluster"),)),
    PricedService("node_pools", "node_pool", price_node_pool, NodePool, named=True, products=("AmazonEC2",),
                  # the AmazonEC2 offer also prices EBS (ebs_volumes, k8s_volumes) and NAT gateways (nat_gateways)
                  price_list=(PriceListOffer("AmazonEC2", queries=(
                      {"productFamily": "Compute Instance", "operatingSystem": "Linux", "tenancy": "Shared",
                       "preInstalledSw": "NA", "capacitystatus": "Used"},
                      {"productFamily": "Storage"}, {"productFamily": "System Operation"},
                      {"productFamily": "Provisioned Throughput"}, {"productFamily": "Storage Snapshot"},
                      {"productFamily": "NAT Gateway"})),),
                  terraform_handlers=("aws_eks_node_group", "aws_autoscaling_group", "aws_ec2_capacity_reservation"),
                  pulumi_tokens={"aws:ec2/capacityReservation:CapacityReservation": "aws_ec2_capacity_reservation"},
                  scalings=frozenset({"nodes", "per_node"}),
                  catalog_keys=(("AmazonEC2", "*", "instance-hour"),) + EBS_KEYS,
                  usage_types=(("*", "Hrs", "BoxUsage:{sku}"), ("*", "GB-Mo", "EBS:VolumeUsage.{sku}"))),
)
