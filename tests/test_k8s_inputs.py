"""Kubernetes capacity inputs: HPAs, KEDA ScaledObjects, DaemonSets, Helm values of public
charts (tests/data/helm, see PROVENANCE.md), and drivers a stack does not use."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import mini_catalog
from projection_catalog import reference_catalog
from projection_stacks import mini_dict

from costplan.errors import InputError
from costplan.projection import capacity as cap
from costplan.projection.k8s import read_manifests, read_workloads
from costplan.projection.simulate import ProjectionModel
from costplan.stack.loader import stack_from_data

HELM = Path(__file__).parent / "data" / "helm"

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: api
          resources: {requests: {cpu: 500m, memory: 512Mi}}
        - name: sidecar
          resources: {requests: {cpu: 100m, memory: 128Mi}}
"""
HPA = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 12
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
"""


def files(tmp_path, **docs):
    out = []
    for name, text in docs.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text)
        out.append(p)
    return out


def test_hpa_gives_the_replica_range_and_cpu_target(tmp_path):
    w = read_workloads(files(tmp_path, deploy=DEPLOY, hpa=HPA))["api"]
    # the Deployment's 1 replica is below the HPA's minimum: the HPA runs 3
    assert (w.replicas, w.min_replicas, w.max_replicas, w.target_cpu_utilization) == (3, 3, 12, 0.6)
    assert (w.cpu_request, w.memory_request_gib) == (pytest.approx(0.6), pytest.approx(0.625))
    assert "HPA api in hpa.yaml" in w.why
    # the order of the files does not matter
    assert read_workloads(files(tmp_path, a=HPA, b=DEPLOY))["api"].max_replicas == 12


def test_hpa_v1_and_keda_scaled_objects(tmp_path):
    v1 = HPA.replace("autoscaling/v2", "autoscaling/v1").split("  metrics:")[0] + "  targetCPUUtilizationPercentage: 75\n"
    assert read_workloads(files(tmp_path, d=DEPLOY, h=v1))["api"].target_cpu_utilization == 0.75
    keda = """
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: api-scaler}
spec:
  scaleTargetRef: {name: api}
  maxReplicaCount: 30
  triggers:
    - type: cpu
      metadata: {type: Utilization, value: "50"}
"""
    w = read_workloads(files(tmp_path, d=DEPLOY, k=keda))["api"]
    # minReplicaCount defaults to 0 (KEDA scales to zero); the Deployment's replica stays
    assert (w.replicas, w.min_replicas, w.max_replicas, w.target_cpu_utilization) == (1, 0, 30, 0.5)


def test_an_hpa_for_a_workload_not_given_is_a_warning(tmp_path):
    got = read_manifests(files(tmp_path, d=DEPLOY, h=HPA.replace("name: api}", "name: web}", 1).replace("name: api}", "name: web}")))
    assert any("scales 'web'" in w for w in got.warnings)


def test_daemonsets_take_room_on_every_node(tmp_path):
    ds = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: fluent-bit}
spec:
  template:
    spec:
      containers:
        - name: fluent-bit
          resources: {requests: {cpu: 200m, memory: 256Mi}}
"""
    d = mini_dict()
    (tmp_path / "ds.yaml").write_text(ds)
    d["projection"]["manifests"] = ["ds.yaml"]
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(d))
    from costplan.stack.loader import load_stack

    model = ProjectionModel(load_stack(tmp_path / "stack.yaml"), mini_catalog())
    alloc = model.pools["us-east-1/app"].alloc
    vcpu, mem, _pods = cap.INSTANCES["c5.xlarge"]
    # the pool's own reservations (0.5 vCPU, 1.0 GiB) and the DaemonSet's requests
    assert alloc.cpu == pytest.approx(vcpu - 0.5 - 0.2)
    assert alloc.memory_gib == pytest.approx(mem - 1.0 - 0.25)


def test_single_application_charts(tmp_path):
    """Public charts write replicaCount, resources and autoscaling at the top level."""
    nginx = read_workloads([HELM / "bitnami-nginx" / "values.yaml"])
    # Chart.yaml names it; `resources: {}` with `resourcesPreset: "nano"`: Bitnami's nano
    # preset requests 100m CPU and 128Mi memory
    assert set(nginx) == {"nginx"}
    assert (nginx["nginx"].replicas, nginx["nginx"].cpu_request, nginx["nginx"].memory_request_gib) == (1, 0.1, 0.125)
    push = read_workloads([HELM / "prometheus-pushgateway" / "values.yaml"])
    assert set(push) == {"prometheus-pushgateway"}
    assert (push["prometheus-pushgateway"].cpu_request, push["prometheus-pushgateway"].memory_request_gib) == (0, 0)
    assert "no resource requests" in push["prometheus-pushgateway"].why
    # autoscaling switched on in a copy of the values
    v = yaml.safe_load((HELM / "bitnami-nginx" / "values.yaml").read_text())
    v["autoscaling"].update(enabled=True, minReplicas=2, maxReplicas=10, targetCPU=70)
    (tmp_path / "Chart.yaml").write_text((HELM / "bitnami-nginx" / "Chart.yaml").read_text())
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(v))
    w = read_workloads([tmp_path / "values.yaml"])["nginx"]
    assert (w.replicas, w.min_replicas, w.max_replicas, w.target_cpu_utilization) == (2, 2, 10, 0.7)


def test_one_key_per_component_charts():
    """bitnami/redis: master (count 1) and replica (replicaCount 3), nano presets; the
    sentinel is off (enabled: false)."""
    w = read_workloads([HELM / "bitnami-redis" / "values.yaml"])
    assert {k: (x.replicas, x.cpu_request) for k, x in w.items()} == {"master": (1, 0.1), "replica": (3, 0.1)}


def test_a_values_file_with_nothing_in_it_is_an_error(tmp_path):
    (tmp_path / "values.yaml").write_text("global:\n  imageRegistry: ghcr.io\nimage: {tag: v1}\n")
    with pytest.raises(InputError) as exc:
        read_workloads([tmp_path / "values.yaml"])
    assert "no workload found" in str(exc.value) and str(tmp_path / "values.yaml") in str(exc.value)


def test_the_hpa_max_label_comes_from_the_hpa(tmp_path):
    """The capacity view's limit label: the HPA's maxReplicas, not the Deployment's replicas."""
    d = mini_dict()
    d["regions"]["us-east-1"]["node_pools"]["app"]["pods"] = {"api": {"replicas": 1}}
    d["projection"]["manifests"] = ["deploy.yaml", "hpa.yaml"]
    files(tmp_path, deploy=DEPLOY, hpa=HPA)
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(d))
    from costplan.stack.loader import load_stack

    model = ProjectionModel(load_stack(tmp_path / "stack.yaml"), mini_catalog())
    from costplan.projection.drivers import draw_all

    draws = draw_all(model.spec.drivers, 1, None)
    capa = model.capacity(model.demand(draws, 3), draws)
    assert capa["us-east-1/app/pods/api"]["limit"] == "HPA max 12"
    # 1,000 users x 0.1 req/s / 10 per pod = 10 pods in month 0, within [3, 12]
    assert capa["us-east-1/app/pods/api"]["value"][0, 0] == 10


def test_per_pod_at_full_cpu_uses_the_hpa_target(tmp_path):
    d = mini_dict()
    d["regions"]["us-east-1"]["node_pools"]["app"]["pods"] = {"api": {"replicas": 1}}
    d["projection"]["manifests"] = ["deploy.yaml", "hpa.yaml"]
    d["projection"]["workloads"]["api"] = {"demand": "peak_rps", "per_pod_at_full_cpu": 25, "why": "load test"}
    files(tmp_path, deploy=DEPLOY, hpa=HPA)
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(d))
    from costplan.stack.loader import load_stack

    model = ProjectionModel(load_stack(tmp_path / "stack.yaml"), mini_catalog())
    api = next(w for w in model.pools["us-east-1/app"].workloads if w[0] == "api")
    assert api[2] == pytest.approx(25 * 0.6)  # per pod at the HPA's 60% CPU target


def test_drivers_the_stack_does_not_use_are_optional():
    d = mini_dict()
    for name in ("sensor_points_per_user_day", "stored_gb_per_user"):
        del d["projection"]["drivers"][name]
    model = ProjectionModel(stack_from_data(d, "mini.yaml"), mini_catalog())
    assert "sensor_points_per_user_day" not in model.central
    # but one it needs is an error naming what needs it
    d2 = copy.deepcopy(d)
    del d2["projection"]["drivers"]["peak_rps_per_user"]
    with pytest.raises(InputError) as exc:
        ProjectionModel(stack_from_data(d2, "mini.yaml"), mini_catalog())
    assert "projection.drivers.peak_rps_per_user is needed by workload api" in str(exc.value)


def test_the_reference_stack_still_projects():
    from projection_stacks import REFERENCE

    from costplan.stack.loader import load_stack

    model = ProjectionModel(load_stack(REFERENCE), reference_catalog())
    assert np.isfinite(model.estimate.total_monthly_cost)


def test_manifests_read_twice_are_parsed_once_and_handed_out_as_copies(tmp_path, monkeypatch):
    """A command that builds two projection models reads the same manifests twice: parsed once,
    each caller gets its own copy, and a file whose content changed is read again."""
    import costplan.projection.k8s as k8s

    paths = files(tmp_path, deploy=DEPLOY, hpa=HPA)
    parsed = []
    real = k8s._read_manifests
    monkeypatch.setattr(k8s, "_read_manifests", lambda p, n=None: parsed.append(1) or real(p, n))
    first = read_manifests(paths)
    first.workloads["api"].replicas = 99  # a caller changing what it got
    second = read_manifests(paths)
    assert len(parsed) == 1
    assert second.workloads["api"].replicas == 3  # the HPA's minimum, not the first caller's change
    paths[1].write_text(HPA.replace("minReplicas: 3", "minReplicas: 4"))
    assert read_manifests(paths).workloads["api"].replicas == 4 and len(parsed) == 2
