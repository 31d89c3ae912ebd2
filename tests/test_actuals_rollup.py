"""The store's daily rollup: every load keeps it equal to the raw rows to the cent, in the same
transaction; the queries it answers give what the raw rows give; a failed load leaves both as
they were; a store of the previous schema gets its rollup when migrated."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest

from costplan import sample
from costplan.actuals import schema
from costplan.actuals.files import import_files
from costplan.actuals.store import Store, spend_sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import exportgen

KEYS = [
    ["month"],
    ["month", "ServiceName"],
    ["day"],
    ["RegionId", "ChargeCategory"],
    ["month", "PricingCategory", "BillingCurrency"],
    [],
]


def _rows(day: str, items) -> pd.DataFrame:
    d = pd.Timestamp(day)
    return pd.DataFrame(
        [
            {
                "ProviderName": "AWS", "BillingAccountId": "payer",
                "BillingPeriodStart": d.to_period("M").start_time,
                "BillingPeriodEnd": (d.to_period("M") + 1).start_time,
                "ChargePeriodStart": d + pd.Timedelta(hours=h), "ChargePeriodEnd": d + pd.Timedelta(hours=h + 1),
                "ChargeCategory": cat, "ServiceName": service, "RegionId": region,
                "BilledCost": cost, "EffectiveCost": cost, "x_ChargeStatus": "Final",
            }
            for h, (service, region, cat, cost) in enumerate(items)
        ]
    )


def _raw(store: Store, by, **kw) -> pd.DataFrame:
    """The same query on the raw rows, without the rollup."""
    rel = store.rows_sql()
    return store.con.execute(spend_sql(rel, by, **kw)).df()


def _assert_exact(store: Store) -> None:
    diff = store.rollup_differences()
    assert diff.empty, diff.head().to_string()
    for by in KEYS:
        for kw in ({}, {"start": "2026-09-03", "end": "2026-10-02"}):
            got = store.spend(by, **kw)
            want = _raw(store, by, **kw)
            key = list(by)
            got = got.sort_values(key).reset_index(drop=True) if key else got
            want = want.sort_values(key).reset_index(drop=True) if key else want
            assert list(got[key].itertuples(index=False)) == list(want[key].itertuples(index=False))
            assert got["EffectiveCost"].fillna(0).round(2).tolist() == want["EffectiveCost"].fillna(0).round(2).tolist()
            assert got["EffectiveCost"].isna().tolist() == want["EffectiveCost"].isna().tolist()
            assert got["rows"].tolist() == want["rows"].tolist()


def test_small_load_sums_by_hand(tmp_path):
    # 2026-10-05: EC2 us-east-1 10.00 + 2.50 = 12.50; S3 eu-west-1 1.25; tax 0.80 (no region)
    with Store(tmp_path / "s.duckdb") as store:
        store.load_frame(
            _rows("2026-10-05", [
                ("Amazon Elastic Compute Cloud", "us-east-1", "Usage", 10.00),
                ("Amazon Elastic Compute Cloud", "us-east-1", "Usage", 2.50),
                ("Amazon Simple Storage Service", "eu-west-1", "Usage", 1.25),
                ("Amazon Elastic Compute Cloud", None, "Tax", 0.80),
            ]),
            "focus",
        )
        assert Store.rollup_answers(["month", "ServiceName"])
        df = store.spend(["month", "ServiceName"])
        assert df[["ServiceName", "EffectiveCost", "rows"]].values.tolist() == [
            ["Amazon Elastic Compute Cloud", 13.30, 3],
            ["Amazon Simple Storage Service", 1.25, 1],
        ]
        # the rollup keeps one row per day and dimension: 3 (EC2 usage, S3 usage, EC2 tax)
        assert store.con.execute("SELECT count(*), sum(x_Rows) FROM cost_rollup").fetchall()[0] == (3, 4)
        _assert_exact(store)


def test_every_kind_of_load_keeps_it_exact(tmp_path):
    gen = tmp_path / "gen"
    exportgen.write("focus", 4000, gen / "a.parquet", seed=1)
    exportgen.write("focus", 1500, gen / "b.csv.gz", seed=2)
    path = tmp_path / "s.duckdb"
    sample.ensure_default_store(path)
    with Store(path) as store:
        _assert_exact(store)  # the synthetic sample
        import_files(store, "focus", [gen / "a.parquet"])  # real data: the sample's rows go
        assert not store.is_synthetic()
        _assert_exact(store)
        import_files(store, "focus", [gen / "a.parquet"])  # the same again replaces it
        _assert_exact(store)
        import_files(store, "focus", [gen / "b.csv.gz"], mode="append")  # further parts
        _assert_exact(store)
        import_files(store, "focus", [gen / "b.csv.gz"], mode="complete")  # replaces both
        _assert_exact(store)
        # a Cost Explorer-like load over a range, replacing the days it covers
        ce = _rows("2026-09-10", [("Amazon Elastic Compute Cloud", "us-east-1", "Usage", 5.0)])
        store.load_frame(ce, "cost-explorer", replace_range=(dt.date(2026, 9, 1), dt.date(2026, 9, 30)))
        store.load_frame(ce, "cost-explorer", replace_range=(dt.date(2026, 9, 1), dt.date(2026, 9, 30)))
        _assert_exact(store)
        # a large load keeps its own table; the rollup follows it too
        big = store.con.execute("SELECT count(*) FROM loads WHERE table_name IS NOT NULL").fetchall()[0][0]
        assert big == 0  # all of these were small: rows_main


def test_failed_load_leaves_rollup_and_rows(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.load_frame(_rows("2026-10-05", [("Amazon Elastic Compute Cloud", "us-east-1", "Usage", 10.0)]), "focus")
        before = store.con.execute("SELECT * FROM cost_rollup").fetchall()

        def boom(con, load_id, totals):
            raise RuntimeError("refused")

        with pytest.raises(RuntimeError):
            store.load_frame(_rows("2026-10-05", [("AWS WAF", "us-east-1", "Usage", 3.0)]), "focus", check=boom)
        assert store.con.execute("SELECT * FROM cost_rollup").fetchall() == before
        _assert_exact(store)


def test_own_table_load(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 100)
    exportgen.write("focus", 600, tmp_path / "a.parquet", seed=3)
    with Store(tmp_path / "s.duckdb") as store:
        import_files(store, "focus", [tmp_path / "a.parquet"])
        assert store.con.execute("SELECT count(*) FROM loads WHERE table_name IS NOT NULL").fetchall()[0][0] == 1
        _assert_exact(store)
        import_files(store, "focus", [tmp_path / "a.parquet"])
        _assert_exact(store)


def test_keys_it_cannot_answer_use_the_raw_rows(tmp_path):
    assert not Store.rollup_answers(["component"])
    assert not Store.rollup_answers(["tag:team"])
    assert not Store.rollup_answers(["x_UsageType"])
    assert not Store.rollup_answers(["month"], where={"SkuId": "x"})
    exportgen.write("focus", 800, tmp_path / "a.parquet", seed=4)
    with Store(tmp_path / "s.duckdb") as store:
        import_files(store, "focus", [tmp_path / "a.parquet"])
        got = store.spend(["x_UsageType"])
        want = _raw(store, ["x_UsageType"])
        assert got["EffectiveCost"].sum() == pytest.approx(want["EffectiveCost"].sum())


def test_previous_schema_gets_its_rollup_when_migrated(tmp_path):
    path = tmp_path / "s.duckdb"
    exportgen.write("focus", 700, tmp_path / "a.parquet", seed=5)
    with Store(path) as store:
        import_files(store, "focus", [tmp_path / "a.parquet"])
        # make it a version-7 store, as the previous costplan wrote it
        store.con.execute("DROP TABLE cost_rollup")
        store.con.execute("ALTER TABLE load_parts DROP COLUMN net_costs")  # added by version 9
        store.con.execute("DELETE FROM schema_version WHERE version >= 8")
    with Store(path, read_only=True) as store:  # a reading command migrates it once
        assert store.schema_version() == schema.SCHEMA_VERSION
        _assert_exact(store)
