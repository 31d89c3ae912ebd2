"""Active users, the `costplan store` command and your own spend-mapping rules."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_runner import costplan

from costplan.actuals import schema
from costplan.actuals.store import Store
from costplan.actuals.users import read_users_csv
from costplan.errors import InputError


def _spend(month: str, cost: float, synthetic: bool = False) -> pd.DataFrame:
    start = pd.Timestamp(f"{month}-01")
    return pd.DataFrame(
        [
            {
                "BillingPeriodStart": start,
                "ChargePeriodStart": start,
                "ChargePeriodEnd": start + pd.Timedelta(days=1),
                "ServiceName": "Amazon Elastic Compute Cloud",
                "x_UsageType": "BoxUsage:c5.xlarge",
                "RegionId": "us-east-1",
                "BilledCost": cost,
                "EffectiveCost": cost,
                "x_Synthetic": synthetic,
            }
        ]
    )


def test_csv_is_read_and_sorted(tmp_path):
    f = tmp_path / "users.csv"
    f.write_text("month,active_users,team\n2026-10,10000,web\n2026-09,9850.5,web\n")
    df = read_users_csv(f)
    assert df.to_dict("records") == [
        {"month": "2026-09", "active_users": 9850.5},
        {"month": "2026-10", "active_users": 10000.0},
    ]


def test_every_bad_line_is_reported_with_its_line(tmp_path):
    f = tmp_path / "users.csv"
    f.write_text("month,active_users\n2026-9,100\n2026-10,-5\n2026-11,many\n2026-12,10\n2026-12,11\n")
    with pytest.raises(InputError) as exc:
        read_users_csv(f)
    text = str(exc.value)
    assert f"{f}:2: month: month '2026-9' is not YYYY-MM" in text
    assert f"{f}:3: active_users: active_users '-5' is not a non-negative number" in text
    assert f"{f}:4: active_users: active_users 'many'" in text
    assert f"{f}:6: month: month 2026-12 appears twice (also line 5)" in text


def test_a_folder_or_a_missing_file_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_users_csv(tmp_path)
    with pytest.raises(InputError, match="file not found"):
        read_users_csv(tmp_path / "nope.csv")


def test_missing_column_names_the_header(tmp_path):
    f = tmp_path / "users.csv"
    f.write_text("month,users\n2026-10,10\n")
    with pytest.raises(InputError, match=r"users.csv:1: missing column\(s\) active_users"):
        read_users_csv(f)


def test_reimport_replaces_months_and_real_counts_replace_the_samples(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        s.load_frame(_spend("2026-09", 100.0, synthetic=True), "synthetic-sample")
        s.load_users(pd.DataFrame({"month": ["2026-08", "2026-09"], "active_users": [40.0, 50.0]}), "synthetic-sample")
        assert s.users()["active_users"].tolist() == [40.0, 50.0]
        s.load_users(pd.DataFrame({"month": ["2026-09", "2026-10"], "active_users": [55.0, 60.0]}))
        u = s.users()
        # the real counts replace every synthetic one, not only the months they name
        assert u[["month", "active_users"]].to_dict("records") == [
            {"month": "2026-09", "active_users": 55.0},
            {"month": "2026-10", "active_users": 60.0},
        ]
        s.load_users(pd.DataFrame({"month": ["2026-10"], "active_users": [61.0]}))
        assert s.users()["active_users"].tolist() == [55.0, 61.0]


def test_real_spend_drops_the_samples_user_counts(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        s.load_frame(_spend("2026-09", 100.0, synthetic=True), "synthetic-sample")
        s.load_users(pd.DataFrame({"month": ["2026-09"], "active_users": [50.0]}), "synthetic-sample")
        s.load_frame(_spend("2026-09", 120.0), "focus")
        assert s.users().empty  # synthetic users never divide real money
        with pytest.raises(InputError, match="holds real spend"):
            s.load_users(pd.DataFrame({"month": ["2026-09"], "active_users": [50.0]}), "synthetic-sample")


def test_trend_has_cost_per_user_for_months_with_a_count(tmp_path):
    from costplan.reports.tables import trend

    with Store(tmp_path / "s.duckdb") as s:
        for month, cost in (("2026-08", 90.0), ("2026-09", 100.0), ("2026-10", 150.0)):
            s.load_frame(_spend(month, cost), "focus")
        s.load_users(pd.DataFrame({"month": ["2026-09", "2026-10"], "active_users": [50.0, 60.0]}))
        t = trend(s, "2026-10", users=s.users())
    assert t["month"].tolist() == ["2026-08", "2026-09", "2026-10"]
    assert t["cost_per_user"].tolist()[1:] == [2.0, 2.5]  # 100 / 50, 150 / 60
    assert pd.isna(t["cost_per_user"].iloc[0])


def test_cli_import_users_and_bad_file(tmp_path):
    store = tmp_path / "s.duckdb"
    good = tmp_path / "users.csv"
    good.write_text("month,active_users\n2026-10,10400\n")
    res = costplan("import", "users", str(good), "--store", str(store))
    assert res.code == 0, res.err
    assert "Stored 1 month(s) of active users" in res.err
    bad = tmp_path / "bad.csv"
    bad.write_text("month,active_users\n2026-13,1\n")
    other = tmp_path / "other.duckdb"
    res = costplan("import", "users", str(bad), "--store", str(other))
    assert res.code == 2 and f"{bad}:2: month" in res.err and "Traceback" not in res.err
    assert not other.exists()  # nothing written half-way


def test_cli_actuals_per_user(tmp_path):
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        for month, cost in (("2026-09", 100.0), ("2026-10", 150.0)):
            s.load_frame(_spend(month, cost), "focus")
    res = costplan("actuals", "--by", "month", "--per-user", "--store", str(store))
    assert res.code == 2 and "holds no user counts" in res.err and "costplan import users" in res.err
    users = tmp_path / "users.csv"
    users.write_text("month,active_users\n2026-10,60\n")
    assert costplan("import", "users", str(users), "--store", str(store)).code == 0
    res = costplan("actuals", "--by", "month", "--per-user", "--store", str(store), "--format", "csv")
    assert res.code == 0, res.err
    lines = res.out.strip().splitlines()
    assert lines[0] == "month,EffectiveCost,Estimated,active_users,cost_per_user"
    assert lines[2] == "2026-10,150.0,False,60.0,2.5"  # 150 / 60
    assert lines[1].startswith("2026-09,100.0,False,,")  # no count: left empty, with a warning
    assert "no user count for 2026-09" in res.err
    bad = costplan("actuals", "--by", "ServiceName", "--per-user", "--store", str(store))
    assert bad.code == 2 and "needs --by month" in bad.err


def test_store_command_shows_the_source_in_use_per_month(tmp_path):
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        s.load_frame(pd.concat([_spend("2026-09", 90.0), _spend("2026-10", 140.0)]), "cost-explorer")
        s.load_frame(_spend("2026-10", 150.0), "focus")
        s.load_users(pd.DataFrame({"month": ["2026-10"], "active_users": [60.0]}))
    res = costplan("store", "--store", str(store), "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    months = {m["month"]: m for m in out["months"]}
    assert (months["2026-09"]["source"], months["2026-09"]["EffectiveCost"]) == ("cost-explorer", 90.0)
    assert (months["2026-10"]["source"], months["2026-10"]["other_sources"]) == ("focus", "cost-explorer")
    assert (months["2026-10"]["EffectiveCost"], months["2026-10"]["active_users"]) == (150.0, 60.0)
    assert months["2026-09"]["active_users"] is None
    assert [ld["x_Source"] for ld in out["loads"]] == ["cost-explorer", "focus", "users-csv"]
    assert out["schema_version"] == schema.SCHEMA_VERSION and out["synthetic"] is False



def test_own_mapping_rules_come_before_the_built_in_ones(tmp_path):
    store = tmp_path / "s.duckdb"
    with Store(store) as s:
        row = _spend("2026-10", 80.0).assign(ServiceName="Amazon OpenSearch Service", x_UsageType="ESInstance:r6g.large")
        s.load_frame(pd.concat([_spend("2026-10", 100.0), row]), "focus")
    args = ("actuals", "--by", "component", "--month", "2026-10", "--store", str(store), "--format", "csv")
    before = costplan(*args)
    assert before.code == 0 and "unmapped,80.0" in before.out and "node_pool,100.0" in before.out
    rules = tmp_path / "map.csv"
    rules.write_text(
        "rule,charge_category,service_regex,usage_regex,component_kind,ServiceName,note\n"
        "1,,OpenSearch,,search,Amazon OpenSearch Service,our log search cluster\n"
    )
    after = costplan(*args, env={"COSTPLAN_COMPONENT_MAP": str(rules)})
    assert after.code == 0 and "search,80.0" in after.out and "node_pool,100.0" in after.out
    assert "unmapped" not in after.out
    rules.write_text("rule,charge_category,service_regex,usage_regex,component_kind,ServiceName\nx,,([,,k,S\n")
    bad = costplan(*args, env={"COSTPLAN_COMPONENT_MAP": str(rules)})
    assert bad.code == 2 and f"{rules}:2: service_regex: bad pattern" in bad.err and f"{rules}:2: rule: rule 'x'" in bad.err
