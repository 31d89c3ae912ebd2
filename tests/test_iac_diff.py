"""`costplan diff`: cost difference between stacks, scenarios and plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import base_stack_dict, mini_catalog
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.estimator import estimate
from costplan.iac.diff import diff_estimates
from costplan.stack.loader import stack_from_data

PLAN = Path(__file__).parent / "data" / "terraform" / "plan-small.json"
H = 730


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def stack_file(tmp_path) -> Path:
    d = base_stack_dict()  # EKS cluster + 6 x c5.xlarge on-demand in us-east-1
    d["scenarios"] = {
        "spot": {
            "description": "app pool on spot",
            "patch": {"regions": {"us-east-1": {"node_pools": {"app": {"capacity": "spot"}}}}},
        },
        "bigger": {
            "description": "two more nodes and a cache",
            "patch": {
                "regions": {
                    "us-east-1": {
                        "node_pools": {"app": {"count": 8}},
                        "elasticache": {"redis": {"node_type": "cache.r7g.large", "nodes": 2}},
                    }
                }
            },
        },
    }
    f = tmp_path / "stack.yaml"
    f.write_text(yaml.safe_dump(d))
    return f


def test_diff_estimates_by_hand():
    base = stack_from_data(base_stack_dict())
    d = base_stack_dict()
    d["regions"]["us-east-1"]["node_pools"]["app"]["count"] = 8
    d["regions"]["us-east-1"]["elasticache"] = {"redis": {"node_type": "cache.r7g.large", "nodes": 2}}
    cat = mini_catalog()
    res = diff_estimates(estimate(base, cat), estimate(stack_from_data(d), cat))
    previous = 0.10 * H + 6 * 0.17 * H
    added_nodes, cache = 2 * 0.17 * H, 2 * 0.219 * H
    assert res.previous_total == pytest.approx(previous)
    assert res.difference == pytest.approx(added_nodes + cache)
    rows = res.components.set_index("component")
    assert rows.loc["us-east-1/node_pools/app", "difference"] == pytest.approx(added_nodes)
    assert rows.loc["us-east-1/node_pools/app", "pct"] == pytest.approx(2 / 6)
    assert rows.loc["us-east-1/elasticache/redis", "previous"] == 0
    assert rows.loc["us-east-1/elasticache/redis", "new"] == pytest.approx(cache)
    # unchanged components are left out of the table unless asked for; the total row is last
    t = res.table()
    assert list(t.component) == ["us-east-1/elasticache/redis", "us-east-1/node_pools/app", "TOTAL"]
    assert len(res.table(include_unchanged=True)) == 4
    md = res.to_markdown()
    assert (
        f"Monthly cost will increase by ${added_nodes + cache:,.2f} (+{(added_nodes + cache) / previous:.1%})"
        in md
    )
    assert "| **Total** |" in md and "| Component | Previous | New | Difference | % |" in md


def test_cli_diff_scenario_json(tmp_path):
    f = stack_file(tmp_path)
    r = run("diff", f, f"{f}#spot", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    # c5.xlarge us-east-1: $0.17/h on-demand, $0.0748/h expected spot price
    assert d["difference"] == pytest.approx(round(6 * (0.0748 - 0.17) * H, 2), abs=0.01)
    assert d["previous_monthly_cost"] == pytest.approx(0.10 * H + 6 * 0.17 * H, abs=0.01)
    app = next(c for c in d["components"] if c["component"] == "us-east-1/node_pools/app")
    assert app["pct"] == pytest.approx((0.0748 - 0.17) / 0.17, abs=1e-4)


def test_cli_diff_markdown_and_table(tmp_path):
    f = stack_file(tmp_path)
    r = run("diff", f, f"{f}#bigger", "--format", "markdown")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("### 💰 costplan: Monthly cost will increase by $")
    assert "us-east-1/elasticache/redis" in r.stdout
    r2 = run("diff", f, f"{f}#bigger")
    assert r2.exit_code == 0 and "Difference: +$" in r2.output


def test_cli_diff_plan_against_edited_stack(tmp_path):
    out = tmp_path / "stack.yaml"
    assert run("import", "terraform", PLAN, "--out", out).exit_code == 0
    data = yaml.safe_load(out.read_text())
    data["regions"]["us-east-1"]["node_pools"]["app"]["desired"] = 5
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False))
    r = run("diff", PLAN, edited, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    # two more c5.xlarge at $0.17/h, each with a 50 GiB gp2 root volume at $0.10/GB-month
    assert d["difference"] == pytest.approx(2 * 0.17 * H + 2 * 50 * 0.10, abs=0.01)
    assert [c["component"] for c in d["components"] if abs(c["difference"]) > 0.001] == [
        "us-east-1/node_pools/app"
    ]
    # what the plan side could not price is said, not dropped
    assert any("skipped 1 x aws_instance" in w for w in d["warnings"])


def test_cli_diff_bad_inputs(tmp_path):
    f = stack_file(tmp_path)
    r = run("diff", f, f"{f}#nope")
    assert r.exit_code == 2 and "unknown scenario 'nope'" in r.output
    r = run("diff", f, tmp_path / "missing.yaml")
    assert r.exit_code == 2 and "file not found" in r.output and "Traceback" not in r.output
