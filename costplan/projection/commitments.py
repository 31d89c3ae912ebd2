"""Savings Plan and reserved-instance sizing: the commitment that minimises expected cost.

The model (docs/projection.md, "Commitments"). Hourly eligible usage ``u_h`` [USD/h at
on-demand rates], ``h = 1..H``. A plan with discount ``d`` (plan rate = ``(1 - d)`` x
on-demand) and hourly commitment ``c`` [USD/h] covers ``k = c / (1 - d)`` of on-demand usage
each hour; the commitment is paid whether used or not and the rest is billed on demand::

    cost(c) = sum_h [ c + max(0, u_h - c / (1 - d)) ]
            = H (1 - d) k + sum_h max(0, u_h - k)          with k = c / (1 - d)

``cost`` is convex and piecewise linear in ``k``; its right slope at ``k`` is
``H (1 - d) - #{h : u_h > k}``. With ``u`` sorted ascending, ``u_(1) <= ... <= u_(H)``, the
slope on ``[u_(j), u_(j+1))`` is ``H (1 - d) - (H - j)``, which turns non-negative at
``j >= H d``. The minimum is therefore at

    k* = u_(ceil(H d))   (k* = 0 when d = 0),   c* = (1 - d) k*

the lower ``d``-quantile of the usage: cover the level that usage exceeds in a share ``1 - d``
of the hours. When ``H d`` is a whole number every ``k`` in ``[u_(j), u_(j+1)]`` is optimal;
the smallest commitment is returned. For uncertain usage (Monte Carlo paths x hours) the
expected cost is the same sum over the pooled values, so ``k*`` is the quantile of the
pooled values. Reserved instances are the same problem in instance counts: ``u_h`` =
instances running, ``d = 1 - RI effective rate / on-demand rate``, and ``k*`` is a whole
number because the order statistics are.

AWS applies reserved instances first, then EC2 Instance Savings Plans, then Compute Savings
Plans, each to the usage with the highest discount first; :func:`size_in_aws_order` sizes
them in that order, each on the usage the previous ones leave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from costplan.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

HOURS_PER_MONTH = 730.0
TERM_HOURS = {"1yr": 8760.0, "3yr": 26280.0}
UPFRONT_SHARE = {"no-upfront": 0.0, "partial-upfront": 0.5, "all-upfront": 1.0}
"""Share of the term's commitment paid at purchase [fraction] (partial upfront: about half)."""


def _values(usage) -> np.ndarray:
    u = np.asarray(usage.to_numpy() if hasattr(usage, "to_numpy") else usage, dtype=float).ravel()
    if u.size == 0:
        raise InputError("the usage profile is empty; give at least one hour of usage")
    if np.isnan(u).any():
        raise InputError(f"the usage profile has {int(np.isnan(u).sum())} missing hours (NaN); fill or drop them")
    if (u < 0).any():
        raise InputError("the usage profile has negative hours; give on-demand-equivalent spend >= 0 [USD/h]")
    return u


def _weights(weights, n: int) -> np.ndarray:
    """Hours each usage value stands for, one per value [h]: a scalar is repeated."""
    w = np.asarray(weights.to_numpy() if hasattr(weights, "to_numpy") else weights, dtype=float).ravel()
    if w.size == 1:
        w = np.full(n, float(w[0]))
    if w.size != n:
        raise InputError(f"hours_per_value has {w.size} values for {n} usage values; give one number or one per value")
    if np.isnan(w).any() or (w < 0).any():
        raise InputError("hours_per_value must be >= 0 hours for every usage value [h]")
    if w.sum() <= 0:
        raise InputError("hours_per_value sums to 0 hours; the profile must cover some time [h]")
    return w


def optimal_coverage(usage, discount: float, weights=None) -> float:
    """The on-demand-equivalent coverage ``k*`` [USD/h, or instances] minimising
    ``H (1 - d) k + sum_h max(0, u_h - k)``: the order statistic ``u_(ceil(H d))``.

    ``weights`` [h], one per value (or one for all), lets a value stand for several hours:
    the cost is then ``W (1 - d) k + sum_i w_i max(0, u_i - k)`` with ``W = sum_i w_i``, and
    ``k*`` is the first sorted value whose cumulative weight reaches ``W d`` (the weighted
    lower ``d``-quantile; equal weights give the order statistic above).

    >>> optimal_coverage([1, 2, 3, 4], 0.5)
    2.0
    >>> optimal_coverage([1, 4], 0.5, weights=[1, 3])   # 4 in three hours out of four
    4.0
    """
    if not 0 <= discount < 1:
        raise InputError(f"discount must be in [0, 1), got {discount}")
    if weights is None:
        u = np.sort(_values(usage))
        j = math.ceil(len(u) * discount - 1e-12)
        return 0.0 if j <= 0 else float(u[j - 1])
    u = _values(usage)
    w = _weights(weights, len(u))
    order = np.argsort(u, kind="stable")
    u, w = u[order], w[order]
    target = w.sum() * discount
    if target <= 0:
        return 0.0
    cum = np.cumsum(w)
    j = int(np.searchsorted(cum, target * (1 - 1e-12), side="left"))
    return float(u[min(j, len(u) - 1)])


def commitment_cost(usage, commitment, discount: float, weights=None):
    """Cost over the profile of a commitment ``c`` [USD/h]: fees plus on-demand overflow [USD].
    ``commitment`` may be an array (a scan); the result has its shape. ``weights`` [h] as in
    :func:`optimal_coverage` (without: one hour per value)."""
    c = np.asarray(commitment, dtype=float)
    k = c / (1.0 - discount)
    if weights is None:
        u = np.sort(_values(usage))
        suffix = np.concatenate([np.cumsum(u[::-1])[::-1], [0.0]])  # sum of u[i:]
        i = np.searchsorted(u, k, side="right")  # values > k start at i
        over = suffix[i] - (len(u) - i) * k
        out = len(u) * c + over
    else:
        u = _values(usage)
        w = _weights(weights, len(u))
        order = np.argsort(u, kind="stable")
        u, w = u[order], w[order]
        wu = np.concatenate([np.cumsum((w * u)[::-1])[::-1], [0.0]])  # sum of w u over [i:]
        ws = np.concatenate([np.cumsum(w[::-1])[::-1], [0.0]])  # sum of w over [i:]
        i = np.searchsorted(u, k, side="right")
        out = w.sum() * c + wu[i] - ws[i] * k
    return float(out) if np.ndim(commitment) == 0 else out


def brute_force_commitment(usage, discount: float, grid: int = 2001, weights=None) -> tuple[float, float]:
    """The best commitment on a grid of ``grid`` points from 0 to the peak, plus every usage
    level, by direct evaluation (the baseline the exact optimum is checked against).
    ``weights`` [h] as in :func:`optimal_coverage`. Returns ``(commitment [USD/h], cost [USD])``."""
    u = _values(usage)
    w = np.ones(len(u)) if weights is None else _weights(weights, len(u))
    cands = np.unique(np.concatenate([np.linspace(0, u.max(), grid), u])) * (1 - discount)
    costs = np.array([np.sum(w * (c + np.maximum(0.0, u - c / (1 - discount)))) for c in cands])
    i = int(np.argmin(costs))
    return float(cands[i]), float(costs[i])


@dataclass
class CommitmentEvaluation:
    """One commitment against one usage profile. Money in [USD] over the profile's hours."""

    term: str
    payment: str
    discount: float
    """Plan rate below on-demand [fraction]."""
    commitment: float
    """Hourly commitment [USD/h] (RIs: instances)."""
    hours: int
    """Hours in the profile [h] (pooled over paths: hours x paths)."""
    on_demand_cost: float
    """Cost with no plan [USD]."""
    cost: float
    """Fees plus on-demand overflow [USD]."""
    coverage: float
    """Share of on-demand-equivalent usage the plan covers [fraction]."""
    utilisation: float
    """Share of the commitment used [fraction] (1 for a zero commitment: nothing is wasted)."""
    upfront: float
    """Paid at purchase for the whole term [USD]."""
    break_even_month: int | None
    """First month whose cumulative cost with the plan (upfront included) is at most the cost
    without it; None if it never is within the term."""

    @property
    def net_savings(self) -> float:
        """On-demand cost minus cost with the plan [USD]."""
        return self.on_demand_cost - self.cost

    @property
    def savings_share(self) -> float:
        return self.net_savings / self.on_demand_cost if self.on_demand_cost else 0.0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["net_savings"] = self.net_savings
        d["savings_share"] = self.savings_share
        return d


def evaluate_commitment(usage, commitment: float, discount: float, term: str = "1yr", payment: str = "no-upfront",
                        paths: int = 1, hours_per_value=1.0) -> CommitmentEvaluation:
    """Coverage, utilisation, savings and break-even of an hourly ``commitment`` [USD/h] with
    ``discount`` [fraction] on an hourly ``usage`` profile [USD/h at on-demand rates].

    ``paths`` says how many equally likely paths ``usage`` pools (path-major: all of path 0's
    hours, then path 1's); totals are then per path (expected values). ``hours_per_value``
    [h] lets one value stand for a block of equal hours (730 for a month of flat usage); it
    may also be one number per value (a month as two levels of a daily profile: the peak for
    ``730 x peak_hours / 24`` hours, the off-peak for the rest), in time order within a path
    and the same on every path.
    """
    if term not in TERM_HOURS:
        raise InputError(f"term {term!r} is not valid; expected one of {', '.join(TERM_HOURS)}")
    if payment not in UPFRONT_SHARE:
        raise InputError(f"payment {payment!r} is not valid; expected one of {', '.join(UPFRONT_SHARE)}")
    u = _values(usage)
    if np.ndim(hours_per_value) > 0:
        return _evaluate_weighted(u, commitment, discount, term, payment, paths, _weights(hours_per_value, len(u)))
    k = commitment / (1 - discount)
    covered = np.minimum(u, k)
    w = float(hours_per_value)
    od = float(u.sum()) * w / paths
    cost = commitment_cost(u, commitment, discount) * w / paths
    n = len(u) // paths
    coverage = float(covered.sum() / u.sum()) if u.sum() > 0 else 0.0
    util = float(covered.sum() / (len(u) * k)) if k > 0 else 1.0
    upfront = UPFRONT_SHARE[payment] * commitment * TERM_HOURS[term]
    # break-even: cumulative month by month on the mean path
    per_hour = u.reshape(paths, n).mean(axis=0) if paths > 1 else u
    over = np.maximum(0.0, u - k).reshape(paths, n).mean(axis=0) if paths > 1 else np.maximum(0.0, u - k)
    hourly_fee = commitment * (1 - UPFRONT_SHARE[payment])
    months = math.ceil(n * w / HOURS_PER_MONTH - 1e-9)
    edges = np.minimum(np.ceil(np.arange(1, months + 1) * HOURS_PER_MONTH / w - 1e-9).astype(int), n)
    cum_od = np.cumsum(per_hour)[edges - 1] * w
    cum_with = upfront + hourly_fee * edges * w + np.cumsum(over)[edges - 1] * w
    ok = np.nonzero(cum_with <= cum_od + 1e-9)[0]
    be = int(ok[0]) + 1 if len(ok) else None
    return CommitmentEvaluation(term, payment, discount, float(commitment), round(n * w), od, cost, coverage, util,
                                upfront, be)


def _evaluate_weighted(u: np.ndarray, commitment: float, discount: float, term: str, payment: str, paths: int,
                       w: np.ndarray) -> CommitmentEvaluation:
    """:func:`evaluate_commitment` with one weight [h] per usage value."""
    k = commitment / (1 - discount)
    covered = np.minimum(u, k)
    od = float((w * u).sum()) / paths
    cost = commitment_cost(u, commitment, discount, weights=w) / paths
    n = len(u) // paths
    wu = float((w * u).sum())
    coverage = float((w * covered).sum() / wu) if wu > 0 else 0.0
    util = float((w * covered).sum() / (w.sum() * k)) if k > 0 else 1.0
    upfront = UPFRONT_SHARE[payment] * commitment * TERM_HOURS[term]
    # break-even: cumulative month by month on the mean path; a value's time is its weight
    t = w.reshape(paths, n).mean(axis=0)
    per_value = (w * u).reshape(paths, n).mean(axis=0)
    over = (w * np.maximum(0.0, u - k)).reshape(paths, n).mean(axis=0)
    elapsed = np.cumsum(t)
    hourly_fee = commitment * (1 - UPFRONT_SHARE[payment])
    months = math.ceil(elapsed[-1] / HOURS_PER_MONTH - 1e-9)
    ends = np.arange(1, months + 1) * HOURS_PER_MONTH
    edges = np.minimum(np.searchsorted(elapsed, ends - 1e-6, side="left") + 1, n)
    cum_od = np.cumsum(per_value)[edges - 1]
    cum_with = upfront + hourly_fee * elapsed[edges - 1] + np.cumsum(over)[edges - 1]
    ok = np.nonzero(cum_with <= cum_od + 1e-9)[0]
    be = int(ok[0]) + 1 if len(ok) else None
    return CommitmentEvaluation(term, payment, discount, float(commitment), round(float(elapsed[-1])), od, cost,
                                coverage, util, upfront, be)


#: Columns of :attr:`CommitmentPlan.table`.
PLAN_COLUMNS = ["term", "payment", "discount", "commitment", "coverage", "utilisation", "on_demand_cost", "cost",
                "net_savings", "savings_share", "upfront", "break_even_month", "hours"]


@dataclass
class CommitmentPlan:
    """The optimiser's answer for every term and payment option.

    ``table``: one row per (``term``, ``payment``) with ``discount`` [fraction],
    ``commitment`` [USD/h], ``coverage`` / ``utilisation`` / ``savings_share`` [fraction],
    ``on_demand_cost`` / ``cost`` / ``net_savings`` / ``upfront`` [USD over the profile],
    ``break_even_month``; best first.
    ``curve``: cost around each optimum, columns ``term``, ``payment``, ``commitment`` [USD/h],
    ``cost`` [USD], ``net_savings`` [USD], ``optimum`` (bool).
    """

    table: pd.DataFrame
    curve: pd.DataFrame
    evaluations: list[CommitmentEvaluation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> CommitmentEvaluation | None:
        return max(self.evaluations, key=lambda e: e.net_savings) if self.evaluations else None


def optimise_commitments(usage, discounts: dict[tuple[str, str], float] | float, *, term: str | None = None,
                         payment: str | None = None, paths: int = 1, hours_per_value=1.0,
                         curve_points: int = 81) -> CommitmentPlan:
    """Size a Savings Plan (or RIs) for each term and payment option.

    ``usage`` is an hourly profile [USD/h at on-demand rates]: a pandas Series (from the
    projection, or hourly actuals), an array, or a paths x hours array (pooled: expected
    cost; ``paths`` and ``hours_per_value`` as in :func:`evaluate_commitment`: one number, or
    one per value [h]). ``discounts`` maps ``(term, payment)`` to the plan's discount [fraction]; a float
    means one option (``term``/``payment`` name it). ``term`` / ``payment`` filter the options.
    """
    import pandas as pd

    if isinstance(discounts, (int, float)):
        discounts = {(term or "1yr", payment or "no-upfront"): float(discounts)}
    opts = {k: v for k, v in discounts.items() if (term is None or k[0] == term) and (payment is None or k[1] == payment)}
    if not opts:
        have = ", ".join(f"{t} {p}" for t, p in sorted(discounts)) or "none"
        raise InputError(f"no discount known for term={term or 'any'} payment={payment or 'any'}; available: {have}")
    u = _values(usage)
    weighted = np.ndim(hours_per_value) > 0
    w = _weights(hours_per_value, len(u)) if weighted else None
    evals, curves = [], []
    for (t, p), d in sorted(opts.items()):
        k = optimal_coverage(u, d, weights=w)
        c = (1 - d) * k
        ev = evaluate_commitment(u, c, d, t, p, paths, w if weighted else hours_per_value)
        evals.append(ev)
        top = max(2 * c, (1 - d) * float(np.quantile(u, 0.99)), 1e-9)
        grid = np.unique(np.concatenate([np.linspace(0, top, curve_points), [c]]))
        if weighted:
            cost = commitment_cost(u, grid, d, weights=w) / paths
        else:
            cost = commitment_cost(u, grid, d) * hours_per_value / paths
        curves.append(pd.DataFrame({"term": t, "payment": p, "commitment": grid, "cost": cost,
                                    "net_savings": ev.on_demand_cost - cost, "optimum": np.isclose(grid, c)}))
    table = pd.DataFrame([e.to_dict() for e in evals]).sort_values("net_savings", ascending=False).reset_index(drop=True)
    return CommitmentPlan(table[PLAN_COLUMNS], pd.concat(curves, ignore_index=True), evals)


def optimise_reserved_instances(instances, on_demand_rate: float, ri_rate: float, weights=None) -> int:
    """Reserved instances to buy for an hourly count of running ``instances`` [instances]:
    ``k* = n_(ceil(H d))`` with ``d = 1 - ri_rate / on_demand_rate`` (rates in [USD/h]);
    ``weights`` [h] as in :func:`optimal_coverage`."""
    if on_demand_rate <= 0:
        raise InputError("on-demand rate must be > 0")
    return round(optimal_coverage(instances, max(0.0, 1 - ri_rate / on_demand_rate), weights=weights))


def size_in_aws_order(usage_by_type: pd.DataFrame, on_demand_rates: dict[str, float],
                      ri_rates: dict[str, float] | None = None, ec2_sp_discounts: dict[str, float] | None = None,
                      compute_sp_discount: float | None = None, weights=None) -> dict:
    """Size RIs, then EC2 Instance Savings Plans (per family), then a Compute Savings Plan, each
    on the usage the previous ones leave.

    ``usage_by_type``: hourly instances running, one column per instance type [instances]
    (a column may be ``type@region``; its family is then ``family@region``, as EC2 Instance
    Savings Plans are per family and region). ``on_demand_rates``/``ri_rates``: [USD/h] per
    column; ``ec2_sp_discounts``: per family [fraction]; ``compute_sp_discount``: [fraction];
    ``weights``: hours each row stands for [h] (default: one hour a row).
    Returns ``{"reserved_instances": {column: count}, "ec2_instance_sp": {family: USD/h},
    "compute_sp": USD/h, "hourly_fees": USD/h (all commitments), "left_on_demand": Series of
    the on-demand spend left each hour [USD/h]}``.
    """
    import pandas as pd

    ri_rates = ri_rates or {}
    ec2_sp_discounts = ec2_sp_discounts or {}
    counts = usage_by_type.astype(float).copy()
    ris = {}
    for t in counts.columns:
        if t in ri_rates:
            n = optimise_reserved_instances(counts[t], on_demand_rates[t], ri_rates[t], weights=weights)
            ris[t] = n
            counts[t] = np.maximum(0.0, counts[t] - n)
    spend = counts * pd.Series(on_demand_rates)[counts.columns]
    fam_sp = {}
    for fam, d in sorted(ec2_sp_discounts.items(), key=lambda kv: -kv[1]):
        cols = [c for c in spend.columns if _family(c) == fam]
        if not cols:
            continue
        u = spend[cols].sum(axis=1)
        k = optimal_coverage(u, d, weights=weights)
        fam_sp[fam] = (1 - d) * k
        # the plan covers the family's spend up to k each hour (proportionally across its types)
        share = np.where(u > 0, np.minimum(u, k) / u.where(u > 0, 1.0), 0.0)
        spend[cols] = spend[cols].mul(1 - share, axis=0)
    left = spend.sum(axis=1)
    comp = 0.0
    if compute_sp_discount is not None:
        k = optimal_coverage(left, compute_sp_discount, weights=weights)
        comp = (1 - compute_sp_discount) * k
        left = np.maximum(0.0, left - k)
    fees = sum(n * ri_rates[t] for t, n in ris.items()) + sum(fam_sp.values()) + comp
    return {"reserved_instances": ris, "ec2_instance_sp": fam_sp, "compute_sp": comp, "hourly_fees": fees,
            "left_on_demand": left}


def _family(column: str) -> str:
    itype, _, region = column.partition("@")
    fam = itype.split(".")[0]
    return f"{fam}@{region}" if region else fam


# -- from a stack's projection ----------------------------------------------------------------
TERM_MONTHS = {"1yr": 12, "3yr": 36}


@dataclass
class StackCommitments:
    """Savings Plan sizing for a stack, from its projected on-demand EC2 usage.

    ``table``: :class:`CommitmentPlan` rows (best first) plus ``eligible_types``.
    ``existing``: the stack's own Savings Plans evaluated on the same usage, same columns
    plus ``name`` and ``optimal_commitment`` [USD/h] for its term and payment.
    ``curve``: cost around each optimum (see :class:`CommitmentPlan`).
    ``reserved``: reserved instances sized per resource (EC2 pools on demand, ElastiCache
    groups, RDS primaries) for every term and payment the catalog prices (standard offering):
    ``service``, ``resource``, ``instance_type``, ``RegionId``, ``term``, ``payment``,
    ``count`` [instances], ``on_demand_rate`` / ``ri_rate`` (effective) [USD/h], ``discount``,
    ``coverage``, ``utilisation`` [fraction], ``on_demand_cost``, ``cost``, ``net_savings``
    [USD over the term], ``break_even_month``. RIs and Savings Plans on EC2 are alternatives
    for the same usage: AWS applies RIs first (:func:`size_in_aws_order`).
    ``combined``: EC2 Instance Savings Plans per family and region, then a Compute Savings Plan
    on the rest, sized in AWS's order; one row per plan: ``term``, ``payment``, ``order``,
    ``plan``, ``scope``, ``discount``, ``commitment`` [USD/h], and for the whole combination
    ``on_demand_cost``, ``cost_with_plans``, ``net_savings`` [USD over the term].
    ``findings``: commitments that cannot work (e.g. an EC2 capacity reservation for an RDS
    class) and prices missing from the catalog.
    """

    table: pd.DataFrame
    existing: pd.DataFrame
    curve: pd.DataFrame
    findings: list[str] = field(default_factory=list)
    reserved: pd.DataFrame = field(default_factory=lambda: _frame([]))
    combined: pd.DataFrame = field(default_factory=lambda: _frame([]))


def _frame(rows, columns=None) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def savings_plan_discounts(model, plan_type: str = "compute", region: str | None = None,
                           family: str | None = None) -> tuple[dict, dict, list[str]]:
    """Discounts of a Savings Plan type for the stack's on-demand pools, per (term, payment).

    Returns ``(discounts, eligible, missing)``: ``discounts[(term, payment)]`` is the
    on-demand-cost-weighted discount [fraction] over the pools that have a plan rate;
    ``eligible[(term, payment)]`` lists those pool keys; ``missing["<term> <payment>"]`` names
    the pools without one.
    """
    from costplan.errors import PriceNotFoundError

    discounts, eligible, missing = {}, {}, {}
    for term in TERM_HOURS:
        for payment in UPFRONT_SHARE:
            num = den = 0.0
            keys = []
            for key, p in model.pools.items():
                if p.spot is not None:
                    continue
                if region and p.region != region or family and p.instance_type.split(".")[0] != family:
                    continue
                try:
                    od = model.catalog.price("AmazonEC2", p.instance_type, p.region, "instance-hour").unit_price
                    sp = model.catalog.price("AmazonEC2", p.instance_type, p.region, "instance-hour", "", "savings_plan",
                                             term, payment, plan_type).unit_price
                except PriceNotFoundError:
                    missing.setdefault(f"{term} {payment}", []).append(f"{p.instance_type} in {p.region}")
                    continue
                w = od * p.baseline_nodes
                num += w * (1 - sp / od)
                den += w
                keys.append(key)
            if den > 0:
                discounts[(term, payment)] = num / den
                eligible[(term, payment)] = keys
    return discounts, eligible, missing


def on_demand_profile(parts: dict, keys: list[str], months: int) -> tuple[np.ndarray, float | np.ndarray]:
    """The on-demand EC2 usage of pools ``keys`` over the first ``months`` months, from the
    side output of :meth:`ProjectionModel.cost <costplan.projection.simulate.ProjectionModel.cost>`,
    as ``(usage, hours_per_value)`` for :func:`optimise_commitments`.

    Without a daily profile ``usage`` is ``paths x months`` [USD/h], one flat value per month
    standing for 730 h (``hours_per_value`` = 730). With one, each month is two values, the
    peak then the off-peak level (``paths x 2 months`` [USD/h]), standing for ``730 s`` and
    ``730 (1 - s)`` hours with ``s = peak_hours / 24`` (``hours_per_value`` one per value).
    """
    ec2 = parts.get("ec2_on_demand", {})
    if "peak_share" not in parts:
        return sum(ec2[k] for k in keys)[:, :months] / HOURS_PER_MONTH, HOURS_PER_MONTH
    s = float(parts["peak_share"])
    peak = sum(parts["ec2_on_demand_peak"][k] for k in keys)[:, :months] / HOURS_PER_MONTH
    off = sum(parts["ec2_on_demand_offpeak"][k] for k in keys)[:, :months] / HOURS_PER_MONTH
    usage = np.stack([peak, off], axis=-1).reshape(peak.shape[0], -1)
    hours = np.tile([HOURS_PER_MONTH * s, HOURS_PER_MONTH * (1 - s)], usage.size // 2)
    return usage, hours


def pool_counts(model, capa: dict, key: str, months: int) -> tuple[np.ndarray, float | np.ndarray]:
    """Nodes of pool ``key`` running over the first ``months`` months, from the projection's
    capacity, as ``(counts, hours_per_value)``: ``paths x months`` [instances] at 730 h a value,
    or with a daily profile ``paths x 2 months`` (peak, off-peak) with one weight a value [h]
    (as :func:`on_demand_profile`)."""
    peak = np.asarray(capa[key]["value"], float)[:, :months]
    profile = model.spec.daily_profile
    if profile is None:
        return peak, HOURS_PER_MONTH
    s = profile.peak_hours / 24.0
    off = np.asarray(capa[f"{key}/offpeak"]["value"], float)[:, :months]
    counts = np.stack([peak, off], axis=-1).reshape(peak.shape[0], -1)
    return counts, np.tile([HOURS_PER_MONTH * s, HOURS_PER_MONTH * (1 - s)], counts.size // 2)


def _sizing(stack, catalog=None, *, term: str | None = None, payment: str | None = None, simulations: int = 500,
            seed: int = 42, plan_type: str = "compute", frames: bool = True, base=None):
    """The Savings Plan sizing of :func:`stack_commitments`: the projection model and its
    capacity, the sizing's rows and the stack's own plans' (dicts), the cost curves (frames,
    with ``frames``) and the findings."""
    from costplan.pricing.catalog import default_catalog
    from costplan.projection.simulate import ProjectionModel, simulate

    if not hasattr(stack, "regions"):
        from costplan.stack import load_stack

        stack = load_stack(stack)
    catalog = catalog or default_catalog()
    model = ProjectionModel(stack, catalog, base=base)
    discounts, eligible, missing = savings_plan_discounts(model, plan_type)
    findings = [f"{f.commitment}: {f.message}" for f in model.estimate.findings]
    none = [o for o in missing if tuple(o.split(" ")) not in discounts]
    if none:
        findings.append(f"the catalog has no {plan_type} Savings Plan rates for: {', '.join(none)} (not sized)")
    for o, types in missing.items():
        if o not in none and (term is None or o.startswith(term)) and (payment is None or o.endswith(payment)):
            findings.append(f"{plan_type} {o}: no plan rate for {', '.join(sorted(set(types)))}; "
                            "that usage is left out of the sizing")
    wanted = {k: v for k, v in discounts.items() if (term is None or k[0] == term) and (payment is None or k[1] == payment)}
    if not wanted:
        have = ", ".join(f"{t} {p}" for t, p in sorted(discounts)) or "none"
        raise InputError(f"the catalog has no {plan_type} Savings Plan rates for term={term or 'any'} "
                         f"payment={payment or 'any'}; options with rates: {have}")
    from costplan.limits import check_projection_size

    months = max(TERM_MONTHS[t] for t in TERM_HOURS if term is None or t == term)
    check_projection_size(months, simulations, seed, whole_horizon=True)
    parts: dict = {}
    _, _, capa, _ = simulate(model, months, simulations, seed, parts=parts)
    paths = max(simulations, 1)
    rows, curves, evals = [], [], {}
    for (t, p), d in sorted(wanted.items()):
        keys = eligible[(t, p)]
        usage, hours = on_demand_profile(parts, keys, TERM_MONTHS[t])
        if frames:
            plan = optimise_commitments(usage.ravel(), {(t, p): d}, paths=paths, hours_per_value=hours)
            row = plan.table.iloc[0].to_dict()
            curves.append(plan.curve)
        else:  # the optimum alone, as optimise_commitments sizes it (no cost curve)
            u = _values(usage.ravel())
            w = hours if np.ndim(hours) > 0 else None
            c = (1 - d) * optimal_coverage(u, d, weights=None if w is None else _weights(w, len(u)))
            ev = evaluate_commitment(u, c, d, t, p, paths, hours)
            row = {k: ev.to_dict()[k] for k in PLAN_COLUMNS}
        row["eligible_pools"] = ",".join(keys)
        rows.append(row)
        evals[(t, p)] = (usage, hours, d, row["commitment"])
    existing = []
    for name, sp in stack.commitments.savings_plans.items():
        if sp.type != plan_type:
            findings.append(f"{name}: {sp.type} Savings Plan not evaluated (sizing is for {plan_type} plans)")
            continue
        key = (sp.term, sp.payment)
        if key not in discounts:
            findings.append(f"{name}: no {sp.type} {sp.term} {sp.payment} rates in the catalog; not evaluated")
            continue
        if key in evals:
            usage, hours, d, best = evals[key]
        else:
            keys = eligible[key]
            sub = {}
            simulate(model, TERM_MONTHS[sp.term], simulations, seed, parts=sub)
            usage, hours = on_demand_profile(sub, keys, TERM_MONTHS[sp.term])
            d = discounts[key]
            best = (1 - d) * optimal_coverage(usage.ravel(), d, weights=None if np.ndim(hours) == 0 else hours)
        ev = evaluate_commitment(usage.ravel(), sp.hourly_commitment, d, sp.term, sp.payment, paths, hours)
        row = ev.to_dict()
        row.update(name=name, optimal_commitment=best)
        existing.append(row)
        if ev.utilisation < 0.999:
            findings.append(f"{name}: ${sp.hourly_commitment:,.2f}/h is {ev.utilisation:.0%} used on the projected usage "
                            f"(optimum ${best:,.2f}/h); net saving ${ev.net_savings:,.0f} over the profile")
    return model, capa, rows, existing, curves, findings


def stack_commitments(stack, catalog=None, *, term: str | None = None, payment: str | None = None,
                      simulations: int = 500, seed: int = 42, plan_type: str = "compute",
                      alternatives: bool = True) -> StackCommitments:
    """Size a Savings Plan for ``stack`` on its projected on-demand EC2 usage (Monte Carlo
    paths pooled: the expected cost is minimised), for every term and payment option the
    catalog prices, and evaluate the stack's own plans on the same usage.

    The usage profile for a term is the projection's first 12 (1yr) or 36 (3yr) months, each
    month flat at its node count, or, with ``projection.daily_profile``, two levels (the peak's
    node count for ``peak_hours / 24`` of the hours, the off-peak's for the rest;
    :func:`on_demand_profile`). For a finer shape feed hourly actuals to
    :func:`optimise_commitments`.

    ``alternatives=False`` leaves out the reserved-instance sizing and the EC2 Instance plus
    Compute Savings Plan combination (``reserved`` and ``combined`` empty, and their findings):
    for a caller that reads only the Savings Plan sizing and the stack's own plans.
    """
    import pandas as pd

    model, capa, rows, existing, curves, findings = _sizing(stack, catalog, term=term, payment=payment,
                                                            simulations=simulations, seed=seed, plan_type=plan_type)
    table = pd.DataFrame(rows).sort_values("net_savings", ascending=False).reset_index(drop=True)
    if not alternatives:
        return StackCommitments(table, pd.DataFrame(existing), pd.concat(curves, ignore_index=True), findings,
                                pd.DataFrame(), pd.DataFrame())
    reserved = _size_reserved(model, capa, term, payment, max(simulations, 1), findings)
    combined = _combined_in_aws_order(model, capa, term, payment, max(simulations, 1))
    return StackCommitments(table, pd.DataFrame(existing), pd.concat(curves, ignore_index=True), findings, reserved,
                            combined)


def savings_plan_sizing(stack, catalog=None, *, term: str | None = None, payment: str | None = None,
                        simulations: int = 500, seed: int = 42, plan_type: str = "compute",
                        base=None) -> tuple[list[dict], list[dict], list[str]]:
    """:func:`stack_commitments` with ``alternatives=False``, without pandas and without the
    cost curves: ``(table, existing, findings)``, the rows of its ``table`` (best first) and
    ``existing`` as dicts, and its findings. ``base``: the estimate of ``stack`` at
    ``catalog`` when the caller has it (not priced again)."""
    _, _, rows, existing, _, findings = _sizing(stack, catalog, term=term, payment=payment, simulations=simulations,
                                                seed=seed, plan_type=plan_type, frames=False, base=base)
    order = sorted(range(len(rows)), key=lambda i: -rows[i]["net_savings"])
    return [rows[i] for i in order], existing, findings


def _combined_in_aws_order(model, capa: dict, term: str | None, payment: str | None, paths: int) -> pd.DataFrame:
    """EC2 Instance Savings Plans per family and region, then a Compute Savings Plan on what
    they leave, sized in AWS's order on the projected on-demand node counts."""
    import pandas as pd

    from costplan.errors import PriceNotFoundError

    pools = {k: p for k, p in model.pools.items() if p.spot is None}
    if not pools:
        return pd.DataFrame()
    rows = []
    for t in TERM_HOURS:
        if term is not None and t != term:
            continue
        months = TERM_MONTHS[t]
        counts, od, hours = {}, {}, HOURS_PER_MONTH
        for key, p in pools.items():
            col = f"{p.instance_type}@{p.region}"
            v, hours = pool_counts(model, capa, key, months)
            counts[col] = counts.get(col, 0) + v.ravel()
            od[col] = model.catalog.price("AmazonEC2", p.instance_type, p.region, "instance-hour").unit_price
        usage = pd.DataFrame(counts)
        w = np.broadcast_to(np.asarray(hours, float), (len(usage),))
        for pay in UPFRONT_SHARE:
            if payment is not None and pay != payment:
                continue
            fam_num, fam_den, comp_num, comp_den = {}, {}, 0.0, 0.0
            for col, rate in od.items():
                itype, region = col.split("@")
                w_od = float(np.average(usage[col], weights=w)) * rate
                try:
                    e = model.catalog.price("AmazonEC2", itype, region, "instance-hour", "", "savings_plan", t, pay,
                                            "ec2-instance").unit_price
                    fam = _family(col)
                    fam_num[fam] = fam_num.get(fam, 0.0) + w_od * (1 - e / rate)
                    fam_den[fam] = fam_den.get(fam, 0.0) + w_od
                except PriceNotFoundError:
                    pass
                try:
                    c = model.catalog.price("AmazonEC2", itype, region, "instance-hour", "", "savings_plan", t, pay,
                                            "compute").unit_price
                    comp_num += w_od * (1 - c / rate)
                    comp_den += w_od
                except PriceNotFoundError:
                    pass
            if not fam_den and not comp_den:
                continue
            fam_d = {f: fam_num[f] / fam_den[f] for f in fam_den if fam_den[f] > 0}
            comp_d = comp_num / comp_den if comp_den > 0 else None
            weighted = np.ndim(hours) > 0
            out = size_in_aws_order(usage, od, ec2_sp_discounts=fam_d, compute_sp_discount=comp_d,
                                    weights=w if weighted else None)
            if weighted:
                od_cost = float(((usage * pd.Series(od)).sum(axis=1).to_numpy() * w).sum()) / paths
            else:
                od_cost = float((usage * pd.Series(od)).to_numpy().sum()) * HOURS_PER_MONTH / paths
            cost = _cost_with_plans(model, usage, od, out, t, pay, w, paths)
            base = {"term": t, "payment": pay, "on_demand_cost": od_cost, "cost_with_plans": cost,
                    "net_savings": od_cost - cost}
            for fam, c in sorted(out["ec2_instance_sp"].items()):
                rows.append({**base, "order": 1, "plan": "ec2-instance savings plan", "scope": fam,
                             "discount": fam_d[fam], "commitment": c})
            rows.append({**base, "order": 2, "plan": "compute savings plan", "scope": "any EC2",
                         "discount": comp_d if comp_d is not None else float("nan"), "commitment": out["compute_sp"]})
    return pd.DataFrame(rows)


def _cost_with_plans(model, usage: pd.DataFrame, od: dict[str, float], sized: dict, term: str, payment: str,
                     weights: np.ndarray, paths: int) -> float:
    """Cost over the profile [USD per path] of the plans :func:`size_in_aws_order` sized,
    valued by the commitment engine the estimate and the projection apply
    (:class:`costplan.components.commitments.CommitmentEngine`): each hour the EC2 Instance
    plans, then the Compute plan, cover the usage with the highest discount first at each
    type's own plan rate. ``usage``: instances per ``type@region`` column [instances];
    ``od``: their on-demand rates [USD/h]; ``weights``: hours each row stands for [h]."""
    from costplan.components.commitments import CommitmentEngine, Usage
    from costplan.stack.models import Commitments

    plans = {}
    for fam, c in sorted(sized["ec2_instance_sp"].items()):
        family, _, region = fam.partition("@")
        if c > 0:
            plans[f"ec2-instance {fam}"] = {"type": "ec2-instance", "region": region, "instance_family": family,
                                            "term": term, "payment": payment, "hourly_commitment": c}
    if sized["compute_sp"] > 0:
        plans["compute"] = {"type": "compute", "term": term, "payment": payment, "hourly_commitment": sized["compute_sp"]}
    cols = list(usage.columns)
    engine = CommitmentEngine(Commitments.model_validate({"savings_plans": plans}),
                              [Usage("AmazonEC2", *c.split("@"), "", od[c]) for c in cols], model.catalog)
    counts = [usage[c].to_numpy(dtype=float) for c in cols]
    applied = engine.apply(counts, 1.0)  # one hour: covered on-demand cost [USD/h]
    per_hour = (sum(n * od[c] for n, c in zip(counts, cols, strict=True)) - sum(applied.sp_covered.values(), 0.0)
                + sum(p["hourly_commitment"] for p in plans.values()))
    return float(np.sum(per_hour * weights)) / paths


def _size_reserved(model, capa: dict, term: str | None, payment: str | None, paths: int, findings: list[str]) -> pd.DataFrame:
    """Optimal standard RI counts per resource on the projected instance counts (see
    :class:`StackCommitments`). An RI for a class the projection steps away from stops
    matching from that month: those months count as 0 instances of the RI's class."""
    import pandas as pd

    from costplan.errors import PriceNotFoundError

    items = []  # (service, resource, type, region, variant, counts paths x months, or a pool key)
    for key, p in model.pools.items():
        if p.spot is None:
            items.append(("AmazonEC2", key, p.instance_type, p.region, "", key))
    for rname, region in model.stack.regions.items():
        for cname, g in region.elasticache.items():
            c = capa.get(f"{rname}/{cname}/node_type")
            if c is not None:
                n = np.where(np.asarray(c["value"]) == c["baseline"], float(g.nodes), 0.0)
                items.append(("AmazonElastiCache", f"{rname}/{cname}", g.node_type, rname, g.engine, n))
        for dname, db in region.rds.items():
            c = capa.get(f"{rname}/{dname}/class")
            if c is not None:
                n = np.where(np.asarray(c["value"]) == c["baseline"], float(db.count), 0.0)
                az = "multi-az" if db.multi_az else "single-az"
                items.append(("AmazonRDS", f"{rname}/{dname}", db.instance_class, rname, f"{db.engine}:{az}", n))
    rows, missing = [], set()
    usage_name = {"AmazonEC2": "instance-hour", "AmazonRDS": "instance-hour", "AmazonElastiCache": "node-hour"}
    for t in TERM_HOURS:
        if term is not None and t != term:
            continue
        for pay in UPFRONT_SHARE:
            if payment is not None and pay != payment:
                continue
            for service, res, itype, region, variant, counts in items:
                try:
                    od = model.catalog.price(service, itype, region, usage_name[service], variant).unit_price
                    ri = model.catalog.price(service, itype, region, usage_name[service], variant, "reserved", t, pay,
                                             "standard").unit_price
                except PriceNotFoundError:
                    missing.add(f"{itype} ({service.removeprefix('Amazon')}, {region}) {t} {pay}")
                    continue
                if isinstance(counts, str):  # a node pool: one or two levels a month
                    values, hours = pool_counts(model, capa, counts, TERM_MONTHS[t])
                else:  # databases and caches do not follow the day
                    values, hours = counts[:, : TERM_MONTHS[t]], HOURS_PER_MONTH
                values = values.ravel()
                weights = None if np.ndim(hours) == 0 else hours
                n = optimise_reserved_instances(values, od, ri, weights=weights)
                d = max(0.0, 1 - ri / od)
                ev = evaluate_commitment(values * od, n * ri, d, t, pay, paths, hours)
                rows.append({"service": service, "resource": res, "instance_type": itype, "RegionId": region,
                             "term": t, "payment": pay, "count": n, "on_demand_rate": od, "ri_rate": ri,
                             "discount": d, "coverage": ev.coverage, "utilisation": ev.utilisation,
                             "on_demand_cost": ev.on_demand_cost, "cost": ev.cost, "net_savings": ev.net_savings,
                             "break_even_month": ev.break_even_month})
    if missing:
        findings.append("no standard reserved-instance rate in the catalog for " + "; ".join(sorted(missing))
                        + " (not sized)")
    return pd.DataFrame(rows)
