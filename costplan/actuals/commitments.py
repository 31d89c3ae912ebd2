"""Savings Plan / RI and spot figures of one billing month, from the store's FOCUS rows.

Used by the monthly report. Both functions read the rows in use (one source per billing
period, see :meth:`Store.rows_sql`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from costplan.actuals.mapping import component_case_sql
from costplan.actuals.store import period_filter

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.actuals.store import Store


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
    conds, params = period_filter(month=month)
    where = " AND ".join(conds)
    rows = store.rows_sql()
    df = store.con.execute(
        f"""SELECT CommitmentDiscountId, any_value(CommitmentDiscountType) AS CommitmentDiscountType,
                   coalesce(sum(BilledCost), 0) AS billed,
                   coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS used_commitment,
                   coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Unused'), 0) AS unused_commitment,
                   coalesce(sum(ListCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS covered_list_cost
            FROM {rows} WHERE {where} AND CommitmentDiscountId IS NOT NULL
            GROUP BY 1 ORDER BY 1""",
        params,
    ).df()
    on_demand = store.con.execute(
        f"""SELECT coalesce(sum(ListCost), sum(EffectiveCost), 0) FROM {rows}
            WHERE {where} AND {component_case_sql()} = 'node_pool'
              AND coalesce(PricingCategory, 'Standard') = 'Standard' AND ChargeCategory = 'Usage'""",
        params,
    ).fetchall()[0][0]
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
    conds, params = period_filter(month=month)
    is_spot = "(PricingCategory = 'Dynamic' OR coalesce(x_UsageType, SkuId, '') LIKE '%SpotUsage%')"
    df = store.con.execute(
        f"""SELECT coalesce(RegionId, '(none)') AS RegionId,
                   sum(EffectiveCost) AS node_pool_cost,
                   coalesce(sum(EffectiveCost) FILTER (WHERE {is_spot}), 0) AS spot_cost,
                   sum(ListCost) FILTER (WHERE {is_spot}) AS spot_list_cost,
                   sum(PricingQuantity) FILTER (WHERE PricingUnit IN ('Hrs', 'Hours')) AS node_pool_hours,
                   coalesce(sum(PricingQuantity) FILTER (WHERE {is_spot} AND PricingUnit IN ('Hrs', 'Hours')), 0) AS spot_hours
            FROM {store.rows_sql()}
            WHERE {" AND ".join(conds)} AND {component_case_sql()} = 'node_pool' AND ChargeCategory = 'Usage'
            GROUP BY 1 ORDER BY 1""",
        params,
    ).df()
    df["spot_savings"] = df["spot_list_cost"] - df["spot_cost"]
    df["spot_share_hours"] = df["spot_hours"] / df["node_pool_hours"]
    df["spot_share_cost"] = df["spot_cost"] / df["node_pool_cost"]
    return df
