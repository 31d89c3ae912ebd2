"""Savings Plans, reserved instances and capacity reservations applied to an estimate.

AWS's order: reserved instances first, then EC2 Instance Savings Plans, then Compute Savings
Plans; within a plan, the usage with the highest discount first. Unused commitment is still
paid. Each commitment gives two lines: its fee (positive) and the on-demand cost of the usage
it covers (negative); their sum is the net saving (negative) or loss (positive).
"""

from __future__ import annotations

from dataclasses import dataclass

from costplan.components.base import CostLine, PricingContext
from costplan.errors import PriceNotFoundError
from costplan.stack.models import Commitments
from costplan.units import SERVICE_NAMES


@dataclass
class Finding:
    """A commitment that cannot do what its author expects."""

    severity: str  # "error" | "warning"
    commitment: str
    message: str


def _line(ctx, component, region, service, sku, usage, quantity, unit, unit_price, cost, desc, model, source, as_of,
          verified, path, variant="") -> CostLine:
    return CostLine(
        component=component, component_kind="commitment", RegionId=region, ServiceCode=service,
        ServiceName=SERVICE_NAMES.get(service, service), description=desc, sku=sku, usage=usage, variant=variant,
        pricing_model=model, PricingQuantity=quantity, PricingUnit=unit, ListUnitPrice=unit_price, ListCost=cost,
        price_source=source, price_as_of=as_of, price_verified=verified, path=path,
    )


def apply_commitments(commitments: Commitments, usage: list[CostLine], ctx: PricingContext) -> tuple[list[CostLine], list[Finding]]:
    """Commitment lines for ``usage`` (the estimate's priced lines) and lint findings."""
    out: list[CostLine] = []
    findings: list[Finding] = []
    # hourly on-demand instance usage still uncovered, per line (instances running per hour)
    remaining: dict[int, float] = {
        i: ln.PricingQuantity / ctx.hours
        for i, ln in enumerate(usage)
        if ln.pricing_model == "on_demand" and ln.usage in ("instance-hour", "node-hour")
    }

    svc_for = {"ec2": "AmazonEC2", "rds": "AmazonRDS", "elasticache": "AmazonElastiCache"}
    for name, ri in commitments.reserved_instances.items():
        service = svc_for[ri.service]
        path = f"commitments.reserved_instances.{name}"
        variant = ""
        if ri.service == "rds":
            variant = f"{ri.engine or 'postgresql'}:{'multi-az' if ri.multi_az else 'single-az'}"
        elif ri.service == "elasticache":
            variant = ri.engine or "redis"
        usage_name = "node-hour" if ri.service == "elasticache" else "instance-hour"
        try:
            rate = ctx.catalog.price(service, ri.instance_type, ri.region, usage_name, variant, "reserved", ri.term,
                                     ri.payment, ri.offering_class)
        except PriceNotFoundError as exc:
            ctx.problems.append(_problem(ctx, path, exc))
            continue
        fee = ri.count * ctx.hours * rate.unit_price
        out.append(_line(ctx, f"commitments/reserved_instances/{name}", ri.region, service, ri.instance_type,
                         usage_name, ri.count * ctx.hours, rate.unit, rate.unit_price, fee,
                         f"RI {ri.count} x {ri.instance_type} {ri.offering_class} {ri.term} {ri.payment} (effective rate)",
                         "reserved", rate.source, rate.as_of, rate.verified, path, variant))
        left = float(ri.count)
        covered_cost = 0.0
        for i, ln in enumerate(usage):
            if i not in remaining or left <= 0:
                continue
            if (ln.ServiceCode, ln.sku, ln.RegionId, ln.variant) != (service, ri.instance_type, ri.region, variant):
                continue
            take = min(left, remaining[i])
            remaining[i] -= take
            left -= take
            covered_cost += take * ctx.hours * ln.ListUnitPrice
        if covered_cost:
            out.append(_line(ctx, f"commitments/reserved_instances/{name}", ri.region, service, ri.instance_type,
                             usage_name, (ri.count - left) * ctx.hours, "Hrs", 0.0, -covered_cost,
                             "on-demand usage covered by the RI", "reserved", rate.source, rate.as_of, rate.verified,
                             path, variant))
        if left > 0:
            findings.append(Finding("warning", name, f"{left:g} of {ri.count} reserved {ri.instance_type} in {ri.region} "
                                                     "match no running instance: paid but unused"))

    order = sorted(commitments.savings_plans.items(), key=lambda kv: 0 if kv[1].type == "ec2-instance" else 1)
    for name, sp in order:
        path = f"commitments.savings_plans.{name}"
        comp = f"commitments/savings_plans/{name}"
        fee = sp.hourly_commitment * ctx.hours
        region = sp.region or "global"
        out.append(_line(ctx, comp, region, "ComputeSavingsPlans", f"{sp.type}-savings-plan", "commitment-hour",
                         ctx.hours, "Hrs", sp.hourly_commitment, fee,
                         f"{sp.type} Savings Plan {sp.term} {sp.payment}: ${sp.hourly_commitment:,.4g}/h commitment",
                         "savings_plan", "stack spec", "", True, path))
        # eligible lines with their SP rate, highest discount first
        cands = []
        missing = []
        for i, ln in enumerate(usage):
            if i not in remaining or remaining[i] <= 0 or ln.ServiceCode != "AmazonEC2":
                continue
            if sp.type == "ec2-instance" and (ln.RegionId != sp.region or ln.sku.split(".")[0] != sp.instance_family):
                continue
            try:
                rate = ctx.catalog.price("AmazonEC2", ln.sku, ln.RegionId, "instance-hour", "", "savings_plan", sp.term,
                                         sp.payment, sp.type)
            except PriceNotFoundError:
                missing.append(f"{ln.sku} in {ln.RegionId}")
                continue
            cands.append((1 - rate.unit_price / ln.ListUnitPrice, rate.unit_price, i, rate))
        if missing:
            ctx.warnings.append(
                f"{path}: no {sp.type} Savings Plan rate ({sp.term}, {sp.payment}) in the catalog for "
                f"{', '.join(sorted(set(missing)))}; that usage is treated as not covered"
            )
        cands.sort(key=lambda c: (-c[0], c[1]))
        budget = sp.hourly_commitment
        covered_cost = 0.0
        verified = True
        sources = set()
        for _disc, sp_rate, i, rate in cands:
            if budget <= 1e-12:
                break
            take = min(remaining[i], budget / sp_rate)
            remaining[i] -= take
            budget -= take * sp_rate
            covered_cost += take * ctx.hours * usage[i].ListUnitPrice
            verified &= rate.verified
            sources.add(rate.source)
        out.append(_line(ctx, comp, region, "ComputeSavingsPlans", f"{sp.type}-savings-plan", "covered-usage",
                         (sp.hourly_commitment - budget) * ctx.hours, "USD", 1.0, -covered_cost,
                         f"on-demand usage covered (commitment used {100 * (1 - budget / sp.hourly_commitment):.0f}%)",
                         "savings_plan", ";".join(sorted(sources)) or "catalog", "", verified, path))
        if budget > 1e-9:
            findings.append(Finding(
                "warning", name,
                f"${budget:,.4g}/h of the ${sp.hourly_commitment:,.4g}/h commitment finds no eligible on-demand usage: "
                f"${budget * ctx.hours:,.2f} a month paid for nothing",
            ))

    for name, cr in commitments.capacity_reservations.items():
        if not ctx.catalog.has("AmazonEC2", cr.instance_type, cr.region, "instance-hour"):
            kind = ("an RDS DB instance class" if cr.instance_type.startswith("db.")
                    else "an ElastiCache node type" if cr.instance_type.startswith("cache.") else "not a known EC2 type")
            findings.append(Finding(
                "error", name,
                f"capacity reservation for {cr.instance_type!r}: {kind}. EC2 capacity reservations reserve EC2 "
                "capacity at on-demand rates and give no discount; they cannot apply to RDS or ElastiCache. "
                "For a database discount buy RDS reserved instances (or a Database Savings Plan).",
            ))
            continue
        matched = sum(remaining.get(i, 0) for i, ln in enumerate(usage)
                      if ln.sku == cr.instance_type and ln.RegionId == cr.region and ln.ServiceCode == "AmazonEC2")
        unused = max(0.0, cr.count - matched)
        findings.append(Finding("warning", name, "capacity reservations are billed at on-demand rates; they give no "
                                                 "discount unless a Savings Plan or regional RI applies"))
        if unused:
            p = ctx.catalog.price("AmazonEC2", cr.instance_type, cr.region, "instance-hour")
            out.append(_line(ctx, f"commitments/capacity_reservations/{name}", cr.region, "AmazonEC2", cr.instance_type,
                             "instance-hour", unused * ctx.hours, p.unit, p.unit_price, unused * ctx.hours * p.unit_price,
                             f"unused capacity reservation: {unused:g} x {cr.instance_type}", "on_demand", p.source,
                             p.as_of, p.verified, f"commitments.capacity_reservations.{name}"))
    return out, findings


def _problem(ctx, path, exc):
    from costplan.errors import Problem

    return Problem(exc.problems[0].message, file=ctx.file, line=ctx.line_no(path), location=path)
