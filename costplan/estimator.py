"""Stack x catalog -> monthly cost lines.

>>> import costplan
>>> from costplan.config import DEFAULT_STACK
>>> r = costplan.estimate(costplan.load_stack(DEFAULT_STACK))
>>> r.lines.query("component == 'us-east-1/node_pools/app' and usage == 'instance-hour'").ListCost.sum()
np.float64(372.3)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.components import GLOBAL_SECTIONS, REGION_SECTIONS
from costplan.components.base import CostLine, PricingContext
from costplan.components.commitments import Finding, apply_commitments
from costplan.components.tiering import pool_lines
from costplan.errors import InputError
from costplan.pricing.catalog import Catalog, default_catalog
from costplan.stack.models import Stack

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.frames import Rows

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


#: The numeric columns of the lines (floats in the frame and in JSON, whatever a pricer returned).
NUMERIC_COLUMNS = ("PricingQuantity", "ListUnitPrice", "ListCost")


def round_like_numpy(x: float, decimals: int) -> float:
    """``x`` rounded as numpy and pandas round (scaled, rounded half to even, scaled back), so
    that the pandas-free outputs print the very digits the frame's ``round`` printed.

    >>> round_like_numpy(2.675, 2), round(2.675, 2), round_like_numpy(0.125, 2)
    (2.68, 2.67, 0.12)
    """
    scale = 10.0 ** decimals
    return round(x * scale) / scale


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

    The frame is built (and pandas imported) on first use of ``lines``: the totals,
    :meth:`to_dict` and :meth:`rows` work on :attr:`cost_lines` directly, so that a command
    printing an estimate needs no pandas.
    """

    stack_name: str
    cost_lines: list[CostLine]
    """The priced :class:`~costplan.components.base.CostLine` objects behind ``lines``, in its
    order, each with the prices it was priced from (the projection prices its paths with them)."""
    hours_per_month: float
    catalog_as_of: str
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    scenario: str | None = None
    _frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> pd.DataFrame:
        """One row per cost line, columns ``LINE_COLUMNS`` (built once, on first use)."""
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame(self.records(), columns=LINE_COLUMNS)
        return self._frame

    def records(self) -> list[dict]:
        """The lines as dicts of ``LINE_COLUMNS``, the numeric columns as floats."""
        out = []
        for ln in self.cost_lines:
            d = {c: getattr(ln, c) for c in LINE_COLUMNS}
            for c in NUMERIC_COLUMNS:
                d[c] = float(d[c])
            d["price_verified"] = bool(d["price_verified"])
            out.append(d)
        return out

    def rows(self, columns: list[str] | None = None) -> Rows:
        """The lines as a pandas-free :class:`costplan.frames.Rows` (``columns``: default all)."""
        from costplan.frames import Rows

        cols = list(columns or LINE_COLUMNS)
        return Rows(cols, [tuple(r[c] for c in cols) for r in self.records()])

    def _usage(self) -> list[CostLine]:
        return [ln for ln in self.cost_lines if ln.component_kind != "commitment"]

    @property
    def total_monthly_cost(self) -> float:
        """Net monthly cost, after commitments [USD/month]."""
        return math.fsum(float(ln.ListCost) for ln in self.cost_lines)

    @property
    def on_demand_monthly_cost(self) -> float:
        """Monthly cost at the priced rates before commitments [USD/month]."""
        return math.fsum(float(ln.ListCost) for ln in self._usage())

    @property
    def unverified_cost(self) -> float:
        """Part of the usage cost priced from estimate-grade (unverified) prices [USD/month]."""
        return math.fsum(float(ln.ListCost) for ln in self._usage() if not ln.price_verified)

    @property
    def unverified_share(self) -> float:
        """Share of the usage cost (before commitments) that rests on estimate-grade prices [fraction]."""
        total = self.on_demand_monthly_cost
        return self.unverified_cost / total if total else 0.0

    def totals_rows(self, by: str) -> Rows:
        """:meth:`totals` as a pandas-free :class:`costplan.frames.Rows`."""
        from costplan.frames import Rows

        sums: dict = {}
        for ln in self.cost_lines:
            sums.setdefault(getattr(ln, by), []).append(float(ln.ListCost))
        total = self.total_monthly_cost
        # by key first, then largest first, ties in key order
        rows = sorted(((k, math.fsum(v)) for k, v in sorted(sums.items())), key=lambda kv: -kv[1])
        return Rows([by, "ListCost", "share"], [(k, v, v / total if total else 0.0) for k, v in rows])

    def totals(self, by: str) -> pd.DataFrame:
        """Monthly cost summed by a column (``ServiceName``, ``RegionId``, ``component``,
        ``component_kind``), largest first, with its share of the total."""
        return self.totals_rows(by).to_frame()

    def to_dict(self) -> dict:
        lines = []
        for d in self.records():
            d.update(monthly_cost=d["ListCost"], quantity=d["PricingQuantity"], unit=d["PricingUnit"],
                     unit_price=d["ListUnitPrice"], region=d["RegionId"], service=d["ServiceName"])
            lines.append(d)
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
                "by_service": _records(self.totals_rows("ServiceName")),
                "by_region": _records(self.totals_rows("RegionId")),
                "by_component": _records(self.totals_rows("component")),
            },
            "lines": lines,
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


def _records(rows: Rows) -> list[dict]:
    by = rows.columns[0]
    return [{by: k, "monthly_cost": round_like_numpy(v, 2), "share": round_like_numpy(s, 4)} for k, v, s in rows.rows]


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
    warnings = list(ctx.warnings)
    usage = [ln for ln in lines if ln.component_kind != "commitment"]
    unverified = [float(ln.ListCost) for ln in usage if not ln.price_verified]
    if unverified:
        usage_total = math.fsum(float(ln.ListCost) for ln in usage)
        share = math.fsum(unverified) / usage_total if usage_total else 0.0
        warnings.append(
            f"{len(unverified)} lines (${math.fsum(unverified):,.2f}, {share:.0%} of the cost before commitments) "
            "are priced from estimate-grade prices (derived or not verified against a machine-readable source): "
            "see price_verified; --strict-prices refuses them"
        )
    return EstimateResult(
        stack_name=stack.name,
        hours_per_month=stack.hours_per_month,
        catalog_as_of=catalog.as_of,
        warnings=warnings,
        findings=findings,
        scenario=stack.scenario,
        cost_lines=lines,
    )
