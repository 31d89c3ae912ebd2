"""EBS volumes, Kubernetes persistent volumes, S3 buckets, EFS file systems and ECR storage."""

from __future__ import annotations

from costplan.components.base import CostLine, PricedService, PriceListOffer, PricingContext, keep
from costplan.components.compute import EBS_KEYS, _volume_lines
from costplan.stack.models import EbsVolume, Ecr, Efs, K8sVolume, S3Bucket


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


def price_efs(name: str, e: Efs, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    """EFS storage per class, Infrequent Access reads and writes, provisioned throughput."""
    cm = dict(component=f"{region}/efs", kind="efs", region=region, service="AmazonEFS", path=path, assumption=e.why)
    return keep(
        ctx.priced(sku="efs-standard", usage="storage-gb-month", quantity=e.standard_gb, scaling="stored",
                   description=f"{e.standard_gb:,.0f} GB EFS Standard", **cm),
        ctx.priced(sku="efs-standard-ia", usage="storage-gb-month", quantity=e.infrequent_access_gb, scaling="stored",
                   description=f"{e.infrequent_access_gb:,.0f} GB EFS Standard-Infrequent Access", **cm),
        ctx.priced(sku="efs-one-zone", usage="storage-gb-month", quantity=e.one_zone_gb, scaling="stored",
                   description=f"{e.one_zone_gb:,.0f} GB EFS One Zone", **cm),
        ctx.priced(sku="efs-ia-requests", usage="read-gb", quantity=e.infrequent_access_reads_gb, scaling="traffic",
                   description=f"{e.infrequent_access_reads_gb:,.0f} GB read from Infrequent Access", **cm),
        ctx.priced(sku="efs-ia-requests", usage="write-gb", quantity=e.infrequent_access_writes_gb, scaling="traffic",
                   description=f"{e.infrequent_access_writes_gb:,.0f} GB written to Infrequent Access", **cm),
        ctx.priced(sku="efs-provisioned-throughput", usage="mbps-month", quantity=e.provisioned_throughput_mbps,
                   scaling="fixed", description=f"{e.provisioned_throughput_mbps:g} MB/s provisioned throughput", **cm),
    )


def price_ecr(name: str, e: Ecr, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    """ECR image storage (data pulled within the region is free)."""
    return keep(
        ctx.priced(component=f"{region}/ecr", kind="ecr", region=region, service="AmazonECR", sku="ecr-storage",
                   usage="storage-gb-month", quantity=e.storage_gb, scaling="fixed", path=path, assumption=e.why,
                   description=f"{e.storage_gb:,.0f} GB of images")
    )


SERVICES = (
    PricedService("k8s_volumes", "k8s_volume", price_k8s_volume, K8sVolume, named=True, products=("AmazonEC2",),
                  scalings=frozenset({"volume", "fixed"}), catalog_keys=EBS_KEYS,
                  usage_types=(("*", "*", "EBS:VolumeUsage.{sku}"),)),
    PricedService("ebs_volumes", "ebs_volume", price_ebs_volume, EbsVolume, named=True, products=("AmazonEC2",),
                  terraform_handlers=("aws_ebs_volume",),
                  scalings=frozenset({"fixed"}), catalog_keys=EBS_KEYS,
                  usage_types=(("*", "*", "EBS:VolumeUsage.{sku}"),)),
    PricedService("s3", "s3", price_s3, S3Bucket, named=True, products=("AmazonS3",),
                  price_list=(PriceListOffer("AmazonS3", queries=({"productFamily": "Storage"}, {"productFamily": "API Request"})),),
                  terraform_handlers=("aws_s3_bucket",), pulumi_tokens={"aws:s3/bucketV2:BucketV2": "aws_s3_bucket"},
                  scalings=frozenset({"stored", "traffic"}),
                  catalog_keys=(("AmazonS3", "s3-standard", "storage-gb-month"), ("AmazonS3", "s3-standard", "requests-tier1"),
                                ("AmazonS3", "s3-standard", "requests-tier2")),
                  usage_types=(("*", "GB-Mo", "TimedStorage-ByteHrs"), ("*", "*", ["Requests-Tier1", "Requests-Tier2"]))),
    PricedService("efs", "efs", price_efs, Efs, products=("AmazonEFS",), scalings=frozenset({"stored", "traffic", "fixed"}),
                  price_list=(PriceListOffer("AmazonEFS"),),
                  catalog_keys=(("AmazonEFS", "efs-standard", "storage-gb-month"),
                                ("AmazonEFS", "efs-standard-ia", "storage-gb-month"),
                                ("AmazonEFS", "efs-one-zone", "storage-gb-month"),
                                ("AmazonEFS", "efs-ia-requests", "read-gb"), ("AmazonEFS", "efs-ia-requests", "write-gb"),
                                ("AmazonEFS", "efs-provisioned-throughput", "mbps-month")),
                  terraform={"aws_efs_file_system": {"usage": {"storage_gb": "standard_gb",
                                                               "infrequent_access_gb": "infrequent_access_gb"}}},
                  usage_keys={"aws_efs_file_system": {
                      "storage_gb": (0, "stored in EFS Standard [GB-month]"),
                      "infrequent_access_gb": (0, "stored in Standard-Infrequent Access [GB-month]")}},
                  usage_types=(("efs-standard", "*", "TimedStorage-ByteHrs"), ("efs-standard-ia", "*", "IATimedStorage-ByteHrs"),
                               ("efs-one-zone", "*", "TimedStorage-Z-ByteHrs"), ("efs-ia-requests", "*", "IADataAccess-Bytes"),
                               ("*", "*", "ProvisionedTP-MiBpsHrs"))),
    PricedService("ecr", "ecr", price_ecr, Ecr, products=("AmazonECR",), scalings=frozenset({"fixed"}),
                  price_list=(PriceListOffer("AmazonECR"),),
                  catalog_keys=(("AmazonECR", "ecr-storage", "storage-gb-month"),),
                  terraform={"aws_ecr_repository": {"usage": {"storage_gb": "storage_gb"}}},
                  usage_keys={"aws_ecr_repository": {"storage_gb": (0, "images stored [GB-month]")}},
                  usage_types=(("*", "*", "TimedStorage-ByteHrs"),)),
)
