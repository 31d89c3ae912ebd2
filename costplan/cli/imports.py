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

FOCUS_HELP = """Import FOCUS 1.0, 1.1 or 1.2 billing files (CSV, CSV.gz or Parquet) into the store.

PATH may be files, folders (searched recursively) or globs. Files are streamed, checked
(required columns, dates, numbers; every problem reported at once) and loaded in one
transaction: on any error the store is left unchanged. Re-importing a period replaces it.
The totals per billing period and provider are checked against the files to the cent.

Examples:

  costplan import focus exports/focus-2026-10.parquet --store spend.duckdb

  costplan import focus 'exports/**/*.csv.gz' --store spend.duckdb --format json
"""

CUR_HELP = """Import AWS CUR 2.0 Parquet files into the store, mapped to FOCUS columns.

Savings Plan negation rows are dropped, covered usage is billed at 0 with its amortised
cost as EffectiveCost, fees become Purchase rows (docs/actuals.md has the full table).
Checked and loaded in one transaction, totals compared with the files to the cent.

Examples:

  costplan import cur s3-sync/cur2/data/BILLING_PERIOD=2026-10/ --store spend.duckdb
"""


@import_app.command("focus", help=help_text(FOCUS_HELP))
@cli_errors
def import_focus(
    paths: list[str] = typer.Argument(..., help="FOCUS files, folders or globs."),
    store_path: str | None = STORE_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    _run("focus", paths, store_path, fmt)


@import_app.command("cur", help=help_text(CUR_HELP))
@cli_errors
def import_cur(
    paths: list[str] = typer.Argument(..., help="CUR 2.0 Parquet files, folders or globs."),
    store_path: str | None = STORE_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    _run("cur", paths, store_path, fmt)


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
    with Store.writing(config.setting("store", store_path)) as store:
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


def _run(kind: str, paths: list[str], store_path: str | None, fmt: Format) -> None:
    from rich.console import Console

    from costplan import config
    from costplan.actuals.files import import_files
    from costplan.actuals.store import Store

    with Store.writing(config.setting("store", store_path)) as store:
        with (
            Console(stderr=True).status(f"importing {len(paths)} path(s)", spinner="dots")
            if fmt is Format.table
            else _null()
        ):
            report = import_files(store, kind, paths)
        path = store.path
    if fmt is Format.json:
        emit_json(
            {
                "files": report.files,
                "load_id": report.load_id,
                "rows_loaded": report.rows_loaded,
                "rows_replaced": report.rows_replaced,
                "store": str(path),
                "totals": report.totals.to_dict(orient="records"),
            }
        )
        return
    emit_frame(
        report.totals,
        fmt,
        title=f"{kind.upper()} import: totals per billing period, source vs store [USD]",
        money=("source_BilledCost", "stored_BilledCost", "difference"),
        caption="every period matches the source to the cent",
    )
    info(
        f"Imported {report.rows_loaded} rows from {len(report.files)} file(s) into {path}"
        + (f"; replaced {report.rows_replaced} rows of an earlier import" if report.rows_replaced else "")
        + "."
    )
    if report.dropped_synthetic:
        warn(
            "the synthetic sample rows were removed from this store (real data and the sample are never mixed)"
        )


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
