"""FOCUS and CUR 2.0 imports: hand-known totals, FOCUS charge semantics, malformed files that
leave the store unchanged, idempotent re-imports and all-or-nothing loads."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from export_files import write_text

from costplan.actuals.files import import_files
from costplan.actuals.store import PartsConflict, Store
from costplan.errors import CostplanError, InputError

FOCUS_HEADER = (
    "BillingAccountId,ProviderName,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
    "ChargeCategory,ChargeClass,ServiceName,RegionId,SkuId,PricingCategory,PricingQuantity,PricingUnit,"
    "BilledCost,EffectiveCost,ListCost,CommitmentDiscountId,CommitmentDiscountType,CommitmentDiscountStatus,Tags"
)
# October 2026, one account. By hand:
#   BilledCost    = 10.00 + 0 + 20.00 + 1.50 - 3.00 - 0.25 + 2.10 = 30.35
#   EffectiveCost = 10.00 + 14.40 + 0 + 1.50 - 3.00 - 0.25 + 2.10 + 5.60 = 30.35
FOCUS_ROWS = [
    # on-demand usage, tags as a JSON string
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,NULL,"
    "Amazon Elastic Compute Cloud,us-east-1,BoxUsage:c5.large,Standard,117.647,Hrs,10.00,10.00,10.00,NULL,NULL,NULL,"
    '"{""team"": ""platform""}"',
    # usage covered by a Savings Plan: billed 0, amortised 14.40
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,NULL,"
    "Amazon Elastic Compute Cloud,us-east-1,BoxUsage:m5.2xlarge,Committed,52.08,Hrs,0,14.40,20.00,sp-1,Savings Plan,Used,NULL",
    # the Savings Plan's recurring fee: billed 20, amortised into the usage above (EffectiveCost 0)
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Purchase,NULL,"
    "Savings Plans for AWS Compute usage,NULL,ComputeSP,Committed,24,Hrs,20.00,0,NULL,sp-1,Savings Plan,NULL,NULL",
    # unused commitment
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Usage,NULL,"
    "Savings Plans for AWS Compute usage,NULL,ComputeSP,Committed,NULL,NULL,0,5.60,NULL,sp-1,Savings Plan,Unused,NULL",
    # tax, credit, refund (a correction of an earlier period), spot
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Tax,NULL,"
    "Tax,NULL,NULL,NULL,NULL,NULL,1.50,1.50,NULL,NULL,NULL,NULL,NULL",
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Credit,NULL,"
    "Amazon Elastic Compute Cloud,NULL,NULL,NULL,NULL,NULL,-3.00,-3.00,NULL,NULL,NULL,NULL,NULL",
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Credit,Correction,"
    "AWS WAF,us-east-1,NULL,NULL,NULL,NULL,-0.25,-0.25,NULL,NULL,NULL,NULL,NULL",
    "acct,AWS,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,Usage,NULL,"
    "Amazon Elastic Compute Cloud,eu-west-1,SpotUsage:c5.xlarge,Dynamic,35,Hrs,2.10,2.10,6.00,NULL,NULL,NULL,"
    '"{""team"": ""data""}"',
]


def write_focus(path: Path, rows=FOCUS_ROWS, header=FOCUS_HEADER, gz=False) -> Path:
    return write_text(path, header + "\n" + "\n".join(rows) + "\n", gz)


def write_cur(path: Path) -> Path:
    """A CUR 2.0 Parquet file, October 2026. By hand:
    unblended sum = 10 + 5 - 5 + 4 + 1.5 - 2 - 0.5 + 1.2 = 14.20 (= BilledCost after mapping:
    covered usage 0, negation dropped); EffectiveCost = 10 + 3.6 + 0.4 + 1.5 - 2 - 0.5 + 1.2 = 14.20,
    of which the Savings Plan: covered 3.60, unused 0.40."""
    types = [
        "Usage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
        "Tax",
        "Credit",
        "Refund",
        "Usage",
    ]
    n = len(types)
    sp = "arn:aws:savingsplans::000000000000:savingsplan/x"
    table = pa.table(
        {
            "bill_billing_period_start_date": pa.array([dt.datetime(2026, 10, 1)] * n, pa.timestamp("ms")),
            "bill_billing_period_end_date": pa.array([dt.datetime(2026, 11, 1)] * n, pa.timestamp("ms")),
            "bill_payer_account_id": ["000000000000"] * n,
            "bill_invoice_id": ["INV-1"] * n,
            "line_item_usage_account_id": ["000000000000"] * n,
            "line_item_usage_start_date": pa.array([dt.datetime(2026, 10, 5)] * n, pa.timestamp("ms")),
            "line_item_usage_end_date": pa.array([dt.datetime(2026, 10, 6)] * n, pa.timestamp("ms")),
            "line_item_line_item_type": types,
            "line_item_product_code": [
                "AmazonEC2",
                "AmazonEC2",
                "AmazonEC2",
                "ComputeSavingsPlans",
                None,
                "AmazonEC2",
                "AmazonRDS",
                "AmazonEC2",
            ],
            "line_item_usage_type": [
                "BoxUsage:c5.large",
                "BoxUsage:m5.large",
                "BoxUsage:m5.large",
                "ComputeSP:1yrNoUpfront",
                None,
                None,
                "InstanceUsage:db.r6g.xl",
                "EU-SpotUsage:c5.xlarge",
            ],
            "line_item_line_item_description": [
                "od",
                "covered",
                "negation",
                "fee",
                "tax",
                "credit",
                "refund",
                "spot",
            ],
            "line_item_unblended_cost": [10.0, 5.0, -5.0, 4.0, 1.5, -2.0, -0.5, 1.2],
            "line_item_usage_amount": [117.6, 52.0, 52.0, 24.0, None, None, None, 35.0],
            "pricing_unit": ["Hrs", "Hrs", "Hrs", "Hrs", None, None, None, "Hrs"],
            "pricing_term": ["OnDemand", "OnDemand", "OnDemand", None, None, None, None, "Spot"],
            "pricing_public_on_demand_cost": [10.0, 5.0, 0.0, 0.0, None, None, None, 3.6],
            "product_region_code": [
                "us-east-1",
                "us-east-1",
                "us-east-1",
                None,
                None,
                None,
                "us-east-1",
                "eu-west-1",
            ],
            "product": pa.array(
                [[("product_name", "Amazon Elastic Compute Cloud")]] * 3
                + [[]]
                + [[("product_name", "Tax")]]
                + [[]] * 3,
                pa.map_(pa.string(), pa.string()),
            ),
            "resource_tags": pa.array(
                [[("user_team", "platform")]] + [[]] * (n - 1), pa.map_(pa.string(), pa.string())
            ),
            "savings_plan_savings_plan_a_r_n": [None, sp, sp, sp, None, None, None, None],
            "savings_plan_savings_plan_effective_cost": [0.0, 3.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "savings_plan_total_commitment_to_date": [0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0],
            "savings_plan_used_commitment": [0.0, 0.0, 0.0, 3.6, 0.0, 0.0, 0.0, 0.0],
            "reservation_reservation_a_r_n": pa.array([None] * n, pa.string()),
            "reservation_effective_cost": [0.0] * n,
            "reservation_unused_amortized_upfront_fee_for_billing_period": [0.0] * n,
            "reservation_unused_recurring_fee": [0.0] * n,
        }
    )
    pq.write_table(table, path)
    return path


@pytest.fixture(params=["main-table", "own-table"], autouse=True)
def layout(request, monkeypatch):
    """Run every test with small loads appended to rows_main and with each load in its own
    table (the path large imports take)."""
    from costplan.actuals import schema

    if request.param == "own-table":
        monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    return request.param


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.duckdb") as s:
        yield s


def _snapshot(store):
    rows = store.con.execute(
        "SELECT count(*), round(coalesce(sum(BilledCost), 0), 6), count(DISTINCT x_LoadId) FROM cost_rows"
    ).fetchone()
    loads = store.con.execute("SELECT count(*) FROM loads").fetchone()[0]
    return rows, loads


def test_focus_csv_totals_and_charge_semantics(store, tmp_path):
    report = import_files(store, "focus", [write_focus(tmp_path / "focus.csv")])
    assert report.rows_loaded == 8
    t = report.totals.iloc[0]
    assert (t.billing_period, t.ProviderName, t.source_BilledCost, t.stored_BilledCost, t.difference) == (
        "2026-10",
        "AWS",
        30.35,
        30.35,
        0.0,
    )
    by_cat = (
        store.spend(["ChargeCategory"], month="2026-10").set_index("ChargeCategory")["EffectiveCost"].round(2)
    )
    assert by_cat.to_dict() == {"Usage": 32.10, "Tax": 1.50, "Credit": -3.25, "Purchase": 0.0}
    billed = store.spend([], month="2026-10", metric="BilledCost")["BilledCost"][0]
    assert round(billed, 2) == 30.35
    # literal NULL strings are NULL, JSON tags are readable
    tags = (
        store.spend(["tag:team"], month="2026-10").set_index("tag:team")["EffectiveCost"].round(2).to_dict()
    )
    assert tags == {"platform": 10.0, "data": 2.10, "(untagged)": 30.35 - 12.10}
    assert (
        store.con.execute(
            "SELECT count(*) FROM cost_rows WHERE ChargeClass = 'NULL' OR RegionId = 'NULL'"
        ).fetchone()[0]
        == 0
    )
    assert (
        store.con.execute("SELECT ChargeClass FROM cost_rows WHERE ServiceName = 'AWS WAF'").fetchone()[0]
        == "Correction"
    )


def test_focus_csv_gz_and_parquet_folder_and_glob(store, tmp_path):
    import pandas as pd

    (tmp_path / "exports").mkdir()
    write_focus(tmp_path / "exports" / "a.csv.gz", rows=FOCUS_ROWS[:1], gz=True)
    df = pd.read_csv(
        write_focus(tmp_path / "b.csv", rows=FOCUS_ROWS[4:5]), keep_default_na=False, na_values=["NULL"]
    )
    df.to_parquet(tmp_path / "exports" / "b.parquet")
    report = import_files(store, "focus", [str(tmp_path / "exports")])
    assert len(report.files) == 2
    assert report.totals["stored_BilledCost"].tolist() == [11.50]
    store2 = Store(tmp_path / "other.duckdb")
    with store2:
        r2 = import_files(store2, "focus", [str(tmp_path / "exports" / "*.csv.gz")])
        assert r2.totals["stored_BilledCost"].tolist() == [10.0]


def test_reimport_replaces_instead_of_duplicating(store, tmp_path, layout):
    f = write_focus(tmp_path / "focus.csv")
    import_files(store, "focus", [f])
    second = import_files(store, "focus", [f])
    assert second.rows_replaced == 8
    assert round(store.spend([], metric="BilledCost")["BilledCost"][0], 2) == 30.35
    assert store.con.execute("SELECT count(*) FROM cost_rows").fetchone()[0] == 8
    tables = store.con.execute("SELECT count(*) FROM loads WHERE table_name IS NOT NULL").fetchone()[0]
    assert tables == (1 if layout == "own-table" else 0)  # the superseded load's table is gone
    # another file of the same period alone would replace the period with less: refused
    day2 = write_focus(tmp_path / "day2.csv", rows=FOCUS_ROWS[-1:])
    with pytest.raises(PartsConflict, match="focus.csv"):
        import_files(store, "focus", [day2])
    assert round(store.spend([], metric="BilledCost")["BilledCost"][0], 2) == 30.35
    assert store.con.execute("SELECT count(*) FROM cost_rows").fetchone()[0] == 8


def test_cur2_parquet_mapped_to_focus(store, tmp_path):
    report = import_files(store, "cur", [write_cur(tmp_path / "cur.parquet")])
    assert report.rows_loaded == 7  # the negation row is dropped
    assert report.totals["source_BilledCost"].tolist() == [14.20]
    assert report.totals["stored_BilledCost"].tolist() == [14.20]
    eff = store.spend([], month="2026-10")["EffectiveCost"][0]
    assert round(eff, 2) == 14.20
    rows = store.con.execute(
        """SELECT x_UsageType, ChargeCategory, BilledCost, EffectiveCost, CommitmentDiscountStatus, PricingCategory, ServiceName
           FROM cost_rows ORDER BY ChargeDescription"""
    ).fetchall()
    by_desc = {r[0]: r for r in rows}
    assert by_desc["BoxUsage:m5.large"][1:6] == ("Usage", 0.0, 3.6, "Used", "Committed")
    assert by_desc["ComputeSP:1yrNoUpfront"][1:5] == ("Purchase", 4.0, pytest.approx(0.4), "Unused")
    assert by_desc["EU-SpotUsage:c5.xlarge"][5] == "Dynamic"
    assert (
        by_desc["InstanceUsage:db.r6g.xl"][1] == "Credit"
        and by_desc["InstanceUsage:db.r6g.xl"][6] == "Amazon Relational Database Service"
    )
    cats = (
        store.spend(["ChargeCategory"], month="2026-10", metric="BilledCost")
        .set_index("ChargeCategory")["BilledCost"]
        .round(2)
    )
    assert cats.to_dict() == {"Usage": 11.2, "Purchase": 4.0, "Tax": 1.5, "Credit": -2.5}
    tag = store.con.execute(
        "SELECT json_extract_string(Tags, '$.user_team') FROM cost_rows WHERE x_UsageType = 'BoxUsage:c5.large'"
    ).fetchone()[0]
    assert tag == "platform"


# -- malformed files ---------------------------------------------------------------------------
@pytest.fixture
def loaded(store, tmp_path):
    import_files(store, "focus", [write_focus(tmp_path / "good.csv")])
    return store


def _bad_missing_column(tmp_path):
    header = FOCUS_HEADER.replace("EffectiveCost,", "")
    rows = [r.replace(",10.00,10.00,10.00,", ",10.00,10.00,", 1) for r in FOCUS_ROWS[:1]]
    return write_focus(
        tmp_path / "missing.csv", rows=rows, header=header
    ), "missing required column EffectiveCost"


def _bad_date(tmp_path):
    return write_focus(
        tmp_path / "baddate.csv",
        rows=[FOCUS_ROWS[0].replace("2026-10-01T00:00:00Z,2026-10-02", "2026-13-45,2026-10-02")],
    ), "ChargePeriodStart"


def _bad_number(tmp_path):
    return write_focus(
        tmp_path / "badcost.csv", rows=[FOCUS_ROWS[4].replace("1.50,1.50", "one fifty,1.50")]
    ), "BilledCost"


def _truncated_parquet(tmp_path):
    import pandas as pd

    src = write_focus(tmp_path / "full.csv")
    pd.read_csv(src).to_parquet(tmp_path / "full.parquet")
    data = (tmp_path / "full.parquet").read_bytes()
    (tmp_path / "trunc.parquet").write_bytes(data[: len(data) // 2])
    return tmp_path / "trunc.parquet", "trunc.parquet"


def _truncated_gzip(tmp_path):
    write_focus(tmp_path / "full.csv.gz", rows=FOCUS_ROWS * 200, gz=True)
    data = (tmp_path / "full.csv.gz").read_bytes()
    (tmp_path / "trunc.csv.gz").write_bytes(data[: len(data) // 2])
    return tmp_path / "trunc.csv.gz", "trunc.csv.gz"


@pytest.mark.parametrize(
    "make", [_bad_missing_column, _bad_date, _bad_number, _truncated_parquet, _truncated_gzip]
)
def test_malformed_file_clear_error_and_store_unchanged(loaded, tmp_path, make):
    before = _snapshot(loaded)
    bad, expected = make(tmp_path)
    with pytest.raises(InputError) as exc:
        import_files(loaded, "focus", [tmp_path / "good.csv", bad])
    assert expected in str(exc.value)
    assert _snapshot(loaded) == before


def test_error_names_the_file_and_bad_value(store, tmp_path):
    bad, _ = _bad_number(tmp_path)
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [bad])
    msg = str(exc.value)
    assert "badcost.csv" in msg and "'one fifty'" in msg and "BilledCost" in msg


def test_failed_totals_check_rolls_back(loaded, tmp_path, monkeypatch):
    from costplan.actuals import files

    before = _snapshot(loaded)
    real = files._scan

    def off_by_a_cent(*a, **k):
        return real(*a, **k).map_column("source_BilledCost", lambda v: v + 0.01)

    monkeypatch.setattr(files, "_scan", off_by_a_cent)
    with pytest.raises(CostplanError, match="totals do not match"):
        import_files(loaded, "focus", [tmp_path / "good.csv"])
    assert _snapshot(loaded) == before


def test_load_killed_half_way_leaves_store_as_it_was(loaded, tmp_path):
    """A process that dies inside the load's transaction (after the insert, before the
    commit) leaves the previous contents."""
    before = _snapshot(loaded)
    path = loaded.path
    loaded.close()
    more = write_focus(
        tmp_path / "more.csv",
        rows=[r.replace("2026-10", "2026-09").replace("2026-11", "2026-10") for r in FOCUS_ROWS],
    )
    script = textwrap.dedent(
        f"""
        import os
        from costplan.actuals.store import Store
        from costplan.actuals.files import import_files
        s = Store({str(path)!r})
        s._hooks["before_commit"] = lambda con, load_id: os._exit(9)
        import_files(s, "focus", [{str(more)!r}])
        """
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr.decode()
    with Store(path) as again:
        assert _snapshot(again) == before
        assert again.months() == ["2026-10"]


def test_cli_import_prints_totals_and_exits_2_on_bad_input(tmp_path):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    runner = CliRunner()
    good = write_focus(tmp_path / "focus.csv")
    res = runner.invoke(
        app, ["import", "focus", str(good), "--store", str(tmp_path / "s.duckdb"), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["totals"][0]["stored_BilledCost"] == 30.35 and out["rows_loaded"] == 8
    bad, _ = _bad_date(tmp_path)
    res = runner.invoke(app, ["import", "focus", str(bad), "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 2
    assert "baddate.csv" in res.output and "Traceback" not in res.output
    res = runner.invoke(
        app, ["import", "focus", str(tmp_path / "nope.csv"), "--store", str(tmp_path / "s.duckdb")]
    )
    assert res.exit_code == 2 and "no such file" in res.output


def test_focus_1_2_invoice_id_marks_estimated_rows_and_extra_columns_are_ignored(store, tmp_path):
    header = FOCUS_HEADER + ",InvoiceId,ServiceSubcategory,x_Operation"
    rows = [FOCUS_ROWS[0] + ",INV-0001,Virtual Machines,RunInstances", FOCUS_ROWS[4] + ",,Tax,NULL"]
    import_files(store, "focus", [write_focus(tmp_path / "focus12.csv", rows=rows, header=header)])
    status = dict(store.con.execute("SELECT ServiceName, x_ChargeStatus FROM cost_rows").fetchall())
    assert status == {"Amazon Elastic Compute Cloud": "Final", "Tax": "Estimated"}
    assert store.spend(["month"])["Estimated"].tolist() == [True]


def test_export_relation_gives_the_same_totals_as_the_cur_import(store, tmp_path):
    """The CUR 2.0 mapping the remote engines read a table through (the file import's own),
    run here by DuckDB over the same file, agrees with the file import by charge category."""
    import duckdb

    from costplan.actuals.queries import export_relation, spend_sql

    path = write_cur(tmp_path / "cur.parquet")
    import_files(store, "cur", [path])
    expected = (
        store.spend(["ChargeCategory"], month="2026-10")
        .set_index("ChargeCategory")["EffectiveCost"]
        .round(2)
        .to_dict()
    )
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur")
    con.execute(f"CREATE VIEW cur.cur2 AS SELECT * FROM read_parquet('{path}')")
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'cur2'").fetchall())
    sql = spend_sql(export_relation("cur.cur2", "cur", types), ["ChargeCategory"], month="2026-10")
    got = {r[0]: round(r[1], 2) for r in con.execute(sql).fetchall()}
    # by hand: Usage 10 + 3.60 (covered) + 1.20 (spot); Purchase 0.40 unused commitment;
    # Tax 1.50; Credit -2.00 - 0.50 (refund)
    assert got == expected == {"Usage": 14.8, "Purchase": 0.4, "Tax": 1.5, "Credit": -2.5}


def test_a_failed_import_into_a_new_store_writes_no_file(tmp_path):
    from cli_runner import costplan

    store = tmp_path / "new.duckdb"
    empty = tmp_path / "exports"
    empty.mkdir()
    res = costplan("import", "focus", str(empty), "--store", str(store))
    assert res.code == 2 and "no .parquet, .csv, .csv.gz file or manifest in this folder" in res.err
    assert not store.exists()
