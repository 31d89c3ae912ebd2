"""Cost lines and the pricing context the component pricers share.

A pricer takes one component of the stack and returns :class:`CostLine` objects, one per
cost component (instance hours, GB-months, IOPS, requests, GB transferred...). Missing
prices are collected as problems with the component's field path, never priced at 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from costplan.errors import PriceNotFoundError, Problem
from costplan.pricing.catalog import Catalog, tiered_cost
from costplan.units import SERVICE_NAMES


@dataclass
class CostLine:
    """One priced cost component of the stack for one month."""

    component: str
    """Component id: ``<region>/<section>/<name>``, e.g. ``us-east-1/node_pools/app``."""
    component_kind: str
    RegionId: str
    ServiceCode: str
    ServiceName: str
    description: str
    sku: str
    usage: str
    variant: str
    pricing_model: str
    PricingQuantity: float
    """Monthly quantity [PricingUnit]."""
    PricingUnit: str
    ListUnitPrice: float
    """Price per unit; for tiered prices the average over the quantity [USD/PricingUnit]."""
    ListCost: float
    """Monthly cost [USD/month]; negative for commitment coverage lines."""
    price_source: str
    price_as_of: str
    price_verified: bool
    assumption: str = ""
    """The ``why`` note of a usage assumption, if the quantity is one."""
    path: str = ""
    """Field path of the component in the stack spec."""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PricingContext:
    """What every pricer needs: the catalog, the month length and a sink for problems."""

    catalog: Catalog
    hours: float
    """Hours in the priced month [h]."""
    file: str | None = None
    lines_map: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    on: dt.date | None = None
    """Pricing date (date-dependent rates such as EKS extended support); None: today (UTC)."""

    @property
    def pricing_date(self) -> dt.date:
        return self.on or dt.datetime.now(dt.UTC).date()

    def line_no(self, path: str) -> int | None:
        from costplan.stack.loader import line_for

        return line_for(self.lines_map, tuple(path.split(".")))

    def priced(
        self,
        *,
        component: str,
        kind: str,
        region: str,
        service: str,
        sku: str,
        usage: str,
        quantity: float,
        description: str,
        path: str,
        variant: str = "",
        pricing_model: str = "on_demand",
        term: str = "",
        purchase_option: str = "",
        offering_class: str = "",
        assumption: str = "",
    ) -> CostLine | None:
        """Price ``quantity`` of one catalog key. Returns None (and records a problem) if the
        catalog has no such price; returns None silently for a zero quantity."""
        if quantity == 0:
            return None
        try:
            tiers = self.catalog.tiers(
                service, sku, region, usage, variant, pricing_model, term, purchase_option, offering_class
            )
        except PriceNotFoundError as exc:
            self.problems.append(
                Problem(str(exc.problems[0].message), file=self.file, line=self.line_no(path), location=path)
            )
            return None
        cost = float(tiered_cost(quantity, tiers))
        first = tiers[0]
        unit_price = first.unit_price if len(tiers) == 1 else (cost / quantity if quantity else first.unit_price)
        sources = sorted({t.source for t in tiers})
        return CostLine(
            component=component,
            component_kind=kind,
            RegionId=region,
            ServiceCode=service,
            ServiceName=SERVICE_NAMES.get(service, service),
            description=description,
            sku=sku,
            usage=usage,
            variant=variant,
            pricing_model=pricing_model,
            PricingQuantity=float(quantity),
            PricingUnit=first.unit,
            ListUnitPrice=unit_price,
            ListCost=cost,
            price_source=";".join(sources),
            price_as_of=min(t.as_of for t in tiers),
            price_verified=all(t.verified for t in tiers),
            assumption=assumption,
            path=path,
        )


def keep(*lines: CostLine | None) -> list[CostLine]:
    return [x for x in lines if x is not None]
