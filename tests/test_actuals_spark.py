"""The spend queries on a real Spark (local mode, pyspark from PyPI, a Java runtime), over the
same FOCUS and CUR 2.0 Parquet files the DuckDB store imports: every query gives the same
figures to the cent, and ``costplan report --engine spark`` writes the same report.

One SparkSession for the module (starting one takes seconds): local[1], one shuffle partition,
no UI. The FOCUS files are the SYNTHETIC sample's rows (generated here, not real spend), laid
out as AWS Data Exports writes them (``data/BILLING_PERIOD=YYYY-MM/*.parquet``); the CUR 2.0
file is the small hand-computed one of tests/test_actuals_import.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:  # pragma: no cover - scripts/test.sh installs one
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

from test_actuals_import import write_cur  # noqa: E402

from costplan.actuals.files import import_files  # noqa: E402
from costplan.actuals.store import Store  # noqa: E402

MONTH = "2026-10"
# pyspark warns that it does not yet support pandas 3 fully; what it returns is checked here
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore:The copy keyword is deprecated")


@pytest.fixture(scope="session")
def spark():
    from costplan.actuals.spark import local_session

    session = local_session(1)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def focus_export(tmp_path_factory) -> Path:
    """The synthetic sample's rows of 2025-11 .. 2026-11 as FOCUS Parquet, one folder per
    billing period (the columns costplan adds itself left out)."""
    from costplan.sample import build_store

    root = tmp_path_factory.mktemp("exports")
    build_store(root / "sample.duckdb")
    con = duckdb.connect(str(root / "sample.duckdb"), read_only=True)
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'cost_rows'").fetchall()]
    keep = ", ".join(f'"{c}"' for c in cols if c not in ("x_Source", "x_LoadId", "x_Synthetic"))
    months = [r[0] for r in con.execute(
        "SELECT DISTINCT strftime(BillingPeriodStart, '%Y-%m') FROM cost_rows ORDER BY 1").fetchall()]
    data = root / "focus" / "data"
    for m in months:
        (data / f"BILLING_PERIOD={m}").mkdir(parents=True)
        con.execute(
            f"COPY (SELECT {keep} FROM cost_rows WHERE strftime(BillingPeriodStart, '%Y-%m') = '{m}') "
            f"TO '{data / f'BILLING_PERIOD={m}' / 'part-00000.parquet'}' (FORMAT parquet)"
        )
    con.close()
    return data


@pytest.fixture(scope="module")
def focus_store(focus_export, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "focus.duckdb"
    with Store(path) as store:
        import_files(store, "focus", sorted(str(p) for p in focus_export.rglob("*.parquet")))
    return path


@pytest.fixture(scope="module")
def cur_export(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cur") / "data"
    part = root / f"BILLING_PERIOD={MONTH}"
    part.mkdir(parents=True)
    write_cur(part / "cur.parquet")
    return root


@pytest.fixture(scope="module")
def cur_store(cur_export, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("curstore") / "cur.duckdb"
    with Store(path) as store:
        import_files(store, "cur", [str(p) for p in cur_export.rglob("*.parquet")])
    return path


def _cents(df: pd.DataFrame, keys: list[str], cols: list[str]) -> dict:
    """Key tuple -> the columns rounded to the cent (NaN as None)."""
    out = {}
    for r in df.to_dict("records"):
        key = tuple(str(r[k]) for k in keys)
        out[key] = tuple(None if pd.isna(r[c]) else round(float(r[c]), 2) for c in cols)
    return out


def _spend_cases():
    keys = ["ServiceName", "RegionId", "x_UsageType", "PricingUnit"]
    return [
        (["month", "ServiceName"], {"start": "2026-10-01", "end": "2026-10-31"}, "EffectiveCost"),
        (["RegionId"], {"month": MONTH}, "BilledCost"),
        (["component"], {"month": MONTH}, "EffectiveCost"),
        (["tag:team"], {"month": MONTH}, "EffectiveCost"),
        (keys, {"month": MONTH}, "PricingQuantity"),  # the top movers: quantity by usage type
        (["day"], {"month": MONTH}, "EffectiveCost"),
    ]


@pytest.mark.parametrize("kind", ["cur"])
def test_every_query_gives_the_duckdb_figures_to_the_cent(kind, spark, request):
    """Each query on its own, over the CUR 2.0 file (the FOCUS files go through every query in
    the report test below; Spark's seconds per query keep this list short)."""
    from costplan.actuals.spark import SparkEngine

    export = request.getfixturevalue(f"{kind}_export")
    store_path = request.getfixturevalue(f"{kind}_store")
    eng = SparkEngine(spark, path=str(export), table_format=kind)
    assert eng.partition_column == "BILLING_PERIOD"
    with Store(store_path, read_only=True) as store:
        assert eng.months() == store.months()
        for by, period, metric in _spend_cases():
            want, got = store.spend(by, metric=metric, **period), eng.spend(by, metric=metric, **period)
            assert len(want) > 0, (by, period)
            assert _cents(got, by, [metric, "rows"]) == _cents(want, by, [metric, "rows"]), (by, period, metric)
            assert got["Estimated"].tolist() == want["Estimated"].tolist()
        pd.testing.assert_frame_equal(eng.coverage(), store.coverage())
        f_want, f_got = store.freshness(), eng.freshness()
        cols = ["day", "month", "x_Source", "Estimated"]
        assert _cents(f_got, cols, ["EffectiveCost"]) == _cents(f_want, cols, ["EffectiveCost"])
        money = ["billed", "used_commitment", "unused_commitment", "covered_list_cost", "savings", "coverage"]
        want_c, got_c = store.commitment_summary(MONTH), eng.commitment_summary(MONTH)
        assert _cents(got_c, ["CommitmentDiscountId"], money) == _cents(want_c, ["CommitmentDiscountId"], money)
        spot = ["node_pool_cost", "spot_cost", "spot_list_cost", "spot_savings", "node_pool_hours", "spot_hours"]
        assert _cents(eng.spot_summary(MONTH), ["RegionId"], spot) == _cents(store.spot_summary(MONTH), ["RegionId"],
                                                                             spot)
    if kind == "cur":
        # by hand (tests/test_actuals_import.py write_cur): Usage 10 + 3.60 covered + 1.20 spot; Purchase 0.40
        # unused commitment; Tax 1.50; Credit -2.00 - 0.50 refund
        got = eng.spend(["ChargeCategory"], month=MONTH).set_index("ChargeCategory")["EffectiveCost"].round(2)
        assert got.to_dict() == {"Usage": 14.8, "Purchase": 0.4, "Tax": 1.5, "Credit": -2.5}
    else:
        # by hand from the files: the month's EffectiveCost summed by DuckDB over the Parquet itself
        con = duckdb.connect()
        total = con.execute(f"SELECT sum(EffectiveCost) FROM read_parquet('{export}/BILLING_PERIOD={MONTH}/*.parquet')"
                            ).fetchone()[0]
        assert round(float(eng.spend([], month=MONTH)["EffectiveCost"].sum()), 2) == round(total, 2)


def test_each_query_reads_only_the_partitions_it_needs(focus_export, spark):
    from costplan.actuals.spark import SparkEngine

    eng = SparkEngine(spark, path=str(focus_export))
    rel = eng.rows_for(month=MONTH)
    assert "BILLING_PERIOD IN ('2026-10')" in rel
    plan = spark.sql(f"EXPLAIN SELECT count(*) FROM {eng.table} WHERE BILLING_PERIOD IN ('2026-10')").collect()
    assert "PartitionFilters" in plan[0][0]


def test_report_on_spark_is_the_duckdb_report_to_the_cent(focus_export, focus_store, spark, tmp_path):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    runner = CliRunner()
    common = ["report", "--month", MONTH, "--no-images", "--no-projection"]
    a, b = tmp_path / "duckdb", tmp_path / "spark"
    res = runner.invoke(app, [*common, "--store", str(focus_store), "--out", str(a)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*common, "--engine", "spark", "--spark-path", str(focus_export), "--out", str(b)])
    assert res.exit_code == 0, res.output
    want, got = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    for doc in (want, got):
        doc.pop("generated_at", None)
        doc.pop("store", None)
        doc.pop("store_path", None)
    for key in want["sections"]:
        assert got["sections"].get(key) == want["sections"][key], key
    assert got == want
    assert (b / "breakdown.csv").read_text() == (a / "breakdown.csv").read_text()
