"""Spend at organisation scale: the store's aggregation SQL run by Amazon Athena over FOCUS or
CUR 2.0 data in S3.

The SQL is the same text :meth:`Store.spend` runs on DuckDB (:func:`store.spend_sql`), over
either a FOCUS table (the AWS Data Exports FOCUS export, or any FOCUS 1.x table) or a CUR 2.0
table seen through :func:`cur_relation` (the same CUR -> FOCUS mapping as the file import,
in Athena's SQL). Queries are started, polled until they finish, and every result page is
read. Athena bills by data scanned (about $5 per TB [USD/TB]); :attr:`AthenaEngine.scanned_bytes`
says how much the queries read.

IAM actions needed: ``athena:StartQueryExecution``, ``athena:GetQueryExecution``,
``athena:GetQueryResults``, ``glue:GetTable`` on the table, ``s3:GetObject`` /
``s3:ListBucket`` on the data and ``s3:PutObject`` / ``s3:GetObject`` on the output location.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

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


def cur_relation(database: str, table: str, dialect: str = "athena") -> str:
    """A CUR 2.0 table as FOCUS columns, in Athena (Trino) SQL. Follows the mapping table in
    ``docs/actuals.md``: negation rows dropped, covered usage billed at 0 with its amortised cost."""
    t = f"{_ident(database, 'database')}.{_ident(table, 'table')}"
    typ = "line_item_line_item_type"
    name = "element_at(product, 'product_name')" if dialect == "athena" else "product['product_name']"
    return f"""(SELECT
        bill_billing_period_start_date AS BillingPeriodStart,
        line_item_usage_start_date AS ChargePeriodStart,
        coalesce({name}, line_item_product_code) AS ServiceName,
        product_region_code AS RegionId,
        line_item_usage_type AS x_UsageType,
        line_item_usage_type AS SkuId,
        line_item_line_item_description AS ChargeDescription,
        pricing_unit AS PricingUnit,
        CAST(NULL AS VARCHAR) AS ResourceType,
        line_item_usage_account_id AS SubAccountId,
        CASE WHEN {typ} = 'Tax' THEN 'Tax'
             WHEN {typ} IN ('Credit', 'Refund', 'EdpDiscount', 'BundledDiscount', 'PrivateRateDiscount') THEN 'Credit'
             WHEN {typ} IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee', 'Fee') THEN 'Purchase'
             ELSE 'Usage' END AS ChargeCategory,
        CASE WHEN pricing_term = 'Spot' OR line_item_usage_type LIKE '%SpotUsage%' THEN 'Dynamic'
             WHEN {typ} IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'Committed'
             WHEN {typ} = 'Usage' THEN 'Standard' END AS PricingCategory,
        CASE WHEN {typ} = 'SavingsPlanCoveredUsage' THEN 0.0 ELSE line_item_unblended_cost END AS BilledCost,
        CASE {typ}
             WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
             WHEN 'DiscountedUsage' THEN reservation_effective_cost
             WHEN 'SavingsPlanRecurringFee' THEN greatest(savings_plan_total_commitment_to_date - savings_plan_used_commitment, 0.0)
             WHEN 'SavingsPlanUpfrontFee' THEN 0.0
             WHEN 'RIFee' THEN reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee
             ELSE line_item_unblended_cost END AS EffectiveCost,
        pricing_public_on_demand_cost AS ListCost,
        line_item_usage_amount AS PricingQuantity,
        line_item_usage_amount AS ConsumedQuantity,
        resource_tags AS tags,
        CASE WHEN bill_invoice_id IS NULL OR bill_invoice_id = '' THEN 'Estimated' ELSE 'Final' END AS x_ChargeStatus
      FROM {t} WHERE {typ} <> 'SavingsPlanNegation')"""


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


class AthenaEngine:
    """Runs spend queries on Athena. ``session`` is a boto3 session (or pass ``client``).

    ``table_format`` is ``focus`` (columns as in FOCUS, ``tags`` a map) or ``cur`` (CUR 2.0).
    """

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
    ):
        if not output.startswith("s3://"):
            raise InputError(
                Problem(f"bad output location {output!r}", location="--output", hint="an s3:// URI")
            )
        if table_format not in ("focus", "cur"):
            raise InputError(
                Problem(f"bad table format {table_format!r}", location="--table-format", hint="focus or cur")
            )
        self.database = _ident(database, "database")
        self.table = _ident(table, "table")
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
        self.scanned_bytes = 0
        self.queries = 0

    @property
    def relation(self) -> str:
        if self.table_format == "cur":
            return cur_relation(self.database, self.table)
        return f"{self.database}.{self.table}"

    def spend(
        self, by: Sequence[str] = ("month",), start=None, end=None, month=None, metric: str = "EffectiveCost"
    ) -> pd.DataFrame:
        """As :meth:`Store.spend`, computed by Athena. ``Estimated`` is from the invoice id for
        CUR tables and false for FOCUS tables (FOCUS exports do not say)."""
        from costplan.actuals.store import spend_sql

        estimated = "x_ChargeStatus = 'Estimated'" if self.table_format == "cur" else "false"
        sql = spend_sql(
            self.relation,
            by,
            start=start,
            end=end,
            month=month,
            metric=metric,
            dialect="athena",
            estimated_sql=estimated,
        )
        df = self.query(sql)
        df = df.rename(columns={c.lower(): c for c in [*by, metric, "Estimated", "rows"]})
        if "Estimated" in df:
            df["Estimated"] = df["Estimated"].fillna(False).astype(bool)
        return df

    # -- the API -----------------------------------------------------------------------------
    def query(self, sql: str) -> pd.DataFrame:
        """Run ``sql``, wait for it, and return every row of every result page."""
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
