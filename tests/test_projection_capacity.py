"""Capacity rules, computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from costplan.errors import InputError
from costplan.projection import capacity as cap
from costplan.projection.k8s import parse_cpu, parse_memory_gib, read_workloads
from costplan.stack import load_stack

REPO = Path(__file__).resolve().parents[1]


def test_pool_needing_7_5_vcpu_on_4_vcpu_nodes_with_half_a_vcpu_reserved_needs_3_nodes():
    alloc = cap.allocatable("c5.xlarge", reserved_cpu=0.5, reserved_memory_gib=1.0)
    assert alloc.cpu == pytest.approx(3.5)  # 4 vCPU - 0.5
    # 7.5 / 3.5 = 2.14 -> 3 nodes; memory (1 GiB of 7) and pods do not bind
    assert cap.nodes_for_requests(7.5, 1.0, 15, alloc) == 3


def test_exact_fit_does_not_round_up():
    alloc = cap.Allocatable(cpu=3.5, memory_gib=7.0, max_pods=58)
    assert cap.nodes_for_requests(0.5 * 14, 0.25 * 14, 14, alloc) == 2  # 7.0 vCPU is exactly 2 nodes


def test_memory_and_pod_limits_bind():
    alloc = cap.Allocatable(cpu=3.5, memory_gib=6.0, max_pods=10)
    assert cap.nodes_for_requests(1.0, 20.0, 5, alloc) == 4  # 20 / 6 = 3.3 -> 4
    assert cap.nodes_for_requests(1.0, 1.0, 25, alloc) == 3  # 25 pods / 10 per node


def test_eks_ami_reservations():
    # 6% of core 1 + 1% of core 2 + 0.5% of cores 3 and 4 = 60 + 10 + 10 m
    assert cap.kube_reserved_cpu(4) == pytest.approx(0.080)
    # 8 cores: + 0.25% of 4 more = 90 m
    assert cap.kube_reserved_cpu(8) == pytest.approx(0.090)
    # c5.xlarge: 58 pods -> 255 + 11 x 58 = 893 MiB, plus 100 MiB eviction threshold
    a = cap.allocatable("c5.xlarge")
    assert a.memory_gib == pytest.approx(8 - (893 + 100) / 1024)
    assert a.cpu == pytest.approx(4 - 0.08)
    assert a.max_pods == 58


def test_unknown_instance_type_is_an_error_with_a_suggestion():
    with pytest.raises(InputError, match="c5.xlarg.*c5.xlarge"):
        cap.allocatable("c5.xlarg")


def test_pods_follow_demand_within_hpa_bounds():
    assert cap.pods_for_demand(100.0, 25.0, 3, 20) == 4
    assert cap.pods_for_demand(10.0, 25.0, 3, 20) == 3  # min
    assert cap.pods_for_demand(1000.0, 25.0, 3, 20) == 20  # max
    out = cap.pods_for_demand(np.array([[10.0, 100.0, 1000.0]]), 25.0, 3, 20)
    assert out.shape == (1, 3) and out.tolist() == [[3, 4, 20]]


def test_clamp_flags_a_pool_at_max():
    nodes, at_max = cap.clamp_nodes(np.array([1.0, 4.0, 9.0]), 2, 5)
    assert nodes.tolist() == [2, 4, 5]
    assert at_max.tolist() == [False, False, True]


def test_ladder_never_steps_down_and_flags_the_top():
    idx, over = cap.ladder_index(np.array([[1.0, 5.0, 2.0, 100.0]]), [4, 8, 16], start=0)
    assert idx.tolist() == [[0, 1, 1, 2]]
    assert over.tolist() == [[False, False, False, True]]
    idx, _ = cap.ladder_index(np.array([[1.0]]), [4, 8, 16], start=1)
    assert idx.tolist() == [[1]]


def test_postgres_max_connections():
    # db.r6g.xlarge: 32 GiB -> 32 x 2^30 / 9531392 = 3604.9
    assert cap.postgres_max_connections(32) == pytest.approx(32 * 2**30 / 9531392)
    assert cap.postgres_max_connections(1024) == 5000


def test_kubernetes_quantities():
    assert parse_cpu("100m") == pytest.approx(0.1)
    assert parse_cpu("1") == 1.0
    assert parse_memory_gib("256Mi") == pytest.approx(0.25)
    assert parse_memory_gib("1Gi") == 1.0
    assert parse_memory_gib("512M") == pytest.approx(512e6 / 2**30)
    with pytest.raises(ValueError):
        parse_memory_gib("lots")


def test_guide_manifests_match_the_reference_stack_pods():
    k8s = REPO / "data" / "ultibiker" / "k8s"
    wl = read_workloads([k8s / "api-deployment.yaml", k8s / "influxdb-statefulset.yaml", k8s / "values.yaml"],
                        names={"api": "ultibiker-api", "influxdb2": "influxdb"})
    api, ws, influx = wl["ultibiker-api"], wl["websocket"], wl["influxdb"]
    assert (api.replicas, api.min_replicas, api.max_replicas) == (3, 3, 20)
    assert (api.cpu_request, api.memory_request_gib) == (pytest.approx(0.1), pytest.approx(0.25))
    assert (ws.replicas, ws.cpu_request, ws.memory_request_gib) == (2, pytest.approx(0.05), pytest.approx(0.125))
    assert (influx.replicas, influx.cpu_request, influx.memory_request_gib) == (3, pytest.approx(0.5), 1.0)
    stack = load_stack(REPO / "data" / "ultibiker" / "stack.yaml")
    pods = stack.regions["us-east-1"].node_pools
    for name, w in {"ultibiker-api": api, "websocket": ws}.items():
        s = pods["app"].pods[name]
        assert (s.replicas, s.cpu_request, s.memory_request_gib) == (w.replicas, w.cpu_request, w.memory_request_gib)
    s = pods["analytics"].pods["influxdb"]
    assert (s.replicas, s.cpu_request, s.memory_request_gib) == (3, 0.5, 1.0)


def test_manifest_from_deployment_only(tmp_path):
    k8s = REPO / "data" / "ultibiker" / "k8s"
    wl = read_workloads([k8s / "api-deployment.yaml"])
    assert set(wl) == {"ultibiker-api"} and wl["ultibiker-api"].cpu_request == pytest.approx(0.1)
    with pytest.raises(InputError, match="file not found"):
        read_workloads([tmp_path / "nope.yaml"])


def test_projection_reads_requests_from_the_manifests(tmp_path):
    import shutil

    import yaml
    from projection_catalog import reference_catalog

    from costplan.projection.simulate import ProjectionModel

    model = ProjectionModel(load_stack(REPO / "data" / "ultibiker" / "stack.yaml"), reference_catalog())
    api = next(w for w in model.pools["us-east-1/app"].workloads if w[0] == "ultibiker-api")
    assert (api[4], api[5], api[6], api[7]) == (3, 20, pytest.approx(0.1), pytest.approx(0.25))
    # a changed manifest changes the model: double the API's CPU request in a copy of the files
    shutil.copytree(REPO / "data" / "ultibiker", tmp_path / "u")
    values = tmp_path / "u" / "k8s" / "values.yaml"
    v = yaml.safe_load(values.read_text())
    v["api"]["resources"]["requests"]["cpu"] = "200m"
    values.write_text(yaml.safe_dump(v))
    model = ProjectionModel(load_stack(tmp_path / "u" / "stack.yaml"), reference_catalog())
    api = next(w for w in model.pools["us-east-1/app"].workloads if w[0] == "ultibiker-api")
    assert api[6] == pytest.approx(0.2)
    (tmp_path / "u" / "k8s" / "values.yaml").unlink()
    with pytest.raises(InputError, match="values.yaml: file not found"):
        ProjectionModel(load_stack(tmp_path / "u" / "stack.yaml"), reference_catalog())
