"""Resources from infrastructure code -> a costplan stack spec.

The readers (Terraform plan JSON, Terraform configuration, Pulumi state) each give a list of
:class:`Resource`: a Terraform resource type (Pulumi tokens are mapped to it), the
resource's attribute values with Terraform's snake_case names, and which attributes are not
known (computed at apply time, or an expression that could not be resolved).

:func:`build_stack` maps the resources costplan prices to stack sections; every other
managed resource is listed as skipped with its type and the reason, never dropped silently.
Usage-priced quantities come from a usage file or from documented defaults whose ``why``
says they are defaults.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from costplan.components.registry import REGISTRY, terraform_counters, terraform_handler_types
from costplan.errors import InputError, Problem
from costplan.iac.usage import Usage, UsageValue
from costplan.units import AWS_REGIONS

# Resource types that AWS does not bill (configuration, wiring, permissions).
FREE_TYPES = {
    "aws_vpc",
    "aws_subnet",
    "aws_route_table",
    "aws_route_table_association",
    "aws_route",
    "aws_internet_gateway",
    "aws_egress_only_internet_gateway",
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_network_acl",
    "aws_network_acl_rule",
    "aws_network_acl_association",
    "aws_default_network_acl",
    "aws_default_route_table",
    "aws_default_security_group",
    "aws_default_vpc",
    "aws_vpc_dhcp_options",
    "aws_vpc_dhcp_options_association",
    "aws_db_subnet_group",
    "aws_db_parameter_group",
    "aws_db_option_group",
    "aws_elasticache_subnet_group",
    "aws_elasticache_parameter_group",
    "aws_route53_record",
    "aws_kms_alias",
    "aws_launch_template",
    "aws_launch_configuration",
    "aws_lb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_lb_target_group_attachment",
    "aws_alb_listener",
    "aws_alb_target_group",
    "aws_eks_addon",
    "aws_eks_access_entry",
    "aws_eks_access_policy_association",
    "aws_eks_identity_provider_config",
    "aws_eks_pod_identity_association",
    "aws_iam_openid_connect_provider",
    "aws_key_pair",
    "aws_placement_group",
    "aws_ssm_parameter",
    "aws_cloudwatch_log_resource_policy",
    "aws_wafv2_web_acl_association",
    "aws_config_delivery_channel",
    "aws_config_configuration_recorder_status",
    "aws_flow_log_iam_role",
    "aws_ec2_tag",
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_sqs_queue_policy",
    "aws_secretsmanager_secret_rotation",
    "aws_elasticache_user",
    "aws_elasticache_user_group",
    "aws_elasticache_user_group_association",
}
FREE_PREFIXES = ("aws_iam_", "aws_s3_bucket_", "aws_kms_grant", "aws_autoscaling_", "aws_lb_cookie_")
NON_BILLED_PROVIDERS = (
    "random_",
    "null_",
    "tls_",
    "time_",
    "local_",
    "terraform_data",
    "kubernetes_",
    "helm_",
    "kubectl_",
    "external_",
    "http_",
    "archive_",
    "cloudinit_",
)


@dataclass
class Resource:
    """One resource instance from infrastructure code."""

    address: str
    """Terraform-style address, e.g. ``module.vpc.aws_nat_gateway.this[0]`` (Pulumi: the URN name)."""
    type: str
    """Terraform resource type, e.g. ``aws_eks_node_group``."""
    values: dict
    """Attribute values, Terraform names; nested blocks as dicts or lists of dicts."""
    region: str | None = None
    unknown: dict[str, str] = field(default_factory=dict)
    """Attribute -> why it is not known (``known after apply``, ``could not resolve module.x.y``)."""
    refs: dict[str, list[str]] = field(default_factory=dict)
    """Attribute -> resource addresses its expression refers to (for links such as read replicas)."""
    name_hint: str | None = None
    """A readable component name (e.g. the key of a node group in a module's map)."""
    source: str = ""
    """Where it was read from (file, or file:line)."""

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v

    def block(self, key: str) -> dict:
        """A nested block as a dict (Terraform JSON gives blocks as one-element lists)."""
        v = self.values.get(key)
        if isinstance(v, list):
            v = v[0] if v else None
        return v if isinstance(v, dict) else {}

    @property
    def config_address(self) -> str:
        """The address without the last instance index."""
        return re.sub(r"\[[^\[\]]*\]$", "", self.address)


@dataclass
class Skipped:
    address: str
    type: str
    reason: str


@dataclass
class ImportResult:
    """A stack spec built from infrastructure code, and what was left out and why."""

    stack: dict
    """The stack spec data (what ``costplan estimate`` reads)."""
    source: str
    priced: list[dict] = field(default_factory=list)
    """``{"address", "type", "component"}`` for every resource that became (part of) a component."""
    skipped: list[Skipped] = field(default_factory=list)
    """Managed resources not priced: unsupported type, or priced data missing."""
    free: list[Skipped] = field(default_factory=list)
    """Resources AWS does not bill (security groups, IAM, routes...) and non-AWS providers."""
    unresolved: list[str] = field(default_factory=list)
    """Values that could not be known and what was done instead."""
    defaults: list[str] = field(default_factory=list)
    """Usage quantities taken from documented defaults."""
    notes: list[str] = field(default_factory=list)
    unpriced_values: list[str] = field(default_factory=list)
    """Values that could not be resolved but do not change the price (ids, subnets, tags...)."""

    def skipped_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(s.type for s in self.skipped).items()))

    def skipped_lines(self) -> list[str]:
        """Every skipped resource with its reason: one line per type and reason, naming the
        resources."""
        groups: dict[tuple[str, str], list[str]] = {}
        for x in self.skipped:
            groups.setdefault((x.type, x.reason), []).append(x.address)
        return [
            f"skipped {len(addrs)} x {t}: {reason}: {', '.join(addrs)}"
            for (t, reason), addrs in sorted(groups.items())
        ]

    def free_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(s.type for s in self.free).items()))

    def stack_model(self):
        """The validated :class:`~costplan.stack.models.Stack`."""
        from costplan.stack.loader import stack_from_data

        st = stack_from_data(self.stack, f"{self.source} (imported)")
        return st

    def report(self) -> dict:
        return {
            "source": self.source,
            "priced": self.priced,
            "skipped": [s.__dict__ for s in self.skipped],
            "skipped_by_type": self.skipped_by_type(),
            "free_by_type": self.free_by_type(),
            "unresolved": self.unresolved,
            "defaults": self.defaults,
            "notes": self.notes,
            "unresolved_not_priced": self.unpriced_values,
        }

    def to_yaml(self) -> str:
        """The stack spec as YAML, with a header saying where it came from and what was skipped."""
        import yaml

        head = [
            f"# Imported by `costplan import` from {self.source}.",
            (
                f"# {len(self.priced)} resources priced; {len(self.skipped)} skipped; "
                f"{len(self.free)} not billed by AWS or not AWS resources."
            ),
        ]
        for line in self.skipped_lines():
            head.append(f"#   {line}")
        for u in self.unresolved:
            head.append(f"#   unresolved: {u}")
        if self.defaults:
            head.append(f"# {len(self.defaults)} usage quantities are documented defaults (see each `why`).")
        body = yaml.safe_dump(self.stack, sort_keys=False, allow_unicode=True, width=110)
        return "\n".join(head) + "\n" + body


class _Builder:
    def __init__(self, name: str, default_region: str | None, usage: Usage, source: str):
        self.stack: dict = {"name": name, "regions": {}}
        self.default_region = default_region
        self.usage = usage
        self.result = ImportResult(stack=self.stack, source=source)
        self.region_whys: dict[tuple[str, str], list[str]] = {}
        self.region_defaults: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        """(region, section) -> (what, field, default note) of usage quantities left at their default."""
        self.region_usage_whys: dict[tuple[str, str], str] = {}

    # -- helpers ------------------------------------------------------------------------
    def region(self, r: Resource) -> str:
        region = r.region or self.default_region
        if region is None:  # build_stack checks this before any handler runs
            raise InputError(Problem(f"{r.address}: the region is not known; give --region", file=self.result.source))
        return region

    def section(self, region: str, section: str) -> dict:
        return self.stack["regions"].setdefault(region, {}).setdefault(section, {})

    def unique(self, mapping: dict, name: str) -> str:
        base, n = name, 2
        while name in mapping:
            name = f"{base}-{n}"
            n += 1
        return name

    def u(self, r: Resource, key: str, rtype: str | None = None) -> UsageValue:
        v = self.usage.get(r.address, rtype or r.type, key)
        if v.default:
            self.result.defaults.append(v.why)
        return v

    def priced(self, r: Resource, component: str) -> None:
        self.result.priced.append({"address": r.address, "type": r.type, "component": component})

    def skip(self, r: Resource, reason: str) -> None:
        self.result.skipped.append(Skipped(r.address, r.type, reason))

    def unknown(self, r: Resource, key: str, fallback: str) -> None:
        why = r.unknown.get(key, "not set")
        self.result.unresolved.append(f"{r.address}: {key} is {why}; {fallback}")

    def add_region_usage(self, region: str, section: str, fields: dict[str, float], whys: list[str]) -> None:
        sec = self.section(region, section)
        for k, v in fields.items():
            sec[k] = sec.get(k, 0) + v
        self.region_whys.setdefault((region, section), []).extend(whys)


def component_name(r: Resource, attr: str | None = None) -> str:
    """A readable component name: a name attribute, a module map key, or the address's name."""
    if r.name_hint:
        return r.name_hint
    if attr and isinstance(r.values.get(attr), str) and r.values[attr] and attr not in r.unknown:
        return r.values[attr]
    parts = re.findall(r"(module\.[^.\[]+(?:\[[^\]]*\])?)\.", r.address)
    last = re.sub(r"^.*?\b" + re.escape(r.type) + r"\.", "", r.address) if r.type in r.address else r.address
    m = re.match(r"([^\[]+)(?:\[(.*)\])?$", last)
    name, idx = (m.group(1), m.group(2)) if m else (last, None)
    if idx is not None:
        idx = idx.strip('"')
    if name in ("this", "main", "default"):
        if idx and not idx.isdigit():
            return idx  # for_each key: module.nodes.aws_eks_node_group.this["app"] -> app
        if parts:
            mm = re.match(r'module\.([^\[]+)(?:\["?([^"\]]*)"?\])?', parts[-1])
            if mm:
                name = mm.group(2) or mm.group(1)
            if idx == "0":
                idx = None
    if idx and not idx.isdigit() and idx.startswith(name):
        return idx  # aws_ebs_volume.influx["influx-0"] -> influx-0, not influx-influx-0
    if idx:
        name = f"{name}-{idx}"
    return name


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _int(v: Any) -> int | None:
    n = _num(v)
    return int(n) if n is not None else None


# -- per-type handlers --------------------------------------------------------------------
_NAMED: dict[str, Any] = {}
"""Terraform resource type -> its named handler, filled by :func:`handler`."""


def handler(*types: str):
    """Register ``fn(builder, resource)`` as the handler of Terraform ``types``; the service
    that imports them declares them (``PricedService.terraform_handlers``), which puts it to use."""

    def register(fn):
        for t in types:
            if t in _NAMED:
                raise ValueError(f"two Terraform handlers for {t}")
            _NAMED[t] = fn
        return fn

    return register


@handler("aws_eks_cluster")
def _eks_cluster(b: _Builder, r: Resource) -> None:
    region = b.region(r)
    sec = b.section(region, "eks_clusters")
    name = b.unique(sec, component_name(r, "name"))
    spec: dict = {"count": 1}
    # upgrade_policy.support_type STANDARD: EKS upgrades the cluster when standard support ends, so it
    # never bills extended support. EXTENDED (AWS's default): the version decides, on the pricing date.
    if str(b_get(r.block("upgrade_policy"), "support_type") or "").upper() == "STANDARD":
        spec["support"] = "standard"
    if r.has("version") and "version" not in r.unknown:
        spec["kubernetes_version"] = str(r.get("version"))
    sec[name] = spec
    b.priced(r, f"{region}/eks_clusters/{name}")


def b_get(d: dict, k: str) -> Any:
    return d.get(k) if isinstance(d, dict) else None


COMPUTED = "computed by AWS (not set in the configuration)"
"""The reason of an unknown attribute the configuration does not set (AWS or the provider
chooses it at apply, e.g. a node group's instance types)."""
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"
"""EKS's instance type for a managed node group that sets none (and no launch template type)."""
DEFAULT_NODE_DISK = (20, "gp2")
"""Node disk when nothing sets one: EKS's default ``disk_size`` of 20 GiB; volume type gp2,
the EC2 default for a block device mapping without ``volume_type`` [GiB, type]."""
DEFAULT_EBS_TYPE = "gp2"
"""The AWS provider's default ``aws_ebs_volume.type``."""


def _first(v: Any) -> dict:
    """A nested block as a dict (plan JSON and .tf give one-element lists; module inputs dicts)."""
    if isinstance(v, list):
        v = v[0] if v else None
    return v if isinstance(v, dict) else {}


def _launch_template(b: _Builder, r: Resource, block: dict) -> tuple[Resource | None, str | None]:
    """The launch template a node group or Auto Scaling group uses (or why it could not be
    found): through the block's references, then by name or id."""
    if isinstance(block.get("resolved"), dict):  # built by a module emulation
        lt = block["resolved"]
        return Resource(str(lt.get("address", r.address)), "aws_launch_template", lt), None
    for key in ("launch_template", "mixed_instances_policy", "launch_configuration"):
        for ref in r.refs.get(key, []):
            addr = re.sub(r"\.(id|name|arn|latest_version|default_version)$", "", ref)
            lt = b.by_address.get(addr) or b.by_address.get(f"{addr}[0]")
            if lt is not None and lt.type in ("aws_launch_template", "aws_launch_configuration"):
                return lt, None
    for attr in ("id", "name"):
        want = block.get(attr)
        if isinstance(want, str) and want:
            for lt in b.launch_templates:
                if lt.values.get(attr) == want or attr == "name" and lt.values.get("name_prefix") == want:
                    return lt, None
    what = block.get("name") or block.get("id") or r.unknown.get("launch_template") or "not known"
    return None, f"its launch template ({what}) is not in this configuration"


def _lt_type(lt: Resource) -> tuple[str | None, str | None]:
    """(instance type, why it is not known) of a launch template."""
    t = lt.values.get("instance_type")
    if isinstance(t, str) and t:
        return t, None
    if "instance_type" in lt.unknown:
        return None, f"the instance type in {lt.address} is {lt.unknown['instance_type']}"
    return None, None


def _lt_volumes(lt: dict, where: str) -> list[dict]:
    """The EBS volumes of a launch template's block device mappings, as node volumes."""
    out = []
    for m in lt.get("block_device_mappings") or []:
        ebs = _first((m or {}).get("ebs")) if isinstance(m, dict) else {}
        size = _num(ebs.get("volume_size"))
        if not size:
            continue
        vtype = ebs.get("volume_type")
        vol: dict = {"type": str(vtype) if vtype else DEFAULT_NODE_DISK[1], "size_gb": size}
        why = f"{m.get('device_name') or 'block device'} of {where}"
        if not vtype:
            why += f"; default: volume type {DEFAULT_NODE_DISK[1]} (none set)"
        if _int(ebs.get("iops")) and vol["type"] in ("gp3", "io1", "io2"):
            vol["iops"] = _int(ebs.get("iops"))
        if _num(ebs.get("throughput")) and vol["type"] == "gp3":
            vol["throughput_mbps"] = _num(ebs.get("throughput"))
        vol["why"] = why
        out.append(vol)
    root = lt.get("root_block_device")  # aws_launch_configuration
    if root and not out:
        rb = _first(root)
        if _num(rb.get("volume_size")):
            vtype = rb.get("volume_type") or DEFAULT_NODE_DISK[1]
            out.append({"type": str(vtype), "size_gb": _num(rb["volume_size"]), "why": f"root_block_device of {where}"})
    return out


def _default_disk(why: str) -> dict:
    size, vtype = DEFAULT_NODE_DISK
    return {"type": vtype, "size_gb": size, "why": f"default: {size} GiB {vtype} node disk ({why})"}


def _pool_volumes(pool: dict, vols: list[dict], fallback_why: str) -> None:
    if vols:
        pool["root_volume"] = vols[0]
        if len(vols) > 1:
            pool["data_volumes"] = vols[1:]
    else:
        pool["root_volume"] = _default_disk(fallback_why)


def _sizes(b: _Builder, r: Resource, desired, lo, hi) -> tuple[int, int | None, int | None] | None:
    over = b.usage.get(r.address, r.type, "desired")
    if not over.default and over.value is not None:
        desired = int(over.value)
    if desired is None:
        if lo is None:
            return None
        desired = lo
        b.result.unresolved.append(f"{r.address}: the desired size is not known; the minimum ({lo}) is priced")
    return desired, lo, hi


def _add_pool(b: _Builder, r: Resource, pool: dict, name: str) -> None:
    hours = b.usage.get(r.address, r.type, "hours_per_month")
    if not hours.default and hours.value is not None:
        pool["hours_per_month"] = hours.value
    region = b.region(r)
    sec = b.section(region, "node_pools")
    m = re.match(r'module\.([^.\[]+)(?:\["?([^"\]]+)"?\])?', r.address)
    if name in sec and m:  # the same group name in two modules (clusters): the module's key or name first
        name = f"{m.group(2) or m.group(1)}-{name}"
    name = b.unique(sec, name)
    sec[name] = pool
    b.priced(r, f"{region}/node_pools/{name}")


@handler("aws_eks_node_group")
def _node_group(b: _Builder, r: Resource) -> None:
    sc = r.block("scaling_config")
    types = r.get("instance_types")
    if isinstance(types, str):
        types = [types]
    notes: list[str] = []
    lt = lt_why = None
    if r.block("launch_template") or "launch_template" in r.unknown:
        lt, lt_why = _launch_template(b, r, r.block("launch_template"))
    if not types and lt is not None:
        lt_t, lt_why = _lt_type(lt)
        if lt_t:
            types = [lt_t]
            notes.append(f"instance type from {lt.address}")
    if not types:
        if lt_why or r.unknown.get("instance_types", COMPUTED) != COMPUTED:
            b.skip(
                r,
                f"instance types are not known ({lt_why or r.unknown['instance_types']}); set instance_types "
                "on the node group or give a plan JSON",
            )
            return
        types = [EKS_DEFAULT_INSTANCE_TYPE]
        notes.append(f"default: {EKS_DEFAULT_INSTANCE_TYPE}, EKS's instance type when a node group sets none")
        b.result.unresolved.append(
            f"{r.address}: instance_types not set; EKS's default {EKS_DEFAULT_INSTANCE_TYPE} is priced"
        )
    sizes = _sizes(b, r, _int(sc.get("desired_size")), _int(sc.get("min_size")), _int(sc.get("max_size")))
    if sizes is None:
        b.skip(r, "scaling_config.desired_size is not known; give `desired` in the usage file")
        return
    desired, lo, hi = sizes
    pool: dict = {"instance_types": [str(t) for t in types]}
    if lo is not None:
        pool["min"] = min(lo, desired)
    if hi is not None:
        pool["max"] = max(hi, desired)
    pool["desired"] = desired
    pool["capacity"] = "spot" if str(r.get("capacity_type", "ON_DEMAND")).upper() == "SPOT" else "on_demand"
    disk = _num(r.get("disk_size"))
    if lt is not None:
        _pool_volumes(pool, _lt_volumes(lt.values, lt.address), f"{lt.address} sets no block device")
    elif disk and "disk_size" not in r.unknown:
        pool["root_volume"] = {
            "type": str(r.get("root_volume_type", DEFAULT_NODE_DISK[1])),
            "size_gb": disk,
            "why": f"disk_size = {disk:g} on {r.address}",
        }
    else:
        pool["root_volume"] = _default_disk("EKS's default disk_size; none set")
    pool["why"] = "; ".join([f"EKS managed node group {r.address}", *notes])
    _add_pool(b, r, pool, r.name_hint or component_name(r, "node_group_name"))


@handler("aws_autoscaling_group")
def _asg(b: _Builder, r: Resource) -> None:
    """A self-managed node group: an Auto Scaling group launching from a launch template (or a
    mixed instances policy's overrides)."""
    mip = _first(r.values.get("mixed_instances_policy"))
    block = r.block("launch_template")
    if mip:
        block = _first(_first(mip.get("launch_template")).get("launch_template_specification")) or block
    lt = lt_why = None
    if block or "launch_template" in r.unknown or mip:
        lt, lt_why = _launch_template(b, r, block)
    elif r.has("launch_configuration") or "launch_configuration" in r.unknown:
        lt, lt_why = _launch_template(b, r, {"name": r.get("launch_configuration")})
    overrides = [o for o in (_first(mip.get("launch_template")).get("override") or []) if isinstance(o, dict)]
    types = [str(o["instance_type"]) for o in overrides if isinstance(o.get("instance_type"), str)]
    notes = [f"self-managed Auto Scaling group {r.address}"]
    if types:
        notes.append("instance types from the mixed instances policy's overrides")
    elif lt is not None:
        lt_t, lt_why = _lt_type(lt)
        if lt_t:
            types = [lt_t]
            notes.append(f"instance type from {lt.address}")
    if not types:
        why = lt_why or ("the launch template sets none" if lt is not None else "no launch template")
        b.skip(r, f"instance type not known ({why}); give a plan JSON or set it in the launch template")
        return
    lo, hi = _int(r.get("min_size")), _int(r.get("max_size"))
    sizes = _sizes(b, r, _int(r.get("desired_capacity")), lo, hi)
    if sizes is None:
        b.skip(r, "min_size and desired_capacity are not known; give `desired` in the usage file")
        return
    desired, lo, hi = sizes
    spot = False
    if lt is not None:
        market = _first(lt.values.get("instance_market_options"))
        spot = str(market.get("market_type", "")).lower() == "spot"
    on_demand = desired
    if mip:
        dist = _first(mip.get("instances_distribution"))
        base = _int(dist.get("on_demand_base_capacity")) or 0
        pct = _num(dist.get("on_demand_percentage_above_base_capacity"))
        pct = 100 if pct is None else pct
        on_demand = min(desired, base) + math.ceil(max(0, desired - base) * pct / 100 - 1e-9)
        notes.append(f"on-demand base {base} + {pct:g}% above it; the rest spot")
    elif spot:
        on_demand = 0
    vols = _lt_volumes(lt.values, lt.address) if lt is not None else []
    name = r.name_hint or component_name(r, "name")
    parts = [("on_demand", on_demand, name), ("spot", desired - on_demand, f"{name}-spot" if on_demand else name)]
    for capacity, n, pname in parts:
        if n <= 0 and not (capacity == "on_demand" and desired == 0):
            continue
        pool: dict = {"instance_types": types, "desired": n, "capacity": capacity}
        if lo is not None and capacity == "on_demand" and n == desired:
            pool["min"] = min(lo, n)
        if hi is not None and n == desired:
            pool["max"] = max(hi, n)
        lt_name = lt.address if lt is not None else r.address
        _pool_volumes(pool, vols, f"{lt_name} sets no block device; the AMI's root volume is assumed")
        pool["why"] = "; ".join(notes)
        _add_pool(b, r, pool, pname)


@handler("aws_db_instance")
def _db_instance(b: _Builder, r: Resource) -> None:
    engine = str(r.get("engine", "")).lower()
    if (
        r.get("replicate_source_db")
        or "replicate_source_db" in r.unknown
        or r.refs.get("replicate_source_db")
    ):
        b._replicas.append(r)  # linked to their source once every instance is read
        return
    if engine not in ("postgres", "postgresql", "mysql"):
        b.skip(r, f"engine {engine or 'unknown'!r} is not priced (costplan prices RDS for PostgreSQL and MySQL)")
        return
    if not r.has("instance_class"):
        b.skip(r, f"instance_class is {r.unknown.get('instance_class', 'not set')}")
        return
    size = _num(r.get("allocated_storage"))
    if not size:
        b.skip(r, f"allocated_storage is {r.unknown.get('allocated_storage', 'not set')}")
        return
    region = b.region(r)
    db: dict = {"engine": "mysql" if engine == "mysql" else "postgresql"}
    if r.has("engine_version") and "engine_version" not in r.unknown:
        db["engine_version"] = str(r.get("engine_version"))
    db["instance_class"] = str(r.get("instance_class"))
    db["multi_az"] = bool(r.get("multi_az", False))
    db["storage"] = _rds_storage(b, r, size)
    backup = {"retention_days": _int(r.get("backup_retention_period")) or 0}
    bu = b.u(r, "backup_storage_gb")
    backup["storage_gb"] = bu.value
    backup["why"] = bu.why
    db["backup"] = backup
    sec = b.section(region, "rds")
    prefix = r.get("identifier_prefix")
    if not r.has("identifier") and isinstance(prefix, str) and prefix.strip("-"):
        name = b.unique(sec, prefix.strip("-"))
    else:
        name = b.unique(sec, component_name(r, "identifier"))
    sec[name] = db
    b._dbs[r.address] = (region, name, r)
    b.priced(r, f"{region}/rds/{name}")


def _rds_storage(b: _Builder, r: Resource, size: float) -> dict:
    st = r.get("storage_type")
    why = None
    if not st or "storage_type" in r.unknown:
        st = "io1" if r.get("iops") else "gp2"
        why = f"default: storage_type {st}, the AWS provider's default when none is set ({r.address})"
        b.result.unresolved.append(f"{r.address}: storage_type not set; RDS's default {st} is priced")
    storage: dict = {"type": str(st), "size_gb": size}
    if why:
        storage["why"] = why
    iops = _int(r.get("iops"))
    if iops and st in ("gp3", "io1", "io2"):
        storage["iops"] = iops
    mx = _num(r.get("max_allocated_storage"))
    if mx:
        storage["max_size_gb"] = mx
    return storage


def _link_replicas(b: _Builder, replicas: list[Resource]) -> None:
    by_ident = {str(rr.get("identifier")): key for key, (_, _, rr) in b._dbs.items() if rr.has("identifier")}
    for r in replicas:
        src_key = None
        for ref in r.refs.get("replicate_source_db", []):
            ref = re.sub(r"\.(id|identifier|arn|address|resource_id)$", "", ref)
            for key in b._dbs:
                if key == ref or re.sub(r"\[[^\]]*\]$", "", key) == ref:
                    src_key = key
        if src_key is None:
            src_key = _source_in_module(b, r)
        val = r.get("replicate_source_db")
        if src_key is None and isinstance(val, str):
            ident = val.rsplit(":", 1)[-1]
            src_key = by_ident.get(ident)
        if src_key is None:
            why = "known only after apply" if "replicate_source_db" in r.unknown else repr(val)
            b.skip(
                r,
                f"read replica of a database not in this configuration (replicate_source_db {why}); "
                "add it to the source's read_replicas by hand",
            )
            continue
        if not r.has("instance_class"):
            b.skip(r, f"instance_class is {r.unknown.get('instance_class', 'not set')}")
            continue
        sregion, sname, src = b._dbs[src_key]
        region = b.region(r)
        rep: dict = {"instance_class": str(r.get("instance_class"))}
        if region != sregion:
            rep["region"] = region
        if r.get("multi_az"):
            rep["multi_az"] = True
        size = _num(r.get("allocated_storage"))
        if size and size != _num(src.get("allocated_storage")):
            rep["storage"] = _rds_storage(b, r, size)
        reps = b.stack["regions"][sregion]["rds"][sname].setdefault("read_replicas", {})
        name = b.unique(reps, component_name(r, "identifier"))
        reps[name] = rep
        b.priced(r, f"{region}/rds/{sname}.{name}")


def _source_in_module(b: _Builder, r: Resource) -> str | None:
    """A read replica whose ``replicate_source_db`` is a module output (``module.master.
    db_instance_identifier``): the source is the one database instance in that module."""
    for ref in r.refs.get("replicate_source_db", []):
        m = re.match(r"((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)+)", ref)
        if not m:
            continue
        inside = [key for key in b._dbs if key.startswith(m.group(1)) and key != r.address]
        if len(inside) == 1:
            return inside[0]
    return None


@handler("aws_elasticache_replication_group")
def _elasticache_rg(b: _Builder, r: Resource) -> None:
    if not r.has("node_type"):
        b.skip(r, f"node_type is {r.unknown.get('node_type', 'not set')}")
        return
    n = _int(r.get("num_cache_clusters")) or _int(r.get("number_cache_clusters"))
    groups = _int(r.get("num_node_groups"))
    if groups:
        n = groups * ((_int(r.get("replicas_per_node_group")) or 0) + 1)
    if not n:
        n = 1
        b.result.unresolved.append(
            f"{r.address}: num_cache_clusters not set; 1 node (AWS's default) is priced"
        )
    engine = str(r.get("engine", "redis")).lower()
    if engine not in ("redis", "valkey"):
        b.skip(r, f"engine {engine!r} is not priced")
        return
    region = b.region(r)
    sec = b.section(region, "elasticache")
    name = b.unique(sec, component_name(r, "replication_group_id"))
    sec[name] = {"node_type": str(r.get("node_type")), "engine": engine, "nodes": n}
    b.priced(r, f"{region}/elasticache/{name}")


@handler("aws_elasticache_cluster")
def _elasticache_cluster(b: _Builder, r: Resource) -> None:
    if r.has("replication_group_id") or "replication_group_id" in r.unknown:
        b.skip(r, "member of a replication group (priced with aws_elasticache_replication_group)")
        return
    if not r.has("node_type"):
        b.skip(r, f"node_type is {r.unknown.get('node_type', 'not set')}")
        return
    engine = str(r.get("engine", "redis")).lower()
    if engine not in ("redis", "valkey", "memcached"):
        b.skip(r, f"engine {engine!r} is not priced")
        return
    region = b.region(r)
    sec = b.section(region, "elasticache")
    name = b.unique(sec, component_name(r, "cluster_id"))
    sec[name] = {
        "node_type": str(r.get("node_type")),
        "engine": engine,
        "nodes": _int(r.get("num_cache_nodes")) or 1,
    }
    b.priced(r, f"{region}/elasticache/{name}")


@handler("aws_ebs_volume")
def _ebs_volume(b: _Builder, r: Resource) -> None:
    size = _num(r.get("size"))
    if not size:
        b.skip(r, f"size is {r.unknown.get('size', 'not set')} (e.g. taken from a snapshot); set `size`")
        return
    vtype = r.get("type")
    notes = []
    if not vtype or "type" in r.unknown:
        vtype = DEFAULT_EBS_TYPE
        notes.append(f"default: type {DEFAULT_EBS_TYPE}, the AWS provider's default")
        b.result.unresolved.append(
            f"{r.address}: type not set; the AWS provider's default {DEFAULT_EBS_TYPE} is priced"
        )
    vol: dict = {"type": str(vtype), "size_gb": size, "count": 1}
    if _int(r.get("iops")) and vtype in ("gp3", "io1", "io2"):
        vol["iops"] = _int(r.get("iops"))
    if _num(r.get("throughput")) and vtype == "gp3":
        vol["throughput_mbps"] = _num(r.get("throughput"))
    snap = b.u(r, "snapshot_gb")
    if snap.value:
        vol["snapshot_gb"] = snap.value
    if vtype == "standard":
        io = b.u(r, "io_requests_million")
        if io.value:
            vol["io_requests_million"] = io.value
        notes.append(f"magnetic I/O requests: {io.why}")
    vol["why"] = "; ".join([f"{r.config_address}", *notes] + ([] if snap.default else [f"snapshots: {snap.why}"]))
    region = b.region(r)
    sec = b.section(region, "ebs_volumes")
    # instances of one `count` / `for_each` resource with the same settings become one entry
    key = r.config_address
    for name, other in sec.items():
        if (
            b._ebs_origin.get((region, name)) == key
            and {k: v for k, v in other.items() if k != "count"}
            == {k: v for k, v in vol.items() if k != "count"}
            and not vol.get("snapshot_gb")
            and not vol.get("io_requests_million")
        ):
            other["count"] += 1
            b.priced(r, f"{region}/ebs_volumes/{name}")
            return
    # instances of a `count` drop their index (data-0, data-1 -> data); for_each keys stay
    counted = re.search(r"\[\d+\]$", r.address) is not None
    name = b.unique(sec, re.sub(r"-\d+$", "", component_name(r)) if counted else component_name(r))
    sec[name] = vol
    b._ebs_origin[(region, name)] = key
    b.priced(r, f"{region}/ebs_volumes/{name}")


@handler("aws_s3_bucket")
def _s3_bucket(b: _Builder, r: Resource) -> None:
    region = b.region(r)
    sec = b.section(region, "s3")
    name = b.unique(sec, component_name(r, "bucket"))
    size, t1, t2 = b.u(r, "size_gb"), b.u(r, "requests_tier1"), b.u(r, "requests_tier2")
    cls = b.usage.get(r.address, r.type, "storage_class")
    whys = sorted({x.why for x in (size, t1, t2)})
    sec[name] = {
        "storage_class": cls.value,
        "size_gb": size.value,
        "requests_tier1": t1.value,
        "requests_tier2": t2.value,
        "why": "; ".join(whys),
    }
    b.priced(r, f"{region}/s3/{name}")


@handler("aws_lb", "aws_alb")
def _lb(b: _Builder, r: Resource) -> None:
    kind = str(r.get("load_balancer_type", "application")).lower()
    lbtype = {"application": "alb", "network": "nlb"}.get(kind)
    if lbtype is None:
        b.skip(r, f"load_balancer_type {kind!r} is not priced (application and network are)")
        return
    region = b.region(r)
    sec = b.section(region, "load_balancers")
    name = b.unique(sec, component_name(r, "name"))
    cu = b.u(r, "capacity_units", "aws_lb")
    sec[name] = {"type": lbtype, "count": 1, "capacity_units": cu.value, "why": cu.why}
    b.priced(r, f"{region}/load_balancers/{name}")


GLOBAL_SECTIONS = {s.section for s in REGISTRY if s.scope == "global"}


def _region_counter(
    section: str, counts: dict[str, float], usage: dict[str, str] | None = None, component: str | None = None
):
    """A handler adding to a region-level section: fixed counts plus usage quantities."""

    def handler(b: _Builder, r: Resource) -> None:
        region = b.region(r)
        fields = dict(counts)
        whys = []
        for ukey, field_name in (usage or {}).items():
            v = b.u(r, ukey)
            fields[field_name] = fields.get(field_name, 0) + v.value
            if not v.default:
                whys.append(f"{r.address}: {v.why}")
            else:
                b.region_defaults.setdefault(
                    ("global" if section in GLOBAL_SECTIONS else region, section), []
                ).append((f"{r.address} {ukey}", field_name, v.why))
        where = "global" if section in GLOBAL_SECTIONS else region
        b.add_region_usage(where, section, fields, whys)
        b.priced(r, f"{where}/{component or section}")

    return handler


@handler("aws_nat_gateway")
def _nat(b: _Builder, r: Resource) -> None:
    _region_counter("nat_gateways", {"count": 1}, {"gb_processed": "gb_processed"})(b, r)
    b._nat_addresses.append(r.address)


@handler("aws_wafv2_web_acl")
def _waf(b: _Builder, r: Resource) -> None:
    rules = r.values.get("rule") or []
    if isinstance(rules, dict):
        rules = [rules]
    _region_counter("waf", {"web_acls": 1, "rules": len(rules)}, {"requests_million": "requests_million"})(
        b, r
    )


@handler("aws_cloudwatch_metric_alarm")
def _alarm(b: _Builder, r: Resource) -> None:
    period = _num(r.get("period"))
    key = "alarms_high_resolution" if period is not None and period < 60 else "alarms_standard"
    _region_counter("cloudwatch", {key: 1})(b, r)


@handler("aws_flow_log")
def _flow_log(b: _Builder, r: Resource) -> None:
    dest = str(r.get("log_destination_type", "cloud-watch-logs"))
    mapped = {"cloud-watch-logs": "cloudwatch-logs", "s3": "s3"}.get(dest)
    if mapped is None:
        b.skip(r, f"log_destination_type {dest!r} is not priced (cloud-watch-logs and s3 are)")
        return
    region = b.region(r)
    sec = b.stack["regions"].get(region, {}).get("flow_logs")
    if sec and sec.get("destination") != mapped:
        b.result.notes.append(
            f"{r.address}: flow logs in {region} go to both S3 and CloudWatch Logs; all are "
            f"priced at the {sec['destination']} rate"
        )
    _region_counter("flow_logs", {}, {"ingest_gb": "ingest_gb"})(b, r)
    b.section(region, "flow_logs").setdefault("destination", mapped)


@handler("aws_ec2_capacity_reservation")
def _capacity_reservation(b: _Builder, r: Resource) -> None:
    if not r.has("instance_type"):
        b.skip(r, f"instance_type is {r.unknown.get('instance_type', 'not set')}")
        return
    crs = b.stack.setdefault("commitments", {}).setdefault("capacity_reservations", {})
    name = b.unique(crs, component_name(r))
    crs[name] = {
        "instance_type": str(r.get("instance_type")),
        "region": b.region(r),
        "count": _int(r.get("instance_count")) or 1,
        "why": f"{r.address}",
    }
    b.priced(r, f"commitments/capacity_reservations/{name}")


HANDLERS = {rtype: _NAMED[rtype] for rtype in terraform_handler_types()}
"""Terraform resource type -> handler: a view of the registry (the named handlers its
services declare, registered above with ``@handler``, then their declarative counters)."""
# the priced services' declarative handlers (costplan.components.registry)
HANDLERS.update({rtype: _region_counter(section, counts, usage)
                 for rtype, (section, counts, usage) in terraform_counters().items()})
SUPPORTED_TYPES = sorted({*HANDLERS, "aws_db_instance"})

NOT_PRICED_REASONS = {
    "aws_savingsplans_plan": "not a resource of the hashicorp/aws provider; Savings Plans are bought outside "
    "Terraform: add it under commitments.savings_plans",
    "aws_instance": "standalone EC2 instances are not priced by costplan (EKS node groups are)",
    "aws_rds_cluster": "Aurora is not priced by costplan (RDS for PostgreSQL instances are)",
    "aws_rds_cluster_instance": "Aurora is not priced by costplan (RDS for PostgreSQL instances are)",
    "aws_sqs_queue": "SQS is billed per request (the first million a month are free); not priced by costplan",
    "aws_db_instance_automated_backups_replication": "backups replicated to another region are billed per GB "
    "stored and transferred; not priced by costplan",
    "aws_secretsmanager_secret": "Secrets Manager ($0.40 per secret a month and per API call) is not priced by costplan",
}


GLOBAL_TYPES = tuple(rtype for s in REGISTRY if s.scope == "global" for rtype in s.terraform)


def build_stack(
    resources: list[Resource],
    *,
    name: str,
    source: str,
    usage: Usage | None = None,
    default_region: str | None = None,
    region_help: str | None = None,
    extra_skipped: list[Skipped] | None = None,
    extra_free: list[Skipped] | None = None,
) -> ImportResult:
    """Map resources to a stack spec. ``default_region`` (``--region``) is the region of the
    resources whose region the code does not give; without it such a resource is an error
    asking for ``--region`` (``region_help`` says why the code does not give it). Raises
    :class:`InputError` if no resource is an AWS one or nothing can be priced.
    ``extra_skipped``/``extra_free``: what the reader itself left out (modules not on disk)."""
    from costplan.errors import did_you_mean

    usage = usage or Usage()
    if default_region is not None and default_region not in AWS_REGIONS:
        raise InputError(
            f"--region {default_region!r} is not an AWS region: {did_you_mean(default_region, AWS_REGIONS, 'region')}"
        )
    b = _Builder(name, default_region, usage, source)
    b._dbs, b._ebs_origin, b._nat_addresses = {}, {}, []
    b.result.skipped.extend(extra_skipped or [])
    b.result.free.extend(extra_free or [])
    managed = [r for r in resources if r.type]
    b.by_address = {r.address: r for r in managed}
    b.launch_templates = [r for r in managed if r.type in ("aws_launch_template", "aws_launch_configuration")]
    if managed and not any(r.type.startswith("aws_") for r in managed):
        providers = sorted(
            {r.type.split(":", 1)[0] if ":" in r.type else r.type.split("_", 1)[0] for r in managed}
        )
        raise InputError(
            Problem(
                f"no AWS resources: found only {', '.join(providers)} provider resources; costplan prices AWS only",
                file=source,
            )
        )
    for r in managed:
        if r.region is not None and r.region not in AWS_REGIONS:
            b.result.unresolved.append(
                f"{r.address}: region {r.region!r} is not an AWS region: "
                f"{did_you_mean(r.region, AWS_REGIONS, 'region')}"
            )
            r.region = None
    regional = [
        r
        for r in managed
        if r.region is None and (r.type in HANDLERS or r.type == "aws_db_instance") and r.type not in GLOBAL_TYPES
    ]
    if regional and default_region is None:
        names = ", ".join(r.address for r in regional[:3]) + (f" and {len(regional) - 3} more" if len(regional) > 3 else "")
        why = region_help or "no region in the resource or its provider configuration"
        raise InputError(
            Problem(
                f"the region of {len(regional)} resources cannot be determined ({why}): {names}; give "
                "--region REGION (the region the provider would use), or set `region` in the provider block",
                file=source,
                location="--region",
            )
        )
    b._replicas = []
    for r in managed:
        if r.type in HANDLERS:
            HANDLERS[r.type](b, r)
        elif r.type.startswith(NON_BILLED_PROVIDERS) or not r.type.startswith("aws_"):
            b.result.free.append(Skipped(r.address, r.type, "not an AWS resource"))
        elif r.type in FREE_TYPES or r.type.startswith(FREE_PREFIXES):
            b.result.free.append(Skipped(r.address, r.type, "not billed by AWS"))
        else:
            b.skip(r, NOT_PRICED_REASONS.get(r.type, "resource type not priced by costplan"))
    _link_replicas(b, b._replicas)
    _apply_region_usage(b, usage)
    _finish_region_sections(b)
    glob = b.stack.get("regions", {}).pop("global", None)
    if glob:
        b.stack["global"] = glob
    for u in usage.unused():
        b.result.notes.append(f"usage file entry {u!r} matches no resource")
    if not b.stack["regions"]:
        skipped = "".join(f"\n  skipped {x.address} ({x.type}): {x.reason}" for x in b.result.skipped)
        raise InputError(
            Problem(
                "nothing to price: no resource costplan prices was found "
                f"({len(b.result.skipped)} skipped, {len(b.result.free)} not billed); "
                f"supported types: {', '.join(SUPPORTED_TYPES)}{skipped}",
                file=source,
            )
        )
    return b.result


def _apply_region_usage(b: _Builder, usage: Usage) -> None:
    """Merge the usage file's `regions` sections over the built ones; a field set there is no
    longer a default."""
    from costplan.stack.loader import deep_merge

    for rname, sections in usage.regions.items():
        if rname not in AWS_REGIONS:
            raise InputError(
                Problem(
                    f"unknown region {rname!r} in the usage file",
                    file=usage.source,
                    location=f"regions.{rname}",
                )
            )
        target = b.stack["regions"].setdefault(rname, {})
        merged = deep_merge(target, sections)
        target.clear()
        target.update(merged)
        for sec, vals in sections.items():
            if not isinstance(vals, dict):
                continue
            key = (rname, sec)
            left = []
            for what, field_name, note in b.region_defaults.get(key, []):
                if field_name in vals:
                    b.result.defaults.remove(note)
                else:
                    left.append((what, field_name, note))
            b.region_defaults[key] = left
            b.region_usage_whys[key] = str(
                vals.get("why") or f"usage file {usage.source}: regions.{rname}.{sec}"
            )
            b.region_whys.setdefault(key, [])


def _finish_region_sections(b: _Builder) -> None:
    """Give region-level usage sections their `why` (defaults say they are defaults)."""
    for (region, section), whys in b.region_whys.items():
        sec = b.stack["regions"][region][section]
        parts = list(dict.fromkeys(whys))
        if (region, section) in b.region_usage_whys:
            parts.insert(0, b.region_usage_whys[(region, section)])
        missing = [what for what, _f, _n in b.region_defaults.get((region, section), [])]
        if missing:
            parts.append("default: no usage given for " + ", ".join(missing) + " (0); set it in a usage file")
        if not parts:
            parts.append("counted from the infrastructure code")
        sec["why"] = "; ".join(parts)
