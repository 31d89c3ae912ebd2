"""The store's table of actual cost rows: FOCUS columns, their types, and the schema migrations.

Column names follow FOCUS 1.x; columns costplan adds carry the ``x_`` prefix FOCUS reserves for
extensions. Costs are in the row's ``BillingCurrency`` (USD for AWS) and are never summed across
currencies; quantities are in the row's ``PricingUnit`` / ``ConsumedUnit``.

| column | type | meaning |
|---|---|---|
| BillingAccountId, SubAccountId | VARCHAR | payer and usage account (never printed by the CLI) |
| ProviderName | VARCHAR | ``AWS`` |
| BillingPeriodStart, BillingPeriodEnd | TIMESTAMP | the invoice month, end exclusive |
| ChargePeriodStart, ChargePeriodEnd | TIMESTAMP | the day (or month) the charge covers, end exclusive |
| ChargeCategory | VARCHAR | Usage, Purchase, Tax, Credit, Adjustment |
| ChargeClass | VARCHAR | ``Correction`` for refunds and corrections of earlier periods, else NULL |
| ChargeDescription | VARCHAR | free text from the source |
| ServiceName, ServiceCategory | VARCHAR | e.g. "Amazon Elastic Compute Cloud", "Compute" |
| RegionId | VARCHAR | AWS region code; NULL for global charges |
| ResourceId, SkuId | VARCHAR | resource ARN / id; the provider's SKU (AWS usage type for CE rows) |
| ResourceType | VARCHAR | the kind of resource (FOCUS ResourceType, e.g. ``Virtual Machine``) |
| PricingCategory | VARCHAR | Standard (on-demand), Dynamic (spot), Committed (SP/RI), Other |
| PricingQuantity, PricingUnit | DOUBLE, VARCHAR | billed quantity [PricingUnit] |
| ConsumedQuantity, ConsumedUnit | DOUBLE, VARCHAR | used quantity [ConsumedUnit] |
| BillingCurrency | VARCHAR | ISO 4217 code of every cost column of the row (``USD`` for AWS) |
| BilledCost | DOUBLE | what the invoice shows [BillingCurrency] |
| EffectiveCost | DOUBLE | amortised cost after discounts and commitments [BillingCurrency] |
| ListCost | DOUBLE | the same usage at public on-demand prices [BillingCurrency] |
| ContractedCost | DOUBLE | at negotiated prices [BillingCurrency] |
| CommitmentDiscountId, CommitmentDiscountType, CommitmentDiscountStatus, CommitmentDiscountCategory | VARCHAR | Savings Plan / RI, ``Used`` or ``Unused``, ``Spend`` or ``Usage`` |
| Tags | VARCHAR | JSON object of tag key -> value |
| x_UsageType | VARCHAR | AWS usage type (e.g. ``USE1-BoxUsage:c5.xlarge``) |
| x_NetEffectiveCost | DOUBLE | amortised cost after negotiated discounts and commitments: Cost Explorer NetAmortizedCost, CUR 2.0 net columns (NULL when the source has none) [BillingCurrency] |
| x_ChargeStatus | VARCHAR | ``Estimated`` (the provider may still change it) or ``Final`` |
| x_Source | VARCHAR | ``focus``, ``cur``, ``cost-explorer`` (the default series), ``cost-explorer:<grouping>/<granularity>`` (another Cost Explorer series) or ``synthetic-sample`` |
| x_LoadId | BIGINT | the load that wrote the row (table ``loads``) |
| x_Synthetic | BOOLEAN | true for the generated sample, never for real data |
"""

from __future__ import annotations

import re

COLUMNS: list[tuple[str, str]] = [
    ("BillingAccountId", "VARCHAR"),
    ("SubAccountId", "VARCHAR"),
    ("ProviderName", "VARCHAR"),
    ("BillingPeriodStart", "TIMESTAMP"),
    ("BillingPeriodEnd", "TIMESTAMP"),
    ("ChargePeriodStart", "TIMESTAMP"),
    ("ChargePeriodEnd", "TIMESTAMP"),
    ("ChargeCategory", "VARCHAR"),
    ("ChargeClass", "VARCHAR"),
    ("ChargeDescription", "VARCHAR"),
    ("ServiceName", "VARCHAR"),
    ("ServiceCategory", "VARCHAR"),
    ("RegionId", "VARCHAR"),
    ("ResourceId", "VARCHAR"),
    ("SkuId", "VARCHAR"),
    ("ResourceType", "VARCHAR"),
    ("PricingCategory", "VARCHAR"),
    ("PricingQuantity", "DOUBLE"),
    ("PricingUnit", "VARCHAR"),
    ("ConsumedQuantity", "DOUBLE"),
    ("ConsumedUnit", "VARCHAR"),
    ("BillingCurrency", "VARCHAR"),
    ("BilledCost", "DOUBLE"),
    ("EffectiveCost", "DOUBLE"),
    ("ListCost", "DOUBLE"),
    ("ContractedCost", "DOUBLE"),
    ("CommitmentDiscountId", "VARCHAR"),
    ("CommitmentDiscountType", "VARCHAR"),
    ("CommitmentDiscountStatus", "VARCHAR"),
    ("CommitmentDiscountCategory", "VARCHAR"),
    ("Tags", "VARCHAR"),
    ("x_UsageType", "VARCHAR"),
    ("x_NetEffectiveCost", "DOUBLE"),
    ("x_ChargeStatus", "VARCHAR"),
    ("x_Source", "VARCHAR"),
    ("x_LoadId", "BIGINT"),
    ("x_Synthetic", "BOOLEAN"),
]
COLUMN_NAMES = [c for c, _ in COLUMNS]
COLUMN_TYPES = dict(COLUMNS)
COST_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "x_NetEffectiveCost")
METRICS = COST_COLUMNS + ("PricingQuantity", "ConsumedQuantity")
#: Columns a loaded frame or query must provide; the rest may be NULL.
REQUIRED = (
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ServiceName",
    "BilledCost",
    "EffectiveCost",
)

SOURCES = ("focus", "cur", "cost-explorer", "synthetic-sample")
#: Sources of user counts (table ``user_counts``): a CSV import, or the synthetic sample.
USER_SOURCES = ("users-csv", "synthetic-sample")
#: When two sources hold the same billing period, the lowest rank is used (never both).
SOURCE_RANK = {"focus": 1, "cur": 2, "cost-explorer": 3, "synthetic-sample": 9}
#: A Cost Explorer pull with another grouping or granularity than the default (DAILY by
#: SERVICE, USAGE_TYPE) is a series of its own, stored as source ``cost-explorer:<grouping>``
#: (e.g. ``cost-explorer:SERVICE,TAG:team/MONTHLY``) beside the default ``cost-explorer``: a
#: pull never replaces another series' rows, so no final period is paid for twice.
CE_SERIES_PREFIX = "cost-explorer:"
#: Ranks of those series: after the default series, DAILY ones before MONTHLY ones; two series
#: of one rank are ordered by name.
CE_SERIES_RANK = {"DAILY": 4, "MONTHLY": 5}


def is_source(source: str) -> bool:
    """A known cost source: one of :data:`SOURCES` or a Cost Explorer series."""
    return source in SOURCES or (source.startswith(CE_SERIES_PREFIX) and len(source) > len(CE_SERIES_PREFIX))


def source_rank_sql(col: str = "x_Source") -> str:
    """A SQL expression of the rank of the source in ``col`` (:data:`SOURCE_RANK`,
    :data:`CE_SERIES_RANK`; 99 for anything else)."""
    whens = [f"WHEN {col} = '{s}' THEN {r}" for s, r in SOURCE_RANK.items()]
    whens += [f"WHEN {col} LIKE '{CE_SERIES_PREFIX}%/{g}' THEN {r}" for g, r in CE_SERIES_RANK.items()]
    return "CASE " + " ".join(whens) + " ELSE 99 END"


#: A load of at least this many rows keeps its own table (written as fast as a plain
#: ``CREATE TABLE AS``); smaller loads are appended to ``rows_main``.
OWN_TABLE_ROWS = 200_000
#: Values a load may leave out: ``rows_main`` has them as column defaults and the view
#: ``cost_rows`` supplies them for a load's own table, so no stored row is ever NULL there.
DEFAULTS = {"x_ChargeStatus": "'Final'", "x_Synthetic": "false", "BillingCurrency": "'USD'"}
#: The largest magnitude a cost may have [currency unit]: beyond 2**53 / 100 a DOUBLE no longer
#: holds every cent exactly.
MAX_MONEY = 2.0**53 / 100


#: Columns added after version 1 (by a later migration), left out of the version-1 table.
_LATER = ("x_NetEffectiveCost", "BillingCurrency", "ResourceType")


def _create_cost_rows() -> str:
    cols = ",\n  ".join(f'"{c}" {t}' for c, t in COLUMNS if c not in _LATER)
    return f"CREATE TABLE cost_rows (\n  {cols}\n)"


#: Ordered migrations; version N is reached by running every step up to N in one transaction.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "cost rows, loads, per-period source choice",
        [
            _create_cost_rows(),
            """CREATE TABLE loads (
                load_id BIGINT PRIMARY KEY,
                x_Source VARCHAR NOT NULL,
                description VARCHAR,
                started_at TIMESTAMP NOT NULL,
                rows_loaded BIGINT,
                rows_replaced BIGINT
            )""",
            "CREATE TABLE period_source (BillingPeriodStart TIMESTAMP, x_Source VARCHAR)",
        ],
    ),
    (
        2,
        "Cost Explorer NetAmortizedCost",
        ['ALTER TABLE cost_rows ADD COLUMN "x_NetEffectiveCost" DOUBLE'],
    ),
    (
        3,
        "periods pulled from an API, empty ones included",
        [
            """CREATE TABLE pulled_periods (
                x_Source VARCHAR, grouping VARCHAR, PeriodStart DATE, PeriodEnd DATE,
                Estimated BOOLEAN, x_LoadId BIGINT
            )"""
        ],
    ),
    (
        4,
        "every (period, source) pair with the one chosen marked",
        [
            "ALTER TABLE period_source ADD COLUMN chosen BOOLEAN",
            "UPDATE period_source SET chosen = true",
        ],
    ),
    (
        5,
        "rows in a main table plus one table per large load, read through the view cost_rows",
        [
            "ALTER TABLE cost_rows RENAME TO rows_main",
            "ALTER TABLE loads ADD COLUMN table_name VARCHAR",
        ],
    ),
    (
        6,
        "active users per month, the denominator of cost per user",
        [
            """CREATE TABLE user_counts (
                month DATE NOT NULL, active_users DOUBLE NOT NULL,
                x_Source VARCHAR NOT NULL, x_LoadId BIGINT, x_Synthetic BOOLEAN NOT NULL
            )"""
        ],
    ),
    (
        7,
        "billing currency, resource type, no NULL status; import parts and Cost Explorer pages kept",
        [
            # every row loaded so far is USD: earlier versions stored USD only
            """ALTER TABLE rows_main ADD COLUMN "BillingCurrency" VARCHAR DEFAULT 'USD'""",
            'ALTER TABLE rows_main ADD COLUMN "ResourceType" VARCHAR',
            # small loads without a status or synthetic flag were stored NULL: give them the
            # values the view gives large loads
            "UPDATE rows_main SET x_ChargeStatus = 'Final' WHERE x_ChargeStatus IS NULL",
            "UPDATE rows_main SET x_Synthetic = false WHERE x_Synthetic IS NULL",
            "ALTER TABLE rows_main ALTER COLUMN x_ChargeStatus SET DEFAULT 'Final'",
            "ALTER TABLE rows_main ALTER COLUMN x_Synthetic SET DEFAULT false",
            # the files of each import and the billing periods they held (replacement by period)
            """CREATE TABLE load_parts (
                load_id BIGINT NOT NULL, part VARCHAR NOT NULL, path VARCHAR,
                ProviderName VARCHAR, BillingAccountId VARCHAR, BillingPeriodStart TIMESTAMP,
                rows BIGINT, manifest VARCHAR
            )""",
            # Cost Explorer pages already paid for, kept until their range is loaded
            """CREATE TABLE ce_pages (
                request_key VARCHAR NOT NULL, page INTEGER NOT NULL, token_in VARCHAR,
                token_out VARCHAR, body VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL
            )""",
        ],
    ),
]
#: The dimensions the rollup keeps (besides the billing period, the charge day, the source and
#: the load): the columns reports and ``costplan actuals --by`` group and filter by most.
ROLLUP_DIMENSIONS = (
    "BillingCurrency", "ServiceName", "ServiceCategory", "RegionId", "ChargeCategory", "ChargeClass",
    "PricingCategory", "ProviderName", "x_ChargeStatus", "x_Synthetic",
)
#: The sums it keeps: every metric :meth:`Store.spend` takes.
ROLLUP_METRICS = METRICS


def rollup_select(relation: str) -> str:
    """The rollup rows of ``relation`` (rows in the store's columns): per load, billing period,
    charge day and :data:`ROLLUP_DIMENSIONS`, the row count and the sum of each metric."""
    dims = ", ".join(f'"{c}"' for c in ROLLUP_DIMENSIONS)
    sums = ", ".join(f'sum("{m}") AS "{m}"' for m in ROLLUP_METRICS)
    return (
        f'SELECT "x_LoadId", "x_Source", "BillingPeriodStart", date_trunc(\'day\', "ChargePeriodStart") AS '
        f'"ChargePeriodStart", {dims}, count(*) AS "x_Rows", {sums} FROM {relation} GROUP BY ALL'
    )


def rollup_parts(exprs: dict[str, tuple[str, bool]]) -> tuple[list[str], list[str], list[str]]:
    """The pieces of :func:`rollup_select_constants`: the constant columns (``expr AS name``),
    the keys that vary by row and the aggregates (the metrics' sums and ``x_Rows``)."""
    keys = ["BillingPeriodStart", "ChargePeriodStart", *ROLLUP_DIMENSIONS, "x_LoadId", "x_Source"]
    inner, outer = [], []
    for c in keys:
        e, varies = exprs[c]
        if c == "ChargePeriodStart":
            e = f"date_trunc('day', {e})"
        (inner if varies else outer).append(f'{e} AS "{c}"')
    aggs = [f'sum({exprs[m][0]}) AS "{m}"' for m in ROLLUP_METRICS] + ['count(*) AS "x_Rows"']
    return outer, inner, aggs


def rollup_select_constants(table: str, exprs: dict[str, tuple[str, bool]]) -> str:
    """:func:`rollup_select` of one load's ``table``, ``exprs`` giving per store column its
    expression and whether it varies by row: the aggregate groups by the varying columns only
    and adds the constant ones to each group (the same rows, without grouping by constants)."""
    outer, inner, aggs = rollup_parts(exprs)
    return f"SELECT {', '.join(outer + ['g.*'])} FROM (SELECT {', '.join(inner + aggs)} FROM {table} GROUP BY ALL) g"


MIGRATIONS.append(
    (
        8,
        "a daily rollup of the rows, kept by every load, answering what it holds without the raw rows",
        [
            "CREATE TABLE cost_rollup ("
            + ", ".join(
                f'"{c}" {t}'
                for c, t in [("x_LoadId", "BIGINT"), ("x_Source", "VARCHAR"), ("BillingPeriodStart", "TIMESTAMP"),
                             ("ChargePeriodStart", "TIMESTAMP")]
                + [(c, COLUMN_TYPES[c]) for c in ROLLUP_DIMENSIONS]
                + [("x_Rows", "BIGINT")]
                + [(m, "DOUBLE") for m in ROLLUP_METRICS]
            )
            + ")",
            # filled from the rows already held by the store's migration step (the view of
            # every load's rows is rebuilt first)
        ],
    )
)
MIGRATIONS.append(
    (
        9,
        "each imported file records whether it carried CUR 2.0's net columns (costs after negotiated discounts)",
        # NULL for files imported before: costplan did not read the net columns then (true: the
        # file had them; false: it had none, so the period had no negotiated discount)
        ["ALTER TABLE load_parts ADD COLUMN net_costs BOOLEAN"],
    )
)
MIGRATIONS.append(
    (
        10,
        "a load's table may leave out columns the view supplies: a text constant or a copy of another column",
        # per load with a table of its own and column it left out: ``value`` (the text every row
        # holds) or ``copy_of`` (the stored column every row equals); loads before have no rows here
        ["CREATE TABLE IF NOT EXISTS load_columns (load_id BIGINT, column_name VARCHAR, value VARCHAR, copy_of VARCHAR)"],
    )
)
MIGRATIONS.append(
    (
        11,
        "a load's table may also leave out columns the view derives from its other columns (an expression)",
        # ``expr``: the SQL expression over the load's stored columns (and the source columns it
        # keeps for them, named KEPT_PREFIX + the source's name) every row's value equals; costplan
        # writes it from its own mapping, and the view refuses one that is not such an expression
        # (:func:`expression_columns`); loads before have none
        ["ALTER TABLE load_columns ADD COLUMN IF NOT EXISTS expr VARCHAR"],
    )
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

#: A load's table may keep a source column a derived column (``load_columns.expr``) reads,
#: under this prefix and the source column's name; the view never shows it.
KEPT_PREFIX = "__source_"

_EXPR_WORDS = frozenset(
    w.lower() for w in ("CASE", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE",
                        "TRUE", "FALSE", "coalesce", "greatest", "least", "NULLIF")
)
_EXPR_TYPES = frozenset(("VARCHAR", "DOUBLE", "TIMESTAMP", "BOOLEAN", "BIGINT"))
#: One token of a derived column's expression (:func:`expression_columns`).
EXPRESSION_TOKEN = re.compile(
    r"""\s+|(?P<text>'(?:[^']|'')*')|"(?P<name>[^"]+)"|(?P<number>\d+(?:\.\d+)?)|::(?P<type>[A-Za-z]+)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z_0-9]*)|(?P<op><>|>=|<=|[=<>+\-*/(),])"""
)


def expression_columns(expr: str) -> list[str] | None:
    """The columns (``"name"``) a derived column's expression reads, or None when ``expr`` is
    not one costplan writes: only text and number literals, quoted column names, casts to a
    plain type, comparisons, arithmetic, ``CASE``, ``AND``/``OR``/``NOT``, ``IN``, ``IS
    [NOT] NULL``, ``LIKE`` and ``coalesce``/``greatest``/``least``/``NULLIF`` (no other
    function, no statement, no subquery)."""
    out, pos, depth = [], 0, 0
    while pos < len(expr):
        m = EXPRESSION_TOKEN.match(expr, pos)
        if m is None:
            return None
        pos = m.end()
        if m.group("name") is not None:
            out.append(m.group("name"))
        elif m.group("type") is not None and m.group("type").upper() not in _EXPR_TYPES:
            return None
        elif m.group("word") is not None and m.group("word").lower() not in _EXPR_WORDS:
            return None
        elif m.group("op") in ("(", ")"):
            depth += 1 if m.group("op") == "(" else -1
            if depth < 0:
                return None
    return out if depth == 0 and expr.strip() else None
