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
