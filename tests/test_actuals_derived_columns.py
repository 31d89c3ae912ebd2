"""A legacy CUR CSV's load keeps its line item type and leaves out the columns mapped from it
(ChargeCategory, ChargeClass, PricingCategory, the commitment columns): the store's view
derives them by an expression recorded in ``load_columns.expr`` (schema version 11). Every read
gives what it gives with those columns stored; the expected values are the mapping's
(docs/actuals.md, "CUR 2.0 line items become FOCUS columns"), worked out by hand below."""

from __future__ import annotations

import csv
import gzip

import duckdb
import pandas as pd
import pytest

from costplan.actuals import files, schema
from costplan.actuals.files import import_files
from costplan.actuals.store import Store
from costplan.errors import CostplanError

HEADER = ["bill/PayerAccountId", "bill/BillingPeriodStartDate", "bill/BillingPeriodEndDate", "bill/InvoiceId",
          "lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/UsageEndDate",
          "lineItem/ProductCode", "lineItem/UsageType", "lineItem/UsageAmount", "lineItem/CurrencyCode",
          "lineItem/UnblendedCost", "lineItem/LineItemDescription", "product/ProductName", "product/region",
          "pricing/unit", "savingsPlan/SavingsPlanARN", "savingsPlan/SavingsPlanEffectiveCost"]
SP = "arn:aws:savingsplans::111122223333:savingsplan/sp-1"


def _line(day, typ, usage, cost, sp_arn="", sp_effective="", service="Amazon Elastic Compute Cloud"):
    return ["111122223333", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "inv-1", "111122223333", typ,
            f"2026-10-{day:02d}T00:00:00Z", f"2026-10-{day:02d}T01:00:00Z", "AmazonEC2", usage, "1", "USD", cost,
            f"{typ} line", service, "us-east-1", "Hrs", sp_arn, sp_effective]


LINES = [
    _line(1, "Usage", "BoxUsage:c5.large", "1.70"),
    _line(1, "Usage", "SpotUsage:c5.large", "0.60"),
    _line(2, "SavingsPlanCoveredUsage", "BoxUsage:m5.large", "2.00", SP, "1.40"),
    _line(2, "SavingsPlanNegation", "BoxUsage:m5.large", "-2.00", SP),
    _line(3, "SavingsPlanRecurringFee", "ComputeSP:1yrNoUpfront", "1.50", SP),
    _line(3, "Tax", "", "1.05", service="Tax"),
    _line(4, "Credit", "", "-0.50"),
    _line(4, "Refund", "", "-0.30"),
    _line(5, "Fee", "", "3.00"),
    _line(5, "", "BoxUsage:c5.large", "0.25"),  # no line item type: a Usage line
]
#: Derived from the kept line item type (PricingCategory also from SkuId, the usage type). The
#: file has a savings plan ARN column, which no stored column holds: CommitmentDiscountId is
#: written; no commitment amount columns, so the unused commitment is the constant 0.
DERIVED = {"ChargeCategory", "ChargeClass", "PricingCategory", "CommitmentDiscountType", "CommitmentDiscountStatus"}
KEPT = schema.KEPT_PREFIX + "line_item_line_item_type"


def _write(path):
    with gzip.open(path, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(LINES)
    return path


@pytest.fixture(params=["own-table", "main-table"])
def layout(request, monkeypatch):
    if request.param == "own-table":
        monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    return request.param


def _stores(tmp_path, monkeypatch):
    """The file imported with the columns derived, and (an older costplan's way) with them stored."""
    f = _write(tmp_path / "cur-1.csv.gz")
    new = tmp_path / "new.duckdb"
    with Store(new) as s:
        import_files(s, "cur", [f])
    with monkeypatch.context() as m:
        m.setattr(files, "_derived_of", lambda plan, supplied: {})
        old = tmp_path / "old.duckdb"
        with Store(old) as s:
            import_files(s, "cur", [f])
    return new, old


def _by(s: Store, col: str, metric: str = "EffectiveCost") -> dict:
    df = s.spend([col], metric=metric)
    return {("(none)" if pd.isna(k) else k): round(v, 2) for k, v in zip(df[col], df[metric], strict=True)}


def _reads(s: Store) -> dict:
    out = {}
    for c in sorted(DERIVED) + ["ServiceName", "x_ChargeStatus"]:
        for m in ("BilledCost", "EffectiveCost"):
            out[(c, m)] = _by(s, c, m)
    out["rows"] = s.query("SELECT * EXCLUDE (x_LoadId) FROM cost_rows ORDER BY ChargePeriodStart, ChargeDescription")
    out["rollup"] = s.query("SELECT * EXCLUDE (x_LoadId) FROM cost_rollup ORDER BY ALL")
    out["differences"] = s.rollup_differences()
    out["commitments"] = s.commitment_summary("2026-10")
    out["spot"] = s.spot_summary("2026-10")
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], pd.DataFrame):
            pd.testing.assert_frame_equal(a[k].reset_index(drop=True), b[k].reset_index(drop=True), obj=str(k))
        else:
            assert a[k] == b[k], k


def test_the_mapped_columns_are_derived_by_the_view_and_read_as_the_mapping_says(tmp_path, monkeypatch, layout):
    new, old = _stores(tmp_path, monkeypatch)
    with Store(new) as s:
        if layout == "own-table":
            table = s.con.execute("SELECT table_name FROM loads").fetchall()[0][0]
            held = set(s._columns(table))
            assert not held & DERIVED
            assert {KEPT, "SkuId", "CommitmentDiscountId", "x_ChargeStatus"} <= held
            assert {c for c, (kind, _) in s._supplied(1).items() if kind == "expr"} == DERIVED
        else:  # appended to rows_main: every column written there, nothing kept or recorded
            assert s.con.execute("SELECT count(*) FROM load_columns").fetchall()[0][0] == 0
            assert KEPT not in s._columns("rows_main")
        got = _reads(s)
        # by hand, the 9 lines kept (the negation is dropped): Usage 1.70 + 0.60 + covered 0 (billed) /
        # 1.40 (effective) + the untyped line 0.25; Purchase: the SP fee 1.50 billed, 0 effective (no unused
        # commitment), the Fee 3.00; Tax 1.05; Credit -0.50 + the Refund -0.30
        assert got[("ChargeCategory", "BilledCost")] == {"Usage": 2.55, "Purchase": 4.50, "Tax": 1.05, "Credit": -0.80}
        assert got[("ChargeCategory", "EffectiveCost")] == {"Usage": 3.95, "Purchase": 3.00, "Tax": 1.05,
                                                            "Credit": -0.80}
        # the refund is the one Correction; the rest 7.20 + 0.30
        assert got[("ChargeClass", "EffectiveCost")] == {"Correction": -0.30, "(none)": 7.50}
        # Standard: on-demand usage (1.70 and the untyped 0.25), Dynamic: the SpotUsage line, Committed: the
        # covered usage; the fee, tax, credit, refund and fee lines have none (0 + 1.05 - 0.50 - 0.30 + 3.00)
        assert got[("PricingCategory", "EffectiveCost")] == {"Standard": 1.95, "Dynamic": 0.60, "Committed": 1.40,
                                                             "(none)": 3.25}
        # the covered usage and the recurring fee are Savings Plan lines; only the covered usage is Used
        # (every line's EffectiveCost: 3.95 + 3.00 + 1.05 - 0.80 = 7.20; BilledCost 7.30)
        assert got[("CommitmentDiscountType", "EffectiveCost")] == {"Savings Plan": 1.40, "(none)": 5.80}
        assert got[("CommitmentDiscountType", "BilledCost")] == {"Savings Plan": 1.50, "(none)": 5.80}
        assert got[("CommitmentDiscountStatus", "EffectiveCost")] == {"Used": 1.40, "(none)": 5.80}
        rows = got["rows"].set_index("ChargeDescription")
        assert rows.loc[" line", "ChargeCategory"] == "Usage" and rows.loc[" line", "PricingCategory"] == "Standard"
        assert rows.loc["Refund line", "ChargeClass"] == "Correction"
        assert rows.loc["SavingsPlanCoveredUsage line", "CommitmentDiscountId"] == SP
        assert pd.isna(rows.loc["Fee line", "CommitmentDiscountType"])
        assert len(rows) == 9 and got["differences"].empty
    with Store(old) as s:
        assert not [v for v in s._supplied(1).values() if v[0] == "expr"]
        _assert_same(got, _reads(s))


def test_reopening_and_reimporting_read_the_same(tmp_path, monkeypatch, layout):
    new, _ = _stores(tmp_path, monkeypatch)
    with Store(new) as s:
        want = _reads(s)
        s._rebuild_view()
        _assert_same(want, _reads(s))
    with Store(new, read_only=True) as s:
        _assert_same(want, _reads(s))
    with Store(new) as s:
        result = import_files(s, "cur", [tmp_path / "cur-1.csv.gz"])
        assert result.rows_replaced == 9
        again = _reads(s)
        del want["rows"], again["rows"], want["rollup"], again["rollup"]  # another load id, the same figures
        _assert_same(want, again)


def test_a_version_10_store_is_migrated_and_a_newer_one_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    new, old = _stores(tmp_path, monkeypatch)
    with Store(new) as s:
        want = _reads(s)
    # the store of every column stored as costplan's version 10 wrote it: load_columns without expr
    con = duckdb.connect(str(old))
    con.execute("ALTER TABLE load_columns DROP COLUMN expr")
    con.execute("DELETE FROM schema_version WHERE version >= 11")
    con.close()
    with Store(old, read_only=True) as s:  # migrated once on opening, then read
        assert s.schema_version() == 11
        _assert_same(want, _reads(s))
    # a costplan of version 10 refuses the store of derived columns rather than read them as NULL
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 10)
    with pytest.raises(CostplanError, match="newer than this costplan"):
        Store(new)


def test_only_an_expression_costplan_writes_is_accepted():
    cols = schema.expression_columns
    assert cols("""CASE coalesce("a", 'Usage') WHEN 'Tax' THEN 'Tax' ELSE 'x' END""") == ["a"]
    assert cols("""CASE WHEN NULL::VARCHAR = 'Spot' OR "b" LIKE '%Spot%' THEN 'D' END""") == ["b"]
    assert cols("""CASE WHEN "a" = 'R' AND greatest(0.0 - 0.0, 0) > 0 THEN 'U' END""") == ["a"]
    for bad in ("read_csv('/etc/passwd')", '"a"; DROP TABLE loads', "(SELECT 1)", '"a" FROM loads', "", "((\"a\")",
                "CAST(\"a\" AS VARCHAR)", "'a' || getenv('HOME')", "\"a\"::MAP(VARCHAR, VARCHAR)"):
        assert cols(bad) is None, bad


def test_a_load_refuses_an_expression_it_cannot_check(tmp_path):
    rows = "SELECT TIMESTAMP '2026-10-01' AS BillingPeriodStart, TIMESTAMP '2026-10-01' AS ChargePeriodStart, " \
           "TIMESTAMP '2026-10-02' AS ChargePeriodEnd, 1.0 AS BilledCost, 1.0 AS EffectiveCost, 'x' AS ServiceName"
    with Store(tmp_path / "s.duckdb") as s:
        for bad in ({"ChargeCategory": ("expr", "read_csv('x')")}, {"ChargeCategory": ("expr", '"SkuId"')},
                    {"ProviderName": ("expr", "'AWS'")}, {"BilledCost": ("expr", '"EffectiveCost"')}):
            with pytest.raises(CostplanError, match="cannot supply"):
                s.load_query(rows, "focus", supplied=bad)
        assert s.con.execute("SELECT count(*) FROM loads").fetchall()[0][0] == 0


def test_a_changed_expression_in_the_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    new, _ = _stores(tmp_path, monkeypatch)
    con = duckdb.connect(str(new))
    con.execute("UPDATE load_columns SET expr = 'getenv(''HOME'')' WHERE column_name = 'ChargeCategory'")
    con.close()
    with Store(new) as s, pytest.raises(CostplanError, match="expression costplan does not write"):
        s._rebuild_view()


@pytest.mark.parametrize("term", [False, True])
def test_a_file_with_skus_derives_pricing_from_the_usage_type_column_and_with_terms_writes_it(
        tmp_path, monkeypatch, term):
    """With ``product/sku`` SkuId is the SKU, and the usage type is x_UsageType (written): the
    view's PricingCategory reads that. With ``pricing/term`` (no stored column holds it)
    PricingCategory is written, the rest still derived."""
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    header = HEADER + ["product/sku"] + (["pricing/term"] if term else [])
    lines = [
        line + [f"SKU{i}"] + ([("Spot" if i == 0 else "OnDemand")] if term else [])
        for i, line in enumerate([
            _line(1, "Usage", "BoxUsage:c5.large", "1.00"),  # Spot by its term (with terms)
            _line(1, "Usage", "SpotUsage:c5.large", "0.40"),  # Spot by its usage type either way
            _line(2, "Usage", "BoxUsage:c5.large", "2.00"),
            _line(3, "Tax", "", "0.50", service="Tax"),
        ])
    ]
    f = tmp_path / "cur-1.csv.gz"
    with gzip.open(f, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(lines)
    with Store(tmp_path / "new.duckdb") as s:
        import_files(s, "cur", [f])
        derived = {c: v for c, (kind, v) in s._supplied(1).items() if kind == "expr"}
        want = DERIVED - ({"PricingCategory"} if term else set())
        assert set(derived) == want
        if not term:
            assert '"x_UsageType"' in derived["PricingCategory"] and '"SkuId"' not in derived["PricingCategory"]
        # by hand: Dynamic 1.00 + 0.40 with terms (the first line's term is Spot), else 0.40;
        # Standard the other usage; the tax has none
        expect = {"Dynamic": 1.40, "Standard": 2.00, "(none)": 0.50} if term else {
            "Dynamic": 0.40, "Standard": 3.00, "(none)": 0.50}
        assert _by(s, "PricingCategory") == expect
        assert _by(s, "ChargeCategory") == {"Usage": 3.40, "Tax": 0.50}
        got = _reads(s)
    with monkeypatch.context() as m:
        m.setattr(files, "_derived_of", lambda plan, supplied: {})
        with Store(tmp_path / "old.duckdb") as s:
            import_files(s, "cur", [f])
            _assert_same(got, _reads(s))
