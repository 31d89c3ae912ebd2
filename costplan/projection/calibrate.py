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
    from costplan.frames import Rows
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
    factor_rows: Rows
    """:attr:`factors` as :class:`costplan.frames.Rows` (a DataFrame given here is read into rows)."""
    not_projected_rows: Rows
    """:attr:`not_projected` as :class:`costplan.frames.Rows`."""
    synthetic: bool
    """True when the actual spend is the synthetic sample."""
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from costplan.frames import Rows

        if not isinstance(self.factor_rows, Rows):
            self.factor_rows = Rows.from_frame(self.factor_rows)
        if not isinstance(self.not_projected_rows, Rows):
            self.not_projected_rows = Rows.from_frame(self.not_projected_rows)

    @property
    def factors(self) -> pd.DataFrame:
        """One row per component kind of the plan: ``component_kind``, ``plan`` [USD/month]
        (ListCost), ``actual`` [USD] (EffectiveCost of the month), ``fees`` [USD/month] (the
        contractual part of the plan, not scaled), ``factor`` [1], ``note``."""
        return self.factor_rows.to_frame()

    @property
    def not_projected(self) -> pd.DataFrame:
        """Actual spend of the month with no plan line: ``component_kind``, ``ServiceName``,
        ``actual`` [USD]."""
        return self.not_projected_rows.to_frame()

    def factor(self, kind: str) -> float:
        """The factor of a bill kind (:func:`costplan.actuals.mapping.plan_kind`); 1 if absent [1]."""
        for k, f in zip(self.factor_rows.column("component_kind"), self.factor_rows.column("factor"), strict=True):
            if k == kind:
                return float(f)
        return 1.0

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
    from costplan.frames import coverage_rows

    months = coverage_rows(store)
    final = [c["month"] for c in months if not c["Estimated"] and c["complete"]]
    if not final:
        raise InputError(
            Problem(
                "the store holds no complete, final month to calibrate to",
                location="--calibrate-to",
                hint="months held: " + (", ".join(c["month"] for c in months) or "none"),
            )
        )
    return str(final[-1])


def calibrate(
    stack: Stack, store: Store, month: str = "latest", catalog: Catalog | None = None
) -> Calibration:
    """Factors from ``stack``'s estimate against ``store``'s spend of ``month`` (``YYYY-MM`` or
    ``latest``, the newest final month). A month still Estimated (month to date) is refused:
    a partial month would scale everything down."""
    from costplan.actuals.reconcile import reconcile_lines
    from costplan.estimator import estimate
    from costplan.frames import Rows, coverage_rows, spend_rows, sum_like_pandas

    if month == "latest":
        month = latest_final_month(store)
    held = spend_rows(store, ["month"])
    row = [r for r in held.records() if r["month"] == month]
    if not row:
        raise InputError(
            Problem(
                f"the store holds no spend for {month}",
                location="--calibrate-to",
                hint="months held: " + (", ".join(held.column("month")) or "none"),
            )
        )
    if bool(row[0]["Estimated"]):
        raise InputError(
            Problem(
                f"{month} is not final yet (month to date, Estimated): its spend is partial",
                location="--calibrate-to",
                hint=f"use a final month, e.g. {latest_final_month(store)}, or 'latest'",
            )
        )
    cov = next(c for c in coverage_rows(store) if c["month"] == month)
    if not bool(cov["complete"]):
        raise InputError(
            Problem(
                f"{month} covers {int(cov['days'])} of its {int(cov['days_in_month'])} days in the store: "
                "a partial month would scale everything down",
                location="--calibrate-to",
                hint="load the missing days (costplan pull / import) or name a complete month",
            )
        )
    lines = estimate(stack, catalog).records()
    rec = reconcile_lines(lines, store, month).records()
    fees_total = sum_like_pandas(r["ListCost"] for r in lines
                                 if r["component_kind"] == "commitment" and r["usage"] in FEE_USAGES)

    factors, warnings = [], []
    for r in rec:
        if r["flag"] in ("not in plan", "unmapped"):
            continue
        kind, plan, actual, flag = r["component_kind"], r["plan"], r["actual"], r["flag"]
        fees = fees_total if kind == "commitment" else 0.0
        scaled_plan, scaled_actual = plan - fees, actual - fees
        if flag == "no spend":
            factor, note = 1.0, "no spend in the month: kept at plan"
            warnings.append(f"calibration: {kind} is planned but has no spend in {month}; kept at plan")
        elif abs(scaled_plan) < 0.005:
            factor, note = 1.0, "nothing to scale: kept at plan"
        else:
            factor = scaled_actual / scaled_plan
            note = "covered-usage savings only; fees as contracted" if fees else ""
            if not PLAUSIBLE[0] <= factor <= PLAUSIBLE[1]:
                warnings.append(
                    f"calibration: {kind} is scaled by {factor:.2f} "
                    f"(plan {plan:,.2f}, actual {actual:,.2f} USD); check the stack and the mapping"
                )
        factors.append((kind, plan, actual, fees, factor, note))
    factor_rows = Rows(["component_kind", "plan", "actual", "fees", "factor", "note"], factors,
                       {c: "float" for c in ("plan", "actual", "fees", "factor")})
    other = [(r["component_kind"], r["ServiceName"], r["actual"]) for r in rec
             if r["flag"] in ("not in plan", "unmapped")]
    not_projected = Rows(["component_kind", "ServiceName", "actual"], other, {"actual": "float"})
    if other:
        parts = ", ".join(f"{k} {a:,.2f}" for k, _, a in other)
        warnings.append(f"calibration: spend of {month} with no plan line is not projected ({parts} USD)")
    return Calibration(month, factor_rows, not_projected, store.is_synthetic(), warnings)
