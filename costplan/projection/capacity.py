"""Capacity rules: pods from demand, nodes from pod requests, database and cache steps.

Pure, vectorised functions (numpy arrays of any shape in, the same shape out) plus the
small instance table they need. The rules, in docs/projection.md:

- pods of a workload = ``ceil(demand / per_pod)`` clamped to the HPA's ``[min, max]``;
- nodes of a pool = the pods bin-packed first-fit decreasing onto nodes by their CPU and
  memory requests and the node's max pods (what the scheduler and the cluster autoscaler
  approximate), clamped to the pool's ``[min, max]``. It is never below the fluid bound, the
  largest of ``ceil(CPU requests / allocatable CPU)``, ``ceil(memory requests / allocatable
  memory)`` and ``ceil(pods / max pods per node)``. Allocatable = capacity - kube-reserved -
  eviction threshold - DaemonSet requests (the EKS-optimised AMI's formulas by default);
- a database or cache steps to the smallest class on its ladder whose capacity covers the
  load with the stated headroom, never down (``np.maximum.accumulate`` over months).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costplan.errors import InputError

INSTANCE_SOURCE = (
    "LeanerCloud/ec2-instances-info generated_instances_data.txt (2023-08-30) for vCPU and memory; "
    "awslabs/amazon-eks-ami eni-max-pods.txt for max pods; ec2instances.info elasticache-instances.json for cache memory"
)

# instance type -> (vCPU, memory [GiB], max pods with the VPC CNI without prefix delegation)
INSTANCES: dict[str, tuple[int, float, int]] = {
    "c5.large": (2, 4, 29), "c5.xlarge": (4, 8, 58), "c5.2xlarge": (8, 16, 58), "c5.4xlarge": (16, 32, 234),
    "m5.large": (2, 8, 29), "m5.xlarge": (4, 16, 58), "m5.2xlarge": (8, 32, 58), "m5.4xlarge": (16, 64, 234),
    "c6i.xlarge": (4, 8, 58), "c6i.2xlarge": (8, 16, 58), "m6i.2xlarge": (8, 32, 58),
    "c6g.xlarge": (4, 8, 58), "m6g.2xlarge": (8, 32, 58),
    "c7g.large": (2, 4, 29), "c7g.xlarge": (4, 8, 58), "c7g.2xlarge": (8, 16, 58),
    "m7g.large": (2, 8, 29), "m7g.xlarge": (4, 16, 58), "m7g.2xlarge": (8, 32, 58), "m7g.4xlarge": (16, 64, 234),
    "r6g.large": (2, 16, 29), "r6g.xlarge": (4, 32, 58), "r6g.2xlarge": (8, 64, 58), "r6g.4xlarge": (16, 128, 234),
    "r6g.8xlarge": (32, 256, 234),
}

# cache node type -> memory [GiB]
CACHE_MEMORY_GIB = {"cache.r7g.large": 13.07, "cache.r7g.xlarge": 26.32, "cache.r7g.2xlarge": 52.82, "cache.r7g.4xlarge": 105.81}

EVICTION_HARD_GIB = 100 / 1024
"""kubelet's default ``memory.available`` eviction threshold on EKS AMIs (100 MiB) [GiB]."""


def instance(itype: str, what: str = "instance type") -> tuple[int, float, int]:
    """(vCPU, memory [GiB], max pods) of an EC2 type (or a ``db.`` class, by its EC2 twin)."""
    key = itype.removeprefix("db.")
    if key not in INSTANCES:
        from costplan.errors import did_you_mean

        raise InputError(f"{what} {itype!r} is not in the capacity table: {did_you_mean(key, INSTANCES, 'type')}")
    return INSTANCES[key]


def kube_reserved_cpu(vcpu: float) -> float:
    """CPU the EKS AMI reserves for kubelet and the runtime [vCPU]: 6 % of the first core, 1 % of
    the second, 0.5 % of the third and fourth, 0.25 % of every core above four.

    >>> round(kube_reserved_cpu(4), 3)
    0.08
    """
    c = float(vcpu)
    return (0.06 * min(c, 1) + 0.01 * min(max(c - 1, 0), 1) + 0.005 * min(max(c - 2, 0), 2)
            + 0.0025 * max(c - 4, 0))


def kube_reserved_memory_gib(max_pods: int) -> float:
    """Memory the EKS AMI reserves: 255 MiB + 11 MiB per pod the node can hold [GiB]."""
    return (255 + 11 * max_pods) / 1024


@dataclass(frozen=True)
class Allocatable:
    """What one node offers to pods."""

    cpu: float
    """Allocatable CPU [vCPU]."""
    memory_gib: float
    """Allocatable memory [GiB]."""
    max_pods: int
    """Pods per node [pods]."""


def allocatable(itype: str, *, reserved_cpu: float | None = None, reserved_memory_gib: float | None = None,
                max_pods: int | None = None, daemonset_cpu: float = 0.0, daemonset_memory_gib: float = 0.0) -> Allocatable:
    """Allocatable resources of one node of ``itype`` after reservations and DaemonSets."""
    vcpu, mem, pods = instance(itype)
    pods = max_pods or pods
    rc = kube_reserved_cpu(vcpu) if reserved_cpu is None else reserved_cpu
    rm = kube_reserved_memory_gib(pods) + EVICTION_HARD_GIB if reserved_memory_gib is None else reserved_memory_gib
    return Allocatable(cpu=vcpu - rc - daemonset_cpu, memory_gib=mem - rm - daemonset_memory_gib, max_pods=pods)


def _ceil(x):
    # guard against 7.000000001 from float arithmetic becoming 8
    return np.ceil(np.asarray(x, dtype=float) - 1e-9)


def pods_for_demand(demand, per_pod: float, min_pods: float = 0, max_pods: float = np.inf):
    """Pods a workload runs for ``demand`` [demand unit] at ``per_pod`` [demand unit/pod],
    clamped to ``[min_pods, max_pods]`` [pods]. Keeps the input's shape."""
    out = np.clip(_ceil(np.asarray(demand, dtype=float) / per_pod), min_pods, max_pods)
    return float(out) if np.ndim(demand) == 0 else out


def nodes_for_requests(cpu, memory_gib, pods, alloc: Allocatable):
    """Nodes needed to hold pod requests, before the pool's min/max [nodes].

    ``cpu`` [vCPU], ``memory_gib`` [GiB] and ``pods`` [pods] are the pool's totals (same shape).

    >>> float(nodes_for_requests(7.5, 1.0, 10, Allocatable(3.5, 6.0, 58)))
    3.0
    """
    n = np.maximum(_ceil(np.asarray(cpu, dtype=float) / alloc.cpu), _ceil(np.asarray(memory_gib, dtype=float) / alloc.memory_gib))
    n = np.maximum(n, _ceil(np.asarray(pods, dtype=float) / alloc.max_pods))
    return float(n) if np.ndim(cpu) == 0 else n


def pack_nodes(counts, cpu_requests, memory_requests_gib, alloc: Allocatable, names=None, cache: dict | None = None):
    """Nodes needed to schedule every pod, packed first-fit decreasing [nodes].

    ``counts`` has one row per workload (shape ``(W, ...)``: pods of each workload, any trailing
    shape such as paths x months); ``cpu_requests`` [vCPU/pod] and ``memory_requests_gib``
    [GiB/pod] have one value per workload. Returns the trailing shape. Each distinct mix of pod
    counts is packed once, so a Monte Carlo over thousands of paths packs a few hundred mixes.
    A pod larger than an empty node is an :class:`InputError` naming the workload. ``cache``
    (a dict kept by the caller for one pool) remembers packed mixes across calls, so a
    projection evaluated month block by month block packs each mix once.

    Three 2-vCPU pods on nodes with 3.5 allocatable vCPU need 3 nodes (the fluid bound says 2):

    >>> float(pack_nodes([3], [2.0], [1.0], Allocatable(3.5, 6.0, 58)))
    3.0
    >>> float(pack_nodes([2, 2], [2.0, 1.5], [1.0, 1.0], Allocatable(3.5, 6.0, 58)))
    2.0
    """
    counts = np.asarray(counts, dtype=float)
    cpu = np.asarray(cpu_requests, dtype=float)
    mem = np.asarray(memory_requests_gib, dtype=float)
    names = list(names) if names is not None else [f"workload {i}" for i in range(len(cpu))]
    for i in range(len(cpu)):
        if cpu[i] > alloc.cpu + 1e-9 or mem[i] > alloc.memory_gib + 1e-9:
            raise InputError(
                f"{names[i]}: a pod requests {cpu[i]:g} vCPU / {mem[i]:g} GiB but a node offers only "
                f"{alloc.cpu:.2f} vCPU / {alloc.memory_gib:.2f} GiB allocatable: it can never be scheduled"
            )
    shape = counts.shape[1:]
    flat = np.rint(counts.reshape(len(cpu), -1)).astype(np.int64)
    # one integer key per mix (mixed radix), so finding the distinct mixes is a 1-D unique
    base = int(flat.max(initial=0)) + 1
    if base ** len(flat) < 2**62:
        key = np.zeros(flat.shape[1], dtype=np.int64)
        for row in flat:
            key = key * base + row
        top = int(key.max(initial=0))
        if top <= max(4 * key.size, 1 << 16):  # small keys: a table instead of a sort
            seen = np.zeros(top + 1, dtype=bool)
            seen[key] = True
            keys = np.flatnonzero(seen)
            table = np.empty(top + 1, dtype=np.intp)
            table[keys] = np.arange(keys.size)
            inverse = table[key]
            first = np.empty(keys.size, dtype=np.intp)
            first[inverse[::-1]] = np.arange(key.size - 1, -1, -1)  # any occurrence of each key will do
        else:
            _keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        mixes = flat[:, first]
    else:  # too many workloads or pods for one integer key
        mixes, inverse = np.unique(flat, axis=1, return_inverse=True)
    # items largest first by their dominant share of a node
    share = np.maximum(cpu / alloc.cpu, mem / alloc.memory_gib)
    order = np.argsort(-share, kind="stable")
    if cache is None:
        packed = np.array([_ffd(mixes[:, j], cpu, mem, order, alloc) for j in range(mixes.shape[1])], dtype=float)
    else:
        packed = np.empty(mixes.shape[1])
        for j, mix in enumerate(map(tuple, mixes.T.tolist())):
            n = cache.get(mix)
            if n is None:
                n = cache[mix] = _ffd(mixes[:, j], cpu, mem, order, alloc)
            packed[j] = n
    out = packed[np.asarray(inverse).reshape(-1)].reshape(shape)
    return float(out) if out.ndim == 0 else out


def _ffd(mix, cpu, mem, order, alloc: Allocatable) -> int:
    """First-fit decreasing of one mix of pod counts; nodes are kept in groups of identical
    nodes (count, free CPU, free memory, free pod slots), so identical pods are placed in bulk
    and the cost grows with the number of workloads, not the number of pods."""
    groups: list[list[float]] = []  # [nodes, free cpu, free memory, free pods], in opening order

    def fits(free_cpu, free_mem, free_pods, w) -> int:
        by_cpu = (free_cpu + 1e-9) // cpu[w] if cpu[w] > 0 else np.inf
        by_mem = (free_mem + 1e-9) // mem[w] if mem[w] > 0 else np.inf
        return int(min(by_cpu, by_mem, free_pods))

    for w in order:
        left = int(round(mix[w]))
        i = 0
        while left > 0 and i < len(groups):
            n, fc, fm, fp = groups[i]
            per = fits(fc, fm, fp, w)
            if per <= 0:
                i += 1
                continue
            full = min(int(n), left // per)  # nodes of this group that take `per` pods each
            left -= full * per
            replaced = []
            if full:
                replaced.append([full, fc - per * cpu[w], fm - per * mem[w], fp - per])
            remaining = int(n) - full
            if remaining and left:  # the next node of the group takes the rest (left < per)
                replaced.append([1, fc - left * cpu[w], fm - left * mem[w], fp - left])
                remaining -= 1
                left = 0
            if remaining:
                replaced.append([remaining, fc, fm, fp])
            groups[i:i + 1] = replaced
            i += len(replaced)
        if left > 0:
            per = fits(alloc.cpu, alloc.memory_gib, alloc.max_pods, w)
            full, rest = divmod(left, per)
            if full:
                groups.append([full, alloc.cpu - per * cpu[w], alloc.memory_gib - per * mem[w], alloc.max_pods - per])
            if rest:
                groups.append([1, alloc.cpu - rest * cpu[w], alloc.memory_gib - rest * mem[w], alloc.max_pods - rest])
    return int(sum(g[0] for g in groups))


def clamp_nodes(needed, min_nodes: float, max_nodes: float):
    """Nodes a pool runs [nodes] and whether its max binds (needed > max) [bool]."""
    needed = np.asarray(needed, dtype=float)
    return np.clip(needed, min_nodes, max_nodes), needed > max_nodes + 1e-9


def ladder_index(required, capacities, start: int, floor=None):
    """Index of the smallest rung whose capacity covers ``required`` [capacity unit], never below
    ``start`` and never stepping down over the last axis (months). Beyond the top rung: the top
    rung, with ``over`` True. ``floor`` (one rung per path, the last month of the previous block
    of months) carries the running maximum into a later block."""
    caps = np.asarray(capacities, dtype=float)
    req = np.asarray(required, dtype=float)
    idx = np.searchsorted(caps, req - 1e-9, side="left")
    over = idx >= len(caps)
    idx = np.clip(idx, start, len(caps) - 1)
    if idx.ndim:
        idx = np.maximum.accumulate(idx, axis=-1)
        if floor is not None:
            idx = np.maximum(idx, np.asarray(floor)[..., None])
    return idx, over


def postgres_max_connections(memory_gib: float) -> float:
    """RDS PostgreSQL's default ``max_connections``: LEAST(DBInstanceClassMemory / 9531392, 5000)
    [connections]."""
    return min(memory_gib * 2**30 / 9531392, 5000.0)
