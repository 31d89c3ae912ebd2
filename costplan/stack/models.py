"""The stack spec: what runs where, in pydantic v2 models.

Every model forbids unknown keys (a typo is an error that names the closest valid key).
Components that are priced by usage (data transfer, NAT processing, logs...) take explicit
usage assumptions and a ``why`` note saying where the number comes from.

Quantities carry their units in the field descriptions; the reference is
``docs/stack-spec.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from costplan.limits import MAX_ANNUAL_GROWTH, MAX_COUNT, MAX_MONTHS, MAX_NODES_PER_POOL, MAX_QUANTITY
from costplan.units import AWS_REGIONS

NonNeg = Annotated[float, Field(ge=0, le=MAX_QUANTITY)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]
PosCount = Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)]
NodeCount = Annotated[int, Field(ge=0, le=MAX_NODES_PER_POOL, strict=True)]
Why = Annotated[str, Field(min_length=3, description="Where the usage assumption comes from.")]


class Spec(BaseModel):
    """Base of every spec model: unknown keys are errors, numbers are finite (no ``.inf`` or
    ``.nan``) and at most :data:`~costplan.limits.MAX_QUANTITY` in size (docs/refusals.md)."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, v):
        for x in v.values() if isinstance(v, dict) else (v,):
            if isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) > MAX_QUANTITY:
                shown = f"{x:.3g}" if isinstance(x, float) else (
                    f"{x:.3g}" if abs(x) < 10**300 else f"an integer of {len(str(abs(x)))} digits")
                raise ValueError(f"must be at most {MAX_QUANTITY:.0e} in size, got {shown}")
        return v


class UsageSpec(Spec):
    """A usage-priced item: the numbers are assumptions and must say why."""

    why: Why


# --- compute ------------------------------------------------------------------------------
class EksCluster(Spec):
    count: PosCount = Field(1, description="Clusters of this kind [clusters].")
    support: Literal["standard", "extended"] | None = Field(
        None,
        description="EKS support tier billed: standard ($0.10/h) or extended ($0.60/h). Default: from "
        "kubernetes_version and EKS's support dates on the pricing date (standard, with a warning, if no version).",
    )
    kubernetes_version: str | None = Field(
        None, description="Kubernetes version, e.g. '1.31': past its end of standard support, extended support is billed."
    )


class RootVolume(Spec):
    type: Literal["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"] = "gp3"
    size_gb: Annotated[float, Field(gt=0)] = Field(20, description="Root volume size per node [GiB].")
    iops: Count | None = Field(None, description="Provisioned IOPS per volume (gp3: total, 3,000 included) [IOPS].")
    throughput_mbps: NonNeg | None = Field(None, description="gp3 throughput per volume (125 included) [MB/s].")
    why: str | None = None


class NodePool(Spec):
    """An EKS managed node group (or a Karpenter pool) of EC2 instances."""

    instance_types: list[str] = Field(..., min_length=1, description="Allowed instance types; the first is priced.")
    count: NodeCount | None = Field(None, description="Fixed node count [nodes]; or give min/max/desired.")
    min: NodeCount | None = Field(None, description="Autoscaling minimum [nodes].")
    max: NodeCount | None = Field(None, description="Autoscaling maximum [nodes].")
    desired: NodeCount | None = Field(None, description="Nodes running in the baseline month [nodes].")
    capacity: Literal["on_demand", "spot"] = Field("on_demand", description="EC2 purchase option.")
    hours_per_month: NonNeg | None = Field(None, description="Hours each node runs [h/month]; default: the stack's.")
    root_volume: RootVolume | None = Field(None, description="EBS root volume per node.")
    data_volumes: list[RootVolume] = Field(
        default_factory=list, description="Further EBS volumes per node (a launch template's other block devices)."
    )
    pods: dict[str, Workload] = Field(default_factory=dict, description="Workloads scheduled on this pool.")
    why: str | None = Field(None, description="Where the pool's instance type and size come from (defaults say so).")

    @model_validator(mode="after")
    def _sizes(self) -> NodePool:
        if self.count is None and self.desired is None:
            raise ValueError("give `count` (fixed size) or `desired` (with optional min/max) [nodes]")
        if self.count is not None and self.desired is not None and self.count != self.desired:
            raise ValueError(f"`count` ({self.count}) and `desired` ({self.desired}) disagree; give one of them")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        n = self.nodes
        if self.min is not None and n < self.min:
            raise ValueError(f"{n} nodes is below min ({self.min})")
        if self.max is not None and n > self.max:
            raise ValueError(f"{n} nodes is above max ({self.max})")
        return self

    @property
    def nodes(self) -> int:
        """Nodes running in the baseline month [nodes]."""
        return self.count if self.count is not None else int(self.desired or 0)


class Workload(Spec):
    """Pods of one workload, as a Deployment / StatefulSet declares them."""

    replicas: Count = Field(1, description="Replicas in the baseline [pods].")
    min_replicas: Count | None = None
    max_replicas: Count | None = None
    cpu_request: NonNeg = Field(0.1, description="CPU request per pod [vCPU].")
    memory_request_gib: NonNeg = Field(0.25, description="Memory request per pod [GiB].")
    target_cpu_utilization: Annotated[float, Field(gt=0, le=1)] | None = Field(
        None, description="The HPA's average CPU utilisation target [fraction of the request]."
    )
    why: str | None = None


# --- databases ----------------------------------------------------------------------------
class RdsStorage(Spec):
    type: Literal["gp2", "gp3", "io1", "io2", "standard"] = "gp3"
    size_gb: Annotated[float, Field(gt=0)] = Field(..., description="Allocated storage [GB].")
    iops: Count | None = Field(None, description="Provisioned IOPS (io1/io2; gp3 above the included baseline) [IOPS].")
    max_size_gb: NonNeg | None = Field(None, description="Storage autoscaling ceiling [GB] (not priced).")
    why: str | None = Field(None, description="Where the storage settings come from (defaults say so).")


class RdsBackup(Spec):
    retention_days: Count = Field(7, description="Automated backup retention [days].")
    storage_gb: NonNeg = Field(
        0, description="Backup storage beyond the free allowance (100% of allocated storage) [GB-month]."
    )
    why: str | None = None


class ReadReplica(Spec):
    instance_class: str = Field(..., description="DB instance class, e.g. db.r6g.large.")
    region: str | None = Field(None, description="Region of the replica (default: the source's).")
    multi_az: bool = False
    storage: RdsStorage | None = Field(None, description="Replica storage (default: same as the source).")


class RdsProxy(UsageSpec):
    """RDS Proxy in front of the instance: billed per vCPU-hour of the instance (at least 2)."""


class RdsInstance(Spec):
    engine: Literal["postgresql", "postgres", "mysql"] = Field(
        "postgresql", description="RDS engine: postgresql (alias postgres) or mysql."
    )
    engine_version: str | None = None
    instance_class: str = Field(..., description="DB instance class, e.g. db.r6g.xlarge.")
    multi_az: bool = False
    count: PosCount = 1
    storage: RdsStorage
    backup: RdsBackup = Field(default_factory=RdsBackup)
    read_replicas: dict[str, ReadReplica] = Field(default_factory=dict)
    max_connections: Count | None = Field(None, description="Connection limit used by capacity rules [connections].")
    proxy: RdsProxy | None = Field(None, description="Connections pooled through RDS Proxy, billed per vCPU of the instance.")

    @field_validator("engine")
    @classmethod
    def _engine(cls, v: str) -> str:
        return "postgresql" if v == "postgres" else v


class ElastiCacheGroup(Spec):
    node_type: str = Field(..., description="Cache node type, e.g. cache.r7g.large.")
    engine: Literal["redis", "valkey", "memcached"] = "redis"
    nodes: PosCount = Field(..., description="Nodes in the replication group (primary + replicas) [nodes].")


# --- storage ------------------------------------------------------------------------------
class EbsVolume(Spec):
    type: Literal["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"] = Field(
        "gp3", description="Volume type; `standard` is the previous-generation magnetic volume."
    )
    size_gb: Annotated[float, Field(gt=0)] = Field(..., description="Size of one volume [GiB].")
    count: PosCount = Field(1, description="Volumes [volumes].")
    iops: Count | None = Field(None, description="Provisioned IOPS per volume (gp3: total, 3,000 included) [IOPS].")
    throughput_mbps: NonNeg | None = Field(None, description="gp3 throughput per volume (125 included) [MB/s].")
    snapshot_gb: NonNeg = Field(0, description="Snapshot storage for these volumes [GB-month].")
    io_requests_million: NonNeg = Field(
        0, description="I/O requests, magnetic (`standard`) volumes only, all volumes together [million/month]."
    )
    why: str | None = None


class K8sVolume(EbsVolume):
    """PersistentVolumeClaims of a StatefulSet (e.g. InfluxDB's 3 x 100 GiB gp3 claims)."""

    storage_class: str | None = Field(None, description="Kubernetes StorageClass name (documentation only).")
    count: PosCount = Field(1, alias="replicas", description="Claims (one per StatefulSet replica) [volumes].")


class S3Bucket(Spec):
    storage_class: Literal["standard", "standard-ia", "glacier-ir"] = "standard"
    size_gb: NonNeg = Field(..., description="Average stored [GB-month].")
    requests_tier1: NonNeg = Field(0, description="PUT, COPY, POST, LIST requests [requests/month].")
    requests_tier2: NonNeg = Field(0, description="GET and other requests [requests/month].")
    why: Why


class Efs(UsageSpec):
    """Amazon EFS file systems of the region (e.g. the volumes of the EFS CSI driver)."""

    standard_gb: NonNeg = Field(0, description="Stored in EFS Standard [GB-month].")
    infrequent_access_gb: NonNeg = Field(0, description="Stored in EFS Standard-Infrequent Access [GB-month].")
    one_zone_gb: NonNeg = Field(0, description="Stored in EFS One Zone [GB-month].")
    infrequent_access_reads_gb: NonNeg = Field(0, description="Data read from Infrequent Access [GB/month].")
    infrequent_access_writes_gb: NonNeg = Field(0, description="Data written to Infrequent Access [GB/month].")
    provisioned_throughput_mbps: NonNeg = Field(
        0, description="Provisioned throughput, all file systems together (provisioned mode only) [MB/s].")


class Ecr(UsageSpec):
    """Amazon ECR private repositories of the region: image storage (pulls from the same region
    are free)."""

    storage_gb: NonNeg = Field(0, description="Images stored [GB-month].")


# --- network ------------------------------------------------------------------------------
class DataTransfer(UsageSpec):
    internet_egress_gb: NonNeg = Field(0, description="Data out to the internet [GB/month].")
    inter_region_gb: NonNeg = Field(0, description="Data out of this region to other AWS regions [GB/month].")
    inter_az_gb: NonNeg = Field(0, description="Data crossing AZs, counted once per direction billed [GB/month].")


class NatGateways(UsageSpec):
    count: Count = Field(..., description="NAT gateways [gateways].")
    gb_processed: NonNeg = Field(0, description="Data processed by all of them [GB/month].")


class LoadBalancer(UsageSpec):
    type: Literal["alb", "nlb"] = "alb"
    count: PosCount = 1
    capacity_units: NonNeg = Field(
        1, description="Average LCUs (ALB) or NLCUs (NLB) per load balancer, over the month [LCU]."
    )


class PublicIpv4(UsageSpec):
    addresses: Count = Field(..., description="Public IPv4 addresses held all month [addresses].")


# --- observability and security ------------------------------------------------------------
class CloudWatch(UsageSpec):
    metrics: NonNeg = Field(0, description="Custom / detailed metrics [metrics/month].")
    alarms_standard: NonNeg = Field(0, description="Standard-resolution alarms [alarms].")
    alarms_high_resolution: NonNeg = Field(0, description="High-resolution alarms [alarms].")
    log_ingest_gb: NonNeg = Field(0, description="Logs ingested [GB/month].")
    log_storage_gb: NonNeg = Field(0, description="Logs stored [GB-month].")


class XRay(UsageSpec):
    traces_recorded_million: NonNeg = Field(0, description="Traces recorded [million/month].")
    traces_retrieved_million: NonNeg = Field(0, description="Traces retrieved or scanned [million/month].")


class Waf(UsageSpec):
    web_acls: Count = 0
    rules: Count = Field(0, description="Rules across all web ACLs [rules].")
    requests_million: NonNeg = Field(0, description="Requests inspected [million/month].")


class Config(UsageSpec):
    configuration_items: NonNeg = Field(0, description="Configuration items recorded [items/month].")
    rule_evaluations: NonNeg = Field(0, description="Config rule evaluations [evaluations/month].")


class CloudTrail(UsageSpec):
    management_event_copies_100k: NonNeg = Field(
        0, description="Management events in additional trails (the first copy is free) [100k events/month]."
    )
    data_events_100k: NonNeg = Field(0, description="Data events recorded [100k events/month].")
    insights_events_100k: NonNeg = Field(0, description="Events analysed by CloudTrail Insights [100k events/month].")


class FlowLogs(UsageSpec):
    ingest_gb: NonNeg = Field(..., description="Flow log data delivered [GB/month].")
    destination: Literal["cloudwatch-logs", "s3"] = "cloudwatch-logs"


class Kms(UsageSpec):
    keys: Count = Field(0, description="Customer managed keys [keys].")
    requests_10k: NonNeg = Field(0, description="API requests beyond the free tier [10k requests/month].")


class Route53(UsageSpec):
    hosted_zones: Count = 0
    queries_million: NonNeg = Field(0, description="Standard queries [million/month].")
    latency_queries_million: NonNeg = Field(0, description="Latency-based routing queries [million/month].")
    geo_queries_million: NonNeg = Field(
        0, description="Geo DNS and geoproximity queries [million/month].")
    alias_queries_million: NonNeg = Field(
        0, description="Queries to alias records of AWS resources (load balancers, CloudFront, S3 websites, API "
                       "Gateway, VPC endpoints): free [million/month].")
    health_checks: Count = Field(0, description="Health checks on AWS endpoints [checks].")


# --- commitments --------------------------------------------------------------------------
Term = Literal["1yr", "3yr"]
Payment = Literal["no-upfront", "partial-upfront", "all-upfront"]


class SavingsPlan(Spec):
    type: Literal["compute", "ec2-instance"] = "compute"
    term: Term = "1yr"
    payment: Payment = "no-upfront"
    hourly_commitment: Annotated[float, Field(gt=0)] = Field(..., description="Commitment [USD/h].")
    region: str | None = Field(None, description="EC2 Instance Savings Plans only: the region.")
    instance_family: str | None = Field(None, description="EC2 Instance Savings Plans only: the family, e.g. m5.")
    why: str | None = None

    @model_validator(mode="after")
    def _scope(self) -> SavingsPlan:
        if self.type == "ec2-instance" and (not self.region or not self.instance_family):
            raise ValueError("an ec2-instance Savings Plan needs `region` and `instance_family`")
        return self


class ReservedInstance(Spec):
    service: Literal["ec2", "rds", "elasticache"] = "ec2"
    instance_type: str = Field(..., description="Instance type, DB class or cache node type.")
    region: str
    count: PosCount = 1
    offering_class: Literal["standard", "convertible"] = "standard"
    term: Term = "1yr"
    payment: Payment = "no-upfront"
    multi_az: bool = Field(False, description="RDS only.")
    engine: str | None = Field(None, description="RDS: postgresql; ElastiCache: redis / valkey.")
    why: str | None = None


class CapacityReservation(Spec):
    """An EC2 On-Demand Capacity Reservation: reserves capacity, billed at on-demand rates."""

    instance_type: str
    region: str
    count: PosCount = 1
    why: str | None = None


class Commitments(Spec):
    savings_plans: dict[str, SavingsPlan] = Field(default_factory=dict)
    reserved_instances: dict[str, ReservedInstance] = Field(default_factory=dict)
    capacity_reservations: dict[str, CapacityReservation] = Field(default_factory=dict)


# --- projection ---------------------------------------------------------------------------
class Driver(Spec):
    """One demand driver: a central value and, optionally, its uncertainty.

    ``low``/``high`` are the 10th and 90th percentiles for ``normal`` and ``lognormal``, the
    bounds for ``uniform`` and ``triangular`` (whose mode is ``value``). A normal is centred on
    ``value`` with sigma from the spread ``(high - low) / 2.563``, so give a symmetric range; a
    lognormal's median is ``value``, symmetric in log space (``low x high = value^2``). With
    neither given the driver is fixed.
    """

    value: float = Field(..., description="Central value (median; the mode for triangular) [driver unit].")
    low: float | None = Field(None, description="Low end of the range [driver unit].")
    high: float | None = Field(None, description="High end of the range [driver unit].")
    distribution: Literal["fixed", "normal", "lognormal", "uniform", "triangular"] | None = Field(
        None, description="Shape of the uncertainty; default lognormal when low/high are given, else fixed."
    )
    why: Why

    @model_validator(mode="after")
    def _range(self) -> Driver:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both `low` and `high` (or neither)")
        if self.low is not None:
            if not (self.low <= self.value <= self.high):
                raise ValueError(f"expected low <= value <= high, got {self.low} <= {self.value} <= {self.high}")
            if self.distribution is None:
                self.distribution = "lognormal"
            if self.distribution == "lognormal" and self.low <= 0:
                raise ValueError("a lognormal driver needs low > 0")
        elif self.distribution not in (None, "fixed"):
            raise ValueError(f"distribution {self.distribution!r} needs `low` and `high`")
        else:
            self.distribution = "fixed"
        return self


class Drivers(Spec):
    """Demand drivers of the projection: users, growth and load per user."""

    active_users: Driver = Field(..., description="Active users in month 0 [users].")
    annual_growth: Driver = Field(..., description="Growth of active users, compounding monthly [fraction/year].")
    peak_rps_per_user: Driver | None = Field(
        None, description="API requests per second at the daily peak, per user [req/s/user]; needed when workloads, "
        "a database or traffic-priced lines follow it."
    )
    sensor_points_per_user_day: Driver | None = Field(
        None, description="Sensor data points written per user [points/user/day]; needed with a sensor volume."
    )
    stored_gb_per_user: Driver | None = Field(
        None, description="Object storage (S3) held per user [GB/user]; needed when the stack stores data in S3."
    )
    egress_gb_per_user: Driver | None = Field(
        None, description="Data out to the internet per user [GB/user/month]; needed when the stack has internet egress."
    )
    db_gb_per_user: Driver | None = Field(None, description="Relational data in PostgreSQL per user [GB/user].")
    cache_mb_per_user: Driver | None = Field(None, description="Redis memory per user [MB/user].")

    @model_validator(mode="after")
    def _signs(self) -> Drivers:
        problems = []
        for name in type(self).model_fields:
            d = getattr(self, name)
            if d is None:
                continue
            lo = min(x for x in (d.value, d.low) if x is not None)
            if name == "annual_growth":
                if lo <= -1:
                    problems.append(f"annual_growth must be above -1 (-100% a year), got {lo}")
                hi = max(x for x in (d.value, d.high) if x is not None)
                if hi > MAX_ANNUAL_GROWTH:
                    problems.append(f"annual_growth must be at most {MAX_ANNUAL_GROWTH:g} ({MAX_ANNUAL_GROWTH:.0%} a "
                                    f"year), got {hi}")
            elif lo < 0:
                problems.append(f"{name} must be >= 0, got {lo}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class WorkloadScaling(Spec):
    """How one workload's pod count follows demand (an HPA at its target utilisation)."""

    demand: Literal["peak_rps", "users", "sensor_points_per_s"] = Field(
        ..., description="The demand the pods serve: peak API requests [req/s], active users, or sensor writes [points/s]."
    )
    per_pod: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Demand one pod serves at the HPA target [demand unit/pod]."
    )
    per_pod_at_full_cpu: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Demand one pod serves at 100% of its CPU request [demand unit/pod]; the HPA's CPU target "
        "(from the workload's manifest) then gives per_pod = per_pod_at_full_cpu x target."
    )
    region_share: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="Share of the demand served in each region [fraction]; default 1 where the workload runs."
    )
    why: Why

    @model_validator(mode="after")
    def _one_rate(self) -> WorkloadScaling:
        if (self.per_pod is None) == (self.per_pod_at_full_cpu is None):
            raise ValueError("give `per_pod` (at the HPA target) or `per_pod_at_full_cpu` (at 100% of the CPU request), one of them")
        return self


class PoolCapacity(Spec):
    """Overrides of a node pool's per-node allocatable resources."""

    reserved_cpu: NonNeg | None = Field(None, description="kube + system reserved CPU per node [vCPU]; default: the EKS AMI formula.")
    reserved_memory_gib: NonNeg | None = Field(
        None, description="kube + system reserved memory plus eviction threshold per node [GiB]; default: the EKS AMI formula."
    )
    max_pods: PosCount | None = Field(None, description="Pods per node [pods]; default: the ENI limit for the instance type.")
    daemonset_cpu: NonNeg = Field(0.0, description="CPU requested by DaemonSets on every node [vCPU].")
    daemonset_memory_gib: NonNeg = Field(0.0, description="Memory requested by DaemonSets on every node [GiB].")
    why: str | None = None


class DatabaseRule(Spec):
    """When the primary PostgreSQL instance needs the next class, and how its storage grows."""

    cpu_ms_per_request: NonNeg = Field(2.0, description="Database CPU time per API request at peak [ms/req].")
    max_cpu_utilisation: Annotated[float, Field(gt=0, le=1)] = Field(0.7, description="CPU headroom rule [fraction].")
    connections_per_pod: NonNeg = Field(10, description="Connection pool size of each API pod [connections/pod].")
    max_connection_utilisation: Annotated[float, Field(gt=0, le=1)] = Field(0.8, description="Connection headroom [fraction].")
    class_ladder: list[str] = Field(
        default_factory=lambda: ["db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge", "db.r6g.4xlarge", "db.r6g.8xlarge"],
        description="Instance classes in order of size; a step moves up this list.",
    )
    storage_fill: Annotated[float, Field(gt=0, le=1)] = Field(
        0.8, description="Allocated storage is grown so that data fills at most this share [fraction]."
    )
    why: str | None = None


class CacheRule(Spec):
    """When the Redis replication group needs the next node type."""

    max_memory_utilisation: Annotated[float, Field(gt=0, le=1)] = Field(0.75, description="Memory headroom [fraction].")
    node_ladder: list[str] = Field(
        default_factory=lambda: ["cache.r7g.large", "cache.r7g.xlarge", "cache.r7g.2xlarge", "cache.r7g.4xlarge"],
        description="Node types in order of size.",
    )
    why: str | None = None


class SensorStorage(Spec):
    """How sensor points become InfluxDB volume size."""

    bytes_per_point: Annotated[float, Field(gt=0)] = Field(3.0, description="Stored size of one point, compressed, with index [B].")
    retention_days: Annotated[float, Field(gt=0)] = Field(365, description="Retention of the sensor bucket [days].")
    volume_fill: Annotated[float, Field(gt=0, le=1)] = Field(0.8, description="Volumes are grown so data fills at most this share.")
    volume: str = Field("influxdb-storage", description="Name of the k8s_volumes entry holding the data.")
    why: str | None = None


class SpotSettings(Spec):
    on_demand_fallback_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.1, description="Share of a spot pool's node-hours that fall back to on-demand (no spot capacity) [fraction]."
    )
    price_volatility: NonNeg = Field(
        0.15, description="Month-to-month spread of spot prices: sigma of a lognormal factor around the catalog price [-]."
    )
    why: str | None = None


class DailyProfile(Spec):
    """The day's shape of demand, in two levels: ``peak_hours`` a day at the peak the drivers
    give, the rest of the day at ``offpeak_share`` of it. Node pools are costed on the
    node-hours of both levels; Savings Plans are sized on both (docs/projection.md)."""

    peak_hours: Annotated[float, Field(gt=0, le=24)] = Field(
        ..., description="Hours a day at peak demand (0 < h <= 24) [h/day]."
    )
    offpeak_share: Annotated[float, Field(ge=0, le=1)] = Field(
        ..., description="Demand in the other hours as a share of the peak [fraction]."
    )
    why: Why


class ProjectionSpec(Spec):
    """Demand drivers and capacity rules for ``costplan project`` (docs/projection.md)."""

    months: Annotated[int, Field(ge=1, le=MAX_MONTHS, strict=True)] = Field(36, description="Months projected [months].")
    start: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="First projected month, YYYY-MM.")
    drivers: Drivers
    workloads: dict[str, WorkloadScaling] = Field(default_factory=dict, description="Scaling rules by workload name.")
    manifests: list[str] = Field(
        default_factory=list,
        description="Kubernetes manifests / Helm values files (relative to the stack file) whose replicas, HPA bounds and "
        "requests replace those of the same-named pods under node_pools.",
    )
    manifest_names: dict[str, str] = Field(
        default_factory=dict, description="Renames of Helm values keys to workload names, e.g. {api: ultibiker-api}."
    )
    pools: dict[str, PoolCapacity] = Field(default_factory=dict, description="Allocatable overrides by pool name.")
    database: DatabaseRule = Field(default_factory=DatabaseRule)
    cache: CacheRule = Field(default_factory=CacheRule)
    sensor_storage: SensorStorage = Field(default_factory=SensorStorage)
    spot: SpotSettings = Field(default_factory=SpotSettings)
    daily_profile: DailyProfile | None = Field(
        None, description="Peak hours a day and the off-peak level; without it every hour runs at the peak."
    )
    renew_commitments: bool = Field(
        True, description="Savings Plans and RIs are renewed at the end of their term (false: they end after the "
        "term, counted from month 0)."
    )


# --- the stack ----------------------------------------------------------------------------
class Region(Spec):
    eks_clusters: dict[str, EksCluster] = Field(default_factory=dict)
    node_pools: dict[str, NodePool] = Field(default_factory=dict)
    rds: dict[str, RdsInstance] = Field(default_factory=dict)
    elasticache: dict[str, ElastiCacheGroup] = Field(default_factory=dict)
    k8s_volumes: dict[str, K8sVolume] = Field(default_factory=dict)
    ebs_volumes: dict[str, EbsVolume] = Field(default_factory=dict)
    s3: dict[str, S3Bucket] = Field(default_factory=dict)
    data_transfer: DataTransfer | None = None
    nat_gateways: NatGateways | None = None
    load_balancers: dict[str, LoadBalancer] = Field(default_factory=dict)
    public_ipv4: PublicIpv4 | None = None
    cloudwatch: CloudWatch | None = None
    xray: XRay | None = None
    waf: Waf | None = None
    config: Config | None = None
    cloudtrail: CloudTrail | None = None
    flow_logs: FlowLogs | None = None
    kms: Kms | None = None
    efs: Efs | None = None
    ecr: Ecr | None = None


class GlobalServices(Spec):
    route53: Route53 | None = None


class Scenario(Spec):
    """A named variant: a partial stack deep-merged over the base (``null`` deletes a key)."""

    description: str = Field(..., min_length=3)
    patch: dict = Field(default_factory=dict)


class Stack(Spec):
    name: str = Field(..., min_length=1)
    description: str | None = None
    currency: Literal["USD"] = "USD"
    hours_per_month: Annotated[float, Field(gt=0, le=744)] = Field(
        730, description="Hours in the priced month [h]; AWS bills 730 on average."
    )
    regions: dict[str, Region] = Field(..., min_length=1)
    global_services: GlobalServices = Field(default_factory=GlobalServices, alias="global")
    commitments: Commitments = Field(default_factory=Commitments)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    projection: ProjectionSpec | None = Field(None, description="Demand drivers and projection settings (docs/projection.md).")

    # where the spec came from, for messages (set by the loader)
    _source: str | None = PrivateAttr(None)
    _lines: dict = PrivateAttr(default_factory=dict)
    _data: dict = PrivateAttr(default_factory=dict)
    _scenario: str | None = PrivateAttr(None)

    @property
    def source(self) -> str | None:
        """The file the stack was loaded from."""
        return self._source

    @property
    def scenario(self) -> str | None:
        """The scenario applied, if any."""
        return self._scenario

    def line_of(self, path: str) -> int | None:
        """The line in the source file of a dotted field path (``regions.us-east-1.node_pools.app``)."""
        from costplan.stack.loader import line_for

        return line_for(self._lines, tuple(path.split(".")))

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, v: dict) -> dict:
        from costplan.errors import did_you_mean

        for r in v:
            if r not in AWS_REGIONS:
                raise ValueError(f"unknown region {r!r}: {did_you_mean(r, AWS_REGIONS, 'region')}")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> Stack:
        from costplan.errors import did_you_mean

        problems = []
        for rname, region in self.regions.items():
            for dbname, db in region.rds.items():
                for repname, rep in db.read_replicas.items():
                    if rep.region and rep.region not in AWS_REGIONS:
                        problems.append(
                            f"regions.{rname}.rds.{dbname}.read_replicas.{repname}.region: unknown region "
                            f"{rep.region!r}: {did_you_mean(rep.region, AWS_REGIONS, 'region')}"
                        )
        for kind in ("savings_plans", "reserved_instances", "capacity_reservations"):
            for cname, c in getattr(self.commitments, kind).items():
                region = getattr(c, "region", None)
                if region and region not in AWS_REGIONS:
                    problems.append(
                        f"commitments.{kind}.{cname}.region: unknown region {region!r}: "
                        f"{did_you_mean(region, AWS_REGIONS, 'region')}"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self


NodePool.model_rebuild()
