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
    from costplan.frames import Rows

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
    # the month is checked by reconcile_lines; every ListCost is a finite number here
    plan = plan_lines.assign(ListCost=cost)
    cols = [c for c in ("component", "component_kind", "PricingUnit", "ListCost") if c in plan]
    lines = reconcile_lines(plan[cols].to_dict("records"), store, month, threshold_pct=threshold_pct,
                            min_variance=min_variance, commitment_line=commitment_line).to_frame()
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


def reconcile_rows(plan, store: Store, month: str, **kwargs) -> Rows:
    """The lines of :func:`reconcile` of an estimate (``plan``, an
    :class:`~costplan.estimator.EstimateResult`) as :class:`costplan.frames.Rows`."""
    return reconcile_lines(plan.records(), store, month, **kwargs)


def _actual_rows(store: Store, month: str, commitment_line: bool) -> list[tuple[str, str, float | None]]:
    """EffectiveCost [USD] of the month as ``(component, ServiceName, EffectiveCost)`` tuples,
    the discount of commitments as a ``commitment`` line, without pandas."""
    from costplan.actuals.store import period_filter
    from costplan.frames import query_rows, sum_like_pandas

    conds, _ = period_filter(month=month)
    rel = store.money_sql(conds, month=month)
    found = query_rows(store, queries.currencies_sql(rel, conds)).column("BillingCurrency")
    if found and found[0] != "USD":
        raise InputError(
            Problem(
                f"the spend of {month} is billed in {found[0]}; a plan is priced in USD (the catalog's currency)",
                location="--currency",
                hint="reconcile the month's USD spend (--currency USD), if the store holds any",
            )
        )
    df = query_rows(store, queries.component_spend_sql(rel, month, commitment_line))
    discount = sum_like_pandas(df.column("discount"))
    out = list(df.select(["component", "ServiceName", "EffectiveCost"]).rows)
    if discount:
        out.append(("commitment", "Savings Plans for AWS Compute usage", discount))
    return out


def reconcile_lines(plan_records: list[dict], store: Store, month: str, *,
                    threshold_pct: float = DEFAULT_THRESHOLD_PCT, min_variance: float = DEFAULT_MIN_VARIANCE,
                    commitment_line: bool = True) -> Rows:
    """The lines of :func:`reconcile` (its columns and order) from plan lines as dicts, as
    :class:`costplan.frames.Rows`, without pandas. The plan amounts are finite numbers (checked
    by :func:`reconcile` for a plan read from a file; an estimate's always are)."""
    from costplan.frames import Rows, group_sum_like_pandas, missing

    if month not in store.months():
        raise InputError(
            Problem(
                f"the store holds no spend for {month}",
                location="--month",
                hint="months held: " + (", ".join(store.months()) or "none"),
            )
        )
    plan: dict[str, list[dict]] = {}
    for r in plan_records:
        if missing(r["component_kind"]):
            continue  # no kind: a groupby leaves such a line out
        plan.setdefault(plan_kind(r["component_kind"], r.get("PricingUnit")), []).append(r)
    p = {k: (group_sum_like_pandas(float(r["ListCost"]) for r in rs), ", ".join(sorted({str(r["component"]) for r in rs})))
         for k, rs in plan.items()}
    actual = _actual_rows(store, month, commitment_line)
    services = _canonical_services()
    mapped: dict[str, list] = {}
    unmapped: dict[str, list] = {}
    for comp, service, cost in actual:
        if comp == UNMAPPED:
            unmapped.setdefault(service, []).append(cost)
        else:
            mapped.setdefault(comp, []).append(cost)
    lines = []  # kind, ServiceName, components, plan (None: no plan line), actual (None: no spend)
    for k in sorted(set(p) | set(mapped)):  # an outer merge on the kind: the kinds in order
        plan_cost, comps = p.get(k, (None, None))
        lines.append([k, services.get(k, ""), comps if comps is not None else "", plan_cost,
                      group_sum_like_pandas(mapped[k]) if k in mapped else None])
    for service in sorted(unmapped):
        lines.append([UNMAPPED, service, "", None, group_sum_like_pandas(unmapped[service])])
    out = []
    for kind, service, comps, plan_cost, act in lines:
        has_plan = not missing(plan_cost)
        plan_v = float(plan_cost) if has_plan else 0.0
        act_v = 0.0 if missing(act) else float(act)
        var = act_v - plan_v
        pct = var / abs(plan_v) * 100 if has_plan and plan_v != 0 else None
        big = abs(var) >= min_variance
        if kind == UNMAPPED:
            flag = "unmapped"
        elif not has_plan and big:
            flag = "not in plan"
        elif has_plan and act_v == 0 and plan_v > 0:
            flag = "no spend"
        elif has_plan and big and pct is not None and pct > threshold_pct:
            flag = "over"
        elif has_plan and big and pct is not None and pct < -threshold_pct:
            flag = "under"
        else:
            flag = ""
        order = 2 if kind == UNMAPPED else (1 if not has_plan else 0)
        out.append((order, (kind, service, comps, plan_v, act_v, var, pct, flag)))
    out.sort(key=lambda o: (o[0], -o[1][3], -o[1][4]))
    return Rows(["component_kind", "ServiceName", "components", "plan", "actual", "variance", "variance_pct", "flag"],
                [r for _, r in out], {c: "float" for c in ("plan", "actual", "variance", "variance_pct")})
