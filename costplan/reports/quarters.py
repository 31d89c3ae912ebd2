"""Quarters (``YYYYQn``) and how much of one a store holds, without pandas: ``costplan
review`` checks its quarter with these before the notebook runs, and the notebook calls them
through :mod:`costplan.reports.quarterly`.

>>> quarter_months("2026Q3")
['2026-07', '2026-08', '2026-09']
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from costplan.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from costplan.actuals.store import Store

_QUARTER = re.compile(r"^(?P<y>\d{4})-?Q(?P<q>[1-4])$", re.IGNORECASE)


def parse_quarter(quarter: str) -> tuple[int, int]:
    """``"2026Q3"`` -> ``(2026, 3)``; an :class:`InputError` naming ``--quarter`` otherwise."""
    m = _QUARTER.match(str(quarter).strip())
    if not m:
        raise InputError(Problem(f"bad quarter {quarter!r}", location="--quarter",
                                 hint="use YYYYQn with n from 1 to 4, e.g. 2026Q3"))
    return int(m["y"]), int(m["q"])


def quarter_months(quarter: str) -> list[str]:
    """The three billing months (``YYYY-MM``) of a quarter."""
    y, q = parse_quarter(quarter)
    return [f"{y:04d}-{3 * (q - 1) + i:02d}" for i in (1, 2, 3)]


def quarter_label(quarter: str) -> str:
    y, q = parse_quarter(quarter)
    return f"{y}Q{q}"


def check_quarter(store: Store, quarter: str) -> list[str]:
    """The quarter's months held by the store; an :class:`InputError` when it holds none."""
    months = quarter_months(quarter)
    held = store.months()
    have = [m for m in months if m in held]
    if not have:
        span = f"{held[0]} .. {held[-1]}" if held else "no months"
        raise InputError(Problem(f"the store {store.path} holds no spend for {quarter_label(quarter)} "
                                 f"({months[0]} .. {months[-1]})", location="--quarter", hint=f"it holds {span}"))
    return have


def shift_quarter(quarter: str, n: int) -> str:
    y, q = parse_quarter(quarter)
    k = y * 4 + (q - 1) + n
    return f"{k // 4}Q{k % 4 + 1}"


# --- which quarter, and how complete it is ------------------------------------------------
def default_quarter(store: Store) -> tuple[str, str]:
    """The last quarter whose three months the store holds complete and final, and a
    sentence saying why it was chosen."""
    cov = coverage_rows(store)
    done = {c["month"] for c in cov if c["complete"] and not c["Estimated"]}
    quarters = sorted({f"{m[:4]}Q{(int(m[5:7]) - 1) // 3 + 1}" for m in done}, reverse=True)
    for qt in quarters:
        if all(m in done for m in quarter_months(qt)):
            newest = cov[-1]["month"]
            return qt, (f"{qt} is the last quarter whose three months are complete and final in the store "
                        f"(its newest month, {newest}, is {'still in progress' if newest not in done else 'final'})")
    raise InputError(Problem(f"the store {store.path} holds no complete quarter", location="--quarter",
                             hint="pass a quarter explicitly, e.g. --quarter " + (quarters[0] if quarters else "2026Q3")))


def quarter_status(store: Store, quarter: str) -> dict:
    """How much of ``quarter`` the store holds: ``days`` covered, ``days_in_quarter``,
    ``complete`` (every day covered and nothing Estimated) and ``note`` (empty when complete)."""
    import calendar

    cov = {c["month"]: c for c in coverage_rows(store)}
    months = quarter_months(quarter)
    days_in = sum(calendar.monthrange(int(m[:4]), int(m[5:7]))[1] for m in months)
    held = [m for m in months if m in cov]
    days = int(sum(cov[m]["days"] for m in held))
    estimated = any(bool(cov[m]["Estimated"]) for m in held)
    complete = days == days_in and not estimated
    note = ""
    if not complete:
        note = (f"{quarter_label(quarter)} is in progress: the store holds {days} of its {days_in} days"
                f"{' (some still Estimated)' if estimated else ''}; it is compared on its run-rate "
                f"(spend so far / {days} x {days_in} days), not on the partial sum")
    return {"days": days, "days_in_quarter": days_in, "complete": complete, "note": note}


def coverage_rows(store) -> list[dict]:
    """:meth:`Store.coverage` as a list of dicts, oldest month first: without pandas when the
    store answers so (:meth:`Store.coverage_rows`), else from the frame (an engine's source)."""
    rows = getattr(store, "coverage_rows", None)
    return rows() if rows is not None else store.coverage().to_dict("records")
