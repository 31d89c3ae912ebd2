"""``costplan prices``: look up prices with their provenance."""

from __future__ import annotations

from typing import Optional

import typer

from costplan.cli.common import FORMAT_OPTION, Format, cli_errors, emit_frame, emit_json, help_text

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
    region: Optional[str] = typer.Option(None, "--region", "-r", help="AWS region code; all regions if omitted."),
    model: Optional[str] = typer.Option(
        None, "--model", help="Only one pricing model: on_demand, spot, reserved or savings_plan."
    ),
    catalog_path: Optional[str] = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    from costplan.pricing.lookup import show_prices

    df = show_prices(sku, region=region, pricing_model=model, catalog_path=catalog_path)
    if fmt is Format.json:
        emit_json(df.to_dict(orient="records"))
        return
    if fmt is Format.csv:
        emit_frame(df, fmt)
        return
    from costplan.pricing.lookup import compact_view

    title = f"{sku} prices" + (f" in {region}" if region else "")
    emit_frame(compact_view(df, with_region=region is None), fmt, title=title,
               caption="verified = read from a primary or machine-readable source; --format json for notes")
