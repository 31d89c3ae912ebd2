"""``costplan prices``: look up prices with their provenance."""

from __future__ import annotations

import typer

from costplan.cli.common import (
    FORMAT_OPTION,
    WIDE_OPTION,
    Format,
    cli_errors,
    emit_frame,
    emit_json,
    help_text,
)

prices_app = typer.Typer(
    help="Look up prices with their source and as-of date; catalog coverage; refresh from AWS.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")


SHOW_EXAMPLES = """Print every price the catalog knows for one SKU: on-demand, spot and
commitment rates side by side, each with unit, source and as-of date.

SKU is AWS's own name (c5.large, db.r6g.xlarge, cache.r7g.large, gp3) or a costplan item
name for the rest (nat-gateway, alb, nlb, eks-cluster, s3-standard,
data-transfer-out-internet, cloudwatch-metrics, ...; `costplan prices info` lists them).

Examples:

  costplan prices show c5.large --region us-east-1

  costplan prices show db.r6g.xlarge --region eu-west-1 --format json
"""


@prices_app.command("show", help=help_text(SHOW_EXAMPLES))
@cli_errors
def show(
    sku: str = typer.Argument(..., help="Instance type, node class, volume type or service item."),
    region: str | None = typer.Option(None, "--region", "-r", help="AWS region code; all regions if omitted."),
    model: str | None = typer.Option(
        None, "--model", help="Only one pricing model: on_demand, spot, reserved or savings_plan."
    ),
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot)."),
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    if fmt in (Format.json, Format.csv):
        from costplan.pricing.lookup import show_prices

        df = show_prices(sku, region=region, pricing_model=model, catalog_path=catalog_path)
        if fmt is Format.json:
            emit_json(df.to_dict(orient="records"))
        else:
            emit_frame(df, fmt)
        return
    from costplan.pricing.lookup import compact_rows, price_rows

    # a printed table needs the catalog and rich, not pandas
    prices = price_rows(sku, region=region, pricing_model=model, catalog_path=catalog_path)
    title = f"{sku} prices" + (f" in {region}" if region else "")
    emit_frame(compact_rows(prices, with_region=region is None), fmt, title=title,
               caption="verified = read from a primary or machine-readable source; --format json for notes")


INFO_HELP = """What the price catalog holds and how far to trust it: the snapshot and
as-of dates, the sources listed in the manifest (with how many prices each gave), row counts
per service and pricing model, and the coverage of service x region (in the terminal, a count
of regions per service; the full matrix with --format markdown, csv or json), each cell
`verified` (every price read from a machine-readable AWS source), `estimate` (some prices are
derived; see their note) or `missing` (no price: an estimate there fails rather than use $0).

Examples:

  costplan prices info

  costplan prices info --catalog data/prices/ --format json
"""


@prices_app.command("info", help=help_text(INFO_HELP))
@cli_errors
def info_cmd(
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog CSV or folder (default: the catalog in use)."),
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.cli.common import frame_to_markdown
    from costplan.pricing.info import catalog_info
    from costplan.pricing.lookup import get_catalog

    info = catalog_info(get_catalog(catalog_path))
    if fmt is Format.json:
        emit_json(info.to_dict())
        return
    if fmt is Format.csv:
        emit_frame(info.coverage_rows(), fmt)
        return
    # printed tables: the catalog and rich suffice, no pandas
    s = info.summary
    head = (
        f"catalog {s['file'] or '(in memory)'}: {s['rows']} prices ({s['verified_rows']} verified, "
        f"{s['estimate_rows']} estimates), as of {s['as_of'] or '?'}; generated {s['generated'] or '?'}; "
        f"price dates {s['oldest_price']} to {s['newest_price']}"
    )
    if fmt is Format.markdown:
        import sys

        parts = [
            head,
            frame_to_markdown(info.sources_rows(["id", "as_of", "rows", "license", "notes"]), title="Sources"),
            frame_to_markdown(info.counts_rows(), title="Prices per service and pricing model"),
            frame_to_markdown(info.coverage_matrix_rows(), title="Coverage (service x region)"),
        ]
        sys.stdout.write("\n\n".join(parts) + "\n")
        return
    from costplan.cli.common import console_out

    console_out().print(head, highlight=False, overflow="fold")  # wrapped at the terminal's width
    emit_frame(info.sources_rows(["id", "as_of", "rows", "license"]), fmt,
               title="Sources (notes: --format markdown or json)")
    emit_frame(info.counts_rows(), fmt, title="Prices per service and pricing model")
    n = len([r for r in s["regions"] if r != "global"])
    emit_frame(info.coverage_summary_rows(), fmt, title=f"Coverage: regions per service ({n} regions)",
               caption="verified: every price there read from a machine-readable source; estimate: some "
               "derived (see their note); missing: no price. Per region: --format markdown, csv or json")


REFRESH_HELP = """Fetch current list prices from AWS and write them over the last good
catalog. By default (--source bulk) from AWS's public bulk Price List files, which need no AWS
account or credentials: the offer index, each service's region index and one CSV offer file
per service and region (on-demand and reserved prices), and the Savings Plans offer files
(Compute and EC2 Instance plan rates). Files are cached by offer version
(~/.cache/costplan/price-list, --cache-dir), resumed after an interruption and downloaded at
most --parallel at a time. --source query uses the AWS Price List API (pricing:GetProducts),
Savings Plans rates (savingsplans:DescribeSavingsPlansOfferingRates) and spot history
(ec2:DescribeSpotPriceHistory) instead, with the standard AWS credential chain.

Prices that are not refreshed are kept; if anything fails nothing is written and the last good
catalog stays as it was. --dry-run lists what would be downloaded (and how big) or the API
requests, and writes nothing.

Services: AmazonEC2, AmazonRDS, AmazonElastiCache, AWSELB, AmazonEKS, AmazonS3, savings-plans,
and with --source query ec2-spot (default: all).

Examples:

  costplan prices refresh --regions us-east-1,eu-west-1 --dry-run

  costplan prices refresh --regions eu-west-1 --services AmazonEC2,savings-plans

  costplan prices refresh --source query --regions us-east-1 --services AmazonEC2,ec2-spot --profile billing

  costplan prices refresh --regions eu-west-1 --out data/prices/ --format json
"""


FROM_BILL_HELP = """Your own unit prices from your bill. For every (service, usage type,
region) of a month's usage in the store (a CUR 2.0 or FOCUS import), three unit prices: list
(public on-demand), contracted (after your negotiated discounts such as an EDP, before Savings
Plans and reservations) and effective (after both, amortised). A CUR 2.0 export carries the
negotiated discounts in its net columns (line_item_net_unblended_cost, ...); FOCUS in
ContractedCost and EffectiveCost.
The rates that match a catalog price are written as two catalog overlays (source "bill
<billing account> <period>") into data/bill-rates/<period>/ (effective) and its contracted/
folder (or --out); `costplan estimate`, `project` and `report` with --rates bill then price
the plan at your rates, falling back to the catalog where the bill has no price: at the
contracted rates when the stack models Savings Plans or reservations of its own (so they are
applied once), else at the effective rates.

Examples:

  costplan prices from-bill --store costplan.duckdb --month 2026-10

  costplan estimate data/ultibiker/stack.yaml --rates bill
"""


@prices_app.command("from-bill", help=help_text(FROM_BILL_HELP))
@cli_errors
def from_bill_cmd(
    store_path: str | None = typer.Option(None, "--store", help="DuckDB store of actual spend (default: setting `store`)."),
    month: str | None = typer.Option(None, "--month", "-m", help="YYYY-MM (default: the last complete month)."),
    out: str | None = typer.Option(None, "--out", help="Overlay folder (default: data/bill-rates/)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from costplan import config
    from costplan.actuals.privacy import mask_frame
    from costplan.actuals.store import Store
    from costplan.cli.common import info, warn
    from costplan.pricing.from_bill import from_bill

    with Store.open_default(config.load_settings(store=store_path).store, read_only=True) as store:
        if store.is_synthetic():
            warn("the store holds the SYNTHETIC sample, not a real bill: these are not anybody's rates")
        res = from_bill(store, month, out)
    df = mask_frame(res.rates)
    cols = ["ServiceName", "x_UsageType", "RegionId", "PricingUnit", "PricingQuantity", "ListUnitPrice",
            "ContractedUnitPrice", "EffectiveUnitPrice", "sku", "not_mapped"]
    if fmt is Format.json:
        from costplan.frames import json_records

        emit_json({"period": res.period, "source": res.source, "path": str(res.path) if res.path else None,
                   "contracted_path": str(res.contracted_path) if res.contracted_path else None,
                   "rates": json_records(df[cols]), "overlay_rows": len(res.prices),
                   "contracted_rows": len(res.contracted), "warnings": res.warnings})
        return
    if fmt is Format.csv:
        emit_frame(df[cols], fmt)
        return
    emit_frame(df[cols].rename(columns={"x_UsageType": "usage type", "PricingQuantity": "quantity",
                                        "ListUnitPrice": "list", "EffectiveUnitPrice": "effective",
                                        "ContractedUnitPrice": "contracted", "sku": "catalog sku"}),
               fmt, title=f"Unit prices from the bill, {res.period} (USD per unit)")
    n_unmapped = int((res.rates["not_mapped"] != "").sum())
    if res.path:
        info(f"wrote {res.path}: {len(res.prices)} rates ({res.source}); use them with --rates bill")
        if res.contracted_path:
            info(f"wrote {res.contracted_path}: {len(res.contracted)} contracted rates (for a stack with commitments)")
    else:
        warn("no line of the bill matches a catalog price; nothing was written")
    if n_unmapped:
        info(f"{n_unmapped} bill lines have no catalog price to replace (see not_mapped); they stay at list prices")
    for w in res.warnings:
        warn(w)


def make_session(profile: str | None):
    """A boto3 session for ``--profile`` (or the default credential chain)."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    from costplan.errors import InputError

    try:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound as exc:
        available = ", ".join(boto3.Session().available_profiles) or "none configured"
        raise InputError(f"--profile: {exc} (profiles: {available})") from None


@prices_app.command("refresh", help=help_text(REFRESH_HELP))
@cli_errors
def refresh_cmd(
    regions: str = typer.Option("us-east-1,eu-west-1", "--regions", help="Comma-separated AWS region codes."),
    services: str | None = typer.Option(None, "--services", help="Comma-separated services to refresh (default: all)."),
    out: str | None = typer.Option(
        None, "--out", help="Catalog CSV or folder to write (default: beside the catalog refreshed, dated today)."
    ),
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog to refresh (default: the catalog in use)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the requests; do not call AWS or write anything."),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile (default: the standard credential chain)."),
    spot_types: str | None = typer.Option(
        None, "--spot-instance-types", help="Instance types whose spot history is summarised (default: those with spot prices)."
    ),
    spot_days: int = typer.Option(30, "--spot-days", min=1, max=90, help="Days of spot history to summarise."),
    pricing_region: str = typer.Option(
        "us-east-1", "--pricing-endpoint", help="Price List API endpoint region: us-east-1, ap-south-1 or eu-central-1."
    ),
    source: str = typer.Option("bulk", "--source", help="bulk (public price list files, no account) or query (API)."),
    cache_dir: str | None = typer.Option(
        None, "--cache-dir", help="Download cache of the bulk files (default: ~/.cache/costplan/price-list)."
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, max=16, help="Bulk files downloaded and read at once."),
    price_list_url: str | None = typer.Option(
        None, "--price-list-url", help="Base URL of the bulk files (default: setting price_list_url / COSTPLAN_PRICE_LIST_URL)."
    ),
    fmt: Format = FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.cli.common import info, warn
    from costplan.pricing.refresh import check_selection, refresh_catalog

    check_selection(regions, services, source)  # bad input exits 2 before anything else happens
    if source == "bulk":
        _refresh_bulk(regions, services, out, catalog_path, dry_run, cache_dir, parallel, price_list_url, fmt)
        return
    types = [t.strip() for t in spot_types.split(",") if t.strip()] if spot_types else None
    kwargs = dict(
        out=out, base=catalog_path, spot_instance_types=types, spot_days=spot_days, pricing_region=pricing_region,
    )
    if dry_run:
        result = refresh_catalog(None, regions, services, dry_run=True, **kwargs)
        _render_requests(result, fmt)
        for w in result.warnings:
            warn(w)
        return

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    session = make_session(profile)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=_stderr_console(),
        disable=not _stderr_console().is_terminal,  # piped: no bar, and no blank line where it was
    ) as bar:
        task = bar.add_task("planning", total=None)

        def progress(done: int, total: int, message: str) -> None:
            bar.update(task, completed=done, total=total, description=message[:70])

        result = refresh_catalog(session, regions, services, progress=progress, **kwargs)
    _render_result(result, fmt)
    for w in result.warnings:
        warn(w)
    for c in result.conflicts:
        warn(f"not refreshed: {c}")
    for e in result.empty:
        info(f"no products returned by {e}")
    if result.unmapped:
        info(f"{sum(result.unmapped.values())} AWS products or terms are not in the catalog vocabulary (see 'unmapped')")


def _refresh_bulk(regions, services, out, catalog_path, dry_run, cache_dir, parallel, price_list_url, fmt) -> None:
    from costplan.cli.common import info, warn
    from costplan.pricing.refresh import refresh_from_bulk

    kwargs = dict(out=out, base=catalog_path, cache_dir=cache_dir, parallel=parallel, price_list_url=price_list_url)
    if dry_run:
        result = refresh_from_bulk(regions, services, dry_run=True, **kwargs)
        _render_files(result, fmt)
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    from costplan.pricing import bulk

    with Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(), transient=True, console=_stderr_console(),
    ) as bar:
        task = bar.add_task("price list files", total=None, rows=0)

        class _Bar(bulk.Progress):
            def __init__(self):
                self.rows_done = 0
                import threading

                self.lock = threading.Lock()

            def bytes(self, n, url):
                bar.update(task, advance=n)

            def rows(self, n, url):
                with self.lock:
                    self.rows_done += n
                    bar.update(task, rows=self.rows_done, description=url.rsplit("/", 4)[-4][:30])

        result = refresh_from_bulk(regions, services, progress=_Bar(), **kwargs)
    _render_result(result, fmt)
    for w in result.warnings:
        warn(w)
    for c in result.conflicts:
        warn(f"not refreshed: {c}")
    for e in result.empty:
        info(f"no prices costplan uses in {e}")
    if result.unmapped:
        info(f"{sum(result.unmapped.values())} AWS products or terms are not in the catalog vocabulary (see 'unmapped')")


def _render_files(result, fmt: Format) -> None:
    import pandas as pd

    from costplan.cli.common import info

    files = result.files_table()
    if fmt is Format.json:
        emit_json({"dry_run": True, "source": "bulk", "target": str(result.target), "files": files,
                   "bytes": sum(f["bytes"] or 0 for f in files if not f["cached"])})
        return
    df = pd.DataFrame(
        [{"offer": f["offer"], "region": f["region"], "version": f["version"],
          "size": _size(f["bytes"]), "cached": "yes" if f["cached"] else "", "url": f["url"]} for f in files],
        columns=["offer", "region", "version", "size", "cached", "url"],
    )
    todo = [f for f in files if not f["cached"]]
    unknown = sum(1 for f in todo if f["bytes"] is None)
    emit_frame(df, fmt, title=f"Dry run: {len(files)} price list files ({len(todo)} to download)")
    info(f"would download {_size(sum(f['bytes'] or 0 for f in todo))}"
         + (f" (+{unknown} file(s) of unknown size)" if unknown else "") + f" and write {result.target}")


def _size(n) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _render_requests(result, fmt: Format) -> None:
    import pandas as pd

    if fmt is Format.json:
        emit_json({"dry_run": True, "target": str(result.target), "requests": [r.to_dict() for r in result.requests]})
        return
    df = pd.DataFrame(
        [
            {"call": f"{r.client}.{r.operation}", "endpoint": r.client_region, "selection": r.filters_text()}
            for r in result.requests
        ],
        columns=["call", "endpoint", "selection"],
    )
    emit_frame(df, fmt, title=f"Dry run: {len(df)} requests (each followed to its last page)")
    from costplan.cli.common import info

    info(f"would write {result.target}")


def _render_result(result, fmt: Format) -> None:
    import pandas as pd

    if fmt is Format.json:
        emit_json(result.summary())
        return
    rows = [{"service": s, "region": r, "rows": n} for (s, r), n in sorted(result.refreshed.items())]
    df = pd.DataFrame(rows, columns=["service", "region", "rows"])
    s = result.summary()
    calls = "HTTP requests" if result.source == "bulk" else "AWS calls"
    caption = (
        f"wrote {s['path']}: {s['rows_total']} prices ({s['rows_replaced']} replaced, {s['rows_added']} new, "
        f"{s['rows_kept']} kept); {s['calls']} {calls}, {s['retries']} retried"
        if s["path"]
        else "nothing written"
    )
    emit_frame(df, fmt, title="Prices refreshed")
    from costplan.cli.common import info

    info(caption)
    if result.unmapped and fmt in (Format.table, Format.markdown):
        um = pd.DataFrame(
            [{"not in the catalog": k, "items": v} for k, v in result.unmapped.most_common()],
            columns=["not in the catalog", "items"],
        )
        emit_frame(um, fmt, title="AWS products not mapped to catalog rows")
