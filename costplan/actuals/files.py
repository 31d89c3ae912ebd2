"""Import FOCUS 1.0/1.1/1.2 files and AWS CUR 2.0 Parquet into the store.

Files are streamed by DuckDB (``read_parquet`` / ``read_csv``), never loaded whole into
pandas. Each import is checked before anything is written: every file must have the required
columns, every date and number must parse; the problems of all files are reported at once.
The load itself is one store transaction, and before it commits the totals per billing period
and provider are compared with the source files to the cent.

FOCUS rows are kept as the specification defines them, so summing EffectiveCost gives
amortised spend and summing BilledCost gives the invoice: commitment purchases carry
EffectiveCost 0 (their cost is amortised into the covered usage rows), unused commitment is a
Usage row with CommitmentDiscountStatus ``Unused``, credits are negative ``Credit`` rows,
refunds and corrections have ChargeClass ``Correction``, taxes are ``Tax`` rows.

CUR 2.0 line items are mapped to the same columns (:data:`CUR_MAPPING_DOC` and
``docs/actuals.md``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.actuals import schema
from costplan.errors import CostplanError, InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

    from costplan.actuals.store import Store

SUFFIXES = (".parquet", ".csv", ".csv.gz")
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

#: Product codes -> FOCUS ServiceName, used when a CUR has no product name.
PRODUCT_NAMES = {
    "AmazonEC2": "Amazon Elastic Compute Cloud",
    "AmazonEKS": "Amazon Elastic Kubernetes Service",
    "AmazonRDS": "Amazon Relational Database Service",
    "AmazonElastiCache": "Amazon ElastiCache",
    "AmazonS3": "Amazon Simple Storage Service",
    "AWSELB": "Elastic Load Balancing",
    "AmazonRoute53": "Amazon Route 53",
    "AmazonCloudWatch": "Amazon CloudWatch",
    "AWSXRay": "AWS X-Ray",
    "awswaf": "AWS WAF",
    "AWSConfig": "AWS Config",
    "AWSCloudTrail": "AWS CloudTrail",
    "awskms": "AWS Key Management Service",
    "AmazonVPC": "Amazon Virtual Private Cloud",
    "AWSDataTransfer": "AWS Data Transfer",
    "ComputeSavingsPlans": "Savings Plans for AWS Compute usage",
}

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


@dataclass
class ImportReport:
    """One import: which files, what was loaded, and the totals check."""

    files: list[str]
    load_id: int
    rows_loaded: int
    rows_replaced: int
    totals: pd.DataFrame
    """Per billing period and provider: rows, source and stored BilledCost [USD] and their
    difference (0.00 when the check passed)."""
    dropped_synthetic: int = 0
    """Rows of the synthetic sample removed from the store (real data is never mixed with it)."""


# -- discovering files ----------------------------------------------------------------------
def expand_paths(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Files named, found in folders (recursively) or matched by globs; sorted, unique."""
    found: list[str] = []
    problems = []
    for p in paths:
        s = str(p)
        if any(ch in s for ch in "*?["):
            hits = [h for h in glob.glob(s, recursive=True) if os.path.isfile(h)]
            if not hits:
                problems.append(Problem("no file matches this pattern", file=s))
            found += hits
        elif os.path.isdir(s):
            hits = [str(f) for f in Path(s).rglob("*") if f.is_file() and f.name.lower().endswith(SUFFIXES)]
            if not hits:
                problems.append(Problem(f"no {', '.join(SUFFIXES)} file in this folder", file=s))
            found += hits
        elif os.path.isfile(s):
            found.append(s)
        else:
            problems.append(Problem("no such file or folder", file=s))
    for f in found:
        if not f.lower().endswith(SUFFIXES):
            problems.append(Problem(f"unsupported file type; expected one of {', '.join(SUFFIXES)}", file=f))
    if problems:
        raise InputError(problems)
    return sorted(set(os.path.abspath(f) for f in found))


def _lit(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _reader(files: Sequence[str], *, extra: str = "") -> str:
    lst = "[" + ", ".join(_lit(f) for f in files) + "]"
    if all(f.lower().endswith(".parquet") for f in files):
        return f"read_parquet({lst}, union_by_name = true{extra})"
    return (
        f"read_csv({lst}, header = true, all_varchar = true, union_by_name = true, "
        f"nullstr = ['NULL', ''], compression = 'auto'{extra})"
    )


def _describe(con: duckdb.DuckDBPyConnection, f: str) -> dict[str, str]:
    import duckdb

    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {_reader([f])}").fetchall()
    except duckdb.Error as exc:
        raise InputError(Problem(f"cannot read the file: {_short(exc)}", file=f)) from None
    return {r[0]: r[1] for r in rows}


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


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- column expressions ------------------------------------------------------------------------
class _Cols:
    """Source column lookups and typed, NULL-string-aware expressions for one file set."""

    def __init__(self, types: dict[str, str], csv: bool = False):
        self.types = types
        self.csv = csv
        self.lower = {c.lower(): c for c in types}
        self.checks: list[tuple[str, str, str]] = []  # (store column, raw expr, cast expr)

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
            # CSV readers already turn NULL and empty fields into NULL (nullstr)
            return f"NULLIF({q}, 'NULL')"
        return q

    def text(self, *candidates: str) -> str:
        col = self.name(*candidates)
        if col is None:
            return "NULL::VARCHAR"
        t = self.types[col]
        if t.startswith("MAP") or t.startswith("STRUCT"):
            return f'CAST(to_json("{col}") AS VARCHAR)'
        return f"CAST({self.raw(col)} AS VARCHAR)"

    def typed(self, target: str, store_col: str, *candidates: str) -> str:
        col = self.name(*candidates)
        if col is None:
            return f"NULL::{target}"
        t = self.types[col]
        raw = self.raw(col)
        if target == "TIMESTAMP":
            if t == "TIMESTAMP":
                return raw
            if t.startswith("TIMESTAMP") or t == "DATE":
                return f"CAST({raw} AS TIMESTAMP)"
            expr = f"CAST(try_cast({raw} AS TIMESTAMPTZ) AS TIMESTAMP)"
        else:  # DOUBLE
            if t in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT") or t.startswith(
                "DECIMAL"
            ):
                return f"CAST({raw} AS DOUBLE)"  # inf / NaN in typed amounts: the totals check refuses them
            # text: 'inf' and 'NaN' are not amounts, refused like any other bad number
            expr = f"CASE WHEN isfinite(try_cast({raw} AS DOUBLE)) THEN try_cast({raw} AS DOUBLE) END"
        self.checks.append((store_col, raw, expr))
        return expr


def focus_select(types: dict[str, str], csv: bool = False) -> tuple[str, _Cols]:
    """SELECT list mapping FOCUS source columns to store columns."""
    c = _Cols(types, csv)
    exprs: dict[str, str] = {}
    for col, t in schema.COLUMNS:
        if col in ("x_Source", "x_LoadId"):
            continue
        names = FOCUS_ALIASES.get(col, (col,))
        if t in ("TIMESTAMP", "DOUBLE"):
            exprs[col] = c.typed(t, col, *names)
        elif t == "BOOLEAN":
            n = c.name(col)
            exprs[col] = f"coalesce(try_cast({c.raw(n)} AS BOOLEAN), false)" if n else "false"
        else:
            exprs[col] = c.text(*names)
    if c.name("BillingPeriodEnd") is None:
        exprs["BillingPeriodEnd"] = f"({exprs['BillingPeriodStart']} + INTERVAL 1 MONTH)"
    exprs["ProviderName"] = f"coalesce({exprs['ProviderName']}, 'AWS')"
    status = c.name("x_ChargeStatus")
    invoice = c.name("InvoiceId")
    if status:
        exprs["x_ChargeStatus"] = f"coalesce({c.raw(status)}, 'Final')"
    elif invoice:
        exprs["x_ChargeStatus"] = f"CASE WHEN {c.raw(invoice)} IS NULL THEN 'Estimated' ELSE 'Final' END"
    else:
        exprs["x_ChargeStatus"] = "'Final'"
    return _select_list(exprs), c


def _select_list(exprs: dict[str, str]) -> str:
    """The SELECT list, leaving out columns that would only hold NULL or the store's default
    (the view ``cost_rows`` supplies those; writing them per row would slow the load)."""
    keep = {
        k: e
        for k, e in exprs.items()
        if not str(e).startswith("NULL::") and str(e) != "NULL" and schema.DEFAULTS.get(k) != e
    }
    return ", ".join(f'{e} AS "{k}"' for k, e in keep.items())


def cur_select(types: dict[str, str]) -> tuple[str, _Cols, str]:
    """SELECT list mapping CUR 2.0 columns to store columns, and the WHERE that drops
    SavingsPlanNegation rows."""
    c = _Cols(types)
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
        c.text("product_region_code")
        if n("product_region_code")
        else (
            f"CAST(\"{product}\"['region'] AS VARCHAR)"
            if product and types[product].startswith("MAP")
            else "NULL"
        )
    )
    invoice = n("bill_invoice_id")
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
        "x_UsageType": usage_type,
        "x_ChargeStatus": f"CASE WHEN {c.raw(invoice)} IS NULL THEN 'Estimated' ELSE 'Final' END"
        if invoice
        else "'Final'",
        "x_Synthetic": "false",
    }
    if exprs["BillingPeriodEnd"] is None:
        exprs["BillingPeriodEnd"] = f"({exprs['BillingPeriodStart']} + INTERVAL 1 MONTH)"
    where = f"{typ} <> 'SavingsPlanNegation'"
    return _select_list(exprs), c, where


# -- the import --------------------------------------------------------------------------------
def import_files(
    store: Store,
    kind: str,
    paths: Sequence[str | os.PathLike],
    *,
    description: str | None = None,
) -> ImportReport:
    """Import FOCUS (``kind='focus'``) or CUR 2.0 (``kind='cur'``) files into ``store``.

    Raises :class:`InputError` naming every file and column that is wrong; the store is left
    unchanged then. Rows of earlier imports of the same provider, billing account, billing
    period and charge day are replaced, so importing a file twice counts it once.
    """
    import duckdb

    if kind not in ("focus", "cur"):
        raise InputError(f"unknown import kind {kind!r}; valid: focus, cur")
    files = expand_paths(paths)
    con = store.con
    required = FOCUS_REQUIRED if kind == "focus" else CUR_REQUIRED
    problems: list[Problem] = []
    all_types: dict[str, str] = {}
    for f in files:
        if kind == "cur" and not f.lower().endswith(".parquet"):
            problems.append(Problem("CUR 2.0 is read from Parquet only", file=f))
            continue
        what = "FOCUS" if kind == "focus" else "CUR 2.0"
        if _is_empty(f):
            problems.append(Problem(f"the file is empty; expected a {what} export with a header line", file=f))
            continue
        try:
            types = _describe(con, f)
        except InputError as exc:
            problems += exc.problems
            continue
        lookup = {k.lower() for k in types}
        missing = [col for col in required
                   if not any(n.lower() in lookup for n in (FOCUS_ALIASES.get(col, (col,)) if kind == "focus" else (col,)))]
        if missing:  # one problem per file, naming every missing column
            found = ", ".join(list(types)[:8]) + (", ..." if len(types) > 8 else "")
            problems.append(Problem(
                f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (found: {found})",
                file=f, hint=f"a {what} file needs {', '.join(required)}; is it truncated, or another export?"))
        for k, t in types.items():
            all_types.setdefault(k, t)
    if problems:
        raise InputError(problems)
    # mixed types across files (e.g. CSV and Parquet): read each group through one reader
    groups = {}
    for f in files:
        groups.setdefault(f.lower().endswith(".parquet"), []).append(f)
    selects = []
    source_totals = []
    for is_parquet, group in sorted(groups.items()):
        types = {}
        for f in group:
            for k, t in _describe(con, f).items():
                types.setdefault(k, t)
        if kind == "focus":
            select, cols = focus_select(types, csv=not is_parquet)
            where = "TRUE"
        else:
            select, cols, where = cur_select(types)
        reader = _reader(group, extra=", filename = true")
        _validate(con, reader, cols, group)
        selects.append(f"SELECT {select} FROM {reader} WHERE {where}")
        source_totals.append(_source_totals(con, reader, kind, cols))
    import pandas as pd

    src = pd.concat(source_totals).groupby(["billing_period", "ProviderName"], as_index=False).sum()
    union = selects[0] if len(selects) == 1 else " UNION ALL BY NAME ".join(f"({s})" for s in selects)

    def check(con_, load_id, stored):
        import numpy as np

        money = stored[["BilledCost", "EffectiveCost"]].to_numpy(dtype=float)
        if not np.isfinite(money).all():  # a typed (Parquet) amount that is inf or NaN
            bad = stored.loc[~np.isfinite(money).all(axis=1), "billing_period"].astype(str)
            raise InputError(f"cannot import {', '.join(files)}: BilledCost or EffectiveCost of "
                             f"{', '.join(sorted(set(bad)))} is not a finite number (inf or NaN in the files); "
                             "nothing was imported")
        stored = stored.rename(
            columns={"BilledCost": "stored_BilledCost", "EffectiveCost": "stored_EffectiveCost"}
        )
        merged = src.merge(stored, on=["billing_period", "ProviderName"], how="outer")
        for col in ("source_BilledCost", "stored_BilledCost", "rows"):
            merged[col] = merged[col].fillna(0)
        merged["difference"] = (merged["stored_BilledCost"] - merged["source_BilledCost"]).round(2)
        bad = merged[merged["difference"].abs() >= 0.005]
        if len(bad):
            lines = "; ".join(
                f"{r.billing_period} {r.ProviderName}: source {r.source_BilledCost:,.2f}, stored {r.stored_BilledCost:,.2f}"
                for r in bad.itertuples()
            )
            raise CostplanError(f"totals do not match the source files, nothing was imported: {lines}")
        check.result = merged

    try:
        result = store.load_query(
            union, kind, description=description or f"{kind} import of {len(files)} file(s)", check=check
        )
    except duckdb.Error as exc:
        if _environment_failure(exc, store.path):
            raise CostplanError(f"cannot write to the store {store.path}: {_short(exc)}; nothing was imported") from None
        raise InputError(f"cannot import {', '.join(files)}: {_short(exc)}") from None
    totals = check.result.sort_values(["billing_period", "ProviderName"]).reset_index(drop=True)
    totals = totals[
        ["billing_period", "ProviderName", "rows", "source_BilledCost", "stored_BilledCost", "difference"]
    ].round({"source_BilledCost": 2, "stored_BilledCost": 2})
    return ImportReport(
        files, result.load_id, result.rows_loaded, result.rows_replaced, totals, result.dropped_synthetic
    )


def _validate(con, reader: str, cols: _Cols, files: list[str]) -> None:
    """Every date and number must parse; report each bad column with a file and an example."""
    import duckdb

    checks = [(col, raw, expr) for col, raw, expr in cols.checks]
    if not checks:
        # typed Parquet columns cannot hold a bad value; still read the files once so a
        # truncated file fails here rather than half-way through the load
        checks = []
    counts = (
        ", ".join(f"count(*) FILTER (WHERE {raw} IS NOT NULL AND {expr} IS NULL)" for _, raw, expr in checks)
        or "count(*)"
    )
    try:
        row = con.execute(f"SELECT {counts} FROM {reader}").fetchall()[0]
    except duckdb.Error as exc:
        raise InputError([Problem(f"cannot read: {_short(exc)}", file=", ".join(files))]) from None
    if not checks:
        return
    problems = []
    for (col, raw, expr), n in zip(checks, row, strict=True):
        if not n:
            continue
        ex = con.execute(
            f"SELECT filename, CAST({raw} AS VARCHAR) FROM {reader} WHERE {raw} IS NOT NULL AND {expr} IS NULL LIMIT 1"
        ).fetchall()[0]
        kind = "date" if schema.COLUMN_TYPES[col] == "TIMESTAMP" else "number"
        problems.append(
            Problem(
                f"{n} value(s) are not a valid {kind}, e.g. {ex[1]!r}",
                file=ex[0],
                location=col,
                hint="use ISO 8601 (2026-01-31T00:00:00Z)"
                if kind == "date"
                else "use a plain decimal number",
            )
        )
    if problems:
        raise InputError(problems)


def _source_totals(con, reader: str, kind: str, cols: _Cols) -> pd.DataFrame:
    """Per billing period and provider, the BilledCost the source files hold [USD]."""
    import pandas as pd

    if kind == "focus":
        period = cols.typed("TIMESTAMP", "BillingPeriodStart", "BillingPeriodStart")
        billed = cols.typed("DOUBLE", "BilledCost", "BilledCost")
        provider = f"coalesce({cols.text('ProviderName', 'ServiceProviderName')}, 'AWS')"
    else:
        period = cols.typed("TIMESTAMP", "BillingPeriodStart", "bill_billing_period_start_date")
        billed = cols.typed("DOUBLE", "BilledCost", "line_item_unblended_cost")
        provider = "'AWS'"
    df = con.execute(
        f"""SELECT {period} AS period, {provider} AS ProviderName, sum({billed}) AS source_BilledCost
            FROM {reader} GROUP BY ALL"""
    ).df()
    df.insert(0, "billing_period", pd.to_datetime(df.pop("period")).dt.strftime("%Y-%m"))
    return df
