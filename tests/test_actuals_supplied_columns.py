"""A load's table leaves out the columns the store's view supplies: a text constant for the
whole load (a CUR's ProviderName 'AWS') or a copy of another stored column (ConsumedQuantity
and ConsumedUnit repeat PricingQuantity and PricingUnit; x_UsageType repeats SkuId in a CUR
without product_sku). Every read gives what it gives with those columns stored."""

from __future__ import annotations

import csv
import gzip

import duckdb
import pandas as pd
import pytest

from costplan.actuals import files, schema
from costplan.actuals.files import import_files
from costplan.actuals.store import Store

HEADER = ["bill/PayerAccountId", "bill/BillingPeriodStartDate", "bill/BillingPeriodEndDate", "bill/InvoiceId",
          "lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/UsageEndDate",
          "lineItem/ProductCode", "lineItem/UsageType", "lineItem/UsageAmount", "lineItem/CurrencyCode",
          "lineItem/UnblendedCost", "lineItem/LineItemDescription", "product/ProductName", "product/region",
          "pricing/unit", "pricing/publicOnDemandCost"]


def _line(day, typ, usage, amount, cost, unit, description="c5.large"):
    return ["111122223333", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "inv-1", "111122223333", typ,
            f"2026-10-{day:02d}T00:00:00Z", f"2026-10-{day:02d}T01:00:00Z", "AmazonEC2", usage, amount, "USD", cost,
            description, "Amazon Elastic Compute Cloud", "us-east-1", unit, cost]


LINES = [
    _line(1, "Usage", "BoxUsage:c5.large", "10", "1.70", "Hrs"),
    _line(2, "Usage", "BoxUsage:c5.large", "5", "0.85", "Hrs"),
    _line(2, "Usage", "EBS:VolumeUsage.gp3", "100", "8.00", "GB-Mo", "gp3 storage"),
    _line(3, "Tax", "", "", "1.05", "", "tax"),  # no usage type, amount or unit: NULL in each copy
]
SUPPLIED = {"ProviderName": ("value", "AWS"), "ConsumedQuantity": ("copy", "PricingQuantity"),
            "ConsumedUnit": ("copy", "PricingUnit"), "x_UsageType": ("copy", "SkuId")}
#: derived by the view from the kept line item type (and SkuId): the file has no savings plan or
#: reservation column, so the commitment columns are functions of the line item type alone
DERIVED = {"ChargeCategory", "ChargeClass", "PricingCategory", "CommitmentDiscountId", "CommitmentDiscountType",
           "CommitmentDiscountStatus"}


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
    """The file imported with the columns supplied, and (an old store's way) with every column stored."""
    f = _write(tmp_path / "cur-1.csv.gz")
    new = tmp_path / "new.duckdb"
    with Store(new) as s:
        import_files(s, "cur", [f])
    with monkeypatch.context() as m:
        m.setattr(files, "supplied_columns", lambda plans: {})
        old = tmp_path / "old.duckdb"
        with Store(old) as s:
            import_files(s, "cur", [f])
    return new, old


def _reads(s: Store) -> dict:
    from costplan.actuals.reconcile import reconcile

    out = {c: s.spend([c]).sort_values(c, na_position="first").reset_index(drop=True)
           for c in ("ProviderName", "ConsumedUnit", "x_UsageType", "SkuId", "PricingUnit")}
    out["quantity"] = s.spend(["ConsumedUnit"], metric="ConsumedQuantity").sort_values("ConsumedUnit",
                                                                                       na_position="first")
    out["component"] = s.spend(["component"]).sort_values("component").reset_index(drop=True)
    plan = pd.DataFrame({"component": ["workers", "ebs"], "component_kind": ["node_pool", "ebs_volume"],
                         "ListCost": [2.0, 8.0]})
    out["reconcile"] = reconcile(plan, s, "2026-10").lines
    out["rows"] = s.query("SELECT * EXCLUDE (x_LoadId) FROM cost_rows ORDER BY ChargePeriodStart, BilledCost")
    out["rollup"] = s.rollup_differences()
    out["store"] = (s.months(), s.loads()[["x_Source", "rows_loaded", "rows_replaced"]], s.coverage(),
                    s.held_parts()[["part", "ProviderName", "billing_period", "rows"]])
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], pd.DataFrame):
            pd.testing.assert_frame_equal(a[k].reset_index(drop=True), b[k].reset_index(drop=True), obj=k)
        else:
            for x, y in zip(a[k], b[k], strict=True):
                if isinstance(x, pd.DataFrame):
                    pd.testing.assert_frame_equal(x, y, obj=k)
                else:
                    assert x == y, k


def test_a_legacy_cur_load_leaves_out_the_supplied_columns_and_reads_the_same(tmp_path, monkeypatch, layout):
    new, old = _stores(tmp_path, monkeypatch)
    with Store(new) as s:
        if layout == "own-table":
            table = s.con.execute("SELECT table_name FROM loads").fetchall()[0][0]
            held = set(s._columns(table))
            assert not held & (set(SUPPLIED) | DERIVED)
            assert {"PricingQuantity", "PricingUnit", "SkuId", "__source_line_item_line_item_type"} <= held
            supplied = s._supplied(1)
            assert {c: v for c, v in supplied.items() if v[0] != "expr"} == SUPPLIED
            assert {c for c, v in supplied.items() if v[0] == "expr"} == DERIVED
        else:  # appended to rows_main: every column written there, nothing recorded
            assert s.con.execute("SELECT count(*) FROM load_columns").fetchall()[0][0] == 0
        got = _reads(s)
        # by hand from the file: every row AWS, 1.70 + 0.85 + 8.00 + 1.05 = 11.60
        assert got["ProviderName"].set_index("ProviderName")["EffectiveCost"].to_dict() == pytest.approx(
            {"AWS": 11.60})
        by_unit = dict(zip(got["ConsumedUnit"]["ConsumedUnit"].fillna("(none)"), got["ConsumedUnit"]["EffectiveCost"],
                           strict=True))
        assert by_unit == pytest.approx({"Hrs": 2.55, "GB-Mo": 8.00, "(none)": 1.05})
        by_usage = dict(zip(got["x_UsageType"]["x_UsageType"].fillna("(none)"), got["x_UsageType"]["EffectiveCost"],
                            strict=True))
        assert by_usage == pytest.approx({"BoxUsage:c5.large": 2.55, "EBS:VolumeUsage.gp3": 8.00, "(none)": 1.05})
        quantity = dict(zip(got["quantity"]["ConsumedUnit"].fillna("(none)"), got["quantity"]["ConsumedQuantity"],
                            strict=True))
        assert {k: v for k, v in quantity.items() if k != "(none)"} == pytest.approx({"Hrs": 15.0, "GB-Mo": 100.0})
        rows = got["rows"]
        assert rows["ProviderName"].tolist() == ["AWS"] * 4
        assert rows["ConsumedQuantity"].tolist()[:3] == [10.0, 5.0, 100.0] and pd.isna(rows["ConsumedQuantity"][3])
        assert rows["ConsumedUnit"].tolist()[:3] == ["Hrs", "GB-Mo", "Hrs"] or rows["ConsumedUnit"].tolist()[:3] == [
            "Hrs", "Hrs", "GB-Mo"]
        assert rows["x_UsageType"].isna().tolist() == [False, False, False, True]
        lines = got["reconcile"].set_index("component_kind")["actual"]
        assert lines["node_pool"] == pytest.approx(2.55) and lines["ebs_volume"] == pytest.approx(8.00)
        assert got["rollup"].empty
    with Store(old) as s:
        assert s.con.execute("SELECT count(*) FROM load_columns").fetchall()[0][0] == 0
        _assert_same(got, _reads(s))


def test_reopening_rebuilds_the_same_view(tmp_path, monkeypatch, layout):
    new, _ = _stores(tmp_path, monkeypatch)

    def view(s):
        return s.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'cost_rows'").fetchall()[0][0]

    with Store(new) as s:
        before, reads = view(s), _reads(s)
        s._rebuild_view()
        assert view(s) == before
    with Store(new, read_only=True) as s:
        _assert_same(reads, _reads(s))
    with Store(new) as s:
        s._rebuild_view()
        assert view(s) == before
        _assert_same(reads, _reads(s))


def test_an_old_store_with_every_column_stored_still_reads(tmp_path, monkeypatch, layout):
    new, old = _stores(tmp_path, monkeypatch)
    with Store(new) as s:
        want = _reads(s)
    # make the store of every column stored a version-9 store, as the previous costplan wrote it
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE load_columns")
    con.execute("DELETE FROM schema_version WHERE version >= 10")
    con.close()
    with Store(old) as s:  # migrated on opening
        assert s.schema_version() == schema.SCHEMA_VERSION
        _assert_same(want, _reads(s))


def test_a_reimport_replaces_a_load_of_supplied_columns(tmp_path, monkeypatch):
    """The periods a later import replaces are found by the load's ProviderName, a constant."""
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    f = _write(tmp_path / "cur-1.csv.gz")
    with Store(tmp_path / "s.duckdb") as s:
        import_files(s, "cur", [f])
        first = _reads(s)
        result = import_files(s, "cur", [f])
        assert result.rows_replaced == 4
        assert s.con.execute("SELECT count(*) FROM cost_rows").fetchall()[0][0] == 4
        again = _reads(s)
        del first["store"], again["store"]  # a load more
        _assert_same(first, again)


def test_a_supplied_column_is_refused_where_it_is_not_exact(tmp_path):
    from costplan.errors import CostplanError

    df = "SELECT TIMESTAMP '2026-10-01' AS BillingPeriodStart, TIMESTAMP '2026-10-01' AS ChargePeriodStart, " \
         "TIMESTAMP '2026-10-02' AS ChargePeriodEnd, 1.0 AS BilledCost, 1.0 AS EffectiveCost, 'x' AS ServiceName"
    with Store(tmp_path / "s.duckdb") as s:
        for bad in ({"BillingAccountId": ("value", "1")}, {"ConsumedQuantity": ("value", "1")},
                    {"ProviderName": ("copy", "ServiceName")}, {"ConsumedUnit": ("copy", "PricingUnit")}):
            with pytest.raises(CostplanError, match="cannot supply"):
                s.load_query(df, "focus", supplied=bad)
        assert s.con.execute("SELECT count(*) FROM loads").fetchall()[0][0] == 0
