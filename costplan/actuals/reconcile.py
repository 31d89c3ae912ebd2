"""Plan versus actual: an estimate's cost lines against one billing month of stored spend.

The plan side is an estimate's ``lines`` frame (``component``, ``component_kind``,
``ServiceName``, ``ListCost`` [USD/month], ...). The actual side is the store's EffectiveCost
[USD] of the month, each row given a component kind by :mod:`costplan.actuals.mapping`.
The two meet on the component kind. Spend no rule maps is shown as ``unmapped`` lines, one per
ServiceName, never dropped; kinds with actual spend but no plan line (tax, credits) are shown
as "not in plan".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from costplan.actuals import queries
from costplan.actuals.mapping import UNMAPPED, load_rules, plan_kind
from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.actuals.store import Store

PLAN_COLUMNS = ("component", "component_kind", "ListCost")
DEFAULT_THRESHOLD_PCT = 10.0  # [%]
DEFAULT_MIN_VARIANCE = 10.0  # [USD]


@dataclass
class Reconciliation:
    """Result of :func:`reconcile`."""

    month: str
    lines: pd.DataFrame
    """One row per component kind (and per ServiceName for unmapped spend): ``component_kind``,
    ``ServiceName``, ``components`` (plan component names), ``plan`` [USD/month] (ListCost),
    ``actual`` [USD] (EffectiveCost), ``variance`` [USD] (actual - plan), ``variance_pct`` [%]
    (variance / |plan|, so positive always means more cost than planned; NaN when there is no
    plan), ``flag`` ("" within the threshold; "over", "under",
    "not in plan", "no spend", "unmapped")."""
    plan_total: float
    """[USD/month]"""
    actual_total: float
    """[USD]"""
    estimated: bool
    """True when the month's actuals are not final yet (month to date)."""
    synthetic: bool
    """True when the actuals are the synthetic sample."""
    days: int = 0
    """Days of the month the store's rows cover (:meth:`Store.coverage`)."""
    days_in_month: int = 0

    @property
    def complete(self) -> bool:
        """Every day of the month is covered: a monthly plan compares with a whole month."""
        return self.days == self.days_in_month

    @property
    def variance_total(self) -> float:
        return self.actual_total - self.plan_total


def _actual(store: Store, month: str, commitment_line: bool) -> pd.DataFrame:
    """EffectiveCost [USD] of the month by component kind and ServiceName."""
    import pandas as pd

    from costplan.actuals.store import period_filter

    conds, _ = period_filter(month=month)
    rel = store.money_sql(conds, month=month)
    found = store.query(queries.currencies_sql(rel, conds))["BillingCurrency"].tolist()
    if found and found[0] != "USD":
        raise InputError(
            Problem(
                f"the spend of {month} is billed in {found[0]}; a plan is priced in USD (the catalog's currency)",
                location="--currency",
                hint="reconcile the month's USD spend (--currency USD), if the store holds any",
            )
        )
    df = store.query(queries.component_spend_sql(rel, month, commitment_line))
    discount = float(df["discount"].sum())
    df = df.drop(columns=["discount"])
    if discount:
        df = pd.concat(
            [
                df,
                pd.DataFrame(
                    [
                        {
                            "component": "commitment",
                            "ServiceName": "Savings Plans for AWS Compute usage",
                            "EffectiveCost": discount,
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    return df


def _canonical_services() -> dict[str, str]:
    out: dict[str, str] = {}
    for r in load_rules():
        out.setdefault(r["component_kind"], r["ServiceName"])
    return out


def reconcile(
    plan_lines: pd.DataFrame,
    store: Store,
    month: str,
    *,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    min_variance: float = DEFAULT_MIN_VARIANCE,
    commitment_line: bool = True,
) -> Reconciliation:
    """Compare ``plan_lines`` with the store's spend of billing period ``month`` (``YYYY-MM``).

    With ``commitment_line`` (default), usage a commitment covered is counted at its
    on-demand price (ListCost) under its own component and the discount goes to the
    ``commitment`` line, as an estimate shows them; the month's total is unchanged.
    A line is flagged when ``|variance_pct| > threshold_pct`` [%] and ``|variance| >=
    min_variance`` [USD]; spend with no plan line is flagged when at least ``min_variance``.
    """
    import numpy as np
    import pandas as pd

    missing = [c for c in PLAN_COLUMNS if c not in plan_lines.columns]
    if missing:
        raise InputError(
            Problem(f"plan lines lack columns {missing}", hint=f"needs {', '.join(PLAN_COLUMNS)}")
        )
    cost = pd.to_numeric(plan_lines["ListCost"], errors="coerce")
    bad = ~np.isfinite(cost.to_numpy(dtype=float))
    if bad.any():  # an empty, infinite or non-numeric plan amount is not $0
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
        raise InputError(Problem(f"ListCost must be a finite number [USD/month]; not on line(s) {rows}",
                                 location="--plan"))
    if month not in store.months():
        raise InputError(
            Problem(
                f"the store holds no spend for {month}",
                location="--month",
                hint="months held: " + (", ".join(store.months()) or "none"),
            )
        )
    units = plan_lines["PricingUnit"] if "PricingUnit" in plan_lines else [None] * len(plan_lines)
    plan = plan_lines.assign(
        kind=[plan_kind(k, u) for k, u in zip(plan_lines["component_kind"], units, strict=True)],
        ListCost=pd.to_numeric(plan_lines["ListCost"], errors="coerce"),
    )
    if plan["ListCost"].isna().any():
        bad = plan.loc[plan["ListCost"].isna(), "component"].tolist()
        raise InputError(Problem(f"plan lines without a ListCost: {bad}", location="ListCost"))
    p = plan.groupby("kind", as_index=False).agg(
        plan=("ListCost", "sum"), components=("component", lambda s: ", ".join(sorted(set(map(str, s)))))
    )
    actual = _actual(store, month, commitment_line)
    services = _canonical_services()
    mapped = actual[actual["component"] != UNMAPPED]
    a = mapped.groupby("component", as_index=False).agg(actual=("EffectiveCost", "sum"))
    a = a.rename(columns={"component": "kind"})
    lines = p.merge(a, on="kind", how="outer")
    lines["ServiceName"] = lines["kind"].map(services).fillna("")
    unm = actual[actual["component"] == UNMAPPED]
    if len(unm):
        u = unm.groupby("ServiceName", as_index=False).agg(actual=("EffectiveCost", "sum"))
        u["kind"] = UNMAPPED
        u["plan"] = np.nan
        u["components"] = ""
        lines = pd.concat([lines, u], ignore_index=True)
    lines["components"] = lines["components"].fillna("")
    has_plan = lines["plan"].notna()
    lines["plan"] = lines["plan"].fillna(0.0)
    lines["actual"] = lines["actual"].fillna(0.0)
    lines["variance"] = lines["actual"] - lines["plan"]
    lines["variance_pct"] = np.where(
        has_plan & (lines["plan"] != 0),
        lines["variance"] / lines["plan"].abs().where(lines["plan"] != 0) * 100,
        np.nan,
    )
    big = lines["variance"].abs() >= min_variance
    flag = np.select(
        [
            lines["kind"] == UNMAPPED,
            ~has_plan & big,
            has_plan & (lines["actual"] == 0) & (lines["plan"] > 0),
            has_plan & big & (lines["variance_pct"] > threshold_pct),
            has_plan & big & (lines["variance_pct"] < -threshold_pct),
        ],
        ["unmapped", "not in plan", "no spend", "over", "under"],
        default="",
    )
    lines["flag"] = flag
    lines = lines.rename(columns={"kind": "component_kind"})
    lines["_order"] = np.select([lines["component_kind"] == UNMAPPED, ~has_plan], [2, 1], default=0)
    lines = lines.sort_values(["_order", "plan", "actual"], ascending=[True, False, False], kind="stable")
    lines = lines[
        ["component_kind", "ServiceName", "components", "plan", "actual", "variance", "variance_pct", "flag"]
    ]
    month_rows = store.spend([], month=month)
    cov = store.coverage().set_index("month").loc[month]
    return Reconciliation(
        month=month,
        lines=lines.reset_index(drop=True),
        plan_total=float(lines["plan"].sum()),
        actual_total=float(lines["actual"].sum()),
        estimated=bool(month_rows["Estimated"].iloc[0]) if len(month_rows) else False,
        synthetic=store.is_synthetic(),
        days=int(cov["days"]),
        days_in_month=int(cov["days_in_month"]),
    )
