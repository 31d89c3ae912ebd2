"""The report's tables are built on rows with pandas' arithmetic (``costplan.frames``): a
rounding, a column's sum and a group's sum give the very floats a DataFrame gives, so that
breakdown.csv and summary.json print the same digits as when they were written from frames."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from costplan.frames import Rows, group_sum_like_pandas, round_like_pandas, sum_like_pandas


def _values(seed: int, n: int) -> list[float]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 3 == 0:  # amounts a cent or half a cent away from a rounding edge
            out.append(round(rng.uniform(-500, 500), 2) + rng.choice([0.005, -0.005, 0.0005, 0.0]))
        else:
            out.append(rng.uniform(-1e5, 1e5))
    return out


@pytest.mark.parametrize("digits", [0, 1, 2, 4, 6])
def test_rounding_is_a_float_columns_round(digits):
    values = _values(digits, 3000) + [2.675, 0.125, -0.001, -0.0, 0.0, 1e16]
    want = pd.Series(values, dtype=float).round(digits).tolist()
    got = [round_like_pandas(v, digits) for v in values]
    assert [repr(v) for v in got] == [repr(v) for v in want]  # -0.0 included


def test_rounding_keeps_a_missing_value_missing():
    assert round_like_pandas(None, 2) is None and round_like_pandas(float("nan"), 2) is None


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 16, 130, 1000])
def test_sum_is_a_columns_sum(n):
    values = _values(n, n)
    assert sum_like_pandas(values) == float(pd.Series(values, dtype=float).sum())
    holed = values + [None, float("nan")]
    assert sum_like_pandas(holed) == float(pd.Series(holed, dtype=float).sum())


def test_group_sum_is_compensated_and_close_to_a_groupby():
    """A groupby's sum is compensated: the rows' sum adds the same amounts to within an ulp of
    the exact sum; on amounts in cents (the report's inputs) it is the exact sum of the cents."""
    import math

    values = [round(v, 2) for v in _values(3, 500)]
    got = group_sum_like_pandas(values)
    frame = pd.DataFrame({"k": 0, "v": values}).groupby("k")["v"].sum().iloc[0]
    assert abs(got - math.fsum(values)) <= 2 * math.ulp(math.fsum(values))
    assert round(got, 2) == round(float(frame), 2) == round(math.fsum(values), 2)
    assert group_sum_like_pandas([None, 1.5, float("nan"), 2.25]) == 3.75


def test_rows_frame_keeps_the_declared_kinds():
    """A column of missing amounts is still numeric, in the rows and in their frame."""
    r = Rows(["name", "cost", "n"], [("a", None, 1), ("b", None, 2)], {"cost": "float"})
    assert r.numeric("cost") and r.numeric("n") and not r.numeric("name")
    df = r.to_frame()
    assert df["cost"].dtype == float and df["cost"].isna().all() and df["n"].tolist() == [1, 2]
