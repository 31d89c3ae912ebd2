"""Spend at organisation scale: the store's queries run by Amazon Athena over the FOCUS or
CUR 2.0 tables of AWS Data Exports in S3.

The queries are those the local store runs (:mod:`costplan.actuals.queries`), rendered in
Trino SQL by SQLGlot, over the table seen through the file import's FOCUS / CUR 2.0 mapping
(:func:`costplan.actuals.queries.export_relation`). Every query names the billing-period
partitions it reads (``billing_period IN ('2026-10')``), so only those months are scanned.
Queries are started, polled until they finish, and every result page is read. Athena bills by
data scanned ($5 per TB, at least 10 MB per query, :func:`query_cost`);
:attr:`AthenaEngine.scanned_bytes` and :attr:`AthenaEngine.cost` say what a run read and cost.

IAM actions needed: ``athena:StartQueryExecution``, ``athena:GetQueryExecution``,
``athena:GetQueryResults``, ``glue:GetTable`` on the table, ``s3:GetObject`` /
``s3:ListBucket`` on the data and ``s3:PutObject`` / ``s3:GetObject`` on the output location.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from costplan.actuals import schema
from costplan.actuals.engines import RemoteEngine
from costplan.errors import AwsError, InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_NUMERIC = {
    "double": "float64",
    "float": "float64",
    "real": "float64",
    "decimal": "float64",
    "bigint": "Int64",
    "integer": "Int64",
    "int": "Int64",
    "smallint": "Int64",
    "tinyint": "Int64",
}
_IDENT_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _ident(name: str, what: str) -> str:
    if not name or not set(name) <= _IDENT_OK:
        raise InputError(
            Problem(f"bad {what} name {name!r}", location=f"--{what}", hint="letters, digits and _ only")
        )
    return name


def _failure(qid: str, state: str, status: dict) -> str:
    """Why a query failed, without AWS's own text (it can hold account ids, role ARNs and
    bucket names): the error code Athena puts first (``TABLE_NOT_FOUND: ...``), the error
    category and type, and for a permission failure the IAM actions to check."""
    import re

    reason = str(status.get("StateChangeReason") or "")
    err = status.get("AthenaError") or {}
    m = re.match(r"^([A-Z][A-Z0-9_]{2,})(?::|\s)", reason)
    parts = [m[1]] if m else []
    categories = {1: "system", 2: "user", 3: "other"}
    if err.get("ErrorCategory") in categories:
        parts.append(f"{categories[err['ErrorCategory']]} error")
    if err.get("ErrorType") is not None:
        parts.append(f"type {err['ErrorType']}")
    text = f"Athena query {qid} {state.lower()}" + (f" ({', '.join(parts)})" if parts else "")
    if re.search(r"access denied|accessdenied|not authorized|permission", reason, re.IGNORECASE):
        text += (
            ": access denied; the credentials need glue:GetTable on the table, s3:GetObject and s3:ListBucket on "
            "its data, s3:PutObject and s3:GetObject on the --output location"
        )
    return text + f" (AWS's own message is in the Athena console, query {qid})"


#: Athena's price for data scanned [USD/TB] and its minimum per query [bytes] (10 MB).
PRICE_PER_TB = 5.0
MIN_BYTES_PER_QUERY = 10 * 1024**2

#: The columns costplan reads from an AWS Data Exports FOCUS 1.0 table in Glue, as DuckDB type
#: names (Athena sees them in lower case; the table may hold more).
FOCUS_TABLE_TYPES = {
    **{c: t for c, t in schema.COLUMNS if not c.startswith("x_")},
    "Tags": "MAP(VARCHAR, VARCHAR)",
    "x_UsageType": "VARCHAR",
}
#: The CUR 2.0 columns costplan reads (AWS Data Exports "Standard data export", CUR 2.0 table).
CUR_TABLE_TYPES = {
    **{c: "VARCHAR" for c in (
        "bill_payer_account_id", "bill_invoice_id", "line_item_usage_account_id", "line_item_line_item_type",
        "line_item_line_item_description", "line_item_product_code", "line_item_usage_type",
        "line_item_resource_id", "line_item_currency_code", "pricing_term", "pricing_unit", "product_region_code",
        "product_sku", "product_product_family", "savings_plan_savings_plan_a_r_n", "reservation_reservation_a_r_n",
    )},
    **{c: "TIMESTAMP" for c in (
        "bill_billing_period_start_date", "bill_billing_period_end_date", "line_item_usage_start_date",
        "line_item_usage_end_date",
    )},
    **{c: "DOUBLE" for c in (
        "line_item_usage_amount", "line_item_unblended_cost", "pricing_public_on_demand_cost",
        "savings_plan_savings_plan_effective_cost", "savings_plan_total_commitment_to_date",
        "savings_plan_used_commitment", "reservation_effective_cost",
        "reservation_unused_amortized_upfront_fee_for_billing_period", "reservation_unused_recurring_fee",
    )},
    "product": "MAP(VARCHAR, VARCHAR)",
    "resource_tags": "MAP(VARCHAR, VARCHAR)",
}


def query_cost(scanned_bytes: int) -> float:
    """What Athena charges for one query that scanned ``scanned_bytes`` [USD]: $5 per TB
    (10^12 bytes), at least 10 MB per query."""
    return max(int(scanned_bytes), MIN_BYTES_PER_QUERY) * PRICE_PER_TB / 1e12


class AthenaEngine(RemoteEngine):
    """Runs the spend queries on Athena. ``session`` is a boto3 session (or pass ``client``).

    ``table_format`` is ``focus`` (an AWS Data Exports FOCUS 1.0 table, :data:`FOCUS_TABLE_TYPES`)
    or ``cur`` (CUR 2.0, :data:`CUR_TABLE_TYPES`); ``types`` replaces that layout. Every query
    carries the partition predicate ``partition_column IN ('YYYY-MM', ...)`` of the months it
    reads. ``max_scan_gb`` stops the run before a query that would take the bytes scanned past
    it (see :meth:`_estimate`).
    """

    engine = "athena"

    def __init__(
        self,
        session=None,
        *,
        database: str,
        table: str,
        output: str,
        workgroup: str | None = None,
        table_format: str = "focus",
        client=None,
        region: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 1.0,
        timeout: float = 900.0,
        partition_column: str = "billing_period",
        types: dict[str, str] | None = None,
        max_scan_gb: float | None = None,
        months: Sequence[str] | None = None,
    ):
        if not output.startswith("s3://"):
            raise InputError(
                Problem(f"bad output location {output!r}", location="--output", hint="an s3:// URI")
            )
        if table_format not in ("focus", "cur"):
            raise InputError(
                Problem(f"bad table format {table_format!r}", location="--table-format", hint="focus or cur")
            )
        if max_scan_gb is not None and not (max_scan_gb > 0 and max_scan_gb < float("inf")):
            raise InputError(Problem(f"bad --max-scan-gb {max_scan_gb!r}", location="--max-scan-gb",
                                     hint="a positive number of GB (10^9 bytes)"))
        self.database = _ident(database, "database")
        self.table_name = _ident(table, "table")
        self.table = f"{self.database}.{self.table_name}"
        self.partition_column = _ident(partition_column, "partition-column")
        self.types = dict(types or (FOCUS_TABLE_TYPES if table_format == "focus" else CUR_TABLE_TYPES))
        self.output = output
        self.workgroup = workgroup
        self.table_format = table_format
        if client is None:
            import boto3

            client = (session or boto3.Session()).client("athena", region_name=region)
        self.client = client
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_scan_gb = max_scan_gb
        self.scanned_bytes = 0
        self.queries = 0
        self.cost = 0.0
        self.runs: list[dict] = []
        """Per query run: ``id``, ``months`` read, ``scanned_bytes``, ``cost`` [USD]."""
        self._months_read: int | None = None
        self.set_window(months)

    @classmethod
    def from_options(cls, *, athena_database=None, athena_table=None, athena_output=None, athena_workgroup=None,
                     athena_table_format="focus", athena_region=None, profile=None, max_scan_gb=None,
                     athena_partition_column="billing_period", **_):
        missing = [n for n, v in (("--database", athena_database), ("--table", athena_table),
                                  ("--output", athena_output)) if not v]
        if missing:
            raise InputError([Problem("required with --engine athena", location=m) for m in missing])
        import boto3

        return cls(boto3.Session(profile_name=profile), database=athena_database, table=athena_table,
                   output=athena_output, workgroup=athena_workgroup, table_format=athena_table_format,
                   region=athena_region, max_scan_gb=max_scan_gb, partition_column=athena_partition_column)

    @property
    def path(self) -> str:
        return f"athena:{self.table}"

    @property
    def relation(self) -> str:
        """The table as a FOCUS relation over the months of :attr:`window`."""
        return self.rows_for()

    def _require_window(self) -> bool:
        return True

    def rows_for(self, *, month=None, start=None, end=None) -> str:
        months = self.partition_months(month=month, start=start, end=end)
        self._months_read = len(months) if months else None
        return super().rows_for(month=month, start=start, end=end)

    def _partitions(self) -> list[str]:
        """The table's billing-period partitions from Athena's partition metadata (the hidden
        ``"table$partitions"`` table of a Glue table): nothing is scanned."""
        self._months_read = None
        df = self._run(f'SELECT "{self.partition_column}" AS month FROM "{self.database}"."{self.table_name}'
                       f'$partitions" ORDER BY 1')
        return [str(m) for m in df[df.columns[0]]]

    def scan_summary(self) -> str:
        """One line: queries run, bytes scanned and what Athena charges for them."""
        return (f"Athena: {self.queries} queries scanned {self.scanned_bytes / 1e9:,.3f} GB, about "
                f"${self.cost:,.4f} at ${PRICE_PER_TB:g}/TB with the 10 MB minimum per query")

    def _estimate(self) -> float | None:
        """Bytes the next query may scan: the most bytes per billing period any query of this
        run scanned, times the periods it reads (Athena cannot say before it runs: EXPLAIN gives
        no byte count, and the partitions' sizes are S3 listings). None before the first query,
        which always runs."""
        per_month = [r["scanned_bytes"] / r["months"] for r in self.runs if r["months"]]
        if not per_month or not self._months_read:
            return None
        return max(per_month) * self._months_read

    def _check_budget(self) -> None:
        if self.max_scan_gb is None:
            return
        limit = self.max_scan_gb * 1e9
        estimate = self._estimate() or 0.0
        if self.scanned_bytes + estimate > limit:
            raise InputError(
                Problem(
                    f"stopped before Athena query {self.queries + 1}: {self.queries} queries scanned "
                    f"{self.scanned_bytes / 1e9:,.3f} GB and the next would read about {estimate / 1e9:,.3f} GB "
                    f"more, past --max-scan-gb {self.max_scan_gb:g}",
                    location="--max-scan-gb",
                    hint="raise --max-scan-gb, or read fewer months (--month)",
                )
            )

    def _run(self, sql: str) -> pd.DataFrame:
        self._check_budget()
        before = self.scanned_bytes
        df = self.execute(sql)
        scanned = self.scanned_bytes - before
        self.runs.append({"months": self._months_read, "scanned_bytes": scanned, "cost": query_cost(scanned)})
        self.cost += query_cost(scanned)
        return df

    # -- the API -----------------------------------------------------------------------------
    def execute(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` (Athena SQL), wait for it, and return every row of every result page."""
        qid = self._start(sql)
        self._wait(qid)
        return self._results(qid)

    def _start(self, sql: str) -> str:
        params = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.database},
            "ResultConfiguration": {"OutputLocation": self.output},
        }
        if self.workgroup:
            params["WorkGroup"] = self.workgroup
        resp = self._call("start_query_execution", "athena:StartQueryExecution", **params)
        self.queries += 1
        return resp["QueryExecutionId"]

    def _wait(self, qid: str) -> None:
        waited = 0.0
        while True:
            resp = self._call("get_query_execution", "athena:GetQueryExecution", QueryExecutionId=qid)
            execution = resp["QueryExecution"]
            state = execution["Status"]["State"]
            if state == "SUCCEEDED":
                self.scanned_bytes += int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
                return
            if state in ("FAILED", "CANCELLED"):
                raise AwsError(_failure(qid, state, execution["Status"]))
            if waited >= self.timeout:
                raise AwsError(f"Athena query {qid} still {state.lower()} after {self.timeout:.0f} s")
            self.sleep(self.poll_interval)
            waited += self.poll_interval

    def _results(self, qid: str) -> pd.DataFrame:
        import pandas as pd

        columns: list[dict] | None = None
        data: list[list] = []
        token = None
        first = True
        while True:
            kwargs = {"QueryExecutionId": qid, "MaxResults": 1000}
            if token:
                kwargs["NextToken"] = token
            resp = self._call("get_query_results", "athena:GetQueryResults", **kwargs)
            result = resp["ResultSet"]
            if columns is None:
                columns = result["ResultSetMetadata"]["ColumnInfo"]
            rows = result.get("Rows", [])
            if first and rows:
                rows = rows[1:]  # the header row
            first = False
            data += [[cell.get("VarCharValue") for cell in row["Data"]] for row in rows]
            token = resp.get("NextToken")
            if not token:
                break
        names = [c["Name"] for c in columns or []]
        df = pd.DataFrame(data, columns=names)
        for c in columns or []:
            kind = c["Type"].split("(")[0].lower()
            if kind in _NUMERIC:
                df[c["Name"]] = pd.to_numeric(df[c["Name"]]).astype(_NUMERIC[kind])
            elif kind == "boolean":
                df[c["Name"]] = df[c["Name"]].map({"true": True, "false": False})
        return df

    def _call(self, method: str, action: str, **kwargs):
        from botocore.exceptions import ClientError, NoCredentialsError

        try:
            return getattr(self.client, method)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
                raise AwsError(
                    f"access denied by Athena: the credentials in use lack the IAM action {action} "
                    "(or Glue / S3 access to the table and output location)"
                ) from None
            if code == "InvalidRequestException":
                raise InputError(
                    f"Athena rejected the query ({code}); check --database, --table and --output"
                ) from None
            raise AwsError(f"Athena call {method} failed ({code or 'unknown error'})") from None
        except NoCredentialsError:
            raise AwsError("no AWS credentials found for Athena (standard chain or --profile)") from None
