"""The settings are resolved once (costplan.config.load_settings): CLI option > COSTPLAN_* >
the nearest [tool.costplan] > built-in default; relative paths in a pyproject.toml are relative
to its folder; a broken pyproject.toml is an error naming the file and the line (counted with
its blank lines and comments), never ignored. docs/configuration.md lists every setting."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from costplan import config
from costplan.cli.app import app
from costplan.errors import InputError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def proj(tmp_path, monkeypatch):
    """A project folder with a pyproject.toml (written by the test) and a work folder two
    levels below it, the working directory; no COSTPLAN_* variable set."""
    for var in [v for v in os.environ if v.startswith("COSTPLAN_")]:
        monkeypatch.delenv(var)
    root = tmp_path / "proj"
    work = root / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return root


def _write(root: Path, text: str) -> Path:
    f = root / "pyproject.toml"
    f.write_text(text)
    return f


def _error(**cli) -> str:
    with pytest.raises(InputError) as e:
        config.load_settings(**cli)
    return str(e.value)


# --- precedence -------------------------------------------------------------------------------
def test_default_when_nothing_is_set(proj):
    s = config.load_settings()
    assert s.memory_limit == "600MB" and s.engine == "duckdb" and s.strict_prices is False
    assert s.reports_dir == Path("reports") and s.catalog is None and s.currency is None
    assert s.store == config.default_store()


def test_each_level_wins_over_the_next(proj, monkeypatch):
    _write(proj, '[tool.costplan]\nmemory_limit = "1GB"\nengine = "spark"\ncurrency = "eur"\n')
    assert config.load_settings().memory_limit == "1GB"  # pyproject > default
    monkeypatch.setenv("COSTPLAN_MEMORY_LIMIT", "2GB")
    assert config.load_settings().memory_limit == "2GB"  # env > pyproject
    assert config.load_settings(memory_limit="3GB").memory_limit == "3GB"  # CLI > env
    s = config.load_settings(memory_limit=None)  # an option not given is no value
    assert (s.memory_limit, s.engine, s.currency) == ("2GB", "spark", "EUR")
    monkeypatch.setenv("COSTPLAN_ENGINE", "")  # an empty variable is not set
    assert config.load_settings().engine == "spark"
    assert config.load_settings(engine="Athena").engine == "athena"


def test_flag_precedence_and_false_on_the_command_line(proj, monkeypatch):
    _write(proj, "[tool.costplan]\nstrict_prices = true\n")
    assert config.load_settings().strict_prices is True
    monkeypatch.setenv("COSTPLAN_STRICT_PRICES", "no")
    assert config.load_settings().strict_prices is False
    monkeypatch.setenv("COSTPLAN_STRICT_PRICES", "yes")
    assert config.load_settings(strict_prices=False).strict_prices is False  # --no-strict-prices


# --- relative paths ---------------------------------------------------------------------------
def test_relative_paths_resolve_from_the_pyproject_folder(proj, monkeypatch):
    (proj / "specs").mkdir()
    (proj / "specs" / "stack.yaml").write_text("name: x\n")
    _write(proj, '[tool.costplan]\nstack = "specs/stack.yaml"\nstore = "data/spend.duckdb"\n'
                 'reports_dir = "../out"\n')
    s = config.load_settings()
    assert s.stack == proj / "specs" / "stack.yaml"
    assert s.store == proj / "data" / "spend.duckdb"
    assert s.reports_dir == proj / ".." / "out"
    # a relative path in a variable is the working directory's, as any path on a command line
    monkeypatch.setenv("COSTPLAN_STORE", "here.duckdb")
    assert config.load_settings().store == Path("here.duckdb")


def test_the_nearest_pyproject_is_used(proj):
    _write(proj, '[tool.costplan]\nmemory_limit = "1GB"\n')
    inner = proj / "a"
    _write(inner, '[project]\nname = "x"\n')  # nearer, without a [tool.costplan] table
    assert config.load_settings().memory_limit == "600MB"
    _write(inner, '[tool.costplan]\nmemory_limit = "5GB"\n')
    assert config.load_settings().memory_limit == "5GB"  # an edited file is read again


# --- broken files: file and line -------------------------------------------------------------
HEADER = '# project settings\n\n[project]\nname = "x"\n\n# costplan\n[tool.costplan]\n\n# the store\n'
# lines 1-9 above; the next line written is line 10


def test_toml_syntax_error_names_the_file_and_line(proj):
    f = _write(proj, HEADER + 'store = "spend.duckdb"\n\nstack = "oops\n')
    msg = _error()
    assert f"{f}:12" in msg and "not valid TOML" in msg


def test_unknown_key_names_its_line_and_the_nearest_setting(proj):
    f = _write(proj, HEADER + 'store = "spend.duckdb"\n# stroe = "no"\n\nstroe = "x.duckdb"\n'
                              '[tool.other]\nstroe = 1\n')
    msg = _error()
    assert f"{f}:13: [tool.costplan] stroe: unknown setting (did you mean 'store'?)" in msg


def test_unknown_key_without_a_near_name_lists_the_settings(proj):
    _write(proj, HEADER + 'colour = "blue"\n')
    msg = _error()
    assert ":10: [tool.costplan] colour: unknown setting" in msg and "memory_limit" in msg


@pytest.mark.parametrize("line, expected", [
    ("store = 5", "[tool.costplan] store: expected a string, got 5 (write store = \"...\")"),
    ("strict_prices = \"yes\"", "[tool.costplan] strict_prices: expected true or false, got 'yes'"),
    ("memory_limit = \"lots\"", "[tool.costplan] memory_limit = 'lots': is not an amount of memory"),
    ("engine = \"bigquery\"", "[tool.costplan] engine = 'bigquery': unknown engine 'bigquery' (duckdb, athena or spark)"),
    ("price_list_url = \"ftp://x\"", "is not an http:// or https:// URL"),
    ("stack = \"nope.yaml\"", "nope.yaml): file not found"),
], ids=["int-for-a-path", "string-for-a-flag", "memory", "engine", "url", "missing-stack"])
def test_wrong_type_or_value_names_the_line(proj, line, expected):
    f = _write(proj, HEADER + f"{line}\n")
    msg = _error()
    assert f"{f}:10: " in msg and expected in msg


def test_every_problem_of_the_table_at_once(proj):
    f = _write(proj, '[tool.costplan]\nstroe = "a"\n\nmemory_limit = 600\n')
    msg = _error()
    assert msg.startswith("2 problems:")
    assert f"{f}:2: [tool.costplan] stroe" in msg and f"{f}:4: [tool.costplan] memory_limit" in msg


def test_tool_costplan_not_a_table(proj):
    f = _write(proj, '[tool]\n\ncostplan = "yes"\n')
    assert f"{f}:3: tool.costplan must be a table" in _error()


def test_a_missing_file_named_by_a_variable_or_a_pyproject_is_refused(proj, monkeypatch):
    f = _write(proj, '[tool.costplan]\n\ncatalog = "prices"\n')
    msg = _error()
    assert f"{f}:3: [tool.costplan] catalog = 'prices' ({proj / 'prices'}): not found" in msg
    monkeypatch.setenv("COSTPLAN_CATALOG", str(proj))  # a folder exists: it wins over the file
    assert config.load_settings().catalog == proj
    monkeypatch.setenv("COSTPLAN_STACK", str(proj / "nope.yaml"))
    assert f"environment variable COSTPLAN_STACK={proj / 'nope.yaml'}: file not found" in _error()
    # the command that opens a file given on its command line says what is wrong with it
    assert config.load_settings(stack="also-missing.yaml").stack == Path("also-missing.yaml")


def test_a_bad_variable_names_the_variable(proj, monkeypatch):
    monkeypatch.setenv("COSTPLAN_STRICT_PRICES", "maybe")
    assert "environment variable COSTPLAN_STRICT_PRICES=maybe: is not a yes/no value" in _error()
    monkeypatch.delenv("COSTPLAN_STRICT_PRICES")
    assert "--engine: unknown engine 'excel'" in _error(engine="excel")


def test_of_two_spellings_of_a_variable_the_one_read_is_named(proj, monkeypatch):
    """pydantic-settings reads COSTPLAN_* case-insensitively and the later of two spellings
    wins; the message names that one, not the first found."""
    monkeypatch.setenv("COSTPLAN_STRICT_PRICES", "maybe")
    monkeypatch.setenv("costplan_strict_prices", "perhaps")  # set after: the one pydantic-settings reads
    msg = _error()
    assert "environment variable costplan_strict_prices=perhaps: is not a yes/no value" in msg
    assert "maybe" not in msg
    monkeypatch.setenv("costplan_strict_prices", "yes")  # the later spelling valid: it is what is read
    assert config.load_settings().strict_prices is True


def test_line_of_key_counts_blank_lines_comments_and_crlf():
    text = "# a\r\n\r\n[tool.ruff]\r\nstore = 1\r\n[tool.costplan]\r\n\r\n  # store = 2\r\n'store' = 3\r\n"
    assert config.line_of_key(text, "store") == 8
    assert config.line_of_key(text, "stack") is None
    assert config.line_of_key("[tool.costplan]\nstore = 1\n", "store") == 2


# --- used by the commands and by the library --------------------------------------------------
SMALL = """name: s
regions:
  us-east-1:
    node_pools:
      app: {instance_types: [c5.xlarge], count: 2}
"""


def test_a_command_uses_the_pyproject_stack(proj):
    (proj / "specs").mkdir()
    (proj / "specs" / "small.yaml").write_text(SMALL)
    _write(proj, '[tool.costplan]\nstack = "specs/small.yaml"\n')
    r = CliRunner().invoke(app, ["estimate", "--format", "json"])
    assert r.exit_code == 0, r.output
    import json

    out = json.loads(r.stdout)
    # 2 x c5.xlarge on demand in us-east-1: 2 x 730 h x $0.17/h (the list price)
    assert out["total_monthly_cost"] == pytest.approx(2 * 730 * 0.17)


@pytest.mark.parametrize("args", [["estimate"], ["project", "--months", "1"], ["prices", "info"], ["actuals"],
                                  ["import", "users", "u.csv"], ["report", "--no-images"]])
def test_every_command_refuses_a_broken_pyproject(proj, args):
    f = _write(proj, HEADER + 'stroe = "x.duckdb"\n')
    Path("u.csv").write_text("month,active_users\n2026-10,100\n")
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert f"{f}:10" in r.output and "did you mean 'store'" in r.output
    assert "Traceback" not in r.output


def test_library_store_default_uses_the_pyproject(proj):
    from costplan.actuals.store import Store
    from costplan.actuals.users import read_users_csv

    _write(proj, '[tool.costplan]\nstore = "spend/costs.duckdb"\nmemory_limit = "256MB"\n')
    (proj / "u.csv").write_text("month,active_users\n2026-10,100\n")
    with Store.writing(config.load_settings().store) as s:
        s.load_users(read_users_csv(str(proj / "u.csv")), "users-csv")
    assert (proj / "spend" / "costs.duckdb").is_file()
    with Store.open_default(read_only=True) as s:
        assert s.path == proj / "spend" / "costs.duckdb"
        # 256 MB = 256e6 bytes = 244.1 MiB, as DuckDB reports it
        assert s.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "244.1 MiB"


def test_the_documentation_lists_every_setting():
    text = (REPO / "docs" / "configuration.md").read_text()
    rows = {m.group(1) for m in re.finditer(r"^\| `(\w+)` \| `COSTPLAN_(\w+)`", text, re.M)}
    assert rows == set(config.Settings.model_fields)
    for name in config.Settings.model_fields:
        assert f"`COSTPLAN_{name.upper()}`" in text


def _commands(cmd, path=()):
    if hasattr(cmd, "commands"):  # a group
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, cmd


def _minimal_args(cmd) -> list[str]:
    """Arguments that get past the parsing: a value for each required argument and option."""
    args = []
    for p in cmd.params:
        if not p.required:
            continue
        if getattr(p, "param_type_name", "") == "option":
            args.append(p.opts[0])
        args.append("2026-10" if "month" in p.name or "from" in p.name else "x")
    return args


def test_every_command_of_the_app_stops_at_a_broken_pyproject(proj):
    """Not only the commands that read a setting: every leaf command of the CLI."""
    import typer

    f = _write(proj, HEADER + 'stroe = "x.duckdb"\n')
    Path("x").write_text("")
    seen = []
    for path, cmd in _commands(typer.main.get_command(app)):
        r = CliRunner().invoke(app, [*path, *_minimal_args(cmd)])
        assert r.exit_code == 2 and f"{f}:10" in r.output, (path, r.output)
        seen.append(" ".join(path))
    assert {"estimate", "store", "import terraform", "prices refresh", "diff"} <= set(seen), seen
