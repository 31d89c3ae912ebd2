"""The monthly report (`costplan report`) on the synthetic sample store and small test stores.

Expected totals are computed here with plain DuckDB SQL over the store's rows, not through
costplan's query code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from costplan.cli.app import app

runner = CliRunner()
MONTH = "2026-10"


def sql_total(store: Path, month: str, by: str | None = None):
    """EffectiveCost of one billing month [USD], straight from the cost_rows table."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        if by is None:
            return con.execute(
                "SELECT sum(EffectiveCost) FROM cost_rows WHERE BillingPeriodStart = ?::TIMESTAMP", [f"{month}-01"]
            ).fetchone()[0]
        rows = con.execute(
            f"SELECT coalesce({by}, '(none)'), sum(EffectiveCost) FROM cost_rows "
            f"WHERE BillingPeriodStart = ?::TIMESTAMP GROUP BY 1",
            [f"{month}-01"],
        ).fetchall()
        return dict(rows)
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    from costplan.sample import build_store

    path = tmp_path_factory.mktemp("store") / "sample.duckdb"
    build_store(path)
    return path


@pytest.fixture(scope="module")
def report_dir(sample_store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "2026-10"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--markdown"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def outputs(report_dir):
    html = (report_dir / "report.html").read_text()
    md = (report_dir / "report.md").read_text()
    csv = pd.read_csv(report_dir / "breakdown.csv", keep_default_na=False, na_values=[""])
    summary = json.loads((report_dir / "summary.json").read_text())
    return html, md, csv, summary


def money(v: float) -> str:
    return f"-${abs(v):,.2f}" if v < 0 else f"${v:,.2f}"


def csv_value(csv: pd.DataFrame, section: str, metric: str, key: str | None = None) -> float:
    rows = csv[(csv.section == section) & (csv.metric == metric)]
    if key is not None:
        rows = rows[rows.key == key]
    assert len(rows) == 1, (section, metric, key, rows)
    return float(rows.value.iloc[0])


# --- content ---------------------------------------------------------------------------------
def test_default_month_is_the_last_complete_month(outputs, sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    # months with every day present and no Estimated row; the newest one
    expected = con.execute(
        """SELECT strftime(BillingPeriodStart, '%Y-%m') m FROM cost_rows GROUP BY 1
           HAVING count(DISTINCT CAST(ChargePeriodStart AS DATE)) =
                  date_diff('day', min(BillingPeriodStart), min(BillingPeriodEnd))
              AND NOT bool_or(x_ChargeStatus = 'Estimated')
           ORDER BY 1 DESC LIMIT 1"""
    ).fetchone()[0]
    con.close()
    assert expected == MONTH
    assert outputs[3]["month"] == MONTH


def test_month_total_matches_sql_in_every_format(outputs, sample_store):
    html, md, csv, summary = outputs
    expected = round(sql_total(sample_store, MONTH), 2)
    assert summary["headline"]["total"] == pytest.approx(expected, abs=0.001)
    assert csv_value(csv, "headline", "total") == pytest.approx(expected, abs=0.001)
    m = re.search(r'id="month-total">([^<]+)<', html)
    assert m and m.group(1) == money(expected)
    assert f"**Total {MONTH}: {money(expected)}**" in md


def test_change_vs_last_month_and_missing_year_ago(outputs, sample_store):
    _, md, _, summary = outputs
    cur, prev = sql_total(sample_store, MONTH), sql_total(sample_store, "2026-09")
    h = summary["headline"]
    assert h["previous_total"] == pytest.approx(round(prev, 2), abs=0.001)
    assert h["change_vs_previous"] == pytest.approx(round(cur - prev, 2), abs=0.011)
    # the sample starts in 2025-11: there is no 2025-10 and the report says so rather than inventing one
    assert h["year_ago_total"] is None and h["change_vs_year_ago"] is None
    assert "2025-10 is not in the store" in md
    assert "no comparison with the same month last year (n/a, not 0)" in md  # not "no change", which reads as 0


def test_breakdowns_add_up_to_the_headline_to_the_cent(outputs, sample_store):
    _, _, csv, summary = outputs
    total = summary["headline"]["total"]
    for section in ("by_service", "by_region", "by_component", "by_team"):
        values = csv[(csv.section == section) & (csv.metric == "EffectiveCost")].value.astype(float)
        assert round(values.sum(), 2) == pytest.approx(total, abs=1e-6), section
    by_service = sql_total(sample_store, MONTH, by="ServiceName")
    for name, cost in by_service.items():
        assert csv_value(csv, "by_service", "EffectiveCost", name) == pytest.approx(cost, abs=0.011), name


def test_variance_plan_is_the_estimate_total(outputs):
    from costplan.config import DEFAULT_STACK
    from costplan.estimator import estimate
    from costplan.stack import load_stack

    _, _, csv, summary = outputs
    plan = estimate(load_stack(DEFAULT_STACK)).lines.ListCost.sum()
    assert summary["headline"]["plan_total"] == pytest.approx(round(plan, 2), abs=0.001)
    plans = csv[(csv.section == "variance") & (csv.metric == "plan")].value.astype(float)
    assert round(plans.sum(), 2) == pytest.approx(round(plan, 2), abs=1e-6)


def test_movers_split_into_usage_and_price(outputs):
    _, _, csv, _ = outputs
    mv = csv[csv.section == "movers"].pivot_table(index="row", columns="metric", values="value")
    assert len(mv) == 10
    both = mv.dropna(subset=["usage_effect", "price_effect"])
    assert ((both.usage_effect + both.price_effect - both.change).abs() <= 0.011).all()
    # sorted by the size of the move
    assert list(mv.change.abs()) == sorted(mv.change.abs(), reverse=True)


def test_synthetic_data_is_labelled(outputs):
    html, md, _, summary = outputs
    assert summary["synthetic_data"] is True
    assert 'id="synthetic-banner"' in html and "SYNTHETIC SAMPLE DATA" in html
    assert "SYNTHETIC SAMPLE DATA" in md


def test_unavailable_sections_say_so(outputs):
    html, md, _, summary = outputs
    for key, sec in summary["sections"].items():
        if key != "headline" and not sec["available"]:
            assert sec["notes"], key
            assert sec["title"] in md
    assert html.count("Data not available.") == sum(
        1 for k, s in summary["sections"].items() if k != "headline" and not s["available"]
    )


# --- figures, HTML, Markdown and CSV agree ---------------------------------------------------
def test_figure_data_equals_the_csv(sample_store, outputs):
    from costplan.reports import build_report
    from costplan.reports.render import breakdown_frame

    tables, figs = build_report(store=sample_store)
    csv = breakdown_frame(tables)
    assert tables.headline["total"] == outputs[3]["headline"]["total"]
    checked = 0
    for key, fig in figs.items():
        for trace in fig["data"]:
            meta = trace["meta"]
            try:
                values = [round(float(v), 6) for v in trace["y"]]
            except (TypeError, ValueError):  # horizontal: the numbers are on x
                values = [round(float(v), 6) for v in trace["x"]]
            expected = [round(float(v), 6) for v in
                        csv[(csv.section == meta["section"]) & (csv.metric == meta["metric"])].value]
            if meta["section"] == "freshness":  # split into a Final and an Estimated trace
                assert not Counter(values) - Counter(expected), key
            else:
                assert sorted(values) == sorted(expected), (key, meta)
            checked += 1
    assert checked >= 12


def test_report_figures_are_valid_plotly_figures(sample_store):
    """The report's figures are plain plotly JSON built without plotly: plotly itself accepts
    every one of them (it refuses a property it does not know), and the Figure a notebook gets
    from one (figures.as_figure) holds the same data and layout, on the report's template."""
    import plotly.graph_objects as go

    from costplan.reports import build_report, figures

    _, figs = build_report(store=sample_store)
    assert len(figs) == 12
    for key, spec in figs.items():
        fig = figures.as_figure(spec)
        assert isinstance(fig, go.Figure)
        doc = fig.to_plotly_json()
        assert len(doc["data"]) == len(spec["data"]) > 0, key
        for trace, want in zip(doc["data"], spec["data"], strict=True):
            assert trace["type"] == want["type"] and trace.get("name") == want.get("name"), key
            assert trace["meta"] == want["meta"], key
        assert doc["layout"]["title"]["text"] == figures.TITLES[key]
        assert doc["layout"]["height"] == spec["layout"]["height"]
        # the template plotly.py puts on the Figure is the one report.html embeds
        assert fig.layout.template.layout.plot_bgcolor == figures.template()["layout"]["plot_bgcolor"] == "white"
    with pytest.raises(ValueError):
        figures.as_figure({"data": [{"type": "bar", "not_a_property": 1}], "layout": {}})


def test_html_is_self_contained_with_plotly_once(outputs):
    html = outputs[0]
    assert html.count("Plotly.newPlot(") >= 8
    # the library's banner comment, once: its basic bundle (bar, scatter, pie draw every figure)
    assert len(re.findall(r"plotly\.js (\(basic - minified\) )?v\d", html)) == 1
    assert "plotly.js (basic - minified) v" in html
    head, body = html.split("</head>", 1)
    assert head.count("<script") == 1  # plotly.js, inline
    assert not re.search(r"<script[^>]*\bsrc=", body) and "<link" not in html
    assert "@media print" in html


def test_markdown_and_csv_agree_with_html(outputs):
    html, md, csv, _ = outputs
    for section in ("by_service", "variance"):
        metric = "EffectiveCost" if section == "by_service" else "actual"
        for v in csv[(csv.section == section) & (csv.metric == metric)].value.astype(float):
            assert money(v) in html and money(v) in md, (section, v)
    # table totals
    total = csv_value(csv, "headline", "total")
    assert f"<td class=\"num\">{money(total)}</td>" in html
    assert f"**{money(total)}**" in md


def test_markdown_figures_exist_when_images_were_made(report_dir, outputs):
    md = outputs[1]
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    if not images:
        pytest.skip("no Chromium for kaleido here: the no-browser path is tested separately")
    for rel in images:
        p = report_dir / rel
        assert p.is_file() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- escaping --------------------------------------------------------------------------------
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory) -> Path:
    from costplan.actuals.store import Store

    path = tmp_path_factory.mktemp("evil") / "evil.duckdb"
    rows = []
    for month in ("2026-09", "2026-10"):
        start = pd.Timestamp(f"{month}-01")
        for day in pd.date_range(start, start + pd.offsets.MonthEnd(0)):
            rows.append({
                "ProviderName": "AWS", "BillingAccountId": "test",
                "BillingPeriodStart": start, "BillingPeriodEnd": start + pd.offsets.MonthBegin(1),
                "ChargePeriodStart": day, "ChargePeriodEnd": day + pd.Timedelta(days=1),
                "ChargeCategory": "Usage", "ServiceName": "Amazon Elastic Compute Cloud", "RegionId": "us-east-1",
                "x_UsageType": "BoxUsage:c5.xlarge|" + EVIL, "PricingUnit": "Hrs", "PricingCategory": "Standard",
                "PricingQuantity": 24.0, "ListCost": 4.08, "BilledCost": 4.08, "EffectiveCost": 4.08,
                "Tags": json.dumps({"team": EVIL}), "x_ChargeStatus": "Final", "x_Synthetic": False,
            })
    with Store(path) as s:
        s.load_frame(pd.DataFrame(rows), "focus")
    return path


def test_tag_values_and_names_are_escaped(evil_store, tmp_path):
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(evil_store), "--month", MONTH, "--out", str(out),
                              "--markdown", "--no-images", "--no-projection"])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    assert EVIL not in html and EVIL not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the tag value, as text, in the team table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    # inside the figures' JSON too: as text plotly shows literally, never as a tag it renders
    assert "&lt;script&gt;alert(1)&lt;\\u002fscript&gt;" in html and "\\u003cscript" not in html
    # a store with real (non-synthetic) rows carries no synthetic banner
    assert 'id="synthetic-banner"' not in html
    summary = json.loads((out / "summary.json").read_text())
    assert summary["headline"]["total"] == pytest.approx(round(4.08 * 31, 2))


# --- no browser ------------------------------------------------------------------------------
def test_no_browser_writes_markdown_without_images(sample_store, tmp_path, monkeypatch):
    import choreographer

    class NoChrome:  # choreographer's browser session, as it fails when no Chromium is installed
        def __init__(self, *a, **k):
            pass

        async def __aenter__(self):
            raise RuntimeError("Chrome not found: install Chrome or set BROWSER_PATH")

        async def __aexit__(self, *a):
            return False

    monkeypatch.setattr(choreographer, "Browser", NoChrome)
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--markdown",
                              "--no-projection"])
    assert res.exit_code == 0, res.output
    assert "written without figures" in res.output and "Chromium" in res.output
    md = (out / "report.md").read_text()
    assert "![" not in md and "Figures not included" in md and "Chrome" in md
    assert not (out / "figures").exists()
    assert json.loads((out / "summary.json").read_text())["files"]["figures"] == []


# --- what is written by default, and with --markdown ----------------------------------------
def _no_browser(monkeypatch):
    """Chromium unavailable: a report that starts it fails the test."""
    from costplan.reports import png

    def refuse(*_a, **_k):
        raise AssertionError("Chromium was started")

    monkeypatch.setattr(png.PngBrowser, "__init__", refuse)


def test_default_writes_the_html_with_its_figures_and_no_markdown(sample_store, tmp_path, monkeypatch):
    """No --markdown: report.html (figures drawn by its own plotly.js), breakdown.csv and
    summary.json; no report.md, no PNGs, and no Chromium started for them."""
    _no_browser(monkeypatch)
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--no-projection"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "breakdown.csv", "report.html", "summary.json"]
    html = (out / "report.html").read_text()
    # the figures without a projection: trend, service, region, component, movers, variance,
    # commitments, spot, freshness, provenance (per user and projection need the projection)
    assert html.count("Plotly.newPlot(") == 10
    files = json.loads((out / "summary.json").read_text())["files"]
    assert files == {"html": "report.html", "markdown": None, "csv": "breakdown.csv", "json": "summary.json",
                     "figures": []}


def test_no_images_without_markdown_writes_the_same_files(sample_store, tmp_path, monkeypatch):
    _no_browser(monkeypatch)
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--no-images",
                              "--no-projection"])
    assert res.exit_code == 0, res.output
    assert not (out / "report.md").exists() and not (out / "figures").exists()
    assert "Plotly.newPlot(" in (out / "report.html").read_text()


def test_markdown_without_images_says_so_and_starts_no_browser(sample_store, tmp_path, monkeypatch):
    _no_browser(monkeypatch)
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--markdown", "--no-images",
                              "--no-projection"])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    assert "![" not in md and "Figures not included: PNG export was turned off (--no-images)" in md
    assert not (out / "figures").exists()
    files = json.loads((out / "summary.json").read_text())["files"]
    assert files["markdown"] == "report.md" and files["figures"] == []


def test_markdown_replaced_by_a_report_without_it_is_gone(sample_store, tmp_path, monkeypatch):
    """A report folder written again without --markdown holds no report.md of the earlier run
    (it would show another run's numbers)."""
    out = tmp_path / "r"
    args = ["report", "--store", str(sample_store), "--out", str(out), "--no-projection"]
    assert runner.invoke(app, args + ["--markdown", "--no-images"]).exit_code == 0
    assert (out / "report.md").is_file()
    assert runner.invoke(app, args).exit_code == 0
    assert not (out / "report.md").exists() and (out / "report.html").is_file()


def test_help_says_what_markdown_and_images_do():
    res = runner.invoke(app, ["report", "--help"], terminal_width=200)
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "--markdown" in text and "Also write report.md, with PNG figures unless --no-images" in text
    assert "report.html draws its own figures either way" in text


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--month", "2026-13"], "bad month '2026-13'"),
        (["--month", "Oct 2026"], "use YYYY-MM"),
        (["--month", "2024-01"], "no spend for 2024-01"),
        (["--stack", "/nonexistent/stack.yaml"], "/nonexistent/stack.yaml"),
        (["--store", "/nonexistent/store.duckdb"], "does not exist"),
        (["--calibrate"], "cannot be combined with --no-projection"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(sample_store, tmp_path, args, message):
    out = tmp_path / "r"
    base = ["report", "--out", str(out), "--no-images", "--no-projection"]
    if "--store" not in args:
        base += ["--store", str(sample_store)]
    res = runner.invoke(app, base + args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.tmp-")]


def test_empty_store_exits_2(tmp_path):
    from costplan.actuals.store import Store

    Store(tmp_path / "empty.duckdb").close()
    res = runner.invoke(app, ["report", "--store", str(tmp_path / "empty.duckdb"), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2, res.output
    assert "holds no spend" in res.output
    assert not (tmp_path / "r").exists()


def test_failed_build_keeps_the_previous_report(sample_store, tmp_path, monkeypatch):
    import errno

    from costplan import outputs
    from costplan.reports import render

    out = tmp_path / "r"
    out.mkdir()
    (out / "report.html").write_text("previous report")
    (out / outputs.MARKER).write_text('{"kind": "report"}')  # an earlier report

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(render, "render_markdown", boom)
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--markdown", "--no-images",
                              "--no-projection"])
    assert res.exit_code == 1  # the environment, not the input
    assert f"{out}: cannot write: No space left on device" in res.output and "unexpected" not in res.output
    assert (out / "report.html").read_text() == "previous report"
    assert sorted(p.name for p in out.iterdir()) == [outputs.MARKER, "report.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


# --- a person's view -------------------------------------------------------------------------
def test_screenshot_renders(report_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (scripts/test.sh installs it)")
    shot = tmp_path / "report.png"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
           (report_dir / "report.html").as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.is_file(), "chromium wrote no screenshot"
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # a blank page compresses to a few KB; the rendered report with its charts does not
    assert len(data) > 60_000, len(data)
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)


def test_month_to_date_shows_estimated_days_and_year_ago(sample_store, tmp_path):
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--month", "2026-11", "--out", str(out),
                              "--markdown", "--no-images", "--no-projection"])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(sample_store), read_only=True)
    est_days = con.execute(
        """SELECT count(DISTINCT CAST(ChargePeriodStart AS DATE)) FROM cost_rows
           WHERE BillingPeriodStart = '2026-11-01'::TIMESTAMP AND x_ChargeStatus = 'Estimated'"""
    ).fetchone()[0]
    con.close()
    summary = json.loads((out / "summary.json").read_text())
    h = summary["headline"]
    assert h["estimated_days"] == est_days == 25
    cur, year_ago = sql_total(sample_store, "2026-11"), sql_total(sample_store, "2025-11")
    assert h["year_ago_total"] == pytest.approx(round(year_ago, 2), abs=0.001)
    assert h["total"] == pytest.approx(round(cur, 2), abs=0.001)  # spent so far, labelled as such
    md = (out / "report.md").read_text()
    assert "25 days of 2026-11 are still Estimated (2026-11-01..2026-11-25)" in md
    assert "partial month: 25 of 30 days" in md
    # month-end forecast: to date + 5 days x the median of the last 7 days' spend, from SQL
    con = duckdb.connect(str(sample_store), read_only=True)
    daily = [r[0] for r in con.execute(
        """SELECT sum(EffectiveCost) FROM cost_rows WHERE BillingPeriodStart = '2026-11-01'::TIMESTAMP
           GROUP BY CAST(ChargePeriodStart AS DATE) ORDER BY CAST(ChargePeriodStart AS DATE)""").fetchall()]
    con.close()
    last7 = sorted(daily[-7:])
    assert h["forecast_month_end"] == pytest.approx(round(sum(daily) + 5 * last7[3], 2), abs=0.011)
    assert h["forecast_low"] == pytest.approx(round(sum(daily) + 5 * last7[0], 2), abs=0.011)
    assert "a run-rate forecast, not a bill" in md
    # a month in progress is compared on that forecast (with its range), never on the partial sum
    end, low, high = (sum(daily) + 5 * last7[3], sum(daily) + 5 * last7[0], sum(daily) + 5 * last7[-1])
    assert h["basis"] == "month-end forecast"
    assert h["change_vs_year_ago"] == pytest.approx(round(end - year_ago, 2), abs=0.02)
    assert h["change_vs_year_ago_low"] == pytest.approx(round(low - year_ago, 2), abs=0.02)
    assert h["change_vs_year_ago_high"] == pytest.approx(round(high - year_ago, 2), abs=0.02)
    prev = sql_total(sample_store, "2026-10")
    assert h["change_vs_previous"] == pytest.approx(round(end - prev, 2), abs=0.02)
    assert "2026-11 in progress: month-end forecast" in md and "the comparisons below use the forecast" in md
    html = (out / "report.html").read_text()
    assert "in progress: month-end forecast" in html and "forecast vs last month" in html


def test_embedded_default_says_so(monkeypatch):
    """No stack, no store: the bundled stack and the bundled sample store, and the page says so."""
    from costplan.reports import build_report
    from costplan.reports.render import render_html, render_markdown

    for name in ("STACK", "STORE", "CATALOG"):
        monkeypatch.delenv(f"COSTPLAN_{name}", raising=False)
    tables, figs = build_report(projection=False)
    assert tables.embedded_default and tables.synthetic
    assert "Running on the embedded default" in render_html(tables, figs, embedded_default=True)
    assert "Running on the embedded default" in render_markdown(tables, {}, embedded_default=True)


def test_cost_per_user_divides_by_the_stores_user_count(outputs, sample_store):
    """The sample's October count is the bundled stack's 10,000 active users (its anchor)."""
    _, md, csv, _ = outputs
    total = sql_total(sample_store, MONTH)
    assert f"${total / 10_000:,.4f} per user for 10,000 active users (the store's count, SYNTHETIC sample" in md
    key = f"{MONTH} / False"
    assert csv_value(csv, "trend", "active_users", key) == 10_000
    assert csv_value(csv, "trend", "cost_per_user", key) == pytest.approx(round(total / 10_000, 4), abs=1e-4)


def test_calibrated_projection_says_so_and_refuses_a_month_to_date(sample_store, tmp_path):
    out = tmp_path / "r"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--markdown", "--no-images",
                              "--calibrate"])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    assert f"the projection is calibrated to the actual spend of {MONTH} (SYNTHETIC SAMPLE" in md
    mtd = tmp_path / "mtd"
    res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(mtd), "--no-images", "--calibrate",
                              "--month", "2026-11"])
    assert res.exit_code == 2 and "2026-11 is not final yet" in res.output
    assert not mtd.exists()


def test_out_must_be_a_report_folder_or_new(sample_store, tmp_path):
    """--out never deletes what costplan did not write: a file, or a folder holding anything
    but an earlier report, is refused (exit 2) and left as it was."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("keep me too")
    for out, message in ((a_file, "is a file"), (folder, "holds files costplan did not write (chapter1.tex)")):
        res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(out), "--no-images",
                                  "--no-projection"])
        assert res.exit_code == 2 and message in res.output, res.output
    assert a_file.read_text() == "keep me" and [p.name for p in folder.iterdir()] == ["chapter1.tex"]
    # an earlier report folder is replaced
    again = tmp_path / "again"
    for _ in range(2):
        res = runner.invoke(app, ["report", "--store", str(sample_store), "--out", str(again), "--no-images",
                                  "--no-projection"])
        assert res.exit_code == 0, res.output


@pytest.mark.parametrize("width, media", [(1280, "screen"), ("a4", "print")])
def test_report_page_reads_at_1280_px_and_on_a4(report_dir, width, media):
    """In headless Chromium: nothing wider than the window or the A4 page (the top movers
    included), no text cut off by its box, and no request for anything but the file itself."""
    from browser_check import A4_CONTENT_PX, chromium, view

    if chromium() is None:
        pytest.skip("chromium is not installed (scripts/test.sh installs it)")
    w = A4_CONTENT_PX if width == "a4" else width
    v = view(report_dir / "report.html", w, media)
    assert v.page_width <= w
    assert v.overflowing == []
    assert v.cut == []
    assert v.requests and v.external == []
    assert len(v.screenshot) > 60_000


def test_report_figures_printed_from_a_wide_window_fit_the_paper(report_dir, tmp_path):
    """Printed from a 1280 px window, as a person prints from a browser: the figures are
    redrawn at the paper's width. Left at their screen width, the page edge cut the last
    legend entry of the per-user and projection figures ("median  p10 - p90  ac")."""
    from browser_check import printed_a4

    text = "\n".join(printed_a4(report_dir / "report.html", tmp_path, window=1280).pages)
    legends = re.findall(r"median +p10 - p90 +(\S+)", text)
    assert legends == ["actual", "actual"], legends  # cost per user, projection


def test_report_prints_on_a4_within_the_margins(report_dir, tmp_path):
    """Printed by Chromium to A4 (the page's own @page rule): no word or line in the side
    margins or past the edge, no blank page (the last one included), and the report's text
    is all there: the headline, the plan-vs-actual table and the footer."""
    from browser_check import check_printed_a4, printed_a4

    p = printed_a4(report_dir / "report.html", tmp_path)
    check_printed_a4(p)
    text = "\n".join(p.pages)
    for expected in ("Cloud cost report: 2026-10", "SYNTHETIC SAMPLE DATA", "Plan vs actual", "Price provenance"):
        assert expected in text
    assert "costplan" in p.pages[-1]  # the footer ends the last page


def test_quarter_variance_pct_has_the_sign_of_the_variance(sample_store):
    """A commitment's plan is negative (its fee minus the on-demand cost it covers): an actual
    above it is a rise and its percentage is positive, against the plan's size, as in the
    monthly reconciliation (the review showed +$806 as -39.2%)."""
    from costplan.actuals.store import Store
    from costplan.estimator import estimate
    from costplan.pricing.catalog import default_catalog
    from costplan.reports import quarterly as q
    from costplan.stack import load_stack

    plan = estimate(load_stack("data/ultibiker/stack.yaml"), default_catalog())
    with Store.open_default(sample_store, read_only=True) as s:
        v = q.quarter_variance(s, plan, "2026Q3")
    neg = v[v["plan"] < 0]
    assert len(neg) and (neg["variance"] > 0).all()  # the sample's Savings Plan: under-used, less saved
    assert (neg["variance_pct"] > 0).all(), neg
    for r in v.itertuples():
        if r.plan:
            assert r.variance_pct * r.variance >= 0, r  # never the opposite sign (0.0% when it rounds away)
            assert r.variance_pct == pytest.approx((r.actual - r.plan) / abs(r.plan) * 100, abs=0.06), r


def test_headings_are_for_people_and_the_data_keeps_the_column_names(outputs):
    """report.html and report.md head their tables in words (the column name on hovering a
    heading in the HTML); breakdown.csv and summary.json keep the column names."""
    html, md, csv, summary = outputs
    assert '<th class="num" title="variance_pct">Variance %</th>' in html
    assert '<th class="" title="x_UsageType">Usage type</th>' in html
    assert "| Component | Service | Plan (list) | Actual | Variance | Variance % | Flag |" in md
    assert "variance_pct" not in md and "x_UsageType" not in md
    assert "variance_pct" in set(csv.metric) and "variance_pct" in summary["sections"]["variance"]["rows"][0]


@pytest.mark.parametrize("markdown, images, steps", [(False, True, 12), (False, False, 12), (True, False, 13)])
def test_progress_bar_total_is_the_steps_reported(sample_store, tmp_path, markdown, images, steps):
    """The bar's total (report_steps) is the number of steps monthly_report reports: HTML, CSV
    and JSON always; report.md one more; its PNGs another (counted here without Chromium)."""
    from costplan.reports import monthly_report, report_steps

    seen: list[str] = []
    monthly_report(store=sample_store, out_dir=tmp_path / "r", markdown=markdown, images=images,
                   projection=False, progress=seen.append)
    assert len(seen) == report_steps(markdown, images) == steps, seen
    assert ("Markdown" in seen) is markdown and "PNG figures" not in seen


def test_template_compiled_once_and_a_broken_cache_is_compiled_again(tmp_path, monkeypatch):
    """The report's template is kept compiled in the user's cache folder; a cached file that
    cannot be read (cut short, overwritten) is compiled again, never an error."""
    from costplan.reports import render

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def page():
        return render._env().from_string("{{ x | money }} {% for i in [1, 2] %}{{ i }}{% endfor %}",
                                         ).render(x=1234.5)

    first = render._env().get_template("report.html.j2")
    cached = list((tmp_path / "costplan").glob("templates-jinja2-*/*.cache"))
    assert len(cached) == 1 and cached[0].stat().st_size > 0
    cached[0].write_bytes(b"not a compiled template")
    again = render._env().get_template("report.html.j2")
    assert again.render is not None and first.name == again.name == "report.html.j2"
    assert cached[0].read_bytes() != b"not a compiled template"  # compiled and written again
    assert page() == "$1,234.50 12"


def test_sections_still_give_dataframes(sample_store):
    """The tables are built on rows, and the library still hands out DataFrames: each section's
    ``table`` holds its rows, numeric columns numeric; movers(), trend(), variance(),
    provenance() and freshness() return the frames of the same tables."""
    import pandas as pd

    from costplan import config
    from costplan.actuals.store import Store
    from costplan.estimator import estimate
    from costplan.reports import build_report
    from costplan.reports import tables as rt
    from costplan.reports.render import _numeric
    from costplan.stack import load_stack

    tables, _ = build_report(store=sample_store, projection=False)
    for key, sec in tables.sections.items():
        if not sec.available:
            continue
        df = sec.table
        assert isinstance(df, pd.DataFrame) and list(df.columns) == sec.rows.columns and len(df) == len(sec.rows), key
        assert [_numeric(df, c) for c in df.columns] == [sec.rows.numeric(c) for c in df.columns], key
    month = tables.month
    plan = estimate(load_stack(config.DEFAULT_STACK))
    with Store(sample_store, read_only=True) as s:
        pd.testing.assert_frame_equal(rt.movers(s, month), tables["movers"].table)
        pd.testing.assert_frame_equal(rt.variance(plan, s, month), tables["variance"].table)
        pd.testing.assert_frame_equal(rt.freshness(s, month), tables["freshness"].table)
        pd.testing.assert_frame_equal(rt.trend(s, month, users=s.users()), tables["trend"].table)
    pd.testing.assert_frame_equal(rt.provenance(plan), tables["provenance"].table)
