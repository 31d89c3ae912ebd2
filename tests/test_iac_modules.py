"""Module instances (count, for_each, each/count inside modules), module outputs, optional()
type defaults, current Terraform functions and templates, read from .tf folders."""

from __future__ import annotations

import pytest
from helpers import mini_catalog

from costplan.estimator import estimate
from costplan.iac.hcl_eval import Scope, TfError, Unknown, eval_expression, evaluate, parse_expression
from costplan.iac.hcl_types import convert, parse_type
from costplan.iac.terraform_hcl import import_hcl

H = 730


def write(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_registry_module_with_count_two_is_priced_twice(tmp_path):
    """`count = 2` on the eks module: two clusters ($876.00), not one ($438.00): Kubernetes 1.33
    left EKS standard support on 2026-07-29, so each control plane bills $0.60/h extended support."""
    write(tmp_path, {"main.tf": """
provider "aws" { region = "us-east-1" }
module "eks" {
  source             = "terraform-aws-modules/eks/aws"
  version            = "~> 21.0"
  count              = 2
  name               = "shop-${count.index}"
  kubernetes_version = "1.33"
  create_kms_key     = false
  create_cloudwatch_log_group = false
}
"""})
    res = import_hcl(tmp_path)
    assert set(res.stack["regions"]["us-east-1"]["eks_clusters"]) == {"shop-0", "shop-1"}
    assert estimate(res.stack_model(), mini_catalog()).total_monthly_cost == pytest.approx(2 * 0.60 * H)


def test_registry_module_with_for_each_reads_each_value(tmp_path):
    """`for_each` on the eks module: each instance's node group takes its own instance type
    (before: instance type None)."""
    write(tmp_path, {"main.tf": """
provider "aws" { region = "us-east-1" }
locals {
  clusters = { blue = "c5.large", green = "c5.xlarge" }
}
module "eks" {
  source   = "terraform-aws-modules/eks/aws"
  for_each = local.clusters
  name     = each.key
  eks_managed_node_groups = {
    app = { instance_types = [each.value], min_size = 1, max_size = 4, desired_size = 2 }
  }
}
"""})
    pools = import_hcl(tmp_path).stack["regions"]["us-east-1"]["node_pools"]
    assert {k: (p["instance_types"], p["desired"]) for k, p in pools.items()} == {
        "app": (["c5.large"], 2),
        "green-app": (["c5.xlarge"], 2),  # the same group name in the second instance: its key first
    }


def test_local_module_with_for_each_and_count_index_inside(tmp_path):
    """A local module (`source = "../.."`-style) called with for_each is expanded per key; a
    resource with count inside it sees count.index and each.* of its module's instance."""
    write(tmp_path, {
        "modules/pool/main.tf": """
variable "type" {}
variable "disks" { default = 1 }
resource "aws_eks_node_group" "this" {
  node_group_name = "pool"
  instance_types  = [var.type]
  scaling_config {
    desired_size = 3
    min_size     = 1
    max_size     = 5
  }
}
resource "aws_ebs_volume" "data" {
  count = var.disks
  size  = 10 * (count.index + 1)
  type  = "gp3"
}
output "name" { value = aws_eks_node_group.this.node_group_name }
""",
        "root/main.tf": """
provider "aws" { region = "us-east-1" }
module "pool" {
  source   = "../modules/pool"
  for_each = { app = "c5.xlarge", batch = "c5.2xlarge" }
  type     = each.value
  disks    = each.key == "app" ? 2 : 1
}
resource "aws_s3_bucket" "b" { bucket = "logs-${module.pool["app"].name}" }
""",
    })
    res = import_hcl(tmp_path / "root")
    r = res.stack["regions"]["us-east-1"]
    addresses = {p["address"] for p in res.priced}
    assert 'module.pool["app"].aws_eks_node_group.this' in addresses
    assert 'module.pool["batch"].aws_eks_node_group.this' in addresses
    assert sorted(p["instance_types"][0] for p in r["node_pools"].values()) == ["c5.2xlarge", "c5.xlarge"]
    sizes = sorted(v["size_gb"] * v["count"] for v in r["ebs_volumes"].values())
    assert sizes == [10, 10, 20]  # app: 10 and 20 GiB (count.index 0, 1); batch: 10 GiB
    assert "logs-pool" in r["s3"]  # a module output, through the instance key


def test_local_module_with_count_two(tmp_path):
    write(tmp_path, {
        "cache/main.tf": """
variable "name" {}
resource "aws_elasticache_replication_group" "this" {
  replication_group_id = var.name
  description          = "x"
  node_type            = "cache.r7g.large"
  num_cache_clusters   = 2
}
""",
        "main.tf": """
provider "aws" { region = "us-east-1" }
module "cache" {
  source = "./cache"
  count  = 2
  name   = "sessions-${count.index}"
}
""",
    })
    ec = import_hcl(tmp_path).stack["regions"]["us-east-1"]["elasticache"]
    assert {k: v["nodes"] for k, v in ec.items()} == {"sessions-0": 2, "sessions-1": 2}


def test_optional_attribute_defaults_are_applied(tmp_path):
    """`optional(type, default)` in a variable's object type, as Terraform fills it in."""
    write(tmp_path, {"main.tf": """
provider "aws" { region = "us-east-1" }
variable "pools" {
  type = map(object({
    instance_type = optional(string, "c5.large")
    size          = optional(number, 2)
    disk          = optional(object({ gb = optional(number, 50), type = optional(string, "gp3") }), {})
  }))
  default = {
    app   = { size = 3 }
    batch = { instance_type = "c5.xlarge", disk = { gb = 100 } }
  }
}
resource "aws_eks_node_group" "pool" {
  for_each        = var.pools
  node_group_name = each.key
  instance_types  = [each.value.instance_type]
  disk_size       = each.value.disk.gb
  scaling_config {
    desired_size = each.value.size
    min_size     = 1
    max_size     = 10
  }
}
"""})
    pools = import_hcl(tmp_path).stack["regions"]["us-east-1"]["node_pools"]
    assert (pools["app"]["instance_types"], pools["app"]["desired"], pools["app"]["root_volume"]["size_gb"]) == (
        ["c5.large"],
        3,
        50,
    )
    assert (pools["batch"]["instance_types"], pools["batch"]["desired"], pools["batch"]["root_volume"]["size_gb"]) == (
        ["c5.xlarge"],
        2,
        100,
    )


def test_nullable_false_takes_the_default_for_null():
    t = parse_type(parse_expression("object({ a = optional(number, 1), b = optional(list(string)) })").tree)
    assert convert({"b": ["x"]}, t) == {"a": 1, "b": ["x"]}
    assert convert({"a": None, "c": 9}, t) == {"a": 1, "b": None}  # undeclared attributes are dropped
    assert convert("5", ("number",)) == 5 and convert(True, ("string",)) == "true"


@pytest.mark.parametrize(
    "expr,expected",
    [
        ('startswith("db.r6g.large", "db.")', True),
        ('endswith("c5.xlarge", "xlarge")', True),
        ('strcontains("m6i.large", "6i")', True),
        ('one(["x"])', "x"),
        ("one([])", None),
        ('coalesce("", null, "b")', "b"),
        ('cidrsubnet("10.0.0.0/16", 4, 2)', "10.0.32.0/20"),
        ('cidrsubnet("10.0.0.0/16", 8, 48)', "10.0.48.0/24"),
        ('cidrhost("10.0.1.0/24", 5)', "10.0.1.5"),
        ('cidrsubnets("10.1.0.0/16", 4, 4, 8)', ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24"]),
        ('setproduct(["a", "b"], [1, 2])', [["a", 1], ["a", 2], ["b", 1], ["b", 2]]),
        ("flatten([[1, [2]], [], [3]])", [1, 2, 3]),
        ('format("%s-%03d", "node", 7)', "node-007"),
        ('formatlist("%s.large", ["c5", "m5"])', ["c5.large", "m5.large"]),
        ('join(",", ["a", "b"])', "a,b"),
        ('split(".", "c5.xlarge")[0]', "c5"),
        ('replace("m5.large", "/^m(\\\\d)/", "r$1")', "r5.large"),
        ('regex("^([a-z]+)(\\\\d+)", "c5.xlarge")', ["c", "5"]),
        ('title("hello world")', "Hello World"),
        ('trimprefix("db.r6g.large", "db.")', "r6g.large"),
        ('substr("c5.xlarge", 3, -1)', "xlarge"),
        ('jsonencode({b = 1, a = [true]})', '{"a":[true],"b":1}'),
        ('jsondecode("{\\"n\\": 2}").n', 2),
        ('lookup({a = 1}, "b", 5)', 5),
        ("range(3)", [0, 1, 2]),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ("alltrue([true, 1 == 1])", True),
        ('contains(["a"], "b")', False),
        ("sum([1, 2.5])", 3.5),
        ("max([3, 9]...)", 9),
        ('try(tonumber("x"), 7)', 7),
        ('can(regex("^x", "abc"))', False),
        ('base64decode(base64encode("hi"))', "hi"),
        ("length(toset([1, 1, 2]))", 2),
        ("timestamp()", None),  # unknown: changes on every run
    ],
)
def test_functions(expr, expected):
    v = eval_expression(expr, Scope())
    if expected is None and isinstance(v, Unknown):
        assert "every run" in v.reason
        return
    assert v == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ('"%{ for s in ["a", "b"] }${s},%{ endfor }"', "a,b,"),
        ('"%{ for i, s in ["a", "b"] ~}\n  ${i}=${s}\n%{~ endfor }"', "0=a1=b"),
        ('"%{ if var.n > 2 }big%{ else }small%{ endif }"', "big"),
        ('"x-${var.n}"', "x-3"),
        ('"${var.n}"', 3),  # one interpolation alone keeps its type
        ('"$${not} %%{not}"', "${not} %{not}"),
    ],
)
def test_templates(text, expected):
    assert eval_expression(text, Scope(variables={"n": 3})) == expected


def test_heredoc_templates_with_directives():
    e = parse_expression('<<-EOT\n  %{ for t in var.types ~}\n  - ${t}\n  %{ endfor ~}\n  EOT\n')
    assert evaluate(e, Scope(variables={"types": ["c5.large", "m5.large"]})) == "- c5.large\n- m5.large\n"


def test_templatefile_reads_relative_to_the_root(tmp_path):
    (tmp_path / "pools.tpl").write_text("%{ for p in pools }${p.name}=${p.n};%{ endfor }")
    write(tmp_path, {"main.tf": """
provider "aws" { region = "us-east-1" }
locals {
  spec = templatefile("${path.module}/pools.tpl", { pools = [{ name = "app", n = 3 }] })
}
resource "aws_s3_bucket" "b" { bucket = local.spec }
"""})
    assert "app=3;" in import_hcl(tmp_path).stack["regions"]["us-east-1"]["s3"]


def test_plan_time_errors_are_caught_by_try_and_unknown_elsewhere():
    s = Scope(variables={"m": {"a": 1}, "l": [1]})
    assert eval_expression("try(var.m.b, var.l[5], 9)", s) == 9
    v = eval_expression("var.l[5]", s)
    assert isinstance(v, Unknown) and "out of range" in v.reason
    with pytest.raises(TfError):
        from costplan.iac.hcl_functions import call_function

        call_function("one", [[1, 2]], s)
