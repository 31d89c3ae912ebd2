"""The store's DuckDB memory limit and spill folder are settings (CLI > COSTPLAN_* >
[tool.costplan] > default) that the store really applies; a value that is no amount of memory
is refused naming where it was set."""

from __future__ import annotations

import pytest

from costplan import config
from costplan.actuals.store import Store
from costplan.errors import InputError


def _setting(store: Store, name: str) -> str:
    return store.con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def test_default_memory_limit_is_applied(tmp_path, monkeypatch):
    monkeypatch.delenv("COSTPLAN_MEMORY_LIMIT", raising=False)
    monkeypatch.chdir(tmp_path)  # no pyproject.toml above
    assert config.load_settings().memory_limit == "600MB"
    with Store(tmp_path / "s.duckdb") as store:
        # DuckDB reports it in its own units: 600 MB = 572.2 MiB
        assert _setting(store, "memory_limit") == "572.2 MiB"


def test_environment_and_temp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COSTPLAN_MEMORY_LIMIT", "2GB")
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setenv("COSTPLAN_TEMP_DIR", str(spill))
    with Store(tmp_path / "s.duckdb") as store:
        assert _setting(store, "memory_limit") == "1.8 GiB"  # 2e9 bytes
        assert _setting(store, "temp_directory") == str(spill)


def test_explicit_limit_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTPLAN_MEMORY_LIMIT", "2GB")
    with Store(tmp_path / "s.duckdb", memory_limit="256MB") as store:
        assert _setting(store, "memory_limit") == "244.1 MiB"


@pytest.mark.parametrize("bad", ["lots", "600", "1.5 parsecs", "-1GB"])
def test_bad_limit_is_refused_naming_the_variable(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("COSTPLAN_MEMORY_LIMIT", bad)
    with pytest.raises(InputError) as e:
        Store(tmp_path / "s.duckdb")
    assert "COSTPLAN_MEMORY_LIMIT" in str(e.value)
    assert not (tmp_path / "s.duckdb").exists()
