"""Plan and actual in one vocabulary: an estimate or a projection written as FOCUS rows.

``costplan estimate --format focus`` and ``costplan project --format focus`` write the plan as a
FOCUS 1.2 dataset (CSV), the same columns a FOCUS export of the bill has, so plan and bill
load into the same tools. Every row carries ``x_CostplanPlan = true``: it is a planned cost,
not a charge (FOCUS reserves the ``x_`` prefix for such extensions). The mapping:

- each priced line is a ``Usage`` row (ChargeFrequency ``Usage-Based``, or ``Recurring`` for
  per-month items): ListCost = ContractedCost = BilledCost = EffectiveCost = the line's monthly
  cost at list prices [USD], PricingQuantity / PricingUnit / ListUnitPrice as priced;
- a commitment (Savings Plan, reserved instance) is written as FOCUS writes commitments on a
  bill: its fee a ``Purchase`` row (BilledCost the fee, EffectiveCost 0: amortised into the
  usage it covers), the usage it covers ``Usage`` rows with PricingCategory ``Committed``,
  CommitmentDiscountStatus ``Used``, BilledCost 0 and EffectiveCost their share of the used
  commitment, and any commitment left unused a ``Usage`` row with status ``Unused``. The covered
  usage is taken from the eligible on-demand instance-hour lines in proportion to their cost
  (the estimate does not say line by line which hours a Savings Plan covers), so each line's
  on-demand row keeps the rest. Summing EffectiveCost gives the plan's total after
  commitments, as summing EffectiveCost of a bill gives amortised spend;
- a projection writes one such set of rows per projected month (ChargePeriod the month), at
  the median path (p50), with ``x_CostplanLow`` / ``x_CostplanHigh`` the p10 / p90 of each
  line [USD].

Extension columns: ``x_CostplanPlan`` (always true), ``x_CostplanComponent`` (the stack
component), ``x_CostplanComponentKind``, ``x_CostplanStack`` (the stack's name),
``x_CostplanPriceSource`` (where the price came from), and for projections
``x_CostplanLow`` / ``x_CostplanHigh``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from costplan.components.products import PRODUCTS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FOCUS_VERSION = "1.2"
PROVIDER = "AWS"
PLAN_ACCOUNT = "costplan-plan"

#: The FOCUS 1.2 columns written, in the specification's order.
COLUMNS = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedQuantity",
    "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
    "InvoiceId", "RegionId", "RegionName", "ServiceCategory", "ServiceName", "ServiceSubcategory",
    "x_CostplanPlan", "x_CostplanStack", "x_CostplanComponent", "x_CostplanComponentKind", "x_CostplanPriceSource",
]

#: FOCUS 1.2 ServiceCategory and ServiceSubcategory of each service (one of each per
#: ServiceName, as the specification asks): a view of the products table.
SERVICE_CATEGORY = {
    name: (p.category, p.subcategory) for p in PRODUCTS.values() for name in (p.name, p.bill_name)
}
#: The catalog's pricing units in FOCUS Unit Format (``GB-Mo`` -> ``GB-Months``, ``1M queries``
#: -> ``1000000 Queries``); others are derived by the same rules in :func:`focus_unit`.
UNITS = {"Hrs": "Hours", "GB-Mo": "GB-Months", "GB": "GB", "LCU-Hrs": "LCU-Hours", "vCPU-Hrs": "vCPU-Hours",
         "USD": "USD"}


def focus_unit(unit: str | None) -> str | None:
    """A pricing unit in FOCUS Unit Format: plural nouns capitalised, ``<unit>-<time units>``
    for per-time units, a whole-number quantity before the noun."""
    import re

    if unit is None or unit in UNITS:
        return UNITS.get(unit, unit)
    m = re.fullmatch(r"(\d+)([KM]?)\s+(\w+)", unit)
    if m:
        n = int(m[1]) * {"": 1, "K": 1000, "M": 1_000_000}[m[2]]
        noun = m[3][:1].upper() + m[3][1:]
        return f"{n} {noun if noun.endswith('s') else noun + 's'}"
    m = re.fullmatch(r"(\w+?)s?-Mo", unit)
    if m:
        return f"{m[1][:1].upper() + m[1][1:]}-Months"
    return unit[:1].upper() + unit[1:]


#: Pricing units billed per month (a recurring charge) rather than per use.
MONTHLY_UNITS = ("GB-Mo", "Keys-Mo", "Zone-Mo", "Checks-Mo", "IOPS-Mo", "MiBps-Mo")
from costplan.regions import REGION_NAMES as _REGION_NAMES  # noqa: E402


def _month(month: str | dt.date | None) -> dt.date:
    if month is None:
        today = dt.datetime.now(dt.UTC).date()
        return dt.date(today.year, today.month, 1)
    if isinstance(month, dt.date):
        return dt.date(month.year, month.month, 1)
    from costplan.actuals.store import parse_month

    return parse_month(str(month))


def _next(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _iso(d: dt.date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def estimate_rows(result, month: str | dt.date | None = None) -> pd.DataFrame:
    """An estimate (:class:`costplan.estimator.EstimateResult`) as FOCUS 1.2 rows for one
    billing ``month`` (``YYYY-MM``; default the current month). See the module docstring."""
    start = _month(month)
    return _rows(result.lines, start, result.stack_name)


def projection_rows(proj, estimate_lines: pd.DataFrame) -> pd.DataFrame:
    """A projection (:class:`costplan.projection.simulate.ProjectionResult`) as FOCUS rows, one
    set per projected month at the median path: each line of ``estimate_lines`` (the base
    estimate's lines) scaled to its component's projected p50 of the month, commitments as in
    :func:`estimate_rows`. ``x_CostplanLow`` / ``x_CostplanHigh`` hold each row's p10 / p90."""
    import pandas as pd

    frames = []
    comp = proj.by_component
    lines = estimate_lines
    base = lines.groupby("component")["ListCost"].sum()
    for m, g in comp.groupby("month", sort=True):
        start = pd.Timestamp(g["ChargePeriodStart"].iloc[0]).date()
        scaled = lines.copy()
        usage = scaled["component_kind"] != "commitment"
        p50 = g.set_index("component")["p50"]
        low = g.set_index("component")["p10"]
        high = g.set_index("component")["p90"]
        factor = (p50 / base).reindex(scaled["component"]).fillna(1.0).to_numpy()
        scaled.loc[usage, "PricingQuantity"] = scaled.loc[usage, "PricingQuantity"] * factor[usage.to_numpy()]
        scaled.loc[usage, "ListCost"] = scaled.loc[usage, "ListCost"] * factor[usage.to_numpy()]
        rows = _rows(scaled, start, proj.stack_name)
        share = (rows["ListCost"] / rows["x_CostplanComponent"].map(base)).where(
            rows["x_CostplanComponentKind"] != "commitment"
        )
        rows["x_CostplanLow"] = (share * rows["x_CostplanComponent"].map(low)).round(6)
        rows["x_CostplanHigh"] = (share * rows["x_CostplanComponent"].map(high)).round(6)
        rows["x_CostplanMonth"] = int(m)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def _rows(lines: pd.DataFrame, start: dt.date, stack_name: str) -> pd.DataFrame:
    import pandas as pd

    end = _next(start)
    common = {
        "BillingAccountId": PLAN_ACCOUNT, "BillingAccountName": f"costplan plan: {stack_name}",
        "BillingCurrency": "USD", "BillingPeriodStart": _iso(start), "BillingPeriodEnd": _iso(end),
        "ChargePeriodStart": _iso(start), "ChargePeriodEnd": _iso(end), "ChargeClass": None,
        "InvoiceIssuerName": PROVIDER, "ProviderName": PROVIDER, "PublisherName": PROVIDER,
        "x_CostplanPlan": True, "x_CostplanStack": stack_name,
    }
    usage = lines[lines["component_kind"] != "commitment"].copy()
    usage["_od"] = usage["ListCost"].astype(float)  # on-demand cost still uncovered [USD]
    out: list[dict] = []
    covered_rows: list[dict] = []
    for comp, g in lines[lines["component_kind"] == "commitment"].groupby("component", sort=False):
        fee_line = g[g["ListCost"] >= 0]
        cov_line = g[g["ListCost"] < 0]
        fee = float(fee_line["ListCost"].sum())
        covered = float(-cov_line["ListCost"].sum())
        # the share of the fee that covered usage (the estimate says how much was used)
        if len(cov_line) and cov_line["PricingUnit"].iloc[0] == "USD":  # Savings Plan: used commitment [USD]
            used = min(fee, float(cov_line["PricingQuantity"].sum()))
            kind, category = "Savings Plan", "Spend"
            eligible = (usage["ServiceCode"] == "AmazonEC2") & usage["usage"].isin(["instance-hour", "node-hour"]) & (
                usage["pricing_model"] == "on_demand"
            )
        else:  # reserved instance: hours used of hours bought
            bought = float(fee_line["PricingQuantity"].sum()) or 1.0
            used = fee * min(1.0, float(cov_line["PricingQuantity"].sum()) / bought) if len(cov_line) else 0.0
            kind, category = "Reserved Instance", "Usage"
            f0 = fee_line.iloc[0] if len(fee_line) else g.iloc[0]
            eligible = (usage["ServiceCode"] == f0["ServiceCode"]) & (usage["sku"] == f0["sku"]) & (
                usage["RegionId"] == f0["RegionId"]) & (usage["pricing_model"] == "on_demand")
        pool = float(usage.loc[eligible, "_od"].sum())
        take = min(covered, pool)
        desc = str(fee_line["description"].iloc[0]) if len(fee_line) else comp
        cd = {"CommitmentDiscountId": comp, "CommitmentDiscountName": desc, "CommitmentDiscountType": kind,
              "CommitmentDiscountCategory": category}
        if len(fee_line):
            fl = fee_line.iloc[0]
            out.append(dict(
                common, **cd, ChargeCategory="Purchase", ChargeFrequency="Recurring", ChargeDescription=desc,
                BilledCost=fee, EffectiveCost=0.0, ListCost=fee, ContractedCost=fee, PricingCategory="Committed",
                PricingQuantity=float(fl["PricingQuantity"]), PricingUnit=focus_unit(fl["PricingUnit"]),
                ListUnitPrice=float(fl["ListUnitPrice"]), ContractedUnitPrice=float(fl["ListUnitPrice"]),
                ServiceName=fl["ServiceName"], **_category(fl["ServiceName"]), RegionId=None,
                x_CostplanComponent=comp, x_CostplanComponentKind="commitment", x_CostplanPriceSource=fl["price_source"],
            ))
        if take > 0:
            for idx in usage.index[eligible]:
                part = float(usage.at[idx, "_od"]) / pool * take
                if part <= 0:
                    continue
                ln = usage.loc[idx]
                qty = float(ln["PricingQuantity"]) * part / float(ln["ListCost"]) if ln["ListCost"] else 0.0
                covered_rows.append(dict(
                    _usage_row(common, ln, part, qty), **cd, PricingCategory="Committed",
                    CommitmentDiscountStatus="Used", BilledCost=0.0, EffectiveCost=used * part / take,
                    ChargeDescription=f"{ln['description']} (covered by {comp})",
                ))
                usage.at[idx, "_od"] = float(usage.at[idx, "_od"]) - part
        if fee - used > 1e-9:
            out.append(dict(
                common, **cd, ChargeCategory="Usage", ChargeFrequency="Recurring",
                ChargeDescription=f"unused commitment of {comp}", CommitmentDiscountStatus="Unused", BilledCost=0.0,
                EffectiveCost=fee - used, ListCost=0.0, ContractedCost=0.0, PricingCategory="Committed",
                **_service(fee_line["ServiceName"].iloc[0] if len(fee_line) else g["ServiceName"].iloc[0]),
                RegionId=None, x_CostplanComponent=comp,
                x_CostplanComponentKind="commitment", x_CostplanPriceSource="stack spec",
            ))
    rows = []
    for _idx, ln in usage.iterrows():
        cost = float(ln["_od"])
        qty = float(ln["PricingQuantity"]) * cost / float(ln["ListCost"]) if ln["ListCost"] else float(ln["PricingQuantity"])
        r = _usage_row(common, ln, cost, qty)
        r.update(PricingCategory="Standard", BilledCost=cost, EffectiveCost=cost)
        rows.append(r)
    df = pd.DataFrame(rows + covered_rows + out)
    for c in COLUMNS:
        if c not in df:
            df[c] = None
    for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        df[c] = df[c].astype(float).round(10)
    return df[COLUMNS].reset_index(drop=True)


def _category(service: str) -> dict:
    category, sub = SERVICE_CATEGORY.get(service, ("Other", "Other (Other)"))
    return {"ServiceCategory": category, "ServiceSubcategory": sub}


def _service(service: str) -> dict:
    return {"ServiceName": service, **_category(service)}


def _usage_row(common: dict, ln, cost: float, qty: float) -> dict:
    region = ln["RegionId"] if ln["RegionId"] not in (None, "global") else None
    unit = focus_unit(ln["PricingUnit"])
    return dict(
        common, ChargeCategory="Usage",
        ChargeFrequency="Recurring" if ln["PricingUnit"] in MONTHLY_UNITS else "Usage-Based",
        ChargeDescription=str(ln["description"]), ListCost=cost, ContractedCost=cost,
        PricingQuantity=qty, PricingUnit=unit, ListUnitPrice=float(ln["ListUnitPrice"]),
        ContractedUnitPrice=float(ln["ListUnitPrice"]), ConsumedQuantity=qty, ConsumedUnit=unit,
        **_service(ln["ServiceName"]),
        RegionId=region, RegionName=_REGION_NAMES.get(region) if region else None,
        x_CostplanComponent=ln["component"], x_CostplanComponentKind=ln["component_kind"],
        x_CostplanPriceSource=ln["price_source"],
    )


def write_csv(df: pd.DataFrame, out=None) -> str | None:
    """``df`` as FOCUS CSV (NULL as empty fields, booleans ``true``/``false``) to ``out`` (a
    path or a text stream), or returned as text."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == bool or c == "x_CostplanPlan":
            df[c] = df[c].map({True: "true", False: "false"}).where(df[c].notna(), None)
    return df.to_csv(out, index=False, float_format="%.10g")


def store_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in the store's columns (e.g. the synthetic sample, :func:`Store.load_frame` input) as
    a FOCUS 1.2 dataset: the mandatory columns the store does not keep filled in
    (BillingAccountName from BillingAccountId, InvoiceIssuerName and PublisherName from
    ProviderName, ChargeFrequency from the charge category, ContractedCost from ListCost),
    timestamps in ISO 8601 UTC, costplan's own columns kept with their ``x_`` prefix."""
    out = df.copy()
    provider = out["ProviderName"] if "ProviderName" in out else PROVIDER
    defaults = {
        "BillingCurrency": "USD", "BillingAccountName": out.get("BillingAccountId"), "InvoiceIssuerName": provider,
        "PublisherName": provider, "ContractedCost": out.get("ListCost"),
    }
    for c, v in defaults.items():
        if c not in out or out[c].isna().all():
            out[c] = v
    out["ChargeFrequency"] = out["ChargeCategory"].map(
        {"Usage": "Usage-Based", "Purchase": "Recurring", "Tax": "Recurring", "Credit": "One-Time",
         "Adjustment": "One-Time"}
    ).fillna("Usage-Based")
    for c in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        out[c] = out[c].map(lambda t: None if t is None or t != t else f"{t:%Y-%m-%dT%H:%M:%SZ}")
    for c in ("ListCost", "ContractedCost"):
        out[c] = out[c].fillna(0.0)
    for c in ("PricingUnit", "ConsumedUnit"):
        if c in out:
            out[c] = out[c].map(lambda u: focus_unit(u) if isinstance(u, str) else None)
    cats = out["ServiceName"].map(lambda s: SERVICE_CATEGORY.get(s, ("Other", "Other (Other)")))
    out["ServiceCategory"] = [c for c, _ in cats]
    out["ServiceSubcategory"] = [s for _, s in cats]
    if "x_ChargeStatus" in out:
        # FOCUS 1.2: a charge on no invoice yet has a null InvoiceId
        month = out["BillingPeriodStart"].str.slice(0, 7)
        out["InvoiceId"] = ("invoice-" + out["BillingAccountId"].astype(str) + "-" + month).where(
            out["x_ChargeStatus"] != "Estimated"
        )
    return out.drop(columns=[c for c in ("x_Source", "x_LoadId") if c in out])
