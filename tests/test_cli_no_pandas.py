"""Commands that only print a table from the store (or the catalog), or write the store's rows as
CSV or JSON, need DuckDB and rich, not pandas (or numpy, pyarrow, plotly): a third of such a
command's start-up. Each is run in a fresh interpreter, as a user runs it, and the modules it
imported are listed at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "pyarrow", "plotly")

SCRIPT = """
import json, sys
from costplan.cli.app import main
sys.argv = ["costplan", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
sys.stderr.write("\\nMODULES " + json.dumps(sorted(m for m in sys.modules if "." not in m or m == "numpy.ma")) + "\\n")
sys.exit(code)
"""


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    from costplan.sample import build_store

    path = tmp_path_factory.mktemp("store") / "sample.duckdb"
    build_store(str(path))
    return path


def _run(args: list[str], store: Path):
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "COLUMNS": "200", "COSTPLAN_STORE": str(store)}
    p = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=120)
    line = [x for x in p.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return p, set(json.loads(line[len("MODULES "):]))


@pytest.mark.parametrize("args", [
    ["actuals"],
    ["actuals", "--by", "month,ServiceName", "--month", "2026-10"],
    ["actuals", "--by", "day", "--month", "2026-11", "--format", "markdown"],
    ["actuals", "--by", "component", "--month", "2026-10"],
    ["store"],
    ["store", "--format", "markdown"],
    ["prices", "show", "c5.large", "--region", "us-east-1"],
    ["prices", "show", "s3-standard", "--format", "markdown"],
    ["prices", "info"],
    ["prices", "info", "--format", "markdown"],
    ["actuals", "--format", "csv"],
    ["actuals", "--by", "day,ServiceName", "--month", "2026-10", "--format", "json"],
    ["store", "--format", "csv"],
    ["store", "--format", "json"],
    ["prices", "info", "--format", "csv"],
    ["prices", "info", "--format", "json"],
])
def test_table_command_imports_no_pandas(sample_store, args):
    p, modules = _run(args, sample_store)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip()  # it printed its table
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_the_table_has_what_the_frame_has(sample_store):
    """The pandas-free table holds the same months and amounts as the library's DataFrame."""
    from costplan.actuals.store import Store

    with Store(sample_store, read_only=True) as s:
        frame = s.spend(["month"])
    p, _ = _run(["actuals", "--format", "markdown"], sample_store)
    lines = [x for x in p.stdout.splitlines() if x.startswith("| 20")]
    shown = {x.split("|")[1].strip(): x.split("|")[2].strip() for x in lines}
    assert shown == {m: f"{v:,.2f}" for m, v in zip(frame["month"], frame["EffectiveCost"], strict=True)}


def test_csv_and_json_without_pandas(sample_store):
    """`actuals --format csv|json` write DuckDB's rows without pandas, with the frame's months,
    amounts (rounded to cents, the documented rule for money in CSV and JSON) and Estimated."""
    from costplan.actuals.store import Store

    with Store(sample_store, read_only=True) as s:
        frame = s.spend(["month"])
    want = [(m, round(float(v), 2), bool(e))
            for m, v, e in zip(frame["month"], frame["EffectiveCost"], frame["Estimated"], strict=True)]
    p, modules = _run(["actuals", "--format", "csv"], sample_store)
    assert p.returncode == 0, p.stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    lines = p.stdout.splitlines()
    assert lines[0] == "month,EffectiveCost,Estimated"
    assert [(m, float(v), e == "True") for m, v, e in (x.split(",") for x in lines[1:])] == want
    p, modules = _run(["actuals", "--format", "json"], sample_store)
    assert p.returncode == 0, p.stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    assert [(r["month"], r["EffectiveCost"], r["Estimated"]) for r in json.loads(p.stdout)] == want


def test_store_and_catalog_json_without_pandas_hold_what_the_frames_hold(sample_store):
    """`store --format json` and `prices info --format json` written without pandas hold the
    library's DataFrames' records (the loads' start as ISO 8601 text)."""
    from costplan.actuals.store import Store
    from costplan.frames import json_records
    from costplan.pricing.info import catalog_info
    from costplan.pricing.lookup import get_catalog

    cols = ["load_id", "x_Source", "description", "started_at", "rows_loaded", "rows_replaced"]
    with Store(sample_store, read_only=True) as s:
        months, loads = json_records(s.months_by_source()), json_records(s.loads()[cols])
    p, _ = _run(["store", "--format", "json"], sample_store)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["months"] == months and doc["loads"] == loads and len(loads) >= 2
    info = catalog_info(get_catalog(None))
    p, _ = _run(["prices", "info", "--format", "json"], sample_store)
    doc = json.loads(p.stdout)
    assert doc["coverage"] == json_records(info.coverage) and doc["sources"] == json_records(info.sources)
    assert doc["counts"] == json_records(info.counts)


def test_csv_quotes_and_gaps_as_a_csv_reader_reads_them(tmp_path):
    """Text with a comma or a quote is quoted, a missing amount is an empty field, yes/no are
    True/False, whole numbers stay whole: what csv.reader gives back is what went in."""
    import contextlib
    import csv
    import io

    from costplan.cli.common import Format, emit_frame
    from costplan.frames import Rows

    rows = Rows(["name", "cost", "n", "ok"], [('a, "b"', 1234.567, 3, True), (None, None, 4, False)])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        emit_frame(rows, Format.csv, money=("cost",))
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "cost", "n", "ok"], ['a, "b"', "1234.57", "3", "True"], ["", "", "4", "False"]]


def test_prices_table_folds_tiers_without_pandas(sample_store):
    """S3 Standard's storage tiers as AWS lists them: the first 50 TB (51,200 GB), the next
    450 TB (to 512,000 GB), then over 500 TB; in the pandas-free table, one row each, in order."""
    p, modules = _run(["prices", "show", "s3-standard", "--region", "eu-west-1", "--format", "markdown"],
                      sample_store)
    assert p.returncode == 0, p.stderr
    assert not modules & set(HEAVY)
    header = [x.strip() for x in p.stdout.splitlines()[2].strip("|").split("|")]
    assert header[:4] == ["usage", "pricing", "tier", "unit"] and "region" not in header
    storage = [[c.strip() for c in x.strip("|").split("|")] for x in p.stdout.splitlines() if "storage-gb-month" in x]
    assert [(r[2], r[3]) for r in storage] == [("0-51,200", "GB-Mo"), ("51,200-512,000", "GB-Mo"), ("512,000-", "GB-Mo")]


STACK = "data/ultibiker/stack.yaml"


@pytest.mark.parametrize("args", [
    ["estimate"],
    ["estimate", "--format", "markdown"],
    ["estimate", "--format", "json"],
    ["estimate", "--by", "service"],
    ["estimate", "--by", "component_kind", "--format", "markdown"],
    ["diff", STACK, f"{STACK}#app-on-spot"],
    ["diff", STACK, f"{STACK}#graviton", "--format", "markdown"],
    ["diff", STACK, f"{STACK}#app-on-spot", "--format", "json"],
])
def test_plan_command_imports_no_pandas(sample_store, args):
    """`costplan estimate` and `costplan diff` print from the priced lines: no pandas (issue #18).
    numpy is still imported (the tiered prices and the commitments compute on it)."""
    p, modules = _run(args, sample_store)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip()
    assert not modules & {"pandas", "pyarrow", "plotly"}, sorted(modules & {"pandas", "pyarrow", "plotly"})


def test_estimate_json_has_what_the_frame_has(sample_store):
    """The pandas-free JSON holds the frame's lines, and its totals are the frame's sums by
    group (pandas' groupby, computed here), largest first."""
    from costplan.estimator import estimate

    lines = estimate(REPO / STACK).lines
    p, _ = _run(["estimate", "--format", "json"], sample_store)
    out = json.loads(p.stdout)
    assert [r["component"] for r in out["lines"]] == lines["component"].tolist()
    assert [r["ListCost"] for r in out["lines"]] == pytest.approx(lines["ListCost"].tolist(), rel=1e-9, abs=1e-9)  # 10 significant digits
    assert [r["quantity"] for r in out["lines"]] == pytest.approx(lines["PricingQuantity"].tolist(), rel=1e-9, abs=1e-9)
    assert out["total_monthly_cost"] == round(float(lines["ListCost"].sum()), 2)
    by_service = lines.groupby("ServiceName")["ListCost"].sum()
    shown = {r["ServiceName"]: r["monthly_cost"] for r in out["totals"]["by_service"]}
    assert shown == {k: pytest.approx(round(v, 2), abs=0.006) for k, v in by_service.items()}
    costs = [r["monthly_cost"] for r in out["totals"]["by_service"]]
    assert costs == sorted(costs, reverse=True)


def test_diff_table_has_the_difference_of_two_estimates(sample_store):
    """The pandas-free diff table: each changed component's new minus previous cost, from the
    two estimates' frames (summed here with pandas), and the total of both."""
    from costplan.estimator import estimate
    from costplan.stack import load_stack

    a = estimate(REPO / STACK).lines.groupby("component")["ListCost"].sum()
    b = estimate(load_stack(REPO / STACK, scenario="app-on-spot")).lines.groupby("component")["ListCost"].sum()
    changed = {c: b.get(c, 0.0) - a.get(c, 0.0) for c in a.index.union(b.index)}
    changed = {c: d for c, d in changed.items() if abs(d) >= 0.005}
    p, _ = _run(["diff", STACK, f"{STACK}#app-on-spot", "--format", "markdown"], sample_store)
    rows = [[c.strip() for c in x.strip("|").split("|")] for x in p.stdout.splitlines() if x.startswith("| ")][1:]
    shown = {r[0]: r[3] for r in rows if r[0] != "**Total**"}
    assert set(shown) == set(changed)
    for c, d in changed.items():
        assert shown[c] == f"{'+' if d > 0 else '-'}${abs(d):,.2f}"
    total = [r for r in rows if r[0] == "**Total**"][0]
    assert total[1] == f"${a.sum():,.2f}" and total[2] == f"${b.sum():,.2f}"


def test_table_prints_emoji_codes_as_written(capsys):
    """A value such as ``:cloud:`` (a tag, a service name) is text, not an emoji code."""
    from costplan.cli.common import Format, emit_frame
    from costplan.frames import Rows

    emit_frame(Rows(["tag:team", "cost"], [(":cloud:", 1.5)]), Format.table, money=("cost",))
    out = capsys.readouterr().out
    assert ":cloud:" in out and "\u2601" not in out


def test_report_imports_no_plotly_and_starts_no_browser(sample_store, tmp_path):
    """`costplan report` writes report.html with its figures as plotly JSON for the plotly.js it
    carries: plotly (Python), kaleido and the browser driver are not imported."""
    out = tmp_path / "r"
    p, mods = _run(["report", "--out", str(out), "--no-projection"], sample_store)
    assert p.returncode == 0, p.stderr
    assert not mods & {"plotly", "_plotly_utils", "kaleido", "choreographer"}, mods
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("Plotly.newPlot(") == 10 and not (out / "report.md").exists()


@pytest.mark.parametrize("args", [
    [],
    ["--month", "2026-11"],
    ["--no-projection", "--markdown", "--no-images"],
    ["--month", "2026-09", "--calibrate"],
])
def test_report_imports_no_pandas(sample_store, tmp_path, args):
    """`costplan report` builds its tables from the store's rows and writes report.html,
    breakdown.csv and summary.json from them: no pandas, numpy's pyarrow or plotly (numpy is
    imported: the projection and the tiered prices compute on it)."""
    out = tmp_path / "r"
    p, mods = _run(["report", "--out", str(out), *args], sample_store)
    assert p.returncode == 0, p.stderr
    assert not mods & {"pandas", "pyarrow", "plotly"}, sorted(mods & {"pandas", "pyarrow", "plotly"})
    # piped, its notes and warnings are written as they are, and the projection's quantiles
    # need no np.unique: neither rich nor numpy.ma is imported
    assert not mods & {"rich", "numpy.ma"}, sorted(mods & {"rich", "numpy.ma"})
    assert "warning: the actual spend is the SYNTHETIC sample" in p.stderr
    assert {p.name for p in out.iterdir()} >= {"report.html", "breakdown.csv", "summary.json"}


def test_report_without_pandas_writes_what_the_frames_hold(sample_store, tmp_path):
    """breakdown.csv written without pandas reads back as the library's frames of the same
    tables: each section's rows and numeric columns, the headline first, missing values empty;
    its month total is the store's sum of EffectiveCost rounded to the cent."""
    import csv

    import duckdb

    from costplan.reports import build_report

    out = tmp_path / "r"
    p, _ = _run(["report", "--out", str(out), "--no-projection"], sample_store)
    assert p.returncode == 0, p.stderr
    got = list(csv.DictReader((out / "breakdown.csv").open(encoding="utf-8")))
    tables, _ = build_report(store=sample_store, projection=False)
    month = tables.month
    with duckdb.connect(str(sample_store), read_only=True) as con:
        total = con.execute("SELECT sum(EffectiveCost) FROM cost_rows WHERE strftime(BillingPeriodStart, '%Y-%m') = ?",
                            [month]).fetchone()[0]
    head = {r["metric"]: float(r["value"]) for r in got if r["section"] == "headline"}
    assert abs(head["total"] - total) <= 0.005 + 1e-9
    for key in ("by_service", "variance", "provenance", "freshness"):
        frame = tables[key].table  # the DataFrame the library returns
        num = [c for c in frame.columns if frame[c].dtype.kind in "fiu"]
        mine = [r for r in got if r["section"] == key]
        assert len(mine) == len(frame) * len(num)
        for r in mine:
            v = frame.iloc[int(r["row"])][r["metric"]]
            assert (r["value"] == "") if v != v else float(r["value"]) == float(v), (key, r)


def _import_inputs(tmp_path: Path) -> dict[str, Path]:
    """Small files of every kind an import reads: FOCUS CSV, CSV.gz (with a repeated row) and
    Parquet, CUR 2.0 Parquet, a legacy CUR CSV.gz."""
    import duckdb
    from test_actuals_exports import LEGACY_LINES, _legacy
    from test_actuals_import import FOCUS_ROWS, write_cur, write_focus

    csv = write_focus(tmp_path / "focus.csv")
    parquet = tmp_path / "focus.parquet"
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)")
    return {
        "focus-csv": csv,
        "focus-csv-gz": write_focus(tmp_path / "focus-dup.csv.gz", rows=FOCUS_ROWS + FOCUS_ROWS[:1], gz=True),
        "focus-parquet": parquet,
        "cur2-parquet": write_cur(tmp_path / "cur2.parquet"),
        "legacy-cur-csv-gz": _legacy(tmp_path / "legacy-1.csv.gz", LEGACY_LINES),
    }


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
@pytest.mark.parametrize("kind", ["focus-csv", "focus-csv-gz", "focus-parquet", "cur2-parquet", "legacy-cur-csv-gz"])
def test_import_imports_no_pandas(tmp_path, kind, fmt):
    """`costplan import focus|cur` checks, loads and totals the files in DuckDB and prints the
    totals from its rows: no pandas or pyarrow, for any kind of file (issue #18). numpy neither,
    except for a legacy CUR CSV: the function that records the lines its load drops is a DuckDB
    Python function, whose registration imports numpy."""
    f = _import_inputs(tmp_path)[kind]
    p, modules = _run(["import", "cur" if "cur" in kind else "focus", str(f), "--format", fmt], tmp_path / "s.duckdb")
    assert p.returncode == 0, p.stderr
    heavy = set(HEAVY) - ({"numpy"} if kind.startswith("legacy") else set())
    assert not modules & heavy, sorted(modules & heavy)
    if kind.startswith("focus") and fmt == "json":
        # FOCUS_ROWS, by hand: 8 rows, BilledCost 30.35 (test_actuals_import), the .gz file one row more (10.00)
        dup = kind == "focus-csv-gz"
        total = json.loads(p.stdout)["totals"]
        assert total == [{"billing_period": "2026-10", "ProviderName": "AWS", "BillingCurrency": "USD",
                          "rows": 9 if dup else 8, "source_BilledCost": 40.35 if dup else 30.35,
                          "stored_BilledCost": 40.35 if dup else 30.35, "difference": 0.0}]
    if kind == "focus-csv-gz":
        assert f"{f}: 1 of its 9 rows repeat another row of the file exactly" in p.stderr


def test_import_refusal_imports_no_pandas(tmp_path):
    """A file with a bad amount is refused (exit 2, its file, row and column named) as it was,
    without pandas; a second import of a period's part alone is refused as a parts conflict."""
    from test_actuals_import import FOCUS_ROWS, write_focus

    rows = list(FOCUS_ROWS)
    rows[2] = rows[2].replace(",20.00,0,", ",twenty,0,")
    bad = write_focus(tmp_path / "bad.csv", rows=rows)
    p, modules = _run(["import", "focus", str(bad)], tmp_path / "s.duckdb")
    assert p.returncode == 2, p.stderr
    assert f"{bad}: BilledCost: the value is not a number, e.g. 'twenty' at row 3 (line 4)" in p.stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    (tmp_path / "parts").mkdir()
    a = write_focus(tmp_path / "parts" / "a.csv", rows=FOCUS_ROWS[:4])
    write_focus(tmp_path / "parts" / "b.csv", rows=FOCUS_ROWS[4:])
    p, _ = _run(["import", "focus", str(tmp_path / "parts")], tmp_path / "s.duckdb")
    assert p.returncode == 0, p.stderr
    p, modules = _run(["import", "focus", str(a)], tmp_path / "s.duckdb")
    assert p.returncode == 2
    # an id of four characters or fewer is masked whole (costplan.actuals.privacy)
    assert "2026-10 (AWS account ****) is held from a.csv, b.csv (load 1), imported together" in p.stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
