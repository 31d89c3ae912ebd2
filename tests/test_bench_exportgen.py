"""The benchmarks' export generator writes files costplan imports to the cent, with the FOCUS
column names of AWS's "FOCUS 1.0 with AWS columns" table, the same data for the same seed."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from costplan import focus
from costplan.actuals.files import import_files
from costplan.actuals.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import exportgen

ROWS = 3000

#: FOCUS 1.0 columns an AWS export has that costplan's own plan export does not write.
FOCUS_10_NOT_IN_PLAN = {
    "AvailabilityZone", "ResourceId", "ResourceName", "ResourceType", "SkuId", "SkuPriceId", "SubAccountId",
    "SubAccountName", "Tags",
}
#: The extension columns AWS adds to FOCUS 1.0.
AWS_EXTENSIONS = {"x_CostCategories", "x_Discounts", "x_Operation", "x_ServiceCode", "x_UsageType"}


def test_focus_columns_are_the_aws_focus_1_0_table():
    cols = exportgen.FOCUS_COLUMNS
    assert len(cols) == len(set(cols)) == 48
    # every column is a FOCUS column costplan's plan export also writes (spec names), one of
    # the FOCUS 1.0 columns it does not write, or one of AWS's five extensions
    plan = set(focus.COLUMNS)
    unknown = [c for c in cols if c not in plan and c not in FOCUS_10_NOT_IN_PLAN and c not in AWS_EXTENSIONS]
    assert unknown == []
    # InvoiceId is FOCUS 1.2, not in a 1.0 export
    assert "InvoiceId" not in cols


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen")
    out = {}
    for name in ("focus.parquet", "focus.csv.gz"):
        exportgen.write("focus", ROWS, d / name, seed=7)
    exportgen.write("cur", ROWS, d / "cur.parquet", seed=7)
    out = {p.name: p for p in d.iterdir()}
    return out


def _file_totals(path: Path, billed: str, period: str, where: str = "TRUE") -> dict[str, float]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    reader = f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}')"
    rows = con.execute(
        f"SELECT strftime(CAST({period} AS TIMESTAMP), '%Y-%m'), sum({billed}) FROM {reader} WHERE {where} GROUP BY 1"
    ).fetchall()
    return {m: round(v, 2) for m, v in rows}


def test_shape(files):
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{files['focus.parquet']}')")
    types = dict(zip(rel.columns, [str(t) for t in rel.types], strict=True))
    assert list(types) == exportgen.FOCUS_COLUMNS
    assert types["Tags"] == types["x_CostCategories"] == "MAP(VARCHAR, VARCHAR)"
    assert types["x_Discounts"] == "MAP(VARCHAR, DOUBLE)"
    (periods, services, regions, accounts, other, hourly) = con.execute(
        f"""SELECT count(DISTINCT BillingPeriodStart), count(DISTINCT ServiceName), count(DISTINCT RegionId),
                   count(DISTINCT SubAccountId), avg(CAST(ChargeCategory <> 'Usage' AS INTEGER)),
                   bool_and(ChargePeriodEnd - ChargePeriodStart = INTERVAL 1 HOUR)
            FROM read_parquet('{files['focus.parquet']}')"""
    ).fetchall()[0]
    assert periods == 3 and regions == 11 and accounts == 40 and hourly
    assert services >= 30  # 42 services, skewed: a 3,000-row sample misses some rare ones
    assert other == pytest.approx(0.015, abs=0.002)  # rows 0, 1, 2 of every 200


def test_same_seed_same_rows(tmp_path, files):
    exportgen.write("focus", ROWS, tmp_path / "again.parquet", seed=7)
    exportgen.write("focus", ROWS, tmp_path / "other.parquet", seed=8)
    con = duckdb.connect()

    def digest(p):
        return con.execute(
            f"SELECT sum(hash(ResourceId, SkuId, BilledCost, ChargePeriodStart)) FROM read_parquet('{p}')"
        ).fetchall()[0][0]

    assert digest(tmp_path / "again.parquet") == digest(files["focus.parquet"])
    assert digest(tmp_path / "other.parquet") != digest(files["focus.parquet"])


@pytest.mark.parametrize("name", ["focus.parquet", "focus.csv.gz"])
def test_focus_imports_to_the_cent(tmp_path, files, name):
    path = files[name]
    expected = _file_totals(path, "BilledCost", "BillingPeriodStart")
    with Store(tmp_path / "s.duckdb") as store:
        report = import_files(store, "focus", [path])
        assert report.rows_loaded == ROWS
        got = store.spend(["month"], metric="BilledCost")
    assert {r.month: round(r.BilledCost, 2) for r in got.itertuples()} == expected


def test_cur_imports_to_the_cent(tmp_path, files):
    path = files["cur.parquet"]
    # the invoice of a CUR 2.0 export: the sum of every line item's unblended cost (each
    # SavingsPlanNegation line cancels the covered usage line it follows)
    expected = _file_totals(path, "line_item_unblended_cost", "bill_billing_period_start_date")
    with Store(tmp_path / "s.duckdb") as store:
        import_files(store, "cur", [path])
        got = store.spend(["month"], metric="BilledCost")
    assert {r.month: round(r.BilledCost, 2) for r in got.itertuples()} == expected
