"""Fixtures shared by the store tests: each runs against both table layouts."""

import pytest

from costplan.actuals.store import Store


@pytest.fixture(params=["main-table", "own-table"], autouse=True)
def layout(request, monkeypatch):
    """Every test with small loads appended to rows_main, and with each load in its own table."""
    from costplan.actuals import schema

    if request.param == "own-table":
        monkeypatch.setattr(schema, "OWN_TABLE_ROWS", 1)
    return request.param


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s
