"""Every table command fits a 120-column terminal: no line longer, no number split across
lines, long names shortened with an ellipsis; --wide shows every column."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.config import DEFAULT_STACK

runner = CliRunner()
CLAIMED = str(DEFAULT_STACK.parent / "claimed-costs.yaml")

COMMANDS = [
    ["estimate"],
    ["estimate", "--by", "RegionId"],
    ["estimate", "--by", "component"],
    ["estimate", "--compare", CLAIMED],
    ["actuals"],
    ["actuals", "--by", "service", "--month", "2026-10"],
    ["actuals", "--by", "month,ServiceName", "--from", "2026-09", "--to", "2026-10"],
    ["actuals", "--by", "component", "--month", "2026-10"],
    ["reconcile", "--month", "2026-10"],
    ["commitments", "--simulations", "20"],
    ["prices", "info"],
    ["prices", "show", "c5.large"],
    ["project", "--simulations", "20", "--months", "12"],
    ["store"],
    ["diff", str(DEFAULT_STACK), f"{DEFAULT_STACK}#app-on-spot"],
]
# a number cut by a line break leaves a cell ending in its separator ("18,464.") or one
# starting with it (".01"); a cell is the text between two vertical rules
SPLIT = re.compile(r"(\d[.,]$)|(^[.,]\d)")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:3]).replace(str(DEFAULT_STACK.parent), ""))
def test_fits_120_columns(args):
    res = runner.invoke(app, args, env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert any(ln.startswith(("┏", "┌")) for ln in lines), "no table rendered"
    too_long = [ln for ln in lines if len(ln) > 120]
    assert not too_long, f"{len(too_long)} lines over 120 columns, e.g. {too_long[0]!r}"
    for ln in lines:
        for cell in _cells(ln):
            assert not SPLIT.search(cell), f"number split across lines: {cell!r} in {ln!r}"


def test_rows_are_one_line_each():
    """The reconciliation's rows stay one line each (it took 90 lines for 19 rows when cells wrapped)."""
    csv = runner.invoke(app, ["reconcile", "--month", "2026-10", "--format", "csv"], env={"COLUMNS": "120"})
    rows = len(csv.stdout.strip().splitlines()) - 1  # minus the header
    res = runner.invoke(app, ["reconcile", "--month", "2026-10"], env={"COLUMNS": "120"})
    body = [ln for ln in res.stdout.splitlines() if ln.startswith("│")]
    assert rows > 10 and len(body) == rows


def test_long_paths_keep_both_ends_and_wide_shows_everything():
    res = runner.invoke(app, ["estimate"], env={"COLUMNS": "80"})
    assert res.exit_code == 0
    assert all(len(ln) <= 80 for ln in res.stdout.splitlines())
    assert "…" in res.stdout
    assert "not shown:" in res.stdout  # the columns left out are named under the table
    wide = runner.invoke(app, ["estimate", "--wide"], env={"COLUMNS": "80"})
    assert wide.exit_code == 0
    assert "not shown:" not in wide.stdout
    # the column headings of every line of the estimate are there
    head = next(ln for ln in wide.stdout.splitlines() if ln.startswith("┃"))
    assert {"component", "description", "quantity", "unit", "unit_price", "monthly_cost", "verified"} <= set(_cells(head))
    # the next run without --wide fits again (the flag does not leak between runs)
    again = runner.invoke(app, ["estimate"], env={"COLUMNS": "80"})
    assert all(len(ln) <= 80 for ln in again.stdout.splitlines())


def test_by_aliases_and_column_names():
    a = runner.invoke(app, ["actuals", "--by", "service", "--month", "2026-10", "--format", "csv"])
    b = runner.invoke(app, ["actuals", "--by", "ServiceName", "--month", "2026-10", "--format", "csv"])
    assert a.exit_code == 0 and a.stdout == b.stdout
    t = runner.invoke(app, ["actuals", "--by", "team", "--month", "2026-10", "--format", "csv"])
    assert t.exit_code == 0 and t.stdout.splitlines()[0].startswith("tag:team,")
    k = runner.invoke(app, ["actuals", "--by", "component", "--month", "2026-10", "--format", "csv"])
    assert k.stdout.splitlines()[0] == "component_kind,EffectiveCost,Estimated"
    # estimate by region: the totals include the Savings Plan's offset, so they are net costs
    e = runner.invoke(app, ["estimate", "--by", "region", "--format", "csv"])
    assert e.exit_code == 0 and e.stdout.splitlines()[0] == "RegionId,net_monthly_cost,share_of_net"


def test_csv_money_has_no_float_noise():
    res = runner.invoke(app, ["actuals", "--by", "month,ServiceName", "--format", "csv"])
    assert res.exit_code == 0
    for line in res.stdout.splitlines()[1:]:
        money = line.split(",")[2]
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", money), line


def test_json_has_no_float_noise():
    """Every number in the JSON has at most 10 significant digits (no 4524.011910999991)."""
    res = runner.invoke(app, ["estimate", "--format", "json"])
    assert res.exit_code == 0
    numbers = re.findall(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?", res.stdout)
    assert numbers
    for n in numbers:
        digits = re.sub(r"e.*", "", n).replace("-", "").replace(".", "").lstrip("0")
        assert len(digits) <= 10, n


def test_findings_are_findings_not_errors():
    res = runner.invoke(app, ["estimate"])
    assert res.exit_code == 0
    assert "commitment error:" not in res.stderr
    assert "finding: database: capacity reservation" in res.stderr


def test_shell_completion_is_available(tmp_path):
    """`costplan --install-completion` works, run as a user would from bash (the shell is
    detected from the parent process) with a fresh home folder."""
    import os
    import shlex
    import subprocess
    import sys

    from cli_runner import REPO

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "SHELL": "/bin/bash",
           "PYTHONPATH": str(REPO)}

    def run(option):
        # not `exec`: bash stays the parent process, as in a terminal
        cmd = f"{shlex.quote(sys.executable)} -m costplan {option}; exit $?"
        return subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True, timeout=120)

    shown = run("--show-completion")
    assert shown.returncode == 0, shown.stderr
    assert "complete -o default -F _costplan_completion costplan" in shown.stdout
    done = run("--install-completion")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".bash_completions" / "costplan.sh").is_file()


def test_money_rounding_to_zero_has_no_sign(capsys):
    """A source-vs-store difference of a tenth of a cent either way is 0.00 in every view, never
    -0.00 (the import's totals table showed it)."""
    import json

    import pandas as pd

    from costplan.cli.common import Format, emit_frame

    df = pd.DataFrame({"period": ["2026-09", "2026-10"], "difference": [-0.001, 0.004]})
    for fmt in (Format.table, Format.markdown, Format.csv):
        emit_frame(df, fmt, money=("difference",))
        out = capsys.readouterr().out
        assert "-0.00" not in out and "-0.0" not in out and out.count("0.00" if fmt is not Format.csv else "0.0") >= 2
    emit_frame(df, Format.json, money=("difference",))
    rows = json.loads(capsys.readouterr().out)
    assert [str(r["difference"]) for r in rows] == ["0.0", "0.0"]
