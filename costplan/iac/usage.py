"""The usage file: quantities that infrastructure code does not say (GB stored, requests, GB
processed), keyed by resource address.

Format (YAML, ``docs/infrastructure-code.md``)::

    version: 1
    resource_type_defaults:          # optional: for every resource of a type
      aws_lb: {capacity_units: 2, why: "~2 LCU average at 10,000 users"}
    resources:                       # by address; `[*]` matches every instance
      aws_s3_bucket.data: {size_gb: 500, requests_tier2: 10000000, why: "cost table: 500 GB"}
      module.vpc.aws_nat_gateway.this[*]: {gb_processed: 170}
    regions:                         # usage that belongs to no resource, merged into the region
      us-east-1:
        data_transfer: {internet_egress_gb: 1500, why: "10,000 users x 150 MB"}

Lookup order for one resource: its exact address, its address with the index replaced by
``[*]``, its address without index, then ``resource_type_defaults`` for its type, then the
documented default (:data:`DEFAULTS`), which says it is a default in its ``why``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.components.registry import usage_file_sections
from costplan.components.registry import usage_keys as registry_usage_keys
from costplan.errors import InputError, Problem, closest
from costplan.limits import MAX_QUANTITY

# resource type -> usage key -> (default, description with unit); the services of the
# registry add theirs (costplan.components.registry.usage_keys)
USAGE_KEYS: dict[str, dict[str, tuple[Any, str]]] = {
    "aws_eks_node_group": {
        "desired": (
            None,
            "nodes running in the baseline month, overriding scaling_config.desired_size [nodes]",
        ),
        "hours_per_month": (None, "hours each node runs [h/month]"),
    },
    "aws_db_instance": {
        "backup_storage_gb": (0, "backup storage beyond the free allowance [GB-month]"),
    },
    "aws_ebs_volume": {
        "snapshot_gb": (0, "snapshot storage [GB-month]"),
        "io_requests_million": (0, "I/O requests of a magnetic (standard) volume [million/month]"),
    },
    "aws_s3_bucket": {
        "size_gb": (0, "average stored [GB-month]"),
        "requests_tier1": (0, "PUT, COPY, POST, LIST requests [requests/month]"),
        "requests_tier2": (0, "GET and other requests [requests/month]"),
        "storage_class": ("standard", "standard, standard-ia or glacier-ir"),
    },
    "aws_lb": {"capacity_units": (1, "average LCUs (ALB) or NLCUs (NLB) over the month [LCU]")},
    "aws_wafv2_web_acl": {"requests_million": (0, "requests inspected [million/month]")},
    "aws_flow_log": {"ingest_gb": (0, "flow log data delivered [GB/month]")},
}
USAGE_KEYS.update(registry_usage_keys())  # the keys the priced services declare
USAGE_KEYS["aws_alb"] = USAGE_KEYS["aws_lb"]
USAGE_KEYS["aws_autoscaling_group"] = {
    "desired": (None, "instances running in the baseline month, overriding desired_capacity [nodes]"),
    "hours_per_month": (None, "hours each instance runs [h/month]"),
}

# Region-level sections a usage file may set (merged over what the resources give): the
# one-block-per-region services of the registry.
REGION_SECTIONS = usage_file_sections()

_INDEX = re.compile(r"\[[^\[\]]*\]$")


@dataclass
class UsageValue:
    """One usage quantity and where it came from."""

    value: Any
    why: str
    default: bool
    """True when no usage was given and the documented default is used."""


@dataclass
class Usage:
    """A parsed usage file (empty when none is given)."""

    resources: dict[str, dict] = field(default_factory=dict)
    type_defaults: dict[str, dict] = field(default_factory=dict)
    regions: dict[str, dict] = field(default_factory=dict)
    source: str | None = None
    used: set[str] = field(default_factory=set)

    def entry(self, address: str, rtype: str) -> tuple[dict, str | None]:
        """The usage mapping for one resource and the key it was found under."""
        candidates = [address]
        if _INDEX.search(address):
            candidates += [_INDEX.sub("[*]", address), _INDEX.sub("", address)]
        for c in candidates:
            if c in self.resources:
                self.used.add(c)
                return self.resources[c], c
        if rtype in self.type_defaults:
            return self.type_defaults[rtype], f"resource_type_defaults.{rtype}"
        return {}, None

    def get(self, address: str, rtype: str, key: str) -> UsageValue:
        """One usage quantity for a resource, or the documented default (marked as such)."""
        entry, where = self.entry(address, rtype)
        if key in entry:
            why = entry.get("why") or f"usage file {self.source}: {where}.{key}"
            return UsageValue(entry[key], str(why), False)
        default, desc = USAGE_KEYS.get(rtype, {}).get(key, (0, key))
        return UsageValue(
            default,
            f"default: no usage given for {address} ({key} = {default!r}, {desc}); set it in a usage file",
            True,
        )

    def unused(self) -> list[str]:
        return sorted(set(self.resources) - self.used)


def read_usage(path: str | Path | None) -> Usage:
    """Read and check a usage file; every problem is reported at once with its line."""
    if path is None:
        return Usage()
    from costplan.stack.loader import line_for, read_yaml

    data, lines = read_yaml(path)
    file = str(path)
    if not isinstance(data, dict):
        raise InputError(Problem("expected a mapping with `version` and `resources`", file=file, line=1))
    problems: list[Problem] = []

    def bad(msg, loc, hint=None):
        problems.append(
            Problem(msg, file=file, line=line_for(lines, loc), location=".".join(map(str, loc)), hint=hint)
        )

    top = {"version", "resources", "resource_type_defaults", "regions"}
    for k in data:
        if k not in top:
            near = closest(str(k), top)
            bad(
                f"unknown key {k!r}",
                (k,),
                f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(sorted(top))}",
            )
    if data.get("version", 1) != 1:
        bad(
            f"unsupported usage file version {data.get('version')!r}; this costplan reads version 1",
            ("version",),
        )

    def check_entry(entry, loc, rtype=None):
        if not isinstance(entry, dict):
            bad(f"expected a mapping of usage keys to numbers, got {type(entry).__name__}", loc)
            return
        valid = set(USAGE_KEYS[rtype]) if rtype else {k for keys in USAGE_KEYS.values() for k in keys}
        for k, v in entry.items():
            if k == "why":
                continue
            if k not in valid:
                near = closest(str(k), valid)
                bad(
                    f"unknown usage key {k!r}" + (f" for {rtype}" if rtype else ""),
                    (*loc, k),
                    f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(sorted(valid))}",
                )
            elif k == "storage_class":
                if v not in ("standard", "standard-ia", "glacier-ir"):
                    bad(f"{v!r} is not valid; expected standard, standard-ia or glacier-ir", (*loc, k))
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= MAX_QUANTITY:
                bad(f"must be a finite number from 0 to {MAX_QUANTITY:.0e}, got {v!r}", (*loc, k))

    resources = data.get("resources") or {}
    if not isinstance(resources, dict):
        bad("expected a mapping of resource addresses to usage", ("resources",))
        resources = {}
    for addr, entry in resources.items():
        rtype = _type_of(str(addr))
        check_entry(entry, ("resources", addr), rtype if rtype in USAGE_KEYS else None)
    type_defaults = data.get("resource_type_defaults") or {}
    if not isinstance(type_defaults, dict):
        bad("expected a mapping of resource types to usage", ("resource_type_defaults",))
        type_defaults = {}
    for rtype, entry in type_defaults.items():
        if rtype not in USAGE_KEYS:
            near = closest(str(rtype), USAGE_KEYS)
            bad(
                f"resource type {rtype!r} takes no usage",
                ("resource_type_defaults", rtype),
                f"did you mean {near[0]!r}?"
                if near
                else f"types with usage: {', '.join(sorted(USAGE_KEYS))}",
            )
            continue
        check_entry(entry, ("resource_type_defaults", rtype), rtype)
    regions = data.get("regions") or {}
    if not isinstance(regions, dict):
        bad("expected a mapping of regions to sections", ("regions",))
        regions = {}
    for r, sections in regions.items():
        if not isinstance(sections, dict):
            bad("expected a mapping of sections (data_transfer, xray, ...)", ("regions", r))
            continue
        for s in sections:
            if s not in REGION_SECTIONS:
                near = closest(str(s), REGION_SECTIONS)
                bad(
                    f"unknown region section {s!r}",
                    ("regions", r, s),
                    f"did you mean {near[0]!r}?" if near else f"valid: {', '.join(REGION_SECTIONS)}",
                )
    if problems:
        raise InputError(problems)
    return Usage(
        resources=dict(resources), type_defaults=dict(type_defaults), regions=dict(regions), source=file
    )


def _type_of(address: str) -> str | None:
    """The resource type in an address such as ``module.vpc.aws_nat_gateway.this[0]``."""
    parts = re.sub(r"\[[^\]]*\]", "", address).split(".")
    # skip module.NAME pairs
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        i += 2
    return parts[i] if i < len(parts) else None
