"""Stacks from Pulumi state: export files and the Automation API (mocked at its boundary)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import P, mini_catalog
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.errors import CostplanError
from costplan.estimator import estimate
from costplan.iac import pulumi as pl
from costplan.iac.usage import Usage

EXPORT = Path(__file__).parent / "data" / "pulumi" / "stack-export.json"
H = 730


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_token_mapping():
    assert pl.terraform_type("aws:eks/nodeGroup:NodeGroup") == "aws_eks_node_group"
    assert pl.terraform_type("aws:ec2/natGateway:NatGateway") == "aws_nat_gateway"
    assert pl.terraform_type("aws:iam/role:Role") == "aws_iam_role"
    assert pl.terraform_type("aws:rds/instance:Instance") == "aws_db_instance"
    assert (
        pl.terraform_type("aws:elasticache/replicationGroup:ReplicationGroup")
        == "aws_elasticache_replication_group"
    )


def test_export_to_stack_and_estimate():
    res = pl.import_pulumi(
        pl.read_export(EXPORT),
        source=str(EXPORT),
        usage=Usage(
            resources={
                "urn:pulumi:prod::shop::aws:s3/bucketV2:BucketV2::uploads": {
                    "size_gb": 2000,
                    "why": "uploads, 2 TB",
                }
            }
        ),
    )
    assert res.stack["name"] == "shop-prod"  # project-stack
    r = res.stack["regions"]["eu-west-1"]  # region from the ARNs and the provider resource
    assert r["node_pools"]["app"]["capacity"] == "spot"
    assert r["node_pools"]["app"]["desired"] == 4
    assert r["rds"]["db"]["storage"] == {"type": "gp3", "size_gb": 200}
    assert "read_replicas" not in r["rds"]["db"]  # replicateSourceDb "" is not a replica
    assert r["s3"]["uploads"]["size_gb"] == 2000
    assert res.skipped_by_type() == {"aws:ec2/instance:Instance": 1}
    assert res.free_by_type() == {
        "aws:ec2/securityGroup:SecurityGroup": 1,
        "random:index/randomPassword:RandomPassword": 1,
    }

    prices = [
        P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.10, region="eu-west-1", variant="standard"),
        P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.60, region="eu-west-1", variant="extended"),
        P(
            "AmazonEC2",
            "c5.xlarge",
            "instance-hour",
            "Hrs",
            0.0864,
            region="eu-west-1",
            model="spot",
            verified=False,
        ),
        P("AmazonEC2", "gp2", "storage-gb-month", "GB-Mo", 0.11, region="eu-west-1"),
        P(
            "AmazonRDS",
            "db.r6g.large",
            "instance-hour",
            "Hrs",
            0.245,
            region="eu-west-1",
            variant="postgresql:single-az",
        ),
        P("AmazonRDS", "gp3", "storage-gb-month", "GB-Mo", 0.127, region="eu-west-1", variant="single-az"),
        P("AmazonS3", "s3-standard", "storage-gb-month", "GB-Mo", 0.023, region="eu-west-1"),
    ]
    total = estimate(res.stack_model(), mini_catalog(prices)).total_monthly_cost
    # the cluster runs Kubernetes 1.30 (carried over from the export), which left EKS standard
    # support on 2025-07-23: its control plane bills the extended-support rate, $0.60/h
    assert res.stack["regions"]["eu-west-1"]["eks_clusters"]["shop"]["kubernetes_version"] == "1.30"
    by_hand = 0.60 * H + 4 * 0.0864 * H + 4 * 40 * 0.11 + 0.245 * H + 200 * 0.127 + 2000 * 0.023
    assert total == pytest.approx(by_hand)


class FakeDeployment:
    def __init__(self, data):
        self.version = data["version"]
        self.deployment = data["deployment"]


class FakeStack:
    def __init__(self, data):
        self.data = data

    def export_stack(self):
        return FakeDeployment(self.data)


class FakeAutomation:
    """Stands in for `pulumi.automation` at its boundary: select_stack(...).export_stack()."""

    def __init__(self, data=None, error=None):
        self.data, self.error, self.calls = data, error, []

    def select_stack(self, stack_name, work_dir):
        self.calls.append((stack_name, work_dir))
        if self.error:
            raise self.error
        return FakeStack(self.data)


def test_export_stack_through_automation(tmp_path):
    fake = FakeAutomation(json.loads(EXPORT.read_text()))
    data = pl.export_stack("prod", tmp_path, automation=fake)
    assert fake.calls == [("prod", str(tmp_path))]
    res = pl.import_pulumi(data, source="pulumi stack prod")
    assert "app" in res.stack["regions"]["eu-west-1"]["node_pools"]


def test_cli_stack_option_uses_automation(tmp_path, monkeypatch):
    fake = FakeAutomation(json.loads(EXPORT.read_text()))
    monkeypatch.setattr(pl, "_load_automation", lambda: fake)
    out = tmp_path / "stack.yaml"
    r = run("import", "pulumi", "--stack", "prod", "--work-dir", tmp_path, "--out", out)
    assert r.exit_code == 0, r.output
    assert fake.calls == [("prod", str(tmp_path))]
    assert "node_pools" in out.read_text()


def test_automation_errors_are_clear(tmp_path):
    fake = FakeAutomation(error=RuntimeError("no stack named 'prod' found\nmore detail"))
    with pytest.raises(
        CostplanError, match="could not export Pulumi stack 'prod'.*no stack named 'prod' found"
    ):
        pl.export_stack("prod", tmp_path, automation=fake)


def test_pulumi_not_installed_exit_1_no_traceback(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pulumi", None)  # makes `import pulumi.automation` fail
    monkeypatch.setitem(sys.modules, "pulumi.automation", None)
    r = run("import", "pulumi", "--stack", "prod", "--work-dir", tmp_path)
    assert r.exit_code == 1
    assert "pip install costplan[pulumi]" in r.output and "Pulumi CLI" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    "content,needle",
    [
        ("not json", "not valid JSON"),
        (json.dumps({"version": 9, "deployment": {"resources": []}}), "unsupported deployment version 9"),
        (
            json.dumps(
                {
                    "version": 3,
                    "deployment": {
                        "resources": [
                            {
                                "urn": "urn:pulumi:p::x::gcp:compute/instance:Instance::vm",
                                "custom": True,
                                "type": "gcp:compute/instance:Instance",
                                "inputs": {},
                                "outputs": {},
                            }
                        ]
                    },
                }
            ),
            "no AWS resources: found only gcp",
        ),
        (json.dumps({"hello": 1}), "not a `pulumi stack export` file"),
    ],
)
def test_bad_export_exit_2(tmp_path, content, needle):
    f = tmp_path / "state.json"
    f.write_text(content)
    r = run("import", "pulumi", f)
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output
