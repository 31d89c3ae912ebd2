"""Karpenter NodePools given as manifests: the types their requirements allow, the pods of the
workloads given with them, the cheapest option priced and the most expensive as a scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import P, mini_catalog
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.estimator import estimate
from costplan.iac.karpenter import add_to_stack, allowed, specs
from costplan.iac.terraform_hcl import import_hcl
from costplan.projection.k8s import KarpenterPool
from costplan.stack.loader import stack_from_data

EXAMPLE = Path(__file__).parent / "data" / "terraform-aws-modules" / "terraform-aws-eks" / "examples" / "karpenter"
EU = "eu-west-1"
H = 730
# eu-west-1 on-demand list prices of four types the example's NodePool allows, gp3 storage
PRICES = [
    P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.192, region=EU),
    P("AmazonEC2", "c5.2xlarge", "instance-hour", "Hrs", 0.384, region=EU),
    P("AmazonEC2", "m5.xlarge", "instance-hour", "Hrs", 0.214, region=EU),
    P("AmazonEC2", "r5.xlarge", "instance-hour", "Hrs", 0.282, region=EU),
    P("AmazonEC2", "m5.large", "instance-hour", "Hrs", 0.107, region=EU),  # 2 vCPU: not allowed
    P("AmazonEC2", "c6g.xlarge", "instance-hour", "Hrs", 0.1544, region=EU),  # arm64: not allowed
    P("AmazonEC2", "gp3", "storage-gb-month", "GB-Mo", 0.088, region=EU),
    P("AmazonEC2", "gp2", "storage-gb-month", "GB-Mo", 0.11, region=EU),
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.10, region=EU, variant="standard"),
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.60, region=EU, variant="extended"),
    P("AmazonEC2", "nat-gateway", "hour", "Hrs", 0.048, region=EU),
    P("AmazonVPC", "public-ipv4", "hour", "Hrs", 0.005, region=EU),
    P("awskms", "kms-key", "key-month", "Keys", 1.0, region=EU),
]


def test_requirements_select_instance_types():
    pool = KarpenterPool(
        "default",
        [
            ("karpenter.k8s.aws/instance-category", "In", ["c", "m", "r"]),
            ("karpenter.k8s.aws/instance-cpu", "In", ["4", "8", "16", "32"]),
            ("karpenter.k8s.aws/instance-hypervisor", "In", ["nitro"]),
            ("karpenter.k8s.aws/instance-generation", "Gt", ["2"]),
        ],
    )
    types, capacity, notes = allowed(pool)
    names = {s.name for s in types}
    assert {"c5.xlarge", "m5.2xlarge", "r5.4xlarge", "m6i.8xlarge"} <= names
    assert not names & {"m5.large", "c4.xlarge", "c6g.xlarge", "t3.xlarge"}  # 2 vCPU, Xen, arm64, category t
    assert capacity == ["on-demand"] and any("on-demand (Karpenter's default)" in n for n in notes)
    spot = KarpenterPool("s", [("karpenter.sh/capacity-type", "In", ["spot", "on-demand"]),
                                ("node.kubernetes.io/instance-type", "In", ["c5.large"])])
    types, capacity, _ = allowed(spot)
    assert [s.name for s in types] == ["c5.large"] and capacity == ["spot", "on-demand"]
    assert specs()["c5.large"].vcpu == 2


def test_karpenter_example_nodepool_priced_as_a_range(tmp_path):
    """examples/karpenter: NodePool `default` (categories c/m/r, 4-32 vCPU, Nitro, generation
    > 2, Bottlerocket EC2NodeClass) and inflate.yaml (5 replicas x 1 vCPU). Per node the EKS
    AMI reserves 6% + 1% + 2 x 0.5% of the first four cores: c5.xlarge offers 3.92 vCPU, so
    ceil(5 / 3.92) = 2 nodes; c5.2xlarge offers 8 - 0.08 - 4 x 0.0025 = 7.91, so 1 node."""
    res = import_hcl(EXAMPLE)
    add_to_stack(res, [EXAMPLE / "karpenter.yaml", EXAMPLE / "inflate.yaml"], mini_catalog(PRICES))
    pool = res.stack["regions"][EU]["node_pools"]["karpenter-default"]
    # per hour: c5.xlarge 2 x 0.192 = 0.384, c5.2xlarge 1 x 0.384 = 0.384 (the cheaper node
    # first), m5.xlarge 2 x 0.214 = 0.428, r5.xlarge 2 x 0.282 = 0.564
    assert (pool["instance_types"][0], pool["desired"], pool["capacity"]) == ("c5.xlarge", 2, "on_demand")
    assert set(pool["instance_types"]) == {"c5.xlarge", "c5.2xlarge", "m5.xlarge", "r5.xlarge"}
    assert pool["max"] == 1000 // 4  # limits.cpu 1000 / 4 vCPU
    assert "assumed: Karpenter launches the cheapest allowed type" in pool["why"]
    assert "range $280.32 to $411.72 a month" in pool["why"]
    # Bottlerocket's default volumes: a 4 GiB OS volume and a 20 GiB data volume, gp3
    assert (pool["root_volume"]["size_gb"], pool["data_volumes"][0]["size_gb"]) == (4, 20)
    high = res.stack["scenarios"]["karpenter-default-high"]["patch"]["regions"][EU]["node_pools"]["karpenter-default"]
    assert (high["instance_types"], high["desired"]) == (["r5.xlarge"], 2)

    cat = mini_catalog(PRICES)
    lines = estimate(res.stack_model(), cat).lines
    low = lines[lines.component == f"{EU}/node_pools/karpenter-default"].ListCost.sum()
    assert low == pytest.approx(2 * 0.192 * H + 2 * (4 + 20) * 0.088)
    hi_lines = estimate(stack_from_data(res.stack, "karpenter.yaml", scenario="karpenter-default-high"), cat).lines
    hi = hi_lines[hi_lines.component == f"{EU}/node_pools/karpenter-default"].ListCost.sum()
    assert hi == pytest.approx(2 * 0.282 * H + 2 * (4 + 20) * 0.088)


def test_cli_k8s_option(tmp_path):
    out = tmp_path / "stack.yaml"
    r = CliRunner().invoke(app, [
        "import", "terraform", str(EXAMPLE), "--k8s", str(EXAMPLE / "karpenter.yaml"), "--k8s", str(EXAMPLE / "inflate.yaml"),
        "--out", str(out),
    ])
    assert r.exit_code == 0, r.output
    assert "Karpenter NodePool default:" in r.output and "scenario karpenter-default-high" in r.output
    r = CliRunner().invoke(app, ["estimate", str(out), "--scenario", "karpenter-default-high", "--format", "json"])
    assert r.exit_code == 0, r.output
