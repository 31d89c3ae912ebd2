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
    g["variance_pct"] = (g["variance"] / g["plan"].where(g["plan"] != 0) * 100).round(1)
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


def decisions(stack, plan: EstimateResult | None = None, *, simulations: int = 200, seed: int = 0) -> dict:
    """The decisions to take, from the projection module:

    - ``spot``: node pools not on spot yet, with the saving of moving them
      (:func:`costplan.projection.spot_savings`), largest saving first;
    - ``commitments``: Savings Plan sizing per term and payment, best first, and
      ``existing``: the stack's own plans evaluated on the same projected usage
      (:func:`costplan.projection.stack_commitments`); ``curve`` for
      :func:`costplan.projection.figures.commitment_curve`;
    - ``findings``: commitments that cannot work and prices the sizing lacks.
    """
    from costplan.projection import spot_savings, stack_commitments

    sp = spot_savings(stack)
    sp = sp[sp["capacity_now"] != "spot"].sort_values("saving", ascending=False).reset_index(drop=True)
    sc = stack_commitments(stack, simulations=simulations, seed=seed)
    return {"spot": sp, "commitments": sc.table, "existing": sc.existing, "curve": sc.curve,
            "findings": list(sc.findings)}


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
