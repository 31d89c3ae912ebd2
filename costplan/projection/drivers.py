"""Demand drivers: central values, Monte Carlo draws, and users month by month.

A driver (:class:`costplan.stack.models.Driver`) has a central ``value`` and optionally a
range. :func:`draw` samples it for ``n`` paths; :func:`users_by_month` grows active users by
a yearly rate compounding monthly: ``users[m] = users[0] * (1 + g) ** (m / 12)``, so 10,000
users at 35 % a year are 13,500 in month 12.
"""

from __future__ import annotations

import numpy as np

from costplan.stack.models import Driver, Drivers

Z90 = 1.2815515655446004
"""The standard normal's 90th percentile: low/high of a normal or lognormal driver are
``value -/+ Z90 * sigma`` (in log space for lognormal)."""

GROWTH_FLOOR = -0.99
"""Lowest annual growth a normal draw is clipped to [fraction/year] (users cannot vanish)."""

DRIVER_UNITS = {
    "active_users": "users",
    "annual_growth": "fraction/year",
    "peak_rps_per_user": "req/s/user",
    "sensor_points_per_user_day": "points/user/day",
    "stored_gb_per_user": "GB/user",
    "egress_gb_per_user": "GB/user/month",
    "db_gb_per_user": "GB/user",
    "cache_mb_per_user": "MB/user",
}


def draw(driver: Driver, n: int, rng: np.random.Generator | None, floor: float = 0.0) -> np.ndarray:
    """``n`` samples of a driver [driver unit]; the central value repeated when ``rng`` is None
    or the driver is fixed. Draws of a normal driver below ``floor`` are clipped to it (0 for
    quantities; just above -1 for growth)."""
    if rng is None or driver.distribution == "fixed" or driver.low is None:
        return np.full(n, float(driver.value))
    lo, mid, hi = float(driver.low), float(driver.value), float(driver.high)
    if driver.distribution == "normal":
        sigma = (hi - lo) / (2 * Z90)
        return np.clip(rng.normal(mid, sigma, n), floor, None)
    if driver.distribution == "lognormal":
        sigma = (np.log(hi) - np.log(lo)) / (2 * Z90)
        return np.exp(rng.normal(np.log(max(mid, 1e-300)), sigma, n))
    if driver.distribution == "uniform":
        return rng.uniform(lo, hi, n)
    if driver.distribution == "triangular":
        if hi == lo:
            return np.full(n, mid)
        return rng.triangular(lo, mid, hi, n)
    raise ValueError(f"unknown distribution {driver.distribution!r}")


def draw_all(drivers: Drivers, n: int, rng: np.random.Generator | None) -> dict[str, np.ndarray]:
    """Samples of every driver given, by name, each of shape ``(n,)``. Drivers are drawn in
    field order so a seed gives the same paths whatever the caller does next."""
    out = {}
    for name in Drivers.model_fields:
        d = getattr(drivers, name)
        if d is not None:
            out[name] = draw(d, n, rng, floor=GROWTH_FLOOR if name == "annual_growth" else 0.0)
    return out


def central(drivers: Drivers) -> dict[str, float]:
    """The central value of every driver given [driver unit]."""
    return {name: float(getattr(drivers, name).value) for name in Drivers.model_fields if getattr(drivers, name) is not None}


def users_by_month(users0, annual_growth, months: int, start: int = 0) -> np.ndarray:
    """Active users in months ``start .. start+months-1`` [users].

    ``users0`` [users] and ``annual_growth`` [fraction/year] are scalars or arrays of shape
    ``(paths,)``; the result has shape ``(months,)`` or ``(paths, months)``. A block of months
    (``start`` > 0) holds exactly the values of those months in the whole horizon.

    >>> round(float(users_by_month(10_000, 0.35, 13)[12]))
    13500
    """
    m = np.arange(start, start + months, dtype=float) / 12.0
    u0 = np.asarray(users0, dtype=float)
    g = np.asarray(annual_growth, dtype=float)
    if u0.ndim == 0 and g.ndim == 0:
        return float(u0) * (1.0 + float(g)) ** m
    u0 = np.broadcast_to(u0, np.broadcast_shapes(u0.shape, g.shape))
    base = np.broadcast_to(1.0 + g, u0.shape)
    out = np.empty((u0.shape[0], months))
    for k, mk in enumerate(m):  # month by month on contiguous vectors: the same values for a
        out[:, k] = u0 * np.power(base, mk)  # month whichever block of months it is evaluated in
    return out
