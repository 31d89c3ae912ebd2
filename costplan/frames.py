"""Small helpers for pandas frames shared by the library and the CLI."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def json_records(df: pd.DataFrame) -> list[dict]:
    """``df`` as JSON-ready records: NaN as null, timestamps as ISO 8601 strings, floats to
    10 significant decimals (enough for cents on any bill)."""
    import json

    return json.loads(df.to_json(orient="records", date_format="iso", double_precision=10))


class Rows:
    """A small table of Python values: column names and row tuples, as a DuckDB query returns
    them (``fetchall``). What a command that only prints a table needs, without importing
    pandas (a third of such a command's start-up); :meth:`to_frame` gives the DataFrame the
    library's API returns.

    >>> r = Rows(["month", "cost"], [("2026-10", 1.5), ("2026-11", 2.0)])
    >>> len(r), r.column("cost"), r.sum("cost")
    (2, [1.5, 2.0], 3.5)
    """

    def __init__(self, columns, rows, kinds: dict[str, str] | None = None):
        self.columns = list(columns)
        self.rows = [tuple(r) for r in rows]
        self.kinds = dict(kinds or {})
        """Declared kinds of columns (``float``, ``int``, ``bool``, ``str``): what a frame of these
        rows holds when the values do not say (a column of missing amounts is still numeric)."""

    @classmethod
    def from_columns(cls, data: dict[str, list], kinds: dict[str, str] | None = None) -> Rows:
        """From columns of equal length, in the dict's order."""
        cols = list(data)
        return cls(cols, zip(*(data[c] for c in cols), strict=True) if cols else [], kinds)

    def numeric(self, name: str) -> bool:
        """True for a column of numbers (not yes/no), as a frame's dtype would say: declared
        ``float`` or ``int``, or every value held an int or a float."""
        kind = self.kinds.get(name)
        if kind is not None:
            return kind in ("float", "int")
        i = self.columns.index(name)
        kinds = {type(r[i]) for r in self.rows if not (r[i] is None or r[i] != r[i])}
        return bool(kinds) and kinds <= {int, float}

    def head(self, n: int | None) -> Rows:
        return self if not n else Rows(self.columns, self.rows[:n], self.kinds)

    def select(self, columns) -> Rows:
        idx = [self.columns.index(c) for c in columns]
        return Rows([self.columns[i] for i in idx], [tuple(r[i] for i in idx) for r in self.rows],
                    {c: k for c, k in self.kinds.items() if c in columns})

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    @classmethod
    def from_result(cls, result) -> Rows:
        """From an executed DuckDB statement (its ``description`` and ``fetchall()``)."""
        cols = [d[0] for d in result.description]
        return cls(cols, result.fetchall())

    @classmethod
    def from_frame(cls, df) -> Rows:
        import math

        def value(v):
            if hasattr(v, "item"):  # numpy scalars
                v = v.item()
            return None if isinstance(v, float) and math.isnan(v) else v

        return cls([str(c) for c in df.columns], [tuple(value(v) for v in row) for row in df.itertuples(index=False)])

    def to_frame(self):
        import pandas as pd

        df = pd.DataFrame(self.rows, columns=self.columns)
        for c, kind in self.kinds.items():
            if c in df and kind == "float":
                df[c] = df[c].astype(float)
            elif c in df and kind == "bool":
                df[c] = df[c].astype(bool)
        return df

    def plain(self) -> bool:
        """True when every column holds one kind of value, text, yes/no, floats or whole numbers
        (None for a missing one, except among whole numbers): written as CSV or JSON as its frame
        (:meth:`to_frame`) is, without pandas. Whole numbers with a gap become floats in a frame,
        dates and times its own timestamps: those go through the frame.

        >>> Rows(["a", "n"], [("x", 1.5), (None, None)]).plain(), Rows(["n"], [(1,), (None,)]).plain()
        (True, False)
        """
        for i in range(len(self.columns)):
            values = [r[i] for r in self.rows]
            kinds = {type(v) for v in values if v is not None}
            if len(kinds) > 1 or not kinds <= {str, bool, int, float} or (kinds == {int} and None in values):
                return False
        return True

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        return not self.rows

    def __contains__(self, column) -> bool:
        return column in self.columns

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def sum(self, name: str) -> float:
        return sum(v for v in self.column(name) if v is not None)

    def drop(self, columns) -> Rows:
        keep = [i for i, c in enumerate(self.columns) if c not in set(columns)]
        return Rows([self.columns[i] for i in keep], [tuple(r[i] for i in keep) for r in self.rows], self.kinds)

    def rename(self, mapping: dict) -> Rows:
        return Rows([mapping.get(c, c) for c in self.columns], self.rows,
                    {mapping.get(c, c): k for c, k in self.kinds.items()})

    def map_column(self, name: str, fn) -> Rows:
        """The same rows with ``fn`` applied to every value of column ``name``."""
        i = self.columns.index(name)
        return Rows(self.columns, [r[:i] + (fn(r[i]),) + r[i + 1:] for r in self.rows], self.kinds)

    def round(self, name: str, digits: int) -> Rows:
        return self.map_column(name, lambda v: round(v, digits) if isinstance(v, float) else v)


# --- pandas' arithmetic on plain values (the report's tables are built on rows) -----------------
def missing(v) -> bool:
    """``None`` or NaN: what pandas calls missing in a float column."""
    return v is None or (isinstance(v, float) and v != v)


def nan_if_missing(v) -> float:
    """``v`` as a float column holds it: NaN when missing."""
    return float("nan") if missing(v) else float(v)


def div_like_pandas(a, b):
    """``a / b`` as a float column divides: missing when either is, inf or NaN for a zero.

    >>> div_like_pandas(1.0, 0.0), div_like_pandas(1.0, -0.0), div_like_pandas(0.0, 0.0), div_like_pandas(None, 2)
    (inf, -inf, None, None)
    """
    if missing(a) or missing(b):
        return None
    if b == 0:
        return None if a == 0 else math.copysign(float("inf"), a) * math.copysign(1.0, b)
    return a / b


def round_like_pandas(v, decimals: int):
    """``v`` rounded as a float column's ``round`` rounds it (numpy: scaled, rounded half to even,
    scaled back; a zero keeps the sign of ``v``); ``None`` and NaN stay ``None``.

    >>> round_like_pandas(2.675, 2), round_like_pandas(-0.001, 2), round_like_pandas(None, 2)
    (2.68, -0.0, None)
    """
    if missing(v):
        return None
    v = float(v)
    if v in (float("inf"), float("-inf")):
        return v
    scale = 10.0 ** decimals
    r = round(v * scale)
    return r / scale if r else math.copysign(0.0, v)


def sum_like_pandas(values) -> float:
    """The sum a float column's ``sum()`` gives (numpy's pairwise sum, missing values skipped),
    so that a total on rows is the frame's to the last bit."""
    import numpy as np

    vals = [float(v) for v in values if not missing(v)]
    return float(np.sum(np.array(vals, dtype=float))) if vals else 0.0


def group_sum_like_pandas(values) -> float:
    """A group's sum as a ``groupby(...).sum()`` takes it: compensated (Kahan) summation in the
    rows' order, missing values skipped. It can differ from pandas' own in the last bit (an ulp
    of the sum), so that a sum exactly at half a cent could round the other way; on the sample
    store every report figure is pandas' to the last digit."""
    total = comp = 0.0
    for v in values:
        if missing(v):
            continue
        y = float(v) - comp
        t = total + y
        comp = t - total - y
        if comp != comp:
            comp = 0.0
        total = t
    return total


def query_rows(source, sql: str) -> Rows:
    """One query's rows from a store (DuckDB's rows, no pandas) or another engine (its
    ``query`` frame read into rows)."""
    con = getattr(source, "con", None)
    if con is not None and hasattr(source, "spend_rows"):
        return Rows.from_result(con.execute(sql))
    return Rows.from_frame(source.query(sql))


def spend_rows(source, by, **kw) -> Rows:
    """``source.spend(by, **kw)`` as :class:`Rows`: a store's own rows (no pandas), another
    engine's frame read into rows."""
    if hasattr(source, "spend_rows"):
        return source.spend_rows(list(by), **kw)
    return Rows.from_frame(source.spend(list(by), **kw))


def coverage_rows(source) -> list[dict]:
    """``source.coverage()`` as a list of dicts (a store's without pandas)."""
    if hasattr(source, "coverage_rows"):
        return source.coverage_rows()
    return Rows.from_frame(source.coverage()).records()
