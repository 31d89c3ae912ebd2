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
    from costplan.frames import Rows


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


def commitment_rows(store: Store, month: str) -> Rows:
    """:func:`commitment_summary` as :class:`costplan.frames.Rows` (no pandas for the store)."""
    from costplan.frames import Rows, missing, nan_if_missing, query_rows, sum_like_pandas

    df = query_rows(store, queries.commitment_sql(store.rows_for(month=month), month))
    on_demand = query_rows(store, queries.on_demand_sql(store.rows_for(month=month), month)).column("on_demand")
    on_demand = 0.0 if not on_demand or missing(on_demand[0]) else float(on_demand[0])
    used, unused = df.column("used_commitment"), df.column("unused_commitment")
    covered_col = df.column("covered_list_cost")

    util, savings = [], []
    for u, n, c in zip(used, unused, covered_col, strict=True):
        u, n, c = nan_if_missing(u), nan_if_missing(n), nan_if_missing(c)
        paid = u + n
        util.append(u / paid if paid != 0 and paid == paid else None)
        savings.append(c - u - n)
    covered = sum_like_pandas(covered_col)
    coverage = covered / (covered + on_demand) if covered + on_demand > 0 else None
    data = {c: df.column(c) for c in df.columns}
    data.update(utilisation=util, savings=[None if v != v else v for v in savings], coverage=[coverage] * len(df))
    return Rows.from_columns(data, {c: "float" for c in ("billed", "used_commitment", "unused_commitment",
                                                         "covered_list_cost", "utilisation", "savings", "coverage")})


def spot_rows(store: Store, month: str) -> Rows:
    """:func:`spot_summary` as :class:`costplan.frames.Rows` (no pandas for the store)."""
    from costplan.frames import Rows, missing, query_rows
    from costplan.frames import div_like_pandas as div

    df = query_rows(store, queries.spot_sql(store.rows_for(month=month), month))

    data = {c: df.column(c) for c in df.columns}
    data["spot_savings"] = [None if missing(a) or missing(b) else a - b
                            for a, b in zip(data["spot_list_cost"], data["spot_cost"], strict=True)]
    data["spot_share_hours"] = [div(a, b) for a, b in zip(data["spot_hours"], data["node_pool_hours"], strict=True)]
    data["spot_share_cost"] = [div(a, b) for a, b in zip(data["spot_cost"], data["node_pool_cost"], strict=True)]
    return Rows.from_columns(data, {c: "float" for c in data if c != "RegionId"})
