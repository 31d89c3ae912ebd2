"""Cost lines and the pricing context the component pricers share.

A pricer takes one component of the stack and returns :class:`CostLine` objects, one per
cost component (instance hours, GB-months, IOPS, requests, GB transferred...). Missing
prices are collected as problems with the component's field path, never priced at 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from costplan.components.products import service_name
from costplan.errors import PriceNotFoundError, Problem
from costplan.pricing.catalog import Catalog, tiered_cost

SCALINGS: dict[str, str] = {
    "fixed": "the estimate's quantity every month (control planes, hours of gateways, keys...)",
    "traffic": "with peak requests: users x peak_rps_per_user",
    "egress": "with internet egress: users x egress_gb_per_user",
    "stored": "with stored data: users x stored_gb_per_user",
    "nodes": "with the node pool's nodes x hours (spot pools at the spot/on-demand blend)",
    "per_node": "with the node pool's nodes (root and data volumes)",
    "db_class": "with the class the primary database steps to on projection.database.class_ladder",
    "db_replica": "a read replica: as many rungs up the class ladder as its primary",
    "db_storage": "with the database's allocated storage",
    "cache_class": "with the node type the cache steps to on projection.cache.node_ladder",
    "volume": "with the claim size of projection.sensor_storage's volume (fixed for other volumes)",
    "commitment": "a commitment's fee or coverage (the commitment engine)",
}
"""How a cost line's quantity follows the demand drivers in a projection (docs/projection.md).
Every cost line carries one; the projection refuses a line whose scaling it does not know."""


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
    scaling: str = "fixed"
    """How its quantity follows the drivers in a projection: a key of :data:`SCALINGS`."""
    tiers: tuple = field(default=(), repr=False, compare=False)
    """The catalog prices it was priced from (:class:`~costplan.pricing.catalog.Price`, one a
    tier); empty for commitment lines. Not a column of the estimate."""

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tiers"}

    def cost_of(self, quantity):
        """Cost of ``quantity`` [PricingUnit/month] at this line's prices [USD/month], shape
        kept (a float, or a numpy array of projected quantities): the rule that priced the line."""
        return price_quantity(quantity, self.tiers)


def price_quantity(quantity, tiers):
    """Cost of ``quantity`` [unit] under ``tiers`` [USD], shape kept: an untiered price
    multiplies, tiered prices go through :func:`costplan.pricing.catalog.tiered_cost`.

    >>> import numpy as np
    >>> from costplan.pricing.catalog import Price
    >>> t = Price("AWSELB", "alb", "us-east-1", "hour", "", "on_demand", "", "", "", 0, math.inf, "Hrs", 0.0225,
    ...           "", "s", "2026-01-01", True, "")
    >>> price_quantity(730, [t]), price_quantity(np.array([730.0, 1460.0]), [t]).tolist()
    (16.425, [16.425, 32.85])
    """
    import numpy as np

    if len(tiers) == 1 and tiers[0].tier_start == 0 and math.isinf(tiers[0].tier_end):
        cost = quantity * tiers[0].unit_price
        return float(cost) if np.ndim(cost) == 0 else cost
    return tiered_cost(quantity, tiers)


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
        scaling: str,
        variant: str = "",
        pricing_model: str = "on_demand",
        term: str = "",
        purchase_option: str = "",
        offering_class: str = "",
        assumption: str = "",
    ) -> CostLine | None:
        """Price ``quantity`` of one catalog key. Returns None (and records a problem) if the
        catalog has no such price; returns None silently for a zero quantity. ``scaling`` (a
        key of :data:`SCALINGS`) says how the line follows the drivers in a projection.

        ``quantity`` may be a numpy array (projected quantities): the line then carries arrays of
        its shape in ``PricingQuantity``, ``ListUnitPrice`` and ``ListCost``, each element priced
        as that quantity alone would be."""
        if scaling not in SCALINGS:
            raise ValueError(f"{component}: unknown scaling {scaling!r} for {service} {sku} {usage}; "
                             f"known: {', '.join(SCALINGS)}")
        import numpy as np

        if np.ndim(quantity) == 0 and quantity == 0:
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
        scalar = np.ndim(quantity) == 0
        quantity = float(quantity) if scalar else np.asarray(quantity, dtype=float)
        cost = price_quantity(quantity, tiers)
        first = tiers[0]
        if len(tiers) == 1:
            unit_price = first.unit_price
        elif scalar:
            unit_price = cost / quantity if quantity else first.unit_price
        else:
            unit_price = np.where(quantity > 0, cost / np.where(quantity > 0, quantity, 1.0), first.unit_price)
        used = tiers_used(quantity if scalar else float(np.max(quantity, initial=0.0)), tiers)
        sources = sorted({t.source for t in used})
        return CostLine(
            component=component,
            component_kind=kind,
            RegionId=region,
            ServiceCode=service,
            ServiceName=service_name(service),
            description=description,
            sku=sku,
            usage=usage,
            variant=variant,
            pricing_model=pricing_model,
            PricingQuantity=quantity,
            PricingUnit=first.unit,
            ListUnitPrice=unit_price,
            ListCost=cost,
            price_source=";".join(sources),
            price_as_of=min(t.as_of for t in used),
            price_verified=all(t.verified for t in used),
            assumption=assumption,
            path=path,
            scaling=scaling,
            tiers=tuple(tiers),
        )


@dataclass(frozen=True)
class PriceListOffer:
    """An AWS Price List offer (product code) whose prices ``costplan prices refresh`` maps to
    catalog rows, declared by the one registry entry that owns it. Its mapper is the function
    registered to ``code`` in :mod:`costplan.pricing.price_list` (``@mapper(code)``)."""

    code: str
    """The offer / service code: ``AmazonEC2``, ``AWSXRay`` ..."""
    queries: tuple[dict, ...] = ({},)
    """The Query API's ``TERM_MATCH`` filters per region besides the region itself (``{}``:
    every product of the region); the bulk files are read with the same selection."""
    global_queries: tuple[dict, ...] = ()
    """Filters of the products that belong to no region, fetched once without a region
    filter (Route 53; X-Ray's account-wide free traces)."""
    region_field: str = "regionCode"
    """The attribute naming a product's region (data transfer: ``fromRegionCode``)."""
    global_offer: bool = False
    """True when every price of the offer is global: one bulk file, region ``global``."""


@dataclass(frozen=True)
class PricedService:
    """One priced service of the stack spec, declared once in its component module and
    listed in :mod:`costplan.components.registry`; every other table is a view of these."""

    section: str
    """Field of :class:`costplan.stack.models.Region` (or ``GlobalServices``) it prices."""
    kind: str
    """``component_kind`` of its cost lines, and the kind its spend is mapped to on a bill
    (``costplan/actuals/data/component_map.csv``)."""
    pricer: Callable
    """``pricer(name, spec, region, ctx, path) -> list[CostLine]``."""
    spec: type
    """Its pydantic spec model."""
    named: bool = False
    """True for a mapping of named components (``node_pools: {app: ...}``), False for one
    block per region (``data_transfer: ...``)."""
    scope: str = "region"
    """``region`` or ``global`` (``global.route53``)."""
    products: tuple[str, ...] = ()
    """AWS product codes its lines bill under (:data:`costplan.components.products.PRODUCTS`)."""
    scalings: frozenset = frozenset()
    """How its cost lines may scale in a projection (keys of :data:`SCALINGS`)."""
    catalog_keys: tuple[tuple[str, str, str], ...] = ()
    """``(service, sku, usage)`` of the prices it looks up (``*``: any sku, e.g. an instance type)."""
    terraform: dict = field(default_factory=dict)
    """Terraform resource types that add to its section with a simple count:
    ``{type: {"counts": {field: n}, "usage": {field: usage key}}}``; the other resources it
    imports have their handlers in :mod:`costplan.iac.resources`."""
    usage_keys: dict = field(default_factory=dict)
    """Usage-file keys per Terraform resource type: ``{type: {key: (default, doc)}}``."""
    usage_types: tuple = ()
    """How its lines appear on a bill: ``(sku or "*", PricingUnit or "*", usage-type stem)``,
    first match wins; the stem follows the region prefix (``USE1-``) and may name ``{sku}``;
    a list of stems is handed out to successive lines."""
    price_list: tuple[PriceListOffer, ...] = ()
    """The Price List offers it owns (each offer is declared by exactly one entry; a service
    priced from another's offer, like EBS volumes from ``AmazonEC2``, lists it in ``products``
    only). ``costplan.pricing.price_list._MAPPERS`` and ``costplan.pricing.refresh``'s
    ``PRODUCT_QUERIES`` / ``GLOBAL_QUERIES`` / ``REGION_FIELD`` are views of these."""
    terraform_handlers: tuple[str, ...] = ()
    """Terraform resource types imported by a named handler of :mod:`costplan.iac.resources`
    (registered there with ``@handler(type)``); ``costplan.iac.resources.HANDLERS`` is the view
    of these plus the declarative ``terraform`` counters."""
    pulumi_tokens: dict = field(default_factory=dict)
    """Pulumi type tokens of its resources whose Terraform type does not follow the general
    rule (``aws:s3/bucketV2:BucketV2`` -> ``aws_s3_bucket``): ``{token: terraform type}``;
    ``costplan.iac.pulumi.TOKENS`` is their union."""


def tiers_used(quantity: float, tiers: list) -> list:
    """The tiers a monthly ``quantity`` [unit] reaches: those starting below it (the first
    tier always). A price's source, date and verification are those of the tiers it uses."""
    return [t for i, t in enumerate(tiers) if i == 0 or t.tier_start < quantity]


def keep(*lines: CostLine | None) -> list[CostLine]:
    return [x for x in lines if x is not None]
