"""Calibrate a projection to actual spend: one factor per bill kind, from a final month.

A projection starts from the plan (the estimate of the stack at list prices). Calibration
scales it to what the bill says: for every component kind that the plan and a final month of
actual spend both hold, ``factor = actual / plan`` (the month's EffectiveCost over the
estimate's ListCost, as :func:`costplan.actuals.reconcile.reconcile` compares them). The
projection multiplies each cost line of that kind by the factor, in every month and on every
path, so growth, capacity steps and ranges still come from the model while the level comes
from the bill (spot use, discounts, usage the plan under- or over-states).

Contractual amounts are not scaled: a Savings Plan's or reserved instance's hourly fee is what
the contract says. The ``commitment`` factor applies to the covered-usage savings only:
``(actual - fees) / (plan - fees)``, the share of the planned savings the bill shows.

Spend the plan has no line for (tax, credits, unmapped services) is not projected; it is
listed in :attr:`Calibration.not_projected` and named in a warning. A planned kind with no
spend in the month keeps its plan (factor 1) with a warning. Capacity (nodes, classes) is
unchanged: calibration moves money, not the fleet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.actuals.store import Store
    from costplan.pricing.catalog import Catalog
    from costplan.stack import Stack

#: Estimate usages that are contractual fees, never scaled.
FEE_USAGES = ("commitment-hour",)
#: Factors outside this range are applied, with a warning to check the mapping [1].
PLAUSIBLE = (0.5, 2.0)


@dataclass
class Calibration:
    """Factors that scale a projection's cost lines to one final month of actual spend."""

    month: str
    """The billing period the factors come from, ``YYYY-MM``."""
    factors: pd.DataFrame
    """One row per component kind of the plan: ``component_kind``, ``plan`` [USD/month]
    (ListCost), ``actual`` [USD] (EffectiveCost of the month), ``fees`` [USD/month] (the
    contractual part of the plan, not scaled), ``factor`` [1], ``note``."""
    not_projected: pd.DataFrame
    """Actual spend of the month with no plan line: ``component_kind``, ``ServiceName``,
    ``actual`` [USD]."""
    synthetic: bool
    """True when the actual spend is the synthetic sample."""
    warnings: list[str] = field(default_factory=list)

    def factor(self, kind: str) -> float:
        """The factor of a bill kind (:func:`costplan.actuals.mapping.plan_kind`); 1 if absent [1]."""
        row = self.factors[self.factors["component_kind"] == kind]
        return float(row["factor"].iloc[0]) if len(row) else 1.0

    @property
    def summary(self) -> str:
        label = " (SYNTHETIC SAMPLE, not real spend)" if self.synthetic else ""
        return f"calibrated to the actual spend of {self.month}{label}"

    def to_dict(self) -> dict:
        from costplan.frames import json_records

        return {
            "month": self.month,
            "synthetic": self.synthetic,
            "factors": json_records(self.factors),
            "not_projected": json_records(self.not_projected),
            "warnings": self.warnings,
        }


def latest_final_month(store: Store) -> str:
    """The newest billing period of ``store`` with no Estimated row and every day covered,
    ``YYYY-MM``."""
    months = store.coverage()
    final = months.loc[~months["Estimated"] & months["complete"], "month"].tolist()
    if not final:
        raise InputError(
            Problem(
                "the store holds no complete, final month to calibrate to",
                location="--calibrate-to",
                hint="months held: " + (", ".join(months["month"]) or "none"),
            )
        )
    return str(final[-1])


def calibrate(
    stack: Stack, store: Store, month: str = "latest", catalog: Catalog | None = None
) -> Calibration:
    """Factors from ``stack``'s estimate against ``store``'s spend of ``month`` (``YYYY-MM`` or
    ``latest``, the newest final month). A month still Estimated (month to date) is refused:
    a partial month would scale everything down."""
    import numpy as np

    from costplan.actuals.reconcile import reconcile
    from costplan.estimator import estimate

    if month == "latest":
        month = latest_final_month(store)
    held = store.spend(["month"])
    row = held[held["month"] == month]
    if not len(row):
        raise InputError(
            Problem(
                f"the store holds no spend for {month}",
                location="--calibrate-to",
                hint="months held: " + (", ".join(held["month"]) or "none"),
            )
        )
    if bool(row["Estimated"].iloc[0]):
        raise InputError(
            Problem(
                f"{month} is not final yet (month to date, Estimated): its spend is partial",
                location="--calibrate-to",
                hint=f"use a final month, e.g. {latest_final_month(store)}, or 'latest'",
            )
        )
    cov = store.coverage().set_index("month").loc[month]
    if not bool(cov["complete"]):
        raise InputError(
            Problem(
                f"{month} covers {int(cov['days'])} of its {int(cov['days_in_month'])} days in the store: "
                "a partial month would scale everything down",
                location="--calibrate-to",
                hint="load the missing days (costplan pull / import) or name a complete month",
            )
        )
    lines = estimate(stack, catalog).lines
    rec = reconcile(lines, store, month)
    is_fee = (lines["component_kind"] == "commitment") & lines["usage"].isin(FEE_USAGES)
    fees_total = float(lines.loc[is_fee, "ListCost"].sum())

    planned = rec.lines[~rec.lines["flag"].isin(["not in plan", "unmapped"])].copy()
    planned["fees"] = np.where(planned["component_kind"] == "commitment", fees_total, 0.0)
    factors, notes, warnings = [], [], []
    for r in planned.itertuples(index=False):
        scaled_plan, scaled_actual = r.plan - r.fees, r.actual - r.fees
        if r.flag == "no spend":
            factor, note = 1.0, "no spend in the month: kept at plan"
            warnings.append(f"calibration: {r.component_kind} is planned but has no spend in {month}; kept at plan")
        elif abs(scaled_plan) < 0.005:
            factor, note = 1.0, "nothing to scale: kept at plan"
        else:
            factor = scaled_actual / scaled_plan
            note = "covered-usage savings only; fees as contracted" if r.fees else ""
            if not PLAUSIBLE[0] <= factor <= PLAUSIBLE[1]:
                warnings.append(
                    f"calibration: {r.component_kind} is scaled by {factor:.2f} "
                    f"(plan {r.plan:,.2f}, actual {r.actual:,.2f} USD); check the stack and the mapping"
                )
        factors.append(factor)
        notes.append(note)
    planned["factor"] = factors
    planned["note"] = notes
    factors_df = planned[["component_kind", "plan", "actual", "fees", "factor", "note"]].reset_index(drop=True)

    other = rec.lines[rec.lines["flag"].isin(["not in plan", "unmapped"])]
    not_projected = other[["component_kind", "ServiceName", "actual"]].reset_index(drop=True)
    if len(not_projected):
        parts = ", ".join(f"{r.component_kind} {r.actual:,.2f}" for r in not_projected.itertuples(index=False))
        warnings.append(f"calibration: spend of {month} with no plan line is not projected ({parts} USD)")
    return Calibration(month, factors_df, not_projected, rec.synthetic, warnings)
