"""Where each resource's region comes from: provider blocks and aliases, a module's providers
map, var.region with its default or tfvars, terragrunt inputs and generated providers,
--region; with none of them, an error asking for --region (never a silent us-east-1)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.errors import InputError
from costplan.iac import pulumi
from costplan.iac.terraform_hcl import import_hcl
from costplan.iac.terraform_plan import parse_plan

BUCKET = 'resource "aws_kms_key" "k" {}\n'


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def regions(tmp_path, text, **kw):
    (tmp_path / "main.tf").write_text(text)
    return set(import_hcl(tmp_path, **kw).stack["regions"])


def test_variable_default_and_tfvars(tmp_path):
    text = 'variable "region" { default = "eu-west-1" }\nprovider "aws" { region = var.region }\n' + BUCKET
    assert regions(tmp_path, text) == {"eu-west-1"}
    (tmp_path / "terraform.tfvars").write_text('region = "ap-south-1"\n')
    assert regions(tmp_path, text) == {"ap-south-1"}


def test_a_variable_without_a_value_is_an_error_asking_for_region(tmp_path):
    (tmp_path / "main.tf").write_text('variable "region" {}\nprovider "aws" { region = var.region }\n' + BUCKET)
    with pytest.raises(InputError) as exc:
        import_hcl(tmp_path)
    msg = str(exc.value)
    assert "cannot be determined" in msg and "var.region has no value" in msg and "--region" in msg
    out = tmp_path / "stack.yaml"
    r = run("import", "terraform", tmp_path, "--out", out)
    assert r.exit_code == 2 and "--region" in r.output and "Traceback" not in r.output and not out.exists()
    # --region gives it
    assert set(import_hcl(tmp_path, region="eu-central-1").stack["regions"]) == {"eu-central-1"}


def test_no_provider_block_is_an_error_not_us_east_1(tmp_path):
    (tmp_path / "main.tf").write_text(BUCKET)
    with pytest.raises(InputError, match="no provider \"aws\" block sets a region"):
        import_hcl(tmp_path)


def test_aliases_and_a_module_providers_map(tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('resource "aws_kms_key" "inner" {}\n')
    (tmp_path / "main.tf").write_text("""
provider "aws" { region = "us-east-1" }
provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}
resource "aws_kms_key" "main" {}
resource "aws_kms_key" "backup" { provider = aws.dr }
module "replica" {
  source    = "./mod"
  providers = { aws = aws.dr }
}
""")
    res = import_hcl(tmp_path)
    assert res.stack["regions"]["us-east-1"]["kms"]["keys"] == 1
    assert res.stack["regions"]["us-west-2"]["kms"]["keys"] == 2


def test_a_resource_region_attribute_wins(tmp_path):
    text = 'provider "aws" { region = "us-east-1" }\nresource "aws_kms_key" "k" { region = "eu-west-2" }\n'
    assert regions(tmp_path, text) == {"eu-west-2"}


def test_terragrunt_inputs_and_generated_provider(tmp_path):
    """A common terragrunt layout: the root config generates the provider block from a
    region.hcl found above the stack; the stack passes inputs."""
    live = tmp_path / "live" / "eu-west-1" / "cache"
    live.mkdir(parents=True)
    code = tmp_path / "modules" / "cache"
    code.mkdir(parents=True)
    (tmp_path / "live" / "root.hcl").write_text("""
locals {
  region_vars = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  aws_region  = local.region_vars.locals.aws_region
}
generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
provider "aws" {
  region = "${local.aws_region}"
}
EOF
}
inputs = { env = "prod" }
""")
    (tmp_path / "live" / "eu-west-1" / "region.hcl").write_text('locals {\n  aws_region = "eu-west-1"\n}\n')
    (live / "terragrunt.hcl").write_text("""
include "root" {
  path = find_in_parent_folders("root.hcl")
}
terraform {
  source = "../../../modules//cache"
}
inputs = {
  nodes = 3
}
""")
    (code / "main.tf").write_text("""
variable "env" {}
variable "nodes" { default = 1 }
resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "sessions-${var.env}"
  description          = "x"
  node_type            = "cache.r7g.large"
  num_cache_clusters   = var.nodes
}
""")
    res = import_hcl(live)
    assert res.stack["regions"] == {
        "eu-west-1": {"elasticache": {"sessions-prod": {"node_type": "cache.r7g.large", "engine": "redis", "nodes": 3}}}
    }


def test_terragrunt_registry_source_is_emulated(tmp_path):
    (tmp_path / "terragrunt.hcl").write_text("""
terraform {
  source = "tfr:///terraform-aws-modules/vpc/aws?version=5.8.1"
}
generate "provider" {
  path     = "provider.tf"
  contents = "provider \\"aws\\" {\\n  region = \\"eu-central-1\\"\\n}\\n"
}
inputs = {
  azs                = ["a", "b"]
  private_subnets    = ["10.0.1.0/24", "10.0.2.0/24"]
  enable_nat_gateway = true
}
""")
    r = import_hcl(tmp_path).stack["regions"]["eu-central-1"]
    assert r["nat_gateways"]["count"] == 2 and r["public_ipv4"]["addresses"] == 2


def test_plan_without_a_provider_region_is_an_error():
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "values": {}}]}}}
    from costplan.iac.resources import build_stack

    resources, _ = parse_plan(plan, "plan.json")
    with pytest.raises(InputError, match="give --region"):
        build_stack(resources, name="p", source="plan.json")
    assert set(build_stack(resources, name="p", source="plan.json", default_region="sa-east-1").stack["regions"]) == {"sa-east-1"}


def test_pulumi_checkpoint_file(tmp_path):
    """A backend's own checkpoint file (not wrapped as `pulumi stack export`), version 3,
    whose default provider takes the stack's aws:region."""
    urn = "urn:pulumi:prod::shop::"
    cp = {
        "version": 3,
        "checkpoint": {
            "stack": "organization/shop/prod",
            "config": {"aws:region": "eu-west-1"},
            "latest": {
                "manifest": {"time": "2026-11-30T10:00:00Z", "version": "v3.140.0"},
                "resources": [
                    {"urn": f"{urn}pulumi:pulumi:Stack::shop-prod", "custom": False, "type": "pulumi:pulumi:Stack"},
                    {"urn": f"{urn}pulumi:providers:aws::default_6_60_0", "custom": True, "id": "p1",
                     "type": "pulumi:providers:aws", "inputs": {}, "outputs": {}},
                    {"urn": f"{urn}aws:kms/key:Key::app-key", "custom": True, "id": "k1", "type": "aws:kms/key:Key",
                     "inputs": {}, "outputs": {}, "provider": f"{urn}pulumi:providers:aws::default_6_60_0::p1"},
                ],
            },
        },
    }
    f = tmp_path / "prod.json"
    f.write_text(json.dumps(cp))
    res = pulumi.import_pulumi(pulumi.read_export(f), source=str(f))
    assert res.stack["regions"]["eu-west-1"]["kms"]["keys"] == 1
    import gzip

    g = tmp_path / "prod.json.gz"
    g.write_bytes(gzip.compress(json.dumps(cp).encode()))
    assert pulumi.import_pulumi(pulumi.read_export(g), source=str(g)).stack["regions"] == res.stack["regions"]
    r = run("import", "pulumi", f, "--format", "json")
    assert r.exit_code == 0, r.output
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"version": 3, "checkpoint": {"stack": "x", "latest": None}}))
    r = run("import", "pulumi", empty)
    assert r.exit_code == 2 and "has not been deployed" in r.output
