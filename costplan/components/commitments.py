"""Savings Plans, reserved instances and capacity reservations: the one commitment engine.

The estimate and the projection both apply commitments through :class:`CommitmentEngine`:
built once for a stack's commitments and its on-demand instance usage (the catalog lookups
happen there), then applied to the instances running each hour, a float for the estimate's
month or a numpy array of any shape for the projection's ``(paths, months)``; every result
keeps that shape.

AWS's order: capacity reservations are matched to the instances that run (a used reserved
instance-hour is the running instance itself, billed once; an unused one is billed at the
on-demand rate and is then usage the discounts below can cover), then reserved instances,
then EC2 Instance Savings Plans, then Compute Savings Plans; within a plan, the usage with
the highest discount first. Unused commitment is still paid. In the estimate each
commitment gives two lines: its fee (positive) and the on-demand cost of the usage it covers
(negative); their sum is the net saving (negative) or loss (positive).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from costplan.components.base import CostLine, PricingContext
from costplan.components.products import service_name
from costplan.errors import PriceNotFoundError
from costplan.stack.models import Commitments

INSTANCE_USAGES = ("instance-hour", "node-hour")
"""Usages of the on-demand lines commitments may cover: one running instance (or cache node)
an hour."""

RI_SERVICES = {"ec2": "AmazonEC2", "rds": "AmazonRDS", "elasticache": "AmazonElastiCache"}


@dataclass
class Finding:
    """A commitment that cannot do what its author expects."""

    severity: str  # "error" | "warning"
    commitment: str
    message: str


@dataclass(frozen=True)
class Usage:
    """One on-demand instance usage the commitments may cover: instances of one type, one
    region and one variant (RDS engine and deployment, cache engine)."""

    service: str
    sku: str
    region: str
    variant: str
    rate: float
    """On-demand rate [USD/h per instance]."""


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


@dataclass
class _Reservation:
    name: str
    count: float
    region: str
    instance_type: str
    price: object
    """The on-demand :class:`~costplan.pricing.catalog.Price` an unused reserved hour is billed at."""
    matches: list[int]
    """Usage entries it is matched to, in order."""


@dataclass
class _Reserved:
    name: str
    spec: object
    service: str
    variant: str
    usage_name: str
    price: object
    """The RI's effective rate (:class:`~costplan.pricing.catalog.Price`)."""
    matches: list[tuple[int, float]]
    """``(usage entry, RIs per instance)`` in the order AWS applies it."""


@dataclass
class _Plan:
    name: str
    spec: object
    candidates: list[tuple[int, float, object]]
    """``(usage entry, plan rate [USD/h], Price)``, highest discount first."""
    missing: list[tuple[int, str]]
    """Eligible entries without a plan rate in the catalog: ``(entry, "type in region")``."""


@dataclass
class Applied:
    """What the commitments do to one set of running instances; every array keeps the shape
    of the instances given (a float for the estimate's month)."""

    unused_reserved: dict[str, object] = field(default_factory=dict)
    """Capacity reservation -> reserved instances no instance runs in [instances]."""
    ri_used: dict[str, object] = field(default_factory=dict)
    """Reserved instance -> RIs applied [RIs]."""
    ri_covered: dict[str, object] = field(default_factory=dict)
    """Reserved instance -> on-demand cost of the usage it covers [USD/month]."""
    sp_left: dict[str, object] = field(default_factory=dict)
    """Savings Plan -> commitment finding no eligible usage [USD/h]."""
    sp_covered: dict[str, object] = field(default_factory=dict)
    """Savings Plan -> on-demand cost of the usage it covers [USD/month]."""
    sp_prices: dict[str, list] = field(default_factory=dict)
    """Savings Plan -> the plan rates (:class:`~costplan.pricing.catalog.Price`) it used."""
    sp_missing: dict[str, list[str]] = field(default_factory=dict)
    """Savings Plan -> usage it could have covered but the catalog has no plan rate for."""
    remaining: list = field(default_factory=list)
    """Instances per usage entry left on demand [instances] (capacity reservations' unused
    instances after the usage entries)."""


class CommitmentEngine:
    """A stack's commitments, matched to its on-demand instance usage.

    ``usage`` lists what may be covered (:class:`Usage`, one entry per cost line the
    commitments may apply to); :meth:`apply` takes the instances of each entry running each
    hour. Building the engine looks every rate up once: a reserved instance without a rate
    is a problem (``problems``), capacity reservations that cannot apply are ``findings``."""

    def __init__(self, commitments: Commitments, usage: list[Usage], catalog):
        self.commitments = commitments
        self.problems: list[tuple[str, PriceNotFoundError]] = []
        """``(spec path, error)`` of each reserved instance the catalog has no rate for."""
        self.findings: list[Finding] = []
        self.reservations = self._reservations(usage, catalog)
        entries = list(usage) + [Usage("AmazonEC2", r.instance_type, r.region, "", r.price.unit_price)
                                 for r in self.reservations]
        self.entries = entries
        self.reserved = self._reserved(entries, catalog)
        order = sorted(commitments.savings_plans.items(), key=lambda kv: 0 if kv[1].type == "ec2-instance" else 1)
        self.plans = [self._plan(name, sp, entries, catalog) for name, sp in order]

    def __bool__(self) -> bool:
        return bool(self.reservations or self.reserved or self.plans)

    @property
    def touched(self) -> set[int]:
        """The usage entries some commitment may apply to: :meth:`apply` reads only these."""
        n = len(self.entries) - len(self.reservations)
        out = {i for r in self.reservations for i in r.matches}
        out |= {i for ri in self.reserved for i, _ in ri.matches}
        out |= {i for p in self.plans for i, _, _ in p.candidates}
        out |= {i for p in self.plans for i, _ in p.missing}
        return {i for i in out if i < n}

    # -- building: the lookups and the matching, once -------------------------------------
    def _reservations(self, usage: list[Usage], catalog) -> list[_Reservation]:
        out = []
        for name, cr in self.commitments.capacity_reservations.items():
            if not catalog.has("AmazonEC2", cr.instance_type, cr.region, "instance-hour"):
                kind = ("an RDS DB instance class" if cr.instance_type.startswith("db.")
                        else "an ElastiCache node type" if cr.instance_type.startswith("cache.") else "not a known EC2 type")
                self.findings.append(Finding(
                    "error", name,
                    f"capacity reservation for {cr.instance_type!r}: {kind}. EC2 capacity reservations reserve EC2 "
                    "capacity at on-demand rates and give no discount; they cannot apply to RDS or ElastiCache. "
                    "For a database discount buy RDS reserved instances (or a Database Savings Plan).",
                ))
                continue
            self.findings.append(Finding("warning", name, "capacity reservations are billed at on-demand rates; they "
                                                          "give no discount unless a Savings Plan or regional RI applies"))
            matches = [i for i, u in enumerate(usage)
                       if u.service == "AmazonEC2" and u.sku == cr.instance_type and u.region == cr.region]
            price = catalog.price("AmazonEC2", cr.instance_type, cr.region, "instance-hour")
            out.append(_Reservation(name, float(cr.count), cr.region, cr.instance_type, price, matches))
        return out

    def _reserved(self, entries: list[Usage], catalog) -> list[_Reserved]:
        out = []
        for name, ri in self.commitments.reserved_instances.items():
            service = RI_SERVICES[ri.service]
            variant = ""
            if ri.service == "rds":
                variant = f"{ri.engine or 'postgresql'}:{'multi-az' if ri.multi_az else 'single-az'}"
            elif ri.service == "elasticache":
                variant = ri.engine or "redis"
            usage_name = "node-hour" if ri.service == "elasticache" else "instance-hour"
            try:
                price = catalog.price(service, ri.instance_type, ri.region, usage_name, variant, "reserved", ri.term,
                                      ri.payment, ri.offering_class)
            except PriceNotFoundError as exc:
                self.problems.append((f"commitments.reserved_instances.{name}", exc))
                continue
            out.append(_Reserved(name, ri, service, variant, usage_name, price, _ri_matches(ri, service, variant, entries)))
        return out

    @staticmethod
    def _plan(name: str, sp, entries: list[Usage], catalog) -> _Plan:
        cands, missing = [], []
        for i, u in enumerate(entries):
            if u.service != "AmazonEC2":
                continue
            if sp.type == "ec2-instance" and (u.region != sp.region or _family(u.sku) != sp.instance_family):
                continue
            try:
                rate = catalog.price("AmazonEC2", u.sku, u.region, "instance-hour", "", "savings_plan", sp.term,
                                     sp.payment, sp.type)
            except PriceNotFoundError:
                missing.append((i, f"{u.sku} in {u.region}"))
                continue
            cands.append((1 - rate.unit_price / u.rate, rate.unit_price, i, rate))
        cands.sort(key=lambda c: (-c[0], c[1]))  # stable: equal discounts keep the usage's order
        return _Plan(name, sp, [(i, r, price) for _d, r, i, price in cands], missing)

    # -- applying: elementwise over any shape ----------------------------------------------
    def apply(self, instances: list, hours: float, active: dict[str, object] | None = None,
              detail: bool = True) -> Applied:
        """Apply the commitments to ``instances``, the instances of each usage entry running an
        hour (floats, or arrays of one shape) [instances], in a month of ``hours`` [h]. Entries
        outside :attr:`touched` are not read (they may be None).

        ``active`` maps a commitment (``savings_plans/<name>``, ``reserved_instances/<name>``) to
        1 where it is in force and 0 where it is not (default: in force, an array broadcast
        against the instances); out of force it covers nothing. Without ``detail`` the plan
        rates used and the usage missing a plan rate (``sp_prices``, ``sp_missing``) are not
        collected."""
        active = active or {}
        out = Applied()
        remaining = list(instances)
        used = list(instances)  # instances not yet matched to a reservation
        for r in self.reservations:
            need = r.count
            for i in r.matches:
                take = np.minimum(need, used[i])
                used[i] = used[i] - take
                need = need - take
            out.unused_reserved[r.name] = need
            remaining.append(need)  # unused reserved capacity: on-demand usage the RIs and plans may cover
        for ri in self.reserved:
            count = ri.spec.count * active.get(f"reserved_instances/{ri.name}", 1.0)
            left, covered = count, 0.0
            for i, per in ri.matches:
                take = np.where(left > 1e-12, np.minimum(remaining[i], left / per), 0.0)
                remaining[i] = remaining[i] - take
                left = left - take * per
                covered = covered + take * hours * self.entries[i].rate
            out.ri_used[ri.name] = count - left
            out.ri_covered[ri.name] = _shape(covered)
        for plan in self.plans:
            budget = plan.spec.hourly_commitment * active.get(f"savings_plans/{plan.name}", 1.0)
            covered, prices = 0.0, []
            for i, rate, price in plan.candidates:
                if detail and np.any((budget > 1e-12) & (remaining[i] > 0)):
                    prices.append(price)
                take = np.where(budget > 1e-12, np.minimum(remaining[i], budget / rate), 0.0)
                remaining[i] = remaining[i] - take
                budget = budget - take * rate
                covered = covered + take * hours * self.entries[i].rate
            out.sp_left[plan.name] = budget
            out.sp_covered[plan.name] = _shape(covered)
            out.sp_prices[plan.name] = prices
            out.sp_missing[plan.name] = [what for i, what in plan.missing if detail and np.any(remaining[i] > 0)]
        out.remaining = [x if x is None else _shape(x) for x in remaining]
        return out


def _shape(x):
    """A 0-d result as a float; arrays as they are."""
    return float(x) if np.ndim(x) == 0 else x


def _ri_matches(ri, service: str, variant: str, entries: list[Usage]) -> list[tuple[int, float]]:
    """The usage one RI applies to, in AWS's order, with the RIs each instance takes.

    EC2 RIs here are regional Linux RIs, size-flexible within their family: ``count`` x the
    normalisation factor of the RI's size is spread over the family's running instances,
    smallest size first; a partly covered instance keeps the rest of its hour on demand.
    RDS and ElastiCache RIs (and EC2 sizes without a factor) match their exact class."""
    nf = normalisation_factor(ri.instance_type) if service == "AmazonEC2" else None
    if nf is None:
        return [(i, 1.0) for i, u in enumerate(entries)
                if (u.service, u.sku, u.region, u.variant) == (service, ri.instance_type, ri.region, variant)]
    match = [(i, normalisation_factor(u.sku) / nf) for i, u in enumerate(entries)
             if u.service == service and u.region == ri.region and u.variant == variant
             and _family(u.sku) == _family(ri.instance_type) and normalisation_factor(u.sku) is not None]
    return sorted(match, key=lambda m: m[1])


def usage_of(ln: CostLine) -> Usage | None:
    """The commitment usage of one estimate line, or None if commitments do not apply to it."""
    if ln.pricing_model != "on_demand" or ln.usage not in INSTANCE_USAGES or ln.component_kind == "commitment":
        return None
    return Usage(ln.ServiceCode, ln.sku, ln.RegionId, ln.variant, ln.ListUnitPrice)


def _line(component, region, service, sku, usage, quantity, unit, unit_price, cost, desc, model, source, as_of,
          verified, path, variant="") -> CostLine:
    return CostLine(
        component=component, component_kind="commitment", RegionId=region, ServiceCode=service,
        ServiceName=service_name(service), description=desc, sku=sku, usage=usage, variant=variant,
        pricing_model=model, PricingQuantity=quantity, PricingUnit=unit, ListUnitPrice=unit_price, ListCost=cost,
        price_source=source, price_as_of=as_of, price_verified=verified, path=path, scaling="commitment",
    )


def apply_commitments(commitments: Commitments, usage: list[CostLine], ctx: PricingContext) -> tuple[list[CostLine], list[Finding]]:
    """Commitment lines for ``usage`` (the estimate's priced lines) and lint findings: the
    engine (:class:`CommitmentEngine`) applied to the month's instances."""
    lines = [(ln, u) for ln in usage if (u := usage_of(ln)) is not None]
    engine = CommitmentEngine(commitments, [u for _, u in lines], ctx.catalog)
    for path, exc in engine.problems:
        ctx.problems.append(_problem(ctx, path, exc))
    res = engine.apply([ln.PricingQuantity / ctx.hours for ln, _ in lines], ctx.hours)
    findings = list(engine.findings)
    out: list[CostLine] = []
    for ri in engine.reserved:
        spec, rate, name = ri.spec, ri.price, ri.name
        path, comp = f"commitments.reserved_instances.{name}", f"commitments/reserved_instances/{name}"
        fee = spec.count * ctx.hours * rate.unit_price
        out.append(_line(comp, spec.region, ri.service, spec.instance_type, ri.usage_name, spec.count * ctx.hours,
                         rate.unit, rate.unit_price, fee,
                         f"RI {spec.count} x {spec.instance_type} {spec.offering_class} {spec.term} {spec.payment} "
                         "(effective rate)", "reserved", rate.source, rate.as_of, rate.verified, path, ri.variant))
        used, covered = res.ri_used[name], res.ri_covered[name]
        if covered:
            out.append(_line(comp, spec.region, ri.service, spec.instance_type, ri.usage_name, used * ctx.hours, "Hrs",
                             0.0, -covered, "on-demand usage covered by the RI", "reserved", rate.source, rate.as_of,
                             rate.verified, path, ri.variant))
        left = spec.count - used
        if left > 1e-9:
            findings.append(Finding("warning", name, f"{left:g} of {spec.count} reserved {spec.instance_type} in "
                                                     f"{spec.region} match no running instance: paid but unused"))
    for plan in engine.plans:
        sp, name = plan.spec, plan.name
        path, comp = f"commitments.savings_plans.{name}", f"commitments/savings_plans/{name}"
        region = sp.region or "global"
        out.append(_line(comp, region, "ComputeSavingsPlans", f"{sp.type}-savings-plan", "commitment-hour",
                         ctx.hours, "Hrs", sp.hourly_commitment, sp.hourly_commitment * ctx.hours,
                         f"{sp.type} Savings Plan {sp.term} {sp.payment}: ${sp.hourly_commitment:,.4g}/h commitment",
                         "savings_plan", "stack spec", "", True, path))
        if res.sp_missing[name]:
            ctx.warnings.append(
                f"{path}: no {sp.type} Savings Plan rate ({sp.term}, {sp.payment}) in the catalog for "
                f"{', '.join(sorted(set(res.sp_missing[name])))}; that usage is treated as not covered"
            )
        budget, prices = res.sp_left[name], res.sp_prices[name]
        out.append(_line(comp, region, "ComputeSavingsPlans", f"{sp.type}-savings-plan", "covered-usage",
                         (sp.hourly_commitment - budget) * ctx.hours, "USD", 1.0, -res.sp_covered[name],
                         f"on-demand usage covered (commitment used {100 * (1 - budget / sp.hourly_commitment):.0f}%)",
                         "savings_plan", ";".join(sorted({p.source for p in prices})) or "catalog", "",
                         all(p.verified for p in prices), path))
        if budget > 1e-9:
            findings.append(Finding(
                "warning", name,
                f"${budget:,.4g}/h of the ${sp.hourly_commitment:,.4g}/h commitment finds no eligible on-demand usage: "
                f"${budget * ctx.hours:,.2f} a month paid for nothing",
            ))
    for r in engine.reservations:
        need, p = res.unused_reserved[r.name], r.price
        if need > 1e-9:
            out.append(_line(f"commitments/capacity_reservations/{r.name}", r.region, "AmazonEC2", r.instance_type,
                             "instance-hour", need * ctx.hours, p.unit, p.unit_price, need * ctx.hours * p.unit_price,
                             f"unused capacity reservation: {need:g} x {r.instance_type}", "on_demand", p.source,
                             p.as_of, p.verified, f"commitments.capacity_reservations.{r.name}"))
    return out, findings


def _problem(ctx, path, exc):
    from costplan.errors import Problem

    return Problem(exc.problems[0].message, file=ctx.file, line=ctx.line_no(path), location=path)
