"""The Athena engine with botocore Stubber: start, poll, several result pages, a failed query;
and the same SQL text run on DuckDB."""

from __future__ import annotations

import boto3
import duckdb
import pytest
from botocore.stub import ANY, Stubber

from costplan.actuals.athena import AthenaEngine
from costplan.actuals.store import spend_sql
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
]


def test_start_poll_and_read_every_page():
    eng, stub = _engine(workgroup="finops")
    sql = spend_sql(
        "cur_db.focus_export",
        ["month", "ServiceName"],
        month="2026-10",
        dialect="athena",
        estimated_sql="false",
    )
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
                    _row("month", "ServiceName", "EffectiveCost", "Estimated", "rows"),
                    _row("2026-10", "Amazon Relational Database Service", "2423.61", "false", "186"),
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
                "Rows": [_row("2026-10", "Amazon Elastic Compute Cloud", "2316.74", "false", "434")],
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
                "Rows": [_row("2026-10", "AWS WAF", "42.82", None, "124")],
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
        eng.spend(["month"])
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
        eng.spend(["month"])
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
        eng.spend(["month"])
    assert "athena:StartQueryExecution" in str(exc.value) and "123456789012" not in str(exc.value)


def test_bad_names_are_refused_before_any_call():
    with pytest.raises(InputError, match="--table"):
        AthenaEngine(client=object(), database="db", table="x; DROP TABLE y", output="s3://b/")
    with pytest.raises(InputError, match="--output"):
        AthenaEngine(client=object(), database="db", table="t", output="/tmp/out")


def test_the_athena_sql_text_runs_on_duckdb_too():
    """The aggregation is one SQL text: the query Athena is sent gives, on DuckDB over the same
    rows, the totals computed by hand."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur_db")
    con.execute(
        """CREATE TABLE cur_db.focus_export AS SELECT * FROM (VALUES
           (TIMESTAMP '2026-10-01', TIMESTAMP '2026-10-03', 'AWS WAF', 1.25),
           (TIMESTAMP '2026-10-01', TIMESTAMP '2026-10-04', 'AWS WAF', 2.50),
           (TIMESTAMP '2026-10-01', TIMESTAMP '2026-10-04', 'Amazon Route 53', 0.50),
           (TIMESTAMP '2026-09-01', TIMESTAMP '2026-09-30', 'AWS WAF', 9.00))
           t(BillingPeriodStart, ChargePeriodStart, ServiceName, EffectiveCost)"""
    )
    sql = spend_sql(
        "cur_db.focus_export",
        ["month", "ServiceName"],
        month="2026-10",
        dialect="athena",
        estimated_sql="false",
    )
    rows = con.execute(sql).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("2026-10", "AWS WAF", 3.75),
        ("2026-10", "Amazon Route 53", 0.50),
    ]
