"""Catalog queries shaped for people: ``prices show`` and friends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from costplan.errors import InputError, PriceNotFoundError, closest
from costplan.pricing.catalog import PRICING_MODELS, Catalog, default_catalog

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SHOW_COLUMNS = [
    "sku",
    "region",
    "service",
    "usage",
    "variant",
    "pricing_model",
    "offering_class",
    "term",
    "purchase_option",
    "tier_start",
    "tier_end",
    "unit",
    "unit_price",
    "interruption_band",
    "source",
    "as_of",
    "verified",
    "note",
]


def get_catalog(path: str | None = None, rates: str = "list", bill_rates: str | None = None, stack=None) -> Catalog:
    """The catalog at ``path`` (default: the catalog in use). ``rates="bill"`` lays the bill-rate
    overlay of ``costplan prices from-bill`` over it (``bill_rates``: its path; default the
    newest one), so keys the bill has are priced at your rates: the contracted rates when
    ``stack`` models Savings Plans or reservations of its own, else the effective rates
    (:func:`costplan.pricing.from_bill.bill_rate_for`; without a stack, the contracted rates)."""
    if isinstance(path, Catalog):
        cat = path
    else:
        cat = Catalog.load(path) if path else default_catalog()
    if rates == "list":
        return cat
    if rates != "bill":
        raise InputError(f"--rates {rates!r} is not valid; use list or bill")
    from costplan.pricing.from_bill import bill_rate_for, load_overlay, with_bill_rates

    kind = bill_rate_for(stack) if stack is not None else "contracted"
    return with_bill_rates(cat, load_overlay(bill_rates, kind))


def show_prices(
    sku: str, region: str | None = None, pricing_model: str | None = None, catalog_path: str | None = None
) -> pd.DataFrame:
    """Every price for ``sku`` (optionally in one region / of one pricing model), one row each
    with the columns ``SHOW_COLUMNS``.

    Raises :class:`PriceNotFoundError` with the closest SKUs or the regions it is priced in.
    """
    import pandas as pd

    rows = price_rows(sku, region=region, pricing_model=pricing_model, catalog_path=catalog_path)
    return pd.DataFrame([p.to_dict() for p in rows])[SHOW_COLUMNS]


def price_rows(
    sku: str, region: str | None = None, pricing_model: str | None = None, catalog_path: str | None = None
) -> list:
    """The prices of :func:`show_prices` as catalog :class:`~costplan.pricing.catalog.Price`
    objects, in the same order, without pandas (what a printed table needs).

    Raises :class:`PriceNotFoundError` with the closest SKUs or the regions it is priced in.
    """
    cat = get_catalog(catalog_path)
    if pricing_model is not None and pricing_model not in PRICING_MODELS:
        raise InputError(f"--model {pricing_model!r} is not valid; use one of {', '.join(PRICING_MODELS)}")
    rows = cat.find(sku)
    if not rows:
        near = closest(sku, cat.skus())
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else "; `costplan prices info` lists them"
        raise PriceNotFoundError(f"the catalog has no prices for {sku!r}{hint}")
    if region is not None:
        regions = sorted({p.region for p in rows})
        rows = [p for p in rows if p.region == region or p.region == "global"]
        if not rows:
            near = closest(region, regions)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise PriceNotFoundError(
                f"the catalog has no prices for {sku!r} in {region!r}{hint}; it is priced in: {', '.join(regions)}"
            )
    if pricing_model is not None:
        rows = [p for p in rows if p.pricing_model == pricing_model]
        if not rows:
            raise PriceNotFoundError(f"the catalog has no {pricing_model} prices for {sku!r}")
    order = {m: i for i, m in enumerate(PRICING_MODELS)}
    return sorted(rows, key=lambda p: (p.region, p.service, p.usage, p.variant, order.get(p.pricing_model, len(order)),
                                       p.offering_class, p.term, p.purchase_option, p.tier_start))


def compact_rows(prices, with_region: bool = True):
    """:func:`price_rows` folded into a few readable columns for a terminal, as a pandas-free
    :class:`costplan.frames.Rows`: region (unless ``with_region`` is false), usage (with its
    variant), pricing (model, class, term, payment), tier (only when some price is tiered),
    unit, unit_price [USD per unit], spot_risk (only when some price has one), source, as_of,
    verified."""
    from costplan.frames import Rows

    def terms(p):
        return " ".join(x for x in (p.pricing_model.replace("_", "-"), p.offering_class, p.term, p.purchase_option) if x)

    def tier(p):
        end = p.to_dict()["tier_end"]
        if p.tier_start == 0 and end is None:
            return ""
        return f"{p.tier_start:,.0f}-{'' if end is None else format(end, ',.0f')}"

    columns = ["region", "usage", "pricing", "tier", "unit", "unit_price", "spot_risk", "source", "as_of", "verified"]
    rows = [(p.region, p.usage + (f" ({p.variant})" if p.variant else ""), terms(p), tier(p), p.unit, p.unit_price,
             p.interruption_band, p.source, p.as_of, p.verified) for p in prices]
    drop = {"region"} if not with_region else set()
    for name in ("tier", "spot_risk"):
        i = columns.index(name)
        if not any(r[i] for r in rows):
            drop.add(name)
    keep = [i for i, c in enumerate(columns) if c not in drop]
    return Rows([columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows])
