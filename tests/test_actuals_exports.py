"""Real export shapes and the failures seen with them: multi-part periods and manifests, FOCUS
1.0-1.3 with their optional columns left out, legacy CUR CSV, literal paths, non-finite
amounts, offsets, currencies, tags, self-declared synthetic rows, account ids, read-only
stores. Expected totals are worked out by hand in each test."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from cli_runner import costplan
from export_files import write_text

from costplan.actuals import schema
from costplan.actuals.files import import_files, legacy_cur_name
from costplan.actuals.store import PartsConflict, Store
from costplan.errors import CostplanError, InputError

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "tests" / "data" / "focus-spec"



@pytest.fixture(params=["main-table", "own-table"])
def layout(request, monkeypatch):
    """Small loads appended to rows_main, or each load in its own table (large imports)."""
    if request.param == "own-table":
        monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    return request.param


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def cli(*args: str):
    """The real command in this process (fast); `costplan()` runs it in a subprocess."""
    from typer.testing import CliRunner

    from costplan.cli.app import app

    res = CliRunner().invoke(app, list(args))
    return res

# -- FOCUS files to the columns of each version ----------------------------------------------------
# The Mandatory columns of each release (FOCUS_Spec tags v1.0, v1.1, v1.2, commit of v1.2
# 7296e3146fb931ee32b6496fa6e4200e7f4384f7: "Feature level | Mandatory" in
# specification/columns/*.md). Conditional, Recommended and Optional columns are left out.
MANDATORY_1_0 = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
]
MANDATORY = {
    "1.0": MANDATORY_1_0,
    "1.1": MANDATORY_1_0,  # 1.1 added Conditional/Recommended columns only
    "1.2": MANDATORY_1_0,  # 1.2 added InvoiceId (Recommended), BillingAccountType (Conditional), ...
    # 1.3 names the provider ServiceProviderName and adds HostProviderName, in place of
    # ProviderName and PublisherName
    "1.3": [c for c in MANDATORY_1_0 if c not in ("ProviderName", "PublisherName")]
    + ["ServiceProviderName", "HostProviderName"],
}


def focus_rows(version: str, month: str = "2026-09", null: str = "") -> list[dict]:
    """One month of one account: EC2 usage of 10.00 a day, a tax of 1.50 and a credit of
    -2.00 on the last day. Value rules of the spec: ChargeClass null unless a correction,
    PricingQuantity / PricingUnit null on Tax rows, dates ISO 8601 in UTC, numbers plain or in
    E notation. By hand: BilledCost = 30 x 10.00 + 1.50 - 2.00 = 299.50 for a 30-day month."""
    start = pd.Timestamp(month + "-01")
    end = start + pd.offsets.MonthBegin(1)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    base = {
        "BillingAccountId": "111122223333", "BillingAccountName": "Example payer", "BillingCurrency": "USD",
        "BillingPeriodStart": start.strftime(iso), "BillingPeriodEnd": end.strftime(iso),
        "ChargeClass": null, "InvoiceIssuerName": "AWS", "ProviderName": "AWS", "PublisherName": "AWS",
        "ServiceProviderName": "AWS", "HostProviderName": "AWS",
    }
    rows = []
    for day in pd.date_range(start, end - pd.Timedelta(days=1), freq="D"):
        rows.append(dict(
            base, ChargeCategory="Usage", ChargeDescription="$0.17 per On Demand Linux c5.xlarge Instance Hour",
            ChargePeriodStart=day.strftime(iso), ChargePeriodEnd=(day + pd.Timedelta(days=1)).strftime(iso),
            ServiceCategory="Compute", ServiceName="Amazon Elastic Compute Cloud",
            PricingQuantity="5.882352941E1", PricingUnit="Hours",
            BilledCost="10.00", EffectiveCost="10.00", ListCost="10.00", ContractedCost="10.00",
        ))
    last = (end - pd.Timedelta(days=1)).strftime(iso)
    rows.append(dict(
        base, ChargeCategory="Tax", ChargeDescription="Sales tax", ChargePeriodStart=last, ChargePeriodEnd=end.strftime(iso),
        ServiceCategory="Other", ServiceName="Tax", PricingQuantity=null, PricingUnit=null,
        BilledCost="1.50", EffectiveCost="1.50", ListCost="0", ContractedCost="0",
    ))
    rows.append(dict(
        base, ChargeCategory="Credit", ChargeDescription="Promotional credit", ChargePeriodStart=last,
        ChargePeriodEnd=end.strftime(iso), ServiceCategory="Compute", ServiceName="Amazon Elastic Compute Cloud",
        PricingQuantity=null, PricingUnit=null, BilledCost="-2.00", EffectiveCost="-2.00", ListCost="0", ContractedCost="0",
    ))
    cols = MANDATORY[version]
    return [{c: r[c] for c in cols} for r in rows]


def write_rows(path: Path, rows: list[dict], *, gz: bool = False) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(buf.getvalue())
    else:
        path.write_text(buf.getvalue())
    return path


def billed(store: Store, **kw) -> float:
    return round(float(store.spend([], metric="BilledCost", **kw)["BilledCost"].sum()), 2)


@pytest.mark.parametrize("version,null", [("1.0", ""), ("1.1", "NULL"), ("1.2", ""), ("1.3", "null")])
def test_each_focus_version_with_only_its_mandatory_columns_imports_and_every_command_works(
    tmp_path, version, null, monkeypatch
):
    monkeypatch.delenv("COSTPLAN_STORE", raising=False)
    f = write_rows(tmp_path / f"focus-{version}.csv", focus_rows(version, null=null))
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        report = import_files(s, "focus", [f])
        assert report.totals[["billing_period", "BillingCurrency", "source_BilledCost", "stored_BilledCost"]].values.tolist() == [
            ["2026-09", "USD", 299.50, 299.50]
        ]
        assert billed(s) == 299.50  # 30 x 10.00 + 1.50 - 2.00
        # no status column, no invoice id: rows are final, never NULL
        assert s.con.execute("SELECT count(*) FROM cost_rows WHERE x_ChargeStatus IS NULL OR x_Synthetic IS NULL").fetchone()[0] == 0
        assert s.con.execute("SELECT DISTINCT ProviderName FROM cost_rows").fetchall() == [("AWS",)]
    plan = tmp_path / "plan.csv"
    plan.write_text("component,component_kind,ServiceName,ListCost\nworkers,node_pool,Amazon Elastic Compute Cloud,280\n")
    commands = [
        ("actuals", "--by", "month"),
        ("actuals", "--by", "component", "--month", "2026-09", "--format", "json"),
        ("actuals", "--by", "ServiceName,RegionId,ChargeCategory", "--format", "csv"),
        ("actuals", "--by", "tag:team", "--month", "2026-09"),
        ("actuals", "--by", "BillingAccountId", "--format", "csv"),
        ("actuals", "--by", "day", "--from", "2026-09-01", "--to", "2026-09-03"),
        ("store", "--format", "json"),
        ("reconcile", "--plan", str(plan), "--month", "2026-09", "--format", "json"),
    ]
    if version == "1.0":  # the report reads the store through the same queries; once is enough
        commands.append(("report", "--month", "2026-09", "--out", str(tmp_path / "report"), "--no-images",
                         "--no-projection"))
    for args in commands:
        res = cli(*args, "--store", str(path))
        assert res.exit_code == 0, (args, res.output)
        assert "Traceback" not in res.output and "unexpected" not in res.output, (args, res.output)
    if version == "1.0":
        summary = json.loads((tmp_path / "report" / "summary.json").read_text())
        # by hand: the month's EffectiveCost, 30 x 10.00 + 1.50 - 2.00
        assert (summary["month"], round(summary["headline"]["total"], 2)) == ("2026-09", 299.50)
        assert summary["synthetic_data"] is False
    accounts = cli("actuals", "--by", "BillingAccountId", "--format", "csv", "--store", str(path))
    assert "111122223333" not in accounts.stdout and "********3333" in accounts.stdout
    shown = cli("actuals", "--by", "BillingAccountId", "--format", "csv", "--show-account-ids", "--store", str(path))
    assert "111122223333" in shown.stdout


def test_focus_parquet_with_timestamp_and_decimal_types(store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = pd.DataFrame(focus_rows("1.2"))
    for c in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        df[c] = pd.to_datetime(df[c], utc=True)
    for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        df[c] = df[c].map(lambda v: __import__("decimal").Decimal(v))
    df["PricingQuantity"] = pd.to_numeric(df["PricingQuantity"].replace("", None))
    df["ChargeClass"] = None
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index("BilledCost"), "BilledCost", pa.array(df["BilledCost"], pa.decimal128(18, 6))
    )
    pq.write_table(table, tmp_path / "f.parquet")
    import_files(store, "focus", [tmp_path / "f.parquet"])
    assert billed(store) == 299.50


def test_the_focus_specification_example_files_are_refused_clearly_and_import_once_made_conformant(store, tmp_path):
    # the SaaS example writes dates as 4/1/25: not ISO 8601
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [SPEC / "saas_spend_agreements_a1.csv"])
    msg = str(exc.value)
    assert "saas_spend_agreements_a1.csv" in msg and "BillingPeriodStart" in msg and "'4/1/25'" in msg
    assert "row 1 (line 2)" in msg and "ISO 8601" in msg
    # the commitment examples carry only their scenario's columns and write NULL as null
    for name in ("commitment_discount_usage_scenario_1.csv",
                 "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv"):
        with pytest.raises(InputError, match="missing required column ServiceName"):
            import_files(store, "focus", [SPEC / name])
    assert store.con.execute("SELECT count(*) FROM loads").fetchone()[0] == 0
    # the SaaS rows with their dates written in ISO 8601 (April 2025 .. March 2026, as the
    # example's text tells): 48 + 120 + 60 + 972 = 1200.00 billed
    text = (SPEC / "saas_spend_agreements_a1.csv").read_text()
    for us, iso in (("3/1/26", "2026-03-01"), ("4/1/26", "2026-04-01"), ("4/1/25", "2025-04-01"),
                    ("5/1/25", "2025-05-01"), ("6/1/25", "2025-06-01"), ("7/1/25", "2025-07-01")):
        text = text.replace("," + us + ",", "," + iso + "T00:00:00Z,").replace("," + us + ",", "," + iso + "T00:00:00Z,")
    (tmp_path / "saas.csv").write_text(text)
    report = import_files(store, "focus", [tmp_path / "saas.csv"])
    assert report.totals["stored_BilledCost"].sum() == 1200.0
    assert report.totals["billing_period"].tolist() == ["2025-04", "2025-05", "2025-06", "2026-03"]
    # its providers are "Acme Co", kept as the file says
    assert store.con.execute("SELECT DISTINCT ProviderName FROM cost_rows").fetchall() == [("Acme Co",)]


# -- the failures of the issue, one test each --------------------------------------------------------
def test_report_works_on_a_store_of_a_small_focus_import_without_status_or_invoice(tmp_path):
    """Failure: `costplan report` crashed (NaN to bool) because small imports were stored with
    a NULL x_ChargeStatus."""
    f = write_rows(tmp_path / "f.csv", focus_rows("1.0"))
    path = tmp_path / "s.duckdb"
    assert cli("import", "focus", str(f), "--store", str(path)).exit_code == 0
    res = cli("report", "--month", "2026-09", "--store", str(path), "--out", str(tmp_path / "r"),
              "--no-images", "--no-projection")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "report.html").exists()


def test_a_version_6_store_with_null_statuses_is_migrated_with_its_data(tmp_path):
    import duckdb

    path = tmp_path / "v6.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMP)")
    for version, _, statements in schema.MIGRATIONS[:6]:
        for sql in statements:
            con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, 'old', now()::TIMESTAMP)", [version])
    con.execute("CREATE VIEW cost_rows AS SELECT * FROM rows_main")
    con.execute(
        """INSERT INTO rows_main (BillingPeriodStart, ChargePeriodStart, ChargePeriodEnd, ServiceName, BilledCost,
                                  EffectiveCost, x_Source, x_LoadId, ProviderName)
           VALUES ('2026-09-01', '2026-09-01', '2026-09-02', 'AWS WAF', 12.5, 12.5, 'focus', 1, 'AWS')"""
    )
    con.execute("INSERT INTO loads VALUES (1, 'focus', 'focus import of 1 file(s)', now()::TIMESTAMP, 1, 0, NULL)")
    con.execute("INSERT INTO period_source VALUES ('2026-09-01', 'focus', true)")
    con.close()
    with Store(path, read_only=True) as s:  # a reading command migrates it once
        assert s.schema_version() == schema.SCHEMA_VERSION
        assert s.con.execute("SELECT x_ChargeStatus, x_Synthetic, BillingCurrency, BilledCost FROM cost_rows").fetchall() == [
            ("Final", False, "USD", 12.5)
        ]
        # the old load is one part of September: a new file alone does not replace it
        assert s.held_parts()["part"].tolist() == ["load 1"]


def test_two_parts_of_one_period_never_replace_each_other(tmp_path, layout):
    """Failure: importing partA.csv ($120) then partB.csv ($60) of the same days left $120 of $180."""
    rows = focus_rows("1.2", month="2026-10")[:30]  # 30 days of 10.00 = 300.00
    part_a = write_rows(tmp_path / "partA.csv", [dict(r, BilledCost="4.00", EffectiveCost="4.00") for r in rows])
    part_b = write_rows(tmp_path / "partB.csv", [dict(r, BilledCost="2.00", EffectiveCost="2.00",
                                                        ServiceName="AWS WAF") for r in rows])
    # by hand: part A 30 x 4.00 = 120.00, part B 30 x 2.00 = 60.00, together 180.00
    with Store(tmp_path / "s.duckdb") as s:
        import_files(s, "focus", [part_a])
        with pytest.raises(PartsConflict) as exc:
            import_files(s, "focus", [part_b])
        assert "partA.csv" in str(exc.value) and "--append" in str(exc.value)
        assert billed(s) == 120.0
        import_files(s, "focus", [part_b], mode="append")
        assert billed(s) == 180.0
        import_files(s, "focus", [part_b], mode="append")  # B's own load is replaced, not doubled
        assert billed(s) == 180.0
        import_files(s, "focus", [part_a, part_b])  # the whole period at once replaces both loads
        assert billed(s) == 180.0
        assert sorted(s.held_parts()["part"]) == ["partA.csv", "partB.csv"]
        with pytest.raises(PartsConflict, match="count it twice"):  # B is held together with A now
            import_files(s, "focus", [part_b], mode="append")
        assert billed(s) == 180.0
        import_files(s, "focus", [part_a], mode="complete")  # --replace: A is the whole period now
        assert billed(s) == 120.0
    res = cli("import", "focus", str(part_b), "--store", str(tmp_path / "s.duckdb"))
    assert res.exit_code == 2 and "partA.csv" in res.output and "Traceback" not in res.output


def _data_exports(root: Path, name: str, periods: dict[str, list[list[dict]]], stale: bool = False) -> Path:
    """An AWS Data Exports folder: data/BILLING_PERIOD=YYYY-MM/<name>-0000N.csv.gz parts and
    metadata/BILLING_PERIOD=YYYY-MM/<name>-Manifest.json listing them as s3:// URIs."""
    for period, parts in periods.items():
        data = root / name / "data" / f"BILLING_PERIOD={period}"
        meta = root / name / "metadata" / f"BILLING_PERIOD={period}"
        data.mkdir(parents=True)
        meta.mkdir(parents=True)
        keys = []
        for i, rows in enumerate(parts, start=1):
            fname = f"{name}-{i:05d}.csv.gz"
            write_rows(data / fname, rows, gz=True)
            keys.append(f"s3://bucket/exports/{name}/data/BILLING_PERIOD={period}/{fname}")
        if stale:  # a part of an earlier delivery, no longer listed
            write_rows(data / f"{name}-00009.csv.gz", parts[0], gz=True)
        (meta / f"{name}-Manifest.json").write_text(json.dumps({
            "executionId": "00000000-0000-0000-0000-000000000000",
            "exportArn": f"arn:aws:bcm-data-exports:us-east-1:111122223333:export/{name}-0000",
            "billingPeriod": {"start": f"{period}-01T00:00:00.000Z"},
            "columns": [{"name": c, "type": "string"} for c in parts[0][0]],
            "dataFiles": keys,
        }))
    return root / name


def test_a_data_exports_folder_is_read_through_its_manifests(tmp_path):
    sep, octo = focus_rows("1.0", "2026-09"), focus_rows("1.0", "2026-10")
    export = _data_exports(tmp_path / "sync", "focus-export", {"2026-09": [sep[:10], sep[10:]], "2026-10": [octo]}, stale=True)
    with Store(tmp_path / "s.duckdb") as s:
        report = import_files(s, "focus", [export])
        assert report.mode == "complete" and len(report.manifests) == 2
        assert len(report.files) == 3 and len(report.ignored) == 2  # the stale part of each period is not read
        # by hand: September 299.50; October 31 x 10.00 + 1.50 - 2.00 = 309.50
        assert s.spend(["month"], metric="BilledCost").set_index("month")["BilledCost"].round(2).to_dict() == {
            "2026-09": 299.50, "2026-10": 309.50}
        # a manifest names a part that was not copied: nothing is imported
        (export / "data" / "BILLING_PERIOD=2026-10" / "focus-export-00001.csv.gz").unlink()
        with pytest.raises(InputError, match="1 of the 1 part"):
            import_files(s, "focus", [export])
        assert billed(s) == 609.0


def test_a_legacy_cur_folder_reads_only_the_current_assembly(tmp_path):
    """Legacy CUR: <report>/<yyyymmdd-yyyymmdd>/<assembly>/<report>-N.csv.gz, the period's
    manifest listing the current assembly's parts; an older assembly stays beside it."""
    period = tmp_path / "cur" / "my-report" / "20261001-20261101"
    header = ["identity/LineItemId", "bill/PayerAccountId", "bill/BillingPeriodStartDate", "bill/BillingPeriodEndDate",
              "bill/InvoiceId", "lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/UsageStartDate",
              "lineItem/UsageEndDate", "lineItem/ProductCode", "lineItem/UsageType", "lineItem/UsageAmount",
              "lineItem/CurrencyCode", "lineItem/UnblendedCost", "lineItem/LineItemDescription", "product/ProductName",
              "product/region", "pricing/unit", "pricing/publicOnDemandCost", "resourceTags/user:team"]

    def line(i, cost, typ="Usage", usage="BoxUsage:c5.large", team="platform"):
        return [f"id{i}", "111122223333", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "", "111122223333", typ,
                f"2026-10-{i:02d}T00:00:00Z", f"2026-10-{i:02d}T01:00:00Z", "AmazonEC2", usage, "1", "USD", cost,
                "c5.large", "Amazon Elastic Compute Cloud", "us-east-1", "Hrs", cost, team]

    for assembly, lines in (("aaaa-old", [line(1, "9.00")]),
                            ("bbbb-new", [line(1, "2.00"), line(2, "3.00", team=""), line(3, "0.50", "Tax", "", team="")])):
        (period / assembly).mkdir(parents=True)
        with gzip.open(period / assembly / "my-report-1.csv.gz", "wt") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(lines)
    (period / "my-report-Manifest.json").write_text(json.dumps({
        "assemblyId": "bbbb-new", "reportName": "my-report",
        "billingPeriod": {"start": "20261001T000000.000Z", "end": "20261101T000000.000Z"},
        "reportKeys": ["cur/my-report/20261001-20261101/bbbb-new/my-report-1.csv.gz"],
    }))
    (period / "aaaa-old" / "my-report-Manifest.json").write_text(json.dumps({
        "assemblyId": "aaaa-old", "reportName": "my-report",
        "billingPeriod": {"start": "20261001T000000.000Z", "end": "20261101T000000.000Z"},
        "reportKeys": ["cur/my-report/20261001-20261101/aaaa-old/my-report-1.csv.gz"],
    }))
    with Store(tmp_path / "s.duckdb") as s:
        report = import_files(s, "cur", [tmp_path / "cur"])
        # by hand: the new assembly only, 2.00 + 3.00 + 0.50 = 5.50 (never the old 9.00)
        assert report.totals["stored_BilledCost"].tolist() == [5.50]
        assert s.spend(["ChargeCategory"], metric="BilledCost").set_index("ChargeCategory")["BilledCost"].to_dict() == {
            "Usage": 5.0, "Tax": 0.5}
        assert s.spend(["tag:user_team"]).set_index("tag:user_team")["EffectiveCost"].to_dict() == {
            "platform": 2.0, "(untagged)": 3.5}
        # no invoice id yet: Estimated
        assert s.spend(["month"])["Estimated"].tolist() == [True]


def test_legacy_cur_column_names_follow_the_cur_2_rule():
    assert legacy_cur_name("lineItem/UsageStartDate") == "line_item_usage_start_date"
    assert legacy_cur_name("savingsPlan/SavingsPlanARN") == "savings_plan_savings_plan_a_r_n"
    assert legacy_cur_name("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod") == (
        "reservation_unused_amortized_upfront_fee_for_billing_period")


def test_a_path_is_taken_literally_before_any_pattern(store, tmp_path):
    """Failure: `import focus 'a[1].csv'` read a1.csv (the path was used as a glob)."""
    rows = focus_rows("1.0")
    write_rows(tmp_path / "a[1].csv", rows[:1])  # 10.00
    write_rows(tmp_path / "a1.csv", rows[1:3])  # 20.00
    report = import_files(store, "focus", [str(tmp_path / "a[1].csv")])
    assert report.files == [str(tmp_path / "a[1].csv")]
    assert billed(store) == 10.0
    # a pattern the shell did not expand still works when no such file exists
    with Store(tmp_path / "other.duckdb") as other:
        r = import_files(other, "focus", [str(tmp_path / "a?.csv")])
        assert r.files == [str(tmp_path / "a1.csv")] and billed(other) == 20.0


@pytest.mark.parametrize("value", ["NaN", "inf", "-Infinity", "1e309", "1e16"])
def test_costs_that_are_not_finite_amounts_are_bad_input(store, tmp_path, value):
    """Failure: 'NaN', 'inf' and '1e309' costs were imported and shown as blank or 0.00."""
    rows = focus_rows("1.0")
    rows[4]["BilledCost"] = value
    f = write_rows(tmp_path / "bad.csv", rows)
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [f])
    msg = str(exc.value)
    assert "bad.csv" in msg and "BilledCost" in msg and f"{value!r}" in msg and "row 5 (line 6)" in msg
    assert store.con.execute("SELECT count(*) FROM loads").fetchone()[0] == 0


def test_a_billing_period_written_with_an_offset_is_its_own_month(store, tmp_path):
    """Failure: BillingPeriodStart 2026-10-01T00:00:00+05:00 (2026-09-30T19:00Z) landed in
    September and was counted beside September's own spend."""
    sep = focus_rows("1.0", "2026-09")[:1]  # 10.00 in September
    octo = focus_rows("1.0", "2026-10")[:2]  # 2 x 10.00 in October, one row written in +05:00
    octo[1] = dict(octo[1], BillingPeriodStart="2026-10-01T00:00:00+05:00", BillingPeriodEnd="2026-11-01T00:00:00+05:00",
                   ChargePeriodStart="2026-10-02T05:00:00+05:00", ChargePeriodEnd="2026-10-03T05:00:00+05:00")
    import_files(store, "focus", [write_rows(tmp_path / "f.csv", sep + octo)])
    by_month = store.spend(["month"], metric="BilledCost").set_index("month")["BilledCost"].to_dict()
    assert by_month == {"2026-09": 10.0, "2026-10": 20.0}
    # the charge itself is at its UTC time: 2026-10-02T00:00Z
    days = store.spend(["day"], month="2026-10").set_index("day")["EffectiveCost"].to_dict()
    assert days == {"2026-10-01": 10.0, "2026-10-02": 10.0}
    bad = focus_rows("1.0", "2026-10")[:1]
    bad[0]["BillingPeriodStart"] = "2026-10-15T00:00:00Z"
    with pytest.raises(InputError, match="not the start of a calendar month"):
        import_files(store, "focus", [write_rows(tmp_path / "mid.csv", bad)])


def test_costs_in_two_currencies_are_never_added(tmp_path):
    """Failure: EUR and USD rows were summed as USD."""
    usd = focus_rows("1.0")[:3]  # 30.00 USD
    eur = [dict(r, BillingCurrency="EUR", BillingAccountId="444455556666", BilledCost="7.00", EffectiveCost="7.00")
           for r in focus_rows("1.0")[:2]]  # 14.00 EUR
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        report = import_files(s, "focus", [write_rows(tmp_path / "f.csv", usd + eur)])
        assert report.totals[["BillingCurrency", "stored_BilledCost"]].values.tolist() == [["EUR", 14.0], ["USD", 30.0]]
        with pytest.raises(InputError, match="EUR, USD"):
            s.spend(["month"])
        per = s.spend(["month", "BillingCurrency"], metric="BilledCost")
        assert per.set_index("BillingCurrency")["BilledCost"].to_dict() == {"EUR": 14.0, "USD": 30.0}
        assert s.currencies() == ["EUR", "USD"]
        months = s.months_by_source()
        assert months[["BillingCurrency", "EffectiveCost"]].values.tolist() == [["EUR", 14.0], ["USD", 30.0]]
    with Store(path, read_only=True, currency="EUR") as s:
        assert billed(s) == 14.0
    with Store(path, read_only=True) as s:  # read-only, the currencies are looked up once: still refused
        with pytest.raises(InputError, match="EUR, USD"):
            s.spend(["month"])
        assert sorted(s.spend(["month", "BillingCurrency"])["EffectiveCost"].tolist()) == [14.0, 30.0]
    res = cli("actuals", "--by", "month", "--store", str(path))
    assert res.exit_code == 0 and "14.00 EUR" in res.stdout and "30.00 USD" in res.stdout and "44.00" not in res.stdout
    res = cli("actuals", "--by", "month", "--currency", "eur", "--format", "csv", "--store", str(path))
    assert res.exit_code == 0 and "2026-09,14.0" in res.stdout
    plan = tmp_path / "plan.csv"
    plan.write_text("component,component_kind,ListCost\nworkers,node_pool,30\n")
    res = cli("reconcile", "--plan", str(plan), "--month", "2026-09", "--currency", "EUR", "--store", str(path))
    assert res.exit_code == 2 and "billed in EUR" in res.output
    res = cli("reconcile", "--plan", str(plan), "--month", "2026-09", "--store", str(path))
    assert res.exit_code == 2 and "EUR, USD" in res.output


def test_tags_that_are_not_json_objects_are_bad_input(store, tmp_path):
    """Failure: tags that were not JSON were stored and broke `actuals --by tag:team` later."""
    rows = [dict(r, Tags='{"team": "platform"}') for r in focus_rows("1.0")[:3]]
    rows[2]["Tags"] = "team=platform"
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [write_rows(tmp_path / "tags.csv", rows)])
    assert "Tags" in str(exc.value) and "'team=platform'" in str(exc.value) and "row 3" in str(exc.value)
    rows[2]["Tags"] = '["platform"]'  # JSON, but not an object
    with pytest.raises(InputError, match="not a JSON object"):
        import_files(store, "focus", [write_rows(tmp_path / "tags.csv", rows)])


def test_a_file_cannot_mark_itself_synthetic(tmp_path):
    """Failure: a FOCUS file's own x_Synthetic=true column relabelled real spend as synthetic
    (and the next real load would have deleted it as the sample)."""
    rows = [dict(r, x_Synthetic="true") for r in focus_rows("1.0")[:2]]
    with Store(tmp_path / "s.duckdb") as s:
        with pytest.raises(InputError, match="synthetic"):
            import_files(s, "focus", [write_rows(tmp_path / "f.csv", rows)])
        import_files(s, "focus", [write_rows(tmp_path / "g.csv", [dict(r, x_Synthetic="false") for r in rows])])
        assert not s.is_synthetic()


def test_rows_repeated_within_a_file_are_kept_and_reported(store, tmp_path):
    rows = focus_rows("1.0")[:3]
    f = write_rows(tmp_path / "dup.csv", rows + [rows[1], rows[1]])
    report = import_files(store, "focus", [f])
    # kept: FOCUS rows have no key, every row's cost counts: 3 x 10.00 + 2 repeats x 10.00
    assert billed(store) == 50.0
    assert report.duplicates.to_dict("records") == [{"file": str(f), "rows": 5, "repeated_rows": 2}]
    res = cli("import", "focus", str(f), "--store", str(tmp_path / "c.duckdb"))
    assert res.exit_code == 0 and "2 of its 5 rows repeat" in res.output


def _make_read_only(path: Path):
    if os.geteuid() != 0:
        path.chmod(0o444)
        return lambda: path.chmod(0o644)
    res = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if res.returncode != 0:
        pytest.skip("cannot make a file read-only for root here (chattr +i failed)")
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=False)


def test_reading_commands_open_the_store_read_only(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        import_files(s, "focus", [write_rows(tmp_path / "f.csv", focus_rows("1.0"))])
    before = path.read_bytes()
    undo = _make_read_only(path)
    try:
        for args in (("actuals", "--by", "month"), ("store",), ("actuals", "--by", "component", "--month", "2026-09")):
            res = cli(*args, "--store", str(path))
            assert res.exit_code == 0, (args, res.output)
    finally:
        undo()
    assert path.read_bytes() == before


def test_a_reading_command_while_an_import_holds_the_store_says_so(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        import_files(s, "focus", [write_rows(tmp_path / "f.csv", focus_rows("1.0"))])
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from costplan.actuals.store import Store
            s = Store({str(path)!r})
            print("open", flush=True)
            time.sleep(30)
        """)],
        env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        res = costplan("actuals", "--by", "month", "--store", str(path))
        assert res.code == 1 and "being written by another process" in res.err and "Traceback" not in res.err
        assert f"PID {holder.pid}" in res.err
    finally:
        holder.kill()
        holder.wait()


def test_import_cur_reads_legacy_csv_not_only_parquet(store, tmp_path):
    """Failure: the legacy CUR (CSV, lineItem/... columns) was refused as "Parquet only"."""
    text = (
        "bill/BillingPeriodStartDate,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/LineItemType,"
        "lineItem/UnblendedCost,lineItem/ProductCode,lineItem/UsageType\n"
        "2026-10-01T00:00:00Z,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,Usage,4.25,AmazonEC2,BoxUsage:c5.large\n"
        "2026-10-01T00:00:00Z,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,Tax,0.75,AmazonEC2,\n"
    )
    (tmp_path / "cur.csv").write_text(text)
    report = import_files(store, "cur", [tmp_path / "cur.csv"])
    assert report.totals["stored_BilledCost"].tolist() == [5.0]  # 4.25 + 0.75
    assert store.spend(["component"], month="2026-10").set_index("component")["EffectiveCost"].to_dict() == {
        "node_pool": 4.25, "tax": 0.75}


def test_a_focus_file_given_to_import_cur_is_told_which_command_reads_it(store, tmp_path):
    f = write_rows(tmp_path / "f.csv", focus_rows("1.0")[:1])
    with pytest.raises(InputError, match="use `costplan import focus`"):
        import_files(store, "cur", [f])


def test_a_missing_manifest_part_or_a_bad_manifest_is_named(store, tmp_path):
    m = tmp_path / "x-Manifest.json"
    m.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        import_files(store, "focus", [m])
    m.write_text(json.dumps({"something": 1}))
    with pytest.raises(InputError, match="neither dataFiles"):
        import_files(store, "focus", [m])


def test_a_failed_import_never_changes_the_store(store, tmp_path):
    good = write_rows(tmp_path / "good.csv", focus_rows("1.0"))
    import_files(store, "focus", [good])
    before = store.con.execute("SELECT count(*), sum(BilledCost) FROM cost_rows").fetchone()
    bad = focus_rows("1.0")
    bad[0]["EffectiveCost"] = "nan"
    with pytest.raises(InputError):
        import_files(store, "focus", [write_rows(tmp_path / "good.csv", bad)])
    assert store.con.execute("SELECT count(*), sum(BilledCost) FROM cost_rows").fetchone() == before
    with pytest.raises(CostplanError):
        store.load_query("SELECT 1 AS x", "focus")
    assert store.con.execute("SELECT count(*), sum(BilledCost) FROM cost_rows").fetchone() == before


def test_reconcile_maps_focus_rows_without_usage_types(store, tmp_path):
    """Failure: reconcile put all EC2 spend of a FOCUS file without x_UsageType in "unmapped"."""
    from costplan.actuals.reconcile import reconcile

    base = focus_rows("1.2", "2026-09")[0]

    def row(service, description, unit, cost, resource_type=None):
        r = dict(base, ServiceName=service, ChargeDescription=description, PricingUnit=unit,
                 BilledCost=str(cost), EffectiveCost=str(cost))
        r["ResourceType"] = resource_type or ""
        return r

    rows = [
        row("Amazon Elastic Compute Cloud", "$0.17 per On Demand Linux c5.xlarge Instance Hour", "Hrs", 100.0),
        row("Amazon Elastic Compute Cloud", "Linux/UNIX (Amazon VPC), c5.xlarge spot instance-hour", "Hrs", 20.0),
        row("Amazon Elastic Compute Cloud", "$0.08 per GB-month of General Purpose SSD (gp3) provisioned storage",
            "GB-Mo", 30.0),
        row("Amazon Elastic Compute Cloud", "$0.045 per NAT Gateway Hour", "Hrs", 7.0),
        row("Amazon Elastic Compute Cloud", "$0.09 per GB - first 10 TB / month data transfer out", "GB", 9.0),
        row("Amazon Virtual Private Cloud", "$0.005 per In-use public IPv4 address per hour", "Hrs", 3.6),
        row("Amazon Elastic Compute Cloud", "$0.05 per vCPU-Hour of T3 CPU Credits", "vCPU-Hours", 1.5),
    ]
    import_files(store, "focus", [write_rows(tmp_path / "nousage.csv", rows)])
    plan = pd.DataFrame({"component": ["workers", "ebs", "nat", "transfer", "ips"],
                         "component_kind": ["node_pool", "ebs_volume", "nat_gateway", "data_transfer", "public_ipv4"],
                         "ListCost": [110.0, 30.0, 7.0, 9.0, 3.6]})
    lines = reconcile(plan, store, "2026-09").lines.set_index(["component_kind", "ServiceName"])["actual"]
    # by hand: instance hours 100 + 20 (spot) = 120; the CPU credits match no rule and stay unmapped
    assert lines.loc[("node_pool", "Amazon Elastic Compute Cloud")] == 120.0
    assert lines.loc[("ebs_volume", "Amazon Elastic Compute Cloud")] == 30.0
    assert lines.loc[("nat_gateway", "Amazon Elastic Compute Cloud")] == 7.0
    assert lines.loc[("data_transfer", "AWS Data Transfer")] == 9.0
    assert lines.loc[("public_ipv4", "Amazon Virtual Private Cloud")] == 3.6
    assert lines.loc[("unmapped", "Amazon Elastic Compute Cloud")] == 1.5


def _cur_parquet(path: Path, rows: list[tuple]) -> Path:
    """A CUR 2.0 Parquet file of October 2026: ``(line item type, resource id, unblended cost,
    team tag)`` per row, every other column the same."""
    import duckdb

    values = ", ".join(f"('{t}', '{r}', {c}, '{tag}')" for t, r, c, tag in rows)
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT TIMESTAMP '2026-10-01' AS bill_billing_period_start_date,
                         TIMESTAMP '2026-11-01' AS bill_billing_period_end_date,
                         '000000000000' AS bill_payer_account_id, 'INV-1' AS bill_invoice_id,
                         TIMESTAMP '2026-10-05' AS line_item_usage_start_date,
                         TIMESTAMP '2026-10-06' AS line_item_usage_end_date,
                         t AS line_item_line_item_type, 'AmazonEC2' AS line_item_product_code,
                         r AS line_item_resource_id, c AS line_item_unblended_cost,
                         MAP {{'user_team': tag}} AS resource_tags
                  FROM (VALUES {values}) v(t, r, c, tag)) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return path


def test_repeated_parquet_rows_are_compared_whole_maps_included(store, tmp_path):
    """Rows equal in every flat column share a hash; only those equal in their maps too repeat.
    By hand: rows 1 and 2 are copies (1 repeat); rows 3 and 4 differ only in their tag (none);
    rows 5 and 6 are copies of a Savings Plan covered line (1 repeat), rows 7 and 8 copies of its
    SavingsPlanNegation line, which the import drops and does not compare: 2 repeats. BilledCost:
    1 + 1 + 2 + 2 (covered usage is billed 0, the negation dropped) = 6.00, the unblended sum
    6 + 3 + 3 - 3 - 3."""
    f = _cur_parquet(tmp_path / "cur.parquet", [
        ("Usage", "i-1", 1.0, "a"), ("Usage", "i-1", 1.0, "a"),
        ("Usage", "i-2", 2.0, "a"), ("Usage", "i-2", 2.0, "b"),
        ("SavingsPlanCoveredUsage", "i-3", 3.0, "a"), ("SavingsPlanCoveredUsage", "i-3", 3.0, "a"),
        ("SavingsPlanNegation", "i-3", -3.0, "a"), ("SavingsPlanNegation", "i-3", -3.0, "a"),
    ])
    report = import_files(store, "cur", [f])
    assert billed(store) == 6.0
    assert report.duplicates.to_dict("records") == [{"file": str(f), "rows": 8, "repeated_rows": 2}]
    # the columns the check wrote beside the rows are gone
    cols = {r[0] for r in store.con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    assert not any(c.startswith("__costplan") for c in cols)


def test_repeated_rows_of_a_large_parquet_load_in_its_own_table(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    f = _cur_parquet(tmp_path / "cur.parquet", [("Usage", "i-1", 1.0, "a")] * 3 + [("Usage", "i-2", 2.0, "a")])
    with Store(tmp_path / "s.duckdb") as s:
        report = import_files(s, "cur", [f])
        assert billed(s) == 5.0  # 3 x 1.00 + 2.00, every copy kept
        assert report.duplicates.to_dict("records") == [{"file": str(f), "rows": 4, "repeated_rows": 2}]
        assert "__costplan_hash" not in s._columns(s.loads()["table_name"].iloc[-1])


def test_a_bad_value_in_parquet_is_named_with_its_row(store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    df = pd.DataFrame(focus_rows("1.0")).replace("", None)
    df["BilledCost"] = pd.to_numeric(df["BilledCost"])
    df.loc[2, "BilledCost"] = float("inf")  # the third row
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "f.parquet")
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [tmp_path / "f.parquet"])
    assert "at row 3" in str(exc.value) and "BilledCost" in str(exc.value) and "f.parquet" in str(exc.value)


def _focus_parquet(path: Path, rows: list[tuple], account: str = "111122223333") -> Path:
    """A FOCUS Parquet file of one account: ``(BillingPeriodStart, BilledCost, x_Operation,
    team tag, EDP discount)`` per row; ChargePeriodStart is 2026-10-05 and every other column
    the same. Tags and x_Discounts are MAPs, as AWS writes them."""
    import duckdb

    values = ", ".join(f"(TIMESTAMP '{p}', {c}, '{op}', '{tag}', {d})" for p, c, op, tag, d in rows)
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT '{account}' AS BillingAccountId, 'USD' AS BillingCurrency, 'AWS' AS ProviderName,
                         p AS BillingPeriodStart, TIMESTAMP '2026-10-05' AS ChargePeriodStart,
                         TIMESTAMP '2026-10-06' AS ChargePeriodEnd, 'Usage' AS ChargeCategory,
                         'Amazon Elastic Compute Cloud' AS ServiceName, c AS BilledCost, c AS EffectiveCost,
                         'i-1' AS ResourceId, op AS x_Operation, MAP {{'team': tag}} AS Tags,
                         MAP {{'edp': d}} AS x_Discounts
                  FROM (VALUES {values}) v(p, c, op, tag, d)) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return path


def test_a_check_failing_in_a_parquet_focus_load_names_file_row_and_column_and_changes_nothing(store, tmp_path):
    """The checks of a Parquet FOCUS file run in its load: a failure rolls the load back and
    names every problem as a check before the load did. Row 2 has an infinite BilledCost, row 4
    a billing period starting on the 15th; the store keeps the earlier import (3.00) as it was."""
    oct1 = "2026-10-01"
    good = _focus_parquet(tmp_path / "good.parquet", [(oct1, 1.0, "Run", "a", -0.1), (oct1, 2.0, "Run", "a", -0.1)])
    import_files(store, "focus", [good])
    before = (store.con.execute("SELECT * FROM cost_rollup ORDER BY ALL").fetchall(),
              store.con.execute("SELECT count(*) FROM loads").fetchall(), billed(store))
    bad = _focus_parquet(tmp_path / "bad.parquet", [
        (oct1, 1.0, "Run", "a", -0.1), (oct1, "'inf'::DOUBLE", "Run", "a", -0.1),
        (oct1, 2.0, "Run", "a", -0.1), ("2026-10-15", 4.0, "Run", "a", -0.1),
    ])
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [bad])
    msg = str(exc.value)
    assert "bad.parquet" in msg
    assert "BilledCost" in msg and "'inf' at row 2" in msg and "not a finite amount" in msg
    assert "BillingPeriodStart" in msg and "at row 4" in msg and "not the start of a calendar month" in msg
    after = (store.con.execute("SELECT * FROM cost_rollup ORDER BY ALL").fetchall(),
             store.con.execute("SELECT count(*) FROM loads").fetchall(), billed(store))
    assert after == before and before[2] == 3.0
    cols = {r[0] for r in store.con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    assert not any(c.startswith("__costplan") for c in cols)


def test_parquet_focus_rows_differing_only_in_a_column_the_store_does_not_keep_are_not_repeats(store, tmp_path):
    """A Parquet FOCUS load hashes the columns it reads; rows that agree on those are compared
    whole. By hand: row 2 copies row 1 (1 repeat); row 3 differs from it only in x_Operation, row 4
    only in its x_Discounts map, row 5 only in its Tags map (none of them repeats). BilledCost
    5 x 1.25 = 6.25, every copy kept."""
    oct1 = "2026-10-01"
    f = _focus_parquet(tmp_path / "f.parquet", [
        (oct1, 1.25, "Run", "a", -0.1), (oct1, 1.25, "Run", "a", -0.1), (oct1, 1.25, "Stop", "a", -0.1),
        (oct1, 1.25, "Run", "a", -0.2), (oct1, 1.25, "Run", "b", -0.1),
    ])
    report = import_files(store, "focus", [f])
    assert billed(store) == 6.25
    assert report.duplicates.to_dict("records") == [{"file": str(f), "rows": 5, "repeated_rows": 1}]


def test_parquet_focus_rows_of_a_file_whose_every_column_the_load_reads(store, tmp_path):
    """A FOCUS Parquet file with no column the store leaves out: its rows are compared by the
    two hashes the load wrote, and no column is read again. By hand: rows 2 and 3 copy row 1
    (2 repeats); row 4 differs from it only in its Tags map, row 5 only in BilledCost (1.50);
    row 6 copies row 5 (1 repeat): 3 repeats. BilledCost 4 x 1.25 + 2 x 1.50 = 8.00."""
    import duckdb

    values = ", ".join(f"({c}, '{tag}')" for c, tag in
                       [(1.25, "a"), (1.25, "a"), (1.25, "a"), (1.25, "b"), (1.5, "a"), (1.5, "a")])
    path = tmp_path / "narrow.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT '111122223333' AS BillingAccountId, 'USD' AS BillingCurrency, 'AWS' AS ProviderName,
                         TIMESTAMP '2026-10-01' AS BillingPeriodStart, TIMESTAMP '2026-10-05' AS ChargePeriodStart,
                         TIMESTAMP '2026-10-06' AS ChargePeriodEnd, 'Usage' AS ChargeCategory,
                         'Amazon Elastic Compute Cloud' AS ServiceName, c AS BilledCost, c AS EffectiveCost,
                         MAP {{'team': tag}} AS Tags
                  FROM (VALUES {values}) v(c, tag)) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    report = import_files(store, "focus", [path])
    assert billed(store) == 8.0
    assert report.duplicates.to_dict("records") == [{"file": str(path), "rows": 6, "repeated_rows": 3}]


def test_parquet_focus_rows_repeated_across_files_are_counted_per_file(store, tmp_path):
    """Rows are repeats only within one file (the hashes cover the file). By hand: a.parquet
    holds a row twice (1 repeat) and b.parquet the same row once and another (none); BilledCost
    3 x 1.25 + 2.00 = 5.75, every copy kept."""
    oct1 = "2026-10-01"
    a = _focus_parquet(tmp_path / "a.parquet", [(oct1, 1.25, "Run", "a", -0.1), (oct1, 1.25, "Run", "a", -0.1)])
    b = _focus_parquet(tmp_path / "b.parquet", [(oct1, 1.25, "Run", "a", -0.1), (oct1, 2.0, "Run", "a", -0.1)])
    report = import_files(store, "focus", [a, b])
    assert billed(store) == 5.75
    assert report.duplicates.to_dict("records") == [{"file": str(a), "rows": 2, "repeated_rows": 1}]


def test_a_load_of_one_file_named_with_pattern_characters_counts_its_rows_and_repeats(store, tmp_path):
    """A load of one file writes no file column; the file's name is a literal in the figures
    read from the new rows, so a name DuckDB would read as a pattern is still the file's. By
    hand: 3 rows, row 2 a copy of row 1 (1 repeat), BilledCost 1.50 + 1.50 + 2.00 = 5.00."""
    oct1 = "2026-10-01"
    f = _focus_parquet(tmp_path / "part[1].parquet", [(oct1, 1.5, "Run", "a", -0.1), (oct1, 1.5, "Run", "a", -0.1),
                                                      (oct1, 2.0, "Run", "a", -0.1)])
    report = import_files(store, "focus", [f])
    assert billed(store) == 5.0
    assert report.duplicates.to_dict("records") == [{"file": str(f), "rows": 3, "repeated_rows": 1}]
    assert report.parts[["part", "rows"]].values.tolist() == [["part[1].parquet", 3]]
    assert report.totals["source_BilledCost"].tolist() == [5.0]


def test_a_load_of_two_accounts_files_has_one_rollup_row_per_day_and_its_parts_per_file(tmp_path, monkeypatch):
    """The load's rollup and its totals are sums of one aggregate grouped by both their keys (the
    account and the file among them): neither is split by the other's keys. By hand: a.parquet
    (account 111122223333) 1.25 + 2.00, b.parquet (account 444455556666) 0.75, all on 2026-10-05,
    the same service and category: one rollup row of 3 rows and 4.00; the parts a.parquet 2 rows,
    b.parquet 1 row; the totals one period, 3 rows, 4.00 from the source and in the store."""
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    oct1 = "2026-10-01"
    a = _focus_parquet(tmp_path / "a.parquet", [(oct1, 1.25, "Run", "a", -0.1), (oct1, 2.0, "Run", "a", -0.1)])
    b = _focus_parquet(tmp_path / "b.parquet", [(oct1, 0.75, "Run", "a", -0.1)], account="444455556666")
    with Store(tmp_path / "s.duckdb") as s:
        report = import_files(s, "focus", [a, b])
        assert s.loads()["table_name"].iloc[-1] is not None  # a load in its own table
        rollup = s.con.execute(
            "SELECT strftime(ChargePeriodStart, '%Y-%m-%d'), ServiceName, x_Rows, round(BilledCost, 2) FROM cost_rollup"
        ).fetchall()
        assert rollup == [("2026-10-05", "Amazon Elastic Compute Cloud", 3, 4.0)]
        assert s.rollup_differences().empty
        assert sorted(report.parts[["part", "rows"]].itertuples(index=False, name=None)) == [
            ("a.parquet", 2), ("b.parquet", 1)]
        assert report.totals[["billing_period", "rows", "source_BilledCost", "stored_BilledCost"]].values.tolist() == [
            ["2026-10", 3, 4.0, 4.0]]
        held = s.held_parts("focus")
        assert sorted(held[["part", "BillingAccountId", "rows"]].itertuples(index=False, name=None)) == [
            ("a.parquet", "111122223333", 2), ("b.parquet", "444455556666", 1)]


def test_a_csv_and_a_parquet_focus_file_checked_by_one_load_are_counted_apart(store, tmp_path):
    """Both files' checks and source totals are read from the one load's rows: each file is a
    part with its own rows. By hand: the Parquet file 1.00 + 2.00 (2 rows), the CSV 10.00 + 0.50
    + 0.25 (3 rows): 13.75 in all. A bad cost in the CSV alone refuses both and names the CSV."""
    pq_file = _focus_parquet(tmp_path / "a.parquet", [("2026-10-01", 1.0, "Run", "a", -0.1),
                                                     ("2026-10-01", 2.0, "Run", "a", -0.1)])
    base = {"BillingAccountId": "111122223333", "BillingCurrency": "USD", "ProviderName": "AWS",
            "BillingPeriodStart": "2026-10-01T00:00:00Z", "ChargePeriodStart": "2026-10-07T00:00:00Z",
            "ChargePeriodEnd": "2026-10-08T00:00:00Z", "ChargeCategory": "Usage", "ServiceName": "AWS Lambda"}
    csv_file = write_rows(tmp_path / "b.csv", [dict(base, BilledCost=c, EffectiveCost=c) for c in ("10.00", "0.50", "0.25")])
    report = import_files(store, "focus", [pq_file, csv_file])
    assert report.totals["source_BilledCost"].tolist() == [13.75]
    assert report.totals["stored_BilledCost"].tolist() == [13.75]
    assert sorted(report.parts[["part", "rows"]].itertuples(index=False, name=None)) == [("a.parquet", 2), ("b.csv", 3)]
    bad_csv = write_rows(tmp_path / "c.csv", [dict(base, BilledCost="ten", EffectiveCost="10")])
    with pytest.raises(InputError) as exc:
        import_files(store, "focus", [pq_file, bad_csv])
    assert "c.csv" in str(exc.value) and "'ten'" in str(exc.value) and "a.parquet" not in str(exc.value)
    assert billed(store) == 13.75


def test_repeated_rows_across_csv_files_are_counted_per_file(store, tmp_path):
    rows = focus_rows("1.0")[:2]
    a = write_rows(tmp_path / "a.csv", [rows[0], rows[0], rows[1]])
    b = write_rows(tmp_path / "b.csv", [rows[0], rows[1]])  # the same rows as a.csv, once each
    report = import_files(store, "focus", [a, b])
    assert report.duplicates.to_dict("records") == [{"file": str(a), "rows": 3, "repeated_rows": 1}]


LEGACY_HEADER = (
    "bill/BillingPeriodStartDate,bill/InvoiceId,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/LineItemType,"
    "lineItem/UnblendedCost,savingsPlan/SavingsPlanEffectiveCost,lineItem/ProductCode,lineItem/UsageType,"
    "resourceTags/user:team\n"
)
LEGACY_LINES = [
    "2026-10-01T00:00:00Z,I1,2026-10-05T00:00:00Z,2026-10-05T01:00:00Z,Usage,4.25,,AmazonEC2,BoxUsage:c5.large,web\n",
    "2026-10-01T00:00:00Z,I1,2026-10-05T00:00:00Z,2026-10-05T01:00:00Z,SavingsPlanCoveredUsage,3.00,2.10,AmazonEC2,"
    "BoxUsage:c5.large,\n",
    "2026-10-01T00:00:00Z,I1,2026-10-05T00:00:00Z,2026-10-05T01:00:00Z,SavingsPlanNegation,-3.00,,AmazonEC2,"
    "BoxUsage:c5.large,\n",
    "2026-10-01T00:00:00Z,I1,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,Tax,0.75,,AmazonEC2,,\n",
]


def _legacy(path: Path, lines: list[str], gz: bool = True) -> Path:
    return write_text(path, LEGACY_HEADER + "".join(lines), gz)


@pytest.mark.parametrize("gz", [True, False])
def test_a_legacy_cur_csv_is_checked_and_totalled_with_its_dropped_lines(store, tmp_path, gz):
    """The CSV's load parses it once; the SavingsPlanNegation line it drops still counts towards
    the source total and the file's rows."""
    f = _legacy(tmp_path / ("cur-1.csv.gz" if gz else "cur-1.csv"), LEGACY_LINES + LEGACY_LINES[:1], gz=gz)
    report = import_files(store, "cur", [f])
    # source: 4.25 + 3.00 - 3.00 + 0.75 + 4.25 (the repeated first line) = 9.25; stored: 4.25 + 0 (covered by the
    # plan) + 0.75 + 4.25, the negation line dropped
    assert report.totals[["rows", "source_BilledCost", "stored_BilledCost"]].values.tolist() == [[4, 9.25, 9.25]]
    assert report.rows_loaded == 4
    assert report.duplicates[["rows", "repeated_rows"]].values.tolist() == [[5, 1]]
    assert report.parts["rows"].tolist() == [4]
    cols = ["ChargeCategory", "BilledCost", "EffectiveCost", "Tags"]
    got = store.con.execute(
        f"SELECT {', '.join(cols)} FROM cost_rows ORDER BY ChargeCategory, EffectiveCost").fetchall()
    assert got == [("Tax", 0.75, 0.75, None), ("Usage", 0.0, 2.10, None), ("Usage", 4.25, 4.25, '{"user_team":"web"}'),
                   ("Usage", 4.25, 4.25, '{"user_team":"web"}')]
    assert store.con.execute("SELECT count(*) FROM information_schema.columns WHERE column_name LIKE '__costplan%'"
                             ).fetchall() == [(0,)]


def _line(typ: str, cost: str, effective: str = "", invoice: str = "I1", resource_tag: str = "") -> str:
    return (f"2026-10-01T00:00:00Z,{invoice},2026-10-05T00:00:00Z,2026-10-05T01:00:00Z,{typ},{cost},{effective},"
            f"AmazonEC2,BoxUsage:c5.large,{resource_tag}\n")


def test_dropped_lines_with_empty_fields_count_towards_the_file(store, tmp_path):
    """The lines the load drops are recorded by the load itself, empty fields included: a
    SavingsPlanNegation line with no cost and no invoice id is still one of the file's rows.
    By hand: 5 lines, 3 kept (two copies of a 4.25 usage line, the covered line billed 0);
    source 4.25 + 4.25 + 3.00 - 3.00 + nothing = 8.50 = stored 4.25 + 4.25 + 0."""
    f = _legacy(tmp_path / "cur-1.csv.gz", [
        _line("Usage", "4.25"), _line("Usage", "4.25"), _line("SavingsPlanCoveredUsage", "3.00", "2.10"),
        _line("SavingsPlanNegation", "-3.00"), _line("SavingsPlanNegation", "", invoice=""),
    ])
    report = import_files(store, "cur", [f])
    assert report.totals[["rows", "source_BilledCost", "stored_BilledCost"]].values.tolist() == [[3, 8.5, 8.5]]
    assert report.duplicates.to_dict("records") == [{"file": str(f), "rows": 5, "repeated_rows": 1}]
    assert report.parts["rows"].tolist() == [3]


def test_dropped_lines_of_several_csv_files_are_counted_per_file(store, tmp_path):
    """Two files read together, each with a SavingsPlanNegation line. By hand: a.csv.gz 4 lines,
    3 kept, source 4.25 x 2 + 3.00 - 3.00 = 8.50; b.csv 3 lines, 2 kept, source -1.50 + 1.50 +
    2.00 = 2.00; total 10.50, stored 4.25 x 2 + 0 + 0 + 2.00 = 10.50. Only a.csv.gz repeats a row
    (its 4 rows counted, the dropped one included). A second import of the same files replaces
    the first and reports the same."""
    a = _legacy(tmp_path / "a.csv.gz", [
        _line("Usage", "4.25"), _line("SavingsPlanNegation", "-3.00"), _line("Usage", "4.25"),
        _line("SavingsPlanCoveredUsage", "3.00", "2.10"),
    ])
    b = _legacy(tmp_path / "b.csv", [
        _line("SavingsPlanNegation", "-1.50"), _line("SavingsPlanCoveredUsage", "1.50", "1.00"),
        _line("Usage", "2.00"),
    ], gz=False)
    for _ in range(2):
        report = import_files(store, "cur", [a, b])
        assert report.totals[["rows", "source_BilledCost", "stored_BilledCost"]].values.tolist() == [[5, 10.5, 10.5]]
        assert report.duplicates.to_dict("records") == [{"file": str(a), "rows": 4, "repeated_rows": 1}]
        assert dict(zip(report.parts["part"], report.parts["rows"], strict=True)) == {"a.csv.gz": 3, "b.csv": 2}
    assert store.con.execute("SELECT round(sum(BilledCost), 2), round(sum(EffectiveCost), 2) FROM cost_rows").fetchall() == [(10.5, 13.6)]
    # the function that recorded the dropped lines is gone with the load
    assert store.con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE '__costplan%'").fetchall() == [(0,)]


@pytest.mark.parametrize("line, column, value, where", [
    (2, "line_item_unblended_cost", "nan", "row 3 (line 4)"),           # a line the load drops
    (0, "line_item_usage_start_date", "2026-10-32T00:00:00Z", "row 1 (line 2)"),
    (1, "savings_plan_savings_plan_effective_cost", "2.1O", "row 2 (line 3)"),
])
def test_a_bad_value_in_a_legacy_cur_csv_is_named_and_nothing_is_written(store, tmp_path, line, column, value, where):
    good = _legacy(tmp_path / "good.csv.gz", LEGACY_LINES)
    import_files(store, "cur", [good])
    before = store.con.execute("SELECT count(*), sum(BilledCost), max(x_LoadId) FROM cost_rows").fetchall()
    loads = store.con.execute("SELECT count(*) FROM loads").fetchall()
    lines = list(LEGACY_LINES)
    old = {"line_item_unblended_cost": "-3.00", "line_item_usage_start_date": "2026-10-05T00:00:00Z",
           "savings_plan_savings_plan_effective_cost": "2.10"}[column]
    lines[line] = lines[line].replace(old, value, 1)
    bad = _legacy(tmp_path / "bad.csv.gz", lines)
    with pytest.raises(InputError) as exc:
        import_files(store, "cur", [bad])
    msg = str(exc.value)
    assert "bad.csv.gz" in msg and column in msg and repr(value) in msg and where in msg, msg
    assert store.con.execute("SELECT count(*), sum(BilledCost), max(x_LoadId) FROM cost_rows").fetchall() == before
    assert store.con.execute("SELECT count(*) FROM loads").fetchall() == loads


@pytest.fixture
def csv_reads(monkeypatch):
    """How each attempt read the CSV: ``[True]`` number columns typed, ``[False]`` as text.
    ``csv_reads.text()`` makes every import read as text from the start."""
    from costplan.actuals import files

    seen: list[list[bool]] = []
    real = files._import

    def spy(store, kind, paths, found, plans, *args):
        seen.append([p.typed for p in plans])
        return real(store, kind, paths, found, plans, *args)

    monkeypatch.setattr(files, "_import", spy)
    return SimpleNamespace(calls=seen, text=lambda: monkeypatch.setattr(files, "_number_columns", lambda *a: []))


@pytest.mark.parametrize("path", ["typed", "text"])
def test_number_forms_import_alike_read_typed_or_as_text(store, tmp_path, csv_reads, path):
    """Forms of a number both reads accept, and empty fields and NULL literals: by hand, BilledCost
    1e1 + 2.5 + .5 + 1.5 = 14.50; the empty and null Savings Plan effective costs of usage lines
    are not used."""
    if path == "text":
        csv_reads.text()
    f = _legacy(tmp_path / "cur-1.csv", [
        _line("Usage", "1e1", "null"), _line("Usage", "+2.5", ""), _line("Usage", ".5", "NULL"),
        _line("Tax", '" 1.5"'),
    ], gz=False)
    report = import_files(store, "cur", [f])
    assert report.totals[["rows", "source_BilledCost", "stored_BilledCost"]].values.tolist() == [[4, 14.5, 14.5]]
    assert sorted(r[0] for r in store.con.execute("SELECT BilledCost FROM cost_rows").fetchall()) == [
        0.5, 1.5, 2.5, 10.0]
    assert csv_reads.calls == [[path == "typed"]]


@pytest.mark.parametrize("value, what", [
    ('"1,234.50"', "not a number"), ("0x10", "not a number"), ("12.3.4", "not a number"), ("4.2O", "not a number"),
    ("NaN", "not a finite amount"), ("-inf", "not a finite amount"), ("1e309", "not a finite amount"),
    ("Infinity", "not a finite amount"),
])
def test_a_number_the_typed_read_refuses_is_named_by_the_text_read(store, tmp_path, csv_reads, value, what):
    """The typed read refuses the file (a value that is no number) or its finite check fails (NaN,
    an infinity, 1e309 which a DOUBLE holds as infinity): the load is rolled back and the file
    read as text names the value as the file spells it, with its row and line."""
    good = _legacy(tmp_path / "good.csv.gz", LEGACY_LINES)
    import_files(store, "cur", [good])
    before = store.con.execute("SELECT count(*), sum(BilledCost), max(x_LoadId) FROM cost_rows").fetchall()
    bad = _legacy(tmp_path / "bad.csv.gz", [LEGACY_LINES[0], _line("Usage", value), LEGACY_LINES[3]])
    with pytest.raises(InputError) as exc:
        import_files(store, "cur", [bad])
    msg = str(exc.value)
    shown = value.strip('"')
    assert "bad.csv.gz" in msg and "line_item_unblended_cost" in msg and what in msg, msg
    assert repr(shown) in msg and "row 2 (line 3)" in msg, msg
    assert csv_reads.calls == [[True], [True], [False]]  # the good file, then the bad one typed and as text
    assert store.con.execute("SELECT count(*), sum(BilledCost), max(x_LoadId) FROM cost_rows").fetchall() == before


@pytest.mark.parametrize("path", ["typed", "text"])
@pytest.mark.parametrize("empty", ["", "NULL", "null"])
def test_an_empty_cost_is_refused_alike_read_typed_or_as_text(store, tmp_path, csv_reads, path, empty):
    if path == "text":
        csv_reads.text()
    f = _legacy(tmp_path / "cur-1.csv.gz", [LEGACY_LINES[0], _line("Tax", empty)])
    with pytest.raises(InputError, match="1 rows have no BilledCost"):
        import_files(store, "cur", [f])
    assert csv_reads.calls == [[path == "typed"]]
    assert store.con.execute("SELECT count(*) FROM cost_rows").fetchall() == [(0,)]


def test_a_csv_timestamp_in_utc_form_and_with_an_offset_are_the_same_instants(tmp_path):
    """The forms AWS writes (a CUR's ``...T05:00:00Z``, a FOCUS export's ``...T05:00:00.000Z``)
    are read by a plain TIMESTAMP cast, any other text through TIMESTAMPTZ: both give the
    instant in UTC, offsets applied (milliseconds with an offset included)."""
    import duckdb

    from costplan.actuals.files import _Cols

    values = {
        "2026-10-01T05:00:00Z": dt.datetime(2026, 10, 1, 5),
        "2026-10-01T05:00:00+05:00": dt.datetime(2026, 10, 1, 0),
        "2026-10-01T05:00:00-08:00": dt.datetime(2026, 10, 1, 13),
        "2026-10-01T05:00:00.000Z": dt.datetime(2026, 10, 1, 5),
        "2026-10-01T05:00:00.250Z": dt.datetime(2026, 10, 1, 5, 0, 0, 250000),
        "2026-10-01T05:00:00.250+05:00": dt.datetime(2026, 10, 1, 0, 0, 0, 250000),
        "2026-10-01T24:00:00Z": dt.datetime(2026, 10, 2, 0),
        "2026-10-01 05:00:00": dt.datetime(2026, 10, 1, 5),
        "2026-10-0xT05:00:00Z": None,
        "2026-10-0xT05:00:00.000Z": None,
    }
    c = _Cols({"t": "VARCHAR"}, csv=True)
    expr = c.typed("TIMESTAMP", "ChargePeriodStart", "t")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE src AS SELECT unnest(?) AS t", [list(values)])
    got = dict(con.execute(f"SELECT t, {expr} FROM {c.reader('src')}").fetchall())
    assert got == values
    bad = {ck.bad for ck in c.checks}
    flagged = {r[0] for r in con.execute(f"SELECT t FROM {c.reader('src')} WHERE {' OR '.join(bad)}").fetchall()}
    assert flagged == {"2026-10-0xT05:00:00Z", "2026-10-0xT05:00:00.000Z"}


def test_a_csv_timestamp_is_refused_unless_iso_8601_whatever_duckdb_would_read(tmp_path):
    """The check refuses text that is no ISO 8601 date (``YYYY-MM-DD`` first) even where DuckDB
    reads an instant from it: a one-digit month, a two-digit year, a leading blank. Text in the
    form a CUR writes, or ISO 8601 with an offset or a space, passes; the UTC-form test the value
    and the check share decides nothing on its own."""
    import duckdb

    from costplan.actuals.files import _Cols

    refused = ["2026-4-01T00:00:00Z", "26-10-01T00:00:00Z", " 2026-10-01T00:00:00Z", "2026/10/01T00:00:00Z",
               "2026-10-01T00:00:0xZ", "2026-4-01T00:00:00.000Z", "2026/10/01T00:00:00.000Z", "4/1/25"]
    accepted = ["2026-10-01T00:00:00Z", "2026-10-01T00:00:00.000Z", "2026-10-01T00:00:00+02:00", "2026-10-01 00:00:00", "2026-10-01"]
    c = _Cols({"t": "VARCHAR"}, csv=True)
    c.typed("TIMESTAMP", "ChargePeriodStart", "t")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE src AS SELECT unnest(?) AS t", [refused + accepted])
    bad = " OR ".join(ck.bad for ck in c.checks)
    flagged = {r[0] for r in con.execute(f"SELECT t FROM {c.reader('src')} WHERE {bad}").fetchall()}
    assert flagged == set(refused)


def test_a_csv_load_sets_back_the_row_order_setting_it_changed(store, tmp_path):
    """A CSV's load keeps no row order for its CREATE TABLE AS only: the connection's
    ``preserve_insertion_order`` is as it was after a load that succeeds, after one whose typed
    read DuckDB refuses (the statement fails inside the transaction), and after one refused by a
    check, so a later load (a Parquet file's) keeps its order."""

    def setting():
        return store.con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]

    assert setting() is True
    import_files(store, "cur", [_legacy(tmp_path / "good.csv.gz", LEGACY_LINES)])
    assert setting() is True
    with pytest.raises(InputError, match="not a number"):  # the typed read fails in DuckDB, then the text read
        import_files(store, "cur", [_legacy(tmp_path / "bad.csv.gz", [LEGACY_LINES[0], _line("Usage", "0x10")])])
    assert setting() is True
    with pytest.raises(InputError, match="not a finite amount"):
        import_files(store, "cur", [_legacy(tmp_path / "nan.csv.gz", [LEGACY_LINES[0], _line("Usage", "NaN")])])
    assert setting() is True
    store.con.execute("SET preserve_insertion_order = false")  # whatever the connection had is what it keeps
    import_files(store, "cur", [_legacy(tmp_path / "good.csv.gz", LEGACY_LINES)])
    assert setting() is False


@pytest.mark.parametrize("dialect", [
    dict(delimiter=",", lineterminator="\n"),
    dict(delimiter=";", lineterminator="\r\n"),
    dict(delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_ALL),
    dict(delimiter="|", lineterminator="\r\n", gz=True),
])
def test_a_csv_in_any_dialect_the_sniffer_finds_imports_alike(store, tmp_path, dialect):
    """The file is sniffed once and read with the dialect found (delimiter, quote, line end),
    so a CSV in another dialect imports exactly as the comma one: 299.50 by hand
    (:func:`focus_rows`), a description holding the delimiter, a quote and a line break intact."""
    from costplan.actuals import files

    dialect = dict(dialect)
    gz = dialect.pop("gz", False)
    rows = focus_rows("1.0")
    tricky = 'Sales tax; see "terms", line 1\nline 2|\ttab'
    rows[-2] = dict(rows[-2], ChargeDescription=tricky)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), **dialect)
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / ("f.csv.gz" if gz else "f.csv")
    if gz:
        with gzip.open(path, "wt", newline="") as fh:
            fh.write(buf.getvalue())
    else:
        path.write_text(buf.getvalue(), newline="")
    files._DESCRIBED.clear()
    files._DIALECTS.clear()
    report = import_files(store, "focus", [str(path)])
    assert [d[0] for d in files._DIALECTS.values()] == [dialect["delimiter"]]
    assert report.rows_loaded == 32
    assert billed(store) == pytest.approx(299.50, abs=0.005)
    got = store.con.execute("SELECT ChargeDescription FROM cost_rows WHERE ChargeCategory = 'Tax'").fetchall()
    assert got == [(tricky,)]


def test_csv_parts_with_their_columns_in_another_order_are_read_by_name(store, tmp_path):
    """Two parts whose headers list the columns in another order cannot share one explicit
    column list: they are read by name (each part sniffed by the reader), and add up to the
    period's 299.50 (by hand: :func:`focus_rows`)."""
    rows = focus_rows("1.0")
    a = write_rows(tmp_path / "part-a.csv", rows[:10])
    b = write_rows(tmp_path / "part-b.csv", [dict(reversed(list(r.items()))) for r in rows[10:]])
    import_files(store, "focus", [str(a), str(b)])
    assert billed(store) == pytest.approx(299.50, abs=0.005)
    assert store.con.execute("SELECT count(*) FROM cost_rows").fetchall() == [(32,)]
