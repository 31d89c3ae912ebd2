"""Capacity rules: pods from demand, nodes from pod requests, database and cache steps.

Pure, vectorised functions (numpy arrays of any shape in, the same shape out) plus the
small instance table they need. The rules, in docs/projection.md:

- pods of a workload = ``ceil(demand / per_pod)`` clamped to the HPA's ``[min, max]``;
- nodes of a pool = the largest of ``ceil(CPU requests / allocatable CPU)``,
  ``ceil(memory requests / allocatable memory)`` and ``ceil(pods / max pods per node)``,
  clamped to the pool's ``[min, max]``. Allocatable = capacity - kube-reserved - eviction
  threshold - DaemonSet requests (the EKS-optimised AMI's formulas by default);
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


def clamp_nodes(needed, min_nodes: float, max_nodes: float):
    """Nodes a pool runs [nodes] and whether its max binds (needed > max) [bool]."""
    needed = np.asarray(needed, dtype=float)
    return np.clip(needed, min_nodes, max_nodes), needed > max_nodes + 1e-9


def ladder_index(required, capacities, start: int):
    """Index of the smallest rung whose capacity covers ``required`` [capacity unit], never below
    ``start`` and never stepping down over the last axis (months). Beyond the top rung: the top
    rung, with ``over`` True."""
    caps = np.asarray(capacities, dtype=float)
    req = np.asarray(required, dtype=float)
    idx = np.searchsorted(caps, req - 1e-9, side="left")
    over = idx >= len(caps)
    idx = np.clip(idx, start, len(caps) - 1)
    if idx.ndim:
        idx = np.maximum.accumulate(idx, axis=-1)
    return idx, over


def postgres_max_connections(memory_gib: float) -> float:
    """RDS PostgreSQL's default ``max_connections``: LEAST(DBInstanceClassMemory / 9531392, 5000)
    [connections]."""
    return min(memory_gib * 2**30 / 9531392, 5000.0)
