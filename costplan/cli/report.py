"""``costplan report`` (the monthly cost report) and ``costplan review`` (the quarterly review)."""

from __future__ import annotations

import contextlib

import typer

from costplan.cli.common import (
    ATHENA_DATABASE_OPTION,
    ATHENA_OUTPUT_OPTION,
    ATHENA_TABLE_OPTION,
    ATHENA_WORKGROUP_OPTION,
    BILL_RATES_OPTION,
    ENGINE_OPTION,
    MAX_SCAN_OPTION,
    RATES_OPTION,
    SPARK_PATH_OPTION,
    SPARK_TABLE_OPTION,
    STRICT_PRICES_OPTION,
    TABLE_FORMAT_OPTION,
    cli_errors,
    help_text,
    info,
    open_spend,
    report_scan,
    warn,
)

REPORT_HELP = """Write the monthly cost report of one month into a folder (default
reports/YYYY-MM/): report.html (self-contained, its figures drawn by the plotly.js it
carries; works offline, prints well), breakdown.csv and summary.json with the numbers behind
every figure. With --markdown, also report.md with PNG figures (figures/*.png) for a wiki or
a pull request: those are drawn by a headless Chromium (--no-images: report.md without them).

Sections: headline (total, change vs last month, vs the same month last year, vs plan),
spend by service, region, component and team, top movers with the usage and price behind
each move, plan vs actual, commitments, spot, cost per user, the 12-month projection, data
freshness (Estimated days) and price provenance.

With no options it runs on the embedded default (bundled stack, catalog and the synthetic
sample store) and the report says so. Nothing is written unless every file was built.

Examples:

  costplan report

  costplan report --month 2026-09 --out /tmp/report-2026-09

  costplan report --markdown    # also report.md and its PNG figures (needs Chromium)

  costplan report --stack data/ultibiker/stack.yaml --store data/costplan.duckdb --markdown --no-images

  costplan report --calibrate    # the projection starts from the month's bill, not the plan

  costplan report --month 2026-10 --engine spark --spark-path s3a://exports/focus/data/

  costplan report --month 2026-10 --engine athena --database cur --table focus_export --output s3://athena-results/ --max-scan-gb 50
"""

REVIEW_HELP = """Execute the quarterly review notebook (notebooks/quarterly_review.ipynb)
for one quarter and write the executed notebook and an HTML export of it.

QUARTER is YYYYQn, e.g. 2026Q3; by default the last quarter whose three months are complete
and final in the store (a quarter in progress is labelled and compared on its run-rate). The
default folder is reports/review-2026Q3/.

Examples:

  costplan review

  costplan review --quarter 2026Q3

  costplan review --quarter 2026Q3 --out /tmp/review --store data/costplan.duckdb

  costplan review --engine athena --database cur --table focus_export --output s3://athena-results/
"""


def register(app: typer.Typer) -> None:
    app.command("report", help=help_text(REPORT_HELP))(report_cmd)
    app.command("review", help=help_text(REVIEW_HELP))(review_cmd)


@cli_errors
def report_cmd(
    month: str | None = typer.Option(None, "--month", "-m", help="YYYY-MM (default: the last complete month)."),
    stack: str | None = typer.Option(None, "--stack", help="Stack spec YAML (default: setting `stack`)."),
    store: str | None = typer.Option(None, "--store", help="DuckDB store of actual spend (default: setting `store`)."),
    out: str | None = typer.Option(
        None, "--out", "-o", help="Output folder: new, empty or an earlier report (default: reports/YYYY-MM)."
    ),
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot)."),
    rates: str = RATES_OPTION,
    bill_rates: str | None = BILL_RATES_OPTION,
    markdown: bool = typer.Option(
        False, "--markdown/--no-markdown", help="Also write report.md, with PNG figures unless --no-images."
    ),
    images: bool = typer.Option(
        True, "--images/--no-images", help="With --markdown: PNG figures for report.md (drawn by Chromium). "
        "report.html draws its own figures either way."
    ),
    projection: bool = typer.Option(True, "--projection/--no-projection", help="Include the 12-month projection."),
    calibrate: bool = typer.Option(
        False, "--calibrate", help="Start the projection from the month's bill, not the plan (each kind of cost "
        "scaled by actual / plan of the month; it must be final)."
    ),
    engine: str | None = ENGINE_OPTION,
    spark_path: str | None = SPARK_PATH_OPTION,
    spark_table: str | None = SPARK_TABLE_OPTION,
    database: str | None = ATHENA_DATABASE_OPTION,
    table: str | None = ATHENA_TABLE_OPTION,
    output: str | None = ATHENA_OUTPUT_OPTION,
    workgroup: str | None = ATHENA_WORKGROUP_OPTION,
    table_format: str = TABLE_FORMAT_OPTION,
    profile: str | None = typer.Option(None, "--profile", help="Athena: AWS profile."),
    max_scan_gb: float | None = MAX_SCAN_OPTION,
    strict_prices: bool | None = STRICT_PRICES_OPTION,
) -> None:
    from costplan.config import load_settings
    from costplan.errors import InputError
    from costplan.reports import monthly_report, report_steps

    if calibrate and not projection:
        raise InputError("--calibrate calibrates the projection; it cannot be combined with --no-projection")

    with _progress(report_steps(markdown, images)) as step:

        cfg = load_settings(stack=stack, store=store, catalog=catalog_path, strict_prices=strict_prices,
                            engine=engine)
        catalog = catalog_path
        if rates != "list":
            from costplan.pricing.lookup import get_catalog
            from costplan.stack import load_stack

            # the bill's contracted or effective rates, by whether the stack models commitments
            catalog = get_catalog(cfg.catalog, rates, bill_rates, stack=load_stack(cfg.stack))
        from costplan.actuals.engines import check_engine

        source = None
        if check_engine(cfg.engine) != "duckdb":
            source = open_spend(engine, spark_path=spark_path, spark_table=spark_table, database=database,
                                table=table, output=output, workgroup=workgroup, table_format=table_format,
                                profile=profile, max_scan_gb=max_scan_gb)
        try:
            tables, files = monthly_report(month, stack, store, out, catalog=catalog, markdown=markdown,
                                           images=images, projection=projection, calibrate=calibrate, progress=step,
                                           strict_prices=cfg.strict_prices, source=source)
        finally:
            if source is not None:
                report_scan(source)
    for w in files.warnings:
        warn(w)
    h = tables.headline
    if tables.synthetic:
        warn("the actual spend is the SYNTHETIC sample, not real billing data (the report says so)")
    if h.get("basis", "total") != "total":
        info(f"{tables.month} in progress: month-end forecast ${h['forecast_month_end']:,.2f} "
             f"(${h['forecast_low']:,.2f} to ${h['forecast_high']:,.2f}; ${h['total']:,.2f} in {h['days_held']} of "
             f"{h['days_in_month']} days), plan ${h['plan_total']:,.2f} ({h['metric']})")
    else:
        info(f"{tables.month}: total ${h['total']:,.2f} ({h['metric']}), plan ${h['plan_total']:,.2f}")
    if h.get("month_reason"):
        info(f"note: {h['month_reason']}")
    for key, sec in tables.sections.items():
        if not sec.available and key != "headline":
            info(f"  section '{sec.title}': data not available")
    typer.echo(str(files.out_dir / "report.html"))


@contextlib.contextmanager
def _progress(total: int):
    """A progress bar on the terminal, yielding the function that advances it by one step;
    piped (no terminal): no bar, no blank line where it was, and rich is not even imported
    (its console is asked only when stderr may be a terminal to it: see ``_plain_stderr``)."""
    from costplan.cli.common import _plain_stderr

    if _plain_stderr(""):
        yield lambda _what: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _what: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("report", total=total)

        def step(what: str) -> None:
            bar.update(task, description=f"report: {what}", advance=1)

        yield step


@cli_errors
def review_cmd(
    quarter: str | None = typer.Option(
        None, "--quarter", "-q", help="Quarter, YYYYQn (e.g. 2026Q3; default: the last complete quarter in the store)."
    ),
    out: str | None = typer.Option(
        None, "--out", "-o", help="Output folder: new, empty or an earlier review (default: reports/review-YYYYQn)."
    ),
    stack: str | None = typer.Option(None, "--stack", help="Stack spec YAML (default: setting `stack`)."),
    store: str | None = typer.Option(None, "--store", help="DuckDB store of actual spend (default: setting `store`)."),
    engine: str | None = ENGINE_OPTION,
    spark_path: str | None = SPARK_PATH_OPTION,
    spark_table: str | None = SPARK_TABLE_OPTION,
    database: str | None = ATHENA_DATABASE_OPTION,
    table: str | None = ATHENA_TABLE_OPTION,
    output: str | None = ATHENA_OUTPUT_OPTION,
    workgroup: str | None = ATHENA_WORKGROUP_OPTION,
    table_format: str = TABLE_FORMAT_OPTION,
    profile: str | None = typer.Option(None, "--profile", help="Athena: AWS profile."),
    max_scan_gb: float | None = MAX_SCAN_OPTION,
) -> None:
    from rich.console import Console

    from costplan.reports.review import run_review

    console = Console(stderr=True)
    with console.status(f"executing the quarterly review for {quarter or 'the last complete quarter'}"):
        result = run_review(quarter, out_dir=out, stack=stack, store=store, engine=engine,
                            engine_options={k: v for k, v in (
                                ("spark_path", spark_path), ("spark_table", spark_table), ("table_format", table_format),
                                ("athena_database", database), ("athena_table", table), ("athena_output", output),
                                ("athena_workgroup", workgroup), ("athena_table_format", table_format),
                                ("profile", profile), ("max_scan_gb", max_scan_gb)) if v})
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    typer.echo(str(result.html))
