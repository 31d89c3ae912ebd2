"""The spend queries, written once and rendered for every engine.

Each query here is built as DuckDB SQL over a *FOCUS relation* (any relation with the store's
columns, :mod:`costplan.actuals.schema`) and rendered for the engine that runs it by SQLGlot's
transpiler (:func:`render`): unchanged for DuckDB (the local store), Trino for Amazon Athena,
Spark SQL for Spark. No query is written twice and no dialect is handled by string edits.

The queries: spend by any keys (month, day, service, region, component, tag, usage type, any
column: :func:`spend_sql`, which the top movers use with the usage type and quantity), the
billing months held (:func:`months_sql`), coverage (:func:`coverage_spans_sql` and
:func:`coverage_from_spans`), freshness (:func:`freshness_sql`), commitment and spot summaries
(:func:`commitment_sql`, :func:`on_demand_sql`, :func:`spot_sql`) and the plan comparison's
actual spend by component (:func:`component_spend_sql`).

An export table (AWS Data Exports FOCUS 1.0 or CUR 2.0, in Glue or a Parquet folder) becomes a
FOCUS relation with :func:`export_relation`, which uses the same column mapping as the file
import (:func:`costplan.actuals.files._focus_exprs`, :func:`costplan.actuals.files._cur_exprs`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from costplan.actuals import schema
from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Engine name -> SQLGlot dialect.
DIALECTS = {"duckdb": "duckdb", "athena": "trino", "trino": "trino", "spark": "spark"}
#: ``by`` keys that are not plain columns.
DERIVED_KEYS = ("month", "day", "component")
_TAG = re.compile(r"^tag:(?P<key>[A-Za-z0-9 _.:/=+@\-]{1,128})$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- rendering ---------------------------------------------------------------------------------
def _trino(node):
    """What Trino spells differently and SQLGlot leaves as written: ``to_json(map)`` is
    ``json_format(CAST(map AS JSON))``; ``map['key']`` fails on a missing key in Trino, where
    ``element_at`` gives NULL as DuckDB's subscript does."""
    from sqlglot import exp

    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "to_json":
        return exp.func("json_format", exp.cast(node.expressions[0], "json"))
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and node.expressions[0].is_string:
        return exp.func("element_at", node.this, node.expressions[0])
    return node


@lru_cache(maxsize=1024)
def render(sql: str, engine: str = "duckdb") -> str:
    """``sql`` (DuckDB) in the SQL of ``engine`` (``duckdb``, ``athena``/``trino``, ``spark``)."""
    import sqlglot

    dialect = DIALECTS.get(engine)
    if dialect is None:
        raise InputError(Problem(f"unknown engine {engine!r}", location="--engine", hint="duckdb, athena or spark"))
    if dialect == "duckdb":
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")
    if dialect == "trino":
        tree = tree.transform(_trino)
    return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)


def _q(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# -- periods -----------------------------------------------------------------------------------
def _parse_bound(value: str | dt.date, *, end: bool) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1) if end else value
    s = str(value).strip()
    try:
        if _MONTH.match(s):
            d = dt.date(int(s[:4]), int(s[5:7]), 1)
            return add_month(d) if end else d
        if _DAY.match(s):
            d = dt.date.fromisoformat(s)
            return d + dt.timedelta(days=1) if end else d
    except ValueError:
        pass
    raise InputError(
        Problem(f"bad date {s!r}", location="--to" if end else "--from", hint="use YYYY-MM or YYYY-MM-DD")
    )


def add_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def parse_month(month: str) -> dt.date:
    if not _MONTH.match(str(month)) or not 1 <= int(str(month)[5:7]) <= 12:
        raise InputError(
            Problem(f"bad month {month!r}", location="--month", hint="use YYYY-MM, e.g. 2026-10")
        )
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def period_filter(*, start=None, end=None, month=None) -> tuple[list[str], list]:
    """SQL conditions selecting a billing month or a charge-day range (validated dates as
    literals), and an empty parameter list."""
    conds: list[str] = []
    if start is not None and end is not None and _parse_bound(start, end=False) >= _parse_bound(end, end=True):
        raise InputError(Problem(f"{start} is after --to {end}: the period is empty", location="--from",
                                 hint="give the earlier date with --from"))
    if month is not None:
        conds.append(f"BillingPeriodStart = TIMESTAMP '{parse_month(month).isoformat()} 00:00:00'")
    if start is not None:
        conds.append(
            f"ChargePeriodStart >= TIMESTAMP '{_parse_bound(start, end=False).isoformat()} 00:00:00'"
        )
    if end is not None:
        conds.append(f"ChargePeriodStart < TIMESTAMP '{_parse_bound(end, end=True).isoformat()} 00:00:00'")
    return conds, []


def billing_months(*, start=None, end=None, month=None) -> list[str] | None:
    """The billing periods (``YYYY-MM``) a query of ``month`` or ``start``..``end`` can touch,
    or None for no bound. A charge day belongs to its own month's billing period or, for a
    late charge, to the next one: the range ends a month after ``end``."""
    if month is not None:
        return [parse_month(month).strftime("%Y-%m")]
    if start is None or end is None:
        return None
    first = _parse_bound(start, end=False).replace(day=1)
    last = add_month((_parse_bound(end, end=True) - dt.timedelta(days=1)).replace(day=1))
    out, d = [], first
    while d <= last:
        out.append(d.strftime("%Y-%m"))
        d = add_month(d)
    return out


# -- spend by keys -----------------------------------------------------------------------------
def key_sql(key: str) -> str:
    """The SQL expression for one ``by`` key (see :meth:`costplan.actuals.store.Store.spend`)."""
    from costplan.actuals.mapping import component_case_sql

    if key == "month":
        return "substr(CAST(BillingPeriodStart AS VARCHAR), 1, 7)"
    if key == "day":
        return "CAST(CAST(ChargePeriodStart AS DATE) AS VARCHAR)"
    if key == "component":
        return component_case_sql()
    m = _TAG.match(key)
    if m:
        tag = m["key"]
        return f"coalesce(json_extract_string(Tags, '$.\"{tag}\"'), '(untagged)')"
    if key.startswith("tag:"):
        raise InputError(f"bad tag key in {key!r}: use tag:<key> with letters, digits, spaces and _.:/=+@-")
    if schema.COLUMN_TYPES.get(key) == "VARCHAR":
        return f"coalesce(\"{key}\", '(none)')"
    from costplan.errors import closest

    valid = list(DERIVED_KEYS) + ["tag:<key>"] + [c for c, t in schema.COLUMNS if t == "VARCHAR"]
    near = closest(key, valid)
    hint = (
        ("did you mean " + " or ".join(repr(c) for c in near) + "? " if near else "")
        + "valid: "
        + ", ".join(valid)
    )
    raise InputError(Problem(f"cannot group by {key!r}", location="--by", hint=hint))


def _raw_columns(key: str) -> list[str]:
    """Columns (or column expressions keeping the column's name) a ``by`` key is derived from."""
    if key == "month":
        return ["BillingPeriodStart"]
    if key == "day":
        return ["CAST(ChargePeriodStart AS DATE) AS ChargePeriodStart"]
    if key == "component":
        from costplan.actuals.mapping import PATTERN_COLUMNS

        return ["x_UsageType", *PATTERN_COLUMNS.values()]
    key_sql(key)  # validates the key
    if key.startswith("tag:"):
        return ["Tags"]
    return [f'"{key}"']


def spend_sql(
    relation: str,
    by: Sequence[str],
    *,
    start=None,
    end=None,
    month=None,
    metric: str = "EffectiveCost",
    where: dict[str, str] | None = None,
    estimated_sql: str = "x_ChargeStatus = 'Estimated'",
    currencies: bool = False,
    rows_sql: str = "count(*)",
) -> str:
    """Spend summed over ``by`` keys: columns the keys, ``metric``, ``Estimated``, ``rows``
    (and, with ``currencies``, ``currency_min`` / ``currency_max``: the billing currencies summed,
    so an engine can refuse a sum over two currencies without a second query). ``rows_sql``
    counts the raw rows of a group (over a rollup: the sum of its row counts)."""
    if metric not in schema.METRICS:
        raise InputError(
            Problem(
                f"unknown metric {metric!r}", location="--metric", hint="valid: " + ", ".join(schema.METRICS)
            )
        )
    exprs = [key_sql(k) for k in by]
    conds, _ = period_filter(start=start, end=end, month=month)
    for col, value in (where or {}).items():
        conds.append(f"{key_sql(col)} = {_q(value)}")
    # Two levels: the inner query groups by the raw columns the keys need (cheap, few
    # groups), the outer one derives the keys (month text, component rules, tag values) from
    # those groups only, not from every row.
    inner: list[str] = []
    for k in by:
        for c in _raw_columns(k):
            if c not in inner:
                inner.append(c)
    inner_group = ", ".join(str(i + 1) for i in range(len(inner)))
    cur_in = ", min(BillingCurrency) AS c0, max(BillingCurrency) AS c1" if currencies else ""
    cur_out = ', min(c0) AS "currency_min", max(c1) AS "currency_max"' if currencies else ""
    inner_sql = (
        f'SELECT {"".join(c + ", " for c in inner)}sum("{metric}") AS m, bool_or({estimated_sql}) AS e, '
        f"{rows_sql} AS n{cur_in} FROM {relation} WHERE {' AND '.join(conds) or 'TRUE'}"
        + (f" GROUP BY {inner_group}" if inner else "")
    )
    select = ", ".join(f'{e} AS "{k}"' for k, e in zip(by, exprs, strict=True))
    group = ", ".join(str(i + 1) for i in range(len(by)))
    return (
        f'SELECT {select + ", " if select else ""}sum(m) AS "{metric}", '
        f'coalesce(bool_or(e), false) AS "Estimated", CAST(coalesce(sum(n), 0) AS BIGINT) AS "rows"{cur_out} '
        f"FROM ({inner_sql}) g "
        + (f"GROUP BY {group} " if by else "")
        + (f'ORDER BY {"1, " if "month" in by else ""}"{metric}" DESC NULLS LAST' if by else "")
    )


def months_sql(relation: str) -> str:
    """The billing periods held (``month``, ``YYYY-MM``), oldest first."""
    return f"SELECT DISTINCT strftime(BillingPeriodStart, '%Y-%m') AS month FROM {relation} ORDER BY 1"


# -- coverage and freshness ----------------------------------------------------------------------
def coverage_spans_sql(relation: str) -> str:
    """The distinct day spans the rows cover, per billing period: ``bps`` (period start),
    ``s`` (first day), ``e`` (the day the charge period ends in), ``e_midnight`` (it ends at
    midnight, so that day is not covered), ``pe`` (the period's end day), ``est`` (Estimated).
    One row per distinct span: a few per day held, never the rows themselves."""
    return f"""SELECT DISTINCT BillingPeriodStart AS bps,
                   CAST(greatest(CAST(ChargePeriodStart AS DATE), CAST(BillingPeriodStart AS DATE)) AS DATE) AS s,
                   CAST(ChargePeriodEnd AS DATE) AS e,
                   ChargePeriodEnd = CAST(CAST(ChargePeriodEnd AS DATE) AS TIMESTAMP) AS e_midnight,
                   CAST(coalesce(BillingPeriodEnd, BillingPeriodStart + INTERVAL 1 MONTH) AS DATE) AS pe,
                   coalesce(x_ChargeStatus = 'Estimated', false) AS est
            FROM {relation}"""


def coverage_rows(spans) -> list[dict]:
    """Per billing period, oldest first: ``month``, ``days`` covered (a span covers its days up
    to its end, clipped to the period), ``days_in_month``, ``complete``, ``Estimated``.
    ``spans``: tuples ``(bps, s, e, e_midnight, pe, est)`` of :func:`coverage_spans_sql`
    (dates or datetimes). Pure Python: a command printing a table needs no pandas for it."""

    def day(v) -> dt.date:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if hasattr(v, "date"):  # a pandas Timestamp
            return v.date()
        return dt.date.fromisoformat(str(v)[:10])

    by_period: dict[dt.date, list] = {}
    for bps, s, e, mid, pe, est in spans:
        by_period.setdefault(day(bps), []).append((day(s), day(e), bool(mid), day(pe), bool(est)))
    out = []
    for bps in sorted(by_period):
        days: set[dt.date] = set()
        for s, e, mid, pe, _est in by_period[bps]:
            stop = min(e if mid else e + dt.timedelta(days=1), pe)
            d = s
            while d < stop:
                days.add(d)
                d += dt.timedelta(days=1)
        first = bps.replace(day=1)
        nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        in_month = (nxt - bps).days
        out.append({"month": bps.strftime("%Y-%m"), "days": len(days), "days_in_month": in_month,
                    "complete": len(days) == in_month, "Estimated": any(x[4] for x in by_period[bps])})
    return out


def coverage_from_spans(spans: pd.DataFrame) -> pd.DataFrame:
    """:func:`coverage_rows` of a frame of spans, as a frame (the same columns)."""
    import pandas as pd

    cols = ["bps", "s", "e", "e_midnight", "pe", "est"]
    rows = coverage_rows(zip(*(spans[c] for c in cols), strict=True)) if len(spans) else []
    df = pd.DataFrame(rows, columns=["month", "days", "days_in_month", "complete", "Estimated"])
    df["days"] = df["days"].astype("int64")
    df["days_in_month"] = df["days_in_month"].astype("int64")
    df["complete"] = df["complete"].astype(bool)
    df["Estimated"] = df["Estimated"].astype(bool)
    return df


def freshness_sql(relation: str, loads: str | None = None) -> str:
    """One row per charge day and source: ``day``, ``month``, ``x_Source``, ``Estimated``,
    ``EffectiveCost``, ``loaded_at`` (from the store's ``loads`` table; NULL elsewhere)."""
    loaded = "max(l.started_at)" if loads else "CAST(NULL AS TIMESTAMP)"
    join = f" LEFT JOIN {loads} l ON l.load_id = r.x_LoadId" if loads else ""
    return f"""SELECT CAST(r.ChargePeriodStart AS DATE) AS day,
                   strftime(r.BillingPeriodStart, '%Y-%m') AS month, r.x_Source,
                   bool_or(r.x_ChargeStatus = 'Estimated') AS Estimated,
                   sum(r.EffectiveCost) AS EffectiveCost, {loaded} AS loaded_at
            FROM {relation} r{join}
            GROUP BY 1, 2, 3 ORDER BY 1, 3"""


# -- commitments, spot and components ------------------------------------------------------------
IS_SPOT = "(PricingCategory = 'Dynamic' OR coalesce(x_UsageType, SkuId, '') LIKE '%SpotUsage%')"


def _month_where(month: str) -> str:
    return " AND ".join(period_filter(month=month)[0])


def commitment_sql(relation: str, month: str) -> str:
    """Per commitment active in ``month`` (see :func:`costplan.actuals.commitments.commitment_summary`)."""
    return f"""SELECT CommitmentDiscountId, max(CommitmentDiscountType) AS CommitmentDiscountType,
               coalesce(sum(BilledCost), 0) AS billed,
               coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS used_commitment,
               coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Unused'), 0) AS unused_commitment,
               coalesce(sum(ListCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS covered_list_cost
        FROM {relation} WHERE {_month_where(month)} AND CommitmentDiscountId IS NOT NULL
        GROUP BY 1 ORDER BY 1"""


def on_demand_sql(relation: str, month: str) -> str:
    """The month's commitment-eligible on-demand node-pool compute [USD] (column ``on_demand``)."""
    from costplan.actuals.mapping import component_case_sql

    return f"""SELECT coalesce(sum(ListCost), sum(EffectiveCost), 0) AS on_demand FROM {relation}
        WHERE {_month_where(month)} AND {component_case_sql()} = 'node_pool'
          AND coalesce(PricingCategory, 'Standard') = 'Standard' AND ChargeCategory = 'Usage'"""


def spot_sql(relation: str, month: str) -> str:
    """Node-pool spot figures of ``month`` per region (see :func:`costplan.actuals.commitments.spot_summary`)."""
    from costplan.actuals.mapping import component_case_sql

    return f"""SELECT coalesce(RegionId, '(none)') AS RegionId,
               sum(EffectiveCost) AS node_pool_cost,
               coalesce(sum(EffectiveCost) FILTER (WHERE {IS_SPOT}), 0) AS spot_cost,
               sum(ListCost) FILTER (WHERE {IS_SPOT}) AS spot_list_cost,
               sum(PricingQuantity) FILTER (WHERE PricingUnit IN ('Hrs', 'Hours')) AS node_pool_hours,
               coalesce(sum(PricingQuantity) FILTER (WHERE {IS_SPOT} AND PricingUnit IN ('Hrs', 'Hours')), 0)
                   AS spot_hours
        FROM {relation}
        WHERE {_month_where(month)} AND {component_case_sql()} = 'node_pool' AND ChargeCategory = 'Usage'
        GROUP BY 1 ORDER BY 1"""


def component_spend_sql(relation: str, month: str, commitment_line: bool) -> str:
    """The month's EffectiveCost by component kind and ServiceName, for the plan comparison;
    with ``commitment_line`` covered usage at its list cost and the discount apart."""
    from costplan.actuals.mapping import component_case_sql

    covered = "CommitmentDiscountStatus = 'Used' AND ListCost IS NOT NULL" if commitment_line else "false"
    return f"""SELECT {component_case_sql()} AS component, coalesce(ServiceName, '(none)') AS ServiceName,
               sum(CASE WHEN {covered} THEN ListCost ELSE EffectiveCost END) AS EffectiveCost,
               sum(CASE WHEN {covered} THEN EffectiveCost - ListCost ELSE 0 END) AS discount
        FROM {relation} WHERE {_month_where(month)} GROUP BY 1, 2"""


def currencies_sql(relation: str, conds: Sequence[str] = ()) -> str:
    """The billing currencies of the rows selected by ``conds`` (up to 10), sorted."""
    return (f"SELECT DISTINCT BillingCurrency FROM {relation} WHERE {' AND '.join(conds) or 'TRUE'} "
            "ORDER BY 1 LIMIT 10")


# -- export tables as FOCUS relations ------------------------------------------------------------
#: Export formats a remote engine reads.
TABLE_FORMATS = ("focus", "cur")


def export_relation(table: str, table_format: str, types: dict[str, str], where: Sequence[str] = ()) -> str:
    """A FOCUS relation (every store column) over an export table, as DuckDB SQL.

    ``types`` are the table's columns and their DuckDB type names (``VARCHAR``, ``DOUBLE``,
    ``TIMESTAMP``, ``MAP(VARCHAR, VARCHAR)``...); the mapping is the file import's
    (FOCUS columns as they are, CUR 2.0 line items mapped as ``docs/actuals.md`` says).
    ``where`` are conditions on the table's own columns (the partition predicate)."""
    from costplan.actuals import files

    if table_format == "focus":
        exprs, _ = files._focus_exprs(types)
        conds = list(where)
    elif table_format == "cur":
        exprs, _, drop = files._cur_exprs(types)
        conds = [*where, drop]
    else:
        raise InputError(Problem(f"bad table format {table_format!r}", location="--table-format",
                                 hint="focus or cur"))
    cols = []
    for c, t in schema.COLUMNS:
        e = exprs.get(c)
        if c == "x_Source":
            e = _q(table_format)
        elif e is None or str(e) == "NULL" or str(e).startswith("NULL::"):
            e = f"CAST({schema.DEFAULTS.get(c, 'NULL')} AS {t})"
        cols.append(f'{e} AS "{c}"')
    return f"(SELECT {', '.join(cols)} FROM {table} WHERE {' AND '.join(conds) or 'TRUE'})"


def partition_predicate(column: str, months: Sequence[str]) -> str:
    """``column IN ('YYYY-MM', ...)``: the billing-period partitions of the AWS Data Exports
    layout (``.../data/BILLING_PERIOD=2026-10/...``) that hold ``months``."""
    if not months:
        raise InputError("no billing period to read: give --month, or --from and --to")
    return f"{column} IN ({', '.join(_q(m) for m in sorted(set(months)))})"
