"""What the platform costs at a multiple of today's users: the stack's projection with its
demand drivers set to ``k`` times today's active users and no growth, so capacity, database
and cache classes and every usage-priced service follow that load.

>>> from costplan.config import DEFAULT_STACK
>>> from costplan.stack import load_stack
>>> t = cost_at_multiples(load_stack(DEFAULT_STACK), (1, 5), simulations=20)
>>> list(t["multiple"]), bool(t["p50"].iloc[1] > t["p50"].iloc[0])
([1, 5], True)
"""

from __future__ import annotations

import pandas as pd

MULTIPLE_COLUMNS = ["multiple", "users", "p10", "p50", "p90", "per_user_p50", "reached", "steps"]


def cost_at_multiples(stack, multiples=(1, 2, 5), *, growth=None, simulations: int = 200, seed: int = 0,
                      catalog=None) -> pd.DataFrame:
    """One row per multiple ``k`` of today's active users: ``users`` [users], the monthly
    cost's ``p10`` / ``p50`` / ``p90`` [USD/month] at that load (other drivers keep their
    ranges), ``per_user_p50`` [USD/user/month], ``reached`` (the first month the central growth
    path of ``growth``, a :class:`ProjectionResult`, reaches that many users; empty when it does
    not within its horizon) and ``steps`` (the capacity limits hit at that load)."""
    from costplan.decisions import scenario_stack
    from costplan.errors import InputError
    from costplan.projection import project

    drivers = stack.projection.drivers if stack.projection else None
    users = getattr(drivers, "active_users", None)
    if users is None:
        raise InputError("the stack's projection has no active_users driver to scale")
    rows = []
    for k in multiples:
        drv = {"active_users": {"value": users.value * k,
                                "low": users.low * k if users.low is not None else None,
                                "high": users.high * k if users.high is not None else None}}
        if getattr(drivers, "annual_growth", None) is not None:
            drv["annual_growth"] = {"value": 0.0, "low": None, "high": None, "distribution": "fixed"}
        at = scenario_stack(stack, f"users-x{k:g}", {"projection": {"drivers": drv}})
        r = project(at, months=1, simulations=simulations, seed=seed, catalog=catalog)
        m = r.monthly.iloc[0]
        reached = ""
        if growth is not None:
            hit = growth.monthly[growth.monthly["users_p50"] >= users.value * k * 0.999]  # (float rounding)
            reached = pd.to_datetime(hit["ChargePeriodStart"].iloc[0]).strftime("%Y-%m") if len(hit) else ""
        steps = r.steps
        at_limit = ", ".join(sorted(set(steps["resource"]))) if len(steps) and "resource" in steps else ""
        rows.append({"multiple": k, "users": users.value * k, "p10": float(m["p10"]), "p50": float(m["p50"]),
                     "p90": float(m["p90"]), "per_user_p50": float(m["p50"]) / (users.value * k),
                     "reached": reached, "steps": at_limit})
    return pd.DataFrame(rows, columns=MULTIPLE_COLUMNS)


def answer(table: pd.DataFrame, currency: str = "USD") -> str:
    """The question answered in one sentence per multiple, from :func:`cost_at_multiples`."""
    from costplan.reports.style import money

    base = table[table["multiple"] == 1]
    lines = []
    for r in table.itertuples(index=False):
        vs = ""
        if len(base) and r.multiple != 1:
            vs = f", {r.p50 / float(base['p50'].iloc[0]):.2f}x today's bill"
        when = f"; the growth path gets there in {r.reached}" if r.reached else (
            "; the growth path does not get there within its horizon" if r.multiple != 1 else "")
        lines.append(f"- **{r.multiple:g}x users ({r.users:,.0f})**: {money(r.p50, currency, cents=False)} a month "
                     f"({money(r.p10, currency, cents=False)} to {money(r.p90, currency, cents=False)}){vs}, "
                     f"{money(r.per_user_p50, currency)} per user{when}")
    return "\n".join(lines)
