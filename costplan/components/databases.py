"""RDS PostgreSQL instances with their storage, backups and read replicas; ElastiCache."""

from __future__ import annotations

from costplan.components.base import CostLine, PricedService, PriceListOffer, PricingContext, keep
from costplan.errors import InputError, Problem
from costplan.stack.models import ElastiCacheGroup, RdsInstance, RdsStorage

# IOPS included with RDS gp3 storage (PostgreSQL): 3,000 below 400 GB, 12,000 from 400 GB.
RDS_GP3_SMALL_GB = 400


def rds_gp3_included_iops(size_gb: float) -> int:
    """Baseline IOPS included with RDS PostgreSQL gp3 storage [IOPS]."""
    return 3000 if size_gb < RDS_GP3_SMALL_GB else 12000


RDS_PROXY_MIN_VCPU = 2


def rds_proxy_vcpus(instance_class: str) -> float:
    """vCPUs RDS Proxy bills for one instance of ``instance_class``: its vCPUs, at least 2
    (RDS pricing: "priced per vCPU per hour ... minimum charge of 2 vCPUs") [vCPU]. The vCPUs
    are those of the class's EC2 twin (``db.r6g.xlarge`` -> ``r6g.xlarge``); an unknown class
    is an :class:`~costplan.errors.InputError`."""
    from costplan.errors import InputError, did_you_mean
    from costplan.iac.karpenter import specs

    known = specs()
    spec = known.get(instance_class.removeprefix("db."))
    if spec is None:
        raise InputError(f"RDS Proxy: no vCPU count for {instance_class!r}: "
                         f"{did_you_mean(instance_class.removeprefix('db.'), known, 'type')}")
    return float(max(RDS_PROXY_MIN_VCPU, spec.vcpu))


def _storage_lines(component, storage: RdsStorage, multi_az: bool, region, ctx, path, label):
    az = "multi-az" if multi_az else "single-az"
    common = dict(
        component=component, kind="rds", region=region, service="AmazonRDS", path=path, assumption=storage.why or ""
    )
    out = [
        ctx.priced(
            sku=storage.type,
            usage="storage-gb-month",
            scaling="db_storage",
            variant=az,
            quantity=storage.size_gb,
            description=f"{label}: {storage.size_gb:g} GB {storage.type} storage ({az})",
            **common,
        )
    ]
    if storage.type == "gp3" and storage.iops:
        extra = max(0, storage.iops - rds_gp3_included_iops(storage.size_gb))
        out.append(
            ctx.priced(
                sku="gp3",
                usage="iops-month",
                variant=az,
                quantity=extra,
                scaling="fixed",
                description=f"{label}: gp3 IOPS above the {rds_gp3_included_iops(storage.size_gb):,} included",
                **common,
            )
        )
    elif storage.type in ("io1", "io2"):
        out.append(
            ctx.priced(
                sku=storage.type,
                usage="iops-month",
                variant=az,
                quantity=storage.iops or 0,
                scaling="fixed",
                description=f"{label}: provisioned IOPS",
                **common,
            )
        )
    return out


def price_rds(name: str, db: RdsInstance, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    component = f"{region}/rds/{name}"
    az = "multi-az" if db.multi_az else "single-az"
    out = [
        ctx.priced(
            component=component,
            kind="rds",
            region=region,
            service="AmazonRDS",
            sku=db.instance_class,
            usage="instance-hour",
            variant=f"{db.engine}:{az}",
            quantity=db.count * ctx.hours,
            scaling="db_class",
            description=f"{db.count} x {db.instance_class} {db.engine} {'Multi-AZ' if db.multi_az else 'Single-AZ'}",
            path=f"{path}.instance_class",
        )
    ]
    out += _storage_lines(component, db.storage, db.multi_az, region, ctx, f"{path}.storage", "primary")
    vcpu = None
    if db.proxy is not None:
        try:
            vcpu = rds_proxy_vcpus(db.instance_class)
        except InputError as exc:
            where = f"{path}.proxy"
            ctx.problems.append(Problem(exc.problems[0].message, file=ctx.file, line=ctx.line_no(where), location=where))
    if vcpu is not None:
        out.append(
            ctx.priced(
                component=component,
                kind="rds",
                region=region,
                service="AmazonRDS",
                sku="rds-proxy",
                usage="vcpu-hour",
                quantity=db.count * vcpu * ctx.hours,
                scaling="fixed",
                description=f"RDS Proxy: {db.count} x {vcpu:g} vCPU of {db.instance_class} (billed at least 2)",
                path=f"{path}.proxy",
                assumption=db.proxy.why,
            )
        )
    if db.backup.storage_gb:
        out.append(
            ctx.priced(
                component=component,
                kind="rds",
                region=region,
                service="AmazonRDS",
                sku="backup-storage",
                usage="storage-gb-month",
                quantity=db.backup.storage_gb,
                scaling="db_storage",
                description=f"backup storage beyond the free allowance ({db.backup.retention_days}-day retention)",
                path=f"{path}.backup",
                assumption=db.backup.why or "",
            )
        )
    for rname, rep in db.read_replicas.items():
        rregion = rep.region or region
        rpath = f"{path}.read_replicas.{rname}"
        rcomp = f"{rregion}/rds/{name}.{rname}"
        raz = "multi-az" if rep.multi_az else "single-az"
        out.append(
            ctx.priced(
                component=rcomp,
                kind="rds",
                region=rregion,
                service="AmazonRDS",
                sku=rep.instance_class,
                usage="instance-hour",
                variant=f"{db.engine}:{raz}",
                quantity=ctx.hours,
                scaling="db_replica",
                description=f"read replica {rep.instance_class} of {name}"
                + (f" (cross-region from {region})" if rregion != region else ""),
                path=f"{rpath}.instance_class",
            )
        )
        out += _storage_lines(rcomp, rep.storage or db.storage, rep.multi_az, rregion, ctx, rpath, "replica")
    return keep(*out)


def price_elasticache(name: str, g: ElastiCacheGroup, region: str, ctx: PricingContext, path: str) -> list[CostLine]:
    return keep(
        ctx.priced(
            component=f"{region}/elasticache/{name}",
            kind="elasticache",
            region=region,
            service="AmazonElastiCache",
            sku=g.node_type,
            usage="node-hour",
            variant=g.engine,
            quantity=g.nodes * ctx.hours,
            scaling="cache_class",
            description=f"{g.nodes} x {g.node_type} {g.engine} nodes",
            path=f"{path}.node_type",
        )
    )


SERVICES = (
    PricedService("rds", "rds", price_rds, RdsInstance, named=True, products=("AmazonRDS",),
                  price_list=(PriceListOffer("AmazonRDS", queries=(
                      {"productFamily": "Database Instance", "databaseEngine": "PostgreSQL"},
                      {"productFamily": "Database Instance", "databaseEngine": "MySQL"},
                      {"productFamily": "Database Storage"}, {"productFamily": "Provisioned IOPS"},
                      {"productFamily": "Storage Snapshot"}, {"productFamily": "RDSProxy"})),),
                  terraform_handlers=("aws_db_instance",),
                  pulumi_tokens={"aws:rds/instance:Instance": "aws_db_instance",
                                 "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
                                 "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group"},
                  scalings=frozenset({"db_class", "db_replica", "db_storage", "fixed"}),
                  catalog_keys=(("AmazonRDS", "*", "instance-hour"), ("AmazonRDS", "gp3", "storage-gb-month"),
                                ("AmazonRDS", "gp3", "iops-month"), ("AmazonRDS", "backup-storage", "storage-gb-month"),
                                ("AmazonRDS", "rds-proxy", "vcpu-hour")),
                  usage_types=(("rds-proxy", "*", "RDS:ProxyUsage"), ("*", "Hrs", "InstanceUsage:{sku}"), ("*", "*", "RDS:GP3-Storage"))),
    PricedService("elasticache", "elasticache", price_elasticache, ElastiCacheGroup, named=True,
                  price_list=(PriceListOffer("AmazonElastiCache", queries=({"productFamily": "Cache Instance"},)),),
                  terraform_handlers=("aws_elasticache_replication_group", "aws_elasticache_cluster"),
                  products=("AmazonElastiCache",), scalings=frozenset({"cache_class"}),
                  catalog_keys=(("AmazonElastiCache", "*", "node-hour"),),
                  usage_types=(("*", "*", "NodeUsage:{sku}"),)),
)
