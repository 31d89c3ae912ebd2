"""``costplan import``: bring data in from files.

``import_app`` is the typer group; each source is one subcommand (``focus``, ``cur`` here).
Another module adds its own with ``@import_app.command("name")`` and needs nothing else: the
group is registered once, by :func:`register`.
"""

from __future__ import annotations

import typer

from costplan.cli.common import (
    FORMAT_OPTION,
    Format,
    cli_errors,
    emit_frame,
    emit_json,
    help_text,
    info,
    warn,
)

import_app = typer.Typer(
    help="Import data from files: billing exports (focus, cur) and active users (users) into the spend store; stacks from infrastructure code (terraform, pulumi).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


STORE_OPTION = typer.Option(
    None, "--store", help="DuckDB store file (default: COSTPLAN_STORE, else data/costplan.duckdb)."
)

FOCUS_HELP = """Import FOCUS 1.0 to 1.3 billing files (CSV, CSV.gz or Parquet) into the store.

PATH may be files, folders (searched recursively), export manifests (*Manifest.json) or
patterns the shell did not expand; a path that exists is always read as it is. A folder holding
an AWS Data Exports manifest is read through it: only the parts the manifest lists. An import
takes the parts of a billing period together and replaces that period as a whole; importing
only some of the parts of a period the store holds is refused (--append adds files as further
parts, --replace makes them the period's whole content). Files are streamed, checked (required
columns, dates, finite amounts, JSON tags; every problem reported with its file, row and column)
and loaded in one transaction: on any error the store is left unchanged. The totals per billing
period, provider and currency are checked against the files to the cent.

Examples:

  costplan import focus s3-sync/focus-export/ --store spend.duckdb

  costplan import focus exports/part-1.csv.gz exports/part-2.csv.gz --store spend.duckdb

  costplan import focus 'exports/**/*.csv.gz' --store spend.duckdb --format json
"""

CUR_HELP = """Import AWS CUR 2.0 (Parquet) or legacy CUR (CSV, CSV.gz) exports, mapped to FOCUS columns.

Savings Plan negation rows are dropped, covered usage is billed at 0 with its amortised
cost as EffectiveCost, fees become Purchase rows (docs/actuals.md has the full table). A
folder with a manifest (Data Exports' Manifest.json, or a legacy CUR's <report>-Manifest.json)
is read through it: only the current parts, never an older delivery beside them. Periods are
replaced as a whole, as for FOCUS. Checked and loaded in one transaction, totals compared
with the files to the cent.

Examples:

  costplan import cur s3-sync/cur2/ --store spend.duckdb

  costplan import cur s3-sync/legacy-cur/my-report/20261001-20261101/ --store spend.duckdb
"""

APPEND_OPTION = typer.Option(
    False, "--append", help="Add the files to the billing periods they hold, as further parts (never the same file twice)."
)
REPLACE_OPTION = typer.Option(
    False, "--replace", help="Make the files the whole content of the billing periods they hold, whatever the store held."
)


@import_app.command("focus", help=help_text(FOCUS_HELP))
@cli_errors
def import_focus(
    paths: list[str] = typer.Argument(..., help="FOCUS files, folders, manifests or patterns."),
    append: bool = APPEND_OPTION,
    replace: bool = REPLACE_OPTION,
    store_path: str | None = STORE_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    _run("focus", paths, store_path, fmt, _mode(append, replace))


@import_app.command("cur", help=help_text(CUR_HELP))
@cli_errors
def import_cur(
    paths: list[str] = typer.Argument(..., help="CUR 2.0 or legacy CUR files, folders, manifests or patterns."),
    append: bool = APPEND_OPTION,
    replace: bool = REPLACE_OPTION,
    store_path: str | None = STORE_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    _run("cur", paths, store_path, fmt, _mode(append, replace))


def _mode(append: bool, replace: bool) -> str | None:
    from costplan.errors import InputError, Problem

    if append and replace:
        raise InputError(Problem("--append and --replace exclude each other", location="--append"))
    return "append" if append else "complete" if replace else None


USERS_HELP = """Import active users per month into the store: the denominator of cost per user.

FILE is a CSV with the columns month (YYYY-MM) and active_users; other columns are ignored.
Every bad line is reported at once and nothing is written; months already held are replaced.
The monthly report then shows actual cost per user (EffectiveCost / active users) by month.

Examples:

  costplan import users analytics/active-users.csv --store spend.duckdb

  printf 'month,active_users\\n2026-10,10400\\n' > users.csv && costplan import users users.csv
"""


@import_app.command("users", help=help_text(USERS_HELP))
@cli_errors
def import_users(
    file: str = typer.Argument(..., help="CSV with month (YYYY-MM) and active_users."),
    store_path: str | None = STORE_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    from costplan import config
    from costplan.actuals.store import Store
    from costplan.actuals.users import read_users_csv

    frame = read_users_csv(file)
    with Store.writing(config.load_settings(store=store_path).store) as store:
        store.load_users(frame, "users-csv", description=f"active users from {file}")
        path = store.path
    if fmt is Format.json:
        emit_json({"file": file, "store": str(path), "months": frame.to_dict(orient="records")})
        return
    shown = frame
    if (frame["active_users"] % 1 == 0).all():
        shown = frame.assign(active_users=frame["active_users"].astype("int64"))
    emit_frame(shown, fmt, title=f"Active users imported from {file}")
    info(f"Stored {len(frame)} month(s) of active users in {path}.")


def _run(kind: str, paths: list[str], store_path: str | None, fmt: Format, mode: str | None = None) -> None:
    from costplan import config
    from costplan.actuals.files import import_files
    from costplan.actuals.store import Store

    cfg = config.load_settings(store=store_path)
    with Store.writing(cfg.store, settings=cfg) as store:
        with _spinner(f"importing {len(paths)} path(s)") if fmt is Format.table else _null():
            report = import_files(store, kind, paths, mode=mode)
        path = store.path
    from costplan.cli.common import rows_records

    dups = report.duplicates_rows
    if fmt is Format.json:
        emit_json(
            {
                "files": report.files,
                "manifests": report.manifests,
                "ignored": report.ignored,
                "mode": report.mode,
                "load_id": report.load_id,
                "rows_loaded": report.rows_loaded,
                "rows_replaced": report.rows_replaced,
                "store": str(path),
                "totals": rows_records(report.totals_rows),
                "duplicates": rows_records(dups) if dups is not None else [],
            }
        )
    else:
        emit_frame(
            report.totals_rows,
            fmt,
            title=f"{kind.upper()} import: totals per billing period, source vs store",
            money=("source_BilledCost", "stored_BilledCost", "difference"),
            caption="every period matches the source to the cent",
        )
        info(
            f"Imported {report.rows_loaded} rows from {len(report.files)} file(s) into {path}"
            + (f" ({len(report.manifests)} manifest(s))" if report.manifests else "")
            + (f"; replaced {report.rows_replaced} rows of an earlier import" if report.rows_replaced else "")
            + "."
        )
    if report.ignored:
        warn(
            f"{len(report.ignored)} data file(s) beside the manifests are listed by none of them (older deliveries) "
            "and were not read, e.g. " + report.ignored[0]
        )
    if dups is not None:
        for r in dups.records():
            warn(
                f"{r['file']}: {r['repeated_rows']} of its {r['rows']} rows repeat another row of the file exactly; kept "
                "(FOCUS rows have no unique key and each row's cost counts towards the invoice)"
            )
    if report.dropped_synthetic:
        warn(
            "the synthetic sample rows were removed from this store (real data and the sample are never mixed)"
        )


def _spinner(text: str):
    """rich's status spinner on stderr where rich shows one (a terminal); elsewhere it would write
    nothing, and neither rich nor its spinner is loaded."""
    from costplan.cli.common import _plain_stderr

    if _plain_stderr(""):
        return _null()
    from rich.console import Console

    return Console(stderr=True).status(text, spinner="dots")


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
