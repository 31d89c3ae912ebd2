"""Capacity inputs from Kubernetes manifests and Helm values files.

:func:`read_manifests` reads YAML files (any number of documents each) and returns
:class:`K8sInputs`:

- **workloads** (:class:`costplan.stack.models.Workload`): Deployments, StatefulSets and
  ReplicaSets with their replicas and CPU [vCPU] / memory [GiB] requests (summed over the
  pod's containers); a HorizontalPodAutoscaler (``autoscaling/v2`` or ``v1``) or a KEDA
  ScaledObject targeting one gives its replica range (``minReplicas``/``maxReplicas``,
  ``minReplicaCount``/``maxReplicaCount``) and the HPA's CPU utilisation target;
- **daemonsets**: the requests of each DaemonSet, which runs one pod on every node of the
  pools it lands on (they reduce what a node offers to the other pods);
- **node_pools**: Karpenter NodePools with their EC2NodeClass (requirements, limits, block
  devices), priced by :mod:`costplan.iac.karpenter`;
- and Helm values files, in the two common layouts: a single-application chart
  (``replicaCount``, ``resources``, ``autoscaling`` at the top level, as most public charts
  write them; the workload is named after the chart) or one top-level key per component
  (``api.replicaCount``...). Bitnami's ``resourcesPreset`` is read as the preset's requests.

A file in which nothing is found is an error naming it, never an empty result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.errors import InputError, Problem
from costplan.stack.models import Workload

_MEM_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "": 1}

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")

BITNAMI_PRESETS = {
    "nano": ("100m", "128Mi"),
    "micro": ("250m", "256Mi"),
    "small": ("500m", "512Mi"),
    "medium": ("500m", "1024Mi"),
    "large": ("1.0", "2048Mi"),
    "xlarge": ("1.0", "3072Mi"),
    "2xlarge": ("1.0", "3072Mi"),
}
"""Requests of Bitnami's ``resourcesPreset`` values (cpu, memory), from
bitnami/charts ``bitnami/common/templates/_resources.tpl`` (Apache-2.0)."""

KEDA_DEFAULT_MIN, KEDA_DEFAULT_MAX = 0, 100
"""KEDA ScaledObject defaults of ``minReplicaCount`` and ``maxReplicaCount`` [pods]."""


def parse_cpu(q) -> float:
    """A Kubernetes CPU quantity ('100m', '1', 0.5) [vCPU]."""
    s = str(q).strip()
    if s.endswith("m"):
        return float(s[:-1]) / 1000
    return float(s)


def parse_memory_gib(q) -> float:
    """A Kubernetes memory quantity ('256Mi', '1Gi', '512M') [GiB]."""
    m = re.fullmatch(r"([0-9.]+(?:[eE][0-9]+)?)([KMGT]i?)?", str(q).strip())
    if not m:
        raise ValueError(f"not a memory quantity: {q!r}")
    return float(m.group(1)) * _MEM_UNITS[m.group(2) or ""] / 2**30


@dataclass
class DaemonSet:
    cpu_request: float
    """CPU requested on every node it runs on [vCPU]."""
    memory_request_gib: float
    """Memory requested on every node it runs on [GiB]."""
    node_selector: dict = field(default_factory=dict)
    why: str = ""


@dataclass
class KarpenterPool:
    """A Karpenter NodePool and the EC2NodeClass it refers to."""

    name: str
    requirements: list[tuple[str, str, list[str]]]
    """(key, operator, values) of ``spec.template.spec.requirements``."""
    labels: dict = field(default_factory=dict)
    limits_cpu: float | None = None
    """``spec.limits.cpu`` [vCPU]."""
    weight: int = 0
    node_class: str | None = None
    block_devices: list[dict] | None = None
    """The EC2NodeClass's ``blockDeviceMappings`` (None: not given)."""
    ami_family: str | None = None
    taints: list = field(default_factory=list)
    why: str = ""


@dataclass
class K8sInputs:
    workloads: dict[str, Workload] = field(default_factory=dict)
    daemonsets: dict[str, DaemonSet] = field(default_factory=dict)
    node_pools: dict[str, KarpenterPool] = field(default_factory=dict)
    selectors: dict[str, dict] = field(default_factory=dict)
    """Workload name -> its pods' ``nodeSelector`` (to place them on a Karpenter NodePool)."""
    warnings: list[str] = field(default_factory=list)
    scalers: list[tuple[str, dict, str]] = field(default_factory=list, repr=False)
    """(kind, document, file) of the HPAs and ScaledObjects read, applied by :func:`finish`."""
    node_classes: dict[str, tuple[dict, str]] = field(default_factory=dict, repr=False)
    """EC2NodeClass name -> (spec, file), applied to their NodePools by :func:`finish`."""


def _requests(containers: list, where: str, what: str) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in containers or []:
        req = ((c or {}).get("resources") or {}).get("requests") or {}
        try:
            cpu += parse_cpu(req.get("cpu", 0))
            mem += parse_memory_gib(req.get("memory", 0))
        except ValueError as exc:
            raise InputError(
                Problem(str(exc), file=where, location=f"{what}.containers.{(c or {}).get('name')}.resources.requests")
            ) from None
    return cpu, mem


def _name(d: dict) -> str:
    return str((d.get("metadata") or {}).get("name") or "")


def _int(v: Any, where: str, location: str) -> int:
    try:
        n = float(v)
    except (TypeError, ValueError):
        raise InputError(Problem(f"expected a whole number, got {v!r}", file=where, location=location)) from None
    if not n.is_integer() or n < 0:
        raise InputError(Problem(f"expected a whole number >= 0, got {v!r}", file=where, location=location))
    return int(n)


def parse_manifest(docs: list, where: str = "<manifest>", out: K8sInputs | None = None) -> K8sInputs:
    """The capacity inputs of parsed YAML documents (see the module docstring). HPAs and
    ScaledObjects are applied by :func:`finish` once every file is read."""
    out = out if out is not None else K8sInputs()
    for d in docs:
        if not isinstance(d, dict):
            continue
        kind, name = d.get("kind"), _name(d)
        spec = d.get("spec") or {}
        if kind in ("List",) and isinstance(d.get("items"), list):
            parse_manifest(d["items"], where, out)
            continue
        if kind in WORKLOAD_KINDS or kind == "DaemonSet":
            pod = (spec.get("template") or {}).get("spec") or {}
            cpu, mem = _requests(pod.get("containers"), where, f"{kind} {name}")
            file = Path(where).name
            if kind == "DaemonSet":
                out.daemonsets[name] = DaemonSet(cpu, mem, dict(pod.get("nodeSelector") or {}), f"DaemonSet {name} in {file}")
                continue
            replicas = _int(spec.get("replicas", 1), where, f"{kind} {name}.spec.replicas")
            out.workloads[name] = Workload(
                replicas=replicas, cpu_request=cpu, memory_request_gib=mem, why=f"{kind} {name} in {file}"
            )
            if pod.get("nodeSelector"):
                out.selectors[name] = dict(pod["nodeSelector"])
        elif kind == "HorizontalPodAutoscaler":
            out.scalers.append(("hpa", d, where))
        elif kind == "ScaledObject":
            out.scalers.append(("keda", d, where))
        elif kind == "NodePool" and str(d.get("apiVersion", "")).startswith("karpenter.sh/"):
            out.node_pools[name] = _karpenter_pool(d, where)
        elif kind == "EC2NodeClass":
            out.node_classes[name] = (spec, where)
    return out


def _karpenter_pool(d: dict, where: str) -> KarpenterPool:
    spec = d.get("spec") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    reqs = []
    for r in template.get("requirements") or []:
        if isinstance(r, dict) and r.get("key"):
            reqs.append((str(r["key"]), str(r.get("operator", "In")), [str(v) for v in r.get("values") or []]))
    limits = (spec.get("limits") or {}).get("cpu")
    ref = template.get("nodeClassRef") or {}
    return KarpenterPool(
        name=_name(d),
        requirements=reqs,
        labels=dict(((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}),
        limits_cpu=parse_cpu(limits) if limits is not None else None,
        weight=int(spec.get("weight") or 0),
        node_class=ref.get("name"),
        taints=list(template.get("taints") or []),
        why=f"Karpenter NodePool {_name(d)} in {Path(where).name}",
    )


def _target_cpu(metrics: list) -> float | None:
    for m in metrics or []:
        res = (m or {}).get("resource") or {}
        if (m or {}).get("type") == "Resource" and res.get("name") == "cpu":
            t = (res.get("target") or {}).get("averageUtilization")
            if t is not None:
                return float(t) / 100
    return None


def finish(out: K8sInputs) -> K8sInputs:
    """Apply the HPAs and ScaledObjects to the workloads they target, and the EC2NodeClasses
    to their NodePools."""
    for kind, d, where in out.scalers:
        spec = d.get("spec") or {}
        target = (spec.get("scaleTargetRef") or {}).get("name")
        file = Path(where).name
        w = out.workloads.get(str(target))
        if w is None:
            out.warnings.append(f"{file}: {d.get('kind')} {_name(d)} scales {target!r}, which no manifest given defines")
            continue
        loc = f"{d.get('kind')} {_name(d)}.spec"
        if kind == "hpa":
            lo = _int(spec.get("minReplicas", 1), where, f"{loc}.minReplicas")
            hi = _int(spec.get("maxReplicas"), where, f"{loc}.maxReplicas") if "maxReplicas" in spec else None
            util = _target_cpu(spec.get("metrics"))
            if util is None and spec.get("targetCPUUtilizationPercentage") is not None:
                util = float(spec["targetCPUUtilizationPercentage"]) / 100
            why = f"HPA {_name(d)} in {file}"
        else:
            lo = _int(spec.get("minReplicaCount", KEDA_DEFAULT_MIN), where, f"{loc}.minReplicaCount")
            hi = _int(spec.get("maxReplicaCount", KEDA_DEFAULT_MAX), where, f"{loc}.maxReplicaCount")
            util = None
            for t in spec.get("triggers") or []:
                if (t or {}).get("type") == "cpu" and (t.get("metadata") or {}).get("value") is not None:
                    util = float(t["metadata"]["value"]) / 100
            why = f"KEDA ScaledObject {_name(d)} in {file}"
        if hi is not None and lo > hi:
            raise InputError(Problem(f"min replicas ({lo}) above max ({hi})", file=where, location=loc))
        _scale(w, lo, hi, util, why)
    for name, (spec, _where) in out.node_classes.items():
        for pool in out.node_pools.values():
            if pool.node_class == name:
                pool.block_devices = list(spec.get("blockDeviceMappings") or []) or None
                terms = spec.get("amiSelectorTerms") or []
                alias = next((t.get("alias") for t in terms if isinstance(t, dict) and t.get("alias")), None)
                pool.ami_family = str(alias).split("@")[0] if alias else spec.get("amiFamily")
    return out


def _scale(w: Workload, lo: int, hi: int | None, util: float | None, why: str) -> None:
    w.min_replicas, w.max_replicas = lo, hi
    w.target_cpu_utilization = util
    replicas = max(w.replicas, lo)
    if hi is not None:
        replicas = min(replicas, hi)
    w.replicas = replicas
    w.why = f"{w.why}; replicas {lo}..{hi if hi is not None else 'unbounded'} from {why}" + (
        f" (CPU target {util:.0%})" if util is not None else ""
    )


def _values_workload(v: dict, key: str, where: str, file: str, label: str | None = None) -> Workload | None:
    """One component of a Helm values file, or None if it does not describe pods."""
    res = v.get("resources") if isinstance(v.get("resources"), dict) else {}
    requests = res.get("requests") or {}
    preset = v.get("resourcesPreset")
    if not requests and isinstance(preset, str) and preset in BITNAMI_PRESETS:
        cpu_q, mem_q = BITNAMI_PRESETS[preset]
        requests = {"cpu": cpu_q, "memory": mem_q}
        why_req = f"requests of Bitnami's resourcesPreset {preset!r}"
    else:
        why_req = "resources.requests" if requests else "no resource requests (the pods take no room)"
    count_key = next((k for k in ("replicaCount", "replicas", "count") if isinstance(v.get(k), int)), None)
    if not requests and count_key is None and "autoscaling" not in v:
        return None
    cpu, mem = _requests([{"name": key, "resources": {"requests": requests}}], where, key)
    replicas = _int(v.get(count_key, 1), where, f"{key}.{count_key}") if count_key else 1
    w = Workload(
        replicas=replicas, cpu_request=cpu, memory_request_gib=mem, why=f"Helm values {label or key} in {file}: {why_req}"
    )
    hpa = v.get("autoscaling") if isinstance(v.get("autoscaling"), dict) else {}
    if hpa.get("enabled") is True:
        lo = hpa.get("minReplicas")
        hi = hpa.get("maxReplicas")
        util = next(
            (hpa[k] for k in ("targetCPUUtilizationPercentage", "targetCPU", "targetCPUUtilization") if hpa.get(k) not in (None, "")),
            None,
        )
        _scale(
            w,
            _int(lo, where, f"{key}.autoscaling.minReplicas") if lo not in (None, "") else 1,
            _int(hi, where, f"{key}.autoscaling.maxReplicas") if hi not in (None, "") else None,
            float(util) / 100 if util is not None else None,
            f"{key}.autoscaling",
        )
    return w


def _chart_name(values: dict, path: Path) -> str:
    for k in ("fullnameOverride", "nameOverride"):
        if isinstance(values.get(k), str) and values[k]:
            return values[k]
    chart = path.parent / "Chart.yaml"
    if chart.is_file():
        from costplan.errors import CostplanError
        from costplan.stack.loader import read_yaml

        try:
            meta = read_yaml(chart)[0] or {}
        except CostplanError:  # a Chart.yaml that cannot be read names no chart
            meta = {}
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            return meta["name"]
    return path.parent.name or path.stem


def parse_values(values: dict, where: str = "values.yaml", names: dict[str, str] | None = None) -> dict[str, Workload]:
    """Workloads of a Helm values mapping: the chart's own (single-application layout, at the
    top level) and one per top-level key that describes pods. ``names`` renames values keys
    (or the chart name) to workload names (e.g. ``{"api": "ultibiker-api"}``)."""
    names = names or {}
    out: dict[str, Workload] = {}
    path = Path(where)
    if not isinstance(values, dict):
        return out
    chart = _chart_name(values, path)
    top = _values_workload(values, "", where, path.name, label=f"of chart {chart}")
    if top is not None:  # a single-application chart: its sub-keys are containers of the same pod
        out[names.get(chart, chart)] = top
        return out
    for key, v in values.items():
        if not isinstance(v, dict) or v.get("enabled") is False or key in ("global", "autoscaling", "resources"):
            continue
        w = _values_workload(v, key, where, path.name)
        if w is not None:
            out[names.get(key, key)] = w
    return out


#: What :func:`read_manifests` read, by the files' paths and contents and the names given: one
#: command that builds several projection models of a stack (the report's projection and its
#: commitment sizing) parses its manifests once. A copy is handed out.
_READ: dict[tuple, K8sInputs] = {}


def read_manifests(paths, names: dict[str, str] | None = None) -> K8sInputs:
    """Capacity inputs from manifest and values files (a file with ``kind`` documents is a
    manifest, anything else a values file). Later files override earlier ones by name."""
    import copy
    import hashlib

    key = None
    try:
        key = (tuple((str(Path(p).resolve()), hashlib.sha256(Path(p).read_bytes()).hexdigest()) for p in paths),
               tuple(sorted((names or {}).items())))
    except OSError:
        pass  # a file that is not there or not a file: refused below, with its name
    if key is not None and key in _READ:
        return copy.deepcopy(_READ[key])
    out = _read_manifests(paths, names)
    if key is not None:
        _READ[key] = copy.deepcopy(out)
    return out


def _read_manifests(paths, names: dict[str, str] | None = None) -> K8sInputs:
    from costplan.stack.loader import read_yaml_documents

    out = K8sInputs()
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise InputError(Problem("file not found" if not p.exists() else "is not a file", file=str(p)))
        docs = read_yaml_documents(p)  # the checks of every YAML costplan reads (docs/refusals.md)
        before = (len(out.workloads), len(out.daemonsets), len(out.node_pools), len(out.scalers), len(out.node_classes))
        if any(isinstance(d, dict) and "kind" in d and "apiVersion" in d for d in docs):
            parse_manifest(docs, str(p), out)
        elif docs:
            found = parse_values(docs[0], str(p), names)
            out.workloads.update(found)
        after = (len(out.workloads), len(out.daemonsets), len(out.node_pools), len(out.scalers), len(out.node_classes))
        if after == before and not any(isinstance(d, dict) and d.get("kind") in WORKLOAD_KINDS for d in docs):
            raise InputError(
                Problem(
                    "no workload found: expected Deployments, StatefulSets, DaemonSets, HPAs, KEDA ScaledObjects or "
                    "Karpenter NodePools, or Helm values with replicaCount / resources / autoscaling at the top level "
                    "(one application) or under one key per component",
                    file=str(p),
                )
            )
    return finish(out)


def read_workloads(paths, names: dict[str, str] | None = None) -> dict[str, Workload]:
    """The workloads of :func:`read_manifests` (HPA and ScaledObject ranges applied)."""
    return read_manifests(paths, names).workloads
