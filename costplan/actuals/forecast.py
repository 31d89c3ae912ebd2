"""Where a month still in progress will end: a run-rate forecast from its daily spend.

The month to date plus the days not yet billed at the median daily spend of the last
``window`` days (the median, so a one-off credit or fee on one day does not tip it), with a
range from the lowest and highest of those days. It is a forecast, not a bill: AWS may still
change the Estimated days, and usage can move. Only daily (or finer) rows can give a daily
rate; a month held as one monthly row has no forecast.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from costplan.actuals.store import Store

WINDOW_DAYS = 7


@dataclass
class MonthEndForecast:
    """A month to date and where it is heading. Money in [USD] (EffectiveCost)."""

    month: str
    to_date: float
    days: int
    """Days of the month the store holds [days]."""
    days_in_month: int
    daily_rate: float
    """Median daily spend of the last ``window`` days held [USD/day]."""
    daily_low: float
    daily_high: float
    window: int

    @property
    def remaining_days(self) -> int:
        return self.days_in_month - self.days

    @property
    def month_end(self) -> float:
        """To date + remaining days x the median daily rate [USD]."""
        return self.to_date + self.remaining_days * self.daily_rate

    @property
    def low(self) -> float:
        return self.to_date + self.remaining_days * self.daily_low

    @property
    def high(self) -> float:
        return self.to_date + self.remaining_days * self.daily_high

    def summary(self) -> str:
        return (
            f"{self.month} to date ${self.to_date:,.2f} over {self.days} of {self.days_in_month} days; at the median "
            f"daily spend of the last {self.window} days (${self.daily_rate:,.2f}, ${self.daily_low:,.2f} to "
            f"${self.daily_high:,.2f}) the month ends near ${self.month_end:,.2f} (${self.low:,.2f} to "
            f"${self.high:,.2f}): a run-rate forecast, not a bill"
        )


def month_end_forecast(store: Store, month: str, window: int = WINDOW_DAYS) -> MonthEndForecast | None:
    """The forecast of ``month`` (``YYYY-MM``), or None when the month is complete or its rows
    are not daily (one row per month gives no daily rate)."""
    if hasattr(store, "coverage_rows"):  # the store: no pandas needed
        cov = {c["month"]: c for c in store.coverage_rows()}
        daily = store.spend_rows(["day"], month=month)
        costs = [v for _, v in sorted(zip(daily.column("day"), daily.column("EffectiveCost"), strict=True))]
    else:
        cov = {c["month"]: c for c in store.coverage().to_dict("records")}
        frame = store.spend(["day"], month=month).sort_values("day")
        costs = [float(v) for v in frame["EffectiveCost"]]
    if month not in cov or bool(cov[month]["complete"]):
        return None
    days_held = int(cov[month]["days"])
    if len(costs) != days_held or days_held == 0:
        return None  # rows spanning several days (a monthly pull): no daily rate
    costs = [float(v or 0.0) for v in costs]
    last = costs[-window:]
    return MonthEndForecast(
        month=month,
        to_date=float(sum(costs)),
        days=days_held,
        days_in_month=int(cov[month]["days_in_month"]),
        daily_rate=float(statistics.median(last)),
        daily_low=float(min(last)),
        daily_high=float(max(last)),
        window=len(last),
    )
