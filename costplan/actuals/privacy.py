"""Account ids are personal enough to keep off screens: shown masked unless asked for.

An AWS account id (12 digits) is shown as its last four characters behind asterisks
(``********9012``), which still tells the accounts of one organisation apart. Columns that hold
account ids are :data:`ACCOUNT_COLUMNS`; :func:`mask_frame` masks them in a result frame, and the
CLI shows the full ids only with ``--show-account-ids``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ACCOUNT_COLUMNS = ("BillingAccountId", "SubAccountId")


def mask_account(value) -> str | None:
    """``123456789012`` -> ``********9012``; None stays None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    s = str(value)
    if s in ("", "(none)"):
        return s
    keep = 4 if len(s) > 4 else 0
    return "*" * (len(s) - keep) + s[len(s) - keep :]


def mask_frame(df: pd.DataFrame, show: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with its account-id columns masked (unless ``show``)."""
    present = [c for c in ACCOUNT_COLUMNS if c in df.columns]
    if show or not present:
        return df
    df = df.copy()
    for c in present:
        df[c] = df[c].map(mask_account)
    return df


def mask_rows(rows, show: bool = False):
    """:func:`mask_frame` of :class:`costplan.frames.Rows`."""
    for c in ACCOUNT_COLUMNS:
        if not show and c in rows.columns:
            rows = rows.map_column(c, mask_account)
    return rows
