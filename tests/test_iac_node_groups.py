"""Node groups with launch templates, self-managed Auto Scaling groups, the AWS and EKS
defaults (each noted on the line that uses it), magnetic volumes, read replicas through
module outputs, plan JSON details, and what is skipped, with its reason, everywhere."""

from __future__ import annotations

import json

import pytest
from helpers import P, mini_catalog
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.errors import InputError
from costplan.estimator import estimate
from costplan.iac.resources import Resource, build_stack
from costplan.iac.terraform_hcl import import_hcl
from costplan.iac.terraform_plan import import_plan, parse_plan

H = 730
EXTRA = [
    P("AmazonEC2", "m5.large", "instance-hour", "Hrs", 0.096),
    P("AmazonEC2", "t3.medium", "instance-hour", "Hrs", 0.0416),
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.0317, model="spot", verified=False),
    P("AmazonEC2", "io1", "storage-gb-month", "GB-Mo", 0.125),
    P("AmazonEC2", "io1", "iops-month", "IOPS-Mo", 0.065),
    # magnetic (standard) EBS, us-east-1: infracost's ebs_volume golden (20 GB $1.00, 1M I/O $0.05)
    P("AmazonEC2", "standard", "storage-gb-month", "GB-Mo", 0.05),
    P("AmazonEC2", "standard", "io-requests-million", "1M requests", 0.05),
]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def tf(tmp_path, text: str):
    (tmp_path / "main.tf").write_text('provider "aws" { region = "us-east-1" }\n' + text)
    return import_hcl(tmp_path)


LT = """
resource "aws_launch_template" "nodes" {
  name          = "nodes"
  instance_type = "m5.large"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 100
      volume_type = "gp3"
      iops        = 4000
      throughput  = 250
    }
  }
  block_device_mappings {
    device_name = "/dev/xvdb"
    ebs {
      volume_size = 50
      volume_type = "io1"
      iops        = 1000
    }
  }
}
"""


def test_node_group_takes_type_and_disks_from_its_launch_template(tmp_path):
    res = tf(tmp_path, LT + """
resource "aws_eks_node_group" "app" {
  node_group_name = "app"
  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }
  scaling_config {
    desired_size = 3
    min_size     = 1
    max_size     = 6
  }
}
""")
    pool = res.stack["regions"]["us-east-1"]["node_pools"]["app"]
    assert pool["instance_types"] == ["m5.large"]
    assert pool["root_volume"] == {
        "type": "gp3", "size_gb": 100, "iops": 4000, "throughput_mbps": 250, "why": "/dev/xvda of aws_launch_template.nodes"
    }
    assert pool["data_volumes"] == [
        {"type": "io1", "size_gb": 50, "iops": 1000, "why": "/dev/xvdb of aws_launch_template.nodes"}
    ]
    assert "instance type from aws_launch_template.nodes" in pool["why"]
    total = estimate(res.stack_model(), mini_catalog(EXTRA)).total_monthly_cost
    by_hand = (
        3 * 0.096 * H  # 3 x m5.large
        + 3 * (100 * 0.08 + (4000 - 3000) * 0.005 + (250 - 125) * 0.04)  # gp3 root: GB, IOPS and MB/s above the included
        + 3 * (50 * 0.125 + 1000 * 0.065)  # io1 data volume: GB and provisioned IOPS
    )
    assert total == pytest.approx(by_hand)


def test_launch_template_outside_the_configuration_is_skipped_with_the_reason(tmp_path):
    res = tf(tmp_path, """
resource "aws_eks_node_group" "app" {
  node_group_name = "app"
  launch_template {
    name    = "made-elsewhere"
    version = "$Latest"
  }
  scaling_config {
    desired_size = 2
    min_size     = 1
    max_size     = 3
  }
}
resource "aws_kms_key" "k" {}
""")
    (s,) = res.skipped
    assert s.address == "aws_eks_node_group.app" and "made-elsewhere" in s.reason and "not in this configuration" in s.reason


def test_self_managed_asg_with_a_mixed_instances_policy(tmp_path):
    """on_demand_base_capacity = 1, 25% on-demand above it, desired 5: 1 + ceil(4 x 0.25) = 2
    on-demand instances, 3 spot; the types are the overrides, the disk the launch template's."""
    res = tf(tmp_path, LT + """
resource "aws_autoscaling_group" "workers" {
  name             = "workers"
  min_size         = 2
  max_size         = 8
  desired_capacity = 5
  mixed_instances_policy {
    instances_distribution {
      on_demand_base_capacity                  = 1
      on_demand_percentage_above_base_capacity = 25
    }
    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.nodes.id
      }
      override { instance_type = "c5.large" }
      override { instance_type = "m5.large" }
    }
  }
}
resource "aws_autoscaling_policy" "cpu" {
  name                   = "cpu"
  autoscaling_group_name = aws_autoscaling_group.workers.name
}
""")
    pools = res.stack["regions"]["us-east-1"]["node_pools"]
    assert {k: (p["instance_types"], p["desired"], p["capacity"]) for k, p in pools.items()} == {
        "workers": (["c5.large", "m5.large"], 2, "on_demand"),
        "workers-spot": (["c5.large", "m5.large"], 3, "spot"),
    }
    assert pools["workers"]["root_volume"]["size_gb"] == 100
    assert res.free_by_type()["aws_autoscaling_policy"] == 1  # scaling policies are not billed
    assert res.free_by_type()["aws_launch_template"] == 1


def test_node_group_defaults_are_noted_on_the_line(tmp_path):
    """No instance_types and no launch template: EKS's t3.medium; no disk_size: 20 GiB."""
    res = tf(tmp_path, """
resource "aws_eks_node_group" "plain" {
  node_group_name = "plain"
  scaling_config {
    desired_size = 2
    min_size     = 1
    max_size     = 3
  }
}
""")
    pool = res.stack["regions"]["us-east-1"]["node_pools"]["plain"]
    assert pool["instance_types"] == ["t3.medium"]
    lines = estimate(res.stack_model(), mini_catalog(EXTRA)).lines
    node = lines[lines.description.str.contains("t3.medium")].iloc[0]
    assert "default: t3.medium, EKS's instance type" in node.assumption
    disk = lines[lines.description.str.contains("root volume")].iloc[0]
    assert disk.assumption.startswith("default: 20 GiB gp2 node disk")
    assert lines.ListCost.sum() == pytest.approx(2 * 0.0416 * H + 2 * 20 * 0.10)


def test_plan_node_group_without_instance_types_gets_the_eks_default():
    """In a plan, instance_types the configuration does not set are 'known after apply' (EKS
    fills them in): t3.medium is priced, not skipped."""
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_eks_node_group.ng", "mode": "managed", "type": "aws_eks_node_group", "name": "ng",
            "values": {"node_group_name": "ng", "scaling_config": [{"desired_size": 2, "min_size": 1, "max_size": 2}]},
        }]}},
        "resource_changes": [{"address": "aws_eks_node_group.ng", "change": {
            "actions": ["create"], "after_unknown": {"instance_types": True, "id": True}}}],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}}},
            "root_module": {"resources": [{"address": "aws_eks_node_group.ng", "type": "aws_eks_node_group",
                                           "expressions": {"node_group_name": {"constant_value": "ng"}}}]},
        },
    }
    resources, _ = parse_plan(plan, "plan.json")
    res = build_stack(resources, name="p", source="plan.json")
    pool = res.stack["regions"]["us-east-1"]["node_pools"]["ng"]
    assert pool["instance_types"] == ["t3.medium"] and "default: t3.medium" in pool["why"]
    assert res.skipped == []


def test_plan_launch_template_found_through_nested_references():
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [
            {"address": "aws_launch_template.lt", "mode": "managed", "type": "aws_launch_template", "name": "lt",
             "values": {"name_prefix": "lt-", "instance_type": "m5.large", "block_device_mappings": [
                 {"device_name": "/dev/xvda", "ebs": [{"volume_size": 80, "volume_type": "gp3"}]}]}},
            {"address": "aws_eks_node_group.ng", "mode": "managed", "type": "aws_eks_node_group", "name": "ng",
             "values": {"node_group_name": "ng", "instance_types": None, "launch_template": [{"version": "1"}],
                        "scaling_config": [{"desired_size": 1, "min_size": 1, "max_size": 2}]}},
        ]}},
        "resource_changes": [{"address": "aws_eks_node_group.ng", "change": {
            "actions": ["create"], "after_unknown": {"launch_template": [{"id": True}], "instance_types": True}}}],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
            "root_module": {"resources": [{"address": "aws_eks_node_group.ng", "type": "aws_eks_node_group", "expressions": {
                "launch_template": [{"id": {"references": ["aws_launch_template.lt.id", "aws_launch_template.lt"]}}]}}]},
        },
    }
    resources, _ = parse_plan(plan, "plan.json")
    pool = build_stack(resources, name="p", source="plan.json").stack["regions"]["eu-west-1"]["node_pools"]["ng"]
    assert pool["instance_types"] == ["m5.large"] and pool["root_volume"]["size_gb"] == 80


def test_one_magnetic_volume_is_priced_not_fatal(tmp_path):
    res = tf(tmp_path, """
resource "aws_ebs_volume" "old" {
  availability_zone = "us-east-1a"
  size              = 20
  type              = "standard"
}
resource "aws_ebs_volume" "new" {
  availability_zone = "us-east-1a"
  size              = 100
  type              = "gp3"
}
""")
    vols = res.stack["regions"]["us-east-1"]["ebs_volumes"]
    assert vols["old"]["type"] == "standard" and "magnetic I/O requests: default" in vols["old"]["why"]
    res.stack_model()
    total = estimate(res.stack_model(), mini_catalog(EXTRA)).total_monthly_cost
    assert total == pytest.approx(20 * 0.05 + 100 * 0.08)


def test_read_replica_of_a_module_output_in_a_plan():
    """replicate_source_db = module.master.db_instance_identifier: the configuration's
    module outputs lead to the source instance."""
    def db(addr, values):
        return {"address": addr, "mode": "managed", "type": "aws_db_instance", "name": "this", "values": values}

    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"child_modules": [
            {"resources": [db("module.master.aws_db_instance.this[0]", {
                "engine": "postgres", "instance_class": "db.r6g.xlarge", "allocated_storage": 100, "storage_type": "gp3"})]},
            {"resources": [db("module.replica.aws_db_instance.this[0]", {
                "engine": "postgres", "instance_class": "db.r6g.large", "allocated_storage": 100, "storage_type": "gp3"})]},
        ]}},
        "resource_changes": [{"address": "module.replica.aws_db_instance.this[0]", "change": {
            "actions": ["create"], "after_unknown": {"replicate_source_db": True}}}],
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}}},
            "root_module": {"module_calls": {
                "master": {"module": {
                    "outputs": {"db_instance_identifier": {"expression": {"references": [
                        "aws_db_instance.this[0].identifier", "aws_db_instance.this[0]", "aws_db_instance.this"]}}},
                    "resources": [{"address": "aws_db_instance.this", "type": "aws_db_instance", "expressions": {}}]}},
                "replica": {
                    "expressions": {"replicate_source_db": {"references": ["module.master.db_instance_identifier", "module.master"]}},
                    "module": {"resources": [{"address": "aws_db_instance.this", "type": "aws_db_instance",
                        "expressions": {"replicate_source_db": {"references": ["var.replicate_source_db"]}}}]}},
            }},
        },
    }
    resources, _ = parse_plan(plan, "plan.json")
    rds = build_stack(resources, name="p", source="plan.json").stack["regions"]["us-east-1"]["rds"]
    assert list(rds) == ["master"] and list(rds["master"]["read_replicas"]) == ["replica"]


def test_plan_with_text_before_the_json_is_read(tmp_path):
    f = tmp_path / "plan.json"
    body = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "values": {}}]}}}
    f.write_text("time=2026-12-01 level=info msg=Running terraform show\n" + json.dumps(body) + "\n")
    res = import_plan(f, region="us-east-1")
    assert res.stack["regions"]["us-east-1"]["kms"]["keys"] == 1
    assert "1 lines of text before the JSON were skipped" in res.notes
    r = run("import", "terraform", f, "--region", "us-east-1", "--format", "json")
    assert r.exit_code == 0, r.output


def test_nothing_to_price_says_why_each_resource_was_skipped(tmp_path):
    resources = [
        Resource("aws_instance.web", "aws_instance", {}, region="us-east-1"),
        Resource("aws_db_instance.legacy", "aws_db_instance", {"engine": "oracle-se2"}, region="us-east-1"),
    ]
    with pytest.raises(InputError) as exc:
        build_stack(resources, name="x", source="plan.json")
    msg = str(exc.value)
    assert "nothing to price" in msg
    assert "skipped aws_instance.web (aws_instance): standalone EC2 instances are not priced" in msg
    assert "skipped aws_db_instance.legacy (aws_db_instance): engine 'oracle-se2' is not priced" in msg


def test_every_skipped_resource_in_table_and_json_output(tmp_path):
    (tmp_path / "main.tf").write_text("""
provider "aws" { region = "us-east-1" }
resource "aws_instance" "a" {}
resource "aws_instance" "b" {}
resource "aws_kms_key" "k" {}
""")
    r = run("import", "terraform", tmp_path)
    assert r.exit_code == 0
    assert "skipped 2 x aws_instance: standalone EC2 instances are not priced by costplan (EKS node groups are): aws_instance.a, aws_instance.b" in r.output
    r = run("import", "terraform", tmp_path, "--format", "json")
    skipped = json.loads(r.stdout)["import"]["skipped"]
    assert [(s["address"], s["type"]) for s in skipped] == [("aws_instance.a", "aws_instance"), ("aws_instance.b", "aws_instance")]
    assert all(s["reason"] for s in skipped)
