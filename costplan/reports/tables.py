"""The numbers of the monthly cost report, as DataFrames. No I/O beyond reading the store.

:func:`build_tables` is the one entry point: it reads a month of actual spend from the
store, prices the plan (the stack's estimate), and returns a :class:`ReportTables` whose
fields are the tables behind every section and figure of the report. Money is rounded to the
cent here, once, so that the HTML, Markdown, CSV and JSON written from these tables agree to
the cent.

Sections whose data is not available (no month before or a year before in the store, the
projection skipped) carry a ``None`` table and a note saying why; nothing is filled in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from costplan.actuals.store import Store
    from costplan.estimator import EstimateResult
    from costplan.pricing.catalog import Catalog
    from costplan.stack.models import Stack

METRIC = "EffectiveCost"
TOP_MOVERS = 10
TREND_MONTHS = 13
PROJECTION_MONTHS = 12


def cents(x: float | None) -> float | None:
    """Round an amount to the cent [USD]; ``None`` stays ``None``."""
    if x is None or pd.isna(x):
        return None
    return round(float(x) + 0.0, 2)


@dataclass
class Section:
    """One section of the report: a table (or ``None`` when its data is not available) and
    notes for the reader (what the numbers mean, or why there are none)."""

    key: str
    title: str
    table: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    money: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    decimals: int = 2
    """Decimals of the money columns when shown (4 for amounts per user)."""

    @property
    def available(self) -> bool:
        return self.table is not None


@dataclass
class ReportTables:
    """Everything the monthly report shows.

    ``headline`` holds the month total and its comparisons [USD, ratios as fractions];
    ``sections`` maps a section key to its :class:`Section`. Section tables and columns:

    - ``by_service`` / ``by_region`` / ``by_component`` / ``by_team``: the grouping column,
      ``EffectiveCost`` [USD] this month, ``previous`` [USD] the month before, ``change``
      [USD], ``share`` of the month total [1];
    - ``trend``: ``month``, ``EffectiveCost`` [USD], ``Estimated``; when the store holds user
      counts (``costplan import users``), also ``active_users`` [users] and ``cost_per_user``
      [USD/user];
    - ``movers``: ``x_UsageType``, ``RegionId``, ``PricingUnit``,
      ``previous`` / ``EffectiveCost`` [USD], ``change`` [USD], ``previous_quantity`` /
      ``quantity`` [PricingUnit], ``previous_unit_cost`` / ``unit_cost`` [USD/PricingUnit],
      ``usage_effect`` = Δquantity x previous unit cost and ``price_effect`` = Δunit cost x
      quantity [USD] (they add up to ``change``), ``ServiceName``;
    - ``variance``: ``component_kind``, ``ServiceName``, ``plan`` / ``actual`` / ``variance``
      [USD], ``variance_pct`` [%], ``flag`` (see :class:`costplan.actuals.reconcile.Reconciliation`);
    - ``commitments``, ``spot``: :func:`costplan.actuals.commitments.commitment_summary` and
      :func:`~costplan.actuals.commitments.spot_summary`, money rounded to the cent;
    - ``per_user``: ``month``, ``users_p50`` [users], ``p10`` / ``p50`` / ``p90`` [USD/user/month]
      from the projection;
    - ``projection``: ``month``, ``users_p50`` [users], ``p10`` / ``p50`` / ``p90`` [USD/month];
    - ``freshness``: ``day``, ``EffectiveCost`` [USD], ``Estimated``;
    - ``provenance``: ``price_source``, ``verified``, ``lines``, ``ListCost`` [USD/month],
      ``share`` of the plan's usage cost [1].
    """

    month: str
    stack_name: str
    store_path: str
    synthetic: bool
    catalog_as_of: str
    generated_at: str
    headline: dict[str, Any]
    sections: dict[str, Section]
    warnings: list[str] = field(default_factory=list)
    embedded_default: bool = False
    """True when the bundled stack and the bundled sample store were used."""

    def __getitem__(self, key: str) -> Section:
        return self.sections[key]


ProgressFn = Callable[[str], None]


def _noop(_: str) -> None:
    pass


# --- months --------------------------------------------------------------------------------
def shift_month(month: str, n: int) -> str:
    """``YYYY-MM`` moved by ``n`` months."""
    y, m = int(month[:4]), int(month[5:7])
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def default_month(store: Store) -> str:
    """The last complete month in the store: every day of it covered (by daily rows or by a
    monthly Cost Explorer row) and none Estimated."""
    cov = store.coverage()
    if cov.empty:
        raise InputError(
            f"store {store.path} holds no spend; load some with `costplan pull` or `costplan import`, "
            "or use the default store (synthetic sample)"
        )
    done = cov[cov["complete"] & ~cov["Estimated"]]
    if len(done):
        return str(done["month"].iloc[-1])
    raise InputError(
        Problem(
            f"store {store.path} holds no complete month (all months are partial or still Estimated)",
            location="--month",
            hint=f"pass one of {', '.join(store.months())} explicitly",
        )
    )


def default_month_reason(store: Store, month: str) -> str:
    """Why :func:`default_month` chose ``month``: the newer months it skipped and why."""
    cov = store.coverage()
    later = cov[cov["month"] > month]
    if later.empty:
        return f"{month}: the last complete month in the store"
    parts = []
    for r in later.itertuples():
        what = [f"{r.days} of {r.days_in_month} days"] if not r.complete else []
        if r.Estimated:
            what.append("still Estimated")
        parts.append(f"{r.month} ({', '.join(what)})")
    return (f"{month} is the last complete, final month in the store; newer: {', '.join(parts)}. "
            f"Pass --month {later['month'].iloc[-1]} for the month in progress (compared on its month-end forecast)")


def store_currency(store: Store) -> str:
    """The store's BillingCurrency (the first, when it holds several); USD when it holds none."""
    try:
        cur = store.currencies()
    except Exception:  # noqa: BLE001  # pragma: no cover - an older store without the column
        cur = []
    return str(cur[0]) if len(cur) else "USD"


def check_month(store: Store, month: str) -> str:
    from costplan.actuals.store import parse_month

    parse_month(month)  # format check: InputError naming --month
    months = store.months()
    if not months:
        raise InputError(
            f"store {store.path} holds no spend; load some with `costplan pull` or `costplan import`"
        )
    if month not in months:
        raise InputError(
            Problem(
                f"no spend for {month} in store {store.path}",
                location="--month",
                hint=f"the store holds {months[0]} .. {months[-1]}",
            )
        )
    return month


# --- tables --------------------------------------------------------------------------------
def _by(store: Store, key: str, month: str, label: str | None = None) -> pd.DataFrame:
    prev = shift_month(month, -1)
    cur = store.spend([key], month=month)[[key, METRIC]]
    before = store.spend([key], month=prev)[[key, METRIC]].rename(columns={METRIC: "previous"})
    df = cur.merge(before, on=key, how="outer")
    has_prev = prev in store.months()
    df[METRIC] = df[METRIC].fillna(0.0)
    df["previous"] = df["previous"].fillna(0.0) if has_prev else float("nan")
    df["change"] = df[METRIC] - df["previous"]
    total = df[METRIC].sum()
    df["share"] = df[METRIC] / total if total else 0.0
    df = df.sort_values(METRIC, ascending=False, kind="stable").reset_index(drop=True)
    df[METRIC] = apportion(df[METRIC])
    if has_prev:
        df["previous"] = apportion(df["previous"])
    df["change"] = (df[METRIC] - df["previous"]).round(2) + 0.0
    df["share"] = df["share"].round(4)
    return df.rename(columns={key: label or key})


def apportion(values: pd.Series) -> pd.Series:
    """Round amounts to the cent so that they add up to their rounded total (largest remainder).

    Rounding each part on its own can leave the parts a cent or two away from the total that
    the headline shows; this moves those cents to the parts with the largest remainders.
    """
    v = values.astype(float).fillna(0.0)
    if v.empty:
        return v
    target = int(round(round(float(v.sum()), 2) * 100))
    scaled = v * 100
    floor = scaled.apply(math.floor)
    rest = target - int(floor.sum())
    order = (scaled - floor).sort_values(ascending=False, kind="stable").index
    add = pd.Series(0, index=v.index)
    if rest > 0:
        add.loc[order[:rest]] = 1
    elif rest < 0:
        add.loc[order[::-1][: -rest]] = -1
    return ((floor + add) / 100).round(2) + 0.0


def _round_money(df: pd.DataFrame, cols) -> pd.DataFrame:
    df = df.copy()
    for c in cols:
        if c in df:
            df[c] = df[c].astype(float).round(2) + 0.0
    return df


def movers(store: Store, month: str, n: int = TOP_MOVERS, against: str | None = None) -> pd.DataFrame:
    """The ``n`` usage types whose cost moved most between ``against`` (default: the month
    before) and ``month``, with the usage and unit-cost change behind each move (see
    :class:`ReportTables`)."""
    keys = ["ServiceName", "RegionId", "x_UsageType", "PricingUnit"]
    prev = against or shift_month(month, -1)

    def one(m: str) -> pd.DataFrame:
        cost = store.spend(keys, month=m)[keys + [METRIC]]
        qty = store.spend(keys, month=m, metric="PricingQuantity")[keys + ["PricingQuantity"]]
        return cost.merge(qty, on=keys, how="left")

    cur = one(month).rename(columns={"PricingQuantity": "quantity"})
    before = one(prev).rename(columns={METRIC: "previous", "PricingQuantity": "previous_quantity"})
    df = cur.merge(before, on=keys, how="outer")
    for c in (METRIC, "previous"):
        df[c] = df[c].fillna(0.0)
    df["change"] = df[METRIC] - df["previous"]
    q0, q1 = df["previous_quantity"], df["quantity"]
    df["previous_unit_cost"] = (df["previous"] / q0).where(q0 > 0)
    df["unit_cost"] = (df[METRIC] / q1).where(q1 > 0)
    # change = (q1 - q0) * p0 + (p1 - p0) * q1; a usage type new this month is all usage effect
    p0 = df["previous_unit_cost"].fillna(df["unit_cost"])
    p1 = df["unit_cost"].fillna(df["previous_unit_cost"])
    df["usage_effect"] = (q1.fillna(0) - q0.fillna(0)) * p0
    df["price_effect"] = (p1 - p0) * q1.fillna(0)
    no_qty = df["usage_effect"].isna() | df["price_effect"].isna()
    df.loc[no_qty, ["usage_effect", "price_effect"]] = float("nan")
    df = df.reindex(df["change"].abs().sort_values(ascending=False, kind="stable").index).head(n)
    df = df[["x_UsageType", "RegionId", "PricingUnit", "previous", METRIC, "change", "previous_quantity", "quantity",
             "previous_unit_cost", "unit_cost", "usage_effect", "price_effect", "ServiceName"]]
    df = _round_money(df, ("previous", METRIC, "change", "usage_effect", "price_effect"))
    for c in ("previous_quantity", "quantity"):
        df[c] = df[c].round(3)
    for c in ("previous_unit_cost", "unit_cost"):
        df[c] = df[c].round(6)
    return df.reset_index(drop=True)


def variance(plan: EstimateResult, store: Store, month: str) -> pd.DataFrame:
    """Plan (the stack's monthly estimate) against actual spend by component kind [USD], from
    :func:`costplan.actuals.reconcile.reconcile`, with plan and actual rounded to the cent so
    that each column adds up to its rounded total."""
    from costplan.actuals.reconcile import reconcile

    r = reconcile(plan.lines, store, month)
    df = r.lines[["component_kind", "ServiceName", "plan", "actual", "variance", "variance_pct", "flag"]].copy()
    df["plan"] = apportion(df["plan"])
    df["actual"] = apportion(df["actual"])
    df["variance"] = (df["actual"] - df["plan"]).round(2) + 0.0
    df["variance_pct"] = df["variance_pct"].round(1)
    return df.reset_index(drop=True)


def provenance(plan: EstimateResult) -> pd.DataFrame:
    """How the plan's usage cost is priced: by price source and verified flag [USD/month]."""
    usage = plan.lines[plan.lines.component_kind != "commitment"]
    df = (
        usage.assign(verified=usage["price_verified"].astype(bool))
        .groupby(["price_source", "verified"], as_index=False)
        .agg(lines=("ListCost", "size"), ListCost=("ListCost", "sum"), price_as_of=("price_as_of", "min"))
    )
    total = usage["ListCost"].sum()
    df["share"] = (df["ListCost"] / total).round(4) if total else 0.0
    df = _round_money(df, ("ListCost",))
    return df.sort_values("ListCost", ascending=False, kind="stable").reset_index(drop=True)


def freshness(store: Store, month: str) -> pd.DataFrame:
    f = store.freshness()
    f = f[f["month"] == month][["day", "EffectiveCost", "Estimated", "x_Source"]].copy()
    f["day"] = pd.to_datetime(f["day"]).dt.strftime("%Y-%m-%d")
    f = _round_money(f, ("EffectiveCost",))
    return f.reset_index(drop=True)


def trend(store: Store, month: str, months: int = TREND_MONTHS, users: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spend of the last ``months`` months up to ``month``, with ``credits`` [USD, negative]: the
    credits and refunds (ChargeCategory) included in it; with ``users`` (``Store.users()``)
    holding any of them, also ``active_users`` [users] and ``cost_per_user`` [USD/user]
    (NaN for a month without a count)."""
    start = shift_month(month, -(months - 1))
    df = store.spend(["month"], start=start, end=month)[["month", METRIC, "Estimated"]]
    # credits and refunds are in the month's total; shown beside it so a drop is not misread
    cat = store.spend(["month", "ChargeCategory"], start=start, end=month)
    credit = cat[cat["ChargeCategory"].isin(["Credit", "Refund"])].groupby("month")[METRIC].sum()
    df["credits"] = df["month"].map(credit).fillna(0.0).astype(float).round(2) + 0.0
    if users is not None and df["month"].isin(users["month"]).any():
        df = df.merge(users[["month", "active_users"]], on="month", how="left")
        df["cost_per_user"] = (df[METRIC] / df["active_users"].where(df["active_users"] > 0)).round(4)
    return _round_money(df, (METRIC,)).reset_index(drop=True)


# --- sections that use other modules -------------------------------------------------------
def commitments_section(store: Store, month: str) -> Section:
    from costplan.actuals.commitments import commitment_summary

    df = commitment_summary(store, month)
    notes = []
    if len(df):
        cov = df["coverage"].iloc[0]
        used, unused = df["used_commitment"].sum(), df["unused_commitment"].sum()
        util = used / (used + unused) if used + unused else float("nan")
        notes.append(
            f"coverage {cov:.1%} of commitment-eligible node-pool compute; utilisation {util:.1%}; unused commitment "
            f"${unused:,.2f}; savings against on-demand ${df['savings'].sum():,.2f}"
        )
    else:
        notes.append(f"no Savings Plan or Reserved Instance was active in {month}")
    df = _round_money(df, ("billed", "used_commitment", "unused_commitment", "covered_list_cost", "savings"))
    for c in ("utilisation", "coverage"):
        df[c] = df[c].round(4)
    return Section("commitments", "Commitments", df, notes,
                   money=("billed", "used_commitment", "unused_commitment", "covered_list_cost", "savings"),
                   extra={"columns": ["CommitmentDiscountType", "billed", "used_commitment", "unused_commitment",
                                      "utilisation", "savings", "coverage"]})


def spot_section(store: Store, month: str) -> Section:
    from costplan.actuals.commitments import spot_summary

    df = spot_summary(store, month)
    money = ("node_pool_cost", "spot_cost", "spot_list_cost", "spot_savings")
    notes = []
    if len(df) and df["spot_hours"].sum() > 0:
        notes.append(
            f"{df['spot_hours'].sum() / df['node_pool_hours'].sum():.1%} of node-pool instance hours ran on spot; "
            f"saved ${df['spot_savings'].sum():,.2f} against on-demand prices"
        )
    else:
        notes.append(f"no spot capacity in {month}")
    df = _round_money(df, money)
    for c in ("node_pool_hours", "spot_hours"):
        df[c] = df[c].round(1)
    for c in ("spot_share_hours", "spot_share_cost"):
        df[c] = df[c].round(4)
    return Section("spot", "Spot share and savings", df, notes, money=money)


def decisions_section(stack: Stack, plan: EstimateResult, catalog: Catalog | None = None, seed: int = 0) -> Section:
    """The decisions of :func:`costplan.decisions.evaluate_decisions` (the same objects the
    quarterly review shows): ``decision``, ``kind``, ``net_monthly`` / ``low`` / ``high``
    [USD/month, negative saves], ``new_monthly`` [USD/month], ``estimate_grade`` and
    ``estimate_grade_cost`` [USD/month], ``scenario``."""
    from costplan.decisions import evaluate_decisions, table

    ds = evaluate_decisions(stack, catalog, base=plan, seed=seed)
    df = table(ds)[["decision", "net_monthly", "low", "high", "new_monthly", "estimate_grade", "estimate_grade_cost",
                    "scenario"]]
    notes = ["each change is a scenario of the whole stack with the commitments already bought, priced like "
             "`costplan diff` (negative saves); the range is spot prices within the stack's price volatility, or for "
             "a commitment this month's bill against the average over its term; estimate_grade: part of the change "
             "rests on prices not verified against a primary source"]
    notes += [d.headline() for d in sorted(ds, key=lambda d: d.net_monthly)]
    return Section("decisions", "Decisions, priced on the whole bill", df, notes,
                   money=("net_monthly", "low", "high", "new_monthly", "estimate_grade_cost"),
                   extra={"objects": ds, "columns": ["decision", "net_monthly", "low", "high", "new_monthly",
                                                     "estimate_grade"]})


PROJECTION_SIMULATIONS = 500


def run_projection(stack: Stack, catalog: Catalog | None = None, seed: int = 0, calibration=None):
    """The stack's projection over the next :data:`PROJECTION_MONTHS` months
    (:data:`PROJECTION_SIMULATIONS` Monte Carlo paths; ``catalog`` default: the embedded one;
    ``calibration`` from :func:`costplan.projection.calibrate.calibrate`, or None for the plan)."""
    from costplan.projection import project

    return project(stack, months=PROJECTION_MONTHS, simulations=PROJECTION_SIMULATIONS, seed=seed, catalog=catalog,
                   calibration=calibration)


def _month_col(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["ChargePeriodStart"]).dt.strftime("%Y-%m")


def projection_section(res) -> Section:
    m = res.monthly
    df = pd.DataFrame({"month": _month_col(m), "users_p50": m["users_p50"].round(0)})
    for c in ("p10", "p50", "p90"):
        df[c] = m[c].astype(float).round(2) + 0.0
    notes = [f"{res.simulations} simulated paths (seed {res.seed}); p10-p90 is the range 8 in 10 paths fall in; "
             f"catalog as of {res.catalog_as_of}"]
    cal = getattr(res, "calibration", None)
    if cal is not None:
        moved = cal.factors[(cal.factors["factor"] - 1).abs() >= 0.05]
        notes.append(f"the projection is {cal.summary}: each kind of cost is scaled by actual / plan of that month"
                     + (" (" + ", ".join(f"{r.component_kind} x{r.factor:.2f}" for r in moved.itertuples()) + ")"
                        if len(moved) else "") + "; growth and capacity steps come from the stack's drivers")
    else:
        notes.append("the projection starts from the plan (the stack's estimate at catalog prices and its demand "
                     "drivers), not from the actual spend: a gap between the actual months and the fan is the "
                     "plan-vs-actual variance (`costplan report --calibrate` starts it from the month's bill)")
    notes += list(res.warnings)
    return Section("projection", f"Projection: the next {PROJECTION_MONTHS} months", df, notes,
                   money=("p10", "p50", "p90"))


def per_user_section(res, month_total: float, month: str, users: pd.DataFrame | None = None) -> Section:
    """Cost per user: the projection's per-user range, and the month's actual cost per user,
    divided by the store's user count of the month (``users``, ``Store.users()``) when it has
    one, else by the projection's baseline users (said in the note)."""
    pu = res.per_user
    df = pd.DataFrame({"month": _month_col(pu), "users_p50": pu["users_p50"].round(0)})
    for c in ("p10", "p50", "p90"):
        df[c] = pu[c].astype(float).round(4)
    users0 = float(pu["users_p50"].iloc[0]) if len(pu) else 0.0
    held = users[users["month"] == month] if users is not None else None
    notes = []
    if held is not None and len(held) and float(held["active_users"].iloc[0]) > 0:
        n = float(held["active_users"].iloc[0])
        label = ", SYNTHETIC sample" if bool(held["x_Synthetic"].iloc[0]) else ""
        notes.append(f"actual {month}: ${month_total / n:,.4f} per user for {n:,.0f} active users (the store's "
                     f"count{label}; the chart shows every month with a count before the projection)")
    elif users0 > 0:
        notes.append(f"actual {month}: ${month_total / users0:,.4f} per user for {users0:,.0f} active users (the "
                     "projection's baseline user count: the store holds no count for this month; "
                     "`costplan import users` adds them)")
    if "marginal_per_1000_users" in pu:
        notes.append(f"the next 1,000 users cost about ${float(pu['marginal_per_1000_users'].iloc[0]):,.2f} a month "
                     "on the central path")
    return Section("per_user", "Cost per user", df, notes, money=("p10", "p50", "p90"), decimals=4)


# --- the orchestrator ----------------------------------------------------------------------
def build_tables(
    store: Store,
    stack: Stack,
    plan: EstimateResult,
    month: str | None = None,
    progress: ProgressFn = _noop,
    *,
    catalog: Catalog | None = None,
    projection: bool = True,
    calibrate: bool = False,
    seed: int = 0,
    decisions: bool = True,
    on_sections: Callable[[dict[str, Section], dict[str, Any]], None] | None = None,
) -> ReportTables:
    """Every table of the monthly report of ``month`` (default: the last complete month).

    ``on_sections`` is called with the sections built so far and the headline after each step
    (the report draws the figures of those sections meanwhile)."""

    def built() -> None:
        if on_sections is not None:
            on_sections(sections, headline)

    why = None
    if month:
        month = check_month(store, month)
    else:
        month = default_month(store)
        why = default_month_reason(store, month)
    progress("spend by service, region, component")
    months = store.months()
    prev, yoy = shift_month(month, -1), shift_month(month, -12)
    users = store.users()
    t = trend(store, month, users=users)
    total = float(store.spend([], month=month)[METRIC].sum())

    def month_total(m: str) -> float | None:
        return float(store.spend([], month=m)[METRIC].sum()) if m in months else None

    prev_total, yoy_total = month_total(prev), month_total(yoy)
    plan_total = plan.total_monthly_cost
    headline = {
        "month": month,
        "total": cents(total),
        "previous_month": prev,
        "previous_total": cents(prev_total),
        "change_vs_previous": cents(total - prev_total) if prev_total is not None else None,
        "change_vs_previous_pct": round((total / prev_total - 1), 4) if prev_total else None,
        "same_month_last_year": yoy,
        "year_ago_total": cents(yoy_total),
        "change_vs_year_ago": cents(total - yoy_total) if yoy_total is not None else None,
        "change_vs_year_ago_pct": round((total / yoy_total - 1), 4) if yoy_total else None,
        "plan_total": cents(plan_total),
        "change_vs_plan": cents(total - plan_total),
        "change_vs_plan_pct": round(total / plan_total - 1, 4) if plan_total else None,
        "billed_total": cents(float(store.spend([], month=month, metric="BilledCost")["BilledCost"].sum())),
        "metric": METRIC,
        "currency": store_currency(store),
        "basis": "total",
    }
    from costplan.actuals.forecast import month_end_forecast

    forecast = month_end_forecast(store, month)
    if forecast is not None:
        # a month in progress is compared on its month-end forecast, never on the partial sum
        end, low, high = forecast.month_end, forecast.low, forecast.high
        headline.update(forecast_month_end=cents(end), forecast_low=cents(low),
                        forecast_high=cents(high), days_held=forecast.days,
                        days_in_month=forecast.days_in_month, basis="month-end forecast")
        for key, then in (("previous", prev_total), ("year_ago", yoy_total), ("plan", plan_total)):
            if then is None:
                continue
            headline[f"change_vs_{key}"] = cents(end - then)
            headline[f"change_vs_{key}_pct"] = round(end / then - 1, 4) if then else None
            headline[f"change_vs_{key}_low"] = cents(low - then)
            headline[f"change_vs_{key}_high"] = cents(high - then)
    sections: dict[str, Section] = {}
    head_notes = []
    if why:
        head_notes.append(why)
        headline["month_reason"] = why
    if forecast is not None:
        head_notes.append(f"{month} is in progress ({forecast.days} of {forecast.days_in_month} days): every "
                          f"comparison uses its month-end forecast ${forecast.month_end:,.2f} "
                          f"(${forecast.low:,.2f} to ${forecast.high:,.2f}), not the ${total:,.2f} spent so far")
    if prev_total is None:
        head_notes.append(f"{prev} is not in the store: no comparison with last month (n/a, not 0)")
    if yoy_total is None:
        head_notes.append(f"{yoy} is not in the store (it holds {months[0]} .. {months[-1]}): no comparison with "
                          "the same month last year (n/a, not 0)")
    if forecast is not None:
        head_notes.append(forecast.summary())
    sections["headline"] = Section("headline", "Headline", None, head_notes)

    sections["by_service"] = Section("by_service", "Spend by service", _by(store, "ServiceName", month),
                                     money=(METRIC, "previous", "change"))
    sections["by_region"] = Section("by_region", "Spend by region", _by(store, "RegionId", month),
                                    ["(none) is spend with no region: commitments, credits, global services"],
                                    money=(METRIC, "previous", "change"))
    sections["by_component"] = Section("by_component", "Spend by component", _by(store, "component", month,
                                       "component_kind"), money=(METRIC, "previous", "change"))
    sections["by_team"] = Section("by_team", "Spend by team (tag team)", _by(store, "tag:team", month, "team"),
                                  money=(METRIC, "previous", "change"))
    credited = t[t["credits"] < 0]
    sections["trend"] = Section(
        "trend", "Monthly spend", t,
        ["credits and refunds are included in each month's total and shown apart (credits): "
         + ", ".join(f"{r.month} ${r.credits:,.2f}" for r in credited.itertuples())] if len(credited) else [],
        money=(METRIC, "credits"))
    built()
    progress("top movers")
    mv = movers(store, month)
    sections["movers"] = Section(
        "movers", f"Top movers against {prev}", mv if prev in months else None,
        ["usage effect = change in quantity x last month's unit cost; price effect = change in unit cost x this "
         "month's quantity; they add up to the change. Unit cost is EffectiveCost / PricingQuantity, so Savings Plan "
         "coverage and spot show up as price effects."] if prev in months else [f"{prev} is not in the store"],
        money=("previous", METRIC, "change", "usage_effect", "price_effect"),
        # the page shows what moved and why; quantities and unit costs are in breakdown.csv
        extra={"columns": ["x_UsageType", "RegionId", "previous", METRIC, "change", "usage_effect", "price_effect"]},
    )
    built()
    progress("plan vs actual")
    sections["variance"] = Section(
        "variance", "Plan vs actual", variance(plan, store, month),
        [f"plan: the monthly estimate of {plan.stack_name} ({plan.hours_per_month:g} h a month, catalog as of "
         f"{plan.catalog_as_of}); actual: {METRIC}"],
        money=("plan", "actual", "variance"),
    )
    vt, bc = sections["variance"].table, sections["by_component"].table
    va = vt.groupby("component_kind")["actual"].sum()
    ba = bc.set_index("component_kind")[METRIC]
    moved = [(k, float(va[k]), float(ba[k])) for k in va.index.intersection(ba.index)
             if k != "commitment" and abs(float(va[k]) - float(ba[k])) >= 0.01]
    basis = ("one basis in this table, the plan's: plan at list (on-demand) prices; actual usage covered by a "
             "Savings Plan or RI at its on-demand equivalent, and each commitment as its own row (its fee minus the "
             "on-demand cost it covered), so that both sides add up the same way")
    if moved:
        basis += ("; that is why " + ", ".join(f"{k} shows ${a:,.2f} here and ${b:,.2f} (amortised EffectiveCost) "
                                                f"in Spend by component" for k, a, b in moved))
    sections["variance"].notes.append(basis)
    built()
    progress("commitments and spot")
    sections["commitments"] = commitments_section(store, month)
    sections["spot"] = spot_section(store, month)
    built()
    progress("projection")
    proj_title = f"Projection: the next {PROJECTION_MONTHS} months"
    if projection:
        calibration = None
        if calibrate:
            from costplan.projection.calibrate import calibrate as calibrate_to

            calibration = calibrate_to(stack, store, month, catalog)
        res = run_projection(stack, catalog, seed, calibration)
        sections["projection"] = projection_section(res)
        sections["per_user"] = per_user_section(res, total, month, users)
    else:
        sections["projection"] = Section("projection", proj_title, None, ["projection skipped (--no-projection)"])
        sections["per_user"] = Section("per_user", "Cost per user", None,
                                       ["needs the projection's user counts; skipped (--no-projection)"])
    built()
    progress("decisions")
    sections["decisions"] = decisions_section(stack, plan, catalog, seed=seed) if decisions else Section(
        "decisions", "Decisions, priced on the whole bill", None, ["skipped"])
    sections["freshness"] = Section("freshness", "Data freshness", freshness(store, month), money=("EffectiveCost",))
    est = sections["freshness"].table
    est_days = est.loc[est["Estimated"], "day"].tolist()
    sections["freshness"].notes.append(
        f"{len(est_days)} of {len(est)} days of {month} are still Estimated: {_day_ranges(est_days)}"
        if est_days else f"all {len(est)} days of {month} are Final"
    )
    all_fresh = store.freshness()
    latest_est = all_fresh.loc[all_fresh["Estimated"].astype(bool), "day"]
    if len(latest_est):
        days = sorted(pd.to_datetime(latest_est).dt.strftime("%Y-%m-%d"))
        sections["freshness"].notes.append(f"the store's Estimated days: {_day_ranges(days)}")
    sections["freshness"].extra["estimated_days"] = est_days
    prov = provenance(plan)
    unverified = float(prov.loc[~prov["verified"], "ListCost"].sum())
    usage_total = float(prov["ListCost"].sum())
    sections["provenance"] = Section(
        "provenance", "Price provenance", prov,
        [f"${unverified:,.2f} of the plan's ${usage_total:,.2f} usage cost "
         f"({unverified / usage_total if usage_total else 0:.0%}) rests on estimate-grade prices not verified against "
         f"a primary source; catalog as of {plan.catalog_as_of}"],
        money=("ListCost",), extra={"unverified": cents(unverified), "usage_total": cents(usage_total)},
    )
    if est_days:
        sections["headline"].notes.insert(0, f"{len(est_days)} days of {month} are still Estimated "
                                          f"({_day_ranges(est_days)}): the total may still change")
        if len(est) < pd.Period(month).days_in_month:
            sections["headline"].notes.insert(1, f"{month} is a partial month: {len(est)} of "
                                              f"{pd.Period(month).days_in_month} days are in the store")
    headline["plan_unverified_share"] = round(unverified / usage_total, 4) if usage_total else None
    headline["estimated_days"] = len(est_days)
    return ReportTables(
        month=month,
        stack_name=plan.stack_name,
        store_path=str(store.path),
        synthetic=store.is_synthetic(),
        catalog_as_of=plan.catalog_as_of,
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        headline=headline,
        sections=sections,
        warnings=list(plan.warnings),
    )


def _day_ranges(days: list[str]) -> str:
    """``['2026-11-01', '2026-11-02', '2026-11-05']`` -> ``2026-11-01..2026-11-02, 2026-11-05``."""
    if not days:
        return "none"
    ds = sorted(dt.date.fromisoformat(d) for d in days)
    out, start, end = [], ds[0], ds[0]
    for d in ds[1:]:
        if d == end + dt.timedelta(days=1):
            end = d
            continue
        out.append(f"{start}" if start == end else f"{start}..{end}")
        start = end = d
    out.append(f"{start}" if start == end else f"{start}..{end}")
    return ", ".join(out)
