"""The terraform-aws-modules examples, imported as written (tests/data/terraform-aws-modules,
see PROVENANCE.md there): every billable resource is priced or listed with a reason, and the
node, database and cache counts are what each example's own code creates.

Counts are read by hand from the example's .tf files (quoted in each test); prices are the
list prices written in the test, times 730 hours. The estimates of the examples use a test
catalog of the prices written here (AWS list prices, where the embedded catalog has
estimate-grade ones); `test_embedded_catalog_prices_every_example` prices every example with
the embedded catalog.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import P, mini_catalog

from costplan.estimator import estimate
from costplan.iac.terraform_hcl import import_hcl

MODULES = Path(__file__).parent / "data" / "terraform-aws-modules"
EKS = MODULES / "terraform-aws-eks"
RDS = MODULES / "terraform-aws-rds"
CACHE = MODULES / "terraform-aws-elasticache"
VPC = MODULES / "terraform-aws-vpc"
H = 730
EU = "eu-west-1"

# The EKS examples run Kubernetes 1.33 (kubernetes_version in their .tf), which left EKS standard
# support on 2026-07-29: their control planes bill the extended-support rate, $0.60/h.
EKS_133 = 0.60
# eu-west-1 list prices (USD): EC2 on-demand Linux, EKS, NAT, public IPv4, KMS, CloudWatch
# Logs, EBS gp2 (AWS pricing pages), ElastiCache cache.t4g.small Redis (ec2instances.info
# elasticache-instances.json, 2025-04-24), RDS for PostgreSQL db.t4g.large and gp2 storage.
EU_PRICES = [
    P("AmazonEC2", "m6i.large", "instance-hour", "Hrs", 0.107, region=EU),
    P("AmazonEC2", "m5.large", "instance-hour", "Hrs", 0.107, region=EU),
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.10, region=EU, variant="standard"),
    P("AmazonEKS", "eks-cluster", "cluster-hour", "Hrs", 0.60, region=EU, variant="extended"),
    P("AmazonEC2", "nat-gateway", "hour", "Hrs", 0.048, region=EU),
    P("AmazonEC2", "nat-gateway", "gb-processed", "GB", 0.048, region=EU),
    P("AmazonVPC", "public-ipv4", "hour", "Hrs", 0.005, region=EU),
    P("awskms", "kms-key", "key-month", "Keys", 1.0, region=EU),
    P("awskms", "kms-key", "key-month", "Keys", 1.0, region="eu-central-1"),
    P("AmazonCloudWatch", "cloudwatch-logs", "ingest-gb", "GB", 0.57, region=EU),
    P("AmazonCloudWatch", "cloudwatch-logs", "storage-gb-month", "GB-Mo", 0.03, region=EU),
    P("AmazonEC2", "gp2", "storage-gb-month", "GB-Mo", 0.11, region=EU),
    P("AmazonElastiCache", "cache.t4g.small", "node-hour", "Hrs", 0.034, region=EU, variant="redis"),
    P("AmazonRDS", "db.t4g.large", "instance-hour", "Hrs", 0.136, region=EU, variant="postgresql:single-az"),
    P("AmazonRDS", "db.t4g.large", "instance-hour", "Hrs", 0.272, region=EU, variant="postgresql:multi-az"),
    P("AmazonRDS", "gp2", "storage-gb-month", "GB-Mo", 0.253, region=EU, variant="multi-az"),
    P("AmazonRDS", "gp2", "storage-gb-month", "GB-Mo", 0.1265, region=EU, variant="single-az"),
]


def cat():
    return mini_catalog(EU_PRICES)


def cost(result, component: str) -> float:
    lines = result.lines
    return float(lines[lines.component == component].ListCost.sum())


def sections(res) -> dict:
    return res.stack["regions"]


# --- terraform-aws-eks -------------------------------------------------------------------
def test_eks_managed_node_group_example():
    """examples/eks-managed-node-group: two clusters (eks-al2023.tf, eks-bottlerocket.tf), each
    `eks_managed_node_groups = { example = { instance_types = ["m6i.large"], min_size = 2,
    max_size = 5, desired_size = 2 } }`; the vpc module with `single_nat_gateway = true`."""
    res = import_hcl(EKS / "examples" / "eks-managed-node-group")
    r = sections(res)
    assert set(r) == {EU}  # provider "aws" { region = local.region }, local.region = "eu-west-1"
    eu = r[EU]
    assert set(eu["eks_clusters"]) == {"ex-eks-mng-al2023", "ex-eks-mng-bottlerocket"}
    assert {k: (p["instance_types"], p["min"], p["desired"], p["max"]) for k, p in eu["node_pools"].items()} == {
        "example": (["m6i.large"], 2, 2, 5),
        "eks_bottlerocket-example": (["m6i.large"], 2, 2, 5),
    }
    assert eu["nat_gateways"]["count"] == 1 and eu["public_ipv4"]["addresses"] == 1
    assert eu["kms"]["keys"] == 2  # the module's KMS key per cluster (create_kms_key defaults to true)
    assert res.skipped == []
    # no disk set anywhere: the default, said so on the line
    assert eu["node_pools"]["example"]["root_volume"]["why"].startswith("default: 20 GiB gp2")
    total = estimate(res.stack_model(), cat()).total_monthly_cost
    by_hand = (
        2 * EKS_133 * H  # two EKS control planes (Kubernetes 1.33, extended support)
        + 4 * 0.107 * H  # 2 x 2 m6i.large on-demand
        + 4 * 20 * 0.11  # their 20 GiB gp2 node disks
        + 0.048 * H  # one NAT gateway
        + 0.005 * H  # its Elastic IP
        + 2 * 1.0  # two KMS keys
    )
    assert total == pytest.approx(by_hand)


def test_eks_module_from_disk_matches_the_emulation(tmp_path):
    """With the registry modules on disk (as `terraform init` leaves them), the real
    terraform-aws-eks and terraform-aws-vpc code gives the same billable resources as the
    built-in understanding of those modules."""
    ex = tmp_path / "eks-managed-node-group"
    shutil.copytree(EKS / "examples" / "eks-managed-node-group", ex)
    (ex / ".terraform" / "modules").mkdir(parents=True)
    modules = [{"Key": "", "Source": "", "Dir": "."}] + [
        {"Key": k, "Source": f"registry.terraform.io/terraform-aws-modules/{s}/aws", "Dir": str(d)}
        for k, s, d in (("eks_al2023", "eks", EKS), ("eks_bottlerocket", "eks", EKS), ("vpc", "vpc", VPC))
    ]
    (ex / ".terraform" / "modules" / "modules.json").write_text(json.dumps({"Modules": modules}))
    real = sections(import_hcl(ex))[EU]
    emulated = sections(import_hcl(EKS / "examples" / "eks-managed-node-group"))[EU]
    for key in ("eks_clusters", "nat_gateways", "public_ipv4", "kms"):
        assert real[key] == emulated[key], key

    def pools(sec):
        return {
            k: (p["instance_types"], p["min"], p["desired"], p["max"], p["capacity"], p["root_volume"]["size_gb"])
            for k, p in sec["node_pools"].items()
        }

    assert pools(real) == pools(emulated)
    # the real module makes its own launch template (use_custom_launch_template defaults to
    # true), which sets no block device: the default disk, and the line says why
    assert "aws_launch_template.this[0] sets no block device" in real["node_pools"]["example"]["root_volume"]["why"]
    real = import_hcl(ex)
    assert real.skipped == []
    # the vpc module's subnets, routes and ACLs, the cluster's IAM and security groups: not billed
    assert real.free_by_type()["aws_subnet"] >= 1 and "aws_iam_role" in real.free_by_type()


def test_self_managed_node_group_example():
    """examples/self-managed-node-group: two clusters, each `self_managed_node_groups = {
    example = { instance_type = "m6i.large", min_size = 2, max_size = 5, desired_size = 2 } }`:
    an Auto Scaling group launching from the module's launch template."""
    res = import_hcl(EKS / "examples" / "self-managed-node-group")
    eu = sections(res)[EU]
    assert set(eu["eks_clusters"]) == {"ex-self-mng-al2023", "ex-self-mng-bottlerocket"}
    pools = eu["node_pools"]
    assert {k: (p["instance_types"], p["min"], p["desired"], p["max"], p["capacity"]) for k, p in pools.items()} == {
        "example": (["m6i.large"], 2, 2, 5, "on_demand"),
        "eks_bottlerocket-example": (["m6i.large"], 2, 2, 5, "on_demand"),
    }
    assert "self-managed Auto Scaling group" in pools["example"]["why"]
    assert res.skipped == []
    total = estimate(res.stack_model(), cat()).total_monthly_cost
    assert total == pytest.approx(2 * EKS_133 * H + 4 * 0.107 * H + 4 * 20 * 0.11 + 0.048 * H + 0.005 * H + 2 * 1.0)


def test_karpenter_example_reads_the_local_module_and_its_for_each():
    """examples/karpenter calls the module from `source = "../.."`; the module's node_groups.tf
    calls ./modules/eks-managed-node-group with `for_each = ... var.eks_managed_node_groups`.
    Its one group: `karpenter = { instance_types = ["m5.large"], min_size = 2, max_size = 3,
    desired_size = 2 }`. Every price here is in the embedded catalog."""
    res = import_hcl(EKS / "examples" / "karpenter")
    eu = sections(res)[EU]
    assert eu["node_pools"] == {
        "karpenter": {
            "instance_types": ["m5.large"],
            "min": 2,
            "max": 3,
            "desired": 2,
            "capacity": "on_demand",
            "root_volume": {
                "type": "gp2",
                "size_gb": 20,
                "why": 'default: 20 GiB gp2 node disk (module.eks.module.eks_managed_node_group["karpenter"].'
                "aws_launch_template.this[0] sets no block device)",
            },
            "why": 'EKS managed node group module.eks.module.eks_managed_node_group["karpenter"].aws_eks_node_group.this[0]',
        }
    }
    assert set(eu["eks_clusters"]) == {"ex-karpenter"}
    # the karpenter module's SQS queue is billed per request: listed with that reason
    assert [(s.type, s.address) for s in res.skipped] == [("aws_sqs_queue", "module.karpenter.aws_sqs_queue.this[0]")]
    assert "per request" in res.skipped[0].reason
    # the disabled module (create = false) adds nothing
    assert not any("karpenter_disabled" in p["address"] for p in res.priced)
    total = estimate(res.stack_model()).total_monthly_cost
    # m5.large eu-west-1 is estimate-grade: us-east-1 0.096 x the cache.m5 eu-west-1 factor
    # 0.172/0.156 (see test_reference_stack.py) = 0.105846 (AWS's list price: 0.107)
    m5_eu = round(0.096 * 0.172 / 0.156, 6)
    by_hand = EKS_133 * H + 2 * m5_eu * H + 2 * 20 * 0.11 + 0.048 * H + 0.005 * H + 1.0
    assert total == pytest.approx(by_hand, abs=0.01)  # $636.63, not $477.69 without the node group


# --- terraform-aws-rds -------------------------------------------------------------------
def test_rds_complete_postgres_example():
    """examples/complete-postgres: module "db" (db.t4g.large, multi_az = true,
    allocated_storage = 20, max_allocated_storage = 100, two CloudWatch log exports),
    module "db_default" (db.t4g.large, 20 GB, identifier prefix), module "db_disabled"
    (create_db_instance = false), a KMS key in eu-central-1 (provider aws.region2) and
    automated backups replicated there."""
    res = import_hcl(RDS / "examples" / "complete-postgres")
    r = sections(res)
    rds = r[EU]["rds"]
    assert set(rds) == {"complete-postgresql", "complete-postgresql-default"}
    db = rds["complete-postgresql"]
    assert (db["instance_class"], db["multi_az"], db["storage"]["size_gb"], db["storage"]["max_size_gb"]) == (
        "db.t4g.large",
        True,
        20,
        100,
    )
    assert db["storage"]["type"] == "gp2" and db["storage"]["why"].startswith("default: storage_type gp2")
    assert rds["complete-postgresql-default"]["multi_az"] is False
    assert r["eu-central-1"]["kms"]["keys"] == 1  # provider alias region2 = eu-central-1
    skipped = {s.type: s.reason for s in res.skipped}
    assert set(skipped) == {"aws_db_instance_automated_backups_replication"}
    assert "not priced" in skipped["aws_db_instance_automated_backups_replication"]
    lines = estimate(res.stack_model(), cat())
    assert cost(lines, f"{EU}/rds/complete-postgresql") == pytest.approx(0.272 * H + 20 * 0.253)
    assert cost(lines, f"{EU}/rds/complete-postgresql-default") == pytest.approx(0.136 * H + 20 * 0.1265)


def test_rds_replica_from_a_module_output():
    """examples/replica-postgres: module "master" (multi_az = true) and module "replica"
    with `replicate_source_db = module.master.db_instance_identifier`, both db.t4g.large with
    20 GB: one primary with one read replica."""
    res = import_hcl(RDS / "examples" / "replica-postgres")
    rds = sections(res)[EU]["rds"]
    assert list(rds) == ["replica-postgresql-master"]
    assert rds["replica-postgresql-master"]["read_replicas"] == {
        "replica-postgresql-replica": {"instance_class": "db.t4g.large"}
    }
    assert res.skipped == []
    lines = estimate(res.stack_model(), cat())
    # primary Multi-AZ + 20 GB gp2 Multi-AZ; replica single-AZ + 20 GB gp2 single-AZ (its own copy)
    by_hand = 0.272 * H + 20 * 0.253 + 0.136 * H + 20 * 0.1265
    assert lines.total_monthly_cost == pytest.approx(by_hand)


# --- terraform-aws-elasticache -----------------------------------------------------------
def test_elasticache_replication_group_example():
    """examples/redis-replication-group: cache.t4g.small, no num_cache_clusters (the module's
    default null: one node, AWS's default), a slow-log CloudWatch log group."""
    res = import_hcl(CACHE / "examples" / "redis-replication-group")
    eu = sections(res)[EU]
    assert eu["elasticache"] == {"ex-redis-replication-group": {"node_type": "cache.t4g.small", "engine": "redis", "nodes": 1}}
    assert any("num_cache_clusters not set; 1 node" in u for u in res.unresolved)
    assert res.skipped == []
    lines = estimate(res.stack_model(), cat())
    assert cost(lines, f"{EU}/elasticache/ex-redis-replication-group") == pytest.approx(0.034 * H)


def test_elasticache_cluster_mode_example():
    """examples/redis-cluster-mode: `num_node_groups = 2`, `replicas_per_node_group = 3`:
    2 shards x (1 primary + 3 replicas) = 8 nodes; its users and user group are not billed."""
    res = import_hcl(CACHE / "examples" / "redis-cluster-mode")
    eu = sections(res)[EU]
    assert eu["elasticache"]["ex-redis-cluster-mode"]["nodes"] == 2 * (3 + 1)
    assert res.skipped == []
    assert res.free_by_type()["aws_elasticache_user"] == 4  # default + moe, larry, curly
    lines = estimate(res.stack_model(), cat())
    assert cost(lines, f"{EU}/elasticache/ex-redis-cluster-mode") == pytest.approx(8 * 0.034 * H)


EXAMPLES = [
    EKS / "examples" / "eks-managed-node-group",
    EKS / "examples" / "self-managed-node-group",
    EKS / "examples" / "karpenter",
    RDS / "examples" / "complete-postgres",
    RDS / "examples" / "replica-postgres",
    CACHE / "examples" / "redis-replication-group",
    CACHE / "examples" / "redis-cluster-mode",
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_resource_is_priced_free_or_skipped_with_a_reason(example):
    res = import_hcl(example)
    assert all(s.reason for s in res.skipped)
    assert res.priced
    res.stack_model()


def test_embedded_catalog_prices_every_example():
    # every example, as imported, prices with the embedded catalog: no missing price (estimate
    # raises InputError naming every missing one), and the classes the examples use are there
    seen = set()
    for example in EXAMPLES:
        res = estimate(import_hcl(example).stack_model())
        assert res.total_monthly_cost > 0
        seen |= set(zip(res.lines.sku, res.lines.RegionId, strict=True))
    for sku in ("m6i.large", "db.t4g.large", "cache.t4g.small"):
        assert any(s == sku for s, _ in seen), sku
