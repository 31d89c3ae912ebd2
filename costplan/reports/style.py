"""Tables formatted for people (the review and the notebooks): currency signs, thousands
separators, whole units or cents, percentages, no index column, readable column names.

>>> import pandas as pd
>>> money(1234.5), money(-0.004), money(1234.5, cents=False), percent(0.5398), percent(None)
('$1,234.50', '$0.00', '$1,235', '54.0%', '')
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def money(v, currency: str = "USD", *, cents: bool = True, signed: bool = False) -> str:
    """``1234.5`` -> ``$1,234.50``; a currency without a symbol is written after the number."""
    if _missing(v):
        return ""
    v = float(v)
    if abs(v) < (0.005 if cents else 0.5):
        v = 0.0
    body = f"{abs(v):,.2f}" if cents else f"{abs(v):,.0f}"
    sign = "-" if v < 0 else ("+" if signed and v > 0 else "")
    sym = SYMBOLS.get(currency)
    return f"{sign}{sym}{body}" if sym else f"{sign}{body} {currency}"


def percent(v, *, signed: bool = False, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.5398`` -> ``54.0%``."""
    if _missing(v):
        return ""
    return f"{float(v):{'+' if signed else ''}.{digits}%}"


def people(df: pd.DataFrame, *, money_cols: Iterable[str] = (), signed_cols: Iterable[str] = (),
           percent_cols: Iterable[str] = (), pct_points: Iterable[str] = (), currency: str = "USD",
           cents: bool = True, rename: dict | None = None, caption: str | None = None):
    """``df`` as a pandas Styler: money columns with the currency sign and thousands
    separators (``signed_cols`` with a sign: differences), ``percent_cols`` as percentages of
    a fraction, ``pct_points`` already in percent; no index column; ``rename`` gives the
    column headings. Other float columns get thousands separators and at most 2 decimals."""
    money_cols, signed_cols = list(money_cols), list(signed_cols)
    percent_cols, pct_points = list(percent_cols), list(pct_points)
    fmt: dict = {}
    for c in df.columns:
        if c in money_cols:
            fmt[c] = lambda v, c=c: money(v, currency, cents=cents)
        elif c in signed_cols:
            fmt[c] = lambda v: money(v, currency, cents=cents, signed=True)
        elif c in percent_cols:
            fmt[c] = lambda v: percent(v, signed=False)
        elif c in pct_points:
            fmt[c] = lambda v: "" if _missing(v) else f"{float(v):+.1f}%"
        elif pd.api.types.is_datetime64_any_dtype(df[c]):  # months of a projection: YYYY-MM
            fmt[c] = lambda v: "" if _missing(v) or v is pd.NaT else pd.Timestamp(v).strftime("%Y-%m")
        elif pd.api.types.is_bool_dtype(df[c]):
            fmt[c] = lambda v: "yes" if v else ""
        elif pd.api.types.is_float_dtype(df[c]):
            fmt[c] = lambda v: "" if _missing(v) else f"{v:,.2f}"
    sty = df.style.format(fmt, na_rep="").hide(axis="index")
    right = [c for c in df.columns if c in fmt and not pd.api.types.is_bool_dtype(df[c])]
    left = [c for c in df.columns if c not in right]
    if right:
        sty = sty.set_properties(subset=right, **{"text-align": "right", "white-space": "nowrap"})
    if left:
        sty = sty.set_properties(subset=left, **{"text-align": "left"})
    sty = sty.set_table_styles([{"selector": "th", "props": "text-align: left; white-space: normal;"},
                                {"selector": "td", "props": "overflow-wrap: anywhere;"}], overwrite=False)
    if rename:
        sty = sty.relabel_index([rename.get(c, c) for c in df.columns], axis="columns")
    if caption:
        sty = sty.set_caption(caption)
    return sty
