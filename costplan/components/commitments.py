"""Savings Plans, reserved instances and capacity reservations applied to an estimate.

AWS's order: reserved instances first, then EC2 Instance Savings Plans, then Compute Savings
Plans; within a plan, the usage with the highest discount first. Unused commitment is still
paid. Each commitment gives two lines: its fee (positive) and the on-demand cost of the usage
it covers (negative); their sum is the net saving (negative) or loss (positive).
"""

from __future__ import annotations

from dataclasses import dataclass

from costplan.components.base import CostLine, PricingContext
from costplan.components.products import service_name
from costplan.errors import PriceNotFoundError
from costplan.stack.models import Commitments


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
        ServiceName=service_name(service), description=desc, sku=sku, usage=usage, variant=variant,
        pricing_model=model, PricingQuantity=quantity, PricingUnit=unit, ListUnitPrice=unit_price, ListCost=cost,
        price_source=source, price_as_of=as_of, price_verified=verified, path=path, scaling="commitment",
    )


# EC2 normalisation factors by size (AWS, "How Reserved Instances are applied", instance size
# flexibility): a regional Linux RI's units cover any size of its family, smallest size first.
NORMALISATION_FACTORS = {"nano": 0.25, "micro": 0.5, "small": 1.0, "medium": 2.0, "large": 4.0, "xlarge": 8.0}


def normalisation_factor(instance_type: str) -> float | None:
    """Units of one instance of ``instance_type`` [1] (``c5.2xlarge`` -> 16), or None for a
    size without a factor (``metal``), which an RI then covers only by exact type."""
    size = instance_type.split(".", 1)[-1]
    if size in NORMALISATION_FACTORS:
        return NORMALISATION_FACTORS[size]
    if size.endswith("xlarge") and size[: -len("xlarge")].isdigit():
        return 8.0 * int(size[: -len("xlarge")])
    return None


def _family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def _covered_by_ri(ri, service: str, variant: str, usage: list[CostLine], remaining: dict[int, float],
                   hours: float) -> tuple[float, float]:
    """Apply one RI to the uncovered instances in ``remaining`` (changed in place).

    EC2 RIs here are regional Linux RIs, size-flexible within their family: ``count`` x the
    normalisation factor of the RI's size is spread over the family's running instances,
    smallest size first; a partly covered instance keeps the rest of its hour on demand.
    RDS and ElastiCache RIs (and EC2 sizes without a factor) match their exact class.
    Returns ``(count-equivalent used, on-demand cost covered [USD/month])``."""
    nf = normalisation_factor(ri.instance_type) if service == "AmazonEC2" else None
    if nf is None:
        match = [i for i, ln in enumerate(usage) if i in remaining
                 and (ln.ServiceCode, ln.sku, ln.RegionId, ln.variant) == (service, ri.instance_type, ri.region, variant)]
        sizes = {i: 1.0 for i in match}
    else:
        match = [i for i, ln in enumerate(usage) if i in remaining and ln.ServiceCode == service
                 and ln.RegionId == ri.region and ln.variant == variant and _family(ln.sku) == _family(ri.instance_type)
                 and normalisation_factor(ln.sku) is not None]
        sizes = {i: normalisation_factor(usage[i].sku) / nf for i in match}  # RI counts per instance
        match.sort(key=lambda i: sizes[i])
    left = float(ri.count)
    covered_cost = 0.0
    for i in match:
        if left <= 1e-12:
            break
        take = min(remaining[i], left / sizes[i])  # instances covered
        remaining[i] -= take
        left -= take * sizes[i]
        covered_cost += take * hours * usage[i].ListUnitPrice
    return ri.count - left, covered_cost


def apply_commitments(commitments: Commitments, usage: list[CostLine], ctx: PricingContext) -> tuple[list[CostLine], list[Finding]]:
    """Commitment lines for ``usage`` (the estimate's priced lines) and lint findings.

    Order (AWS): capacity reservations first (an unused reserved instance-hour is billed at
    the on-demand rate and is then usage the discounts below can cover; a used one is the
    running instance itself, billed once), then reserved instances, then EC2 Instance Savings
    Plans, then Compute Savings Plans."""
    out: list[CostLine] = []
    findings: list[Finding] = []
    # hourly on-demand instance usage still uncovered, per line (instances running per hour)
    remaining: dict[int, float] = {
        i: ln.PricingQuantity / ctx.hours
        for i, ln in enumerate(usage)
        if ln.pricing_model == "on_demand" and ln.usage in ("instance-hour", "node-hour")
    }
    usage = list(usage)
    cr_lines = _capacity_reservations(commitments, usage, remaining, ctx, findings)
    for ln in cr_lines:  # unused reserved capacity: on-demand usage the RIs and plans may cover
        remaining[len(usage)] = ln.PricingQuantity / ctx.hours
        usage.append(ln)

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
        used, covered_cost = _covered_by_ri(ri, service, variant, usage, remaining, ctx.hours)
        left = ri.count - used
        if covered_cost:
            out.append(_line(ctx, f"commitments/reserved_instances/{name}", ri.region, service, ri.instance_type,
                             usage_name, used * ctx.hours, "Hrs", 0.0, -covered_cost,
                             "on-demand usage covered by the RI", "reserved", rate.source, rate.as_of, rate.verified,
                             path, variant))
        if left > 1e-9:
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
    return out + cr_lines, findings


def _capacity_reservations(commitments: Commitments, usage: list[CostLine], running: dict[int, float],
                           ctx: PricingContext, findings: list[Finding]) -> list[CostLine]:
    """Lines for the unused part of each capacity reservation [USD/month].

    A reservation is used by the matching instances that run (same type and region), whether
    or not an RI or a Savings Plan later discounts them: those instances are billed once, as
    usage. Only reserved instance-hours no instance runs in are billed again, at on-demand."""
    out = []
    used = dict(running)  # instances per line not yet matched to a reservation
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
        need = float(cr.count)
        for i, ln in enumerate(usage):
            if i in used and ln.sku == cr.instance_type and ln.RegionId == cr.region and ln.ServiceCode == "AmazonEC2":
                take = min(need, used[i])
                used[i] -= take
                need -= take
        findings.append(Finding("warning", name, "capacity reservations are billed at on-demand rates; they give no "
                                                 "discount unless a Savings Plan or regional RI applies"))
        if need > 1e-9:
            p = ctx.catalog.price("AmazonEC2", cr.instance_type, cr.region, "instance-hour")
            out.append(_line(ctx, f"commitments/capacity_reservations/{name}", cr.region, "AmazonEC2", cr.instance_type,
                             "instance-hour", need * ctx.hours, p.unit, p.unit_price, need * ctx.hours * p.unit_price,
                             f"unused capacity reservation: {need:g} x {cr.instance_type}", "on_demand", p.source,
                             p.as_of, p.verified, f"commitments.capacity_reservations.{name}"))
    return out


def _problem(ctx, path, exc):
    from costplan.errors import Problem

    return Problem(exc.problems[0].message, file=ctx.file, line=ctx.line_no(path), location=path)
