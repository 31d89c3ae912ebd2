"""Cost per active user: ranges, the fixed part amortised, and the marginal cost of growth.

Pure functions over arrays shaped ``(paths, months)``; :func:`per_user_notes` explains a
projection's per-user curve in words (where it falls and why).
"""

from __future__ import annotations

import numpy as np


def cost_per_user(cost, users):
    """Monthly cost per active user [USD/user/month]; keeps the input's shape.
    ``cost`` [USD/month], ``users`` [users]; 0 users gives NaN, never a division error."""
    c = np.asarray(cost, dtype=float)
    u = np.asarray(users, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(u > 0, c / np.where(u > 0, u, 1.0), np.nan)
    return float(out) if np.ndim(out) == 0 else out


def per_user_notes(result) -> list[str]:
    """Why the cost per user moves over a projection: the fixed share amortised over more
    users, and the capacity steps that add cost in blocks."""
    pu = result.per_user
    m = result.monthly
    if pu.empty:
        return []
    first, last = pu.iloc[0], pu.iloc[-1]
    notes = [
        (f"cost per user (median path) goes from ${first.p50:,.3f} in month 0 to ${last.p50:,.3f} in month "
        f"{int(last.month)} (p10-p90 ${last.p10:,.3f}-${last.p90:,.3f})")
    ]
    fixed0 = float(m.fixed.iloc[0])
    share0 = fixed0 / float(m.p50.iloc[0]) if float(m.p50.iloc[0]) else 0.0
    share1 = float(m.fixed.iloc[-1]) / float(m.p50.iloc[-1]) if float(m.p50.iloc[-1]) else 0.0
    notes.append(
        f"{share0:.0%} of month 0's cost is fixed (${fixed0:,.0f}/month: clusters, pool minimums, the database and cache "
        f"classes, fixed service fees); spread over more users it falls to {share1:.0%} of the cost by month "
        f"{int(last.month)}, which is most of the fall per user"
    )
    mc = pu.marginal_per_1000_users
    notes.append(
        f"the next 1,000 users cost ${mc.iloc[0]:,.2f}/month in month 0 and ${mc.iloc[-1]:,.2f}/month in month "
        f"{int(last.month)} (${mc.iloc[-1] / 1000:,.4f} per user): usage-priced services and storage; "
        "capacity steps add cost in blocks where the marginal cost jumps"
    )
    steps = result.steps[result.steps.month > 0] if not result.steps.empty else result.steps
    for s in steps.itertuples():
        notes.append(f"step: {s.note}")
    return notes
