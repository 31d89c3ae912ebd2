"""The Athena engine with botocore Stubber: start, poll, several result pages, a failed query;
every query of the monthly report sent to Athena (Stubber answers with what the same query gives
on DuckDB over the same rows), each one valid Trino SQL carrying the billing-period partition
predicate; bytes scanned, their cost and --max-scan-gb."""

from __future__ import annotations

import boto3
import duckdb
import pytest
from botocore.stub import ANY, Stubber

from costplan.actuals.athena import AthenaEngine, query_cost
from costplan.actuals.queries import render, spend_sql
from costplan.errors import AwsError, InputError


def _engine(**kw):
    client = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing").client(
        "athena", region_name="us-east-1"
    )
    eng = AthenaEngine(
        client=client,
        database="cur_db",
        table="focus_export",
        output="s3://bucket/athena/",
        sleep=lambda s: None,
        **kw,
    )
    return eng, Stubber(client)


def _row(*values):
    return {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}


COLUMNS = [
    {"Name": "month", "Type": "varchar"},
    {"Name": "ServiceName", "Type": "varchar"},
    {"Name": "EffectiveCost", "Type": "double"},
    {"Name": "Estimated", "Type": "boolean"},
    {"Name": "rows", "Type": "bigint"},
    {"Name": "currency_min", "Type": "varchar"},
    {"Name": "currency_max", "Type": "varchar"},
]


def test_start_poll_and_read_every_page():
    eng, stub = _engine(workgroup="finops")
    sql = render(
        spend_sql(eng.rows_for(month="2026-10"), ["month", "ServiceName"], month="2026-10", currencies=True), "athena"
    )
    assert "billing_period IN ('2026-10')" in sql
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": "cur_db"},
            "ResultConfiguration": {"OutputLocation": "s3://bucket/athena/"},
            "WorkGroup": "finops",
        },
    )
    for state in ("QUEUED", "RUNNING"):
        stub.add_response(
            "get_query_execution",
            {"QueryExecution": {"Status": {"State": state}}},
            {"QueryExecutionId": "q-1"},
        )
    stub.add_response(
        "get_query_execution",
        {"QueryExecution": {"Status": {"State": "SUCCEEDED"}, "Statistics": {"DataScannedInBytes": 123456}}},
        {"QueryExecutionId": "q-1"},
    )
    meta = {"ColumnInfo": COLUMNS}
    stub.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": [
                    _row("month", "ServiceName", "EffectiveCost", "Estimated", "rows", "currency_min", "currency_max"),
                    _row("2026-10", "Amazon Relational Database Service", "2423.61", "false", "186", "USD", "USD"),
                ],
                "ResultSetMetadata": meta,
            },
            "NextToken": "t2",
        },
        {"QueryExecutionId": "q-1", "MaxResults": 1000},
    )
    stub.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": [_row("2026-10", "Amazon Elastic Compute Cloud", "2316.74", "false", "434", "USD", "USD")],
                "ResultSetMetadata": meta,
            },
            "NextToken": "t3",
        },
        {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "t2"},
    )
    stub.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "Rows": [_row("2026-10", "AWS WAF", "42.82", None, "124", "USD", "USD")],
                "ResultSetMetadata": meta,
            }
        },
        {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "t3"},
    )
    with stub:
        df = eng.spend(["month", "ServiceName"], month="2026-10")
    stub.assert_no_pending_responses()
    assert df["ServiceName"].tolist() == [
        "Amazon Relational Database Service",
        "Amazon Elastic Compute Cloud",
        "AWS WAF",
    ]
    assert df["EffectiveCost"].tolist() == [2423.61, 2316.74, 42.82]
    assert df["rows"].tolist() == [186, 434, 124]
    assert not df["Estimated"].any()
    assert eng.scanned_bytes == 123456 and eng.queries == 1
    # below the 10 MB minimum: billed as 10 MB at $5 per 10^12 bytes
    assert eng.cost == pytest.approx(10 * 1024**2 * 5 / 1e12)


def test_failed_query_is_reported_with_athenas_error_code_only():
    eng, stub = _engine()
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-2"},
        {"QueryString": ANY, "QueryExecutionContext": ANY, "ResultConfiguration": ANY},
    )
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "Status": {
                    "State": "FAILED",
                    "StateChangeReason": "TABLE_NOT_FOUND: line 1:1: Table cur_db.focus_export does not exist",
                }
            }
        },
        {"QueryExecutionId": "q-2"},
    )
    with stub, pytest.raises(AwsError, match=r"q-2 failed \(TABLE_NOT_FOUND\)") as exc:
        eng.spend(["month"], month="2026-10")
    assert "does not exist" not in str(exc.value)  # AWS's text is not repeated


def test_athena_errors_never_repeat_aws_text_with_a_role_arn_or_account():
    """Failure: Athena errors repeated AWS's text with a role ARN and account id."""
    eng, stub = _engine()
    stub.add_response("start_query_execution", {"QueryExecutionId": "q-3"},
                      {"QueryString": ANY, "QueryExecutionContext": ANY, "ResultConfiguration": ANY})
    reason = ("Access denied when writing output to url: s3://results-123456789012/x . Please ensure you are allowed "
              "to access the S3 bucket (User: arn:aws:sts::123456789012:assumed-role/FinOps/alice)")
    stub.add_response(
        "get_query_execution",
        {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": reason,
                                       "AthenaError": {"ErrorCategory": 2, "ErrorType": 1306}}}},
        {"QueryExecutionId": "q-3"},
    )
    with stub, pytest.raises(AwsError) as exc:
        eng.spend(["month"], month="2026-10")
    msg = str(exc.value)
    assert "123456789012" not in msg and "alice" not in msg and "arn:" not in msg and "results-" not in msg
    assert "user error, type 1306" in msg and "s3:PutObject" in msg


def test_access_denied_names_the_action():
    eng, stub = _engine()
    stub.add_client_error(
        "start_query_execution",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/bob is not authorized",
    )
    with stub, pytest.raises(AwsError) as exc:
        eng.spend(["month"], month="2026-10")
    assert "athena:StartQueryExecution" in str(exc.value) and "123456789012" not in str(exc.value)


def test_bad_names_are_refused_before_any_call():
    with pytest.raises(InputError, match="--table"):
        AthenaEngine(client=object(), database="db", table="x; DROP TABLE y", output="s3://b/")
    with pytest.raises(InputError, match="--output"):
        AthenaEngine(client=object(), database="db", table="t", output="/tmp/out")


def test_a_query_names_its_billing_periods_or_is_refused_before_any_call():
    eng, stub = _engine()
    with stub, pytest.raises(InputError, match="billing periods"):
        eng.spend(["month"])
    stub.assert_no_pending_responses()


def test_query_cost_is_five_dollars_a_terabyte_with_a_10_mb_minimum():
    # by hand: 2 * 10^12 bytes at $5/TB = $10; 1 byte is billed as 10 MB = 10,485,760 bytes
    assert query_cost(2 * 10**12) == pytest.approx(10.0)
    assert query_cost(1) == pytest.approx(10_485_760 * 5 / 1e12)


# -- the whole report through Athena ---------------------------------------------------------------
class DuckAthena(AthenaEngine):
    """An AthenaEngine under Stubber whose every query is answered, through the real botocore
    client, with what the query's DuckDB form gives over a DuckDB copy of the table (partition
    column included): the Athena path of each query, its rendering and the reading of its
    results are exercised; the Trino text is kept for the checks."""

    def __init__(self, con, stub, **kw):
        super().__init__(**kw)
        self.con, self.stub, self.sent, self._duck = con, stub, [], None

    def query(self, sql):
        self._duck = sql
        return super().query(sql)

    def _partitions(self):
        self._duck = f"SELECT DISTINCT billing_period AS month FROM {self.table} ORDER BY 1"
        return super()._partitions()

    def execute(self, sql):
        import pandas as pd

        df = self.con.execute(self._duck).df()
        qid = f"q-{len(self.sent) + 1}"
        self.sent.append(sql)
        self.stub.add_response(
            "start_query_execution", {"QueryExecutionId": qid},
            {"QueryString": sql, "QueryExecutionContext": {"Database": "cur_db"},
             "ResultConfiguration": {"OutputLocation": "s3://bucket/athena/"}},
        )
        self.stub.add_response(
            "get_query_execution",
            {"QueryExecution": {"Status": {"State": "SUCCEEDED"}, "Statistics": {"DataScannedInBytes": 5_000_000}}},
            {"QueryExecutionId": qid},
        )

        def kind(s):
            if pd.api.types.is_bool_dtype(s):
                return "boolean"
            if pd.api.types.is_integer_dtype(s):
                return "bigint"
            if pd.api.types.is_float_dtype(s):
                return "double"
            return "varchar"

        def text(v):
            if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
                return None
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, float):
                return repr(v)
            return str(v)

        cols = [{"Name": c.lower(), "Type": kind(df[c])} for c in df.columns]
        rows = [_row(*[c.lower() for c in df.columns])] + [
            _row(*[text(v) for v in r]) for r in df.astype(object).itertuples(index=False)
        ]
        self.stub.add_response(
            "get_query_results", {"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": cols}}},
            {"QueryExecutionId": qid, "MaxResults": 1000},
        )
        return super().execute(sql)


def _sample_on_athena(tmp_path):
    """The SYNTHETIC sample's rows as one FOCUS Parquet file, imported into a store
    (``tmp_path/imported.duckdb``) and held as an Athena table answered by :class:`DuckAthena`
    under Stubber: (engine, stubber)."""
    from costplan.actuals.files import import_files
    from costplan.actuals.store import Store
    from costplan.sample import build_store

    sample = tmp_path / "sample.duckdb"
    build_store(sample)
    src = duckdb.connect(str(sample), read_only=True)
    cols = [r[0] for r in src.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'cost_rows'").fetchall()]
    keep = ", ".join(f'"{c}"' for c in cols if c not in ("x_Source", "x_LoadId", "x_Synthetic"))
    focus = tmp_path / "focus.parquet"  # the SYNTHETIC sample's rows as one FOCUS file
    src.execute(f"COPY (SELECT {keep} FROM cost_rows) TO '{focus}' (FORMAT parquet)")
    src.close()
    with Store(tmp_path / "imported.duckdb") as store:
        import_files(store, "focus", [str(focus)])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA cur_db")
    con.execute(f"""CREATE TABLE cur_db.focus_export AS SELECT *, strftime(BillingPeriodStart, '%Y-%m')
                    AS billing_period FROM read_parquet('{focus}')""")
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'focus_export' AND column_name <> 'billing_period'").fetchall())
    client = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing").client(
        "athena", region_name="us-east-1")
    stub = Stubber(client)
    eng = DuckAthena(con, stub, client=client, database="cur_db", table="focus_export",
                     output="s3://bucket/athena/", sleep=lambda s: None, types=types)
    return eng, stub


def test_every_report_query_runs_on_athena_and_the_report_is_the_stores(tmp_path):
    import json

    import sqlglot
    from sqlglot import exp

    from costplan.reports import monthly_report

    month = "2026-10"
    eng, stub = _sample_on_athena(tmp_path)
    with stub:
        monthly_report(month, out_dir=tmp_path / "athena", images=False, projection=False, source=eng)
    stub.assert_no_pending_responses()
    monthly_report(month, store=tmp_path / "imported.duckdb", out_dir=tmp_path / "duckdb", images=False,
                   projection=False)
    want, got = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("duckdb", "athena"))
    for doc in (want, got):
        doc.pop("generated_at", None)
        doc.pop("store", None)
        doc.pop("store_path", None)
    for key in want["sections"]:
        assert got["sections"].get(key) == want["sections"][key], key
    assert got == want
    assert (tmp_path / "athena" / "breakdown.csv").read_text() == (tmp_path / "duckdb" / "breakdown.csv").read_text()
    # every query parses back as Trino SQL; all but the partition listing read named partitions only
    assert len(eng.sent) >= 15
    for sql in eng.sent:
        tree = sqlglot.parse_one(sql, read="trino")
        if "$partitions" in sql:
            continue
        preds = [n for n in tree.find_all(exp.In) if n.this.name.lower() == "billing_period"]
        assert preds, sql[:200]
        assert all(len(p.expressions) <= 14 for p in preds)  # never the whole table
    # 5 MB per query reported, each billed at the 10 MB minimum
    assert eng.scanned_bytes == 5_000_000 * eng.queries
    assert eng.cost == pytest.approx(eng.queries * 10 * 1024**2 * 5 / 1e12)


def test_max_scan_gb_stops_before_a_query_that_would_pass_it():
    eng, stub = _engine(max_scan_gb=1.5)
    for qid in ("q-1",):
        stub.add_response("start_query_execution", {"QueryExecutionId": qid},
                          {"QueryString": ANY, "QueryExecutionContext": ANY, "ResultConfiguration": ANY})
        stub.add_response(
            "get_query_execution",
            {"QueryExecution": {"Status": {"State": "SUCCEEDED"}, "Statistics": {"DataScannedInBytes": 10**9}}},
            {"QueryExecutionId": qid},
        )
        stub.add_response(
            "get_query_results",
            {"ResultSet": {"Rows": [_row("EffectiveCost", "Estimated", "rows", "currency_min", "currency_max"),
                                    _row("10.0", "false", "3", "USD", "USD")],
                           "ResultSetMetadata": {"ColumnInfo": [COLUMNS[2], COLUMNS[3], COLUMNS[4], COLUMNS[5],
                                                                COLUMNS[6]]}}},
            {"QueryExecutionId": qid, "MaxResults": 1000},
        )
    with stub:
        assert eng.spend([], month="2026-10")["EffectiveCost"].tolist() == [10.0]
        # 1 GB read for one month: the next (one month again) would make about 2 GB > 1.5 GB
        with pytest.raises(InputError, match="max-scan-gb"):
            eng.spend([], month="2026-09")
    stub.assert_no_pending_responses()
    assert eng.queries == 1


def test_engine_option_and_setting_are_checked(tmp_path, monkeypatch):
    from cli_runner import costplan

    res = costplan("actuals", "--engine", "bigquery")
    assert res.code == 2 and "unknown engine 'bigquery'" in res.err and "duckdb, athena or spark" in res.err
    monkeypatch.setenv("COSTPLAN_ENGINE", "athena")
    res = costplan("actuals", "--month", "2026-10", "--database", "cur")
    assert res.code == 2 and "--table" in res.err and "--output" in res.err and "Traceback" not in res.err
    monkeypatch.setenv("COSTPLAN_ENGINE", "spark")
    res = costplan("report", "--month", "2026-10", "--out", str(tmp_path / "r"))
    assert res.code == 2 and "--spark-path" in res.err and not (tmp_path / "r").exists()
    res = costplan("report", "--month", "2026-10", "--engine", "athena", "--database", "cur", "--table", "t",
                   "--output", "s3://b/", "--max-scan-gb", "-1", "--out", str(tmp_path / "r"))
    assert res.code == 2 and "--max-scan-gb" in res.err


def test_the_quarterly_review_reads_named_partitions_on_athena_and_equals_the_stores(tmp_path):
    """The review's own functions (default quarter, quarter against plan, executive summary),
    on Athena under Stubber over the SYNTHETIC sample's rows, give what they give on the store
    loaded from the same rows; every query names the billing periods it reads (the window
    itself: the next test)."""
    import sqlglot
    from sqlglot import exp

    from costplan import config
    from costplan.actuals.store import Store
    from costplan.estimator import estimate
    from costplan.pricing.lookup import get_catalog
    from costplan.reports import quarterly as q
    from costplan.stack import load_stack

    eng, stub = _sample_on_athena(tmp_path)
    plan = estimate(load_stack(config.load_settings().stack), get_catalog())
    local = Store(tmp_path / "imported.duckdb", read_only=True)
    with stub:
        q.read_window(eng, None)
        quarter, _ = q.default_quarter(eng)
        q.read_window(eng, quarter)
        got_summary = q.quarter_summary(eng, plan, quarter)
        got_exec = q.executive_summary(eng, plan, quarter, [])
    stub.assert_no_pending_responses()
    want_quarter, _ = q.default_quarter(local)
    assert quarter == want_quarter
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(got_summary.reset_index(drop=True),
                                  q.quarter_summary(local, plan, quarter).reset_index(drop=True), check_dtype=False)
    assert got_exec["markdown"] == q.executive_summary(local, plan, quarter, [])["markdown"]
    # every query names its billing periods (without the review's window Athena refuses it)
    for sql in eng.sent:
        if "$partitions" not in sql:
            assert [n for n in sqlglot.parse_one(sql, read="trino").find_all(exp.In)
                    if n.this.name.lower() == "billing_period"], sql[:200]


def test_the_review_window_is_the_quarter_the_24_months_before_and_the_months_after():
    from costplan.reports import quarterly as q

    class Held:
        window = None

        def months(self):  # 2023-01 .. 2026-11
            return [f"{y}-{m:02d}" for y in (2023, 2024, 2025, 2026) for m in range(1, 13)][:47]

        def set_window(self, months):
            self.window = months

    src = Held()
    q.read_window(src, "2026Q3")  # 2026-07 - 24 months = 2024-07, up to the newest held, 2026-11
    assert src.window[0] == "2024-07" and src.window[-1] == "2026-11" and len(src.window) == 29
    q.read_window(src, None)  # no quarter yet: the 24 newest held
    assert src.window == src.months()[-24:] and src.window[0] == "2024-12"
