"""Named scenarios of a stack projected side by side.

Every scenario is projected with the same seed, so the driver draws are the same on every
path (common random numbers) and differences come from the stack, not from sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from costplan.pricing.catalog import Catalog


@dataclass
class ScenarioComparison:
    """Projections of the base stack and its scenarios.

    ``results``: name (``base`` first) -> :class:`~costplan.projection.simulate.ProjectionResult`.
    ``monthly``: long frame ``scenario``, ``month``, ``ChargePeriodStart``, ``p10``, ``p50``,
    ``p90`` [USD/month], ``diff_p50`` (p50 minus the base's p50) [USD/month].
    ``summary``: one row per scenario: ``scenario``, ``description``, ``month0_p50``,
    ``last_p10`` / ``last_p50`` / ``last_p90`` (the last month) [USD/month], ``total_p50``
    (summed over the months) [USD], ``diff_total_p50`` [USD], ``diff_share`` [fraction],
    ``per_user_last_p50`` [USD/user/month], ``steps`` (capacity steps on the central path).
    """

    results: dict
    monthly: pd.DataFrame
    summary: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def project_scenarios(stack, names: list[str] | None = None, months: int | None = None, simulations: int = 2000,
                      seed: int = 42, catalog: Catalog | None = None, include_base: bool = True) -> ScenarioComparison:
    """Project the base stack and the named scenarios (default: all of the stack's)."""
    from costplan.pricing.catalog import default_catalog
    from costplan.projection.simulate import project
    from costplan.stack import load_stack
    from costplan.stack.loader import stack_from_data

    base = stack if hasattr(stack, "regions") else load_stack(stack)
    catalog = catalog or default_catalog()
    names = list(base.scenarios) if names is None else list(names)
    stacks = {"base": base} if include_base else {}
    for n in names:
        stacks[n] = stack_from_data(base._data, base._source, base._lines, scenario=n)
    results = {n: project(s, months=months, simulations=simulations, seed=seed, catalog=catalog) for n, s in stacks.items()}
    ref = results.get("base") or next(iter(results.values()))
    frames, rows, warnings = [], [], []
    ref_total = float(ref.monthly.p50.sum())
    for n, r in results.items():
        m = r.monthly
        frames.append(pd.DataFrame({
            "scenario": n, "month": m.month, "ChargePeriodStart": m.ChargePeriodStart,
            "p10": m.p10, "p50": m.p50, "p90": m.p90, "diff_p50": m.p50.to_numpy() - ref.monthly.p50.to_numpy(),
        }))
        total = float(m.p50.sum())
        rows.append({
            "scenario": n,
            "description": stacks[n].scenarios[n].description if n in stacks[n].scenarios else "the stack as written",
            "month0_p50": float(m.p50.iloc[0]), "last_p10": float(m.p10.iloc[-1]), "last_p50": float(m.p50.iloc[-1]),
            "last_p90": float(m.p90.iloc[-1]), "total_p50": total, "diff_total_p50": total - ref_total,
            "diff_share": (total - ref_total) / ref_total if ref_total else 0.0,
            "per_user_last_p50": float(r.per_user.p50.iloc[-1]), "steps": int((r.steps.month > 0).sum()),
        })
        warnings += [f"{n}: {w}" for w in r.warnings]
    return ScenarioComparison(results, pd.concat(frames, ignore_index=True), pd.DataFrame(rows), warnings)
