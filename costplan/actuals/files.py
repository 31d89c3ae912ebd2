"""Import FOCUS 1.0 to 1.3 files, AWS CUR 2.0 and legacy CUR exports into the store.

Files are streamed by DuckDB (``read_parquet`` / ``read_csv``), never loaded whole into
pandas. An import takes a billing period's parts together (a folder, a manifest or several
paths, :mod:`costplan.actuals.exports`) and replaces that period as a whole. Each import is
checked before anything is committed (Parquet before the load, a CSV by its load, which parses
it once, :func:`_scan`): every file must have the required columns, every date must
parse, every cost must be a finite number a DOUBLE holds to the cent, Tags must be JSON objects,
a file may not mark its rows synthetic; the problems of all files are reported at once, naming
file, row and column. Rows that repeat within one file are kept and reported. The load itself
is one store transaction, and before it commits the totals per billing period, provider and
currency are compared with the source files to the cent.

FOCUS rows are kept as the specification defines them, so summing EffectiveCost gives
amortised spend and summing BilledCost gives the invoice: commitment purchases carry
EffectiveCost 0 (their cost is amortised into the covered usage rows), unused commitment is a
Usage row with CommitmentDiscountStatus ``Unused``, credits are negative ``Credit`` rows,
refunds and corrections have ChargeClass ``Correction``, taxes are ``Tax`` rows.

CUR 2.0 line items are mapped to the same columns (:data:`CUR_MAPPING_DOC` and
``docs/actuals.md``); a legacy CUR (``lineItem/UsageStartDate`` columns, CSV or CSV.gz) is
first renamed to the CUR 2.0 names (``line_item_usage_start_date``), the rule AWS used to derive
them, and its ``resourceTags/*`` columns become one Tags object.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from costplan.actuals import schema
from costplan.actuals.exports import SUFFIXES, duckdb_path, expand_paths, find_export_files  # noqa: F401
from costplan.components.products import PRODUCTS
from costplan.errors import CostplanError, InputError, Problem
from costplan.frames import Rows, group_sum_like_pandas, missing, round_like_pandas

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

    from costplan.actuals.store import Store

CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")

FOCUS_REQUIRED = (
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ServiceName",
    "BilledCost",
    "EffectiveCost",
)
#: Older or newer FOCUS names accepted for a store column.
FOCUS_ALIASES = {
    # FOCUS 1.3 names the provider ServiceProviderName (ProviderName deprecated)
    "ProviderName": ("ProviderName", "ServiceProviderName"),
    "RegionId": ("RegionId", "Region"),
    "ChargeCategory": ("ChargeCategory", "ChargeType"),
}
CUR_REQUIRED = (
    "bill_billing_period_start_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_line_item_type",
    "line_item_unblended_cost",
    "line_item_product_code",
)

#: Product codes -> FOCUS ServiceName, used when a CUR has no product name (a view of the
#: products table of the priced services).
PRODUCT_NAMES = {code: p.bill_name for code, p in PRODUCTS.items()}

CUR_MAPPING_DOC = """
| CUR 2.0 line_item_line_item_type | ChargeCategory | BilledCost | EffectiveCost |
|---|---|---|---|
| Usage | Usage | unblended | unblended |
| SavingsPlanCoveredUsage | Usage (Committed, Used) | 0 | savings_plan_savings_plan_effective_cost |
| SavingsPlanNegation | dropped (it cancels the covered usage's unblended cost) | - | - |
| SavingsPlanRecurringFee | Purchase | unblended | unused commitment (total_commitment_to_date - used_commitment) |
| SavingsPlanUpfrontFee | Purchase | unblended | 0 (amortised into covered usage) |
| DiscountedUsage (RI) | Usage (Committed, Used) | unblended | reservation_effective_cost |
| RIFee | Purchase | unblended | unused amortised upfront + unused recurring fee |
| Fee | Purchase | unblended | 0 for an RI upfront fee, else unblended |
| Tax | Tax | unblended | unblended |
| Credit, EdpDiscount, BundledDiscount, PrivateRateDiscount | Credit | unblended | unblended |
| Refund | Credit, ChargeClass Correction | unblended | unblended |
"""

CUR_NET_DOC = """
Negotiated discounts (an Enterprise Discount Program, private pricing, bundled discounts) appear
in a CUR 2.0 export as the ``*_net_*`` columns, which AWS adds only for a billing period in which
the account has such a discount. They go to two more store columns:

| CUR 2.0 line_item_line_item_type | ContractedCost | x_NetEffectiveCost |
|---|---|---|
| Usage | line_item_net_unblended_cost | line_item_net_unblended_cost |
| SavingsPlanCoveredUsage | line_item_net_unblended_cost | savings_plan_net_savings_plan_effective_cost |
| DiscountedUsage (RI) | NULL (CUR has no negotiated on-demand cost) | reservation_net_effective_cost |
| SavingsPlanRecurringFee | NULL | unused commitment x net / unblended of the row |
| SavingsPlanUpfrontFee, RI upfront Fee | NULL | 0 (amortised) |
| RIFee | NULL | reservation_net_unused_amortized_upfront_fee_for_billing_period + reservation_net_unused_recurring_fee |
| any other | NULL | line_item_net_unblended_cost |

A row whose net figure is empty takes its gross one. Without the net columns (no negotiated
discount that period) ContractedCost of Usage and SavingsPlanCoveredUsage rows is their
unblended cost and x_NetEffectiveCost stays NULL: EffectiveCost is then also the cost after
negotiated discounts. BilledCost and EffectiveCost keep the gross figures in both cases (the
import's totals check compares BilledCost with the files' unblended cost).
"""


#: Strings a FOCUS or CUR file writes for NULL (FOCUS files use ``NULL``; some write ``null``).
NULL_STRINGS = ("NULL", "null")
#: The largest distance of a billing period's start from a calendar month's start in UTC: a
#: period that starts at local midnight of the 1st in any time zone (UTC-12 .. UTC+14) [h].
MONTH_START_SLACK_HOURS = 14
#: Columns of the store an import never takes from a file.
NOT_FROM_FILES = ("x_Source", "x_LoadId", "x_Synthetic")
#: Columns the readers add: the file a row comes from, and (Parquet) its row in the file, from 0.
SOURCE_META = ("filename", "file_row_number")
#: Columns the load writes beside the store's and drops before it commits: a hash of the source
#: row (its file and flat columns), the file and (Parquet) the row in the file (see
#: :func:`_duplicates`).
HASH_COL, FILE_COL, ROW_COL = "__costplan_hash", "__costplan_file", "__costplan_row"
#: A CSV row's second hash (its columns in reverse order, another seed): a CSV has no row numbers
#: to read a candidate row again by, and every column is flat text, so the two hashes cover it.
HASH2_COL = "__costplan_hash2"
#: Columns a CSV's load also writes, so the file is parsed once (:func:`_scan` reads them in the
#: load's transaction): the source's own BilledCost, and whether any check fails on the row.
SRC_COL, BAD_COL = "__costplan_source_billed", "__costplan_bad"
#: With several readers checked by one load (a CSV and a Parquet group): which reader wrote the row.
PLAN_COL = "__costplan_plan"
HIDDEN = (HASH_COL, FILE_COL, ROW_COL, HASH2_COL, SRC_COL, BAD_COL, PLAN_COL)


#: The figures a CSV's load collects from the lines it drops (:class:`_Dropped`), per line.
DROPPED_KEYS = ("BillingPeriodStart", "ProviderName", "BillingAccountId", "BillingCurrency")


class _Dropped:
    """The lines a CSV's load drops (CUR's ``SavingsPlanNegation``), seen by the load itself.

    They count towards the source total and every file's rows, and are checked, but are not
    stored. The load's filter is ``<kept> OR <this function>(...)``: DuckDB evaluates the
    function only on the lines the first term does not keep (and it returns false, so they stay
    out), and the function records each line's file, billing period, provider, account,
    currency, source BilledCost and whether a check fails on it. So the file is parsed once,
    not a second time for the dropped lines. The first argument says whether the line is
    dropped: a line the function sees but the load keeps is not recorded. What the checks and
    the source totals read of the lines is their sums per file, billing period, provider,
    account and currency (:meth:`relation`)."""

    _ids = itertools.count(1)

    def __init__(self, con, plan: _Plan):
        self.con = con
        self.plan = plan
        self.name = f"__costplan_dropped_{next(self._ids)}"
        self.lines: list[tuple] = []
        lines = self.lines

        def seen(dropped, file, period, provider, account, currency, billed, bad):
            # one append per line: atomic, whichever of DuckDB's threads calls
            if dropped:
                lines.append((file, period, provider, account, currency, billed, bad))
            return False

        con.create_function(
            self.name, seen,
            ["BOOLEAN", "VARCHAR", "TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE", "BOOLEAN"], "BOOLEAN",
            null_handling="special", side_effects=True,
        )

    def where(self) -> str:
        """The load's filter: the kept lines, and the dropped ones recorded on the way."""
        p, e = self.plan, self.plan.exprs
        keys = ", ".join(f"CAST({e[k]} AS {'TIMESTAMP' if k == 'BillingPeriodStart' else 'VARCHAR'})"
                         for k in DROPPED_KEYS)
        return (f"({p.where}) OR {self.name}(NOT coalesce({p.where}, false), filename, {keys}, "
                f"{p.source_billed}, {_any_bad(p)})")

    def relation(self) -> tuple[str, list]:
        """The recorded lines added up per file and keys, as SQL (``file``, the keys,
        ``source_BilledCost``, ``lines``, ``bad``: the lines a check fails on) and its
        parameters: a few rows, passed as lists (a DataFrame of every line needed pandas)."""
        cols = {"file": "VARCHAR", "BillingPeriodStart": "TIMESTAMP", "ProviderName": "VARCHAR",
                "BillingAccountId": "VARCHAR", "BillingCurrency": "VARCHAR", "source_BilledCost": "DOUBLE",
                "lines": "BIGINT", "bad": "BIGINT"}
        import math

        totals: dict[tuple, list] = {}
        for *key, billed, bad in self.lines:
            t = totals.setdefault(tuple(key), [[], 0, 0])  # the BilledCost values, lines, bad
            if billed is not None:
                t[0].append(billed)
            t[1] += 1
            t[2] += bool(bad)
        # the lines arrive in the order DuckDB's threads happen to run: their sum is taken exactly
        # (math.fsum), the same whatever that order (a plain sum can differ in its last bit)
        rows = [(*k, math.fsum(v[0]) if v[0] else None, v[1], v[2]) for k, v in totals.items()]
        values = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in cols]
        return ("(SELECT " + ", ".join(f"unnest(?::{t}[]) AS {c}" for c, t in cols.items()) + ")", values)

    def close(self) -> None:
        try:
            self.con.remove_function(self.name)
        except Exception:  # noqa: BLE001 - the connection may be gone; the function goes with it
            pass


class _ChecksFailed(Exception):
    """A check failed on rows a load wrote (a CSV, or Parquet FOCUS): the load is rolled back
    and the files checked again on their own (:func:`_scan`), which names every problem."""


@dataclass
class ImportReport:
    """One import: which files, what was loaded, and the totals check."""

    files: list[str]
    load_id: int
    rows_loaded: int
    rows_replaced: int
    totals_rows: Rows
    """Per billing period, provider and currency: rows, source and stored BilledCost
    [BillingCurrency] and their difference (0.00 when the check passed); :attr:`totals` as a
    DataFrame."""
    dropped_synthetic: int = 0
    """Rows of the synthetic sample removed from the store (real data is never mixed with it)."""
    mode: str = "replace"
    """How the import replaced what the store held (:data:`costplan.actuals.store.LOAD_MODES`)."""
    manifests: list[str] = field(default_factory=list)
    """Manifests the files were taken from."""
    ignored: list[str] = field(default_factory=list)
    """Data files beside the manifests that no manifest lists (older deliveries), not read."""
    duplicates_rows: Rows | None = None
    """Per file with rows that repeat another row of the same file exactly: ``file``, ``rows``,
    ``repeated_rows`` (copies beyond the first). They are kept (see :func:`import_files`).
    :attr:`duplicates` as a DataFrame."""
    parts_rows: Rows | None = None
    """The files as the store records them: ``part``, ``path``, ``billing_period``, ``rows``;
    :attr:`parts` as a DataFrame."""

    @property
    def totals(self) -> pd.DataFrame:
        return _frame(self.totals_rows, REPORT_TYPES)

    @property
    def duplicates(self) -> pd.DataFrame | None:
        return None if self.duplicates_rows is None else _frame(self.duplicates_rows, REPORT_TYPES)

    @property
    def parts(self) -> pd.DataFrame | None:
        return None if self.parts_rows is None else _frame(self.parts_rows, REPORT_TYPES)


#: The types of the columns of the report's DataFrames.
REPORT_TYPES = {"billing_period": "str", "ProviderName": "object", "BillingCurrency": "str", "rows": "int64",
                "source_BilledCost": "float64", "stored_BilledCost": "float64", "difference": "float64",
                "file": "str", "repeated_rows": "int64", "part": "str", "path": "str"}


def _frame(rows: Rows, types: dict[str, str]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows.rows, columns=rows.columns)
    return df.astype({c: t for c, t in types.items() if c in df.columns})


def _lit(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _reader(files: Sequence[str], *, csv: bool, extra: str = "", numbers: Sequence[str] = ()) -> str:
    """The DuckDB table function reading ``files``. A CSV is read as text, ``numbers`` (its own
    column names) as DOUBLE. When every file's dialect and columns are known and alike
    (:func:`_describe` sniffed them), the reader is given them rather than sniffing the file
    again: DuckDB reads exactly what its sniffer saw, and the load's ``read_csv`` no longer
    decompresses and sniffs the start of a CSV.gz a second time (0.15 s of a 1 M-row import)."""
    lst = "[" + ", ".join(_lit(duckdb_path(f)) for f in files) + "]"
    if not csv:
        return f"read_parquet({lst}, union_by_name = true{extra})"
    nulls = ", ".join(_lit(n) for n in NULL_STRINGS + ("",))
    dialects = {_DIALECTS.get(_file_key(f)) for f in files}
    if len(dialects) == 1 and None not in dialects:
        (delim, quote, escape, new_line, comment, skip, columns), = dialects
        numbers = set(numbers)
        cols = ", ".join(f"{_lit(c)}: '{'DOUBLE' if c in numbers else 'VARCHAR'}'" for c in columns)
        return (
            f"read_csv({lst}, auto_detect = false, header = true, delim = {_lit(delim)}, quote = {_lit(quote)}, "
            f"escape = {_lit(escape)}, new_line = {_lit(new_line)}, skip = {int(skip)}, comment = {_lit(comment)}, "
            f"columns = {{{cols}}}, nullstr = [{nulls}], compression = 'auto'{extra})"
        )
    types = ", types = {" + ", ".join(f"{_lit(k)}: 'DOUBLE'" for k in numbers) + "}" if numbers else ""
    return (
        f"read_csv({lst}, header = true, all_varchar = true, union_by_name = true, "
        f"nullstr = [{nulls}], compression = 'auto'{types}{extra})"
    )


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_DESCRIBED: dict[tuple, dict[str, str]] = {}
#: A CSV's dialect as DuckDB's sniffer found it (by the same key as :data:`_DESCRIBED`):
#: delimiter, quote, escape, line end, comment, rows skipped, column names in order.
_DIALECTS: dict[tuple, tuple] = {}


def _file_key(f: str) -> tuple | None:
    try:
        st = os.stat(f)
    except OSError:
        return None
    return (f, st.st_size, st.st_mtime_ns)


def _describe(con: duckdb.DuckDBPyConnection, f: str) -> dict[str, str]:
    """The columns of one file and their types (cached by path, size and mtime: sniffing a
    CSV.gz reads and decompresses its start). A CSV is sniffed once, with ``sniff_csv``: its
    dialect is kept for the readers of the import (:func:`_reader`)."""
    import duckdb

    key = _file_key(f)
    if key in _DESCRIBED:
        return dict(_DESCRIBED[key])
    csv = not f.lower().endswith(".parquet")
    dialect = None
    try:
        if csv:
            nulls = ", ".join(_lit(n) for n in NULL_STRINGS + ("",))
            found = con.execute(
                "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns "
                f"FROM sniff_csv({_lit(duckdb_path(f))}, header = true, all_varchar = true, nullstr = [{nulls}], "
                "compression = 'auto')"
            ).fetchall()[0]
            rows = [(c["name"], c["type"]) for c in found[7]]
            # "(empty)" is how sniff_csv shows a character the dialect does not have
            delim, quote, escape, new_line, comment = ("" if v == "(empty)" else v for v in found[:5])
            if found[6] and delim:
                dialect = (delim, quote, escape, new_line, comment, found[5], tuple(r[0] for r in rows))
        else:
            rows = con.execute(f"DESCRIBE SELECT * FROM {_reader([f], csv=False)}").fetchall()
    except duckdb.Error as exc:
        raise InputError(Problem(f"cannot read the file: {_short(exc)}", file=f)) from None
    types = {r[0]: r[1] for r in rows}
    if key is not None:
        if len(_DESCRIBED) > 256:
            _DESCRIBED.clear()
            _DIALECTS.clear()
        _DESCRIBED[key] = types
        if dialect is not None:
            _DIALECTS[key] = dialect
    return dict(types)


def _is_empty(f: str) -> bool:
    """True for a file of 0 bytes, or a compressed one holding nothing."""
    import gzip

    try:
        if os.path.getsize(f) == 0:
            return True
        if f.lower().endswith(".gz"):
            with gzip.open(f, "rb") as fh:
                return fh.read(1) == b""
    except (OSError, EOFError):
        return False
    return False


def _environment_failure(exc: Exception, store_path) -> bool:
    """True when a DuckDB error is the machine's (disk full, permissions, memory, a store file
    it cannot write), not a bad input file: exit code 1, not 2."""
    import duckdb

    if isinstance(exc, (duckdb.FatalException, duckdb.OutOfMemoryException, duckdb.PermissionException)):
        return True
    text = str(exc)
    return isinstance(exc, duckdb.IOException) and (
        str(store_path) in text or any(s in text for s in ("No space left", "Permission denied", "Read-only file"))
    )


# -- legacy CUR: column names ---------------------------------------------------------------------
def legacy_cur_name(column: str) -> str:
    """A legacy CUR column's CUR 2.0 name: ``lineItem/UsageStartDate`` ->
    ``line_item_usage_start_date``, ``savingsPlan/SavingsPlanARN`` ->
    ``savings_plan_savings_plan_a_r_n`` (every capital starts a word, as AWS derived them)."""

    def snake(x: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", x).lower()

    category, _, name = column.partition("/")
    return f"{snake(category)}_{snake(name)}" if name else snake(category)


def _is_legacy_cur(types: dict[str, str]) -> bool:
    return any("/" in c for c in types) and any(c.lower().startswith("lineitem/") for c in types)


def _legacy_relation(reader: str, types: dict[str, str], *, row_numbers: bool = False) -> tuple[str, dict[str, str]]:
    """A legacy CUR reader renamed to CUR 2.0 columns, its ``resourceTags/*`` (or legacy
    Parquet ``resource_tags_*``) columns folded into one JSON ``resource_tags`` object."""
    select, renamed, tags = [], {}, []
    for col, t in types.items():
        if col in SOURCE_META:
            continue
        if col.lower().startswith("resourcetags/") or col.lower().startswith("resource_tags_"):
            key = col.split("/", 1)[1] if "/" in col else col[len("resource_tags_"):]
            tags.append((key.replace(":", "_"), col))
            continue
        new = legacy_cur_name(col) if "/" in col else col
        if new in renamed:
            continue
        renamed[new] = t
        select.append(f'"{col}" AS "{new}"')
    if tags:
        obj = "json_object(" + ", ".join(f"{_lit(k)}, \"{c}\"" for k, c in tags) + ")"
        any_tag = "coalesce(" + ", ".join(f'"{c}"' for _, c in tags) + ")" if len(tags) > 1 else f'"{tags[0][1]}"'
        select.append(f"CASE WHEN {any_tag} IS NULL THEN NULL ELSE CAST({obj} AS VARCHAR) END AS resource_tags")
        # text, but built here as a JSON object: the Tags check (a JSON object?) cannot fail on it
        renamed["resource_tags"] = BUILT_JSON
    meta = "filename, file_row_number" if row_numbers else "filename"
    return f"(SELECT {', '.join(select)}, {meta} FROM {reader})", renamed


# -- column expressions ------------------------------------------------------------------------
#: The type :func:`_legacy_relation` gives the Tags object it builds from ``resourceTags/*``.
BUILT_JSON = "JSON"
#: Timestamps in UTC as AWS writes them (LIKE patterns): a CUR's ``2026-10-01T00:00:00Z`` and a
#: FOCUS export's ``2026-10-01T00:00:00.000Z``.
UTC_FORMS = ("____-__-__T__:__:__Z", "____-__-__T__:__:__.___Z")


@dataclass(frozen=True)
class _Check:
    store_col: str
    source_col: str
    raw: str
    bad: str
    """SQL true for a bad value."""
    what: str
    hint: str


class _Cols:
    """Source column lookups, typed NULL-aware expressions and the value checks they need."""

    def __init__(self, types: dict[str, str], csv: bool = False):
        self.types = {k: v for k, v in types.items() if k not in SOURCE_META}
        self.csv = csv
        self.lower = {c.lower(): c for c in self.types}
        self.checks: list[_Check] = []
        self.shared: dict[str, str] = {}
        """CSV: casts from text, SQL -> the column the reader computes it in once (a value's
        cast is used by its store column and its checks alike: :meth:`reader`)."""

    def share(self, expr: str) -> str:
        if not self.csv:
            return expr
        name = self.shared.setdefault(expr, f"__costplan_v{len(self.shared)}")
        return f'"{name}"'

    def reader(self, reader: str) -> str:
        """``reader`` with the shared casts as further columns."""
        if not self.shared:
            return reader
        return f"(SELECT *, {', '.join(f'{e} AS {n}' for e, n in self.shared.items())} FROM {reader})"

    def name(self, *candidates: str) -> str | None:
        for c in candidates:
            if c in self.types:
                return c
            if c.lower() in self.lower:
                return self.lower[c.lower()]
        return None

    def raw(self, col: str) -> str:
        t = self.types[col]
        q = f'"{col}"'
        if t == "VARCHAR" and not self.csv:
            # CSV readers already turn the NULL strings and empty fields into NULL (nullstr)
            return f"CASE WHEN {q} IN ({', '.join(_lit(n) for n in NULL_STRINGS)}) THEN NULL ELSE {q} END"
        return q

    def text(self, *candidates: str) -> str:
        col = self.name(*candidates)
        if col is None:
            return "NULL::VARCHAR"
        t = self.types[col]
        if t.startswith("MAP") or t.startswith("STRUCT"):
            return f'CAST(to_json("{col}") AS VARCHAR)'
        if t == "VARCHAR":
            return self.raw(col)
        return f"CAST({self.raw(col)} AS VARCHAR)"

    def typed(self, target: str, store_col: str, *candidates: str) -> str:
        col = self.name(*candidates)
        if col is None:
            return f"NULL::{target}"
        t = self.types[col]
        raw = self.raw(col)
        if target == "TIMESTAMP":
            if t == "TIMESTAMP":
                expr = raw
            elif t.startswith("TIMESTAMP") or t == "DATE":
                expr = f"CAST({raw} AS TIMESTAMP)"  # the session is UTC: offsets are applied
            elif self.csv:
                # the forms AWS writes (2026-10-01T00:00:00Z, 2026-10-01T00:00:00.000Z: UTC) are read
                # as a plain TIMESTAMP, the same instant at half the cost; any other text goes
                # through TIMESTAMPTZ (offsets).
                # Whether a value has that form is computed once, beside the value (DuckDB evaluates
                # the LIKE shared by the two columns of one projection once), and read by the check
                like = "(" + " OR ".join(f"{raw} LIKE {_lit(f)}" for f in UTC_FORMS) + ")"
                expr = self.share(
                    f"coalesce(CASE WHEN {like} THEN try_cast({raw} AS TIMESTAMP) END, "
                    f"CAST(try_cast({raw} AS TIMESTAMPTZ) AS TIMESTAMP))"
                )
                utc = self.share(like)
                iso = f"(CASE WHEN {utc} THEN true ELSE substr({raw}, 5, 1) = '-' AND substr({raw}, 8, 1) = '-' END)"
            else:
                expr = f"CAST(try_cast({raw} AS TIMESTAMPTZ) AS TIMESTAMP)"
                iso = f"(substr({raw}, 5, 1) = '-' AND substr({raw}, 8, 1) = '-')"
            if t != "TIMESTAMP" and not (t.startswith("TIMESTAMP") or t == "DATE"):
                # DuckDB also reads 4/1/25 (as the year 4): only ISO 8601 (YYYY-MM-DD...) is a date
                self.checks.append(
                    _Check(store_col, col, raw, f"{raw} IS NOT NULL AND ({expr} IS NULL OR NOT {iso})",
                           "not an ISO 8601 date", "use ISO 8601, e.g. 2026-10-31T00:00:00Z")
                )
            if store_col in ("BillingPeriodStart", "BillingPeriodEnd"):
                return self._month(store_col, col, raw, expr)
            return expr
        # DOUBLE
        if t in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT") or t.startswith(
            "DECIMAL"
        ):
            expr = raw if t == "DOUBLE" else f"CAST({raw} AS DOUBLE)"
            exact = t not in ("DOUBLE", "FLOAT")
        else:
            expr = self.share(f"try_cast({raw} AS DOUBLE)")
            exact = False
            self.checks.append(
                _Check(store_col, col, raw, f"{raw} IS NOT NULL AND {expr} IS NULL", NOT_A_NUMBER,
                       "use a plain decimal number, e.g. 12.34")
            )
        if not exact:
            if store_col in schema.COST_COLUMNS:
                self.checks.append(
                    _Check(store_col, col, raw,
                           f"{expr} IS NOT NULL AND (NOT isfinite({expr}) OR abs({expr}) >= {schema.MAX_MONEY!r})",
                           "not a finite amount a DOUBLE holds to the cent",
                           f"costs must be finite decimals below {schema.MAX_MONEY:,.0f} in magnitude; NaN and "
                           "infinity are not amounts")
                )
            else:
                self.checks.append(
                    _Check(store_col, col, raw, f"{expr} IS NOT NULL AND NOT isfinite({expr})", "not a finite number",
                           "quantities must be finite decimals; NaN and infinity are not quantities")
                )
        return expr

    def _month(self, store_col: str, col: str, raw: str, expr: str) -> str:
        """A billing period bound as the calendar month it starts in UTC: the month start
        nearest the instant (a period starting at local midnight of the 1st is that month), so
        ``2026-10-01T00:00:00+05:00`` (``2026-09-30T19:00Z``) is October, not September."""
        month = f"date_trunc('month', {expr} + INTERVAL 15 DAY)"
        self.checks.append(
            _Check(
                store_col, col, raw,
                f"{expr} IS NOT NULL AND abs(epoch({expr}) - epoch({month})) > {MONTH_START_SLACK_HOURS * 3600}",
                "not the start of a calendar month",
                "costplan keeps monthly billing periods, starting on the 1st at 00:00 UTC (or local midnight)",
            )
        )
        return month

    def check_tags(self, col: str | None) -> None:
        if col is None or self.types[col] != "VARCHAR":
            return
        raw = self.raw(col)
        self.checks.append(
            _Check(
                "Tags", col, raw,
                f"{raw} IS NOT NULL AND NOT (CASE WHEN json_valid({raw}) THEN json_type({raw}) = 'OBJECT' ELSE false END)",
                "not a JSON object",
                'FOCUS Tags are a JSON object of key -> value, e.g. {"team": "platform"}',
            )
        )

    def check_not_null(self, store_col: str, col: str | None, hint: str) -> None:
        if col is None:
            return
        raw = self.raw(col)
        self.checks.append(_Check(store_col, col, raw, f"{raw} IS NULL", "empty", hint))

    def check_not_synthetic(self) -> None:
        col = self.name("x_Synthetic")
        if col is None:
            return
        raw = self.raw(col)
        self.checks.append(
            _Check(
                "x_Synthetic", col, raw, f"coalesce(try_cast({raw} AS BOOLEAN), false)",
                "marks the row as synthetic",
                "an import loads billing data, which is never synthetic; costplan builds the synthetic sample "
                "itself (remove the x_Synthetic column)",
            )
        )


@dataclass
class _Plan:
    """How one group of files (one reader) becomes store rows."""

    reader: str
    files: list[str]
    csv: bool
    exprs: dict[str, str]
    cols: _Cols
    where: str
    source_billed: str
    """The source's own BilledCost (before any mapping) [BillingCurrency]."""
    typed: bool = False
    """A CSV read with its number columns typed (:func:`_plan`): a file it refuses is read again as text."""
    hashed: list[str] | None = None
    """The source columns the row hash covers (:func:`_row_hash`); None: every flat column."""

    supplied: dict[str, tuple[str, str]] | None = None
    """Store columns the load leaves out for the store to supply (:func:`supplied_columns`,
    the same for every reader of the load)."""

    @property
    def select(self) -> str:
        out = _select_list(self.exprs, self.supplied or {})
        kept = _kept_of(self.supplied or {})
        return out + "".join(f', "{k[len(schema.KEPT_PREFIX):]}" AS "{k}"' for k in kept)

    @property
    def in_load(self) -> bool:
        """Whether the checks and the source totals are read from the load (a CSV, and a
        Parquet reader whose load drops no row) rather than from a checking scan before it."""
        return self.csv or self.where == "TRUE"

    @property
    def billed_is_source(self) -> bool:
        """Whether the store's BilledCost is the source's own (FOCUS: the same expression), so
        the source total is read from the stored column and not written beside it."""
        return self.exprs.get("BilledCost") == self.source_billed


def _focus_exprs(types: dict[str, str], csv: bool = False) -> tuple[dict[str, str], _Cols]:
    c = _Cols(types, csv)
    exprs: dict[str, str] = {}
    for col, t in schema.COLUMNS:
        if col in NOT_FROM_FILES:
            continue
        names = FOCUS_ALIASES.get(col, (col,))
        if t in ("TIMESTAMP", "DOUBLE"):
            exprs[col] = c.typed(t, col, *names)
        else:
            exprs[col] = c.text(*names)
    if c.name("BillingPeriodEnd") is None:
        exprs["BillingPeriodEnd"] = f"({exprs['BillingPeriodStart']} + INTERVAL 1 MONTH)"
    exprs["ProviderName"] = f"coalesce({exprs['ProviderName']}, 'AWS')"
    currency = c.name("BillingCurrency")
    exprs["BillingCurrency"] = c.raw(currency) if currency else schema.DEFAULTS["BillingCurrency"]
    c.check_not_null("BillingCurrency", currency, "FOCUS BillingCurrency is an ISO 4217 code such as USD")
    c.check_tags(c.name("Tags"))
    c.check_not_synthetic()
    status = c.name("x_ChargeStatus")
    invoice = c.name("InvoiceId")
    if status:
        exprs["x_ChargeStatus"] = f"coalesce({c.raw(status)}, 'Final')"
    elif invoice:
        # FOCUS 1.2: InvoiceId is null while a charge is on no invoice yet
        exprs["x_ChargeStatus"] = f"CASE WHEN {c.raw(invoice)} IS NULL THEN 'Estimated' ELSE 'Final' END"
    else:
        # FOCUS 1.0 and 1.1 have no column that says: the rows are taken as final
        exprs["x_ChargeStatus"] = "'Final'"
    return exprs, c


def _select_list(exprs: dict[str, str], supplied: dict[str, tuple[str, str]] | None = None) -> str:
    """The SELECT list, leaving out columns that would only hold NULL or the store's default,
    and those in ``supplied`` (the store supplies those; writing them per row would slow the load)."""
    return ", ".join(f'{e} AS "{k}"' for k, e in _written(exprs).items() if k not in (supplied or {}))


def _written(exprs: dict[str, str]) -> dict[str, str]:
    return {
        k: e
        for k, e in exprs.items()
        if not str(e).startswith("NULL::") and str(e) != "NULL" and schema.DEFAULTS.get(k) != e
    }


#: A text literal without quotes inside: the same value on every row.
_TEXT_CONSTANT = re.compile(r"'([^']*)'")
#: Columns a load always writes when it has them (see ``Store._NEVER_SUPPLIED``).
_ALWAYS_WRITTEN = set(schema.REQUIRED) | {"BillingAccountId", "BillingCurrency", "BilledCost", "EffectiveCost"}


def _supplied_of(exprs: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The store columns of one reader whose every value is known without writing it: a text
    literal (``'AWS'``: ``("value", "AWS")``), or the very expression of another written column
    (the same value on every row, NULLs included: ``("copy", other)``, the first column of that
    expression in the store's column order)."""
    written = _written(exprs)
    out: dict[str, tuple[str, str]] = {}
    first: dict[str, str] = {}
    for c, _t in schema.COLUMNS:
        if c not in written:
            continue
        e = _plain(str(written[c]).strip())
        if c in _ALWAYS_WRITTEN:
            first.setdefault(e, c)
            continue
        m = _TEXT_CONSTANT.fullmatch(e)
        if m and schema.COLUMN_TYPES[c] == "VARCHAR":
            out[c] = ("value", m.group(1))
        elif e in first and c != "ProviderName" and schema.COLUMN_TYPES[first[e]] == schema.COLUMN_TYPES[c]:
            out[c] = ("copy", first[e])
        else:
            first.setdefault(e, c)
    return out


def _plain(e: str) -> str:
    """``e`` without a ``coalesce(NULL::VARCHAR, x)`` around it (the same value as ``x``, e.g.
    CUR's SkuId of a file without product_sku): ``x`` when it is one expression."""
    head = "coalesce(NULL::VARCHAR, "
    if not (e.startswith(head) and e.endswith(")")):
        return e
    inner, depth, quoted = e[len(head):-1], 0, None
    for ch in inner:
        if quoted:
            quoted = None if ch == quoted else quoted
        elif ch in "'\"":
            quoted = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return e
        elif ch == "," and depth == 0:
            return e
    return inner if depth == 0 and not quoted else e


#: Source columns a CSV load may keep in its table for the store's view to derive columns
#: from (:func:`_derived_of`): a CUR's line item type, which most of the FOCUS columns a CUR
#: has no column for are mapped from.
KEPT_SOURCES = ("line_item_line_item_type",)


def _derived_of(plan: _Plan, supplied: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The store columns of a CSV reader whose expression reads a source column of
    :data:`KEPT_SOURCES` and otherwise only source columns another written column holds as they
    are (a CUR's usage type in SkuId) and constants: ``("expr", sql)``, the same expression over
    the stored columns and the kept source column (``KEPT_PREFIX + name``), which the view
    computes instead of the load computing and writing the column (ChargeCategory, ChargeClass,
    PricingCategory and the commitment columns of a legacy CUR without reservation columns:
    about 0.1 CPU-s each at 2 M rows; the kept line item type is one text column). Nothing
    unless at least two columns are so derived (the kept column is one written)."""
    if not plan.csv:
        return {}
    types = plan.cols.types
    keep = {k for k in (plan.cols.name(n) for n in KEPT_SOURCES) if k is not None and types[k] == "VARCHAR"}
    if not keep:
        return {}
    written = {c: str(e) for c, e in _written(plan.exprs).items() if c not in supplied}
    holds: dict[str, str] = {}  # a source column -> the first written store column holding it as it is
    for c, t in schema.COLUMNS:
        m = re.fullmatch(r'"([^"]+)"', _plain(written[c].strip())) if c in written else None
        if m and m.group(1) in types and m.group(1) not in keep and types[m.group(1)] == t:
            holds.setdefault(m.group(1), c)
    out: dict[str, tuple[str, str]] = {}
    for c, t in schema.COLUMNS:
        if c not in written or c in _ALWAYS_WRITTEN or c == "ProviderName" or t != "VARCHAR":
            continue
        new = _substitute(written[c], keep, holds)
        if new is not None:
            out[c] = ("expr", new)
    return out if len(out) >= 2 else {}


def _substitute(expr: str, keep: set[str], holds: dict[str, str]) -> str | None:
    """``expr`` reading the kept source columns ``keep`` (as ``KEPT_PREFIX + name``) and the
    store columns ``holds`` names instead of the source columns; None when it reads no kept
    column, another source column, or is not an expression the store accepts."""
    parts, pos, reads = [], 0, False
    while pos < len(expr):
        m = schema.EXPRESSION_TOKEN.match(expr, pos)
        if m is None:
            return None
        name = m.group("name")
        if name is None:
            parts.append(m.group(0))
        elif name in keep:
            parts.append(f'"{schema.KEPT_PREFIX}{name}"')
            reads = True
        elif name in holds:
            parts.append(f'"{holds[name]}"')
        else:
            return None
        pos = m.end()
    new = "".join(parts)
    return new if reads and schema.expression_columns(new) is not None else None


def _kept_of(supplied: dict[str, tuple[str, str]]) -> list[str]:
    """The kept source columns (``KEPT_PREFIX + name``) the derived columns of ``supplied`` read."""
    return sorted({r for kind, v in supplied.values() if kind == "expr"
                   for r in schema.expression_columns(v) or () if r.startswith(schema.KEPT_PREFIX)})


def supplied_columns(plans: list[_Plan]) -> dict[str, tuple[str, str]]:
    """What every reader of a load leaves out alike (:func:`_supplied_of`, :func:`_derived_of`):
    the readers' rows are one union by name, in which a column one reader leaves out and
    another writes would be NULL on the first's rows."""
    each = []
    for p in plans:
        own = _supplied_of(p.exprs)
        each.append({**own, **_derived_of(p, own)})
    return {c: v for c, v in each[0].items() if all(s.get(c) == v for s in each[1:])} if each else {}


def cur_has_net_columns(types: dict[str, str]) -> bool:
    """Whether a CUR's columns include the net (after negotiated discounts) costs: AWS adds
    ``line_item_net_unblended_cost`` and the other ``*_net_*`` columns only for a billing period
    in which the account has a discount (EDP, private pricing, bundled discounts)."""
    return any(k.lower() in ("line_item_net_unblended_cost", "lineitem/netunblendedcost") for k in types)


def _cur_net_exprs(c: _Cols, typ: str, unblended: str, sp_eff: str, ri_eff: str, sp_unused: str,
                   ri_arn: str) -> tuple[str, str]:
    """ContractedCost and x_NetEffectiveCost of a CUR 2.0 row (:data:`CUR_NET_DOC`).

    ContractedCost (FOCUS: at negotiated prices, before commitments) is kept for usage rows
    billed at on-demand prices (``Usage``, ``SavingsPlanCoveredUsage``): the net unblended cost
    when the file has the net columns, else the unblended cost (no negotiated discount that
    period). An RI-covered row (``DiscountedUsage``) has no negotiated on-demand cost in CUR:
    NULL. x_NetEffectiveCost (amortised, after negotiated discounts and commitments: Cost
    Explorer's NetAmortizedCost) is the row's own net figure where the file has the net columns,
    else NULL."""
    num = lambda name: c.typed("DOUBLE", "x_NetEffectiveCost", name)  # noqa: E731
    on_demand = f"{typ} IN ('Usage', 'SavingsPlanCoveredUsage')"
    if not c.name("line_item_net_unblended_cost"):
        return f"CASE WHEN {on_demand} THEN {unblended} END", "NULL"
    net = f"coalesce({num('line_item_net_unblended_cost')}, {unblended})"

    def net_or(name: str, gross: str) -> str:
        return f"coalesce({num(name)}, {gross})" if c.name(name) else gross

    def gross(name: str) -> str:
        return c.typed("DOUBLE", "EffectiveCost", name) if c.name(name) else "0.0"

    sp_net = net_or("savings_plan_net_savings_plan_effective_cost", sp_eff)
    ri_net = net_or("reservation_net_effective_cost", ri_eff)
    ri_unused = (
        f"({net_or('reservation_net_unused_amortized_upfront_fee_for_billing_period', gross('reservation_unused_amortized_upfront_fee_for_billing_period'))}"
        f" + {net_or('reservation_net_unused_recurring_fee', gross('reservation_unused_recurring_fee'))})"
    )
    # CUR has no net unused-commitment column: the unused commitment scaled by the fee row's own
    # net / gross ratio (a percentage discount applies to the commitment alike)
    sp_unused_net = f"({sp_unused} * coalesce({num('line_item_net_unblended_cost')} / NULLIF({unblended}, 0), 1.0))"
    net_effective = f"""CASE {typ}
            WHEN 'SavingsPlanCoveredUsage' THEN {sp_net}
            WHEN 'DiscountedUsage' THEN {ri_net}
            WHEN 'SavingsPlanRecurringFee' THEN {sp_unused_net}
            WHEN 'SavingsPlanUpfrontFee' THEN 0.0
            WHEN 'RIFee' THEN {ri_unused}
            WHEN 'Fee' THEN CASE WHEN {ri_arn} IS NOT NULL THEN 0.0 ELSE {net} END
            ELSE {net} END"""
    return f"CASE WHEN {on_demand} THEN {net} END", net_effective


def _cur_exprs(types: dict[str, str], csv: bool = False) -> tuple[dict[str, str], _Cols, str]:
    c = _Cols(types, csv)
    n = lambda *names: c.name(*names)  # noqa: E731
    num = lambda store_col, *names: c.typed("DOUBLE", store_col, *names)  # noqa: E731
    ts = lambda store_col, *names: c.typed("TIMESTAMP", store_col, *names)  # noqa: E731
    typ = f"coalesce({c.text('line_item_line_item_type')}, 'Usage')"
    unblended = num("BilledCost", "line_item_unblended_cost")
    zero = "0.0"

    def opt_num(store_col, name):
        return num(store_col, name) if n(name) else zero

    product = n("product")
    product_name = (
        c.text("product_product_name")
        if n("product_product_name")
        else (
            f"CAST(\"{product}\"['product_name'] AS VARCHAR)"
            if product and types[product].startswith("MAP")
            else "NULL"
        )
    )
    code = c.text("line_item_product_code")
    names_case = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in PRODUCT_NAMES.items())
    sp_eff = opt_num("EffectiveCost", "savings_plan_savings_plan_effective_cost")
    ri_eff = opt_num("EffectiveCost", "reservation_effective_cost")
    sp_unused = (
        f"greatest({opt_num('EffectiveCost', 'savings_plan_total_commitment_to_date')} - "
        f"{opt_num('EffectiveCost', 'savings_plan_used_commitment')}, 0)"
    )
    ri_unused = (
        f"({opt_num('EffectiveCost', 'reservation_unused_amortized_upfront_fee_for_billing_period')} + "
        f"{opt_num('EffectiveCost', 'reservation_unused_recurring_fee')})"
    )
    ri_arn = c.text("reservation_reservation_a_r_n")
    sp_arn = c.text("savings_plan_savings_plan_a_r_n")
    usage_type = c.text("line_item_usage_type")
    pricing_term = c.text("pricing_term")
    region = (
        c.text("product_region_code", "product_region")
        if n("product_region_code", "product_region")
        else (
            f"CAST(\"{product}\"['region'] AS VARCHAR)"
            if product and types[product].startswith("MAP")
            else "NULL"
        )
    )
    invoice = n("bill_invoice_id")
    contracted, net_effective = _cur_net_exprs(c, typ, unblended, sp_eff, ri_eff, sp_unused, ri_arn)
    exprs = {
        "BillingAccountId": c.text("bill_payer_account_id"),
        "SubAccountId": c.text("line_item_usage_account_id"),
        "ProviderName": "'AWS'",
        "BillingPeriodStart": ts("BillingPeriodStart", "bill_billing_period_start_date"),
        "BillingPeriodEnd": ts("BillingPeriodEnd", "bill_billing_period_end_date")
        if n("bill_billing_period_end_date")
        else None,
        "ChargePeriodStart": ts("ChargePeriodStart", "line_item_usage_start_date"),
        "ChargePeriodEnd": ts("ChargePeriodEnd", "line_item_usage_end_date"),
        "ChargeCategory": f"""CASE {typ}
            WHEN 'Tax' THEN 'Tax'
            WHEN 'Credit' THEN 'Credit' WHEN 'Refund' THEN 'Credit' WHEN 'EdpDiscount' THEN 'Credit'
            WHEN 'BundledDiscount' THEN 'Credit' WHEN 'PrivateRateDiscount' THEN 'Credit'
            WHEN 'SavingsPlanRecurringFee' THEN 'Purchase' WHEN 'SavingsPlanUpfrontFee' THEN 'Purchase'
            WHEN 'RIFee' THEN 'Purchase' WHEN 'Fee' THEN 'Purchase'
            ELSE 'Usage' END""",
        "ChargeClass": f"CASE WHEN {typ} = 'Refund' THEN 'Correction' END",
        "ChargeDescription": c.text("line_item_line_item_description"),
        "ServiceName": f"coalesce({product_name}, CASE {code} {names_case} END, {code})",
        "ServiceCategory": c.text("product_product_family"),
        "RegionId": f"NULLIF({region}, 'global')",
        "ResourceId": c.text("line_item_resource_id"),
        "SkuId": f"coalesce({c.text('product_sku')}, {usage_type})",
        "PricingCategory": f"""CASE
            WHEN {pricing_term} = 'Spot' OR {usage_type} LIKE '%SpotUsage%' THEN 'Dynamic'
            WHEN {typ} IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'Committed'
            WHEN {typ} = 'Usage' THEN 'Standard' END""",
        "PricingQuantity": num("PricingQuantity", "line_item_usage_amount")
        if n("line_item_usage_amount")
        else "NULL",
        "PricingUnit": c.text("pricing_unit"),
        "ConsumedQuantity": num("ConsumedQuantity", "line_item_usage_amount")
        if n("line_item_usage_amount")
        else "NULL",
        "ConsumedUnit": c.text("pricing_unit"),
        "BilledCost": f"CASE WHEN {typ} = 'SavingsPlanCoveredUsage' THEN 0.0 ELSE {unblended} END",
        "EffectiveCost": f"""CASE {typ}
            WHEN 'SavingsPlanCoveredUsage' THEN {sp_eff}
            WHEN 'DiscountedUsage' THEN {ri_eff}
            WHEN 'SavingsPlanRecurringFee' THEN {sp_unused}
            WHEN 'SavingsPlanUpfrontFee' THEN 0.0
            WHEN 'RIFee' THEN {ri_unused}
            WHEN 'Fee' THEN CASE WHEN {ri_arn} IS NOT NULL THEN 0.0 ELSE {unblended} END
            ELSE {unblended} END""",
        "ListCost": num("ListCost", "pricing_public_on_demand_cost")
        if n("pricing_public_on_demand_cost")
        else "NULL",
        "ContractedCost": contracted,
        "x_NetEffectiveCost": net_effective,
        "CommitmentDiscountId": f"""CASE
            WHEN {typ} LIKE 'SavingsPlan%' THEN {sp_arn}
            WHEN {typ} IN ('DiscountedUsage', 'RIFee') OR ({typ} = 'Fee' AND {ri_arn} IS NOT NULL) THEN {ri_arn} END""",
        "CommitmentDiscountType": f"""CASE
            WHEN {typ} LIKE 'SavingsPlan%' THEN 'Savings Plan'
            WHEN {typ} IN ('DiscountedUsage', 'RIFee') OR ({typ} = 'Fee' AND {ri_arn} IS NOT NULL)
            THEN 'Reserved Instance' END""",
        "CommitmentDiscountStatus": f"""CASE
            WHEN {typ} IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'Used'
            WHEN {typ} = 'SavingsPlanRecurringFee' AND {sp_unused} > 0 THEN 'Unused'
            WHEN {typ} = 'RIFee' AND {ri_unused} > 0 THEN 'Unused' END""",
        "Tags": c.text("resource_tags"),
        "BillingCurrency": f"coalesce({c.text('line_item_currency_code')}, 'USD')"
        if n("line_item_currency_code")
        else schema.DEFAULTS["BillingCurrency"],
        "x_UsageType": usage_type,
        "x_ChargeStatus": f"CASE WHEN {c.raw(invoice)} IS NULL THEN 'Estimated' ELSE 'Final' END"
        if invoice
        else "'Final'",
    }
    if exprs["BillingPeriodEnd"] is None:
        exprs["BillingPeriodEnd"] = f"({exprs['BillingPeriodStart']} + INTERVAL 1 MONTH)"
    c.check_tags(n("resource_tags"))
    where = f"{typ} <> 'SavingsPlanNegation'"
    return exprs, c, where


# -- the import --------------------------------------------------------------------------------
#: What the text check of a CSV number column says of a value that is not a number.
NOT_A_NUMBER = "not a number"


def _number_columns(con, kind: str, files: list[str], types: dict[str, str]) -> list[str]:
    """The columns of a CSV (its own header names) that the import reads as numbers: those its
    text path checks with "not a number"."""
    text = _plan(con, kind, files, True)
    checked = {ck.source_col for ck in text.cols.checks if ck.what == NOT_A_NUMBER}
    out, seen = [], set()
    for col in types:
        if col in SOURCE_META:
            continue
        new = legacy_cur_name(col) if kind == "cur" and "/" in col and _is_legacy_cur(types) else col
        if new in checked and new not in seen:  # the first of two spellings is the one read
            out.append(col)
        seen.add(new)
    return out


def _plan(con, kind: str, files: list[str], csv: bool, typed: bool = False) -> _Plan:
    """How ``files`` become store rows. ``typed`` (CSV): the number columns are read as DOUBLE by
    the CSV reader itself rather than as text cast by the load. DuckDB's CSV reader accepts
    exactly the text ``try_cast(... AS DOUBLE)`` accepts, and gives the same value (NaN,
    infinities and 1e309 too, which the finite checks then refuse as on the text path); any other
    value makes it refuse the file, which is then read as text (:func:`import_files`), so every
    message stays the text path's. Timestamps stay text: the reader's timestamp parsing also
    accepts ``2026-4-01T00:00:00Z`` or ``26-10-01T00:00:00Z``, which the text checks refuse."""
    types: dict[str, str] = {}
    for f in files:
        for k, t in _describe(con, f).items():
            types.setdefault(k, t)
    # files are streamed, never staged: the checking scan reads only the columns its checks and
    # totals name (Parquet reads no other column; a CSV is parsed again), the load reads them all
    extra = ", filename = true" + ("" if csv else ", file_row_number = true")
    numbers = _number_columns(con, kind, files, types) if csv and typed else []
    if numbers:
        types = {k: ("DOUBLE" if k in numbers else t) for k, t in types.items()}
    typed = bool(numbers)
    reader = _reader(files, csv=csv, extra=extra, numbers=numbers)
    if kind == "focus":
        exprs, cols = _focus_exprs(types, csv=csv)
        billed = cols.typed("DOUBLE", "BilledCost", "BilledCost")
        plan = _Plan(cols.reader(reader), files, csv, exprs, cols, "TRUE", billed, typed)
        if not csv:
            plan.hashed = _read_columns(plan)
        return plan
    if _is_legacy_cur(types) or any(k.lower().startswith("resource_tags_") for k in types):
        reader, types = _legacy_relation(reader, types, row_numbers=not csv)
    exprs, cols, where = _cur_exprs(types, csv=csv)
    billed = cols.typed("DOUBLE", "BilledCost", "line_item_unblended_cost")
    return _Plan(cols.reader(reader), files, csv, exprs, cols, where, billed, typed)


def _read_columns(plan: _Plan) -> list[str]:
    """The source columns a Parquet load reads anyway: those its store columns and its checks
    name (maps included), in the file's order."""
    used = " ".join([str(e) for e in plan.exprs.values()] + [ck.bad for ck in plan.cols.checks])
    return [c for c in plan.cols.types if f'"{c}"' in used]


def _required(kind: str, f: str, types: dict[str, str]) -> list[Problem]:
    lookup = {k.lower() for k in types}
    if kind == "cur" and _is_legacy_cur(types):
        lookup = {legacy_cur_name(k).lower() for k in types}
    required = FOCUS_REQUIRED if kind == "focus" else CUR_REQUIRED
    missing = [col for col in required
               if not any(n.lower() in lookup for n in (FOCUS_ALIASES.get(col, (col,)) if kind == "focus" else (col,)))]
    if not missing:  # one problem per file, naming every missing column
        return []
    looks_cur = any(k.startswith("line_item_") or k.startswith("lineitem/") for k in lookup)
    looks_focus = "billedcost" in lookup and "chargeperiodstart" in lookup
    other = (
        " (it looks like a CUR export: use `costplan import cur`)"
        if kind == "focus" and looks_cur
        else " (it looks like a FOCUS file: use `costplan import focus`)"
        if kind == "cur" and looks_focus
        else ""
    )
    what = "FOCUS" if kind == "focus" else "CUR 2.0 or legacy CUR"
    found = ", ".join(list(types)[:8]) + (", ..." if len(types) > 8 else "")
    problems = [Problem(
        f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}{other} (found: {found})",
        file=f, hint=f"a {what} file needs {', '.join(required)}; is it truncated, or another export?")]
    return problems


def _part_names(files: list[str]) -> dict[str, str]:
    """The name each file is recorded under: its file name. Exports name their parts the same
    in every billing period (``<export>-00001.snappy.parquet``), and a part is recorded per
    billing period, so the name is the part's identity within its period whatever else an
    import holds."""
    return {f: os.path.basename(f) for f in files}


def import_files(
    store: Store,
    kind: str,
    paths: Sequence[str | os.PathLike],
    *,
    description: str | None = None,
    mode: str | None = None,
) -> ImportReport:
    """Import FOCUS (``kind='focus'``) or CUR (``kind='cur'``: CUR 2.0 or legacy) files into
    ``store``.

    ``paths`` are files, folders, manifests or patterns (:func:`find_export_files`). The
    import replaces, per provider, billing account and billing period it holds, what the store
    held of the same source (``mode``, :meth:`Store.load_query`): by default ``complete`` when
    every file comes from a manifest (the whole period), else ``replace``, which refuses to
    replace a period held from files this import does not include; ``append`` adds the files
    as further parts of their periods.

    Raises :class:`InputError` naming every file, row and column that is wrong; the store is
    left unchanged then. Rows repeated exactly within one file are kept and reported
    (``ImportReport.duplicates``): FOCUS defines no key that makes a row unique, rows may be
    split or aggregated, and every row's cost counts towards the invoice, so two equal rows are
    two charges.
    """
    from costplan.actuals.store import LOAD_MODES

    if kind not in ("focus", "cur"):
        raise InputError(f"unknown import kind {kind!r}; valid: focus, cur")
    if mode is not None and mode not in LOAD_MODES:
        raise InputError(f"unknown import mode {mode!r}; valid: {', '.join(LOAD_MODES)}")
    found = find_export_files(paths)
    files = found.files
    mode = mode or ("complete" if found.complete else "replace")
    con = store.con
    problems: list[Problem] = []
    for f in files:
        if _is_empty(f):
            what = "FOCUS" if kind == "focus" else "CUR"
            problems.append(Problem(f"the file is empty; expected a {what} export with a header line", file=f))
            continue
        try:
            types = _describe(con, f)
        except InputError as exc:
            problems += exc.problems
            continue
        problems += _required(kind, f, types)
    if problems:
        raise InputError(problems)
    # one reader per kind of file (CSV or Parquet), each with its own column types
    groups: dict[bool, list[str]] = {}
    for f in files:
        groups.setdefault(not f.lower().endswith(".parquet"), []).append(f)
    # a CSV is first read with its number columns typed; a file that read refuses is read as text,
    # whose checks name every problem
    plans = [_plan(con, kind, group, csv, typed=csv) for csv, group in sorted(groups.items())]
    if any(p.typed for p in plans):
        try:
            return _import(store, kind, files, found, plans, description, mode)
        except _TypedRefused:
            plans = [_plan(con, kind, group, csv) for csv, group in sorted(groups.items())]
    return _import(store, kind, files, found, plans, description, mode)


class _TypedRefused(Exception):
    """A CSV read with typed number columns failed (a value the reader refused, or a check):
    the load was rolled back and the files are imported again read as text."""


def _import(store, kind, files, found, plans, description, mode) -> ImportReport:
    import duckdb

    con = store.con
    names = _part_names(files)
    # CSV and Parquet FOCUS: the load reads the files once and writes, beside each row, whether a
    # check fails on it (and a CSV's source BilledCost where the store's is another); the checks and
    # the source totals are then read from the new rows (and the lines the load drops) in the load's
    # transaction, and a failed check rolls it back. Parquet CUR (whose load drops lines): one narrow
    # pass per reader before the load (every check, the source totals: only the columns they name)
    early = {id(p): _scan(con, p) for p in plans if not p.in_load}
    checked = [p for p in plans if p.in_load]
    # whether each CUR file carried the net columns (after negotiated discounts): prices from-bill
    # tells rates after your discounts from rates of a file that could not show them
    net = {os.path.abspath(f): cur_has_net_columns(_describe(con, f)) for p in plans for f in p.files}
    state: dict = {}

    def summarise(scans: list[Rows]) -> None:
        scan = [r for sc in scans for r in sc.records()]
        # every row of each file, as the duplicates report counts them (the raw file name the readers give)
        all_rows: dict[str, int] = {}
        for r in scan:
            all_rows[r["file"]] = all_rows.get(r["file"], 0) + int(r["all_rows"])
        state["all_rows"] = all_rows
        # the source's BilledCost per billing period, provider and currency, summed as pandas' groupby sums
        src: dict[tuple, list] = {}
        for r in scan:
            src.setdefault((r["billing_period"], r["ProviderName"], r["BillingCurrency"]), []).append(
                r["source_BilledCost"])
        state["src"] = {k: group_sum_like_pandas(v) for k, v in sorted(src.items(), key=lambda kv: _nulls_last(kv[0]))}
        parts = []
        for r in scan:
            f = os.path.abspath(r["file"])
            if r["rows"] > 0:
                parts.append((names.get(f, os.path.basename(f)), f, r["ProviderName"], r["BillingAccountId"],
                              r["BillingPeriodStart"], int(r["rows"]), found.from_manifest.get(f),
                              net.get(f) if kind == "cur" else None, r["billing_period"]))
        state["parts"] = Rows(PART_COLUMNS + ["billing_period"], parts)

    # the load also writes each row's hash, file and (Parquet) row number, read by the repeated-row
    # check in the same transaction and dropped before it commits; a CSV's load records the lines
    # it drops on the way (_Dropped)
    dropped = {id(p): _Dropped(con, p) for p in plans if p.csv and p.where != "TRUE"}
    # a load of one file writes no file column: the name is the same on every row, and a text
    # column more per row makes DuckDB's load under the memory limit wait for memory on one core
    one_file = len(plans) == 1 and len(plans[0].files) == 1

    def written(p: _Plan) -> str:
        """What the load writes beside a plan's store columns."""
        cols = [f"{_row_hash(p)} AS {HASH_COL}"] + ([] if one_file else [f"filename AS {FILE_COL}"])
        if p.csv:
            cols.append(f"{_row_hash(p, second=True)} AS {HASH2_COL}")
        elif p.hashed is not None:
            # the row number and 24 bits of the second hash (which only tells apart rows that
            # agree on the first's 64) in one column: a column more per row made the load's
            # CREATE TABLE AS under the memory limit run on one core (1.6x the wall time)
            cols.append(f"CAST(file_row_number AS BIGINT) * {1 << _SECOND_BITS} "
                        f"+ CAST({_row_hash(p, second=True)} >> {64 - _SECOND_BITS} AS BIGINT) AS {ROW_COL}")
        else:
            cols.append(f"file_row_number AS {ROW_COL}")
        if p.in_load:
            if not p.billed_is_source:
                cols.append(f"{p.source_billed} AS {SRC_COL}")
            cols.append(f"{_any_bad(p)} AS {BAD_COL}")
            if len(checked) > 1:
                cols.append(f"{checked.index(p)} AS {PLAN_COL}")
        return ", ".join(cols)

    # columns every row of which is a text constant or a copy of another column are not
    # written: the store's view supplies them (each text column written costs about as much as
    # a column of the file read)
    supplied = supplied_columns(plans)
    for p in plans:
        p.supplied = supplied
    selects = [f"SELECT {p.select}, {written(p)} FROM {p.reader} "
               f"WHERE {dropped[id(p)].where() if id(p) in dropped else p.where}" for p in plans]
    union = selects[0] if len(selects) == 1 else " UNION ALL BY NAME ".join(f"({s})" for s in selects)

    # the load's one aggregate over its new rows (which also computes the rollup) groups its totals
    # by the file, the reader and whether the row was checked by the load, and sums the source's
    # BilledCost where the stored one is another, and the rows a check fails on
    # (by file only when the load checks its rows: the figures per file of a CUR 2.0 Parquet load
    # come from its checking scan, and a key more may split the rollup's groups per file)
    group_by = []
    if checked:
        group_by += ([] if one_file else [f"{FILE_COL} AS __costplan_g_file"])
        group_by.append(f"{BAD_COL} IS NOT NULL AS __costplan_g_checked")
        if len(checked) > 1:
            group_by.append(f"{PLAN_COL} AS __costplan_g_plan")
    sums = [f"count(*) FILTER (WHERE {BAD_COL}) AS __costplan_g_bad"] if checked else []
    if any(not p.billed_is_source for p in checked):
        sums.append(f"sum({SRC_COL}) AS __costplan_g_source")

    def inspect(con_, table, figures):
        summarise([early[id(p)] if not p.in_load else
                   _scan(con_, p, table=table, index=checked.index(p) if len(checked) > 1 else None,
                         dropped=dropped.get(id(p)), figures=figures)
                   for p in plans])
        inspect.result = _duplicates(con_, plans, table, state["all_rows"])

    inspect.result = None

    def check(_con, load_id, stored: Rows):
        # the source's and the stored totals side by side (an outer join of the two), missing figures 0
        src = state["src"]
        mine = {r[:3]: r[3:] for r in stored.rows}  # (rows, BilledCost, EffectiveCost)
        merged = []
        for k in sorted(set(src) | set(mine), key=_nulls_last):
            rows, billed, _ = mine.get(k, (0, 0.0, None))
            source = src.get(k, 0.0)
            source = 0.0 if missing(source) else source
            billed = 0.0 if missing(billed) else billed
            # + 0.0: a difference that rounds to zero is 0.0, never -0.0 (which one a sum's last bit would decide)
            merged.append((*k, 0 if missing(rows) else rows, source, billed, round_like_pandas(billed - source, 2) + 0.0))
        bad = [r for r in merged if abs(r[-1]) >= 0.005]
        if bad:
            lines = "; ".join(
                f"{bp} {provider} {currency}: source {source:,.2f}, stored {billed:,.2f}"
                for bp, provider, currency, _, source, billed, _ in bad
            )
            raise CostplanError(f"totals do not match the source files, nothing was imported: {lines}")
        check.result = merged

    try:
        result = store.load_query(
            union,
            kind,
            description=description or f"{kind} import of {len(files)} file(s)",
            check_rows=check,
            parts=lambda: state["parts"].select(PART_COLUMNS),
            mode=mode,
            hidden=HIDDEN,
            inspect=inspect,
            group_by=group_by,
            sums=sums,
            # a CSV's rows need no order: its checks name rows by reading the file again, and its
            # repeated rows are found by hash
            keep_order=not all(p.csv for p in plans),
            supplied=supplied,
        )
    except _ChecksFailed:
        # rolled back: the files are checked again on their own, naming every problem as a check
        # before the load would
        _refused(con, plans, files, "a check failed")
    except duckdb.Error as exc:
        if _environment_failure(exc, store.path):
            raise CostplanError(f"cannot write to the store {store.path}: {_short(exc)}; nothing was imported") from None
        # a file the load could not read: the checking pass names the file as it always did
        _refused(con, plans, files, _short(exc))
    finally:
        _close(dropped)
    totals = Rows(["billing_period", "ProviderName", "BillingCurrency", "rows", "source_BilledCost", "stored_BilledCost",
                   "difference"],
                  [(bp, provider, currency, int(rows), round_like_pandas(source, 2), round_like_pandas(billed, 2), diff)
                   for bp, provider, currency, rows, source, billed, diff in check.result])
    dup = inspect.result
    # the files per billing period, as the report lists them: rows added up per part, path and period
    shown: dict[tuple, int] = {}
    for r in state["parts"].records():
        k = (r["part"], r["path"], r["billing_period"])
        shown[k] = shown.get(k, 0) + r["rows"]
    return ImportReport(
        files,
        result.load_id,
        result.rows_loaded,
        result.rows_replaced,
        totals,
        result.dropped_synthetic,
        mode=mode,
        manifests=[m.path for m in found.manifests],
        ignored=found.ignored,
        duplicates_rows=dup if dup is not None and len(dup) else None,
        parts_rows=Rows(["part", "path", "billing_period", "rows"],
                        [(*k, n) for k, n in sorted(shown.items(), key=lambda kv: _nulls_last(kv[0]))]),
    )


#: The columns of a load's parts (:meth:`Store.load_query`).
PART_COLUMNS = ["part", "path", "ProviderName", "BillingAccountId", "BillingPeriodStart", "rows", "manifest", "net_costs"]


def _nulls_last(key: tuple) -> tuple:
    """A sort key putting None after every value, as pandas sorts a missing key."""
    return tuple((v is None, v if v is not None else "") for v in key)


def _refused(con, plans: list[_Plan], files: Sequence[str], reason: str) -> NoReturn:
    """After a load was rolled back: a typed read is refused (the caller imports the files again
    as text); otherwise the files checked in the load are scanned on their own, which names every
    problem, and failing that the import is refused for ``reason``."""
    if any(p.typed for p in plans):
        raise _TypedRefused() from None
    for p in plans:
        if p.in_load:
            _scan(con, p)
    raise InputError(f"cannot import {', '.join(files)}: {reason}") from None


def _close(dropped: dict) -> None:
    for d in dropped.values():
        d.close()
    dropped.clear()


def _checks(plan: _Plan) -> list[_Check]:
    return list(dict.fromkeys(plan.cols.checks))  # a column typed twice is checked (and reported) once


def _any_bad(plan: _Plan) -> str:
    """SQL true for a row on which any check fails (each condition once)."""
    bad = dict.fromkeys(ck.bad for ck in plan.cols.checks)
    return "coalesce(" + " OR ".join(f"({b})" for b in bad) + ", false)" if bad else "false"


def _scan(con, plan: _Plan, table: str | None = None, index: int | None = None,
          dropped: _Dropped | None = None, figures: str | None = None) -> Rows:
    """One pass over the files, reading only the columns the checks and the totals name: every
    check, and per file, billing period, provider, account and currency the rows kept, the
    source's BilledCost and every row (``all_rows``, kept or dropped). Raises
    :class:`InputError` with every failed check (file, row, column, an example and what would
    be valid).

    With ``table`` (the load of a CSV or of Parquet FOCUS, in its transaction): the same figures
    from the new rows, which the load wrote with the column :data:`BAD_COL` (and, unless the
    stored BilledCost is the source's, :data:`SRC_COL`) beside them, and from the lines the load
    dropped (``dropped``, as the load recorded them); a failed check raises :class:`_ChecksFailed`
    (the caller rolls back and scans the files themselves for the problems). ``index``: the
    plan's :data:`PLAN_COL` when the load checked several readers. ``figures``: the load's
    totals of the new rows (:meth:`Store.load_query`), grouped by what :func:`_import` asked,
    read instead of the new rows themselves."""
    import duckdb

    e = plan.exprs
    if table is not None:
        have = _table_columns(con, table)

        def col(name: str) -> str:
            # a column the load left out holds a constant (or NULL): the expression gives it
            return f'"{name}"' if name in have else e[name]

        keys = DROPPED_KEYS
        if figures is not None:
            # the totals the load aggregated with its rollup: the new rows are not read again
            mine = "__costplan_g_checked" + (f" AND __costplan_g_plan = {int(index)}" if index is not None else "")
            file = "__costplan_g_file" if FILE_COL in have else _lit(str(plan.files[0]))
            src = '"BilledCost"' if plan.billed_is_source else "__costplan_g_source"
            kept = (f"SELECT {file} AS file, {', '.join(f'__costplan_{k} AS {k}' for k in keys)}, "
                    f"CAST(sum(x_Rows) AS BIGINT) AS rows, sum({src}) AS source_BilledCost, "
                    f"CAST(sum(x_Rows) AS BIGINT) AS all_rows, CAST(sum(__costplan_g_bad) AS BIGINT) AS bad "
                    f"FROM {figures} WHERE {mine} GROUP BY ALL")
        else:
            src = '"BilledCost"' if plan.billed_is_source else SRC_COL
            mine = f"{BAD_COL} IS NOT NULL" + (f" AND {PLAN_COL} = {int(index)}" if index is not None else "")
            file = FILE_COL if FILE_COL in have else _lit(str(plan.files[0]))
            kept = (f"SELECT {file} AS file, {', '.join(f'{col(k)} AS {k}' for k in keys)}, count(*) AS rows, "
                    f"sum({src}) AS source_BilledCost, count(*) AS all_rows, "
                    f"count(*) FILTER (WHERE {BAD_COL}) AS bad FROM {table} WHERE {mine} GROUP BY ALL")
        params: list = []
        if plan.where != "TRUE":
            # the lines the load drops (CUR's SavingsPlanNegation) count towards the source and are
            # checked too: the load recorded them (_Dropped, added up per file and keys); without that
            # record, one more pass over the file, only they projected past its filter
            if dropped is not None:
                recorded, params = dropped.relation()
                lost = (f"SELECT file, {', '.join(keys)}, 0 AS rows, sum(source_BilledCost) AS source_BilledCost, "
                        f"sum(lines) AS all_rows, sum(bad) AS bad FROM {recorded} GROUP BY ALL")
            else:
                lines = (f"SELECT filename AS file, {', '.join(f'{e[k]} AS {k}' for k in keys)}, "
                         f"{plan.source_billed} AS source_BilledCost, {_any_bad(plan)} AS bad "
                         f"FROM {plan.reader} WHERE NOT coalesce({plan.where}, false)")
                lost = (f"SELECT file, {', '.join(keys)}, 0 AS rows, sum(source_BilledCost) AS source_BilledCost, "
                        f"count(*) AS all_rows, count(*) FILTER (WHERE bad) AS bad FROM ({lines}) GROUP BY ALL")
            kept = (f"SELECT file, {', '.join(keys)}, CAST(sum(rows) AS BIGINT) AS rows, "
                    "sum(source_BilledCost) AS source_BilledCost, CAST(sum(all_rows) AS BIGINT) AS all_rows, "
                    f"CAST(sum(bad) AS BIGINT) AS bad FROM ({kept} UNION ALL {lost}) GROUP BY ALL")
        found = Rows.from_result(con.execute(kept, params))
        if found.sum("bad"):
            raise _ChecksFailed()
        return _scanned(found.drop(["bad"]))
    checks = _checks(plan)
    bad_counts = "".join(f", count(*) FILTER (WHERE {ck.bad}) AS bad_{i}" for i, ck in enumerate(checks))
    sql = f"""SELECT filename AS file, {e['BillingPeriodStart']} AS BillingPeriodStart,
                     {e['ProviderName']} AS ProviderName, {e['BillingAccountId']} AS BillingAccountId,
                     {e['BillingCurrency']} AS BillingCurrency,
                     count(*) FILTER (WHERE {plan.where}) AS rows, sum({plan.source_billed}) AS source_BilledCost,
                     count(*) AS all_rows
                     {bad_counts}
              FROM {plan.reader} GROUP BY ALL"""
    try:
        found = Rows.from_result(con.execute(sql))
    except duckdb.Error as exc:
        raise InputError([Problem(f"cannot read: {_short(exc)}", file=", ".join(plan.files))]) from None
    problems = []
    for i, ck in enumerate(checks):
        n = int(found.sum(f"bad_{i}"))
        if not n:
            continue
        problems.append(_example(con, plan, ck, n))
    if problems:
        raise InputError(problems)
    return _scanned(found.drop([c for c in found.columns if c.startswith("bad_")]))


def _scanned(rows: Rows) -> Rows:
    """The scan's rows with their ``billing_period`` (``YYYY-MM``) and a missing provider AWS."""
    rows = rows.map_column("ProviderName", lambda v: "AWS" if missing(v) else v)
    i = rows.columns.index("BillingPeriodStart")
    return Rows(rows.columns + ["billing_period"],
                [(*r, None if r[i] is None else r[i].strftime("%Y-%m")) for r in rows.rows])


def _example(con, plan: _Plan, ck: _Check, n: int) -> Problem:
    """The first bad value of a check, with its file and row number."""
    row = None
    if not plan.csv:
        f, value, row = con.execute(
            f"""SELECT filename, CAST({ck.raw} AS VARCHAR), file_row_number + 1 FROM {plan.reader}
                WHERE {ck.bad} ORDER BY filename, file_row_number LIMIT 1"""
        ).fetchall()[0]
    else:
        f, value = con.execute(
            f"SELECT filename, CAST({ck.raw} AS VARCHAR) FROM {plan.reader} WHERE {ck.bad} LIMIT 1"
        ).fetchall()[0]
        try:
            one = f"(SELECT * FROM {plan.reader} WHERE filename = {_lit(f)})"
            row = con.execute(
                f"SELECT __row FROM (SELECT row_number() OVER () AS __row, * FROM {one}) WHERE {ck.bad} LIMIT 1"
            ).fetchall()[0][0]
        except Exception:  # noqa: BLE001 - the row number is a courtesy; the file and value are named anyway
            row = None
    where = f"row {row}" + (f" (line {row + 1})" if plan.csv and row else "") if row else None
    shown = value if value is None or len(value) <= 60 else value[:57] + "..."
    more = f"{n} value(s) are {ck.what}" if n > 1 else f"the value is {ck.what}"
    return Problem(
        f"{more}, e.g. {shown!r}" + (f" at {where}" if where else ""),
        file=f,
        location=ck.source_col,
        hint=ck.hint,
    )


def _row_hash(plan: _Plan, *, second: bool = False) -> str:
    """A hash of a source row: its file and every flat column. It leaves out nested columns
    (CUR 2.0's product and resource_tags maps: costly to hash); rows of one hash are then
    compared whole (:func:`_duplicates`). A FOCUS Parquet reader hashes instead the columns its
    load reads anyway (:attr:`_Plan.hashed`, its Tags map included): reading the others only
    to hash them cost more than comparing the few rows that agree on these. ``second``: the
    same values in reverse order after another seed, a hash independent of the first (written
    by a CSV's load and a FOCUS Parquet one's: rows agreeing on both agree on those values)."""
    types = plan.cols.types
    if plan.hashed is not None:
        flat = [f'"{c}"' for c in plan.hashed]
    else:
        flat = [f'"{c}"' for c in types if not types[c].startswith(("MAP", "STRUCT")) and "[]" not in types[c]]
    values = ["filename", *flat]
    if plan.csv or plan.hashed is not None:
        # the two hashes combine the same per-value hashes (DuckDB's hash of several values
        # hashes each value, then combines): each value is hashed once, as ``hash(value)``, a
        # subexpression the two share, and each hash combines those in its own order and seed.
        # They are as independent as when each hashed the values itself: a value's hash was the
        # same in both then too
        values = [f"hash({v})" for v in values]
    if second:
        return "hash(" + ", ".join(["'costplan-second-hash'", *values[::-1]]) + ")"
    return "hash(" + ", ".join(values) + ")"


#: Bits of a FOCUS Parquet row's second hash kept beside its row number (:func:`_import`).
_SECOND_BITS = 24
#: Up to this many candidate rows of a file are named in the SQL (a pruned read of their row
#: groups); beyond it they are passed as a list.
_MAX_INLINE_ROWS = 20_000


def _duplicates(con, plans: list[_Plan], table: str, all_rows: dict[str, int]) -> Rows:
    """Files in which some rows repeat another row exactly: ``file``, ``rows`` (every row of
    the file), ``repeated_rows`` (copies beyond the first).

    The load wrote each row's hash (:func:`_row_hash`) and file beside it in ``table``; the
    hashes that repeat there (usually none or a few) name the candidate rows, which are then
    read again from the source by their row number (Parquet: only their row groups are read)
    and compared whole, maps included. A FOCUS Parquet load wrote a second hash of the values
    the first covers (:data:`HASH2_COL`, the columns it reads): its candidates are compared on
    both, and only the file's other columns are read again. A CSV has no row numbers and no
    nested columns: its rows are compared by a second, independent hash of every column the
    load wrote too (:data:`HASH2_COL`), so a CSV is never parsed a third time; a load of CSV
    files only counts the copies by the pair of hashes in one aggregate. Rows the load drops
    (CUR's SavingsPlanNegation lines) are not in ``table`` and not compared."""
    cols = ["file", "rows", "repeated_rows"]
    have = _table_columns(con, table)  # one look-up of the catalog (each costs a few ms)
    if HASH_COL not in have:
        return Rows(cols, [])
    row = ROW_COL if ROW_COL in have else "NULL::BIGINT"
    second = HASH2_COL if HASH2_COL in have else "NULL::UBIGINT"
    # a load of one file wrote no file column (:func:`_import`)
    file = FILE_COL if FILE_COL in have else _lit(str(plans[0].files[0]))
    if all(p.csv for p in plans) and second == HASH2_COL:
        # CSV only: rows agreeing on both hashes are equal, so the copies are counted by the pair
        # in one aggregate (no candidate rows to collect first)
        # a load of one file groups by the two hashes alone: its file's name, the same text on
        # every row, as a third key cost about half as much again as the two hashes
        by = f"{FILE_COL}, " if file == FILE_COL else ""
        counted = con.execute(
            f"""SELECT {"f" if by else file}, CAST(sum(n - 1) AS BIGINT) FROM (
                    SELECT {f"{FILE_COL} AS f, " if by else ""}count(*) AS n FROM {table}
                    GROUP BY {by}{HASH_COL}, {HASH2_COL} HAVING count(*) > 1)
                {"GROUP BY f ORDER BY f" if by else "HAVING count(*) > 0"}"""
        ).fetchall()
        return Rows(
            cols,
            [(os.path.abspath(f), int(all_rows.get(f, 0)), int(n))
             for f, n in counted if n and any(os.path.abspath(f) in {os.path.abspath(x) for x in p.files}
                                              for p in plans if p.cols.types)])
    cand = con.execute(
        f"""SELECT {file}, list({HASH_COL}), list({row}), list({second}) FROM {table}
            WHERE {HASH_COL} IN (SELECT {HASH_COL} FROM {table} GROUP BY 1 HAVING count(*) > 1)
            GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    out = []
    for f, hashes, rows, seconds in cand:
        plan = next((p for p in plans if os.path.abspath(f) in {os.path.abspath(x) for x in p.files}), None)
        if plan is None or not plan.cols.types:
            continue
        if plan.csv:
            # every column of a CSV is flat text: rows agreeing on both hashes are equal
            copies = Counter(zip(hashes, seconds, strict=True))
            repeated = sum(n - 1 for n in copies.values())
            if repeated:
                out.append((os.path.abspath(f), int(all_rows.get(f, 0)), int(repeated)))
            continue
        paired = plan.hashed is not None
        if paired:  # the row number and the second hash were written in one column
            rows, seconds = [r >> _SECOND_BITS for r in rows], [r & ((1 << _SECOND_BITS) - 1) for r in rows]
        # a FOCUS Parquet load wrote both hashes of the columns it reads: candidates agreeing on
        # both agree on those, and only the file's other columns are read again and compared
        # (the columns read for the store hold most of the pages a candidate's row group decodes)
        others = [c for c in plan.cols.types if c not in plan.hashed] if paired else list(plan.cols.types)
        if paired and not others:
            copies = Counter(zip(hashes, seconds, strict=True))
            repeated = sum(n - 1 for n in copies.values())
            if repeated:
                out.append((os.path.abspath(f), int(all_rows.get(f, 0)), int(repeated)))
            continue
        collist = ", ".join(f'"{c}"' for c in others)
        params: list = []
        if len(rows) <= _MAX_INLINE_ROWS:
            keep = f"file_row_number IN ({', '.join(str(int(r)) for r in sorted(rows))})"
        else:
            keep = "list_contains(?, file_row_number)"
            params.append(sorted(int(r) for r in rows))
        if paired:
            source = (f"(SELECT file_row_number AS __costplan_r, {collist} FROM {plan.reader} "
                      f"WHERE filename = {_lit(f)} AND {keep}) "
                      "JOIN (SELECT unnest(?::BIGINT[]) AS __costplan_r, unnest(?::UBIGINT[]) AS __costplan_h1, "
                      "unnest(?::UBIGINT[]) AS __costplan_h2) USING (__costplan_r)")
            params += [[int(r) for r in rows], [int(h) for h in hashes], [int(h) for h in seconds]]
            collist = f"__costplan_h1, __costplan_h2, {collist}"
        else:
            source = f"{plan.reader} WHERE filename = {_lit(f)} AND {keep}"
        repeated = con.execute(
            f"""SELECT coalesce(sum(n - 1), 0) FROM (
                    SELECT count(*) AS n FROM {source}
                    GROUP BY {collist} HAVING count(*) > 1)""",
            params,
        ).fetchall()[0][0]
        if repeated:
            out.append((os.path.abspath(f), int(all_rows.get(f, 0)), int(repeated)))
    return Rows(cols, out)


def _table_columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
