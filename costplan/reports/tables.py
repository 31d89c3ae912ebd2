"""The numbers of the monthly cost report, as rows (:class:`costplan.frames.Rows`; each
section's ``table`` is the DataFrame of them). No I/O beyond reading the store.

:func:`build_tables` is the one entry point: it reads a month of actual spend from the
store, prices the plan (the stack's estimate), and returns a :class:`ReportTables` whose
fields are the tables behind every section and figure of the report. Money is rounded to the
cent here, once, so that the HTML, Markdown, CSV and JSON written from these tables agree to
the cent.

Sections whose data is not available (no month before or a year before in the store, the
projection skipped) carry a ``None`` table and a note saying why; nothing is filled in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError, Problem
from costplan.frames import (
    Rows,
    coverage_rows,
    div_like_pandas,
    group_sum_like_pandas,
    missing,
    nan_if_missing,
    round_like_pandas,
    spend_rows,
    sum_like_pandas,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

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
    if missing(x):
        return None
    return round(float(x) + 0.0, 2)


@dataclass
class Section:
    """One section of the report: a table (or ``None`` when its data is not available) and
    notes for the reader (what the numbers mean, or why there are none)."""

    key: str
    title: str
    data: Rows | pd.DataFrame | None
    """The section's table as :class:`costplan.frames.Rows` (a DataFrame is read into rows);
    :attr:`table` gives it as a DataFrame."""
    notes: list[str] = field(default_factory=list)
    money: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    decimals: int = 2
    """Decimals of the money columns when shown (4 for amounts per user)."""

    def __post_init__(self) -> None:
        if self.data is not None and not isinstance(self.data, Rows):
            self.data = Rows.from_frame(self.data)
        self._frame = None

    @property
    def rows(self) -> Rows | None:
        """The table as rows (what the report is written from), or ``None``."""
        return self.data

    @property
    def table(self) -> pd.DataFrame | None:
        """The table as a DataFrame (built on first use), or ``None`` when not available."""
        if self.data is None:
            return None
        if self._frame is None:
            self._frame = self.data.to_frame()
        return self._frame

    @table.setter
    def table(self, df: pd.DataFrame | None) -> None:
        self.data = None if df is None else Rows.from_frame(df)
        self._frame = None

    @property
    def available(self) -> bool:
        return self.data is not None


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
    cov = _coverage(store)
    if not cov:
        raise InputError(
            f"store {store.path} holds no spend; load some with `costplan pull` or `costplan import`, "
            "or use the default store (synthetic sample)"
        )
    done = [c for c in cov if c["complete"] and not c["Estimated"]]
    if done:
        return str(done[-1]["month"])
    raise InputError(
        Problem(
            f"store {store.path} holds no complete month (all months are partial or still Estimated)",
            location="--month",
            hint=f"pass one of {', '.join(store.months())} explicitly",
        )
    )


def default_month_reason(store: Store, month: str) -> str:
    """Why :func:`default_month` chose ``month``: the newer months it skipped and why."""
    later = [c for c in _coverage(store) if c["month"] > month]
    if not later:
        return f"{month}: the last complete month in the store"
    parts = []
    for r in later:
        what = [f"{r['days']} of {r['days_in_month']} days"] if not r["complete"] else []
        if r["Estimated"]:
            what.append("still Estimated")
        parts.append(f"{r['month']} ({', '.join(what)})")
    return (f"{month} is the last complete, final month in the store; newer: {', '.join(parts)}. "
            f"Pass --month {later[-1]['month']} for the month in progress (compared on its month-end forecast)")


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


# --- reading the store as rows ---------------------------------------------------------------
def _coverage(store: Store) -> list[dict]:
    return coverage_rows(store)


def _freshness_rows(store: Store) -> Rows:
    if hasattr(store, "freshness_rows"):
        return store.freshness_rows()
    return Rows.from_frame(store.freshness())


def _users_rows(store: Store) -> Rows:
    if hasattr(store, "users_rows"):
        return store.users_rows()
    return Rows.from_frame(store.users())


def _day_text(v) -> str:
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10]).strftime("%Y-%m-%d")
    return v.strftime("%Y-%m-%d")


def _total(store: Store, month: str, metric: str = METRIC) -> float:
    return sum_like_pandas(spend_rows(store, [], month=month, metric=metric).column(metric))


# --- tables --------------------------------------------------------------------------------
def _desc(values: list[float]) -> list[int]:
    """Positions of ``values`` largest first, ties in their order (a stable descending sort,
    missing values last)."""
    have = [i for i, v in enumerate(values) if not missing(v)]
    return sorted(have, key=lambda i: -values[i]) + [i for i, v in enumerate(values) if missing(v)]


def _money(values) -> list:
    """Amounts rounded to the cent, as a float column's ``round(2) + 0.0`` (no negative zero)."""
    return [None if missing(v) else round_like_pandas(v, 2) + 0.0 for v in values]


def _round(values, digits: int) -> list:
    return [round_like_pandas(v, digits) for v in values]


def _by_rows(store: Store, key: str, month: str, label: str | None = None, months: list[str] | None = None) -> Rows:
    prev = shift_month(month, -1)
    cur = dict(spend_rows(store, [key], month=month).select([key, METRIC]).rows)
    before = dict(spend_rows(store, [key], month=prev).select([key, METRIC]).rows)
    keys = sorted(set(cur) | set(before))  # an outer merge: the keys in order
    has_prev = prev in (months if months is not None else store.months())
    now = [0.0 if missing(cur.get(k)) else float(cur[k]) for k in keys]
    then = [0.0 if missing(before.get(k)) else float(before[k]) for k in keys] if has_prev else [None] * len(keys)
    total = sum_like_pandas(now)
    share = [v / total if total else 0.0 for v in now]
    order = _desc(now)
    keys, now, then, share = ([xs[i] for i in order] for xs in (keys, now, then, share))
    now = apportion_values(now)
    if has_prev:
        then = apportion_values(then)
    change = _money([a - b if not missing(b) else None for a, b in zip(now, then, strict=True)])
    return Rows.from_columns({label or key: keys, METRIC: now, "previous": then, "change": change,
                              "share": _round(share, 4)},
                             {METRIC: "float", "previous": "float", "change": "float", "share": "float"})


def _by(store: Store, key: str, month: str, label: str | None = None) -> pd.DataFrame:
    return _by_rows(store, key, month, label).to_frame()


def apportion_values(values: list) -> list[float]:
    """:func:`apportion` on a list of amounts (missing as 0)."""
    v = [0.0 if missing(x) else float(x) for x in values]
    if not v:
        return []
    target = int(round(round(sum_like_pandas(v), 2) * 100))
    scaled = [x * 100 for x in v]
    floor = [math.floor(x) for x in scaled]
    rest = target - sum(floor)
    frac = [s - f for s, f in zip(scaled, floor, strict=True)]
    order = _desc(frac)
    add = [0] * len(v)
    if rest > 0:
        for i in order[:rest]:
            add[i] = 1
    elif rest < 0:
        for i in order[::-1][:-rest]:
            add[i] = -1
    return [round_like_pandas((f + a) / 100, 2) + 0.0 for f, a in zip(floor, add, strict=True)]


def apportion(values: pd.Series) -> pd.Series:
    """Round amounts to the cent so that they add up to their rounded total (largest remainder).

    Rounding each part on its own can leave the parts a cent or two away from the total that
    the headline shows; this moves those cents to the parts with the largest remainders.
    """
    import pandas as pd

    return pd.Series(apportion_values(values.tolist()), index=values.index, dtype=float)


def _round_rows(rows: Rows, money=(), **digits: int) -> Rows:
    """``rows`` with the ``money`` columns rounded to the cent and each column of ``digits``
    to its digits (as a frame's ``round``), the rounded columns declared float."""
    kinds = dict(rows.kinds)
    data = {c: rows.column(c) for c in rows.columns}
    for c in money:
        if c in data:
            data[c], kinds[c] = _money(data[c]), "float"
    for c, d in digits.items():
        if c in data:
            data[c], kinds[c] = _round(data[c], d), "float"
    return Rows.from_columns(data, kinds)


def movers_rows(store: Store, month: str, n: int = TOP_MOVERS, against: str | None = None) -> Rows:
    """:func:`movers` as rows."""
    keys = ["ServiceName", "RegionId", "x_UsageType", "PricingUnit"]
    prev = against or shift_month(month, -1)

    def one(m: str) -> dict:
        cost = spend_rows(store, keys, month=m).select(keys + [METRIC]).rows
        qty = {r[:4]: r[4] for r in spend_rows(store, keys, month=m, metric="PricingQuantity")
               .select(keys + ["PricingQuantity"]).rows}
        return {r[:4]: (r[4], qty.get(r[:4])) for r in cost}

    cur, before = one(month), one(prev)
    out = []
    for k in sorted(set(cur) | set(before)):
        c, q1 = cur.get(k, (None, None))
        p, q0 = before.get(k, (None, None))
        c = 0.0 if missing(c) else float(c)
        p = 0.0 if missing(p) else float(p)
        q0 = None if missing(q0) else float(q0)
        q1 = None if missing(q1) else float(q1)
        puc = div_like_pandas(p, q0) if q0 is not None and q0 > 0 else None
        uc = div_like_pandas(c, q1) if q1 is not None and q1 > 0 else None
        # change = (q1 - q0) * p0 + (p1 - p0) * q1; a usage type new this month is all usage effect
        p0 = puc if puc is not None else uc
        p1 = uc if uc is not None else puc
        if p0 is None or p1 is None:
            ue = pe = None
        else:
            ue = ((q1 or 0.0) - (q0 or 0.0)) * p0
            pe = (p1 - p0) * (q1 or 0.0)
        out.append((k[2], k[1], k[3], p, c, c - p, q0, q1, puc, uc, ue, pe, k[0]))
    out = [out[i] for i in sorted(range(len(out)), key=lambda i: -abs(out[i][5]))][:n]
    cols = ["x_UsageType", "RegionId", "PricingUnit", "previous", METRIC, "change", "previous_quantity", "quantity",
            "previous_unit_cost", "unit_cost", "usage_effect", "price_effect", "ServiceName"]
    rows = Rows(cols, out, {c: "float" for c in cols[3:12]})
    return _round_rows(rows, ("previous", METRIC, "change", "usage_effect", "price_effect"), previous_quantity=3,
                       quantity=3, previous_unit_cost=6, unit_cost=6)


def movers(store: Store, month: str, n: int = TOP_MOVERS, against: str | None = None) -> pd.DataFrame:
    """The ``n`` usage types whose cost moved most between ``against`` (default: the month
    before) and ``month``, with the usage and unit-cost change behind each move (see
    :class:`ReportTables`)."""
    return movers_rows(store, month, n, against).to_frame()


def variance_rows(plan: EstimateResult, store: Store, month: str) -> Rows:
    """:func:`variance` as rows."""
    from costplan.actuals.reconcile import reconcile_rows

    r = reconcile_rows(plan, store, month)
    rows = r.select(["component_kind", "ServiceName", "plan", "actual", "variance", "variance_pct", "flag"])
    p, a = apportion_values(rows.column("plan")), apportion_values(rows.column("actual"))
    data = {c: rows.column(c) for c in rows.columns}
    data["plan"], data["actual"] = p, a
    data["variance"] = _money([y - x for x, y in zip(p, a, strict=True)])
    data["variance_pct"] = _round(data["variance_pct"], 1)
    return Rows.from_columns(data, {c: "float" for c in ("plan", "actual", "variance", "variance_pct")})


def variance(plan: EstimateResult, store: Store, month: str) -> pd.DataFrame:
    """Plan (the stack's monthly estimate) against actual spend by component kind [USD], from
    :func:`costplan.actuals.reconcile.reconcile`, with plan and actual rounded to the cent so
    that each column adds up to its rounded total."""
    return variance_rows(plan, store, month).to_frame()


def provenance_rows(plan: EstimateResult) -> Rows:
    """:func:`provenance` as rows."""
    usage = [r for r in plan.records() if r["component_kind"] != "commitment"]
    groups: dict[tuple, list[dict]] = {}
    for r in usage:
        if missing(r["price_source"]):
            continue  # as a groupby drops a missing key
        groups.setdefault((r["price_source"], bool(r["price_verified"])), []).append(r)
    total = sum_like_pandas(r["ListCost"] for r in usage)
    out = []
    for (src, ver), rs in sorted(groups.items()):
        asof = [r["price_as_of"] for r in rs if not missing(r["price_as_of"])]
        cost = group_sum_like_pandas(r["ListCost"] for r in rs)
        out.append((src, ver, len(rs), cost, min(asof) if asof else None,
                    round_like_pandas(cost / total, 4) if total else 0.0))
    out = [out[i] for i in _desc([round_like_pandas(r[3], 2) for r in out])]
    rows = Rows(["price_source", "verified", "lines", "ListCost", "price_as_of", "share"], out,
                {"verified": "bool", "lines": "int", "ListCost": "float", "share": "float"})
    return _round_rows(rows, ("ListCost",))


def provenance(plan: EstimateResult) -> pd.DataFrame:
    """How the plan's usage cost is priced: by price source and verified flag [USD/month]."""
    return provenance_rows(plan).to_frame()


def freshness_rows(store: Store, month: str, fresh: Rows | None = None) -> Rows:
    """:func:`freshness` as rows (``fresh``: the store's freshness rows, when read already)."""
    f = fresh if fresh is not None else _freshness_rows(store)
    f = f.select(["day", "month", "EffectiveCost", "Estimated", "x_Source"])
    rows = [(_day_text(d), c, e, s) for d, m, c, e, s in f.rows if m == month]
    return _round_rows(Rows(["day", "EffectiveCost", "Estimated", "x_Source"], rows, {"EffectiveCost": "float"}),
                       ("EffectiveCost",))


def freshness(store: Store, month: str) -> pd.DataFrame:
    return freshness_rows(store, month).to_frame()


def trend_rows(store: Store, month: str, months: int = TREND_MONTHS, users: Rows | None = None) -> Rows:
    """:func:`trend` as rows (``users``: ``Store.users()`` as rows)."""
    start = shift_month(month, -(months - 1))
    df = spend_rows(store, ["month"], start=start, end=month).select(["month", METRIC, "Estimated"])
    cat = spend_rows(store, ["month", "ChargeCategory"], start=start, end=month)
    credit: dict[str, list] = {}
    for m, c, v in cat.select(["month", "ChargeCategory", METRIC]).rows:
        if c in ("Credit", "Refund"):
            credit.setdefault(m, []).append(v)
    ms = df.column("month")
    data = {"month": ms, METRIC: df.column(METRIC), "Estimated": df.column("Estimated"),
            "credits": _money(group_sum_like_pandas(credit[m]) if m in credit else 0.0 for m in ms)}
    kinds = {METRIC: "float", "credits": "float"}
    if users is not None and any(m in set(users.column("month")) for m in ms):
        held = dict(users.select(["month", "active_users"]).rows)
        n = [held.get(m) for m in ms]
        if any(missing(v) for v in n) or any(isinstance(v, float) for v in n):
            n = [None if missing(v) else float(v) for v in n]
            kinds["active_users"] = "float"
        data["active_users"] = n
        data["cost_per_user"] = _round([div_like_pandas(c, u) if not missing(u) and u > 0 else None
                                        for c, u in zip(data[METRIC], n, strict=True)], 4)
        kinds["cost_per_user"] = "float"
    return _round_rows(Rows.from_columns(data, kinds), (METRIC,))


def trend(store: Store, month: str, months: int = TREND_MONTHS, users: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spend of the last ``months`` months up to ``month``, with ``credits`` [USD, negative]: the
    credits and refunds (ChargeCategory) included in it; with ``users`` (``Store.users()``)
    holding any of them, also ``active_users`` [users] and ``cost_per_user`` [USD/user]
    (NaN for a month without a count)."""
    return trend_rows(store, month, months, None if users is None else Rows.from_frame(users)).to_frame()


# --- sections that use other modules -------------------------------------------------------
def commitments_section(store: Store, month: str) -> Section:
    from costplan.actuals.commitments import commitment_rows

    df = commitment_rows(store, month)
    notes = []
    if len(df):
        cov = nan_if_missing(df.column("coverage")[0])
        used, unused = sum_like_pandas(df.column("used_commitment")), sum_like_pandas(df.column("unused_commitment"))
        util = used / (used + unused) if used + unused else float("nan")
        notes.append(
            f"coverage {cov:.1%} of commitment-eligible node-pool compute; utilisation {util:.1%}; unused commitment "
            f"${unused:,.2f}; savings against on-demand ${sum_like_pandas(df.column('savings')):,.2f}"
        )
    else:
        notes.append(f"no Savings Plan or Reserved Instance was active in {month}")
    df = _round_rows(df, ("billed", "used_commitment", "unused_commitment", "covered_list_cost", "savings"),
                     utilisation=4, coverage=4)
    return Section("commitments", "Commitments", df, notes,
                   money=("billed", "used_commitment", "unused_commitment", "covered_list_cost", "savings"),
                   extra={"columns": ["CommitmentDiscountType", "billed", "used_commitment", "unused_commitment",
                                      "utilisation", "savings", "coverage"]})


def spot_section(store: Store, month: str) -> Section:
    from costplan.actuals.commitments import spot_rows

    df = spot_rows(store, month)
    money = ("node_pool_cost", "spot_cost", "spot_list_cost", "spot_savings")
    notes = []
    hours = sum_like_pandas(df.column("spot_hours")) if len(df) else 0.0
    if len(df) and hours > 0:
        notes.append(
            f"{hours / sum_like_pandas(df.column('node_pool_hours')):.1%} of node-pool instance hours ran on spot; "
            f"saved ${sum_like_pandas(df.column('spot_savings')):,.2f} against on-demand prices"
        )
    else:
        notes.append(f"no spot capacity in {month}")
    df = _round_rows(df, money, node_pool_hours=1, spot_hours=1, spot_share_hours=4, spot_share_cost=4)
    return Section("spot", "Spot share and savings", df, notes, money=money)


def decisions_section(stack: Stack, plan: EstimateResult, catalog: Catalog | None = None, seed: int = 0) -> Section:
    """The decisions of :func:`costplan.decisions.evaluate_decisions` (the same objects the
    quarterly review shows): ``decision``, ``kind``, ``net_monthly`` / ``low`` / ``high``
    [USD/month, negative saves], ``new_monthly`` [USD/month], ``estimate_grade`` and
    ``estimate_grade_cost`` [USD/month], ``scenario``."""
    from costplan.decisions import evaluate_decisions, table_rows

    ds = evaluate_decisions(stack, catalog, base=plan, seed=seed)
    df = table_rows(ds).select(["decision", "net_monthly", "low", "high", "new_monthly", "estimate_grade",
                                "estimate_grade_cost", "scenario"])
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


def run_projection(stack: Stack, catalog: Catalog | None = None, seed: int = 0, calibration=None, base=None):
    """The stack's projection over the next :data:`PROJECTION_MONTHS` months
    (:data:`PROJECTION_SIMULATIONS` Monte Carlo paths; ``catalog`` default: the embedded one;
    ``calibration`` from :func:`costplan.projection.calibrate.calibrate`, or None for the plan;
    ``base``: the estimate of ``stack`` at ``catalog``, not priced again)."""
    from costplan.projection import project

    return project(stack, months=PROJECTION_MONTHS, simulations=PROJECTION_SIMULATIONS, seed=seed, catalog=catalog,
                   calibration=calibration, base=base)


def _projection_rows(res, which: str) -> Rows:
    """``res.monthly`` or ``res.per_user`` as rows (the result's own rows when it has them)."""
    if hasattr(res, f"{which}_rows"):
        return getattr(res, f"{which}_rows")()
    return Rows.from_frame(getattr(res, which))


def _month_text(v) -> str:
    if isinstance(v, str):
        return v[:7]
    return v.strftime("%Y-%m")


def _fan(m: Rows, digits: int, plus_zero: bool) -> Rows:
    data = {"month": [_month_text(v) for v in m.column("ChargePeriodStart")],
            "users_p50": _round(m.column("users_p50"), 0)}
    for c in ("p10", "p50", "p90"):
        data[c] = _money(m.column(c)) if plus_zero else _round(m.column(c), digits)
    return Rows.from_columns(data, {c: "float" for c in ("users_p50", "p10", "p50", "p90")})


def projection_section(res) -> Section:
    df = _fan(_projection_rows(res, "monthly"), 2, True)
    notes = [f"{res.simulations} simulated paths (seed {res.seed}); p10-p90 is the range 8 in 10 paths fall in; "
             f"catalog as of {res.catalog_as_of}"]
    cal = getattr(res, "calibration", None)
    if cal is not None:
        f = cal.factor_rows
        moved = [(k, x) for k, x in zip(f.column("component_kind"), f.column("factor"), strict=True)
                 if abs(x - 1) >= 0.05]
        notes.append(f"the projection is {cal.summary}: each kind of cost is scaled by actual / plan of that month"
                     + (" (" + ", ".join(f"{k} x{x:.2f}" for k, x in moved) + ")"
                        if moved else "") + "; growth and capacity steps come from the stack's drivers")
    else:
        notes.append("the projection starts from the plan (the stack's estimate at catalog prices and its demand "
                     "drivers), not from the actual spend: a gap between the actual months and the fan is the "
                     "plan-vs-actual variance (`costplan report --calibrate` starts it from the month's bill)")
    notes += list(res.warnings)
    return Section("projection", f"Projection: the next {PROJECTION_MONTHS} months", df, notes,
                   money=("p10", "p50", "p90"))


def per_user_section(res, month_total: float, month: str, users=None) -> Section:
    """Cost per user: the projection's per-user range, and the month's actual cost per user,
    divided by the store's user count of the month (``users``, ``Store.users()``, a frame or
    rows) when it has one, else by the projection's baseline users (said in the note)."""
    pu = _projection_rows(res, "per_user")
    df = _fan(pu, 4, False)
    users0 = float(pu.column("users_p50")[0]) if len(pu) else 0.0
    if users is not None and not isinstance(users, Rows):
        users = Rows.from_frame(users)
    held = [r for r in users.records() if r["month"] == month] if users is not None else []
    notes = []
    if held and float(held[0]["active_users"]) > 0:
        n = float(held[0]["active_users"])
        label = ", SYNTHETIC sample" if bool(held[0]["x_Synthetic"]) else ""
        notes.append(f"actual {month}: ${month_total / n:,.4f} per user for {n:,.0f} active users (the store's "
                     f"count{label}; the chart shows every month with a count before the projection)")
    elif users0 > 0:
        notes.append(f"actual {month}: ${month_total / users0:,.4f} per user for {users0:,.0f} active users (the "
                     "projection's baseline user count: the store holds no count for this month; "
                     "`costplan import users` adds them)")
    if "marginal_per_1000_users" in pu:
        notes.append(f"the next 1,000 users cost about ${float(pu.column('marginal_per_1000_users')[0]):,.2f} a month "
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
    users = _users_rows(store)
    t = trend_rows(store, month, users=users)
    total = _total(store, month)

    def month_total(m: str) -> float | None:
        return _total(store, m) if m in months else None

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
        "billed_total": cents(_total(store, month, "BilledCost")),
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

    sections["by_service"] = Section("by_service", "Spend by service", _by_rows(store, "ServiceName", month, months=months),
                                     money=(METRIC, "previous", "change"))
    sections["by_region"] = Section("by_region", "Spend by region", _by_rows(store, "RegionId", month, months=months),
                                    ["(none) is spend with no region: commitments, credits, global services"],
                                    money=(METRIC, "previous", "change"))
    sections["by_component"] = Section("by_component", "Spend by component", _by_rows(store, "component", month,
                                       "component_kind", months=months), money=(METRIC, "previous", "change"))
    sections["by_team"] = Section("by_team", "Spend by team (tag team)", _by_rows(store, "tag:team", month, "team", months=months),
                                  money=(METRIC, "previous", "change"))
    credited = [(m, c) for m, c in zip(t.column("month"), t.column("credits"), strict=True) if c < 0]
    sections["trend"] = Section(
        "trend", "Monthly spend", t,
        ["credits and refunds are included in each month's total and shown apart (credits): "
         + ", ".join(f"{m} ${c:,.2f}" for m, c in credited)] if credited else [],
        money=(METRIC, "credits"))
    built()
    progress("top movers")
    mv = movers_rows(store, month)
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
        "variance", "Plan vs actual", variance_rows(plan, store, month),
        [f"plan: the monthly estimate of {plan.stack_name} ({plan.hours_per_month:g} h a month, catalog as of "
         f"{plan.catalog_as_of}); actual: {METRIC}"],
        money=("plan", "actual", "variance"),
    )
    vt, bc = sections["variance"].rows, sections["by_component"].rows
    by_kind: dict[str, list] = {}
    for k, a in zip(vt.column("component_kind"), vt.column("actual"), strict=True):
        by_kind.setdefault(k, []).append(a)
    va = {k: group_sum_like_pandas(by_kind[k]) for k in sorted(by_kind)}
    ba = dict(zip(bc.column("component_kind"), bc.column(METRIC), strict=True))
    moved = [(k, float(va[k]), float(ba[k])) for k in va if k in ba
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
        # the plan is the stack's estimate at this catalog: the projection starts from it
        res = run_projection(stack, catalog, seed, calibration, base=plan if catalog is not None else None)
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
    all_fresh = _freshness_rows(store)  # read once: the month's days and the store's Estimated ones
    est = freshness_rows(store, month, all_fresh)
    sections["freshness"] = Section("freshness", "Data freshness", est, money=("EffectiveCost",))
    est_days = [d for d, e in zip(est.column("day"), est.column("Estimated"), strict=True) if e]
    sections["freshness"].notes.append(
        f"{len(est_days)} of {len(est)} days of {month} are still Estimated: {_day_ranges(est_days)}"
        if est_days else f"all {len(est)} days of {month} are Final"
    )
    latest_est = [d for d, e in zip(all_fresh.column("day"), all_fresh.column("Estimated"), strict=True) if e]
    if latest_est:
        days = sorted(_day_text(d) for d in latest_est)
        sections["freshness"].notes.append(f"the store's Estimated days: {_day_ranges(days)}")
    sections["freshness"].extra["estimated_days"] = est_days
    prov = provenance_rows(plan)
    unverified = sum_like_pandas(c for c, v in zip(prov.column("ListCost"), prov.column("verified"), strict=True)
                                 if not v)
    usage_total = sum_like_pandas(prov.column("ListCost"))
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
        days_in_month = calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
        if len(est) < days_in_month:
            sections["headline"].notes.insert(1, f"{month} is a partial month: {len(est)} of "
                                              f"{days_in_month} days are in the store")
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
