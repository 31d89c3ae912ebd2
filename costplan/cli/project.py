"""``costplan project`` and ``costplan commitments``: projections with ranges; SP/RI sizing."""

from __future__ import annotations

import typer

from costplan.cli.common import (
    ATHENA_DATABASE_OPTION,
    ATHENA_OUTPUT_OPTION,
    ATHENA_TABLE_OPTION,
    ATHENA_WORKGROUP_OPTION,
    BILL_RATES_OPTION,
    ENGINE_OPTION,
    FORMAT_OPTION,
    MAX_SCAN_OPTION,
    RATES_OPTION,
    SPARK_PATH_OPTION,
    SPARK_TABLE_OPTION,
    STRICT_PRICES_OPTION,
    TABLE_FORMAT_OPTION,
    WIDE_OPTION,
    Format,
    cli_errors,
    emit_frame,
    emit_json,
    finding,
    help_text,
    info,
    warn,
)
from costplan.cli.plan_focus import PLAN_FORMAT_OPTION, PlanFormat, emit_projection, refuse_scenarios

PROJECT_HELP = """Project a stack month by month: demand drivers (users, growth, load per user)
-> capacity (pods, nodes per pool, database and cache class, storage) -> cost, with p10 /
p50 / p90 ranges from a Monte Carlo over the uncertain drivers and spot prices (fixed seed),
the fixed and variable parts, capacity steps, cost per user and the marginal cost of the
next 1,000 users. With --scenario, the named variants are projected side by side with the
base (same draws, so differences come from the stack).

Views (--view): monthly (default), components, capacity, steps, per-user, spot, calibration.

The projection starts from the plan (the stack at list prices). --calibrate-to MONTH (or
'latest', the newest final month in the store) scales each kind of cost line by actual /
plan of that month, so the level comes from the bill and the growth from the model
(docs/projection.md, "Calibrating to actual spend").

Examples:

  costplan project data/ultibiker/stack.yaml

  costplan project --calibrate-to latest --view calibration

  costplan project --months 24 --simulations 5000 --seed 7 --view capacity

  costplan project --scenario app-on-spot --scenario graviton --format markdown

  costplan project --scenario all --format json
"""

COMMITMENTS_HELP = """Size a Savings Plan: the hourly commitment that minimises expected cost for each
term and payment option the catalog prices, on the projected on-demand EC2 usage (or on an
hourly usage CSV, e.g. from actuals), with coverage, utilisation, net savings and break-even
month; the stack's own commitments are evaluated on the same usage, and commitments that
cannot work (an EC2 capacity reservation for an RDS class) are reported.

The optimum is exact for the model: the commitment covers the d-quantile of hourly usage,
d being the plan's discount (docs/projection.md).

Tables: the optimum per term and payment; the stack's own plans on the same usage; EC2
Instance Savings Plans then a Compute Savings Plan in AWS's order; standard reserved
instances per resource as the alternative. CSV holds the first table, JSON all of them.

Examples:

  costplan commitments data/ultibiker/stack.yaml

  costplan commitments --term 1yr --payment all-upfront --format json

  costplan commitments --usage hourly.csv --term 3yr --format csv

  costplan commitments --curve --format csv
"""

VIEWS = ("monthly", "components", "capacity", "steps", "per-user", "spot", "calibration")


def register(app: typer.Typer) -> None:
    app.command("project", help=help_text(PROJECT_HELP))(project_cmd)
    app.command("commitments", help=help_text(COMMITMENTS_HELP))(commitments_cmd)


def _progress(total: int, label: str):
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty())


@cli_errors
def project_cmd(
    stack: str | None = typer.Argument(None, help="Stack spec YAML (default: the bundled UltiBiker stack)."),
    months: int | None = typer.Option(None, "--months", "-m", help="Months to project, 1-120 (default: the spec's, 36)."),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", "-s", help="A named scenario to compare with the base (repeat it; 'all' for every one)."
    ),
    simulations: int = typer.Option(
        2000, "--simulations", "-n",
        help="Monte Carlo paths, 0-1,000,000 (0: the central path only; at most 2,000,000 paths x months).",
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed of the draws."),
    view: str = typer.Option("monthly", "--view", help="What to show: " + ", ".join(VIEWS) + "."),
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot)."),
    rates: str = RATES_OPTION,
    bill_rates: str | None = BILL_RATES_OPTION,
    calibrate_to: str | None = typer.Option(
        None, "--calibrate-to", help="Scale the cost lines to the actual spend of this final month (YYYY-MM or latest)."
    ),
    store_path: str | None = typer.Option(
        None, "--store", help="DuckDB store of actual spend for --calibrate-to (default: setting `store`)."
    ),
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
    strict_prices: bool | None = STRICT_PRICES_OPTION,
    fmt: PlanFormat = PLAN_FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.config import load_settings
    from costplan.errors import InputError
    from costplan.pricing.lookup import get_catalog
    from costplan.stack import load_stack

    if view not in VIEWS:
        raise InputError(f"--view {view!r} is not valid; use one of {', '.join(VIEWS)}")
    if calibrate_to is not None and scenario:
        raise InputError(
            "--calibrate-to cannot be combined with --scenario: the factors are measured on the base stack's "
            "bill and would mis-scale a variant (spot, Graviton); calibrate the base projection alone"
        )
    if view == "calibration" and calibrate_to is None:
        raise InputError("--view calibration needs --calibrate-to MONTH (YYYY-MM or latest)")
    if calibrate_to is not None and calibrate_to != "latest":
        import re

        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", calibrate_to):
            raise InputError(f"--calibrate-to {calibrate_to!r} is not valid; use YYYY-MM (e.g. 2026-10) or latest")
    from costplan.limits import check_projection_size

    check_projection_size(months if months is not None else 1, simulations, seed)  # before the stack is read
    cfg = load_settings(stack=stack, catalog=catalog_path, strict_prices=strict_prices)
    st = load_stack(cfg.stack)
    cat = get_catalog(cfg.catalog, rates, bill_rates, stack=st)
    if cfg.strict_prices:
        from costplan.estimator import estimate

        estimate(st, cat, strict_prices=True)  # the projection prices the plan's lines: refuse estimates first
    focus, fmt = fmt is PlanFormat.focus, Format(fmt.value if fmt is not PlanFormat.focus else "table")
    if focus and scenario:
        refuse_scenarios()

    if scenario:
        from costplan.projection.scenarios import project_scenarios

        names = list(st.scenarios) if "all" in scenario else list(scenario)
        with _progress(1, "projecting scenarios") as prog:
            prog.add_task("scenarios", total=1)
            comp = project_scenarios(st, names, months=months, simulations=simulations, seed=seed, catalog=cat)
        if fmt is Format.json:
            emit_json({"summary": _records(comp.summary), "monthly": _records(comp.monthly),
                       "results": {n: r.to_dict() for n, r in comp.results.items()}, "warnings": comp.warnings})
            return
        emit_frame(comp.summary, fmt, title=f"{st.name}: scenarios over {comp.results['base'].months} months (USD)",
                   money=("month0_p50", "last_p10", "last_p50", "last_p90", "total_p50", "diff_total_p50"),
                   percent=("diff_share",))
        for w in comp.warnings:
            warn(w)
        return

    from costplan.projection.simulate import project
    from costplan.projection.unit_cost import per_user_notes

    calibration = None
    if calibrate_to is not None:
        from costplan.cli.common import open_for_month, report_scan
        from costplan.projection.calibrate import calibrate

        with open_for_month(engine, calibrate_to, store=store_path, spark_path=spark_path, spark_table=spark_table,
                            database=database, table=table, output=output, workgroup=workgroup,
                            table_format=table_format, profile=profile, max_scan_gb=max_scan_gb) as store:
            try:
                calibration = calibrate(st, store, calibrate_to, cat)
            finally:
                report_scan(store)
    with _progress(1, "projecting") as prog:
        prog.add_task("project", total=1)
        r = project(st, months=months, simulations=simulations, seed=seed, catalog=cat, calibration=calibration)
    if focus:
        return emit_projection(r, st, cat)
    if fmt is Format.json:
        out = r.to_dict()
        out["per_user_notes"] = per_user_notes(r)
        emit_json(out)
        return
    title = f"{r.stack_name}: {r.months}-month projection, {r.simulations or 'central path'} paths, seed {r.seed} (USD)"
    if calibration is not None:
        title += f", {calibration.summary}"
    if view == "monthly":
        df = r.monthly[["month", "ChargePeriodStart", "users_p50", "p10", "p50", "p90", "fixed", "variable"]].copy()
        df["per_user_p50"] = r.per_user.p50
        df["ChargePeriodStart"] = df.ChargePeriodStart.dt.strftime("%Y-%m")
        emit_frame(df, fmt, title=title, money=("p10", "p50", "p90", "fixed", "variable"))
    elif view == "components":
        df = r.by_component.copy()
        df["ChargePeriodStart"] = df.ChargePeriodStart.dt.strftime("%Y-%m")
        if fmt in (Format.table, Format.markdown):
            df = df[df.month.isin([0, r.months // 2, r.months - 1])]
        emit_frame(df, fmt, title=title, money=("p10", "p50", "p90", "mean", "deterministic"))
    elif view == "capacity":
        df = r.capacity.copy()
        df["ChargePeriodStart"] = df.ChargePeriodStart.dt.strftime("%Y-%m")
        if fmt in (Format.table, Format.markdown):
            df = df[df.month.isin([0, r.months // 2, r.months - 1])]
        emit_frame(df, fmt, title=title, percent=("at_limit_share",))
    elif view == "steps":
        emit_frame(r.steps, fmt, title=title, percent=("share_of_paths_at_limit",))
    elif view == "per-user":
        df = r.per_user.copy()
        df["ChargePeriodStart"] = df.ChargePeriodStart.dt.strftime("%Y-%m")
        emit_frame(df, fmt, title=title)
    elif view == "calibration":
        factors = calibration.factors.assign(factor=calibration.factors["factor"].round(4))
        emit_frame(factors, fmt, title=f"{r.stack_name}: {calibration.summary}",
                   money=("plan", "actual", "fees"))
        if len(calibration.not_projected):
            _gap(fmt)
            emit_frame(calibration.not_projected, fmt, title=f"Spend of {calibration.month} with no plan line (not projected)",
                       money=("actual",))
    elif view == "spot":
        from costplan.projection.spot import spot_savings

        emit_frame(spot_savings(st, cat), fmt, title=f"{st.name}: each pool on spot vs on-demand (USD/month)",
                   money=("on_demand_cost", "spot_cost", "saving"), percent=("saving_share", "fallback_share"))
        return
    if fmt in (Format.table, Format.markdown):
        m = r.monthly
        info(f"Total over {r.months} months: ${m.p50.sum():,.0f} median (p10 ${m.p10.sum():,.0f}, "
             f"p90 ${m.p90.sum():,.0f} summing monthly quantiles)")
        for n in per_user_notes(r):
            info(f"- {n}")
    for w in r.warnings:
        warn(w)


def _gap(fmt) -> None:
    """A blank line between two tables (Markdown needs it to end the first)."""
    import sys

    if fmt is Format.markdown:
        sys.stdout.write("\n")


def _records(df):
    from costplan.frames import json_records

    return json_records(df)


def read_usage_csv(path: str):
    """An hourly usage CSV: a time column (``ChargePeriodStart`` or ``hour``) and one spend
    column (``EffectiveCost``, ``ListCost``, ``BilledCost``, ``usage`` or ``spend``) [USD/h at
    on-demand rates]."""
    import pandas as pd

    from costplan.errors import InputError, Problem

    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=path)) from None
    except Exception as exc:  # noqa: BLE001 - pandas raises parser, encoding and OS errors
        raise InputError(Problem(f"not a readable CSV: {exc}", file=path)) from None
    col = next((c for c in ("usage", "spend", "EffectiveCost", "ListCost", "BilledCost") if c in df.columns), None)
    if col is None:
        raise InputError(Problem(f"no usage column; expected one of usage, spend, EffectiveCost, ListCost, BilledCost "
                                 f"(found: {', '.join(map(str, df.columns))})", file=path))
    s = pd.to_numeric(df[col], errors="coerce")
    from costplan.limits import MAX_QUANTITY

    bad = s.isna() | (s < 0) | (s > MAX_QUANTITY)  # NaN, negative, infinite or absurd
    if bad.any():
        rows = ", ".join(str(i + 2) for i in list(s.index[bad])[:5])
        raise InputError(Problem(f"column {col!r} needs finite numbers from 0 to {MAX_QUANTITY:.0e} [USD/h]; bad "
                                 f"values on lines {rows}", file=path))
    return s


@cli_errors
def commitments_cmd(
    stack: str | None = typer.Argument(None, help="Stack spec YAML (default: the bundled UltiBiker stack)."),
    term: str | None = typer.Option(None, "--term", help="1yr or 3yr (default: both)."),
    payment: str | None = typer.Option(None, "--payment", help="no-upfront, partial-upfront or all-upfront (default: all)."),
    usage: str | None = typer.Option(None, "--usage", help="Hourly usage CSV [USD/h on demand] instead of the projection."),
    simulations: int = typer.Option(500, "--simulations", "-n", help="Monte Carlo paths of the projected usage."),
    seed: int = typer.Option(42, "--seed", help="Random seed of the draws."),
    curve: bool = typer.Option(False, "--curve", help="Show the cost curve around each optimum instead."),
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot)."),
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.config import load_settings
    from costplan.errors import InputError
    from costplan.pricing.lookup import get_catalog
    from costplan.projection.commitments import (
        TERM_HOURS,
        UPFRONT_SHARE,
        optimise_commitments,
        savings_plan_discounts,
        stack_commitments,
    )
    from costplan.stack import load_stack

    if term is not None and term not in TERM_HOURS:
        raise InputError(f"--term {term!r} is not valid; use 1yr or 3yr")
    if payment is not None and payment not in UPFRONT_SHARE:
        raise InputError(f"--payment {payment!r} is not valid; use no-upfront, partial-upfront or all-upfront")
    cfg = load_settings(stack=stack, catalog=catalog_path)
    st = load_stack(cfg.stack)
    cat = get_catalog(cfg.catalog)
    money = ("commitment", "on_demand_cost", "cost", "net_savings", "upfront", "optimal_commitment")
    if usage:
        from costplan.projection.simulate import ProjectionModel

        u = read_usage_csv(usage)
        discounts, _, _ = savings_plan_discounts(ProjectionModel(st, cat))
        plan = optimise_commitments(u, discounts, term=term, payment=payment)
        table, existing, curve_df, findings, reserved, combined = plan.table, None, plan.curve, plan.notes, None, None
    else:
        res = stack_commitments(st, cat, term=term, payment=payment, simulations=simulations, seed=seed)
        table, existing, curve_df, findings = res.table, res.existing, res.curve, res.findings
        reserved, combined = res.reserved, res.combined
    if fmt is Format.json:
        emit_json({"optimal": _records(table), "existing": _records(existing) if existing is not None else [],
                   "reserved": _records(reserved) if reserved is not None else [],
                   "combined_aws_order": _records(combined) if combined is not None else [],
                   "curve": _records(curve_df), "findings": findings})
        return
    if curve:
        emit_frame(curve_df, fmt, title="Savings Plan cost around the optimum (USD over the profile)",
                   money=("commitment", "cost", "net_savings"))
        return
    emit_frame(table.drop(columns=[c for c in ("eligible_pools",) if c in table.columns]), fmt,
               title=f"{st.name}: optimal Savings Plan commitment per term and payment (USD)", money=money,
               percent=("discount", "coverage", "utilisation", "savings_share"))
    if fmt is Format.csv:  # one table per CSV: the optimum per option (--format json has everything)
        return
    if existing is not None and len(existing):
        _gap(fmt)
        emit_frame(existing[["name", "term", "payment", "commitment", "optimal_commitment", "coverage", "utilisation",
                             "net_savings", "break_even_month"]], fmt,
                   title="The stack's own Savings Plans on the same usage", money=money,
                   percent=("coverage", "utilisation"))
    if combined is not None and len(combined) and fmt in (Format.table, Format.markdown):
        _gap(fmt)
        emit_frame(combined[["term", "payment", "order", "plan", "scope", "discount", "commitment", "net_savings"]], fmt,
                   title="EC2 Instance Savings Plans, then a Compute Savings Plan on the rest (AWS's order); "
                         "net_savings is for the whole combination",
                   money=("commitment", "net_savings"), percent=("discount",))
    if reserved is not None and len(reserved) and fmt in (Format.table, Format.markdown):
        _gap(fmt)
        emit_frame(reserved[["resource", "instance_type", "term", "payment", "count", "discount", "utilisation",
                             "net_savings", "break_even_month"]], fmt,
                   title="Alternatively, standard reserved instances per resource (RIs apply before Savings Plans)",
                   money=("net_savings",), percent=("discount", "utilisation"))
    grade = _rate_grade(st, cat, table) if existing is not None else None
    if grade:
        warn(grade)
    for f in findings:
        finding(f)


def _rate_grade(stack, catalog, table) -> str | None:
    """A sentence when Savings Plan rates behind the sizing are estimate-grade."""
    from costplan.errors import PriceNotFoundError

    total = unverified = 0
    sources = set()
    for rname, region in stack.regions.items():
        for pool in region.node_pools.values():
            if pool.capacity == "spot":
                continue
            for itype in pool.instance_types:
                for t, pay in {(r.term, r.payment) for r in table.itertuples()}:
                    try:
                        p = catalog.price("AmazonEC2", itype, rname, "instance-hour", "", "savings_plan", t, pay,
                                          "compute")
                    except PriceNotFoundError:
                        continue
                    total += 1
                    if not p.verified:
                        unverified += 1
                        sources.add(p.source)
    if not unverified:
        return None
    return (f"the sizing rests on estimate-grade Savings Plan rates: {unverified} of {total} rates "
            f"(instance type x region x option) are not verified against a primary source "
            f"({', '.join(sorted(sources)[:3])}); treat the savings as indicative")
