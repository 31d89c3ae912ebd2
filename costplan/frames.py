"""Small helpers for pandas frames shared by the library and the CLI."""

from __future__ import annotations

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

    def __init__(self, columns, rows):
        self.columns = list(columns)
        self.rows = [tuple(r) for r in rows]

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

        return pd.DataFrame(self.rows, columns=self.columns)

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
        return Rows([self.columns[i] for i in keep], [tuple(r[i] for i in keep) for r in self.rows])

    def rename(self, mapping: dict) -> Rows:
        return Rows([mapping.get(c, c) for c in self.columns], self.rows)

    def map_column(self, name: str, fn) -> Rows:
        """The same rows with ``fn`` applied to every value of column ``name``."""
        i = self.columns.index(name)
        return Rows(self.columns, [r[:i] + (fn(r[i]),) + r[i + 1:] for r in self.rows])

    def round(self, name: str, digits: int) -> Rows:
        return self.map_column(name, lambda v: round(v, digits) if isinstance(v, float) else v)
