"""``costplan estimate``: monthly cost lines and the claimed-budget audit."""

from __future__ import annotations

import typer

from costplan.cli.common import (
    BILL_RATES_OPTION,
    RATES_OPTION,
    STRICT_PRICES_OPTION,
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
from costplan.cli.plan_focus import PLAN_FORMAT_OPTION, PlanFormat, emit_estimate

HELP = """Price a stack: one line per cost component (instance hours, GB-months, IOPS,
requests, GB transferred), with unit price, monthly cost and the price's source; totals by
service, region and component.

With --compare, audit a claimed cost table (e.g. a planning document's) against the priced
stack: claimed vs computed per line, the ratio, and the likely reason for lines off by more
than 10%; plus lint of commitments that cannot do what their author expects.

Examples:

  costplan estimate data/ultibiker/stack.yaml

  costplan estimate data/ultibiker/stack.yaml --scenario app-on-spot --format json

  costplan estimate data/ultibiker/stack.yaml --compare data/ultibiker/claimed-costs.yaml

  costplan estimate --format focus > plan-focus.csv     # the plan as FOCUS rows

  costplan estimate --strict-prices     # exit 2 if any line rests on an estimate-grade price
"""


def register(app: typer.Typer) -> None:
    app.command("estimate", help=help_text(HELP))(estimate_cmd)


@cli_errors
def estimate_cmd(
    stack: str | None = typer.Argument(None, help="Stack spec YAML (default: the bundled UltiBiker stack)."),
    compare: str | None = typer.Option(None, "--compare", help="Claimed cost table YAML to audit."),
    scenario: str | None = typer.Option(None, "--scenario", "-s", help="A named scenario of the stack."),
    by: str | None = typer.Option(
        None, "--by", help="Show totals by ServiceName (service), RegionId (region), component (path) or "
        "component_kind (kind) instead of lines."
    ),
    catalog_path: str | None = typer.Option(None, "--catalog", help="Catalog CSV (default: embedded snapshot)."),
    rates: str = RATES_OPTION,
    bill_rates: str | None = BILL_RATES_OPTION,
    strict_prices: bool | None = STRICT_PRICES_OPTION,
    fmt: PlanFormat = PLAN_FORMAT_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    from costplan.config import load_settings
    from costplan.errors import InputError
    from costplan.estimator import estimate
    from costplan.pricing.lookup import get_catalog
    from costplan.stack import load_stack

    cfg = load_settings(stack=stack, catalog=catalog_path, strict_prices=strict_prices)
    st = load_stack(cfg.stack, scenario=scenario)
    cat = get_catalog(cfg.catalog, rates, bill_rates, stack=st)
    result = estimate(st, cat, strict_prices=cfg.strict_prices)
    if fmt is PlanFormat.focus:
        return emit_estimate(result)
    fmt = Format(fmt.value)
    if by is not None:
        from costplan.cli.common import resolve_by

        by = resolve_by([by])[0]
    if by is not None and by not in ("ServiceName", "RegionId", "component", "component_kind"):
        raise InputError(f"--by {by!r} is not valid; use ServiceName (service), RegionId (region), component "
                         "(a path such as us-east-1/node_pools/app) or component_kind (kind)")

    if compare:
        from costplan.audit import audit

        res = audit(compare, result, stack=st, catalog=cat)
        if fmt is Format.json:
            out = result.to_dict()
            out.update(res.to_dict())
            emit_json(out)
            return
        if fmt is Format.csv:
            emit_frame(res.comparison, fmt)
            return
        emit_frame(
            res.comparison[["line", "label", "claimed", "computed", "difference", "ratio", "flag"]].assign(
                ratio=res.comparison.ratio.round(2)
            ),
            fmt,
            title=f"Claimed vs computed: {res.source}",
            money=("claimed", "computed", "difference"),
        )
        info("Why lines are off:")
        for row in res.comparison[res.comparison.flag != "ok"].itertuples():
            info(f"- {row.line}: {row.reason}")
        for n in res.notes:
            info(f"- {n}")
        for f in res.lint:
            finding(f"{f['commitment']}: {f['message']}", f["severity"])
        return

    if fmt is Format.json:
        emit_json(result.to_dict())
        return
    if by:
        # the totals include the commitment lines (a Savings Plan's fee and the on-demand cost it
        # covers, negative): the column is the net monthly cost, not list prices
        totals = result.totals_rows(by).rename({"ListCost": "net_monthly_cost", "share": "share_of_net"})
        emit_frame(totals, fmt, title=f"{result.stack_name}: monthly cost by {by}, after commitments (USD)",
                   money=("net_monthly_cost",), percent=("share_of_net",),
                   caption="commitments are their own rows (negative: the on-demand cost they cover); "
                           "shares are of the net total")
    else:
        if fmt is Format.csv:
            emit_frame(result.lines, fmt)
            return
        cols = ["component", "description", "PricingQuantity", "PricingUnit", "ListUnitPrice", "ListCost", "price_verified"]
        if rates == "bill":
            cols.append("price_source")
        view = result.rows(cols).rename({"PricingQuantity": "quantity", "PricingUnit": "unit",
                                         "ListUnitPrice": "unit_price", "ListCost": "monthly_cost",
                                         "price_verified": "verified", "price_source": "rate"})
        if "rate" in view:
            view = view.map_column("rate", lambda s: "bill" if str(s).startswith("bill ") else "list")
        emit_frame(view, fmt, title=f"{result.stack_name}: monthly estimate (USD)", money=("monthly_cost",),
                   caption=f"catalog as of {result.catalog_as_of}")
    if fmt in (Format.table, Format.markdown):
        info(
            f"Total: ${result.total_monthly_cost:,.2f}/month (before commitments ${result.on_demand_monthly_cost:,.2f})"
        )
    if rates == "bill":
        from_bill = [str(ln.price_source) for ln in result.cost_lines if str(ln.price_source).startswith("bill ")]
        sources = sorted(set(from_bill))
        info(f"{len(from_bill)} of {len(result.cost_lines)} lines priced at your rates from the bill "
             f"({', '.join(sources) or 'none'}); the others at the catalog's list prices")
        if not cat.manifest.get("bill_rate_rows"):
            warn(f"the bill-rate overlay has no {cat.manifest.get('bill_rate_kind', 'effective')} rates (written by an "
                 "earlier costplan, or the bill has none): every line is at the catalog's list price; run "
                 "`costplan prices from-bill` again")
        if cat.manifest.get("bill_rate_kind") == "contracted":
            info("the stack models Savings Plans or reservations of its own: priced at the bill's contracted rates "
                 "(after negotiated discounts, before commitments), so its commitments are applied once")
        else:
            info("the stack models no Savings Plans or reservations: priced at the bill's effective rates (after "
                 "negotiated discounts and the bill's own commitments)")
    for w in result.warnings:
        warn(w)
    for f in result.findings:
        finding(f"{f.commitment}: {f.message}", f.severity)
