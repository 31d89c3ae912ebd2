"""``--format focus`` of ``costplan estimate`` and ``costplan project``: the plan as FOCUS rows.

The commands take :class:`PlanFormat` (their usual formats plus ``focus``) and hand a plan to
:func:`emit_estimate` / :func:`emit_projection`, which write FOCUS 1.2 CSV on stdout
(:mod:`costplan.focus` has the mapping).
"""

from __future__ import annotations

import enum
import sys

import typer


class PlanFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    focus = "focus"


PLAN_FORMAT_OPTION = typer.Option(
    PlanFormat.table,
    "--format",
    "-f",
    help="Output format: table, json, csv, markdown, or focus (the plan as FOCUS 1.2 rows, CSV, marked x_CostplanPlan).",
)


def emit_estimate(result) -> None:
    from costplan.focus import estimate_rows, write_csv

    write_csv(estimate_rows(result), sys.stdout)


def emit_projection(proj, stack, catalog) -> None:
    from costplan.estimator import estimate
    from costplan.focus import projection_rows, write_csv

    write_csv(projection_rows(proj, estimate(stack, catalog).lines), sys.stdout)


def refuse_scenarios() -> None:
    from costplan.errors import InputError, Problem

    raise InputError(
        Problem("--format focus writes one plan", location="--scenario", hint="leave out --scenario, or use --format csv")
    )
