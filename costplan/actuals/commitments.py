"""Savings Plan / RI and spot figures of one billing month, from the store's FOCUS rows.

Used by the monthly report. Both functions read the rows in use (one source per billing
period, see :meth:`Store.rows_sql`) of a store or of a remote engine
(:mod:`costplan.actuals.engines`): the queries are in :mod:`costplan.actuals.queries`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costplan.actuals import queries

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.actuals.engines import SpendSource as Store


def commitment_summary(store: Store, month: str) -> pd.DataFrame:
    """One row per commitment (Savings Plan or Reserved Instance) active in ``month``.

    Columns:

    - ``CommitmentDiscountId``, ``CommitmentDiscountType``
    - ``billed`` [USD]: what the commitment's fees cost on the invoice this month (BilledCost)
    - ``used_commitment`` [USD]: commitment consumed by covered usage (EffectiveCost of ``Used`` rows)
    - ``unused_commitment`` [USD]: commitment paid for and not used (EffectiveCost of ``Unused`` rows)
    - ``utilisation`` [1]: used / (used + unused)
    - ``covered_list_cost`` [USD]: the covered usage at on-demand prices (ListCost of ``Used`` rows)
    - ``savings`` [USD]: covered_list_cost - used_commitment - unused_commitment
    - ``coverage`` [1]: share of the month's commitment-eligible compute (node pool instance
      hours at on-demand prices, spot excluded) that commitments covered; the same value on
      every row
    """
    df = store.query(queries.commitment_sql(store.rows_for(month=month), month))
    on_demand = store.query(queries.on_demand_sql(store.rows_for(month=month), month))["on_demand"].iloc[0]
    on_demand = 0.0 if on_demand is None or on_demand != on_demand else float(on_demand)
    paid = df["used_commitment"] + df["unused_commitment"]
    df["utilisation"] = df["used_commitment"] / paid.where(paid != 0)
    df["savings"] = df["covered_list_cost"] - df["used_commitment"] - df["unused_commitment"]
    covered = df["covered_list_cost"].sum()
    df["coverage"] = covered / (covered + on_demand) if covered + on_demand > 0 else float("nan")
    return df


def spot_summary(store: Store, month: str) -> pd.DataFrame:
    """Spot use of the node pools in ``month``, one row per RegionId.

    Columns: ``RegionId``; ``node_pool_cost`` [USD] (EffectiveCost of all node-pool instance
    usage); ``spot_cost`` [USD]; ``spot_list_cost`` [USD] (the spot hours at on-demand prices,
    NaN when the source has no ListCost, as Cost Explorer pulls); ``spot_savings`` [USD];
    ``node_pool_hours`` and ``spot_hours`` [h]; ``spot_share_hours`` [1]; ``spot_share_cost`` [1].
    Spot rows are those with PricingCategory ``Dynamic`` or a ``SpotUsage`` usage type.
    """
    df = store.query(queries.spot_sql(store.rows_for(month=month), month))
    df["spot_savings"] = df["spot_list_cost"] - df["spot_cost"]
    df["spot_share_hours"] = df["spot_hours"] / df["node_pool_hours"]
    df["spot_share_cost"] = df["spot_cost"] / df["node_pool_cost"]
    return df
