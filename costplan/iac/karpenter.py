"""Karpenter NodePools (and their EC2NodeClasses) given as manifests, as priced node pools.

Karpenter has no node count: it launches instances for the pods that are pending. A NodePool
becomes a node pool of the stack sized for the workloads of the manifests given with it
(Deployments, StatefulSets; those whose ``nodeSelector`` the NodePool's labels satisfy), with
these assumptions, each written into the pool's ``why``:

- the instance types it may launch are those its requirements allow
  (``karpenter.k8s.aws/instance-category``, ``-family``, ``-generation``, ``-size``,
  ``-cpu``, ``-memory``, ``-hypervisor``, ``node.kubernetes.io/instance-type``,
  ``kubernetes.io/arch`` (default amd64) and ``karpenter.sh/capacity-type`` (default
  on-demand), operators In, NotIn, Gt, Lt, Exists, DoesNotExist) among the types the catalog
  prices in the region and whose vCPU and memory are known (``data/ec2-instance-specs``);
- nodes for one type are the fluid bound ``ceil(max(CPU requests / allocatable CPU, memory
  requests / allocatable memory, pods / max pods))`` with the EKS AMI's reservations;
- Karpenter launches the cheapest (type, capacity type) that holds the pods (its on-demand
  strategy is lowest price; spot is preferred when allowed): the stack prices that one;
- the range goes up to the most expensive allowed option: a scenario ``karpenter-<pool>-high``
  holds it, so ``costplan estimate --scenario`` and ``costplan diff`` price both ends;
- volumes are the EC2NodeClass's ``blockDeviceMappings``, else Karpenter's defaults
  (20 GiB gp3 root; Bottlerocket a 4 GiB OS and a 20 GiB data volume).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from costplan.errors import InputError, Problem
from costplan.pricing.catalog import Catalog
from costplan.projection import capacity as cap
from costplan.projection.k8s import K8sInputs, KarpenterPool, parse_memory_gib

SPECS = Path(__file__).parent / "data" / "ec2-instance-specs_2023-08-30.csv"
DEFAULT_MAX_PODS = 110
"""Pods per node when the ENI limit of a type is not in the capacity table [pods]."""
XEN_FAMILIES = {"t2", "m4", "c4", "r4", "x1", "x1e", "i3", "d2", "h1", "p2", "p3", "g3", "f1", "m3", "c3", "r3", "i2"}
"""Families on the Xen hypervisor; every other current family is Nitro."""


@dataclass(frozen=True)
class Spec:
    name: str
    family: str
    category: str
    generation: int
    size: str
    vcpu: int
    memory_gib: float
    arch: str
    hypervisor: str


@lru_cache(maxsize=1)
def specs() -> dict[str, Spec]:
    out = {}
    with SPECS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["instance_type"]
            family, _, size = name.partition(".")
            m = re.match(r"([a-z]+)(\d+)", family)
            if not m:
                continue
            arch = {"x86_64": "amd64", "i386": "amd64", "arm64": "arm64"}.get(row["arch"], row["arch"])
            out[name] = Spec(
                name, family, m.group(1), int(m.group(2)), size, int(row["vcpu"]), float(row["memory_gib"]), arch,
                "xen" if family in XEN_FAMILIES else "nitro",
            )
    return out


def _label(spec: Spec, key: str) -> str | None:
    return {
        "karpenter.k8s.aws/instance-category": spec.category,
        "karpenter.k8s.aws/instance-family": spec.family,
        "karpenter.k8s.aws/instance-generation": str(spec.generation),
        "karpenter.k8s.aws/instance-size": spec.size,
        "karpenter.k8s.aws/instance-cpu": str(spec.vcpu),
        "karpenter.k8s.aws/instance-memory": str(int(round(spec.memory_gib * 1024))),
        "karpenter.k8s.aws/instance-hypervisor": spec.hypervisor,
        "node.kubernetes.io/instance-type": spec.name,
        "kubernetes.io/arch": spec.arch,
        "kubernetes.io/os": "linux",
    }.get(key)


def _match(value: str | None, op: str, values: list[str]) -> bool:
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if value is None:
        return op == "NotIn"
    if op == "In":
        return value in values
    if op == "NotIn":
        return value not in values
    try:
        v, bound = float(value), float(values[0])
    except (ValueError, IndexError):
        return False
    return v > bound if op == "Gt" else v < bound if op == "Lt" else False


def allowed(pool: KarpenterPool) -> tuple[list[Spec], list[str], list[str]]:
    """(instance types, capacity types, assumptions) a NodePool allows."""
    reqs = list(pool.requirements)
    notes = []
    keys = {k for k, _, _ in reqs}
    if "kubernetes.io/arch" not in keys:
        reqs.append(("kubernetes.io/arch", "In", ["amd64"]))
        notes.append("kubernetes.io/arch not set: amd64 assumed")
    capacity = ["on-demand"]
    for k, op, vals in reqs:
        if k == "karpenter.sh/capacity-type":
            capacity = [c for c in ("spot", "on-demand", "reserved") if _match(c, op, vals)]
    if "karpenter.sh/capacity-type" not in keys:
        notes.append("karpenter.sh/capacity-type not set: on-demand (Karpenter's default)")
    types = [s for s in specs().values() if all(_match(_label(s, k), op, v) for k, op, v in reqs if k != "karpenter.sh/capacity-type")]
    return types, [c for c in capacity if c != "reserved"], notes


def _volumes(pool: KarpenterPool) -> tuple[list[dict], str]:
    if pool.block_devices:
        out = []
        for m in pool.block_devices:
            ebs = (m or {}).get("ebs") or {}
            size = ebs.get("volumeSize")
            if size is None:
                continue
            gib = parse_memory_gib(size) if isinstance(size, str) else float(size)
            vol = {"type": str(ebs.get("volumeType", "gp3")), "size_gb": gib, "why": f"{m.get('deviceName', 'volume')} of EC2NodeClass {pool.node_class}"}
            if ebs.get("iops"):
                vol["iops"] = int(ebs["iops"])
            if ebs.get("throughput"):
                vol["throughput_mbps"] = float(ebs["throughput"])
            out.append(vol)
        return out, "the EC2NodeClass's blockDeviceMappings"
    if (pool.ami_family or "").lower().startswith("bottlerocket"):
        return [
            {"type": "gp3", "size_gb": 4, "why": "default: Karpenter's Bottlerocket OS volume, 4 GiB gp3"},
            {"type": "gp3", "size_gb": 20, "why": "default: Karpenter's Bottlerocket data volume, 20 GiB gp3"},
        ], "Karpenter's Bottlerocket defaults"
    return [{"type": "gp3", "size_gb": 20, "why": "default: Karpenter's 20 GiB gp3 root volume"}], "Karpenter's default"


def _selects(pool: KarpenterPool, selector: dict) -> bool:
    """Whether a pod's nodeSelector can be met by the pool's labels and requirements."""
    for k, v in selector.items():
        if pool.labels.get(k) == str(v):
            continue
        req = [(op, vals) for key, op, vals in pool.requirements if key == k]
        if not req or not all(_match(str(v), op, vals) for op, vals in req):
            return False
    return True


def price_pools(inputs: K8sInputs, region: str, catalog: Catalog, source: str) -> tuple[dict, dict, list[str]]:
    """(node_pools, scenarios, notes) for the Karpenter NodePools of ``inputs`` in ``region``."""
    pools: dict = {}
    scenarios: dict = {}
    notes: list[str] = []
    placed: set[str] = set()
    for name, pool in sorted(inputs.node_pools.items(), key=lambda kv: -kv[1].weight):  # by weight, as Karpenter
        types, capacity, assumptions = allowed(pool)
        work = {
            w: x for w, x in inputs.workloads.items() if w not in placed and _selects(pool, inputs.selectors.get(w, {}))
        }
        placed.update(work)
        cpu = sum(x.replicas * x.cpu_request for x in work.values())
        mem = sum(x.replicas * x.memory_request_gib for x in work.values())
        pods = sum(x.replicas for x in work.values())
        biggest = max(((x.cpu_request, x.memory_request_gib) for x in work.values()), default=(0.0, 0.0))
        ds_cpu = sum(d.cpu_request for d in inputs.daemonsets.values())
        ds_mem = sum(d.memory_request_gib for d in inputs.daemonsets.values())
        options = []
        for s in types:
            for c in capacity:
                model = "spot" if c == "spot" else "on_demand"
                if not catalog.has("AmazonEC2", s.name, region, "instance-hour", pricing_model=model):
                    continue
                price = catalog.price("AmazonEC2", s.name, region, "instance-hour", pricing_model=model).unit_price
                max_pods = cap.INSTANCES[s.name][2] if s.name in cap.INSTANCES else DEFAULT_MAX_PODS
                a_cpu = s.vcpu - cap.kube_reserved_cpu(s.vcpu) - ds_cpu
                a_mem = s.memory_gib - cap.kube_reserved_memory_gib(max_pods) - cap.EVICTION_HARD_GIB - ds_mem
                if a_cpu < biggest[0] or a_mem < biggest[1] or a_cpu <= 0 or a_mem <= 0:
                    continue  # the largest pod does not fit on one node
                nodes = max(
                    math.ceil(cpu / a_cpu - 1e-9) if cpu else 0,
                    math.ceil(mem / a_mem - 1e-9) if mem else 0,
                    math.ceil(pods / max_pods - 1e-9) if pods else 0,
                )
                if pool.limits_cpu is not None and nodes * s.vcpu > pool.limits_cpu:
                    continue
                options.append((nodes * price, price, s, c, nodes))
        if not options:
            raise InputError(
                Problem(
                    f"Karpenter NodePool {name}: no instance type its requirements allow is priced in {region} "
                    f"and holds the pods ({len(types)} types allowed, {len(work)} workloads)",
                    file=source,
                )
            )
        spot_first = sorted(options, key=lambda o: (o[0], 0 if o[3] == "spot" else 1, o[1], o[2].name))
        best = spot_first[0]
        worst = max(options, key=lambda o: (o[0], o[1]))
        vols, vol_why = _volumes(pool)
        pname = f"karpenter-{name}"
        order = [best[2].name] + sorted({o[2].name for o in options} - {best[2].name}, key=lambda t: next(o[1] for o in options if o[2].name == t))
        lo_month, hi_month = best[0] * 730, worst[0] * 730
        what = ", ".join(f"{w} ({x.replicas} x {x.cpu_request:g} vCPU, {x.memory_request_gib:g} GiB)" for w, x in work.items()) or "no workload"
        why = (
            f"{pool.why}: {best[4]} x {best[2].name} {best[3]} for {what}; assumed: Karpenter launches the cheapest "
            f"allowed type that holds the pods ({len({o[2].name for o in options})} types priced in {region}"
            + (f"; {'; '.join(assumptions)}" if assumptions else "")
            + f"); range ${lo_month:,.2f} to ${hi_month:,.2f} a month of instances "
            f"({worst[4]} x {worst[2].name} {worst[3]}: scenario {pname}-high); volumes: {vol_why}"
        )
        entry = {
            "instance_types": order,
            "desired": best[4],
            "capacity": "spot" if best[3] == "spot" else "on_demand",
            "root_volume": vols[0],
            "why": why,
        }
        if len(vols) > 1:
            entry["data_volumes"] = vols[1:]
        if pool.limits_cpu is not None:
            entry["max"] = max(best[4], int(pool.limits_cpu // best[2].vcpu))
        pools[pname] = entry
        scenarios[f"{pname}-high"] = {
            "description": f"Karpenter NodePool {name} on its most expensive allowed option: {worst[4]} x {worst[2].name} {worst[3]}",
            "patch": {"regions": {region: {"node_pools": {pname: {
                "instance_types": [worst[2].name], "desired": worst[4], "capacity": "spot" if worst[3] == "spot" else "on_demand",
                **({"max": max(worst[4], int(pool.limits_cpu // worst[2].vcpu))} if pool.limits_cpu is not None else {}),
            }}}}},
        }
        if not work:
            notes.append(f"Karpenter NodePool {name}: no workload of the manifests given lands on it; 0 nodes are priced")
        notes.append(
            f"Karpenter NodePool {name}: {best[4]} x {best[2].name} {best[3]} (${lo_month:,.2f}/month) to "
            f"{worst[4]} x {worst[2].name} {worst[3]} (${hi_month:,.2f}/month); the stack prices the first, "
            f"scenario {pname}-high the second"
        )
    return pools, scenarios, notes


def add_to_stack(result, paths: list[str], catalog: Catalog, region: str | None = None) -> None:
    """Add the Karpenter NodePools of manifest files to an import's stack (in place)."""
    from costplan.projection.k8s import read_manifests

    inputs = read_manifests(paths)
    if not inputs.node_pools:
        result.notes.append(f"no Karpenter NodePool in {', '.join(map(str, paths))}")
        return
    regs = [r for r, sec in result.stack["regions"].items() if sec.get("eks_clusters")] or list(result.stack["regions"])
    target = region or (regs[0] if len(regs) == 1 else None)
    if target is None:
        raise InputError(
            Problem(f"the stack has EKS clusters in {', '.join(regs)}: give --region for the Karpenter NodePools", file=str(paths[0]))
        )
    pools, scenarios, notes = price_pools(inputs, target, catalog, str(paths[0]))
    sec = result.stack["regions"].setdefault(target, {}).setdefault("node_pools", {})
    for k, v in pools.items():
        sec[k] = v
        result.priced.append({"address": f"NodePool {k.removeprefix('karpenter-')}", "type": "karpenter.sh/NodePool", "component": f"{target}/node_pools/{k}"})
    result.stack.setdefault("scenarios", {}).update(scenarios)
    result.notes.extend(inputs.warnings)
    result.notes.extend(notes)
