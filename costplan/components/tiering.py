"""Tiered prices whose tiers (or free allowance) apply to more than one cost line.

A pricer prices one component; some of AWS's tiers are counted over more than that:

- S3 storage tiers ("first 50 TB / month", "next 450 TB") apply to the account's total
  storage of one storage class in one region, not to each bucket (Amazon S3 pricing page:
  the tiers are per region and storage class). Each bucket then carries its share of the
  region's cost, pro rata to its GB.
- The AWS Free Tier's 100 GB a month of data transfer out to the internet is "aggregated
  across all AWS Services and Regions" (AWS Free Tier page, "Always free": data transfer):
  taken once per account, by the first regions of the stack in spec order, as the first GB
  of their transfer out.
- X-Ray's free traces (100,000 recorded and 1,000,000 retrieved or scanned a month) are per
  account (AWS X-Ray pricing page): the catalog holds them as the first tier, which here is
  counted over the account's cumulative quantity, regions in spec order.

The same functions price one month (floats) and the projection's ``(paths, months)`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from costplan.pricing.catalog import Price, tiered_cost


@dataclass(frozen=True)
class TierPool:
    """How one price's tiers are counted over the lines that use it."""

    tiers_over: Literal["region", "account"]
    """``region``: the tiers apply to the sum of the lines of one region; ``account``: to the
    cumulative quantity over the whole stack, regions in spec order."""
    free_per_account: float = 0.0
    """A free allowance not in the catalog's tiers, taken once per account [PricingUnit/month]."""
    rule: str = ""
    """The documented AWS rule, for the line's description."""


# (ServiceCode, sku or "*", usage) -> pool. The one table of tiers that span lines.
TIER_POOLS: dict[tuple[str, str, str], TierPool] = {
    ("AmazonS3", "*", "storage-gb-month"): TierPool("region", rule="tiers on the region's total of this storage class"),
    ("AWSDataTransfer", "data-transfer-out-internet", "gb"): TierPool(
        "region", free_per_account=100.0, rule="first 100 GB a month free per account (AWS Free Tier)"),
    ("AWSXRay", "xray", "traces-recorded-million"): TierPool("account", rule="free traces once per account"),
    ("AWSXRay", "xray", "traces-retrieved-million"): TierPool("account", rule="free traces once per account"),
}


def tier_pool(service: str, sku: str, usage: str) -> TierPool | None:
    """The pool a price's tiers are counted over, or None when they apply to the line alone."""
    return TIER_POOLS.get((service, sku, usage)) or TIER_POOLS.get((service, "*", usage))


def pool_key(service: str, sku: str, usage: str, variant: str) -> tuple | None:
    """Lines with the same key form one pool (across regions); None for a line priced alone."""
    if tier_pool(service, sku, usage) is None:
        return None
    return (service, sku, usage, variant)


def tiers_between(lo, hi, tiers: list[Price]) -> list[Price]:
    """The tiers a quantity running from ``lo`` to ``hi`` [unit] reaches (the first always)."""
    lo, hi = float(np.max(lo)), float(np.max(hi))
    used = [t for t in tiers if t.tier_end > lo and t.tier_start < hi]
    return used or tiers[:1]


def pooled_costs(quantities: list, tiers: list[list[Price]], regions: list[str], pool: TierPool) -> list:
    """Cost of each line of one pool [USD], shapes kept (floats or arrays alike).

    ``quantities`` [unit], ``tiers`` and ``regions`` are the lines' in spec order. With
    ``free_per_account`` the first lines take the allowance as their first units; with
    ``tiers_over="region"`` a region's cost is ``tiered(sum q) - tiered(sum free)`` over its
    lines, shared pro rata to each line's billable quantity; with ``"account"`` each line's
    tiers start where the earlier lines' end."""
    if pool.free_per_account:
        free_left = pool.free_per_account
        frees = []
        for q in quantities:
            f = np.minimum(q, free_left)
            free_left = free_left - f
            frees.append(f)
    else:  # no allowance: scalars, so that the arrays below are not touched for it
        frees = [0.0] * len(quantities)
    if pool.tiers_over == "account":
        out, before = [], 0.0
        for q, f, t in zip(quantities, frees, tiers, strict=True):
            start = before + f
            out.append(tiered_cost(before + q, t) - (tiered_cost(start, t) if np.any(start) else 0.0))
            before = before + q
        return out
    out = [None] * len(quantities)
    for region in dict.fromkeys(regions):
        idx = [i for i, r in enumerate(regions) if r == region]
        t = tiers[idx[0]]
        if len(idx) == 1:  # one line in the region: its own tiers, less its free units
            i = idx[0]
            out[i] = tiered_cost(quantities[i], t) - (tiered_cost(frees[i], t) if np.any(frees[i]) else 0.0)
            continue
        total_q = sum(quantities[i] for i in idx)
        total_f = sum(frees[i] for i in idx)
        cost = tiered_cost(total_q, t) - (tiered_cost(total_f, t) if np.any(total_f) else 0.0)
        billable = total_q - total_f
        safe = np.where(billable > 0, billable, 1.0)
        for i in idx:
            c = np.where(billable > 0, cost * (quantities[i] - frees[i]) / safe, 0.0)
            out[i] = float(c) if np.ndim(c) == 0 else c
    return out


def pool_lines(lines: list, catalog) -> None:
    """Re-price, in place, the estimate's lines whose tiers span lines (see the module)."""
    groups: dict[tuple, list] = {}
    for ln in lines:
        if ln.component_kind == "commitment" or ln.pricing_model != "on_demand":
            continue
        key = pool_key(ln.ServiceCode, ln.sku, ln.usage, ln.variant)
        if key is not None:
            groups.setdefault(key, []).append(ln)
    for key, members in groups.items():
        pool = tier_pool(key[0], key[1], key[2])
        tiers = [catalog.tiers(m.ServiceCode, m.sku, m.RegionId, m.usage, m.variant, m.pricing_model) for m in members]
        regions = [m.RegionId for m in members]
        costs = pooled_costs([m.PricingQuantity for m in members], tiers, regions, pool)
        before = 0.0
        for m, c, t in zip(members, costs, tiers, strict=True):
            c = float(c)
            if abs(c - m.ListCost) > 1e-9:
                m.description += f" ({pool.rule})"
            m.ListCost = c
            m.ListUnitPrice = c / m.PricingQuantity if m.PricingQuantity else m.ListUnitPrice
            if pool.tiers_over == "account":
                lo, hi = before, before + m.PricingQuantity
            else:
                lo, hi = 0.0, sum(x.PricingQuantity for x in members if x.RegionId == m.RegionId)
            used = tiers_between(lo, hi, t)
            m.price_verified = all(x.verified for x in used)
            m.price_source = ";".join(sorted({x.source for x in used}))
            m.price_as_of = min(x.as_of for x in used)
            before += m.PricingQuantity
