"""`costplan actuals` and `costplan reconcile` on the default (synthetic) store and on files."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costplan import config
from costplan.cli.app import app


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    """The built-in default store, pointed at a temporary path and built on first use."""
    path = tmp_path_factory.mktemp("default") / "costplan.duckdb"
    old = config._BUILTIN["store"]
    config._BUILTIN["store"] = str(path)
    try:
        yield path
    finally:
        config._BUILTIN["store"] = old


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("COSTPLAN_STORE", raising=False)
    return CliRunner()


def test_actuals_on_a_fresh_clone_builds_the_sample(default_store, runner):
    assert not default_store.exists()
    res = runner.invoke(app, ["actuals", "--by", "month", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert default_store.exists()
    rows = json.loads(res.stdout)
    assert [r["month"] for r in rows][:2] == ["2025-11", "2025-12"] and len(rows) == 13
    assert rows[-1]["Estimated"] is True and rows[-2]["Estimated"] is False
    assert "SYNTHETIC" in res.stderr


def test_actuals_formats_and_groupings(default_store, runner):
    res = runner.invoke(app, ["actuals", "--by", "component", "--month", "2026-10", "--format", "csv"])
    assert res.exit_code == 0, res.output
    header, *lines = res.stdout.strip().splitlines()
    assert header == "component_kind,EffectiveCost,Estimated"
    kinds = {line.split(",")[0] for line in lines}
    assert {
        "node_pool",
        "rds",
        "eks",
        "nat_gateway",
        "flow_logs",
        "commitment",
    } <= kinds and "unmapped" not in kinds
    md = runner.invoke(
        app, ["actuals", "--by", "tag:team,RegionId", "--month", "2026-10", "--format", "markdown"]
    )
    assert md.exit_code == 0 and md.stdout.startswith("| tag:team | RegionId | EffectiveCost | Estimated |")
    table = runner.invoke(app, ["actuals", "--by", "ServiceName", "--from", "2026-07", "--to", "2026-09"])
    assert table.exit_code == 0 and "Amazon Relational Database Service" in table.stdout


def test_actuals_bad_input_exits_2(default_store, runner):
    for args, text in (
        (["actuals", "--by", "servicename"], "did you mean 'ServiceName'"),
        (["actuals", "--month", "2026-13"], "bad month"),
        (["actuals", "--metric", "Cost"], "unknown metric"),
        (["actuals", "--store", "/nonexistent/x.duckdb"], "does not exist"),
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert text in res.output and "Traceback" not in res.output


def test_reconcile_with_plan_lines_file(default_store, runner, tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "component,component_kind,ServiceName,ListCost\n"
        "postgres,rds,Amazon Relational Database Service,2400\n"
        "workers,node_pool,Amazon Elastic Compute Cloud,3000\n"
    )
    res = runner.invoke(app, ["reconcile", "--plan", str(plan), "--month", "2026-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["synthetic"] is True and out["estimated"] is False
    lines = {r["component_kind"]: r for r in out["lines"]}
    assert lines["rds"]["plan"] == 2400 and lines["node_pool"]["plan"] == 3000
    assert lines["rds"]["variance"] == pytest.approx(lines["rds"]["actual"] - 2400)
    assert lines["eks"]["flag"] == "not in plan"
    assert out["actual_total"] == pytest.approx(sum(r["actual"] for r in out["lines"]))
    missing = runner.invoke(app, ["reconcile", "--plan", str(plan), "--month", "2024-01"])
    assert missing.exit_code == 2 and "no spend for 2024-01" in missing.output


def test_reconcile_the_bundled_stack_against_the_sample(default_store, runner):
    """The sample is derived from the stack's plan: every component kind is within 15 % of
    plan except the Savings Plan, whose savings fall short because spot took over part of the
    on-demand usage it was sized for (the sample's documented story)."""
    import costplan
    from costplan.actuals.store import Store

    res = runner.invoke(
        app, ["reconcile", str(config.DEFAULT_STACK), "--month", "2026-10", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    lines = costplan.estimate(costplan.load_stack(config.DEFAULT_STACK)).lines
    assert out["plan_total"] == pytest.approx(lines["ListCost"].sum(), abs=0.01)
    with Store(default_store) as s:
        assert out["actual_total"] == pytest.approx(
            s.spend([], month="2026-10")["EffectiveCost"][0], abs=0.01
        )
    by_kind = {r["component_kind"]: r for r in out["lines"]}
    assert "unmapped" not in by_kind
    planned_kinds = set(lines["component_kind"]) - {"k8s_volume"} | {"ebs_volume"}
    assert set(by_kind) == planned_kinds
    for kind, r in by_kind.items():
        if kind != "commitment":
            assert abs(r["variance_pct"]) < 15, (kind, r)
    assert by_kind["commitment"]["flag"] == "over" and by_kind["commitment"]["actual"] < 0
    assert abs(out["variance_total"]) < 0.15 * out["plan_total"]
    table = runner.invoke(app, ["reconcile", "--month", "2026-10"])
    assert table.exit_code == 0 and "Plan vs actual, 2026-10" in table.stdout


def test_a_stale_default_store_is_rebuilt_with_a_visible_warning(default_store, runner):
    import duckdb

    runner.invoke(app, ["actuals", "--by", "month"])  # the default store exists
    con = duckdb.connect(str(default_store))
    con.execute("UPDATE loads SET description = 'synthetic sample (not real data), inputs 0000000000000000'")
    con.close()
    res = runner.invoke(app, ["actuals", "--by", "month", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "warning: " in res.stderr and "rebuilding it" in res.stderr
    assert "UserWarning" not in res.stderr  # one plain line, not Python's warning format
    assert len(res.stdout.strip().splitlines()) == 14  # header and the sample's 13 months


def test_reconcile_says_when_the_month_is_partial(default_store, runner):
    res = runner.invoke(app, ["reconcile", "--month", "2026-11", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the sample's month to date runs 2026-11-01 .. 2026-11-25
    assert (out["days"], out["days_in_month"], out["estimated"]) == (25, 30, True)
    assert "covers 25 of the 30 days of 2026-11" in res.stderr


def test_actuals_by_month_forecasts_the_month_in_progress(default_store, runner):
    res = runner.invoke(app, ["actuals", "--by", "month", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "2026-11 to date" in res.stderr and "over 25 of 30 days" in res.stderr
    assert "a run-rate forecast, not a bill" in res.stderr
