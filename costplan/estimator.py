"""Stack x catalog -> monthly cost lines.

>>> import costplan
>>> from costplan.config import DEFAULT_STACK
>>> r = costplan.estimate(costplan.load_stack(DEFAULT_STACK))
>>> r.lines.query("component == 'us-east-1/node_pools/app' and usage == 'instance-hour'").ListCost.sum()
np.float64(372.3)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from costplan.components import GLOBAL_SECTIONS, REGION_SECTIONS
from costplan.components.base import CostLine, PricingContext
from costplan.components.commitments import Finding, apply_commitments
from costplan.components.tiering import pool_lines
from costplan.errors import InputError
from costplan.pricing.catalog import Catalog, default_catalog
from costplan.stack.models import Stack

LINE_COLUMNS = [
    "component",
    "component_kind",
    "RegionId",
    "ServiceCode",
    "ServiceName",
    "description",
    "sku",
    "usage",
    "variant",
    "pricing_model",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ListCost",
    "price_source",
    "price_as_of",
    "price_verified",
    "assumption",
    "path",
    "scaling",
]


@dataclass
class EstimateResult:
    """The monthly estimate of one stack.

    ``lines`` has one row per cost component, columns ``LINE_COLUMNS``:
    ``component`` (``<region>/<section>/<name>``), ``component_kind``, ``RegionId``,
    ``ServiceCode`` / ``ServiceName``, ``description``, the catalog key (``sku``, ``usage``,
    ``variant``, ``pricing_model``), ``PricingQuantity`` [PricingUnit/month], ``PricingUnit``,
    ``ListUnitPrice`` [USD/PricingUnit], ``ListCost`` [USD/month; negative for commitment
    coverage], ``price_source``, ``price_as_of``, ``price_verified``, the ``assumption``
    behind a usage quantity, its ``path`` in the spec and its ``scaling`` (how the projection
    follows it with the drivers, :data:`costplan.components.base.SCALINGS`).
    """

    stack_name: str
    lines: pd.DataFrame
    hours_per_month: float
    catalog_as_of: str
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    scenario: str | None = None
    cost_lines: list[CostLine] = field(default_factory=list, repr=False)
    """The priced :class:`~costplan.components.base.CostLine` objects behind ``lines``, in its
    order, each with the prices it was priced from (the projection prices its paths with them)."""

    @property
    def total_monthly_cost(self) -> float:
        """Net monthly cost, after commitments [USD/month]."""
        return float(self.lines["ListCost"].sum())

    @property
    def on_demand_monthly_cost(self) -> float:
        """Monthly cost at the priced rates before commitments [USD/month]."""
        return float(self.lines.loc[self.lines.component_kind != "commitment", "ListCost"].sum())

    @property
    def unverified_cost(self) -> float:
        """Part of the usage cost priced from estimate-grade (unverified) prices [USD/month]."""
        usage = self.lines[self.lines.component_kind != "commitment"]
        return float(usage.loc[~usage.price_verified.astype(bool), "ListCost"].sum())

    @property
    def unverified_share(self) -> float:
        """Share of the usage cost (before commitments) that rests on estimate-grade prices [fraction]."""
        total = self.on_demand_monthly_cost
        return self.unverified_cost / total if total else 0.0

    def totals(self, by: str) -> pd.DataFrame:
        """Monthly cost summed by a column (``ServiceName``, ``RegionId``, ``component``,
        ``component_kind``), largest first, with its share of the total."""
        t = self.lines.groupby(by, as_index=False)["ListCost"].sum().sort_values("ListCost", ascending=False)
        total = self.total_monthly_cost
        t["share"] = t["ListCost"] / total if total else 0.0
        return t.reset_index(drop=True)

    def to_dict(self) -> dict:
        lines = self.lines.copy()
        lines["monthly_cost"] = lines["ListCost"]
        lines["quantity"] = lines["PricingQuantity"]
        lines["unit"] = lines["PricingUnit"]
        lines["unit_price"] = lines["ListUnitPrice"]
        lines["region"] = lines["RegionId"]
        lines["service"] = lines["ServiceName"]
        return {
            "stack": self.stack_name,
            "scenario": self.scenario,
            "currency": "USD",
            "hours_per_month": self.hours_per_month,
            "catalog_as_of": self.catalog_as_of,
            "total_monthly_cost": round(self.total_monthly_cost, 2),
            "on_demand_monthly_cost": round(self.on_demand_monthly_cost, 2),
            "unverified_price_cost": round(self.unverified_cost, 2),
            "unverified_price_share": round(self.unverified_share, 4),
            "totals": {
                "by_service": _records(self.totals("ServiceName")),
                "by_region": _records(self.totals("RegionId")),
                "by_component": _records(self.totals("component")),
            },
            "lines": lines.to_dict(orient="records"),
            "warnings": list(self.warnings),
            "findings": [f.__dict__ for f in self.findings],
        }


def _refusal(ln: CostLine, catalog: Catalog, ctx: PricingContext):
    """The problem reported for one line priced from an estimate-grade price (strict mode)."""
    from costplan.errors import PriceNotFoundError, Problem

    try:
        first = catalog.tiers(ln.ServiceCode, ln.sku, ln.RegionId, ln.usage, ln.variant, ln.pricing_model)[0]
        how = first.note or first.source
    except PriceNotFoundError:  # a commitment line: its term and payment option are not on the line
        how = "commitment rate"
    what = f"{ln.sku} {ln.usage}" + (f" ({ln.variant})" if ln.variant else "")
    return Problem(
        f"{ln.component}: {what} in {ln.RegionId} is priced from an estimate-grade price "
        f"({ln.ListUnitPrice:g} USD/{ln.PricingUnit}, {ln.price_source}: {how})",
        file=ctx.file, line=ctx.line_no(ln.path) if ln.path else None, location=ln.path or None,
        hint="strict prices: refresh the catalog (costplan prices refresh) or drop --strict-prices",
    )


def _records(df: pd.DataFrame) -> list[dict]:
    return df.round({"ListCost": 2, "share": 4}).rename(columns={"ListCost": "monthly_cost"}).to_dict(orient="records")


def estimate(
    stack: Stack | str | Path,
    catalog: Catalog | None = None,
    *,
    strict_prices: bool = False,
    on: dt.date | None = None,
) -> EstimateResult:
    """Price every component of ``stack`` for one month.

    Every missing price is collected (with file, line and field path) and raised together as
    one :class:`InputError`; nothing is priced at 0 for lack of a price. With
    ``strict_prices``, a line priced from an estimate-grade (``verified=false``) catalog row
    is refused the same way, every such line named with the price's derivation. ``on`` is
    the pricing date of date-dependent rates (EKS extended support); default today (UTC).
    """
    if not isinstance(stack, Stack):
        from costplan.stack import load_stack

        stack = load_stack(stack)
    catalog = catalog or default_catalog()
    ctx = PricingContext(catalog=catalog, hours=stack.hours_per_month, file=stack.source, lines_map=stack._lines, on=on)
    lines: list[CostLine] = []
    for rname, region in stack.regions.items():
        for section, (pricer, named) in REGION_SECTIONS.items():
            value = getattr(region, section)
            if value is None:
                continue
            base = f"regions.{rname}.{section}"
            items = value.items() if named else [(section, value)]
            for name, comp in items:
                lines += pricer(name, comp, rname, ctx, f"{base}.{name}" if named else base)
    for section, (pricer, _named) in GLOBAL_SECTIONS.items():
        value = getattr(stack.global_services, section)
        if value is not None:
            lines += pricer(section, value, "global", ctx, f"global.{section}")
    if not ctx.problems:
        pool_lines(lines, catalog)  # tiers and free allowances counted over a region or the account
    commitment_lines, findings = apply_commitments(stack.commitments, lines, ctx)
    if ctx.problems:
        raise InputError(ctx.problems)
    lines += commitment_lines
    if strict_prices:
        refused = [ln for ln in lines if not ln.price_verified]
        if refused:
            raise InputError([_refusal(ln, catalog, ctx) for ln in refused])
    df = pd.DataFrame([ln.to_dict() for ln in lines], columns=LINE_COLUMNS)
    warnings = list(ctx.warnings)
    unverified = df[(~df.price_verified.astype(bool)) & (df.component_kind != "commitment")]
    if len(unverified):
        usage_total = df.loc[df.component_kind != "commitment", "ListCost"].sum()
        share = unverified.ListCost.sum() / usage_total if usage_total else 0.0
        warnings.append(
            f"{len(unverified)} lines (${unverified.ListCost.sum():,.2f}, {share:.0%} of the cost before commitments) "
            "are priced from estimate-grade prices (derived or not verified against a machine-readable source): "
            "see price_verified; --strict-prices refuses them"
        )
    return EstimateResult(
        stack_name=stack.name,
        lines=df,
        hours_per_month=stack.hours_per_month,
        catalog_as_of=catalog.as_of,
        warnings=warnings,
        findings=findings,
        scenario=stack.scenario,
        cost_lines=lines,
    )
