"""``costplan pull``, ``costplan actuals`` and ``costplan reconcile``: actual spend."""

from __future__ import annotations

import sys

import typer

from costplan.cli.common import (
    ATHENA_DATABASE_OPTION,
    ATHENA_OUTPUT_OPTION,
    ATHENA_TABLE_OPTION,
    ATHENA_WORKGROUP_OPTION,
    ENGINE_OPTION,
    FORMAT_OPTION,
    MAX_SCAN_OPTION,
    SPARK_PATH_OPTION,
    SPARK_TABLE_OPTION,
    TABLE_FORMAT_OPTION,
    WIDE_OPTION,
    Format,
    cli_errors,
    emit_frame,
    emit_json,
    help_text,
    info,
    open_for_month,
    open_spend,
    report_scan,
    warn,
)

STORE_OPTION = typer.Option(
    None,
    "--store",
    help="DuckDB store file (default: COSTPLAN_STORE, else the bundled synthetic sample store).",
)
CURRENCY_OPTION = typer.Option(
    None,
    "--currency",
    help="Only the costs billed in this currency (e.g. EUR); costs in two currencies are never added.",
)
SHOW_ACCOUNTS_OPTION = typer.Option(
    False, "--show-account-ids", help="Show billing and sub-account ids in full (masked to their last 4 by default)."
)


def register(app: typer.Typer) -> None:
    app.command("pull", help=help_text(PULL_HELP))(pull)
    app.command("actuals", help=help_text(ACTUALS_HELP))(actuals)
    app.command("reconcile", help=help_text(RECONCILE_HELP))(reconcile)
    app.command("store", help=help_text(STORE_HELP))(store_cmd)


STORE_HELP = """What the store holds: per billing month the source in use (a FOCUS or CUR import
beats a Cost Explorer pull, which beats the synthetic sample), sources held but not used, rows,
EffectiveCost, whether the month is still Estimated and its active users; then every load with
its source, description, time and rows. CSV holds the months, JSON both tables.

Examples:

  costplan store

  costplan store --store spend.duckdb --format json
"""


@cli_errors
def store_cmd(store_path: str | None = STORE_OPTION, fmt: Format = FORMAT_OPTION, wide: bool = WIDE_OPTION) -> None:
    import os

    load_cols = ["load_id", "x_Source", "description", "started_at", "rows_loaded", "rows_replaced"]
    with _open_store(store_path, all_currencies=True) as store:
        # DuckDB and rich (or the csv and json modules) suffice: no pandas
        months, loads = store.months_by_source_rows(), store.loads_rows(load_cols)
        version, path, synthetic = store.version, store.path, store.is_synthetic()
    size = os.path.getsize(path) / 1e6
    if fmt is Format.json:
        from costplan.cli.common import rows_records

        # started_at as ISO 8601 to the millisecond, as pandas writes a timestamp in JSON
        loads = loads.map_column("started_at", lambda t: t.isoformat(timespec="milliseconds") if t else None)
        emit_json({"store": str(path), "schema_version": version, "size_mb": round(size, 3), "synthetic": synthetic,
                   "months": rows_records(months), "loads": rows_records(loads)})
        return
    if fmt is Format.csv:
        emit_frame(months, fmt)
        return
    loads = loads.map_column("started_at", lambda t: t.strftime("%Y-%m-%d %H:%M") if t is not None else None)
    caption = "SYNTHETIC SAMPLE DATA, not real spend" if synthetic else None
    emit_frame(months.round("EffectiveCost", 2), fmt, title=f"{path} (schema {version}, {size:,.1f} MB): months",
               money=("EffectiveCost",), caption=caption)
    if fmt is Format.markdown:
        import sys

        sys.stdout.write("\n")
    emit_frame(loads, fmt, title="Loads, oldest first")


PULL_HELP = """Pull actual spend from AWS Cost Explorer into the local store.

Asks only for the periods the store does not hold yet or holds as Estimated (each Cost
Explorer request costs $0.01), follows every page, retries throttling (its own retries only:
every HTTP request is counted and capped by --max-requests), and prints how many requests it
made and what they cost. Every page paid for is kept in the store as it arrives: a run stopped
by --max-requests (or interrupted) continues on the next run without paying again. A
malformed page is an error that stores and deletes nothing. Another --granularity or
--group-by is a series of its own beside what the store holds (reports use one series per
month: the default DAILY by service and usage type first). Credentials come from the standard AWS chain or
--profile; the only IAM action needed is ce:GetCostAndUsage. AWS_ENDPOINT_URL_CE points it at
another endpoint.

Examples:

  costplan pull --store spend.duckdb --from 2026-01-01

  costplan pull --store spend.duckdb --granularity MONTHLY --group-by tag:team --max-requests 20
"""


@cli_errors
def pull(
    start: str | None = typer.Option(
        None,
        "--from",
        help="First day (YYYY-MM-DD or YYYY-MM); default: first day of the month 3 months ago.",
    ),
    end: str | None = typer.Option(
        None, "--to", help="Last day, inclusive (YYYY-MM-DD or YYYY-MM); default: today."
    ),
    granularity: str = typer.Option("DAILY", "--granularity", "-g", help="DAILY or MONTHLY."),
    group_by: str = typer.Option(
        "USAGE_TYPE",
        "--group-by",
        help="Second grouping after SERVICE: USAGE_TYPE (default), REGION or tag:<key>.",
    ),
    max_requests: int = typer.Option(
        100, "--max-requests", min=1, max=1_000_000, help="Stop after this many requests ($0.01 each)."
    ),
    full: bool = typer.Option(False, "--full", help="Ask again for periods already stored as final."),
    profile: str | None = typer.Option(
        None, "--profile", help="AWS profile (default: the standard credential chain)."
    ),
    store_path: str | None = STORE_OPTION,
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    import datetime as dt

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from costplan.actuals import cost_explorer as ce
    from costplan.actuals.store import _parse_bound
    from costplan.errors import InputError, Problem

    today = dt.datetime.now(dt.UTC).date()
    if start is None:
        m = today.month - 3
        first = dt.date(today.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    else:
        first = _parse_bound(start, end=False)
    last = _parse_bound(end, end=True) if end else today + dt.timedelta(days=1)
    last = min(last, today + dt.timedelta(days=1))
    if last <= first:
        raise InputError(Problem(f"--to must not be before --from ({first})", location="--to"))
    grouping = ["SERVICE", group_by if group_by.startswith("tag:") else group_by.upper()]
    ce.group_by_spec(grouping)  # bad input before any AWS work
    client = ce.make_client(profile=profile)
    with _open_store(store_path, write=True) as store:
        wanted = len(ce.periods(first, last, granularity.upper()))
        with Progress(
            TextColumn("Cost Explorer"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("periods"),
            transient=True,
            disable=fmt is not Format.table or not sys.stdout.isatty(),  # piped: no bar, no blank line
        ) as bar:
            task = bar.add_task("pull", total=wanted)
            report = ce.pull(
                store,
                client,
                first,
                last,
                granularity=granularity,
                group_by=grouping,
                max_requests=max_requests,
                full=full,
                progress=lambda n: bar.advance(task, n),
            )
    summary = {
        "requests": report.requests,
        "request_cost_usd": report.cost,
        "throttled": report.throttled,
        "periods_pulled": report.periods_requested,
        "periods_skipped_final": report.periods_skipped,
        "periods_not_pulled": report.periods_not_pulled,
        "pages_kept": report.pages_kept,
        "pages_reused": report.pages_reused,
        "rows_loaded": report.rows_loaded,
        "from": first.isoformat(),
        "to_exclusive": last.isoformat(),
        "store": str(store.path),
    }
    if fmt is Format.json:
        emit_json(summary)
    else:
        info(
            f"Made {report.requests} requests to Cost Explorer (${report.cost:.2f} at $0.01 each"
            + (f", {report.throttled} of them throttled and retried" if report.throttled else "")
            + f"); {report.periods_requested} {granularity.lower()} periods pulled, {report.periods_skipped} already "
            f"final, {report.rows_loaded} rows loaded into {store.path}"
            + (f"; {report.pages_reused} page(s) paid for by an earlier run reused" if report.pages_reused else "")
            + "."
        )
    if report.periods_not_pulled:
        warn(
            f"--max-requests {max_requests} reached: {report.periods_not_pulled} periods are not loaded yet; "
            f"the {report.pages_kept} page(s) already paid for are kept in the store, so running again continues "
            "from there without paying for them twice (or raise --max-requests)"
        )
        raise typer.Exit(1)


ACTUALS_HELP = """Show actual spend from the store: by month, service, region, component or tag.

With no store configured this is the bundled synthetic sample (clearly marked), so it works
without an AWS account.

Examples:

  costplan actuals --by month

  costplan actuals --by component --month 2026-10

  costplan actuals --by month,ServiceName --from 2026-07 --to 2026-09 --format csv

  costplan actuals --by tag:team --month 2026-10 --format markdown

  costplan actuals --by month --per-user      # with active users from `costplan import users`

  costplan actuals --engine athena --database cur --table focus_export --output s3://my-athena-results/ --by month,ServiceName --from 2026-07 --to 2026-10

  costplan actuals --engine spark --spark-path exports/focus/data/ --month 2026-10 --by ServiceName
"""


@cli_errors
def actuals(
    by: list[str] = typer.Option(
        ["month"],
        "--by",
        "-b",
        help="Group by: month, day, component, ServiceName, RegionId, ChargeCategory, PricingCategory, tag:<key>, ... (repeat or comma-separate).",
    ),
    month: str | None = typer.Option(None, "--month", "-m", help="One billing month, YYYY-MM."),
    start: str | None = typer.Option(None, "--from", help="First month or day, inclusive."),
    end: str | None = typer.Option(None, "--to", help="Last month or day, inclusive."),
    metric: str = typer.Option(
        "EffectiveCost", "--metric", help="EffectiveCost (amortised), BilledCost (invoice), ListCost, ..."
    ),
    store_path: str | None = STORE_OPTION,
    engine: str | None = ENGINE_OPTION,
    database: str | None = ATHENA_DATABASE_OPTION,
    table: str | None = ATHENA_TABLE_OPTION,
    output: str | None = ATHENA_OUTPUT_OPTION,
    workgroup: str | None = ATHENA_WORKGROUP_OPTION,
    table_format: str = TABLE_FORMAT_OPTION,
    profile: str | None = typer.Option(None, "--profile", help="Athena: AWS profile."),
    max_scan_gb: float | None = MAX_SCAN_OPTION,
    spark_path: str | None = SPARK_PATH_OPTION,
    spark_table: str | None = SPARK_TABLE_OPTION,
    per_user: bool = typer.Option(
        False, "--per-user", help="Add active_users and cost_per_user (the store's user counts; needs --by month)."
    ),
    currency: str | None = CURRENCY_OPTION,
    show_account_ids: bool = SHOW_ACCOUNTS_OPTION,
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.actuals.engines import check_engine
    from costplan.actuals.privacy import mask_rows
    from costplan.cli.common import resolve_by
    from costplan.errors import InputError, Problem

    engine = check_engine(engine)
    # friendly aliases (service, region, account, team) beside FOCUS names; `component` and
    # `component_kind` are both the component kind (a bill does not know the stack's paths)
    keys = ["component" if k == "component_kind" else k
            for k in resolve_by([k.strip() for item in by for k in item.split(",") if k.strip()])]
    if per_user and (engine != "duckdb" or "month" not in keys):
        raise InputError(
            Problem("needs --by month and the local store", location="--per-user",
                    hint="e.g. costplan actuals --by month --per-user")
        )
    users = None
    if engine != "duckdb":
        source = open_spend(engine, spark_path=spark_path, spark_table=spark_table, database=database, table=table,
                            output=output, workgroup=workgroup, table_format=table_format, profile=profile,
                            max_scan_gb=max_scan_gb)
        try:
            df = source.spend(keys, start=start, end=end, month=month, metric=metric)
        finally:
            report_scan(source)
        synthetic = False
    elif engine == "duckdb":
        with _open_store(store_path, currency=currency) as store:
            from costplan.actuals.schema import COST_COLUMNS

            if metric in COST_COLUMNS and "BillingCurrency" not in keys and len(store.currencies()) > 1:
                keys = [*keys, "BillingCurrency"]  # totals per currency: never added together
            # a table to print needs DuckDB and rich, not pandas (a third of the start-up)
            df = store.spend_rows(keys, start=start, end=end, month=month, metric=metric)
            if df.empty and (month or start or end):
                held = store.months()
                span = f"it holds {held[0]} to {held[-1]}" if held else "it holds no spend"
                period = month or f"{start or 'the start'} to {end or 'the end'}"
                raise InputError(Problem(f"no spend for {period} in the store {store.path}; {span}",
                                         location="--month" if month else "--from/--to"))
            synthetic = store.is_synthetic()
            store_currencies = store.currencies()
            forecast = None
            if keys == ["month"] and metric == "EffectiveCost" and len(df):
                from costplan.actuals.forecast import month_end_forecast

                forecast = month_end_forecast(store, str(df.column("month")[-1]))
            if per_user:
                users = store.users()
                if users.empty:
                    raise InputError(
                        Problem(f"the store {store.path} holds no user counts", location="--per-user",
                                hint="add them with `costplan import users FILE.csv` (month,active_users)")
                    )
    from costplan.frames import Rows

    if not isinstance(df, Rows):  # a remote engine's frame
        df = Rows.from_frame(df)
    df = mask_rows(df.drop(["rows"]), show=show_account_ids).rename({"component": "component_kind"})
    if "BillingCurrency" in df and metric in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
                                              "x_NetEffectiveCost"):
        sums: dict = {}
        for c, v in zip(df.column("BillingCurrency"), df.column(metric), strict=True):
            sums[c] = sums.get(c, 0.0) + (v or 0.0)
        total_text = "; ".join(f"{v:,.2f} {c}" for c, v in sorted(sums.items(), key=lambda kv: str(kv[0])))
    else:
        unit = "USD"  # Cost Explorer and Athena over AWS exports
        if engine == "duckdb":
            unit = currency.upper() if currency else (store_currencies[0] if len(store_currencies) == 1 else unit)
        total_text = f"{float(df.sum(metric)) if len(df) else 0.0:,.2f} {unit}"
    notes = []
    if users is not None:
        frame = df.to_frame().merge(users[["month", "active_users"]], on="month", how="left")
        frame["cost_per_user"] = (frame[metric] / frame["active_users"].where(frame["active_users"] > 0)).round(4)
        lacking = sorted(set(frame.loc[frame["active_users"].isna(), "month"]))
        if lacking:
            warn(f"no user count for {', '.join(lacking)}: cost_per_user left empty")
        df = Rows.from_frame(frame)
    if synthetic:
        notes.append("SYNTHETIC SAMPLE DATA, not real spend")
    if engine == "duckdb" and forecast is not None:
        notes.append(forecast.summary())
    if any(df.column("Estimated")):
        notes.append("Estimated = not final yet (AWS may still change it)")
    if fmt is Format.table:
        title = f"{metric} by {', '.join(df.columns[:len(keys)])}" + (f", {month}" if month else "")
        emit_frame(
            df.round(metric, 2),
            fmt,
            title=title,
            money=(metric,),
            caption=f"total {total_text}. " + "; ".join(notes),
        )
    else:
        emit_frame(df, fmt, money=(metric,))  # CSV and JSON of DuckDB's rows need no pandas either
        for n in notes:
            warn(n)


RECONCILE_HELP = """Plan versus actual for one month: the stack's estimate against stored spend,
per component kind and service, with variance in $ and % and flags beyond a threshold.

Spend no mapping rule recognises is shown as 'unmapped' lines, never dropped. The mapping
is documented in docs/actuals.md (costplan/actuals/data/component_map.csv).

Examples:

  costplan reconcile data/ultibiker/stack.yaml --month 2026-10

  costplan reconcile --month 2026-10 --threshold 5 --format markdown
"""


@cli_errors
def reconcile(
    stack: str | None = typer.Argument(
        None, help="Stack spec YAML (default: the bundled UltiBiker stack)."
    ),
    month: str = typer.Option(..., "--month", "-m", help="Billing month, YYYY-MM."),
    threshold: float = typer.Option(
        10.0, "--threshold", help="Flag lines whose variance exceeds this many percent."
    ),
    min_variance: float = typer.Option(10.0, "--min-variance", help="...and at least this many USD."),
    currency: str | None = CURRENCY_OPTION,
    plan_csv: str | None = typer.Option(
        None,
        "--plan",
        help="Use estimate lines from a CSV (component, component_kind, ListCost) instead of STACK.",
    ),
    store_path: str | None = STORE_OPTION,
    engine: str | None = ENGINE_OPTION,
    database: str | None = ATHENA_DATABASE_OPTION,
    table: str | None = ATHENA_TABLE_OPTION,
    output: str | None = ATHENA_OUTPUT_OPTION,
    workgroup: str | None = ATHENA_WORKGROUP_OPTION,
    table_format: str = TABLE_FORMAT_OPTION,
    profile: str | None = typer.Option(None, "--profile", help="Athena: AWS profile."),
    max_scan_gb: float | None = MAX_SCAN_OPTION,
    spark_path: str | None = SPARK_PATH_OPTION,
    spark_table: str | None = SPARK_TABLE_OPTION,
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    import math

    from costplan.actuals.reconcile import reconcile as run
    from costplan.actuals.store import parse_month
    from costplan.errors import InputError, Problem
    from costplan.frames import json_records
    from costplan.limits import MAX_QUANTITY

    for option, value in (("--threshold", threshold), ("--min-variance", min_variance)):
        if not (math.isfinite(value) and 0 <= value <= MAX_QUANTITY):
            raise InputError(Problem(f"must be a finite number from 0 to {MAX_QUANTITY:.0e}, got {value}",
                                     location=option))
    parse_month(month)
    lines = _plan_lines(stack, plan_csv)
    from costplan.actuals.engines import check_engine

    if check_engine(engine) == "duckdb":
        source = _open_store(store_path, currency=currency)
    else:
        source = open_for_month(engine, month, spark_path=spark_path, spark_table=spark_table, database=database,
                                table=table, output=output, workgroup=workgroup, table_format=table_format,
                                profile=profile, max_scan_gb=max_scan_gb)
    with source as store:
        try:
            result = run(lines, store, month, threshold_pct=threshold, min_variance=min_variance)
        finally:
            report_scan(store)
    df = result.lines
    notes = []
    if result.synthetic:
        notes.append("actuals are the SYNTHETIC SAMPLE, not real spend")
    if result.estimated:
        notes.append(f"{month} is not final: actuals are month to date")
    if not result.complete:
        notes.append(f"the store covers {result.days} of the {result.days_in_month} days of {month}: "
                     "the actuals are partial against a monthly plan")
    if fmt is Format.json:
        emit_json(
            {
                "month": month,
                "plan_total": result.plan_total,
                "actual_total": result.actual_total,
                "variance_total": result.variance_total,
                "estimated": result.estimated,
                "synthetic": result.synthetic,
                "days": result.days,
                "days_in_month": result.days_in_month,
                "lines": json_records(df),
            }
        )
        for n in notes:
            warn(n)
        return
    view = df.round({"plan": 2, "actual": 2, "variance": 2, "variance_pct": 1})
    caption = (
        f"plan {result.plan_total:,.2f} USD/month, actual {result.actual_total:,.2f} USD, variance "
        f"{result.variance_total:+,.2f} USD. " + "; ".join(notes)
    )
    emit_frame(
        view, fmt, title=f"Plan vs actual, {month}", money=("plan", "actual", "variance"), caption=caption
    )
    if fmt is not Format.table:
        for n in notes:
            warn(n)


def _plan_lines(stack: str | None, plan_csv: str | None):
    import pandas as pd

    from costplan.errors import InputError

    if plan_csv:
        try:
            return pd.read_csv(plan_csv)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"cannot read plan lines: {exc}", file=plan_csv) from None
    import costplan
    from costplan import config

    try:
        load_stack, estimate = costplan.load_stack, costplan.estimate
    except (AttributeError, ImportError) as exc:  # pragma: no cover - depends on the estimate module
        raise InputError(f"no estimate available ({exc}); pass --plan with estimate lines") from None
    return estimate(load_stack(config.load_settings(stack=stack).stack)).lines


def _open_store(path: str | None, *, write: bool = False, currency: str | None = None, all_currencies: bool = False):
    """The store for a command: read-only unless the command writes (``pull``), so reading
    commands work on a read-only file."""
    from costplan.actuals.store import Store

    if write:
        from costplan import config

        return Store.writing(config.load_settings(store=path).store)
    # open_default resolves the store's setting (--store > COSTPLAN_STORE > pyproject > default)
    return Store.open_default(path, read_only=True, currency=currency or (None if not all_currencies else ""))
