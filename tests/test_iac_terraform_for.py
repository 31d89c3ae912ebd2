"""`for` and splat expressions in a .tf folder, imported end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import P, mini_catalog
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.errors import InputError
from costplan.estimator import estimate
from costplan.iac.terraform_hcl import import_hcl
from costplan.stack.loader import load_stack

DATA = Path(__file__).parent / "data" / "terraform" / "for-splat"
H = 730


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_for_and_splat_values_reach_the_stack():
    r = import_hcl(DATA).stack["regions"]["us-east-1"]
    pools = r["node_pools"]
    # local.active drops the pool with 0 nodes; desired/max come from the loop symbol
    assert set(pools) == {"system", "app", "batch"}
    assert (pools["app"]["instance_types"], pools["app"]["desired"], pools["app"]["max"]) == (
        ["c5.xlarge"],
        3,
        6,
    )
    assert (pools["batch"]["instance_types"], pools["batch"]["desired"], pools["batch"]["max"]) == (
        ["c5.2xlarge"],
        2,
        4,
    )
    # distinct(var.influx_volumes[*].az) has 2 zones; sum(var.pools.*.nodes) = 3 + 2 + 0
    assert (pools["system"]["desired"], pools["system"]["max"]) == (2, 5)
    vols = r["ebs_volumes"]
    influx = {k: v["size_gb"] for k, v in vols.items() if v["why"] == "aws_ebs_volume.influx"}
    # named by their for_each keys (not "influx-influx", "influx-influx-2", ...)
    assert influx == {"influx-0": 200, "influx-1": 300, "influx-2": 150}
    # grouping: us-east-1a holds 200 + 150, us-east-1b 300
    assert vols["backup-us-east-1a"]["size_gb"] == 350 and vols["backup-us-east-1b"]["size_gb"] == 300


def test_a_splat_over_resources_stays_unknown_and_is_reported():
    res = import_hcl(DATA)
    assert any(
        u.startswith(
            "aws_ebs_volume.logs: for_each is attribute of aws_instance.web[*].id (known only after apply)"
        )
        for u in res.unresolved
    )


def test_imported_stack_estimate_by_hand(tmp_path):
    out = tmp_path / "stack.yaml"
    r = run("import", "terraform", DATA, "--out", out)
    assert r.exit_code == 0, r.output
    cat = mini_catalog([P("awskms", "kms-key", "key-month", "Keys", 1.0)])
    total = estimate(load_stack(out), cat).total_monthly_cost
    expected = (
        0.60 * H  # EKS control plane: cluster_version 1.30 left standard support on 2025-07-23 (extended)
        + 1.0  # the module's KMS key
        + (3 * 0.17 * H + 3 * 20 * 0.10)  # app: 3 x c5.xlarge, default 20 GiB gp2 roots
        + (2 * 0.34 * H + 2 * 20 * 0.10)  # batch: 2 x c5.2xlarge
        + (2 * 0.085 * H + 2 * 30 * 0.10)  # system: 2 x c5.large, disk_size 30 (gp2)
        + (200 + 300 + 150) * 0.08  # influx gp3 volumes
        + (350 + 300) * 0.10  # backup gp2 volumes, one per zone
        + 10 * 0.08  # logs: for_each unknown, 1 instance assumed (reported)
    )
    assert total == pytest.approx(expected, abs=0.01)


DUPLICATE = """
variable "volumes" {
  default = [{ az = "a", gb = 100 }, { az = "a", gb = 50 }]
}
resource "aws_ebs_volume" "v" {
  for_each          = { for v in var.volumes : v.az => v }
  availability_zone = each.key
  size              = each.value.gb
}
"""


def test_duplicate_key_is_an_input_error_naming_file_and_resource(tmp_path):
    (tmp_path / "main.tf").write_text(DUPLICATE)
    with pytest.raises(InputError) as exc:
        import_hcl(tmp_path)
    (p,) = exc.value.problems
    assert p.file == str(tmp_path / "main.tf") and p.location == "aws_ebs_volume.v"
    assert 'duplicate key "a"' in p.message and "{ for v in var.volumes : v.az => v }" in p.message
    assert p.line == 5  # the line of the resource block

    out = tmp_path / "stack.yaml"
    r = run("import", "terraform", tmp_path, "--out", out)
    assert r.exit_code == 2
    assert "main.tf" in r.output and "duplicate key" in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_duplicate_key_in_an_attribute_names_the_attribute(tmp_path):
    (tmp_path / "main.tf").write_text("""
locals {
  names         = ["a", "a"]
  names_by_name = { for n in local.names : n => n }
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  size              = 10
  tags              = local.names_by_name
}
resource "aws_ebs_volume" "w" {
  availability_zone = "us-east-1a"
  size              = 10
  tags              = try({ for n in local.names : n => n }, {})
}
""")
    with pytest.raises(InputError) as exc:
        import_hcl(tmp_path)
    # try() catches the error as Terraform's does, so only v is reported
    (p,) = exc.value.problems
    assert p.location == "aws_ebs_volume.v.tags"
    # the expression was read through a local: the message names it
    assert p.message.startswith('local.names_by_name = `{ for n in local.names : n => n }`: duplicate key "a"')


def test_grouping_avoids_the_duplicate_key(tmp_path):
    (tmp_path / "main.tf").write_text(
        DUPLICATE.replace("v.az => v }", "v.az => v.gb... }").replace(
            "size              = each.value.gb", "size              = sum(each.value)"
        )
    )
    r = import_hcl(tmp_path, region="us-east-1").stack["regions"]["us-east-1"]["ebs_volumes"]
    assert [(v["size_gb"], v["count"]) for v in r.values()] == [(150, 1)]


def test_dynamic_block_over_a_filtered_for_expression(tmp_path):
    (tmp_path / "waf.tf").write_text("""
variable "managed" {
  default = {
    common        = { enabled = true }
    bad-inputs    = { enabled = false }
    ip-reputation = { enabled = true }
  }
}
resource "aws_wafv2_web_acl" "main" {
  name  = "main"
  scope = "REGIONAL"
  dynamic "rule" {
    for_each = [for name, r in var.managed : name if r.enabled]
    content {
      name = rule.value
    }
  }
}
""")
    # 2 of the 3 managed rule groups are enabled
    assert import_hcl(tmp_path, region="us-east-1").stack["regions"]["us-east-1"]["waf"]["rules"] == 2
