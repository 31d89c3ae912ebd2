"""Stacks from Terraform plan JSON and .tf folders; usage files; bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import P, mini_catalog
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.errors import InputError
from costplan.estimator import estimate
from costplan.iac.resources import build_stack
from costplan.iac.terraform_hcl import import_hcl
from costplan.iac.terraform_plan import parse_plan, read_plan
from costplan.iac.usage import read_usage
from costplan.stack.loader import load_stack, stack_from_data

DATA = Path(__file__).parent / "data" / "terraform"
PLAN = DATA / "plan-small.json"
USAGE = DATA / "plan-small-usage.yaml"
GUIDE = DATA / "ultibiker"
REPO = Path(__file__).resolve().parents[1]
H = 730

EXTRA = [
    P("AmazonEC2", "m5.2xlarge", "instance-hour", "Hrs", 0.17664, model="spot", verified=False),
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.03485, model="spot", verified=False),
    P("AmazonS3", "s3-standard", "requests-tier1", "1K requests", 0.005),
    P("AmazonS3", "s3-standard", "requests-tier2", "1K requests", 0.0004),
    P("AmazonVPC", "public-ipv4", "hour", "Hrs", 0.005),
    P("awskms", "kms-key", "key-month", "Keys", 1.0),
]


def cat():
    return mini_catalog(EXTRA)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def import_plan(usage=USAGE, **kw):
    resources, _meta = read_plan(PLAN)
    return build_stack(resources, name="shop", source=str(PLAN), usage=read_usage(usage), **kw)


# --- plan JSON ----------------------------------------------------------------------------
def test_plan_resources_in_modules_count_and_for_each():
    resources, meta = read_plan(PLAN)
    assert meta == {"terraform_version": "1.7.5", "format_version": "1.2", "kind": "plan"}
    addresses = {r.address for r in resources}
    # nested child modules are read, data sources and resources being deleted are not
    assert 'module.nodes.aws_eks_node_group.this["batch"]' in addresses
    assert "module.nodes.module.network.aws_nat_gateway.this[1]" in addresses
    assert "data.aws_availability_zones.available" not in addresses
    assert "aws_instance.old_worker" not in addresses
    # region from the provider's `region = var.region` and the variable's value
    assert {r.region for r in resources} == {"us-east-1"}
    replica = next(r for r in resources if r.address == "aws_db_instance.replica")
    assert replica.unknown["replicate_source_db"] == "known only after apply"
    assert replica.refs["replicate_source_db"][0] == "aws_db_instance.primary.arn"


def test_plan_to_stack():
    res = import_plan()
    r = res.stack["regions"]["us-east-1"]
    assert r["node_pools"]["app"] == {
        "instance_types": ["c5.xlarge"],
        "min": 3,
        "max": 10,
        "desired": 3,
        "capacity": "on_demand",
        "root_volume": {
            "type": "gp2",
            "size_gb": 50,
            "why": 'disk_size = 50 on module.nodes.aws_eks_node_group.this["app"]',
        },
        "why": 'EKS managed node group module.nodes.aws_eks_node_group.this["app"]',
    }
    assert r["node_pools"]["batch"]["capacity"] == "spot"
    # the replica whose source is known only after apply is linked through the configuration's references
    assert r["rds"]["shop-db"]["read_replicas"] == {"shop-db-replica": {"instance_class": "db.r6g.large"}}
    assert r["ebs_volumes"]["data"]["count"] == 3  # count = 3, one entry
    assert r["nat_gateways"]["count"] == 2 and r["nat_gateways"]["gb_processed"] == 200
    assert r["s3"]["shop-assets"]["why"] == "product images: ~1 TB, 200k uploads and 1M reads a month"
    assert res.skipped_by_type() == {"aws_instance": 1}
    assert res.free_by_type() == {"aws_security_group": 1, "random_password": 1}
    res.stack_model()  # a valid stack spec


def test_plan_round_trip_estimate_by_hand():
    """import -> estimate equals the list-price total computed by hand, and the estimate of a
    hand-written stack of the same resources."""
    result = estimate(import_plan().stack_model(), cat())
    expected = (
        0.60 * H  # EKS control plane: Kubernetes 1.29 left standard support on 2025-03-23 (extended rate)
        + 3 * 0.17 * H
        + 3 * 50 * 0.10  # app: 3 x c5.xlarge on-demand + 50 GiB gp2 roots
        + 2 * 0.17664 * H
        + 2 * 50 * 0.10  # batch: 2 x m5.2xlarge spot + roots
        + 0.899 * H
        + 100 * 0.23  # db.r6g.xlarge Multi-AZ + 100 GB gp3 Multi-AZ
        + 0.225 * H
        + 100 * 0.115  # replica db.r6g.large + its storage (single-AZ)
        + 3 * 100 * 0.08  # 3 x 100 GiB gp3 (IOPS/throughput at the included baseline)
        + 1000 * 0.023
        + 200 * 0.005
        + 1000 * 0.0004  # S3: 1 TB, 200k PUT, 1M GET
        + 2 * 0.045 * H
        + 200 * 0.045  # 2 NAT gateways + 200 GB processed
    )
    assert result.total_monthly_cost == pytest.approx(expected, abs=0.01)

    hand = {
        "name": "shop-by-hand",
        "regions": {
            "us-east-1": {
                "eks_clusters": {"shop": {"count": 1, "kubernetes_version": "1.29"}},
                "node_pools": {
                    "app": {
                        "instance_types": ["c5.xlarge"],
                        "desired": 3,
                        "root_volume": {"type": "gp2", "size_gb": 50},
                    },
                    "batch": {
                        "instance_types": ["m5.2xlarge"],
                        "desired": 2,
                        "capacity": "spot",
                        "root_volume": {"type": "gp2", "size_gb": 50},
                    },
                },
                "rds": {
                    "db": {
                        "instance_class": "db.r6g.xlarge",
                        "multi_az": True,
                        "storage": {"type": "gp3", "size_gb": 100},
                        "read_replicas": {"r": {"instance_class": "db.r6g.large"}},
                    }
                },
                "ebs_volumes": {"data": {"type": "gp3", "size_gb": 100, "count": 3}},
                "s3": {
                    "assets": {
                        "size_gb": 1000,
                        "requests_tier1": 200000,
                        "requests_tier2": 1000000,
                        "why": "test",
                    }
                },
                "nat_gateways": {"count": 2, "gb_processed": 200, "why": "test"},
            }
        },
    }
    assert result.total_monthly_cost == pytest.approx(
        estimate(stack_from_data(hand), cat()).total_monthly_cost, abs=1e-6
    )


def test_defaults_are_marked_and_listed():
    res = import_plan(usage=None)
    s3 = res.stack["regions"]["us-east-1"]["s3"]["shop-assets"]
    assert s3["size_gb"] == 0 and s3["why"].startswith("default:")
    assert res.stack["regions"]["us-east-1"]["nat_gateways"]["why"].startswith("default:")
    assert any("aws_s3_bucket.assets" in d and "size_gb" in d for d in res.defaults)


def test_state_json_and_region_from_arn():
    state = {
        "format_version": "1.0",
        "terraform_version": "1.6.0",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_elasticache_cluster.c",
                        "mode": "managed",
                        "type": "aws_elasticache_cluster",
                        "name": "c",
                        "values": {
                            "arn": "arn:aws:elasticache:eu-west-1:123456789012:cluster:c",
                            "cluster_id": "sessions",
                            "node_type": "cache.r7g.large",
                            "num_cache_nodes": 2,
                            "engine": "redis",
                            "replication_group_id": None,
                        },
                    },
                ]
            }
        },
    }
    resources, meta = parse_plan(state, "state.json")
    res = build_stack(resources, name="s", source="state.json")
    assert meta["kind"] == "state"
    assert res.stack["regions"] == {
        "eu-west-1": {
            "elasticache": {"sessions": {"node_type": "cache.r7g.large", "engine": "redis", "nodes": 2}}
        }
    }


def test_plan_region_default_flag():
    resources, _ = parse_plan(
        {
            "format_version": "1.2",
            "planned_values": {
                "root_module": {
                    "resources": [
                        {
                            "address": "aws_kms_key.k",
                            "mode": "managed",
                            "type": "aws_kms_key",
                            "name": "k",
                            "values": {},
                        }
                    ]
                }
            },
        },
        "p.json",
    )
    res = build_stack(resources, name="s", source="p.json", default_region="eu-west-1")
    assert res.stack["regions"]["eu-west-1"]["kms"]["keys"] == 1


# --- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content,needle",
    [
        ("this is not json", "not valid JSON"),
        (json.dumps({"format_version": "2.0", "planned_values": {}}), "unsupported format_version '2.0'"),
        (json.dumps({"hello": 1}), "no `format_version`"),
        (
            json.dumps(
                {
                    "format_version": "1.2",
                    "planned_values": {
                        "root_module": {
                            "resources": [
                                {
                                    "address": "google_compute_instance.vm",
                                    "mode": "managed",
                                    "type": "google_compute_instance",
                                    "name": "vm",
                                    "values": {},
                                }
                            ]
                        }
                    },
                }
            ),
            "no AWS resources: found only google",
        ),
    ],
)
def test_bad_plan_exit_2(tmp_path, content, needle):
    f = tmp_path / "plan.json"
    f.write_text(content)
    out = tmp_path / "stack.yaml"
    r = run("import", "terraform", f, "--out", out)
    assert r.exit_code == 2, r.output
    assert needle in r.output and str(f) in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_bad_usage_file_names_line_and_key(tmp_path):
    u = tmp_path / "usage.yaml"
    u.write_text("version: 1\nresources:\n  aws_s3_bucket.assets:\n    size_gib: 10\n")
    r = run("import", "terraform", PLAN, "--usage", u)
    assert r.exit_code == 2
    assert f"{u}:4" in r.output and "size_gib" in r.output and "size_gb" in r.output


# --- CLI ----------------------------------------------------------------------------------
def test_cli_out_is_accepted_by_estimate(tmp_path):
    out = tmp_path / "stack.yaml"
    r = run("import", "terraform", PLAN, "--usage", USAGE, "--out", out)
    assert r.exit_code == 0, r.output
    assert "skipped 1 x aws_instance" in r.output
    text = out.read_text()
    assert text.startswith("# Imported by `costplan import`")
    r2 = run("estimate", out, "--format", "json")
    assert r2.exit_code == 0, r2.output
    total = json.loads(r2.stdout)["total_monthly_cost"]
    # default catalog: same list prices for these us-east-1 items as the hand computation above
    assert total == pytest.approx(round(estimate(load_stack(out)).total_monthly_cost, 2))
    assert total > 0


def test_cli_estimate_flag_json():
    r = run("import", "terraform", PLAN, "--usage", USAGE, "--estimate", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["import"]["skipped_by_type"] == {"aws_instance": 1}
    comps = {x["component"] for x in d["totals"]["by_component"]}
    assert "us-east-1/node_pools/batch" in comps


# --- HCL ----------------------------------------------------------------------------------
def test_guide_hcl_to_stack():
    res = import_hcl(GUIDE, region="us-east-1")
    r = res.stack["regions"]["us-east-1"]
    assert set(r["node_pools"]) == {"system", "application", "analytics"}
    assert r["node_pools"]["application"]["instance_types"] == ["c5.xlarge", "c5.2xlarge"]
    assert r["node_pools"]["application"]["capacity"] == "spot"
    assert r["eks_clusters"] == {
        "ultibiker-prod": {"count": 1, "kubernetes_version": "1.28"}  # no upgrade_policy: the version decides
    }
    db = r["rds"]["ultibiker-prod-primary"]
    assert (db["instance_class"], db["multi_az"], db["storage"]["size_gb"], db["storage"]["type"]) == (
        "db.r6g.xlarge",
        True,
        500,
        "gp3",
    )
    assert r["elasticache"]["ultibiker-prod-redis"]["nodes"] == 3
    # vpc module: enable_nat_gateway, no single_nat_gateway -> one per private subnet (3), with Elastic IPs
    assert r["nat_gateways"]["count"] == 3 and r["public_ipv4"]["addresses"] == 3
    assert r["flow_logs"]["destination"] == "cloudwatch-logs"
    assert res.stack["commitments"]["capacity_reservations"]["database"]["count"] == 2
    assert res.skipped_by_type() == {"aws_savingsplans_plan": 1}
    assert any("module output module.vpc.private_subnets" in u for u in res.unpriced_values)
    res.stack_model()


def test_guide_node_pools_equal_reference_stack():
    """The guide's node groups price the same as data/ultibiker/stack.yaml's us-east-1 pools
    in its `app-on-spot` scenario (the Terraform runs the application group on spot)."""
    imported = estimate(import_hcl(GUIDE, region="us-east-1").stack_model(), cat()).lines
    ref = estimate(load_stack(REPO / "data/ultibiker/stack.yaml", scenario="app-on-spot")).lines
    names = {"system": "system", "application": "app", "analytics": "analytics"}
    for mine, theirs in names.items():
        a = imported[imported.component == f"us-east-1/node_pools/{mine}"].ListCost.sum()
        b = ref[ref.component == f"us-east-1/node_pools/{theirs}"].ListCost.sum()
        assert a == pytest.approx(b, abs=0.01), mine
    # and by hand from list prices: nodes x price x 730 h + 20 GiB gp2 root volumes at $0.10/GB-month
    by_hand = {
        "system": 2 * 0.085 * H + 2 * 20 * 0.10,
        "application": 3 * 0.0748 * H + 3 * 20 * 0.10,
        "analytics": 2 * 0.384 * H + 2 * 20 * 0.10,
    }
    for mine, cost in by_hand.items():
        assert imported[imported.component == f"us-east-1/node_pools/{mine}"].ListCost.sum() == pytest.approx(
            cost
        )


def test_hcl_variables_locals_count_for_each(tmp_path):
    (tmp_path / "main.tf").write_text("""
variable "region" { default = "us-east-1" }
variable "volumes" { default = 1 }
variable "env" {}
variable "big" { default = false }
locals {
  size  = var.big ? 500 : 100
  pools = { app = "c5.xlarge", batch = "m5.2xlarge" }
}
provider "aws" { region = var.region }
resource "aws_ebs_volume" "data" {
  count             = var.volumes * 2
  availability_zone = data.aws_availability_zones.a.names[count.index]
  size              = local.size
  type              = "gp3"
}
resource "aws_eks_node_group" "pool" {
  for_each       = local.pools
  cluster_name   = "c-${var.env}"
  node_group_name = each.key
  instance_types = [each.value]
  scaling_config {
    desired_size = 2
    min_size     = 1
    max_size     = 4
  }
}
resource "aws_db_instance" "db" {
  engine            = "postgres"
  instance_class    = module.sizing.db_class
  allocated_storage = 100
}
resource "aws_s3_bucket" "b" { bucket = "logs-${var.env}" }
module "sizing" { source = "git::https://example.com/sizing.git" }
""")
    (tmp_path / "terraform.tfvars").write_text('volumes = 2\nenv = "prod"\n')
    res = import_hcl(tmp_path, variables={"big": "true", "region": "eu-west-1"})
    r = res.stack["regions"]["eu-west-1"]  # -var beats the default
    assert r["ebs_volumes"]["data"]["count"] == 4  # tfvars volumes = 2 -> count 4
    assert r["ebs_volumes"]["data"]["size_gb"] == 500  # local with a conditional on -var big=true
    assert r["node_pools"]["app"]["instance_types"] == ["c5.xlarge"]
    assert r["node_pools"]["batch"]["instance_types"] == ["m5.2xlarge"]
    assert "logs-prod" in r["s3"]
    assert "rds" not in r
    assert any(s.address == "aws_db_instance.db" and "instance_class" in s.reason for s in res.skipped)
    # a module that is not on disk is listed as skipped, with its source
    assert any(
        x.address == "module.sizing" and x.type == "module git::https://example.com/sizing.git" and "not on disk" in x.reason
        for x in res.skipped
    )
    assert any(
        "aws_db_instance.db: instance_class is module output module.sizing.db_class" in u
        for u in res.unresolved
    )


def test_hcl_local_module_and_vpc_single_nat(tmp_path):
    mod = tmp_path / "modules" / "cache"
    mod.mkdir(parents=True)
    (mod / "main.tf").write_text("""
variable "nodes" { default = 1 }
resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "sessions"
  description          = "x"
  node_type            = "cache.r7g.large"
  num_cache_clusters   = var.nodes
}
""")
    (tmp_path / "main.tf").write_text("""
module "cache" {
  source = "./modules/cache"
  nodes  = 2
}
module "vpc" {
  source             = "terraform-aws-modules/vpc/aws"
  azs                = ["a", "b", "c"]
  private_subnets    = ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
  enable_nat_gateway = true
  single_nat_gateway = true
}
""")
    res = import_hcl(tmp_path, region="eu-west-1")
    r = res.stack["regions"]["eu-west-1"]
    assert r["elasticache"]["sessions"]["nodes"] == 2
    assert r["nat_gateways"]["count"] == 1
    assert any(p["address"] == "module.cache.aws_elasticache_replication_group.this" for p in res.priced)


def test_hcl_syntax_error_exit_2(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = \n')
    r = run("import", "terraform", tmp_path)
    assert r.exit_code == 2
    assert "main.tf" in r.output and "not valid HCL" in r.output and "Traceback" not in r.output


def test_hcl_empty_folder_exit_2(tmp_path):
    r = run("import", "terraform", tmp_path)
    assert r.exit_code == 2 and "no .tf files" in r.output


def test_region_option_must_be_a_region():
    with pytest.raises(InputError, match="not an AWS region"):
        import_plan(default_region="us-east-9")


def test_guide_database_hcl_replica_linked_by_reference():
    """The guide's RDS section: a read replica whose replicate_source_db is
    aws_db_instance.ultibiker_primary.id (known only after apply) becomes a read replica."""
    res = import_hcl(DATA / "ultibiker-database", region="us-east-1")
    db = res.stack["regions"]["us-east-1"]["rds"]["ultibiker-prod-primary"]
    assert db["read_replicas"] == {"ultibiker-prod-replica": {"instance_class": "db.r6g.large"}}
    total = estimate(res.stack_model(), cat()).total_monthly_cost
    # db.r6g.xlarge Multi-AZ + 500 GB gp3 Multi-AZ; replica db.r6g.large + 500 GB gp3 Single-AZ
    assert total == pytest.approx(0.899 * H + 500 * 0.23 + 0.225 * H + 500 * 0.115)


def test_docs_usage_example_is_valid_and_applies(tmp_path):
    text = (REPO / "docs" / "infrastructure-code.md").read_text()
    block = text.split("# costplan-usage.yaml\n", 1)[1].split("```", 1)[0]
    f = tmp_path / "costplan-usage.yaml"
    f.write_text(block)
    res = import_hcl(GUIDE, usage=read_usage(f), region="us-east-1")
    r = res.stack["regions"]["us-east-1"]
    assert r["node_pools"]["application"]["desired"] == 6
    assert r["nat_gateways"]["gb_processed"] == 3 * 170
    assert r["data_transfer"]["internet_egress_gb"] == 1500
    # entries for resources not in this configuration are noted, not dropped silently
    assert any("aws_s3_bucket.data" in n for n in res.notes)


def test_register_attaches_to_an_existing_import_group():
    import typer

    from costplan.cli import iac

    main = typer.Typer()
    group = typer.Typer()
    main.add_typer(group, name="import")
    iac.register(main)
    assert {c.name for c in group.registered_commands} == {"terraform", "pulumi"}
    assert [g.name for g in main.registered_groups] == ["import"]


SERVICES_USAGE = """
version: 1
resource_type_defaults:
  aws_kms_key: {requests_10k: 100}
  aws_config_config_rule: {rule_evaluations: 1000}
resources:
  aws_lb.web: {capacity_units: 2}
  aws_lb.nlb: {capacity_units: 3}
  aws_route53_zone.main: {queries_million: 10}
  aws_wafv2_web_acl.main: {requests_million: 5}
  aws_config_configuration_recorder.main: {configuration_items: 2000}
  aws_cloudtrail.main: {data_events_100k: 10, insights_events_100k: 5, management_event_copies_100k: 0}
  aws_flow_log.vpc: {ingest_gb: 50}
  aws_db_instance.legacy: {backup_storage_gb: 0}
  aws_cloudwatch_log_group.app: {ingest_gb: 20, storage_gb: 100, why: "application logs ~0.7 GB/day, 30-day retention"}
"""

SERVICE_PRICES = [  # us-east-1 list prices
    P("AWSELB", "nlb", "hour", "Hrs", 0.0225),
    P("AWSELB", "nlb", "nlcu-hour", "NLCU-Hrs", 0.006),
    P("AmazonRoute53", "route53-hosted-zone", "zone-month", "HostedZone", 0.50, region="global"),
    P(
        "AmazonRoute53",
        "route53-queries",
        "million-queries",
        "Queries",
        0.40,
        region="global",
        variant="standard",
    ),
    P(
        "AmazonRoute53",
        "route53-health-check",
        "check-month",
        "Checks",
        0.50,
        region="global",
        variant="aws-endpoint",
    ),
    P("awswaf", "waf-web-acl", "acl-month", "ACL", 5.0),
    P("awswaf", "waf-rule", "rule-month", "Rule", 1.0),
    P("awswaf", "waf-requests", "million-requests", "Requests", 0.60),
    P("AWSConfig", "config", "configuration-item", "ConfigurationItem", 0.003),
    P("AWSConfig", "config", "rule-evaluation", "Evaluation", 0.001),
    P("AWSCloudTrail", "cloudtrail", "data-events-100k", "100K events", 0.10),
    P("AWSCloudTrail", "cloudtrail", "insights-events-100k", "100K events", 0.35),
    P("AmazonCloudWatch", "vpc-flow-logs", "ingest-gb", "GB", 0.50, variant="cloudwatch-logs"),
    P("awskms", "kms-requests", "10k-requests", "Requests", 0.03),
    P("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "Alarms", 0.10, variant="standard"),
    P("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "Alarms", 0.30, variant="high-resolution"),
    P("AmazonCloudWatch", "cloudwatch-logs", "ingest-gb", "GB", 0.50),
    P("AmazonCloudWatch", "cloudwatch-logs", "storage-gb-month", "GB-Mo", 0.03),
    P("AmazonElastiCache", "cache.r7g.large", "node-hour", "Hrs", 0.219, variant="memcached"),
    # RDS for MySQL db.r6g.large Single-AZ (ec2instances.info RDS data, MIT) and gp2 storage
    P("AmazonRDS", "db.r6g.large", "instance-hour", "Hrs", 0.215, variant="mysql:single-az"),
    P("AmazonRDS", "gp2", "storage-gb-month", "GB-Mo", 0.115, variant="single-az"),
]


def test_plan_services_every_type_priced_or_skipped(tmp_path):
    u = tmp_path / "usage.yaml"
    u.write_text(SERVICES_USAGE)
    resources, _ = read_plan(DATA / "plan-services.json")
    res = build_stack(resources, name="services", source="plan-services.json", usage=read_usage(u))
    r = res.stack["regions"]["us-east-1"]
    assert r["waf"]["web_acls"] == 1 and r["waf"]["rules"] == 3
    assert r["cloudwatch"]["alarms_standard"] == 1 and r["cloudwatch"]["alarms_high_resolution"] == 1
    assert res.stack["global"]["route53"]["hosted_zones"] == 1
    assert res.skipped_by_type() == {
        "aws_cloudwatch_dashboard": 1,
        "aws_eks_node_group": 1,
        "aws_elasticache_cluster": 1,
        "aws_lb": 1,
    }
    reasons = {s.address: s.reason for s in res.skipped}
    # RDS for MySQL is priced: the plan's db.r6g.large with 100 GB of the default gp2 storage
    legacy = r["rds"]["legacy"]
    assert (legacy["engine"], legacy["instance_class"], legacy["storage"]["type"]) == ("mysql", "db.r6g.large", "gp2")
    assert "launch template" in reasons["aws_eks_node_group.custom"]
    assert "gateway" in reasons["aws_lb.inspect"]
    assert "replication group" in reasons["aws_elasticache_cluster.replica_member"]
    assert res.free_by_type() == {"aws_route53_record": 1}
    assert res.defaults == []  # every usage quantity came from the usage file

    total = estimate(res.stack_model(), mini_catalog([*EXTRA, *SERVICE_PRICES])).total_monthly_cost
    by_hand = (
        0.0225 * H
        + 2 * 0.008 * H  # ALB + 2 LCU
        + 0.0225 * H
        + 3 * 0.006 * H  # NLB + 3 NLCU
        + 0.005 * H  # one Elastic IP
        + 0.50
        + 10 * 0.40
        + 0.50  # zone, 10M queries, health check
        + 5.0
        + 3 * 1.0
        + 5 * 0.60  # web ACL, 3 rules, 5M requests
        + 2000 * 0.003
        + 2 * 1000 * 0.001  # configuration items, 2 rules x 1,000 evaluations
        + 10 * 0.10
        + 5 * 0.35  # CloudTrail data events, Insights
        + 50 * 0.50  # flow logs to CloudWatch Logs
        + 2 * 1.0
        + 2 * 100 * 0.03  # 2 keys, 2 x 1M requests
        + 0.10
        + 0.30
        + 20 * 0.50
        + 100 * 0.03  # alarms, log ingest and storage
        + 2 * 0.219 * H  # 2 memcached nodes
        + 0.215 * H
        + 100 * 0.115  # MySQL db.r6g.large, 100 GB gp2
    )
    assert total == pytest.approx(by_hand)


def test_hcl_without_python_hcl2_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "hcl2", None)
    r = run("import", "terraform", GUIDE)
    assert r.exit_code == 1
    assert "pip install costplan[terraform]" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    "address,rtype,expected",
    [
        (
            'module.eks.module.eks_managed_node_group["system"].aws_eks_node_group.this[0]',
            "aws_eks_node_group",
            "system",
        ),
        ('module.nodes.aws_eks_node_group.this["app"]', "aws_eks_node_group", "app"),
        (
            "module.cache.aws_elasticache_replication_group.this[0]",
            "aws_elasticache_replication_group",
            "cache",
        ),
        ("aws_ebs_volume.data[2]", "aws_ebs_volume", "data-2"),
        ('aws_s3_bucket.logs["eu"]', "aws_s3_bucket", "logs-eu"),
        ("aws_lb.web", "aws_lb", "web"),
    ],
)
def test_component_names_from_addresses(address, rtype, expected):
    from costplan.iac.resources import Resource, component_name

    assert component_name(Resource(address, rtype, {})) == expected


def test_guide_with_the_ultibiker_usage_file_matches_the_reference_stack():
    """With data/ultibiker/costplan-usage.yaml, the usage-priced components the guide's
    Terraform creates price the same as in the hand-written reference stack (us-east-1)."""
    res = import_hcl(GUIDE, usage=read_usage(REPO / "data/ultibiker/costplan-usage.yaml"), region="us-east-1")
    assert res.defaults == [] and res.notes[-1].endswith("have no region in the code; --region us-east-1 is used")
    mine = estimate(res.stack_model()).lines
    ref = estimate(load_stack(REPO / "data/ultibiker/stack.yaml")).lines
    for comp in ("nat_gateways", "flow_logs", "data_transfer", "cloudwatch"):
        a = mine[mine.component == f"us-east-1/{comp}"].ListCost.sum()
        b = ref[ref.component == f"us-east-1/{comp}"].ListCost.sum()
        assert a == pytest.approx(b, abs=0.01), comp
    # and by hand for NAT: 3 gateways x 730 h x $0.045 + 500 GB x $0.045
    assert mine[mine.component == "us-east-1/nat_gateways"].ListCost.sum() == pytest.approx(
        3 * 0.045 * H + 500 * 0.045
    )


def test_hcl_dynamic_blocks_are_counted(tmp_path):
    (tmp_path / "waf.tf").write_text("""
variable "managed" { default = ["common", "bad-inputs", "ip-reputation"] }
resource "aws_wafv2_web_acl" "main" {
  name  = "main"
  scope = "REGIONAL"
  rule {
    name = "rate-limit"
  }
  dynamic "rule" {
    for_each = var.managed
    content {
      name = rule.value
    }
  }
}
resource "aws_wafv2_web_acl" "other" {
  name = "other"
  dynamic "rule" {
    for_each = module.rules.names
    content {
      name = rule.value
    }
  }
}
""")
    res = import_hcl(tmp_path, region="us-east-1")
    assert res.stack["regions"]["us-east-1"]["waf"]["rules"] == 4  # 1 + 3 from `main`, none known for `other`
    assert any("aws_wafv2_web_acl.other: rule is generated by a dynamic block" in u for u in res.unresolved)


def test_hcl_module_switched_off_by_count(tmp_path):
    (tmp_path / "main.tf").write_text("""
variable "nat" { default = false }
module "vpc" {
  source             = "terraform-aws-modules/vpc/aws"
  count              = var.nat ? 1 : 0
  private_subnets    = ["10.0.1.0/24", "10.0.2.0/24"]
  enable_nat_gateway = true
}
resource "aws_kms_key" "k" {}
""")
    assert "nat_gateways" not in import_hcl(tmp_path, region="us-east-1").stack["regions"]["us-east-1"]
    assert (
        import_hcl(tmp_path, variables={"nat": "true"}, region="us-east-1").stack["regions"]["us-east-1"]["nat_gateways"]["count"]
        == 2
    )


def test_register_attaches_to_the_imports_module_group_in_any_order(monkeypatch):
    import importlib.util
    import types

    import typer

    from costplan.cli import iac

    fake = types.ModuleType("costplan.cli.imports")
    fake.import_app = typer.Typer()
    monkeypatch.setitem(sys.modules, "costplan.cli.imports", fake)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: True if name == "costplan.cli.imports" else real_find_spec(name, *a),
    )
    main = typer.Typer()
    iac.register(main)  # before the imports module registers its group
    main.add_typer(fake.import_app, name="import")
    assert {c.name for c in fake.import_app.registered_commands} == {"terraform", "pulumi"}
    assert [g.name for g in main.registered_groups] == ["import"]
