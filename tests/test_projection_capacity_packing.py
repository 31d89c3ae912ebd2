"""Bin-packing pods onto nodes, against packings worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costplan.errors import InputError
from costplan.projection.capacity import Allocatable, nodes_for_requests, pack_nodes

NODE = Allocatable(cpu=3.5, memory_gib=6.0, max_pods=58)  # a 4-vCPU node with 0.5 vCPU reserved


def test_issue_example_7_5_vcpu_on_4_vcpu_nodes():
    # 15 pods x 0.5 vCPU = 7.5 vCPU; 7 pods fit a node (3.5 / 0.5) -> 7 + 7 + 1 = 3 nodes
    assert pack_nodes([15], [0.5], [0.25], NODE) == 3


def test_packing_beats_the_fluid_bound_when_pods_do_not_divide_nodes():
    # three 2-vCPU pods: one per node (2 + 2 > 3.5), although 6 vCPU / 3.5 rounds up to 2
    assert nodes_for_requests(6.0, 3.0, 3, NODE) == 2
    assert pack_nodes([3], [2.0], [1.0], NODE) == 3


def test_mixed_pods_share_nodes():
    # 2 x 2.0 vCPU and 2 x 1.5 vCPU: each node takes one of each (3.5 vCPU) -> 2 nodes
    assert pack_nodes([2, 2], [2.0, 1.5], [1.0, 1.0], NODE) == 2
    # memory binds: 4 pods of 2.5 GiB on 6 GiB nodes -> 2 per node -> 2 nodes
    assert pack_nodes([4], [0.1], [2.5], NODE) == 2
    # max pods binds: 10 tiny pods with 4 pods per node -> 3 nodes
    assert pack_nodes([10], [0.01], [0.01], Allocatable(3.5, 6.0, 4)) == 3


def test_shape_is_kept_over_paths_and_months():
    counts = np.array([[[1, 3], [15, 0]]])  # 1 workload x 2 paths x 2 months
    out = pack_nodes(counts, [0.5], [0.25], NODE)
    assert out.shape == (2, 2)
    assert out.tolist() == [[1.0, 1.0], [3.0, 0.0]]


def test_pod_larger_than_a_node_is_an_error():
    with pytest.raises(InputError, match="api: a pod requests 4 vCPU.*can never be scheduled"):
        pack_nodes([1], [4.0], [1.0], NODE, names=["api"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=3), st.data())
def test_never_below_the_fluid_bound(counts, data):
    cpu = data.draw(st.lists(st.floats(0.05, 3.5), min_size=len(counts), max_size=len(counts)))
    mem = data.draw(st.lists(st.floats(0.05, 6.0), min_size=len(counts), max_size=len(counts)))
    n = pack_nodes(counts, cpu, mem, NODE)
    c = np.array(counts, dtype=float)
    assert n >= nodes_for_requests(float(c @ cpu), float(c @ mem), float(c.sum()), NODE)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 60), st.floats(0.05, 3.5), st.floats(0.05, 6.0))
def test_one_workload_packs_exactly_and_more_pods_never_need_fewer_nodes(n, cpu, mem):
    # identical pods: per node = min(floor(cpu), floor(mem), max pods); FFD is exact here
    per_node = min(int(3.5 / cpu + 1e-9), int(6.0 / mem + 1e-9), 58)
    assert pack_nodes([n], [cpu], [mem], NODE) == -(-n // per_node)
    assert pack_nodes([n + 1], [cpu], [mem], NODE) >= pack_nodes([n], [cpu], [mem], NODE)


def _pod_by_pod(mix, cpu, mem, order, alloc):
    """First-fit decreasing one pod at a time: the definition the grouped packing must equal."""
    nodes = []
    for w in order:
        for _ in range(int(mix[w])):
            for node in nodes:
                if node[0] >= cpu[w] - 1e-9 and node[1] >= mem[w] - 1e-9 and node[2] >= 1:
                    node[0] -= cpu[w]
                    node[1] -= mem[w]
                    node[2] -= 1
                    break
            else:
                nodes.append([alloc.cpu - cpu[w], alloc.memory_gib - mem[w], alloc.max_pods - 1])
    return len(nodes)


def test_grouped_packing_equals_pod_by_pod_first_fit():
    from costplan.projection.capacity import _ffd

    rng = np.random.default_rng(7)
    for _ in range(300):
        w = int(rng.integers(1, 4))
        alloc = Allocatable(3.5, 6.0, int(rng.integers(3, 60)))
        cpu = rng.choice([0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0], w)
        mem = rng.choice([0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 4.0], w)
        mix = rng.integers(0, 40, w)
        order = np.argsort(-np.maximum(cpu / alloc.cpu, mem / alloc.memory_gib), kind="stable")
        assert _ffd(mix, cpu, mem, order, alloc) == _pod_by_pod(mix, cpu, mem, order, alloc)


def test_large_pod_counts_pack_in_bulk():
    # 10 million tiny pods, 58 per node by max pods -> ceil(1e7 / 58) nodes, computed without a per-pod loop
    assert pack_nodes([10_000_000], [0.01], [0.01], Allocatable(3.5, 6.0, 58)) == -(-10_000_000 // 58)
