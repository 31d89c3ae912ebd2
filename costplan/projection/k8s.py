"""Workloads from Kubernetes manifests and Helm values files.

``read_workloads`` takes Deployment / StatefulSet manifests and a Helm ``values.yaml`` (the
layout of the UltiBiker chart: one top-level key per component with ``replicaCount``,
``resources.requests`` and ``autoscaling``) and returns one
:class:`costplan.stack.models.Workload` per workload: replicas, HPA min/max, CPU [vCPU] and
memory [GiB] requests (summed over the pod's containers).
"""

from __future__ import annotations

import re
from pathlib import Path

from costplan.errors import InputError, Problem
from costplan.stack.models import Workload

_MEM_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "": 1}


def parse_cpu(q) -> float:
    """A Kubernetes CPU quantity ('100m', '1', 0.5) [vCPU]."""
    s = str(q).strip()
    if s.endswith("m"):
        return float(s[:-1]) / 1000
    return float(s)


def parse_memory_gib(q) -> float:
    """A Kubernetes memory quantity ('256Mi', '1Gi', '512M') [GiB]."""
    m = re.fullmatch(r"([0-9.]+)([KMGT]i?)?", str(q).strip())
    if not m:
        raise ValueError(f"not a memory quantity: {q!r}")
    return float(m.group(1)) * _MEM_UNITS[m.group(2) or ""] / 2**30


def _requests(containers: list, where: str) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in containers or []:
        req = ((c or {}).get("resources") or {}).get("requests") or {}
        try:
            cpu += parse_cpu(req.get("cpu", 0))
            mem += parse_memory_gib(req.get("memory", 0))
        except ValueError as exc:
            raise InputError(Problem(str(exc), file=where, location=f"containers.{c.get('name')}.resources.requests")) from None
    return cpu, mem


def parse_manifest(docs: list, where: str = "<manifest>") -> dict[str, Workload]:
    """Workloads of the Deployments and StatefulSets in parsed YAML documents."""
    out = {}
    for d in docs:
        if not isinstance(d, dict) or d.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        name = (d.get("metadata") or {}).get("name")
        spec = d.get("spec") or {}
        pod = ((spec.get("template") or {}).get("spec")) or {}
        cpu, mem = _requests(pod.get("containers"), where)
        out[name] = Workload(replicas=int(spec.get("replicas", 1)), cpu_request=cpu, memory_request_gib=mem,
                            why=f"{d['kind']} {name} in {Path(where).name}")
    return out


def parse_values(values: dict, where: str = "values.yaml", names: dict[str, str] | None = None) -> dict[str, Workload]:
    """Workloads of a Helm values mapping: every top-level key with ``resources.requests``.

    ``names`` renames values keys to workload names (e.g. ``{"api": "ultibiker-api"}``).
    """
    names = names or {}
    out = {}
    for key, v in (values or {}).items():
        if not isinstance(v, dict) or not ((v.get("resources") or {}).get("requests")):
            continue
        if v.get("enabled") is False:
            continue
        cpu, mem = _requests([{"name": key, "resources": v["resources"]}], where)
        hpa = v.get("autoscaling") or {}
        on = bool(hpa.get("enabled"))
        out[names.get(key, key)] = Workload(
            replicas=int(v.get("replicaCount", 1)),
            min_replicas=int(hpa["minReplicas"]) if on and "minReplicas" in hpa else None,
            max_replicas=int(hpa["maxReplicas"]) if on and "maxReplicas" in hpa else None,
            cpu_request=cpu, memory_request_gib=mem, why=f"Helm values {key} in {Path(where).name}",
        )
    return out


def read_workloads(paths, names: dict[str, str] | None = None) -> dict[str, Workload]:
    """Workloads from manifest files and values files (a file with ``kind`` documents is a
    manifest, anything else a values file). Later files override earlier ones by name."""
    from costplan.stack.loader import read_yaml_documents

    out: dict[str, Workload] = {}
    for p in paths:
        docs = read_yaml_documents(p)  # the checks of every YAML costplan reads (docs/refusals.md)
        if any(isinstance(d, dict) and "kind" in d for d in docs):
            out.update(parse_manifest(docs, str(p)))
        elif docs:
            out.update(parse_values(docs[0], str(p), names))
    return out
