"""`costplan project` and `costplan commitments` run as a user runs them (subprocess)."""

from __future__ import annotations

import json

import pytest
import yaml
from cli_runner import costplan
from helpers import LIST
from projection_stacks import mini_dict

from costplan.pricing.catalog import write_catalog

H = 730


@pytest.fixture
def cat(tmp_path):
    return str(write_catalog(LIST, tmp_path / "cat" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"}))


@pytest.fixture
def stack(write):
    d = mini_dict()
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 0.2}}}
    d["scenarios"] = {"spot": {"description": "app pool on spot",
                               "patch": {"regions": {"us-east-1": {"node_pools": {"app": {"capacity": "spot"}}}}}}}
    return write("s.yaml", yaml.safe_dump(d))


def test_project_json_central_path(stack, cat):
    r = costplan("project", str(stack), "--catalog", cat, "--simulations", "0", "--months", "13", "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    m = {x["month"]: x for x in out["monthly"]}
    assert len(m) == 13
    assert m[12]["users_p50"] == pytest.approx(1350)
    # month 12: EKS + 2 c5.xlarge + 1,350 GB egress (the account's first 100 GB free) + the $0.2/h
    # plan (fee - covered on-demand)
    plan = 0.2 * H - 0.2 / 0.107 * 0.17 * H
    assert m[12]["p50"] == pytest.approx(0.1 * H + 2 * 0.17 * H + (1350 - 100) * 0.09 + plan)
    assert out["simulations"] == 0 and out["seed"] == 42
    assert out["per_user_notes"]


@pytest.mark.parametrize("view,fmt", [("monthly", "table"), ("monthly", "markdown"), ("components", "csv"),
                                      ("capacity", "csv"), ("steps", "csv"), ("per-user", "csv"), ("spot", "table")])
def test_project_views_and_formats(stack, cat, fmt, view):
    r = costplan("project", str(stack), "--catalog", cat, "-n", "50", "--view", view, "--format", fmt)
    assert r.code == 0, r.err
    if fmt == "csv":
        header = r.out.splitlines()[0]
        assert {"components": "component", "capacity": "resource", "steps": "resource",
                "per-user": "marginal_per_1000_users"}[view] in header
    if fmt == "markdown":
        assert "|---" in r.out


def test_project_scenarios(stack, cat):
    r = costplan("project", str(stack), "--catalog", cat, "-n", "0", "--months", "6", "--scenario", "spot",
                 "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    s = {x["scenario"]: x for x in out["summary"]}
    assert set(s) == {"base", "spot"}
    # 2 nodes all six months. Base: on-demand pool, the $0.2/h plan covering 0.2/0.107 nodes.
    base = 2 * 0.17 * H + 0.2 * H - 0.2 / 0.107 * 0.17 * H
    # Spot: the pool is cheaper but the plan finds no on-demand usage left: its fee is wasted.
    spot = 2 * H * (0.1 * 0.17 + 0.9 * 0.0748) + 0.2 * H
    assert s["spot"]["diff_total_p50"] == pytest.approx(6 * (spot - base))
    assert s["spot"]["diff_total_p50"] > 0


def test_project_bad_input_exits_2(stack, cat, write):
    r = costplan("project", str(stack), "--catalog", cat, "--view", "nodes")
    assert r.code == 2 and "--view 'nodes' is not valid" in r.err and "Traceback" not in r.err
    r = costplan("project", str(stack), "--catalog", cat, "--scenario", "spt")
    assert r.code == 2 and "unknown scenario 'spt'" in r.err
    d = mini_dict()
    del d["projection"]
    r = costplan("project", str(write("np.yaml", yaml.safe_dump(d))), "--catalog", cat)
    assert r.code == 2 and "no `projection:` section" in r.err
    r = costplan("project", str(stack), "--catalog", cat, "--simulations", "-1")
    assert r.code == 2


def test_commitments_json(stack, cat):
    r = costplan("commitments", str(stack), "--catalog", cat, "-n", "20", "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    best = out["optimal"][0]
    assert (best["term"], best["payment"]) == ("1yr", "all-upfront")
    # 2 c5.xlarge all year (the pool never needs a third node in 12 months): cover $0.34/h at 0.107 / 0.17
    assert best["commitment"] == pytest.approx(2 * 0.107)
    ex = out["existing"][0]
    assert ex["name"] == "sp" and ex["commitment"] == 0.2
    assert len(out["curve"]) > 10


def test_commitments_from_an_hourly_usage_csv(stack, cat, write):
    rows = "hour,usage\n" + "".join(f"{i},{10.0 if i % 2 else 0.0}\n" for i in range(100))
    r = costplan("commitments", str(stack), "--catalog", cat, "--usage", str(write("u.csv", rows)), "--format", "csv")
    assert r.code == 0, r.err
    header, first = r.out.splitlines()[:2]
    assert header.startswith("term,payment,discount,commitment")
    # d = 1 - 0.107/0.17 = 0.37 < 0.5: the median hour is 0, so no commitment pays
    assert float(first.split(",")[3]) == 0.0
    r = costplan("commitments", str(stack), "--catalog", cat, "--usage", str(write("b.csv", "hour,x\n1,2\n")))
    assert r.code == 2 and "no usage column" in r.err
    r = costplan("commitments", str(stack), "--catalog", cat, "--term", "2yr")
    assert r.code == 2 and "--term '2yr' is not valid" in r.err


def test_help_has_examples():
    for cmd in ("project", "commitments"):
        r = costplan(cmd, "--help")
        assert r.code == 0 and f"costplan {cmd} " in r.out and "Examples:" in r.out
