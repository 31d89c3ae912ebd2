"""The store: schema migrations, spend queries, source precedence, the synthetic sample,
reconciliation and the commitment / spot summaries."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from costplan import sample
from costplan.actuals import schema
from costplan.actuals.commitments import commitment_summary, spot_summary
from costplan.actuals.reconcile import reconcile
from costplan.actuals.store import Store
from costplan.errors import CostplanError, InputError


def _rows(day: str, items, source_note="x"):
    d = pd.Timestamp(day)
    out = []
    for service, usage, region, cost, *rest in items:
        out.append(
            {
                "ProviderName": "AWS",
                "BillingPeriodStart": d.to_period("M").start_time,
                "BillingPeriodEnd": (d.to_period("M") + 1).start_time,
                "ChargePeriodStart": d,
                "ChargePeriodEnd": d + pd.Timedelta(days=1),
                "ChargeCategory": rest[0] if rest else "Usage",
                "ServiceName": service,
                "x_UsageType": usage,
                "RegionId": region,
                "BilledCost": cost,
                "EffectiveCost": cost,
                "x_ChargeStatus": "Final",
            }
        )
    return pd.DataFrame(out)


from actuals_fixtures import layout, store  # noqa: E402,F401 - fixtures


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    sample.ensure_default_store(path)
    with Store(path) as s:
        yield s


def test_new_store_is_at_the_current_schema_version(store):
    assert store.schema_version() == schema.SCHEMA_VERSION
    cols = [r[0] for r in store.con.execute("DESCRIBE cost_rows").fetchall()]
    assert sorted(cols) == sorted(schema.COLUMN_NAMES)


def test_version_1_store_is_migrated(tmp_path):
    import duckdb

    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMP)")
    for sql in schema.MIGRATIONS[0][2]:
        con.execute(sql)
    con.execute("INSERT INTO schema_version VALUES (1, 'v1', now()::TIMESTAMP)")
    con.close()
    with Store(path) as s:
        assert s.schema_version() == schema.SCHEMA_VERSION
        assert "x_NetEffectiveCost" in [r[0] for r in s.con.execute("DESCRIBE cost_rows").fetchall()]


def test_newer_store_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    with Store(path) as s:
        s.con.execute("INSERT INTO schema_version VALUES (999, 'future', now()::TIMESTAMP)")
    with pytest.raises(CostplanError, match="newer than this costplan"):
        Store(path)


def test_spend_by_month_service_region_and_dates(store):
    store.load_frame(
        pd.concat(
            [
                _rows("2026-09-30", [("AWS WAF", "USE1-WebACL", "us-east-1", 1.25)]),
                _rows(
                    "2026-10-01",
                    [
                        ("AWS WAF", "USE1-WebACL", "us-east-1", 2.50),
                        ("Amazon Route 53", "HostedZone", None, 0.50),
                    ],
                ),
                _rows("2026-10-31", [("AWS WAF", "EU-WebACL", "eu-west-1", 4.00)]),
            ]
        ),
        "focus",
    )
    df = store.spend(["month", "ServiceName"])
    assert [(r.month, r.ServiceName, r.EffectiveCost) for r in df.itertuples()] == [
        ("2026-09", "AWS WAF", 1.25),
        ("2026-10", "AWS WAF", 6.50),
        ("2026-10", "Amazon Route 53", 0.50),
    ]
    region = store.spend(["RegionId"], month="2026-10").set_index("RegionId")["EffectiveCost"].to_dict()
    assert region == {"eu-west-1": 4.0, "us-east-1": 2.5, "(none)": 0.5}
    assert store.spend([], start="2026-10-01", end="2026-10-01")["EffectiveCost"][0] == 3.0
    assert store.spend([], start="2026-09", end="2026-09")["EffectiveCost"][0] == 1.25
    assert store.months() == ["2026-09", "2026-10"]
    with pytest.raises(InputError, match="did you mean 'ServiceName'"):
        store.spend(["ServiceNam"])
    with pytest.raises(InputError, match="bad date"):
        store.spend(["month"], start="October")


def test_one_source_per_period_never_both(store):
    store.load_frame(_rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00)]), "cost-explorer")
    store.load_frame(_rows("2026-10-02", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.10)]), "focus")
    store.load_frame(_rows("2026-09-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 7.00)]), "cost-explorer")
    by = store.spend(["month"]).set_index("month")["EffectiveCost"].to_dict()
    assert by == {"2026-09": 7.0, "2026-10": 2.1}  # October from the FOCUS file only


def test_real_data_replaces_the_synthetic_sample(store):
    frame = _rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00)]).assign(x_Synthetic=True)
    store.load_frame(frame, "synthetic-sample")
    assert store.is_synthetic()
    res = store.load_frame(_rows("2026-08-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 3.00)]), "focus")
    assert res.dropped_synthetic == 1
    assert not store.is_synthetic() and store.months() == ["2026-08"]


def test_load_with_missing_required_values_is_refused(store):
    frame = _rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00)])
    frame.loc[0, "ServiceName"] = None
    with pytest.raises(InputError, match="ServiceName"):
        store.load_frame(frame, "focus")
    assert store.con.execute("SELECT count(*) FROM cost_rows").fetchone()[0] == 0
    assert store.con.execute("SELECT count(*) FROM loads").fetchone()[0] == 0


# -- the synthetic sample ---------------------------------------------------------------------------
def _tiny_sample_store(path, description):
    frame = _rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00)]).assign(x_Synthetic=True)
    with Store(path) as s:
        s.load_frame(frame, "synthetic-sample", description=description)


def test_default_store_is_rebuilt_when_the_sample_inputs_change(tmp_path):
    path = tmp_path / "costplan.duckdb"
    _tiny_sample_store(path, "synthetic sample (not real data), inputs 0123456789abcdef")
    with pytest.warns(UserWarning, match="older stack, catalog or generator; rebuilding it"):
        sample.ensure_default_store(path)
    with Store(path, read_only=True) as s:
        assert len(s.months()) == 13  # the whole sample, not the one-row store
        (description,) = s.con.execute("SELECT description FROM loads").fetchone()
    assert description.endswith(f"inputs {sample.inputs_fingerprint()}")


def test_default_store_built_from_todays_inputs_is_kept(tmp_path, recwarn):
    path = tmp_path / "costplan.duckdb"
    _tiny_sample_store(path, f"synthetic sample (not real data), inputs {sample.inputs_fingerprint()}")
    sample.ensure_default_store(path)
    with Store(path, read_only=True) as s:
        assert s.months() == ["2026-10"]
    assert not recwarn.list


def test_default_store_holding_real_data_is_never_rebuilt(tmp_path, recwarn):
    path = tmp_path / "costplan.duckdb"
    _tiny_sample_store(path, "synthetic sample (not real data), inputs 0123456789abcdef")
    with Store(path) as s:
        s.load_frame(_rows("2026-08-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 3.00)]), "focus")
    sample.ensure_default_store(path)
    with Store(path, read_only=True) as s:
        assert s.months() == ["2026-08"] and not s.is_synthetic()
    assert not recwarn.list


def test_sample_fingerprint_follows_the_stack_and_catalog(tmp_path, monkeypatch):
    from costplan import config

    before = sample.inputs_fingerprint()
    stack = tmp_path / "stack.yaml"
    stack.write_text(config.DEFAULT_STACK.read_text() + "\n# edited\n")
    monkeypatch.setattr(config, "DEFAULT_STACK", stack)
    assert sample.inputs_fingerprint() != before


def test_default_store_is_checked_on_the_connection_the_command_reads(tmp_path, monkeypatch):
    """A default store holding today's sample is opened once; a stale one is still rebuilt."""
    import duckdb

    from costplan import config

    path = tmp_path / "costplan.duckdb"
    monkeypatch.setitem(config._BUILTIN, "store", str(path))
    monkeypatch.delenv("COSTPLAN_STORE", raising=False)
    _tiny_sample_store(path, f"synthetic sample (not real data), inputs {sample.inputs_fingerprint()}")
    opened = []
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    with Store.open_default(read_only=True) as s:
        assert s.months() == ["2026-10"]
    assert len(opened) == 1
    path.unlink()
    _tiny_sample_store(path, "synthetic sample (not real data), inputs 0123456789abcdef")
    with pytest.warns(UserWarning, match="rebuilding it"), Store.open_default(read_only=True) as s:
        assert len(s.months()) == 13


def test_sample_fingerprint_is_cached_by_the_files_stat(tmp_path, monkeypatch):
    """The fingerprint comes from the cache while the files are unchanged, and is hashed again
    when one of them changes (another size or modification time), or when the cache is unreadable."""
    import hashlib
    import os

    from costplan import config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    stack = tmp_path / "stack.yaml"
    stack.write_text(config.DEFAULT_STACK.read_text())
    monkeypatch.setattr(config, "DEFAULT_STACK", stack)
    first = sample.inputs_fingerprint()
    assert json.loads(sample.fingerprint_cache().read_text())["fingerprint"] == first
    calls = []
    real = hashlib.sha256
    monkeypatch.setattr(hashlib, "sha256", lambda *a: calls.append(a) or real(*a))
    assert sample.inputs_fingerprint() == first
    assert len(calls) == 1  # the key of the stat, no hash of the files
    st = stack.stat()
    stack.write_text(stack.read_text().replace("\n", "\n\n", 1))  # same files, one line more
    os.utime(stack, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old modification time
    edited = sample.inputs_fingerprint()
    assert edited != first
    sample.fingerprint_cache().write_text("not json")
    assert sample.inputs_fingerprint() == edited


def test_sample_covers_the_year_and_is_labelled(sample_store):
    assert sample_store.months() == [
        f"{y}-{m:02d}" for y, m in [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 12)]
    ]
    f = sample_store.freshness()
    day = pd.to_datetime(f["day"])
    assert day.min() == pd.Timestamp("2025-11-01") and day.max() == pd.Timestamp("2026-11-25")
    assert len(f) == 365 + 25  # one source in use, one row a day
    est = day[f["Estimated"]]
    assert est.min() == pd.Timestamp("2026-11-01") and len(est) == 25
    assert not f[day < pd.Timestamp("2026-11-01")]["Estimated"].any()
    assert sample_store.is_synthetic()
    assert (
        sample_store.con.execute(
            "SELECT count(*) FROM cost_rows WHERE NOT x_Synthetic OR x_Source <> 'synthetic-sample'"
        ).fetchone()[0]
        == 0
    )


def test_sample_has_growth_spot_credit_and_savings_plan(sample_store):
    credit = sample_store.spend(["ChargeCategory"], month="2026-04").set_index("ChargeCategory")[
        "EffectiveCost"
    ]
    assert credit["Credit"] == sample.CREDIT_AMOUNT
    spot = spot_summary(sample_store, "2026-10").set_index("RegionId")
    # the worker pool's spot share of its hours, diluted by the other (on-demand) pools
    assert 0.1 < spot.loc["us-east-1", "spot_share_hours"] < sample.SPOT_SHARE
    assert spot.loc["us-east-1", "spot_savings"] > 0
    sp = commitment_summary(sample_store, "2026-10")
    assert sp["CommitmentDiscountId"].tolist() == [sample.SP_ID]
    row = sp.iloc[0]
    # 31 days of the plan's Compute Savings Plan commitment [USD/h], billed as the recurring fee
    rate = _planned_sp_rate()
    assert row["billed"] == pytest.approx(rate * 24 * 31, abs=0.01)
    assert row["used_commitment"] + row["unused_commitment"] == pytest.approx(rate * 24 * 31, abs=0.01)
    # the commitment exceeds the on-demand instance usage left after spot: part of it goes
    # unused, and all of that usage is covered
    assert 0.5 < row["utilisation"] < 1 and row["coverage"] == pytest.approx(1.0) and row["savings"] > 0
    assert commitment_summary(sample_store, "2026-01").empty  # no Savings Plan before March
    pd.testing.assert_frame_equal(sample_store.commitment_summary("2026-10"), sp)
    jan, oct_ = (
        sample_store.spend(["component"], month=m).set_index("component")["EffectiveCost"]
        for m in ("2026-01", "2026-10")
    )
    assert oct_["data_transfer"] > jan["data_transfer"] * 1.15  # three percent a month, nine months


def _planned_sp_rate() -> float:
    import costplan
    from costplan.config import DEFAULT_STACK

    lines = costplan.estimate(costplan.load_stack(DEFAULT_STACK)).lines
    sp = lines[(lines["component_kind"] == "commitment") & (lines["PricingUnit"] == "Hrs")]
    return float(sp["ListUnitPrice"].iloc[0])


def test_sample_is_deterministic():
    a = sample.generate_sample()
    b = sample.generate_sample()
    pd.testing.assert_frame_equal(a, b)
    assert a["Tags"].dropna().map(json.loads).map(lambda t: t["environment"]).eq("production").all()


# -- reconciliation ---------------------------------------------------------------------------
def test_reconcile_against_hand_made_plan(store):
    store.load_frame(
        _rows(
            "2026-10-05",
            [
                ("Amazon Relational Database Service", "InstanceUsage:db.r6g.xl", "us-east-1", 700.0),
                ("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", "us-east-1", 900.0),
                ("Amazon Elastic Compute Cloud", "EBS:VolumeUsage.gp3", "us-east-1", 130.0),
                ("Amazon Elastic Compute Cloud", "NatGateway-Hours", "us-east-1", 50.0),
                ("Amazon Elastic Compute Cloud", "CPUCredits:t3", "us-east-1", 12.0),
                ("Tax", None, None, 40.0, "Tax"),
            ],
        ),
        "focus",
    )
    plan = pd.DataFrame(
        {
            "component": ["postgres", "workers", "influx-data", "root-volumes", "nat", "waf"],
            "component_kind": ["rds", "node_pool", "k8s_volume", "ebs_volume", "nat_gateway", "waf"],
            "ServiceName": ["Amazon Relational Database Service"]
            + ["Amazon Elastic Compute Cloud"] * 4
            + ["AWS WAF"],
            "ListCost": [700.8, 1000.0, 80.0, 40.0, 65.7, 27.0],
        }
    )
    r = reconcile(plan, store, "2026-10", threshold_pct=10, min_variance=5)
    lines = r.lines.set_index(["component_kind", "ServiceName"])
    node = lines.loc[("node_pool", "Amazon Elastic Compute Cloud")]
    assert (node["plan"], node["actual"], node["variance"]) == (1000.0, 900.0, -100.0)
    assert node["variance_pct"] == pytest.approx(-10.0) and node["flag"] == ""  # exactly at the threshold
    ebs = lines.loc[("ebs_volume", "Amazon Elastic Compute Cloud")]
    assert (ebs["plan"], ebs["actual"], ebs["components"]) == (120.0, 130.0, "influx-data, root-volumes")
    assert ebs["flag"] == "" and ebs["variance_pct"] == pytest.approx(100 * 10 / 120)
    nat = lines.loc[("nat_gateway", "Amazon Elastic Compute Cloud")]
    assert nat["flag"] == "under" and nat["variance"] == pytest.approx(50.0 - 65.7)
    assert lines.loc[("waf", "AWS WAF")]["flag"] == "no spend"
    assert lines.loc[("tax", "Tax")]["flag"] == "not in plan"
    unm = lines.loc[("unmapped", "Amazon Elastic Compute Cloud")]
    assert (unm["actual"], unm["flag"]) == (12.0, "unmapped")
    assert r.actual_total == pytest.approx(700 + 900 + 130 + 50 + 12 + 40)
    assert r.plan_total == pytest.approx(700.8 + 1000 + 80 + 40 + 65.7 + 27)
    with pytest.raises(InputError, match="no spend for 2026-09"):
        reconcile(plan, store, "2026-09")


def test_every_sample_item_maps_to_its_component_kind():
    """The mapping rules, applied to each usage type of the reference stack's sample, give the
    kind the sample declares for it (a consistency check of component_map.csv)."""
    import duckdb

    from costplan.actuals.mapping import component_case_sql

    base = sample.baseline()[0][["component_kind", "ServiceName", "x_UsageType"]].assign(
        ChargeCategory="Usage", SkuId=None, ChargeDescription=None, PricingUnit=None, ResourceType=None
    )
    con = duckdb.connect()
    con.register("b", base)
    got = con.execute(f"SELECT component_kind, {component_case_sql()} FROM b").fetchall()
    wrong = [(want, have) for want, have in got if want != have]
    assert wrong == []
    assert con.execute(
        f"SELECT {component_case_sql()} FROM (SELECT 'Tax' AS ChargeCategory, 'Tax' AS ServiceName, NULL AS x_UsageType, NULL AS SkuId, "
        "NULL AS ChargeDescription, NULL AS PricingUnit, NULL AS ResourceType)"
    ).fetchall() == [("tax",)]
    assert con.execute(
        f"SELECT {component_case_sql()} FROM (SELECT 'Usage' AS ChargeCategory, 'Amazon Kinesis' AS ServiceName, 'USE1-ShardHour' AS x_UsageType, NULL AS SkuId, "
        "NULL AS ChargeDescription, NULL AS PricingUnit, NULL AS ResourceType)"
    ).fetchall() == [("unmapped",)]


def test_a_folder_or_a_non_duckdb_file_is_not_a_store(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        Store(tmp_path)
    export = tmp_path / "focus.csv"
    export.write_text("BillingPeriodStart,BilledCost\n2026-10-01,1.0\n")
    before = export.read_bytes()
    for read_only in (False, True):
        with pytest.raises(InputError, match="not a DuckDB database file"):
            Store(export, read_only=read_only)
    assert export.read_bytes() == before  # never touched


def test_a_failed_first_load_leaves_no_store_file(tmp_path):
    path = tmp_path / "new.duckdb"
    with pytest.raises(InputError), Store.writing(path) as s:
        s.load_frame(_rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00)]).drop(columns="ServiceName"),
                     "focus")
    assert not path.exists()
    with Store.writing(path) as s:  # a good load keeps it
        s.load_frame(_rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00)]), "focus")
    with pytest.raises(InputError), Store.writing(path) as s:  # and a later failure does not remove it
        raise InputError("bad input")
    with Store(path, read_only=True) as s:
        assert s.months() == ["2026-10"]


def test_coverage_counts_days_of_daily_hourly_and_monthly_rows(store):
    from costplan.reports.tables import default_month

    # September: one monthly row (a MONTHLY Cost Explorer pull) covers all 30 days
    sep = _rows("2026-09-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 30.0)])
    sep["ChargePeriodEnd"] = pd.Timestamp("2026-10-01")
    # October: daily rows for every day but the 31st, and one hourly row on the 5th
    octo = pd.concat([_rows(f"2026-10-{d:02d}", [("AWS WAF", "USE1-WebACL", "us-east-1", 1.0)]) for d in range(1, 31)])
    hourly = _rows("2026-10-05", [("AWS WAF", "USE1-Requests", "us-east-1", 0.5)])
    hourly["ChargePeriodStart"] = pd.Timestamp("2026-10-05 10:00")
    hourly["ChargePeriodEnd"] = pd.Timestamp("2026-10-05 11:00")
    store.load_frame(pd.concat([sep, octo, hourly]), "focus")
    cov = store.coverage().set_index("month")
    assert (cov.loc["2026-09", "days"], cov.loc["2026-09", "complete"]) == (30, True)
    assert (cov.loc["2026-10", "days"], cov.loc["2026-10", "days_in_month"], cov.loc["2026-10", "complete"]) == (
        30, 31, False)
    assert default_month(store) == "2026-09"  # October misses its 31st
    # a load holds whole billing periods: October again, now with its 31st
    day31 = _rows("2026-10-31", [("AWS WAF", "USE1-WebACL", "us-east-1", 1.0)])
    store.load_frame(pd.concat([octo, hourly, day31]), "focus")
    assert default_month(store) == "2026-10"


def test_month_end_forecast_from_the_median_daily_spend(store):
    from costplan.actuals.forecast import month_end_forecast

    costs = [100, 100, 100, 90, 100, 110, 100, 95, 105, 300]  # 1..10 November; a 300 fee on the 10th
    rows = pd.concat([_rows(f"2026-11-{d:02d}", [("AWS WAF", "USE1-WebACL", "us-east-1", float(c))])
                      for d, c in enumerate(costs, start=1)])
    store.load_frame(rows.assign(x_ChargeStatus="Estimated"), "focus")
    f = month_end_forecast(store, "2026-11")
    # last 7 days 90 100 110 100 95 105 300: median 100, low 90, high 300; 20 days to go
    assert (f.to_date, f.days, f.days_in_month, f.daily_rate) == (1200.0, 10, 30, 100.0)
    assert (f.month_end, f.low, f.high) == (1200 + 20 * 100, 1200 + 20 * 90, 1200 + 20 * 300)
    assert "the month ends near $3,200.00 ($3,000.00 to $7,200.00)" in f.summary()


def test_no_forecast_for_a_complete_month_or_a_monthly_row(store):
    from costplan.actuals.forecast import month_end_forecast

    sep = _rows("2026-09-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 30.0)])
    sep["ChargePeriodEnd"] = pd.Timestamp("2026-10-01")  # the whole month in one row
    mtd = _rows("2026-10-01", [("AWS WAF", "USE1-WebACL", "us-east-1", 12.0)])
    mtd["ChargePeriodEnd"] = pd.Timestamp("2026-10-13")  # twelve days in one row: no daily rate
    store.load_frame(pd.concat([sep, mtd]), "focus")
    assert month_end_forecast(store, "2026-09") is None
    assert month_end_forecast(store, "2026-10") is None


def test_load_parts_and_totals_as_rows_or_frames(store):
    """``parts`` given as a DataFrame (the library's API) or as rows records the same files;
    the totals come as rows to ``check_rows`` and as a DataFrame to ``check`` and in
    ``LoadResult.totals``: per period, 2.00 + 3.50 (September) and 1.25 (October), by hand."""
    import datetime as dt

    from costplan.frames import Rows

    sep = _rows("2026-09-03", [("AWS WAF", "USE1-WebACL", "us-east-1", 2.00), ("AWS WAF", "USE1-WebACL", "us-east-1", 3.50)])
    oct_ = _rows("2026-10-03", [("AWS WAF", "USE1-WebACL", "us-east-1", 1.25)])
    seen = {}
    cols = ["part", "path", "ProviderName", "BillingAccountId", "BillingPeriodStart", "rows"]
    frame = pd.DataFrame([["a.csv", "/x/a.csv", "AWS", None, pd.Timestamp("2026-09-01"), 2]], columns=cols)
    res = store.load_frame(sep, "focus", parts=frame, check=lambda con, lid, t: seen.setdefault("frame", t))
    rows = Rows(cols, [("b.csv", "/x/b.csv", "AWS", None, dt.datetime(2026, 10, 1), 1)])
    res2 = store.load_frame(oct_, "focus", parts=rows, check_rows=lambda con, lid, t: seen.setdefault("rows", t))
    assert store.con.execute(
        "SELECT load_id, part, path, ProviderName, BillingAccountId, BillingPeriodStart, rows, manifest, net_costs "
        "FROM load_parts ORDER BY load_id").fetchall() == [
        (1, "a.csv", "/x/a.csv", "AWS", None, dt.datetime(2026, 9, 1), 2, None, None),
        (2, "b.csv", "/x/b.csv", "AWS", None, dt.datetime(2026, 10, 1), 1, None, None)]
    assert seen["frame"].to_dict("records") == [{"billing_period": "2026-09", "ProviderName": "AWS",
                                                 "BillingCurrency": "USD", "rows": 2, "BilledCost": 5.5,
                                                 "EffectiveCost": 5.5}]
    assert seen["rows"].rows == [("2026-10", "AWS", "USD", 1, 1.25, 1.25)]
    assert res.totals.to_dict("records") == seen["frame"].to_dict("records")
    assert res2.totals_rows.rows == seen["rows"].rows and res2.totals["rows"].dtype == "int64"
