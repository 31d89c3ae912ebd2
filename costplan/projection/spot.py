"""Spot capacity: expected price of a diversified spot pool, its saving and its risk.

A pool on spot runs ``1 - f`` of its node-hours on spot and ``f`` on on-demand (the
fallback share, when no spot capacity is offered). With several allowed instance types the
spot price is the mean, per node of the first (priced) type, of the spot prices of every
allowed type that has a spot row in the catalog, scaled by vCPU to the first type: the
capacity-optimised allocation spreads nodes over the pools it is given.

Risk: the catalog's ``interruption_band`` is AWS Spot Advisor's frequency of interruption
(share of instances interrupted in a month). Expected interruptions per node-month are taken
as the band's midpoint (``>20%``: 25 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from costplan.errors import InputError, PriceNotFoundError
from costplan.pricing.catalog import Catalog
from costplan.projection.capacity import instance

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

BAND_MIDPOINT = {"<5%": 0.025, "5-10%": 0.075, "10-15%": 0.125, "15-20%": 0.175, ">20%": 0.25}
"""Expected interruptions per node-month for each Spot Advisor band [interruptions/node-month]."""


@dataclass(frozen=True)
class SpotQuote:
    """The expected hourly price of one node of a spot pool."""

    instance_type: str
    """The first (priced) type; prices are per node of this type."""
    region: str
    on_demand: float
    """On-demand price of the first type [USD/h]."""
    spot: float
    """Mean spot price over the diversified types, per node of the first type [USD/h]."""
    fallback_share: float
    """Share of node-hours on on-demand [fraction]."""
    interruptions_per_node_month: float
    """Expected interruptions per node-month (mean over the types) [1/node-month]."""
    types_priced: tuple[str, ...]
    types_without_spot: tuple[str, ...]
    source: str

    @property
    def expected(self) -> float:
        """Expected price per node-hour with the on-demand fallback [USD/h]."""
        return self.fallback_share * self.on_demand + (1 - self.fallback_share) * self.spot

    @property
    def saving(self) -> float:
        """Saving against on-demand [fraction]."""
        return 1 - self.expected / self.on_demand


def spot_quote(instance_types: list[str], region: str, catalog: Catalog, fallback_share: float = 0.1) -> SpotQuote:
    """Expected spot price of a pool allowed ``instance_types`` in ``region``.

    Raises :class:`InputError` when the first type has no on-demand price or no allowed type
    has a spot price (a spot saving is never assumed).
    """
    first = instance_types[0]
    try:
        od = catalog.price("AmazonEC2", first, region, "instance-hour")
    except PriceNotFoundError as exc:
        raise InputError(str(exc)) from None
    vcpu0 = instance(first)[0]
    prices, bands, have, missing, sources = [], [], [], [], set()
    for t in instance_types:
        try:
            p = catalog.price("AmazonEC2", t, region, "instance-hour", "", "spot")
        except PriceNotFoundError:
            missing.append(t)
            continue
        prices.append(p.unit_price * vcpu0 / instance(t)[0])
        bands.append(BAND_MIDPOINT.get(p.interruption_band, BAND_MIDPOINT[">20%"]))
        have.append(t)
        sources.add(f"{p.source} ({p.as_of})")
    if not prices:
        raise InputError(
            f"no spot price in the catalog for {', '.join(instance_types)} in {region}; "
            "refresh the catalog's spot rows (costplan prices refresh) or run the pool on demand"
        )
    return SpotQuote(first, region, od.unit_price, sum(prices) / len(prices), fallback_share, sum(bands) / len(bands),
                     tuple(have), tuple(missing), "; ".join(sorted(sources)))


def spot_savings(stack, catalog: Catalog | None = None, pools: list[str] | None = None,
                 fallback_share: float | None = None) -> pd.DataFrame:
    """Saving of running each node pool of ``stack`` on spot against on-demand, one month.

    ``pools`` limits the pools (``region/pool`` or a pool name); default: every pool.
    Columns: ``RegionId``, ``pool``, ``instance_types``, ``nodes`` [nodes], ``on_demand_cost``
    [USD/month], ``spot_cost`` (expected, with the fallback share) [USD/month], ``saving``
    [USD/month], ``saving_share`` [fraction], ``fallback_share`` [fraction],
    ``interruptions_per_node_month`` [1/node-month], ``interruptions_per_month`` (whole pool)
    [1/month], ``types_without_spot``, ``capacity_now`` (the spec's purchase option).
    """
    from costplan.components.compute import node_pool_hours
    from costplan.pricing.catalog import default_catalog

    catalog = catalog or default_catalog()
    if fallback_share is None:
        fallback_share = stack.projection.spot.on_demand_fallback_share if stack.projection else 0.1
    rows = []
    for rname, region in stack.regions.items():
        for pname, pool in region.node_pools.items():
            if pools and pname not in pools and f"{rname}/{pname}" not in pools:
                continue
            q = spot_quote(pool.instance_types, rname, catalog, fallback_share)
            h = node_pool_hours(pool, stack.hours_per_month)
            rows.append({
                "RegionId": rname, "pool": pname, "instance_types": ",".join(pool.instance_types), "nodes": pool.nodes,
                "on_demand_cost": h * q.on_demand, "spot_cost": h * q.expected, "saving": h * (q.on_demand - q.expected),
                "saving_share": q.saving, "fallback_share": fallback_share,
                "interruptions_per_node_month": q.interruptions_per_node_month,
                "interruptions_per_month": q.interruptions_per_node_month * pool.nodes * (1 - fallback_share),
                "types_without_spot": ",".join(q.types_without_spot), "capacity_now": pool.capacity,
                "price_source": q.source,
            })
    import pandas as pd

    return pd.DataFrame(rows)
