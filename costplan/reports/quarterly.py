"""The quarterly review's numbers: one quarter of spend against the plan, what drove it, and
the decisions to take. Used by ``notebooks/quarterly_review.ipynb`` (the notebook only calls
these functions and shows their results).

>>> quarter_months("2026Q3")
['2026-07', '2026-08', '2026-09']
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from costplan.errors import InputError, Problem
from costplan.reports.tables import METRIC, apportion, movers, shift_month

if TYPE_CHECKING:  # pragma: no cover
    from costplan.actuals.store import Store
    from costplan.estimator import EstimateResult

_QUARTER = re.compile(r"^(?P<y>\d{4})-?Q(?P<q>[1-4])$", re.IGNORECASE)


def parse_quarter(quarter: str) -> tuple[int, int]:
    """``"2026Q3"`` -> ``(2026, 3)``; an :class:`InputError` naming ``--quarter`` otherwise."""
    m = _QUARTER.match(str(quarter).strip())
    if not m:
        raise InputError(Problem(f"bad quarter {quarter!r}", location="--quarter",
                                 hint="use YYYYQn with n from 1 to 4, e.g. 2026Q3"))
    return int(m["y"]), int(m["q"])


def quarter_months(quarter: str) -> list[str]:
    """The three billing months (``YYYY-MM``) of a quarter."""
    y, q = parse_quarter(quarter)
    return [f"{y:04d}-{3 * (q - 1) + i:02d}" for i in (1, 2, 3)]


def quarter_label(quarter: str) -> str:
    y, q = parse_quarter(quarter)
    return f"{y}Q{q}"


def check_quarter(store: Store, quarter: str) -> list[str]:
    """The quarter's months held by the store; an :class:`InputError` when it holds none."""
    months = quarter_months(quarter)
    held = store.months()
    have = [m for m in months if m in held]
    if not have:
        span = f"{held[0]} .. {held[-1]}" if held else "no months"
        raise InputError(Problem(f"the store {store.path} holds no spend for {quarter_label(quarter)} "
                                 f"({months[0]} .. {months[-1]})", location="--quarter", hint=f"it holds {span}"))
    return have


def quarter_summary(store: Store, plan: EstimateResult, quarter: str) -> pd.DataFrame:
    """Per month of the quarter: ``month``, ``actual`` [USD] (EffectiveCost), ``plan``
    [USD/month] (the stack's estimate), ``variance`` [USD], ``variance_pct`` [%], ``Estimated``
    (month not final yet); plus a ``quarter`` total row."""
    have = check_quarter(store, quarter)
    rows = []
    for m in have:
        s = store.spend([], month=m)
        rows.append({"month": m, "actual": float(s[METRIC].sum()), "plan": plan.total_monthly_cost,
                     "Estimated": bool(s["Estimated"].any())})
    df = pd.DataFrame(rows)
    total = {"month": quarter_label(quarter), "actual": df["actual"].sum(), "plan": df["plan"].sum(),
             "Estimated": bool(df["Estimated"].any())}
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    df["actual"] = df["actual"].round(2) + 0.0
    df["plan"] = df["plan"].round(2) + 0.0
    df["variance"] = (df["actual"] - df["plan"]).round(2) + 0.0
    df["variance_pct"] = (df["variance"] / df["plan"] * 100).round(1)
    return df[["month", "actual", "plan", "variance", "variance_pct", "Estimated"]]


def quarter_spend(store: Store, quarter: str, by: str = "ServiceName") -> pd.DataFrame:
    """Spend of the quarter by ``by`` (any :meth:`Store.spend` key), one column per month and a
    ``quarter`` column [USD], largest first; each column adds up to its rounded total."""
    have = check_quarter(store, quarter)
    df = store.spend(["month", by], start=have[0], end=have[-1])
    wide = df.pivot_table(index=by, columns="month", values=METRIC, aggfunc="sum", fill_value=0.0)
    wide["quarter"] = wide.sum(axis=1)
    wide = wide.sort_values("quarter", ascending=False)
    for c in wide.columns:
        wide[c] = apportion(wide[c])
    wide.columns.name = None
    return wide.reset_index()


def quarter_variance(store: Store, plan: EstimateResult, quarter: str) -> pd.DataFrame:
    """Plan vs actual by component kind over the quarter's months held [USD]: the monthly
    reconciliations (:func:`costplan.actuals.reconcile.reconcile`) added up."""
    from costplan.actuals.reconcile import reconcile

    have = check_quarter(store, quarter)
    frames = [reconcile(plan.lines, store, m).lines.assign(month=m) for m in have]
    df = pd.concat(frames, ignore_index=True)
    g = df.groupby(["component_kind", "ServiceName"], as_index=False)[["plan", "actual"]].sum()
    g["plan"] = apportion(g["plan"])
    g["actual"] = apportion(g["actual"])
    g["variance"] = (g["actual"] - g["plan"]).round(2) + 0.0
    # against the plan's size, as the monthly reconciliation does: a commitment's plan is negative (its
    # fee minus the on-demand cost it covers), and a rise must read as a rise
    g["variance_pct"] = (g["variance"] / g["plan"].abs().where(g["plan"] != 0) * 100).round(1)
    return g.reindex(g["variance"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def quarter_drivers(store: Store, quarter: str, n: int = 10) -> pd.DataFrame:
    """The usage types that moved most from the month before the quarter to its last month
    held, split into usage and price effects [USD] (see :func:`costplan.reports.tables.movers`)."""
    have = check_quarter(store, quarter)
    before = shift_month(quarter_months(quarter)[0], -1)
    if before not in store.months():
        before = have[0]
    if before == have[-1]:
        return movers(store, have[-1], n, against=shift_month(have[-1], -1)).iloc[0:0]
    return movers(store, have[-1], n, against=before)


def quarter_calibration(stack, store: Store, quarter: str, catalog=None):
    """The projection's calibration to the quarter's newest final, complete month
    (:func:`costplan.projection.calibrate.calibrate`), or None when no month of the quarter
    held is both."""
    from costplan.projection.calibrate import calibrate

    cov = store.coverage()
    done = cov["complete"] & ~cov["Estimated"] & cov["month"].isin(quarter_months(quarter))
    final = cov.loc[done, "month"].tolist()
    return calibrate(stack, store, final[-1], catalog) if final else None


def decisions(stack, plan: EstimateResult | None = None, *, simulations: int = 200, seed: int = 0) -> list:
    """The decisions to take, each priced on the whole bill with the stack's commitments
    (:func:`costplan.decisions.evaluate_decisions`: the same figures as ``costplan diff``)."""
    from costplan.decisions import evaluate_decisions

    return evaluate_decisions(stack, base=plan, simulations=simulations, seed=seed)


#: Months before a quarter's first month that the review reads on an export table (the same
#: quarter a year earlier and the trend before it).
REVIEW_LOOKBACK = 24


def read_window(source, quarter: str | None = None) -> None:
    """On an export table read by a remote engine (Athena, Spark), the billing periods the
    review reads, so that every query scans those partitions only: from ``REVIEW_LOOKBACK``
    months before ``quarter`` to the newest held (its run-rate and the projection's start);
    with no quarter yet, the ``REVIEW_LOOKBACK`` newest held (enough to find the last complete
    quarter). The local store reads what it holds and is left as it is."""
    if not hasattr(source, "set_window"):
        return
    held = source.months()
    if quarter is None:
        source.set_window(held[-REVIEW_LOOKBACK:])
        return
    first = shift_month(quarter_months(quarter)[0], -REVIEW_LOOKBACK)
    source.set_window([m for m in held if m >= first] or quarter_months(quarter))


# --- which quarter, and how complete it is ------------------------------------------------
def default_quarter(store: Store) -> tuple[str, str]:
    """The last quarter whose three months the store holds complete and final, and a
    sentence saying why it was chosen."""
    cov = store.coverage()
    done = set(cov.loc[cov["complete"] & ~cov["Estimated"], "month"])
    quarters = sorted({f"{m[:4]}Q{(int(m[5:7]) - 1) // 3 + 1}" for m in done}, reverse=True)
    for qt in quarters:
        if all(m in done for m in quarter_months(qt)):
            newest = cov["month"].iloc[-1]
            return qt, (f"{qt} is the last quarter whose three months are complete and final in the store "
                        f"(its newest month, {newest}, is {'still in progress' if newest not in done else 'final'})")
    raise InputError(Problem(f"the store {store.path} holds no complete quarter", location="--quarter",
                             hint="pass a quarter explicitly, e.g. --quarter " + (quarters[0] if quarters else "2026Q3")))


def quarter_status(store: Store, quarter: str) -> dict:
    """How much of ``quarter`` the store holds: ``days`` covered, ``days_in_quarter``,
    ``complete`` (every day covered and nothing Estimated) and ``note`` (empty when complete)."""
    import calendar

    cov = store.coverage().set_index("month")
    months = quarter_months(quarter)
    days_in = sum(calendar.monthrange(int(m[:4]), int(m[5:7]))[1] for m in months)
    held = [m for m in months if m in cov.index]
    days = int(sum(cov.loc[m, "days"] for m in held))
    estimated = any(bool(cov.loc[m, "Estimated"]) for m in held)
    complete = days == days_in and not estimated
    note = ""
    if not complete:
        note = (f"{quarter_label(quarter)} is in progress: the store holds {days} of its {days_in} days"
                f"{' (some still Estimated)' if estimated else ''}; it is compared on its run-rate "
                f"(spend so far / {days} x {days_in} days), not on the partial sum")
    return {"days": days, "days_in_quarter": days_in, "complete": complete, "note": note}


def store_currency(store: Store) -> str:
    """The store's BillingCurrency (:func:`costplan.reports.tables.store_currency`)."""
    from costplan.reports.tables import store_currency as cur

    return cur(store)


def shift_quarter(quarter: str, n: int) -> str:
    y, q = parse_quarter(quarter)
    k = y * 4 + (q - 1) + n
    return f"{k // 4}Q{k % 4 + 1}"


def quarter_total(store: Store, quarter: str) -> tuple[float | None, dict]:
    """EffectiveCost of ``quarter`` [currency]: the sum when complete, the run-rate when in
    progress (None when the store holds none of it), with :func:`quarter_status`."""
    months = [m for m in quarter_months(quarter) if m in store.months()]
    if not months:
        return None, {"complete": False, "days": 0, "days_in_quarter": 0, "note": ""}
    st = quarter_status(store, quarter)
    total = float(store.spend([], start=months[0], end=months[-1])[METRIC].sum())
    if not st["complete"] and st["days"]:
        total = total / st["days"] * st["days_in_quarter"]
    return total, st


def executive_summary(store: Store, plan: EstimateResult, quarter: str, decisions: list | None = None) -> dict:
    """The review's first section: ``total`` (the quarter, or its run-rate in progress),
    ``plan`` (three months of the stack's estimate at list prices), ``previous`` and
    ``last_year`` (same basis; None when not held), ``drivers`` (the three services that moved
    most against the previous quarter), ``decisions`` (the ones that save, largest first) and
    ``markdown``: all of it as a short text for a finance lead."""
    from costplan.reports.style import money

    label = quarter_label(quarter)
    cur = store_currency(store)
    total, st = quarter_total(store, label)
    planq = plan.total_monthly_cost * 3
    prev_label, ly_label = shift_quarter(label, -1), shift_quarter(label, -4)
    prev, prev_st = quarter_total(store, prev_label)
    ly, ly_st = quarter_total(store, ly_label)
    basis = "run-rate" if not st["complete"] else "total"

    drivers = pd.DataFrame(columns=["ServiceName", "change"])
    have = [m for m in quarter_months(label) if m in store.months()]
    before = [m for m in quarter_months(prev_label) if m in store.months()]
    if have and before:
        a = store.spend(["ServiceName"], start=have[0], end=have[-1]).set_index("ServiceName")[METRIC]
        b = store.spend(["ServiceName"], start=before[0], end=before[-1]).set_index("ServiceName")[METRIC]
        if not st["complete"] and st["days"]:
            a = a / st["days"] * st["days_in_quarter"]
        if not prev_st["complete"] and prev_st["days"]:
            b = b / prev_st["days"] * prev_st["days_in_quarter"]
        ch = a.sub(b, fill_value=0.0)
        top = ch.reindex(ch.abs().sort_values(ascending=False).index).head(3)
        drivers = pd.DataFrame({"ServiceName": top.index, "change": top.to_numpy()})
    saving = sorted([d for d in (decisions or []) if d.saves], key=lambda d: d.net_monthly)
    against = [d for d in (decisions or []) if d.net_monthly > 0.005]
    lines = [f"**{label}{' (in progress)' if not st['complete'] else ''}: "
             f"{money(total, cur, cents=False)} {'run-rate' if not st['complete'] else 'spent'}** "
             f"(EffectiveCost, {cur})"]
    if st["note"]:
        lines.append(f"> {st['note']}.")
    plan_st = {"complete": True}
    lines += ["", _vs_line(total, planq, "plan (3 months of the stack's estimate at list prices)", cur, plan_st),
              _vs_line(total, prev, f"previous quarter ({prev_label})", cur, prev_st),
              _vs_line(total, ly, f"same quarter last year ({ly_label})", cur, ly_st), ""]
    if len(drivers):
        lines.append(f"**Biggest drivers** against {prev_label} ({basis}):")
    else:
        lines.append(f"**Biggest drivers**: {prev_label} is not in the store to compare with.")
    for r in drivers.itertuples(index=False):
        lines.append(f"- {r.ServiceName}: {money(r.change, cur, cents=False, signed=True)}")
    lines += ["", "**Decisions to take** (each priced on the whole bill, existing commitments included):"]
    if not saving:
        lines.append("- none of the evaluated changes lowers the bill")
    for d in saving[:3]:
        lines.append(f"- {d.headline()}")
    for d in against:
        if d.kind == "spot":
            lines.append(f"- do not, as things stand: {d.headline()}")
    return {"total": total, "plan": planq, "previous": prev, "last_year": ly, "drivers": drivers,
            "decisions": saving, "status": st, "currency": cur, "markdown": "\n".join(lines)}


def _vs_line(a, b, what: str, cur: str, st: dict) -> str:
    from costplan.reports.style import money, percent

    if a is None or b is None:
        return f"- vs {what}: not in the store"
    d = a - b
    tag = ", run-rate" if not st["complete"] else ""
    return f"- vs {what}: {money(d, cur, cents=False, signed=True)} ({percent(d / b, signed=True)}; {money(b, cur, cents=False)}{tag})"


def over_months(store: Store, summary, months: list[str] | None = None) -> pd.DataFrame:
    """A per-month summary function (``summary(store, month) -> DataFrame``, such as
    :func:`costplan.actuals.commitments.spot_summary`) run for each month held (or the given
    ones), concatenated with a ``month`` column first."""
    months = months or [m for m in store.months()]
    frames = [summary(store, m).assign(month=m) for m in months]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["month"])
    df = pd.concat(frames, ignore_index=True)
    return df[["month"] + [c for c in df.columns if c != "month"]]


# --- one-line takeaways, one per figure -----------------------------------------------------
def takeaway_summary(summary: pd.DataFrame, currency: str = "USD") -> str:
    """The quarter against the plan, and the month furthest from it."""
    from costplan.reports.style import money

    total = summary.iloc[-1]
    months = summary.iloc[:-1]
    worst = months.iloc[int(months["variance"].abs().to_numpy().argmax())] if len(months) else None
    text = (f"Takeaway: the quarter spent {money(total['actual'], currency, cents=False)} against a plan of "
            f"{money(total['plan'], currency, cents=False)} ({total['variance_pct']:+.1f}%)")
    if worst is not None:
        text += f"; {worst['month']} was furthest from plan ({money(worst['variance'], currency, cents=False, signed=True)})"
    return text + "."


def takeaway_services(by_service: pd.DataFrame, key: str = "ServiceName", currency: str = "USD") -> str:
    from costplan.reports.style import money, percent

    if by_service.empty:
        return "Takeaway: no spend in the quarter."
    top = by_service.iloc[0]
    share = top["quarter"] / by_service["quarter"].sum() if by_service["quarter"].sum() else 0.0
    return (f"Takeaway: {top[key]} is the largest line, {money(top['quarter'], currency, cents=False)} "
            f"({percent(share, digits=0)} of the quarter).")


def takeaway_variance(variance: pd.DataFrame, currency: str = "USD") -> str:
    from costplan.reports.style import money

    if variance.empty:
        return "Takeaway: nothing to compare with the plan."
    top = variance.iloc[0]
    return (f"Takeaway: the largest gap to plan is {top['component_kind']} ({top['ServiceName']}), "
            f"{money(top['variance'], currency, cents=False, signed=True)} over the quarter.")


def takeaway_drivers(drivers: pd.DataFrame, currency: str = "USD") -> str:
    from costplan.reports.style import money

    if drivers.empty:
        return "Takeaway: no earlier month to compare with."
    top = drivers.iloc[0]
    u, p = top.get("usage_effect"), top.get("price_effect")
    why = ""
    if pd.notna(u) and pd.notna(p):
        why = ", mostly usage" if abs(u) >= abs(p) else ", mostly unit price"
    return (f"Takeaway: the biggest mover is {top['x_UsageType']} in {top['RegionId']}, "
            f"{money(top['change'], currency, cents=False, signed=True)} a month{why}.")


def takeaway_projection(table: pd.DataFrame, currency: str = "USD") -> str:
    from costplan.reports.style import money

    if table.empty:
        return "Takeaway: no projection."
    first, last = table.iloc[0], table.iloc[-1]
    return (f"Takeaway: on the central path the monthly bill goes from {money(first['p50'], currency, cents=False)} "
            f"to {money(last['p50'], currency, cents=False)} by {last['month']} "
            f"(8 in 10 paths between {money(last['p10'], currency, cents=False)} and "
            f"{money(last['p90'], currency, cents=False)}).")


def decisions_markdown(decisions: list) -> str:
    """The decisions as a Markdown list, largest saving first, each with its headline."""
    ds = sorted(decisions, key=lambda d: d.net_monthly)
    return "\n".join(f"- {d.headline()}" + (f" ({'; '.join(d.notes)})" if d.notes else "") for d in ds)
