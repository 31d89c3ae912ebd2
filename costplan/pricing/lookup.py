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
    """Every price for ``sku`` (optionally in one region / of one pricing model).

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
    import pandas as pd

    df = pd.DataFrame([p.to_dict() for p in rows])
    order = {m: i for i, m in enumerate(PRICING_MODELS)}
    df["_o"] = df["pricing_model"].map(order)
    df = df.sort_values(["region", "service", "usage", "variant", "_o", "offering_class", "term", "purchase_option", "tier_start"])
    return df[SHOW_COLUMNS].reset_index(drop=True)


def compact_view(df: pd.DataFrame, with_region: bool = True) -> pd.DataFrame:
    """``show_prices`` output folded into a few readable columns for a terminal."""
    import math

    import pandas as pd

    def terms(r):
        return " ".join(x for x in (r.pricing_model.replace("_", "-"), r.offering_class, r.term, r.purchase_option) if x)

    def tier(r):
        if r.tier_start == 0 and (r.tier_end is None or (isinstance(r.tier_end, float) and math.isnan(r.tier_end))):
            return ""
        end = "" if r.tier_end is None or r.tier_end != r.tier_end else f"{r.tier_end:,.0f}"
        return f"{r.tier_start:,.0f}-{end}"

    out = pd.DataFrame(
        {
            "region": df.region,
            "usage": [u + (f" ({v})" if v else "") for u, v in zip(df.usage, df.variant, strict=True)],
            "pricing": [terms(r) for r in df.itertuples()],
            "tier": [tier(r) for r in df.itertuples()],
            "unit": df.unit,
            "unit_price": df.unit_price,
            "spot_risk": df.interruption_band,
            "source": df.source,
            "as_of": df.as_of,
            "verified": df.verified,
        }
    )
    if not with_region:
        out = out.drop(columns=["region"])
    if not out.tier.astype(bool).any():
        out = out.drop(columns=["tier"])
    if not out.spot_risk.astype(bool).any():
        out = out.drop(columns=["spot_risk"])
    return out
