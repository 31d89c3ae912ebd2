"""EBS volumes, Kubernetes persistent volumes and S3 buckets."""

from __future__ import annotations

from costplan.components.base import CostLine, PricedService, PricingContext, keep
from costplan.components.compute import EBS_KEYS, _volume_lines
from costplan.stack.models import EbsVolume, K8sVolume, S3Bucket


def price_ebs_volume(name: str, v: EbsVolume, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    return keep(*_volume_lines(f"{region}/ebs_volumes/{name}", "ebs_volume", v, region, ctx, path, assumption=v.why or ""))


def price_k8s_volume(name: str, v: K8sVolume, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    label = f"PVCs ({v.storage_class})" if v.storage_class else "PVCs"
    return keep(
        *_volume_lines(f"{region}/k8s_volumes/{name}", "k8s_volume", v, region, ctx, path, label=label,
                       assumption=v.why or "", size_scaling="volume")
    )


def price_s3(name: str, b: S3Bucket, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    sku = f"s3-{b.storage_class}"
    common = dict(
        component=f"{region}/s3/{name}", kind="s3", region=region, service="AmazonS3", sku=sku, path=path, assumption=b.why
    )
    return keep(
        ctx.priced(usage="storage-gb-month", quantity=b.size_gb, description=f"{b.size_gb:g} GB {b.storage_class}",
                   scaling="stored", **common),
        ctx.priced(
            usage="requests-tier1",
            quantity=b.requests_tier1 / 1000,
            scaling="traffic",
            description=f"{b.requests_tier1:,.0f} PUT/COPY/POST/LIST requests",
            **common,
        ),
        ctx.priced(
            usage="requests-tier2",
            quantity=b.requests_tier2 / 1000,
            scaling="traffic",
            description=f"{b.requests_tier2:,.0f} GET requests",
            **common,
        ),
    )


SERVICES = (
    PricedService("k8s_volumes", "k8s_volume", price_k8s_volume, K8sVolume, named=True, products=("AmazonEC2",),
                  scalings=frozenset({"volume", "fixed"}), catalog_keys=EBS_KEYS),
    PricedService("ebs_volumes", "ebs_volume", price_ebs_volume, EbsVolume, named=True, products=("AmazonEC2",),
                  scalings=frozenset({"fixed"}), catalog_keys=EBS_KEYS),
    PricedService("s3", "s3", price_s3, S3Bucket, named=True, products=("AmazonS3",),
                  scalings=frozenset({"stored", "traffic"}),
                  catalog_keys=(("AmazonS3", "s3-standard", "storage-gb-month"), ("AmazonS3", "s3-standard", "requests-tier1"),
                                ("AmazonS3", "s3-standard", "requests-tier2"))),
)
