"""The projection engine: drivers -> capacity -> monthly cost, over Monte Carlo paths.

:class:`ProjectionModel` prices the stack once (``costplan.estimator.estimate``) and gives every cost
line a rule saying how its monthly quantity follows the drivers (docs/projection.md):

=============== =================================================================
rule            quantity in month m
=============== =================================================================
``fixed``       the estimate's quantity (EKS clusters, NAT and LB hours, keys...)
``traffic``     baseline x (users x peak req/s per user) / central month-0 value
``egress``      baseline x (users x egress per user) / central month-0 value
``stored``      baseline x (users x stored GB per user) / central month-0 value
``nodes``       nodes of the pool x hours (spot pools: spot/on-demand blend); with a daily
                profile the nodes are ``s x peak + (1 - s) x offpeak``, ``s = peak_hours / 24``
``root``        nodes of the pool (time-weighted as above) x root volume size
``db_class``    hours x price of the primary's class on the ladder in month m
``db_storage``  allocated GB, grown so data fills at most ``storage_fill``
``cache_class`` nodes x hours x price of the node type on the ladder in month m
``volume``      claims x size, grown so sensor data fills at most ``volume_fill``
=============== =================================================================

Everything is evaluated on arrays of shape ``(paths, months)``. A projected quantity is
priced as the estimate priced the line, with the prices the line carries
(:meth:`costplan.components.base.CostLine.cost_of`, tiers included; tiers counted over
several lines through :mod:`costplan.components.tiering`), and the commitments through the
estimate's engine (:class:`costplan.components.commitments.CommitmentEngine`) applied to
the projected instances. Every function keeps the arrays' shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from costplan.components.base import price_quantity
from costplan.components.tiering import pool_key, pooled_costs, tier_pool
from costplan.errors import InputError, PriceNotFoundError, Problem
from costplan.frames import json_records
from costplan.pricing.catalog import Catalog
from costplan.projection import capacity as cap
from costplan.projection.drivers import central, users_by_month
from costplan.stack.models import ProjectionSpec, Stack

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.projection.calibrate import Calibration



@dataclass
class LineRule:
    component: str
    kind: str
    rule: str
    key: str
    quantity: float
    """Baseline monthly quantity [PricingUnit]."""
    unit_price: float
    """Baseline unit price [USD/PricingUnit]."""
    cost0: float = 0.0
    """Baseline monthly cost [USD/month]."""
    tiers: list | None = None
    extra: dict = field(default_factory=dict)
    bill_kind: str = ""
    """The kind its spend shows under on the bill (:func:`costplan.actuals.mapping.plan_kind`)."""
    factor: float = 1.0
    """Calibration factor applied to its cost (:mod:`costplan.projection.calibrate`) [1]."""
    pool: tuple | None = None
    """Key of the lines its tiers are counted with (:mod:`costplan.components.tiering`)."""
    region: str = ""
    line: object = None
    """The estimate's :class:`~costplan.components.base.CostLine` it follows; its prices price
    the projected quantities (:meth:`~costplan.components.base.CostLine.cost_of`)."""


@dataclass
class PoolModel:
    region: str
    name: str
    instance_type: str
    hours: float
    """Hours each node runs in a month [h]."""
    baseline_nodes: int
    min_nodes: float
    max_nodes: float
    alloc: cap.Allocatable
    workloads: list[tuple]  # (name, demand, per_pod, share, min, max, cpu, mem, replicas)
    spot: object | None = None  # SpotQuote


class ProjectionModel:
    """A stack, priced once, with the rules that project each cost line and each resource."""

    def __init__(
        self, stack: Stack, catalog: Catalog, spec: ProjectionSpec | None = None, calibration=None, base=None
    ):
        """``calibration``: a :class:`costplan.projection.calibrate.Calibration` whose factors
        scale each cost line by the kind it is billed under (contractual fees excepted).
        ``base``: the estimate of ``stack`` at ``catalog``, when the caller has priced it
        already (it is read, not changed); priced here otherwise."""
        from costplan.actuals.mapping import plan_kind
        from costplan.estimator import estimate

        self.stack = stack
        self.catalog = catalog
        self.spec = spec or stack.projection
        if self.spec is None:
            raise InputError(Problem(
                "the stack has no `projection:` section (demand drivers); see docs/projection.md",
                file=stack.source, location="projection"))
        self.estimate = base if base is not None else estimate(stack, catalog)
        self.hours = stack.hours_per_month
        self.central = central(self.spec.drivers)
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.pools = self._pools()
        self.rules = [self._rule(r) for r in self.estimate.cost_lines]
        self.calibration = calibration
        for rule, r in zip(self.rules, self.estimate.cost_lines, strict=True):
            rule.bill_kind = plan_kind(r.component_kind, r.PricingUnit)
            if calibration is not None and not (rule.rule == "commitment" and rule.extra["usage"] != "covered-usage"):
                rule.factor = calibration.factor(rule.bill_kind)
        self._db_setup()
        for r in self.rules:
            if r.rule == "db_replica" and (r.key not in self.dbs or r.extra["sku"] not in self.spec.database.class_ladder):
                self.warnings.append(f"{r.component}: read replica class {r.extra['sku']} is not on "
                                     "projection.database.class_ladder; it keeps its class when the primary steps up")
        self._cache_setup()
        self._commitment_setup()
        self._check_ratios()
        self._check_drivers()
        if self.problems:
            raise InputError(self.problems)

    # -- building ------------------------------------------------------------------------
    def _where(self, path: str) -> dict:
        return {"file": self.stack.source, "line": self.stack.line_of(path), "location": path}

    def _manifest_workloads(self) -> dict:
        """Workloads read from ``projection.manifests`` (paths relative to the stack file)."""
        from pathlib import Path

        from costplan.projection.k8s import read_manifests

        self.daemonsets = {}
        if not self.spec.manifests:
            return {}
        base = Path(self.stack.source).parent if self.stack.source and Path(self.stack.source).exists() else Path.cwd()
        missing = [Problem(f"{m}: file not found ({base / m}); the paths are relative to the stack file",
                           **self._where(f"projection.manifests.{i}"))
                   for i, m in enumerate(self.spec.manifests) if not (base / m).is_file()]
        if missing:  # named where the stack lists them
            self.problems += missing
            return {}
        try:
            inputs = read_manifests([base / m for m in self.spec.manifests], self.spec.manifest_names)
        except InputError as exc:
            self.problems += exc.problems
            return {}
        found = inputs.workloads
        self.daemonsets = inputs.daemonsets
        self.warnings += inputs.warnings
        for name, ds in self.daemonsets.items():
            if ds.node_selector:
                self.warnings.append(f"projection.manifests: DaemonSet {name} has a nodeSelector; it is counted on every pool")
        known = {w for r in self.stack.regions.values() for p in r.node_pools.values() for w in p.pods}
        for name in sorted(set(found) - known):
            self.warnings.append(f"projection.manifests: workload {name!r} runs on no node pool's `pods`; not modelled")
        return found

    def _pools(self) -> dict[str, PoolModel]:
        from costplan.components.compute import node_hours_each
        from costplan.projection.spot import spot_quote

        out = {}
        from_manifests = self._manifest_workloads()
        for rname, region in self.stack.regions.items():
            for pname, pool in region.node_pools.items():
                o = self.spec.pools.get(f"{rname}/{pname}") or self.spec.pools.get(pname)
                # DaemonSets read from the manifests run one pod on every node of the pool
                ds_cpu = sum(d.cpu_request for d in self.daemonsets.values())
                ds_mem = sum(d.memory_request_gib for d in self.daemonsets.values())
                try:
                    alloc = cap.allocatable(
                        pool.instance_types[0],
                        reserved_cpu=o.reserved_cpu if o else None,
                        reserved_memory_gib=o.reserved_memory_gib if o else None,
                        max_pods=o.max_pods if o else None,
                        daemonset_cpu=(o.daemonset_cpu if o else 0.0) + ds_cpu,
                        daemonset_memory_gib=(o.daemonset_memory_gib if o else 0.0) + ds_mem,
                    )
                except InputError as exc:
                    self.problems.append(Problem(exc.problems[0].message,
                                                 **self._where(f"regions.{rname}.node_pools.{pname}.instance_types")))
                    continue
                wl = []
                for wname, w in pool.pods.items():
                    w = from_manifests.get(wname, w)
                    s = self.spec.workloads.get(wname)
                    lo = w.min_replicas if w.min_replicas is not None else w.replicas
                    hi = w.max_replicas if w.max_replicas is not None else np.inf
                    if s is None:
                        wl.append((wname, None, 1.0, 1.0, w.replicas, w.replicas, w.cpu_request, w.memory_request_gib, w.replicas))
                    else:
                        share = s.region_share.get(rname, 1.0)
                        per_pod = s.per_pod
                        if per_pod is None:  # at 100% of the CPU request, scaled to the HPA's target
                            if w.target_cpu_utilization is None:
                                self.problems.append(Problem(
                                    f"workload {wname}: per_pod_at_full_cpu needs the HPA's CPU target (give its HPA "
                                    "manifest under projection.manifests, or give per_pod)",
                                    **self._where(f"projection.workloads.{wname}.per_pod_at_full_cpu")))
                                continue
                            per_pod = s.per_pod_at_full_cpu * w.target_cpu_utilization
                        wl.append((wname, s.demand, per_pod, share, lo, hi, w.cpu_request, w.memory_request_gib, w.replicas))
                if pool.count is not None:
                    lo_n = hi_n = float(pool.count)
                else:
                    lo_n = float(pool.min if pool.min is not None else pool.nodes)
                    hi_n = float(pool.max) if pool.max is not None else np.inf
                if not wl:  # nothing scheduled that we model: the pool keeps its baseline size
                    lo_n = hi_n = float(pool.nodes)
                spot = None
                if pool.capacity == "spot":
                    try:
                        spot = spot_quote(pool.instance_types, rname, self.catalog, self.spec.spot.on_demand_fallback_share)
                    except InputError as exc:
                        self.problems.append(Problem(exc.problems[0].message,
                                                     **self._where(f"regions.{rname}.node_pools.{pname}.capacity")))
                out[f"{rname}/{pname}"] = PoolModel(rname, pname, pool.instance_types[0],
                                                    node_hours_each(pool, self.hours), pool.nodes, lo_n, hi_n, alloc, wl, spot)
        return out

    def _rule(self, r) -> LineRule:
        """How one estimate line (a :class:`~costplan.components.base.CostLine`) follows the
        drivers: its ``scaling``, put on it by the pricer, and the prices it was priced from."""
        kind, usage, path = r.component_kind, r.usage, r.path
        base = {"component": r.component, "kind": kind, "quantity": float(r.PricingQuantity), "unit_price": float(r.ListUnitPrice),
                "cost0": float(r.ListCost), "line": r}
        tiers = r.tiers or None
        pool = pool_key(r.ServiceCode, r.sku, usage, r.variant) if kind != "commitment" and r.pricing_model == "on_demand" else None
        base["tiers"] = tiers if tiers and (len(tiers) > 1 or pool is not None) else None
        base["pool"] = pool if tiers else None
        base["region"] = r.RegionId
        parts = path.split(".")
        scaling = r.scaling
        key = f"{parts[1]}/{parts[3]}" if len(parts) > 3 else ""
        if scaling == "commitment":
            return LineRule(rule="commitment", key=r.component, extra={"usage": usage, "model": r.pricing_model}, **base)
        if scaling in ("nodes", "per_node"):
            return LineRule(rule="nodes" if scaling == "nodes" else "root", key=key, **base)
        if scaling in ("db_class", "db_replica", "cache_class"):
            return LineRule(rule=scaling, key=key, extra={"variant": r.variant, "region": r.RegionId, "sku": r.sku},
                            **base)
        if scaling == "db_storage":
            return LineRule(rule="db_storage", key=key, **base)
        if scaling == "volume":  # the claims projection.sensor_storage sizes; other volumes keep their size
            sized = parts[3] == self.spec.sensor_storage.volume
            return LineRule(rule="volume" if sized else "fixed", key=key if sized else "", **base)
        if scaling in ("fixed", "traffic", "egress", "stored"):
            return LineRule(rule=scaling, key="", **base)
        raise InputError(Problem(  # never silently fixed
            f"{r.component}: cost line {r.ServiceCode} {r.sku} {usage} has scaling {scaling!r}, which the projection "
            "does not know; see costplan.components.base.SCALINGS", file=self.stack.source, location=path))

    def _commitment_setup(self) -> None:
        """The commitment engine (:class:`costplan.components.commitments.CommitmentEngine`)
        over the estimate's on-demand instance lines, each with how its running instances
        follow the capacity (``self._cm_sources``), and the commitment components in the
        estimate's order."""
        from costplan.components.commitments import RI_SERVICES, CommitmentEngine, Usage, usage_of

        usages, sources, extra = [], [], []
        ris = self.stack.commitments.reserved_instances.values()
        for rule, ln in zip(self.rules, self.estimate.cost_lines, strict=True):
            u = usage_of(ln)
            if u is None:
                continue
            usages.append(u)
            sources.append(self._instances_source(rule, ln, ln.sku))
            ladder = self._ladder_of(rule)
            if ladder:  # RIs bought for another rung of the ladder match once the class steps there
                for sku in dict.fromkeys(ri.instance_type for ri in ris if RI_SERVICES[ri.service] == ln.ServiceCode
                                         and ri.region == ln.RegionId and ri.instance_type in ladder):
                    if sku != ln.sku and self.catalog.has(ln.ServiceCode, sku, ln.RegionId, ln.usage, ln.variant):
                        rate = self.catalog.price(ln.ServiceCode, sku, ln.RegionId, ln.usage, ln.variant).unit_price
                        extra.append((Usage(ln.ServiceCode, sku, ln.RegionId, ln.variant, rate),
                                      self._instances_source(rule, ln, sku)))
        usages += [u for u, _ in extra]
        sources += [src for _, src in extra]
        self._cm_sources = sources
        self.engine = CommitmentEngine(self.stack.commitments, usages, self.catalog)
        # (component, what, name, rule the value is added under): fees are contractual (factor
        # 1); a Savings Plan's coverage is scaled like its estimate line (the calibration's
        # commitment factor)
        from costplan.actuals.mapping import plan_kind

        factor = self.calibration.factor(plan_kind("commitment")) if self.calibration is not None else 1.0
        have = {r.component for r in self.rules if r.rule == "commitment"}
        out = []

        def rule(comp, f=1.0):
            return LineRule(component=comp, kind="commitment", rule="commitment", key=comp, quantity=0.0,
                            unit_price=0.0, factor=f)

        for ri in self.engine.reserved:
            comp = f"commitments/reserved_instances/{ri.name}"
            out += [(comp, "ri_fee", ri, rule(comp)), (comp, "ri_covered", ri, rule(comp))]
        for plan in self.engine.plans:
            comp = f"commitments/savings_plans/{plan.name}"
            out += [(comp, "sp_fee", plan, rule(comp)), (comp, "sp_covered", plan, rule(comp, factor))]
        for cr in self.engine.reservations:
            comp = f"commitments/capacity_reservations/{cr.name}"
            out.append((comp, "unused", cr, rule(comp)))
        self._cm_components = out
        self._cm_in_estimate = have

    def _ladder_of(self, rule: LineRule) -> list[str] | None:
        """The class ladder a database or cache line moves on, or None."""
        if rule.rule in ("db_class", "db_replica") and rule.key in self.dbs:
            return self.spec.database.class_ladder
        if rule.rule == "cache_class" and rule.key in self.caches:
            return self.spec.cache.node_ladder
        return None

    def _instances_source(self, rule: LineRule, ln, sku: str) -> tuple:
        """How the instances of ``sku`` running an hour follow the capacity, for the line
        ``ln`` of ``rule``: ``("pool", key, share of the month)``, ``("rung", capacity key,
        rung, rungs up from the primary's, instances)`` or ``("fixed", instances)``."""
        instances = float(ln.PricingQuantity) / self.hours
        ladder = self._ladder_of(rule)
        if rule.rule == "nodes":
            return ("pool", rule.key, self.pools[rule.key].hours / self.hours)
        if ladder is not None:
            if rule.rule == "db_replica":
                if ln.sku not in ladder:
                    return ("fixed", instances)
                offset = ladder.index(ln.sku) - self.dbs[rule.key]["start"]
                return ("rung", f"{rule.key}/class", ladder.index(sku), offset, instances)
            what = "class" if rule.rule == "db_class" else "node_type"
            return ("rung", f"{rule.key}/{what}", ladder.index(sku), 0, instances)
        if rule.rule in ("fixed", "db_replica", "db_class", "cache_class"):  # no ladder: the class stays
            return ("fixed", instances)
        raise InputError(Problem(  # never silently fixed
            f"{ln.component}: {ln.sku} {ln.usage} has scaling {ln.scaling!r}, which the commitment engine cannot follow",
            file=self.stack.source, location=ln.path))

    def _instances(self, src: tuple, capacity: dict, level: str):
        """Instances running an hour of one source (:meth:`_instances_source`) [instances], at the
        peak (``level="peak"``) or off-peak node counts."""
        if src[0] == "fixed":
            return src[1]
        if src[0] == "pool":
            nodes = capacity[src[1] if level == "peak" else f"{src[1]}/offpeak"]["value"]
            return nodes if src[2] == 1.0 else nodes * src[2]
        _, key, rung, offset, instances = src
        idx = capacity[key]["value"]
        if offset:
            idx = np.clip(np.asarray(idx, dtype=int) + offset, 0, len(capacity[key]["ladder"]) - 1)
        return np.where(idx == rung, instances, 0.0)

    def _commitments(self, acc: _Accumulator, capacity: dict, start: int, stop: int, used: set) -> None:
        """Add the commitments' fees, coverage and unused reservations in months ``start`` to
        ``stop - 1``, the engine applied to the projected instances; with a daily profile to
        each level, weighted by its hours. An unused capacity reservation is added whatever its
        value; ``used`` receives the components of those that are ever unused (the others,
        absent from the estimate, are left out of the result: :meth:`dropped`)."""
        profile = self.spec.daily_profile
        levels = [(1.0, "peak")] if profile is None else [(profile.peak_hours / 24.0, "peak"),
                                                          (1.0 - profile.peak_hours / 24.0, "offpeak")]
        active = {}
        if not self.spec.renew_commitments:
            for comp, *_ in self._cm_components:
                active[comp.removeprefix("commitments/")] = self._commitment_active(comp, stop)[start:]
        applied = []
        touched = self.engine.touched
        for w, level in levels:
            inst = [self._instances(src, capacity, level) if i in touched else None
                    for i, src in enumerate(self._cm_sources)]
            applied.append((w, self.engine.apply(inst, self.hours, active, detail=False)))

        def value(what: str, name: str):
            if len(applied) == 1:
                return getattr(applied[0][1], what)[name]
            return sum(w * getattr(res, what)[name] for w, res in applied)

        for comp, what, c, rule in self._cm_components:
            on = active.get(comp.removeprefix("commitments/"), 1.0)
            if what == "ri_fee":
                acc.add(rule, c.spec.count * self.hours * c.price.unit_price * on)
            elif what == "sp_fee":
                acc.add(rule, c.spec.hourly_commitment * self.hours * on)
            elif what in ("ri_covered", "sp_covered"):
                acc.add(rule, -value(what, c.name))
            else:  # an unused capacity reservation, at the on-demand rate
                unused = value("unused_reserved", c.name)
                if np.any(unused > 1e-9):
                    used.add(comp)
                if comp not in self._cm_in_estimate:  # under 1e-9 instances is none: exactly 0 where
                    unused = np.where(unused > 1e-9, unused, 0.0)  # it may be left out, whatever the block
                acc.add(rule, unused * self.hours * c.price.unit_price)

    def dropped(self, carry: dict) -> set[str]:
        """Components left out of a result: the capacity reservations the estimate has no line
        for and that were never unused over the months evaluated with ``carry``."""
        used = carry.get("reservations_used", set())
        return {comp for comp, what, *_ in getattr(self, "_cm_components", ())
                if what == "unused" and comp not in self._cm_in_estimate and comp not in used}

    def _commitment_active(self, component: str, months: int) -> np.ndarray:
        """1 in the months a commitment is in force, else 0. With ``renew_commitments`` (the
        default) every commitment runs the whole horizon; without, it ends after its term,
        counted from month 0."""
        on = np.ones(months)
        if self.spec.renew_commitments:
            return on
        _, kind, name = (component.split("/") + ["", ""])[:3]
        c = getattr(self.stack.commitments, kind, {}).get(name)
        term = getattr(c, "term", None)
        if term:
            on[{"1yr": 12, "3yr": 36}[term]:] = 0.0
        return on

    RATIO_DRIVERS = {"traffic": "peak_rps_per_user", "egress": "egress_gb_per_user", "stored": "stored_gb_per_user"}
    DEMAND_DRIVERS = {"peak_rps": "peak_rps_per_user", "sensor_points_per_s": "sensor_points_per_user_day"}

    def _check_drivers(self) -> None:
        """The drivers the stack uses must be given; the others are optional."""
        need: dict[str, list[str]] = {}
        for p in self.pools.values():
            for wname, dem, *_ in p.workloads:
                if dem in self.DEMAND_DRIVERS:
                    need.setdefault(self.DEMAND_DRIVERS[dem], []).append(f"workload {wname} (demand: {dem})")
        for key in self.dbs:
            need.setdefault("peak_rps_per_user", []).append(f"database {key} (its CPU and connections follow peak requests)")
        vol = self.spec.sensor_storage.volume
        for rname, region in self.stack.regions.items():
            if vol in region.k8s_volumes:
                need.setdefault("sensor_points_per_user_day", []).append(f"regions.{rname}.k8s_volumes.{vol}")
        for driver, users in need.items():
            if driver not in self.central:
                self.problems.append(Problem(
                    f"projection.drivers.{driver} is needed by {', '.join(users[:3])}", **self._where("projection.drivers")))

    def _check_ratios(self) -> None:
        """Lines scaled by a driver need its month-0 central value to be positive: the stack's
        quantity is what that value produces."""
        for rule, driver in self.RATIO_DRIVERS.items():
            lines = [r.component for r in self.rules if r.rule == rule and r.quantity > 0]
            if lines and driver not in self.central:
                self.problems.append(Problem(
                    f"projection.drivers.{driver} is needed: {', '.join(sorted(set(lines))[:4])} scale with it",
                    **self._where("projection.drivers")))
                continue
            base = self.central["active_users"] * self.central.get(driver, 0.0)
            if lines and base <= 0:
                self.problems.append(Problem(
                    f"active_users x {driver} is 0 at the central values, but {', '.join(sorted(set(lines)))} "
                    f"scale with it; give positive central values (the stack's quantities are what they produce)",
                    **self._where(f"projection.drivers.{driver}")))

    def _db_setup(self) -> None:
        self.dbs = {}
        rule = self.spec.database
        for rname, region in self.stack.regions.items():
            for dname, db in region.rds.items():
                path = f"regions.{rname}.rds.{dname}.instance_class"
                if db.instance_class not in rule.class_ladder:
                    self.problems.append(Problem(
                        f"class {db.instance_class!r} is not on projection.database.class_ladder "
                        f"({', '.join(rule.class_ladder)}); add it so the projection knows the next step", **self._where(path)))
                    continue
                try:
                    specs = [cap.instance(c, "DB instance class") for c in rule.class_ladder]
                except InputError as exc:
                    self.problems.append(Problem(exc.problems[0].message, **self._where("projection.database.class_ladder")))
                    continue
                self.dbs[f"{rname}/{dname}"] = {
                    "region": rname, "start": rule.class_ladder.index(db.instance_class),
                    "vcpu": np.array([s[0] for s in specs], float),
                    "max_conn": np.array([cap.postgres_max_connections(s[1]) for s in specs]),
                    "size0": db.storage.size_gb, "max_size": db.storage.max_size_gb, "count": db.count,
                }

    def _cache_setup(self) -> None:
        self.caches = {}
        rule = self.spec.cache
        for rname, region in self.stack.regions.items():
            for cname, g in region.elasticache.items():
                path = f"regions.{rname}.elasticache.{cname}.node_type"
                missing = [t for t in rule.node_ladder if t not in cap.CACHE_MEMORY_GIB]
                if g.node_type not in rule.node_ladder or missing:
                    self.problems.append(Problem(
                        f"node type {g.node_type!r} must be on projection.cache.node_ladder and every rung in the "
                        f"capacity table (known: {', '.join(cap.CACHE_MEMORY_GIB)})", **self._where(path)))
                    continue
                self.caches[f"{rname}/{cname}"] = {
                    "start": rule.node_ladder.index(g.node_type), "nodes": g.nodes,
                    "memory": np.array([cap.CACHE_MEMORY_GIB[t] for t in rule.node_ladder]),
                }

    # -- evaluation ----------------------------------------------------------------------
    def demand(self, draws: dict[str, np.ndarray], months: int, extra_users: float = 0.0,
               start: int = 0) -> dict[str, np.ndarray]:
        """Users and the derived demands in months ``start`` to ``start + months - 1``, each
        ``(paths, months)``: ``users`` [users], ``peak_rps`` [req/s], ``sensor_points_per_s``
        [points/s], ``egress_gb`` [GB/month], ``stored_gb`` [GB]."""
        users = users_by_month(draws["active_users"], draws["annual_growth"], months, start) + extra_users
        zero = np.zeros(users.shape[0])

        def per_user(name):  # a driver the stack does not use (checked when the model is built)
            return draws.get(name, zero)[:, None]

        d = {"users": users}
        d["peak_rps"] = users * per_user("peak_rps_per_user")
        d["sensor_points_per_s"] = users * per_user("sensor_points_per_user_day") / 86400.0
        d["egress_gb"] = users * per_user("egress_gb_per_user")
        d["stored_gb"] = users * per_user("stored_gb_per_user")
        return d

    def capacity(self, demand: dict[str, np.ndarray], draws: dict[str, np.ndarray],
                 carry: dict | None = None) -> dict[str, dict]:
        """Resources per month: ``{name: {"value": (paths, months), "unit": str, "kind": str,
        "at_limit": bool array or None, "limit": str}}``.

        ``carry``, when the horizon is evaluated in blocks of months, is the state one block
        leaves to the next (kept by the caller, empty for the first block): the running maxima
        of the resources that never step down (database class and storage, cache node type,
        volume size), per path, and the packed node counts of each pool's pod mixes. The
        blocks' values are then exactly those of the whole horizon at once."""
        carry = {} if carry is None else carry

        def floor(name: str, value: np.ndarray) -> np.ndarray:
            """``value`` never below the previous block's last month; remembers its own."""
            prev = carry.get(name)
            if prev is not None:
                value = np.maximum(value, prev[:, None])
            carry[name] = value[:, -1].copy()
            return value

        users = demand["users"]
        out: dict[str, dict] = {}
        api_pods = np.zeros_like(users)
        profile = self.spec.daily_profile
        for key, p in self.pools.items():
            pack = carry.setdefault(f"pack:{key}", {})
            pods, nodes, at_max = self._pool_nodes(p, demand, 1.0, pack)
            for (wname, dem, _, _, _, hi, _, _, replicas), (n, at) in zip(p.workloads, pods, strict=True):
                if dem == "peak_rps":
                    api_pods = api_pods + n
                out[f"{key}/pods/{wname}"] = {"value": n, "unit": "pods", "kind": "pods", "at_limit": at, "baseline": replicas,
                                              "limit": f"HPA max {hi:g}" if np.isfinite(hi) else ""}
            out[key] = {"value": nodes, "unit": "nodes", "kind": "nodes", "at_limit": at_max, "baseline": p.baseline_nodes,
                        "limit": f"pool max {p.max_nodes:g}" if np.isfinite(p.max_nodes) else ""}
            if profile is not None:
                _, off, _ = self._pool_nodes(p, demand, profile.offpeak_share, pack)
                out[f"{key}/offpeak"] = {"value": np.minimum(off, nodes), "unit": "nodes", "kind": "nodes_offpeak",
                                         "at_limit": None, "baseline": p.baseline_nodes, "limit": "", "pool": key}
        dbrule = self.spec.database
        for key, db in self.dbs.items():
            need_cpu = demand["peak_rps"] * dbrule.cpu_ms_per_request / 1000.0 / dbrule.max_cpu_utilisation
            need_conn = api_pods * dbrule.connections_per_pod / dbrule.max_connection_utilisation
            i_cpu, over_cpu = cap.ladder_index(need_cpu, db["vcpu"], db["start"])
            i_conn, over_conn = cap.ladder_index(need_conn, db["max_conn"], db["start"])
            idx = floor(f"{key}/class", np.maximum(i_cpu, i_conn))
            out[f"{key}/class"] = {"value": idx, "unit": "ladder rung", "kind": "db_class", "at_limit": over_cpu | over_conn, "baseline": db["start"],
                                   "limit": "top of class_ladder", "ladder": dbrule.class_ladder}
            if "db_gb_per_user" in draws:
                used = users * draws["db_gb_per_user"][:, None]
                alloc = np.maximum(db["size0"], np.ceil(used / dbrule.storage_fill - 1e-9))
                alloc = floor(f"{key}/storage", np.maximum.accumulate(alloc, axis=-1))
            else:
                alloc = np.full_like(users, db["size0"])
            lim = db["max_size"] or np.inf
            out[f"{key}/storage"] = {"value": np.minimum(alloc, lim), "unit": "GB", "kind": "db_storage",
                                     "at_limit": alloc > lim, "baseline": db["size0"], "limit": f"max_size_gb {lim:g}" if np.isfinite(lim) else ""}
        crule = self.spec.cache
        for key, c in self.caches.items():
            if "cache_mb_per_user" in draws:
                need = users * draws["cache_mb_per_user"][:, None] / 1024.0 / crule.max_memory_utilisation
                idx, over = cap.ladder_index(need, c["memory"], c["start"])
                idx = floor(f"{key}/node_type", idx)
            else:
                idx, over = np.full(users.shape, c["start"]), None
            out[f"{key}/node_type"] = {"value": idx, "unit": "ladder rung", "kind": "cache_class", "at_limit": over, "baseline": c["start"],
                                       "limit": "top of node_ladder", "ladder": crule.node_ladder}
        ss = self.spec.sensor_storage
        used_gib = demand["sensor_points_per_s"] * 86400.0 * ss.retention_days * ss.bytes_per_point / 2**30
        for rname, region in self.stack.regions.items():
            v = region.k8s_volumes.get(ss.volume)
            if v is None:
                continue
            size = np.maximum(v.size_gb, np.ceil(used_gib / ss.volume_fill - 1e-9))
            size = floor(f"{rname}/{ss.volume}/size", np.maximum.accumulate(size, axis=-1))
            out[f"{rname}/{ss.volume}/size"] = {"value": size, "unit": "GiB per claim", "kind": "volume",
                                               "at_limit": None, "baseline": v.size_gb, "limit": "", "count": v.count}
        return out

    SCALED_DEMANDS = ("peak_rps", "users")
    """Demands whose pods are sized on the daily peak; off-peak they run at ``offpeak_share``
    of it. Sensor writes (``sensor_points_per_s``) are a daily mean and are not scaled."""

    def _pool_nodes(self, p: PoolModel, demand: dict[str, np.ndarray], scale: float, pack: dict | None = None):
        """Pods of each workload and nodes of pool ``p`` at ``scale`` x the peak demand [1].

        Returns ``(pods, nodes, at_max)``: ``pods`` is a list of ``(count, at_hpa_max or
        None)`` per workload [pods]; ``nodes`` the packed count clamped to the pool's
        ``[min, max]`` [nodes]; ``at_max`` where the packing exceeds ``max``. Each workload
        stays within ``[min_replicas, max_replicas]`` at any scale. ``pack`` caches the packed
        mixes (:func:`costplan.projection.capacity.pack_nodes`)."""
        users = demand["users"]
        pods, counts, wcpus, wmems, wnames = [], [], [], [], []
        for (wname, dem, per_pod, share, lo, hi, wcpu, wmem, replicas) in p.workloads:
            if dem is None:
                n = np.full_like(users, float(replicas))
                at = None
            else:
                level = demand[dem] * (scale if dem in self.SCALED_DEMANDS else 1.0)
                raw = cap._ceil(level * share / per_pod)
                n = np.clip(raw, lo, hi)
                at = raw > hi
            pods.append((n, at))
            counts.append(n)
            wcpus.append(wcpu)
            wmems.append(wmem)
            wnames.append(f"{p.region}/{p.name}/pods/{wname}")
        if counts:
            need = cap.pack_nodes(np.stack(counts), wcpus, wmems, p.alloc, names=wnames, cache=pack)
        else:
            need = np.zeros_like(users)
        nodes, at_max = cap.clamp_nodes(need, p.min_nodes, p.max_nodes)
        return pods, nodes, at_max

    def node_hours_nodes(self, capacity: dict, key: str) -> np.ndarray:
        """Time-weighted nodes of pool ``key`` over the day [nodes]: the peak count without a
        daily profile, else ``s x peak + (1 - s) x offpeak`` with ``s = peak_hours / 24``.
        Times the pool's hours it is the month's node-hours [h]."""
        peak = capacity[key]["value"]
        profile = self.spec.daily_profile
        if profile is None:
            return peak
        s = profile.peak_hours / 24.0
        return s * peak + (1.0 - s) * capacity[f"{key}/offpeak"]["value"]

    def _ratio(self, rule: str, demand) -> np.ndarray:
        c = self.central
        u0 = c["active_users"]
        if rule == "traffic":
            return demand["peak_rps"] / (u0 * c["peak_rps_per_user"])
        if rule == "egress":
            return demand["egress_gb"] / (u0 * c["egress_gb_per_user"])
        if rule == "stored":
            return demand["stored_gb"] / (u0 * c["stored_gb_per_user"])
        raise KeyError(rule)

    def _ladder_costs(self, r: LineRule, ladder: list[str], idx: np.ndarray, where: str) -> np.ndarray:
        """The line's monthly cost at the rung reached on each path and month [USD/month]: its
        quantity priced, as the estimate prices it, at the rung's class (the line's catalog key
        with the rung's class for its sku). A reached rung the catalog has no price for is an
        error, never $0."""
        costs = r.extra.get("rung_costs")
        if costs is None:  # looked up once per line
            ln = r.line
            costs = np.full(len(ladder), np.nan)
            for i, rung in enumerate(ladder):
                try:
                    tiers = self.catalog.tiers(ln.ServiceCode, rung, ln.RegionId, ln.usage, ln.variant, ln.pricing_model)
                except PriceNotFoundError:
                    continue
                costs[i] = price_quantity(r.quantity, tiers)
            r.extra["rung_costs"] = costs
        out = costs[idx]
        if np.isnan(costs).any() and np.isnan(out).any():
            missing = [ladder[i] for i in np.unique(idx) if np.isnan(costs[i])]
            raise InputError(Problem(
                f"the projection steps to {', '.join(missing)} ({r.line.variant}) in {r.line.RegionId} but the "
                "catalog has no price for it", location=where, file=self.stack.source))
        return out

    def _record_on_demand(self, parts: dict, key: str, cost: np.ndarray, capacity: dict, rate: float) -> None:
        """Record pool ``key``'s on-demand node cost in ``parts`` (see :meth:`cost`); ``rate`` is
        one node's month [USD/node-month]."""
        parts.setdefault("ec2_on_demand", {})[key] = cost
        if self.spec.daily_profile is not None:  # the month's cost were every hour at that level
            parts.setdefault("ec2_on_demand_peak", {})[key] = capacity[key]["value"] * rate
            parts.setdefault("ec2_on_demand_offpeak", {})[key] = capacity[f"{key}/offpeak"]["value"] * rate

    def cost(self, demand, capacity, spot_factor: np.ndarray | None = None, parts: dict | None = None,
             start: int = 0, carry: dict | None = None) -> dict[str, np.ndarray]:
        """Monthly cost per component, each ``(paths, months)`` [USD/month], for the months
        ``start`` onwards (a block of the horizon: commitments that end after their term
        count months from 0). With ``carry`` (the state kept across blocks, see
        :meth:`capacity`) every component is returned and the caller leaves out
        :meth:`dropped` once all blocks are evaluated; without it they are left out here.

        ``parts``, if given, receives ``ec2_on_demand``: the on-demand EC2 node cost before
        commitments, by pool and in total (``"total"``) [USD/month], the usage Savings Plans
        can cover. With a daily profile it also receives ``ec2_on_demand_peak`` and
        ``ec2_on_demand_offpeak`` (the same keys: the month's cost were every hour at the peak,
        or at the off-peak, node count [USD/month]) and ``peak_share`` (``peak_hours / 24``, the
        share of the hours at the peak) [fraction]."""
        shape = demand["users"].shape
        acc = _Accumulator(shape)
        add = acc.add
        ratios = {rule: self._ratio(rule, demand) for rule in self.RATIO_DRIVERS if any(r.rule == rule for r in self.rules)}

        profile = self.spec.daily_profile
        pooled: dict[tuple, list] = {}
        nodes_of: dict[str, np.ndarray] = {}

        def pool_nodes(key: str) -> np.ndarray:
            """Time-weighted nodes of a pool, computed once per call [nodes]."""
            if key not in nodes_of:
                nodes_of[key] = self.node_hours_nodes(capacity, key)
            return nodes_of[key]

        for r in self.rules:
            if r.rule == "commitment":
                continue
            if r.rule == "fixed" and r.pool is None:
                add(r, r.cost0)
                continue
            if r.rule == "fixed":
                q = r.quantity
            elif r.rule in ("traffic", "egress", "stored"):
                if r.pool is None and not r.tiers:  # linear in its driver: summed before the arrays
                    acc.add_linear(r, r.quantity * r.unit_price, r.rule)
                    continue
                q = r.quantity * ratios[r.rule]
            elif r.rule == "nodes":
                p = self.pools[r.key]
                nodes = pool_nodes(r.key)
                if p.spot is not None:
                    f = p.spot.fallback_share
                    spot = p.spot.spot * (spot_factor if spot_factor is not None else 1.0)
                    add(r, nodes * (p.hours * (f * p.spot.on_demand + (1 - f) * spot)))
                else:
                    rate = p.hours * r.unit_price  # [USD/node-month]
                    c = nodes * rate
                    if parts is not None:
                        self._record_on_demand(parts, r.key, c, capacity, rate)
                    add(r, c)
                continue
            elif r.rule == "root":
                per_node = r.quantity / max(self.pools[r.key].baseline_nodes, 1)
                if r.pool is None and not r.tiers:  # linear in the pool's nodes
                    ratios.setdefault(f"nodes:{r.key}", pool_nodes(r.key))
                    acc.add_linear(r, per_node * r.unit_price, f"nodes:{r.key}")
                    continue
                q = per_node * pool_nodes(r.key)
            elif r.rule == "db_class":
                c = capacity[f"{r.key}/class"]
                add(r, self._ladder_costs(r, c["ladder"], c["value"], f"projection.database.class_ladder ({r.key})"))
                continue
            elif r.rule == "db_replica":
                c = capacity.get(f"{r.key}/class")
                if c is None or r.extra["sku"] not in c["ladder"]:
                    add(r, r.cost0)  # no ladder to follow: the class stays (said in the warnings)
                    continue
                # a read replica keeps its size relative to the primary: as many rungs up as it
                offset = c["ladder"].index(r.extra["sku"]) - self.dbs[r.key]["start"]
                idx = np.clip(np.asarray(c["value"], dtype=int) + offset, 0, len(c["ladder"]) - 1)
                add(r, self._ladder_costs(r, c["ladder"], idx, f"projection.database.class_ladder ({r.component})"))
                continue
            elif r.rule == "db_storage":
                q = capacity[f"{r.key}/storage"]["value"] * (r.quantity / self.dbs[r.key]["size0"]) if r.key in self.dbs else r.quantity
            elif r.rule == "cache_class":
                c = capacity[f"{r.key}/node_type"]
                add(r, self._ladder_costs(r, c["ladder"], c["value"], f"projection.cache.node_ladder ({r.key})"))
                continue
            elif r.rule == "volume":
                region = r.key.split("/")[0]
                c = capacity[f"{region}/{self.spec.sensor_storage.volume}/size"]
                size0 = self.stack.regions[region].k8s_volumes[self.spec.sensor_storage.volume].size_gb
                q = r.quantity * c["value"] / size0
            else:  # pragma: no cover
                raise AssertionError(r.rule)
            if r.pool is not None:  # tiers counted over several lines: priced together below
                pooled.setdefault(r.pool, []).append((r, q))
                continue
            add(r, r.line.cost_of(q))
        for key, members in pooled.items():
            costs = pooled_costs([np.broadcast_to(q, shape) for _, q in members], [m.tiers for m, _ in members],
                                 [m.region for m, _ in members], tier_pool(key[0], key[1], key[2]))
            for (m, _), c in zip(members, costs, strict=True):
                add(m, c)
        if parts is not None:
            for name in ("ec2_on_demand",) + (("ec2_on_demand_peak", "ec2_on_demand_offpeak") if profile else ()):
                by_pool = parts.setdefault(name, {})
                by_pool["total"] = sum(by_pool.values(), np.zeros(shape))
            if profile is not None:
                parts["peak_share"] = profile.peak_hours / 24.0
        state = carry if carry is not None else {}
        if self.engine:
            self._commitments(acc, capacity, start, start + shape[1], state.setdefault("reservations_used", set()))
        out = acc.result(ratios)
        if carry is None:  # the whole horizon: leave out what no month needed
            for comp in self.dropped(state):
                del out[comp]
        else:  # a block: the caller leaves them out at the end; it reads the affine components
            carry["affine"] = (acc.affine, ratios)
        return out


class _Accumulator:
    """Cost per component, summed with as few ``(paths, months)`` array operations as it can:
    constant costs as scalars, costs linear in one driver as one coefficient per driver,
    the rest added in place. Each value is scaled by its line's calibration factor (1 for
    contractual fees and for an uncalibrated projection)."""

    def __init__(self, shape):
        self.shape = shape
        self.names: dict[str, None] = {}  # components in the order first seen
        self.const: dict[str, float] = {}
        self.linear: dict[str, dict[str, float]] = {}
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, rule: LineRule, value) -> None:
        name = rule.component
        self.names.setdefault(name)
        if np.ndim(value) == 0:
            self.const[name] = self.const.get(name, 0.0) + float(value) * rule.factor
            return
        value = np.asarray(value, dtype=float)
        if rule.factor != 1.0:
            value = value * rule.factor
        if name in self.arrays:
            self.arrays[name] += value
        else:
            self.arrays[name] = np.array(np.broadcast_to(value, self.shape))

    def add_linear(self, rule: LineRule, coefficient: float, driver: str) -> None:
        """Add ``coefficient`` [USD/month] x the ratio of ``driver`` to the line's component."""
        self.names.setdefault(rule.component)
        terms = self.linear.setdefault(rule.component, {})
        terms[driver] = terms.get(driver, 0.0) + coefficient * rule.factor

    def result(self, ratios: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``{component: (paths, months) cost}`` [USD/month], components in the order first added;
        a component constant on every path is a read-only broadcast view. ``self.affine``
        then names the components that are ``coef x ratio + const`` of one driver's ratio
        with ``coef > 0`` (``{component: (driver, coef, const)}``): increasing in that ratio,
        so their order statistics over paths are the ratio's, mapped (:func:`project`)."""
        out = {}
        self.affine = {}
        for name in self.names:
            arr = self.arrays.get(name)
            terms = self.linear.get(name, {})
            if arr is None and len(terms) == 1:
                (driver, coef), = terms.items()
                if coef > 0 and ratios[driver].shape == self.shape:
                    self.affine[name] = (driver, coef, self.const.get(name, 0.0))
            for driver, coef in terms.items():
                if arr is None:
                    arr = coef * ratios[driver]
                    if arr.shape != self.shape:
                        arr = np.array(np.broadcast_to(arr, self.shape))
                else:
                    arr += coef * ratios[driver]
            c = self.const.get(name, 0.0)
            if arr is None:  # constant on every path and month: a read-only view, not a copy
                arr = np.broadcast_to(np.float64(c), self.shape)
            elif c:
                arr += c
            out[name] = arr
        return out


# -- orchestration ---------------------------------------------------------------------------
QUANTILES = (0.1, 0.5, 0.9)


@dataclass
class ProjectionResult:
    """A projection of one stack (or scenario), month by month. Money in [USD/month].

    Months are numbered from 0 (the baseline month, the estimate's fleet at the central
    drivers); ``ChargePeriodStart`` is the first day of each month.
    """

    stack_name: str
    scenario: str | None
    months: int
    simulations: int
    """Monte Carlo paths; 0 means the deterministic single path (p10 = p50 = p90)."""
    seed: int
    catalog_as_of: str
    frames: Any = field(repr=False, compare=False)
    """The frames below (``monthly`` ... ``spot``) by name, or a function that builds them: they
    are built on first use."""
    warnings: list[str] = field(default_factory=list)
    calibration: Calibration | None = None
    """The factors the cost lines were scaled by, if the projection was calibrated to actual
    spend (:mod:`costplan.projection.calibrate`); None for a projection from the plan."""
    values: dict = field(default_factory=dict, repr=False, compare=False)
    """Columns of ``monthly`` and ``per_user`` as arrays (:meth:`monthly_rows`, :meth:`per_user_rows`)."""

    def _frame(self, name: str) -> pd.DataFrame:
        if callable(self.frames):
            self.frames = self.frames()
        return self.frames[name]

    def _rows(self, name: str):
        from costplan.frames import Rows

        if name not in self.values:
            return Rows.from_frame(self._frame(name))
        cols = self.values[name]
        data = {c: (v.tolist() if hasattr(v, "tolist") else list(v)) for c, v in cols.items()}
        return Rows.from_columns(data, {c: "float" for c in data if c not in ("month", "ChargePeriodStart")})

    def monthly_rows(self):
        """:attr:`monthly` as :class:`costplan.frames.Rows` (``ChargePeriodStart`` dates), without pandas."""
        return self._rows("monthly")

    def per_user_rows(self):
        """:attr:`per_user` as :class:`costplan.frames.Rows`, without pandas."""
        return self._rows("per_user")

    @property
    def monthly(self) -> pd.DataFrame:
        """Total cost per month. Columns: ``month``, ``ChargePeriodStart``, ``users_p10`` /
        ``users_p50`` / ``users_p90`` [users], ``p10`` / ``p50`` / ``p90`` / ``mean`` [USD/month],
        ``deterministic`` (the central path) [USD/month], ``fixed`` (cost at zero users: pool
        minimums, baseline database and cache, fixed services) [USD/month], ``variable`` (``p50 -
        fixed``) [USD/month]."""
        return self._frame("monthly")

    @property
    def by_component(self) -> pd.DataFrame:
        """Cost per component per month. Columns: ``month``, ``ChargePeriodStart``, ``component``,
        ``ServiceName``, ``RegionId``, ``p10``, ``p50``, ``p90``, ``mean``, ``deterministic``
        [USD/month]."""
        return self._frame("by_component")

    @property
    def capacity(self) -> pd.DataFrame:
        """Resources per month. Columns: ``month``, ``ChargePeriodStart``, ``resource``, ``kind``
        (``nodes``, ``pods``, ``db_class``, ``db_storage``, ``cache_class``, ``volume``; with a daily
        profile also ``nodes_offpeak``: rows ``<pool>/offpeak``, the pool's nodes in the off-peak
        hours, while ``nodes`` rows stay the peak), ``unit``,
        ``p10``, ``p50``, ``p90``, ``deterministic`` [unit], ``label`` (class or node type of the
        deterministic path, for ladders), ``at_limit_share`` (share of paths whose demand exceeds
        the limit) [fraction], ``limit``."""
        return self._frame("capacity")

    @property
    def per_user(self) -> pd.DataFrame:
        """Cost per active user. Columns: ``month``, ``ChargePeriodStart``, ``users_p50`` [users],
        ``p10``, ``p50``, ``p90``, ``deterministic`` [USD/user/month], ``fixed_per_user``
        [USD/user/month], ``marginal_per_1000_users`` (cost of the next 1,000 users on the central
        path) [USD/month per 1,000 users]."""
        return self._frame("per_user")

    @property
    def steps(self) -> pd.DataFrame:
        """Capacity steps on the central path. Columns: ``resource``, ``kind``, ``month`` (first
        month the resource grows; -1 for none), ``from``, ``to``, ``first_month_at_limit`` (-1 for
        none), ``share_of_paths_at_limit`` (in the last month) [fraction], ``limit``, ``note``."""
        return self._frame("steps")

    @property
    def spot(self) -> pd.DataFrame:
        """Spot pools: :func:`costplan.projection.spot.spot_savings` rows for pools on spot."""
        return self._frame("spot")

    @property
    def total(self) -> float:
        """Median cost summed over the projected months [USD]."""
        return float(self.monthly["p50"].sum())

    def to_dict(self) -> dict:
        def rec(df):
            return json_records(df)

        return {
            "stack": self.stack_name, "scenario": self.scenario, "months": self.months,
            "simulations": self.simulations, "seed": self.seed, "catalog_as_of": self.catalog_as_of, "currency": "USD",
            "monthly": rec(self.monthly), "by_component": rec(self.by_component), "capacity": rec(self.capacity),
            "per_user": rec(self.per_user), "steps": rec(self.steps), "spot": rec(self.spot), "warnings": self.warnings,
            "calibration": self.calibration.to_dict() if self.calibration is not None else None,
        }


def quantiles(arr: np.ndarray, counts: bool = False) -> np.ndarray:
    """p10, p50, p90 over paths (axis 0) of a ``(paths, months)`` array, shape ``(3, months)``.
    Columns equal on every path (a fixed cost, a pool at its minimum) skip the partition.
    Missing values (NaN) are left out. Monotone by construction: p10 <= p50 <= p90 in every
    column, also where interpolation rounding would put them an ulp out of order. ``counts``:
    the values are likely whole numbers (nodes, pods, rungs, GB), see :func:`column_stats`."""
    return column_stats(arr, mean=False, counts=counts)[0]


def column_stats(arr: np.ndarray, mean: bool = True, counts: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """p10, p50, p90 (shape ``(3, months)``, as :func:`quantiles`) and the mean (``(months,)``,
    or None without ``mean``) over paths (axis 0) of a ``(paths, months)`` array.

    Each month is reduced on its own contiguous row of paths (a transposed copy), so a month's
    figures are the same whether it is evaluated alone or with the whole horizon: the
    quantiles select just the order statistics they need (:func:`order_statistics`, no sort)
    and interpolate them as ``np.quantile`` does (:func:`interpolate`: the same figures), the
    mean is numpy's pairwise sum over that row. A column
    equal on every path (a broadcast constant: no copy) gives that value as all three
    quantiles and the mean. With ``counts``, whole-number values over a small range are
    counted (``np.bincount``) instead of partitioned: the same order statistics, read from
    the cumulative counts."""
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == 2 and arr.strides[0] == 0:  # a broadcast view: the same row on every path
        row = np.array(arr[0])
        return np.repeat(row[None, :], 3, axis=0), (row if mean else None)
    t = np.array(arr.T, order="C")  # a copy: partitioned in place below
    lo, hi = t.min(axis=1), t.max(axis=1)
    if np.array_equal(lo, hi):
        return np.repeat(lo[None, :], 3, axis=0), (lo if mean else None)
    if np.isnan(lo).any():
        import warnings

        with warnings.catch_warnings():  # a column missing on every path stays NaN, quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(t, QUANTILES, axis=1)
        return np.maximum.accumulate(q, axis=0), (t.mean(axis=1) if mean else None)
    m = np.where(lo == hi, lo, t.mean(axis=1)) if mean else None  # a month equal on every path: that value
    ab = _counted_order_statistics(t, lo, hi) if counts and t.shape[1] >= COUNTED_PATHS else None
    a, b = ab if ab is not None else order_statistics(t)
    return interpolate(a, b, t.shape[1]), m


COUNTED_PATHS = 1024
"""Paths from which :func:`column_stats` counts whole numbers (fewer: a partition is as quick) [paths]."""

COUNTED_SPAN = 1 << 16
"""Widest range of whole numbers (max - min + 1 in a month) :func:`column_stats` counts rather
than partitions [values]."""


def _counted_order_statistics(t: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """:func:`order_statistics` of rows of whole numbers from their counts, or None when the
    values are not all whole or span more than :data:`COUNTED_SPAN`."""
    k, n = t.shape
    span = int((hi - lo).max()) + 1
    if span > COUNTED_SPAN or k * span > 4 * COUNTED_SPAN or not np.array_equal(t, np.floor(t)):
        return None
    offset = (np.arange(k, dtype=np.int64) * span)[:, None] - lo.astype(np.int64)[:, None]
    counted = np.bincount((t.astype(np.int64) + offset).ravel(), minlength=k * span).reshape(k, span)
    cum = np.cumsum(counted, axis=1)  # values <= lo + j
    prev, nxt, _ = _positions(n)
    ranks = np.concatenate([prev % n, nxt % n])
    # every row's counts end at n: offset row i by i x n and search all rows at once
    row = np.arange(k)[:, None]
    flat = (cum + row * n).ravel()
    rows = np.searchsorted(flat, (ranks[None, :] + row * n).ravel(), side="right").reshape(k, -1) - row * span
    rows = rows.astype(float) + lo[:, None]
    return rows[:, :3].T, rows[:, 3:].T


def _positions(n: int):
    """numpy's ``linear`` quantile method for :data:`QUANTILES` over ``n`` values: the ranks
    below and above each virtual index and the weight between them."""
    vi = (n - 1) * np.asarray(QUANTILES, dtype=float)
    prev = np.floor(vi)
    nxt = prev + 1
    above = vi >= n - 1
    prev[above] = -1
    nxt[above] = -1
    prev, nxt = prev.astype(np.intp), nxt.astype(np.intp)
    return prev, nxt, vi - prev


def order_statistics(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order statistics of each row of ``t`` (``(months, paths)``, finite; may be
    reordered in place) that :data:`QUANTILES` need, below and above each quantile: two
    ``(3, months)`` arrays. No sort: a row of :data:`BINNED_PATHS` paths or more is selected
    through a histogram (:func:`_binned_select`), a shorter one with one ``np.partition`` on
    just those ranks (``np.quantile`` also places the minimum and maximum)."""
    k, n = t.shape
    prev, nxt, _ = _positions(n)
    ranks = np.concatenate([prev, nxt]) % n
    if n < BINNED_PATHS:
        t.partition(_sorted_unique(ranks), axis=1)
        return t[:, prev].T, t[:, nxt].T
    rows = np.array([_binned_select(t[i], ranks) for i in range(k)])
    return rows[:, :3].T, rows[:, 3:].T


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` of a 1-D array (the sorted distinct values, same dtype) without
    ``np.unique``, whose first call imports ``numpy.ma`` (0.01 s of a command's start)."""
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if a.size else a


BINNED_PATHS = 4096
"""Paths from which :func:`order_statistics` selects through a histogram [paths]."""

BINS = 2048
"""Bins of :func:`_binned_select`'s histogram [1]."""


def _binned_select(x: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The values of ranks ``ranks`` (0-based) of the finite vector ``x``, exactly: each value's
    bin ``floor((x - min) x BINS / (max - min))`` is computed with operations that never
    decrease as ``x`` grows, so every value of a lower bin is below every value of a higher
    one; the counts say which bin holds each rank, and only that bin's values are partitioned.
    A few passes over ``x`` instead of a selection over all of it."""
    lo, hi = x.min(), x.max()
    scale = BINS / (hi - lo) if hi > lo else 0.0
    if not (np.isfinite(scale) and scale > 0):  # equal values, or a span no histogram resolves
        y = x.copy()
        y.partition(np.unique(ranks))
        return y[ranks]
    b = np.subtract(x, lo)
    b *= scale
    b = b.astype(np.intp)
    np.minimum(b, BINS - 1, out=b)  # the maximum lands on BINS
    counts = np.bincount(b, minlength=BINS)
    cum = np.cumsum(counts)
    where = np.searchsorted(cum, ranks, side="right")  # the bin of each rank
    wanted = np.zeros(BINS, dtype=bool)
    wanted[where] = True
    keep = wanted[b]  # one pass: the values of the bins that hold a rank
    xs, bs = x[keep], b[keep]
    out = np.empty(len(ranks))
    for bin_ in np.unique(where):
        mine = where == bin_
        vals = xs[bs == bin_]
        within = ranks[mine] - (cum[bin_] - counts[bin_])
        vals.partition(np.unique(within))
        out[mine] = vals[within]
    return out


def interpolate(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """p10, p50, p90 from the order statistics below (``a``) and above (``b``) each of them
    over ``n`` paths, with ``np.quantile``'s arithmetic (its ``_lerp``), so the figures are
    numpy's to the last bit; made monotone as :func:`quantiles` says."""
    gamma = _positions(n)[2][:, None]
    diff = b - a
    q = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=q, where=np.broadcast_to(gamma >= 0.5, q.shape))
    return np.maximum.accumulate(q, axis=0)


def _long_frame(months: int, starts, labels: dict[str, list], series: dict[str, list], after: dict | None = None):
    """One frame of ``months`` rows per item: ``month``, ``ChargePeriodStart``, the items'
    ``labels`` (one value per item, repeated), their ``series`` (one array of ``months`` values
    per item) and ``after`` (labels placed last); built at once rather than a frame per item."""
    import pandas as pd

    k = len(next(iter(labels.values())))
    cols = {"month": np.tile(np.arange(months), k), "ChargePeriodStart": np.tile(starts.to_numpy(), k)}
    for name, values in labels.items():
        cols[name] = np.repeat(np.array(values, dtype=object), months)
    for name, values in series.items():
        cols[name] = np.concatenate(values)
    for name, values in (after or {}).items():
        cols[name] = np.repeat(np.array(values, dtype=object), months)
    return pd.DataFrame(cols)


def _first_month(spec: ProjectionSpec):
    """The first day of the projection's month 0 (the spec's ``start``, else this month)."""
    import datetime as dt

    if spec.start:
        y, m = map(int, spec.start.split("-"))
        return dt.date(y, m, 1)
    today = dt.date.today()
    return dt.date(today.year, today.month, 1)


def _month_start_dates(first, months: int) -> list:
    """The first days of ``months`` months from ``first`` (a date), as dates."""
    import datetime as dt

    k0 = first.year * 12 + first.month - 1
    return [dt.date((k0 + i) // 12, (k0 + i) % 12 + 1, 1) for i in range(months)]


def _month_starts(spec: ProjectionSpec, months: int, first=None):
    import pandas as pd

    first = first or _first_month(spec)
    return pd.date_range(pd.Timestamp(year=first.year, month=first.month, day=1), periods=months, freq="MS")


OVERFLOW = ("the projection's costs overflow (not finite): the drivers grow beyond what can be priced; "
            "check annual_growth and the other drivers, or project fewer --months")


def _sum_costs(cost: dict[str, np.ndarray]) -> np.ndarray:
    """The components' sum [USD/month], added in their order into one new array (as
    ``sum(cost.values())`` adds them, without a new array per component)."""
    values = iter(cost.values())
    first = next(values, None)
    if first is None:
        return np.zeros((1, 1))
    total = np.array(first, dtype=float)
    for v in values:
        total += v
    return total


def draw_paths(model: ProjectionModel, simulations: int, seed: int, zero_users: bool = False) -> dict[str, np.ndarray]:
    """The drivers of every path, each ``(paths,)`` [driver unit]: ``np.random.default_rng(seed)``
    drawn in the drivers' field order (:func:`costplan.projection.drivers.draw_all`);
    ``simulations=0`` gives the single central path."""
    from costplan.projection.drivers import draw_all

    rng = np.random.default_rng(seed) if simulations > 0 else None
    n = max(simulations, 1)
    draws = draw_all(model.spec.drivers, n, rng)
    if zero_users:
        draws["active_users"] = np.zeros(n)
    return draws


def spot_factors(model: ProjectionModel, simulations: int, seed: int, start: int, stop: int) -> np.ndarray | None:
    """Spot price factors of months ``start`` to ``stop - 1`` on every path, ``(paths, months)``
    [1], or None (no Monte Carlo, no spot pool or no ``price_volatility``).

    Month ``m`` has its own stream, the ``m``-th child of ``SeedSequence([seed, 1])``, drawn over
    all paths: a block of months gets exactly the factors it has in the whole horizon, without
    the other months being drawn or held."""
    sigma = model.spec.spot.price_volatility
    if simulations <= 0 or sigma <= 0 or not any(p.spot is not None for p in model.pools.values()):
        return None
    children = np.random.SeedSequence([seed, 1]).spawn(stop)[start:]
    out = np.empty((simulations, stop - start))
    for k, child in enumerate(children):  # exp of each month's contiguous vector (see users_by_month)
        out[:, k] = np.exp(np.random.default_rng(child).normal(-sigma**2 / 2, sigma, simulations))
    return out


def evaluate(model: ProjectionModel, draws: dict[str, np.ndarray], start: int, stop: int, carry: dict,
             spot_factor: np.ndarray | None = None, extra_users: float = 0.0, parts: dict | None = None):
    """Demand, capacity and cost of months ``start`` to ``stop - 1`` on the paths of ``draws``
    (arrays ``(paths, stop - start)``). ``carry`` is the state one block of months leaves to
    the next (:meth:`ProjectionModel.capacity`): evaluated in order with the same ``carry``,
    blocks give exactly the values of the whole horizon at once."""
    demand = model.demand(draws, stop - start, extra_users, start)
    capacity = model.capacity(demand, draws, carry)
    cost = model.cost(demand, capacity, spot_factor, parts, start, carry)
    return demand, capacity, cost


def simulate(model: ProjectionModel, months: int, simulations: int, seed: int, extra_users: float = 0.0,
             zero_users: bool = False, parts: dict | None = None):
    """Draw the drivers and evaluate demand, capacity and cost over the whole horizon at once.

    Returns ``(draws, demand, capacity, cost_by_component)``, arrays of shape
    ``(paths, months)``; ``simulations=0`` gives the single central path. Holds every array
    for every path and month (about 0.7 kB per path-month on the reference stack): the
    commitment sizing needs them; :func:`project` evaluates blocks of months instead.
    """
    draws = draw_paths(model, simulations, seed, zero_users)
    carry: dict = {}
    spot_factor = spot_factors(model, simulations, seed, 0, months)
    demand, capacity, cost = evaluate(model, draws, 0, months, carry, spot_factor, extra_users, parts)
    for comp in model.dropped(carry):
        del cost[comp]
    return draws, demand, capacity, cost


def bytes_per_path_month(model: ProjectionModel) -> float:
    """What evaluating one path-month of ``model`` holds at its peak [bytes], estimated from its
    structure: the arrays one evaluation returns (demands, each resource's values and limit
    flags, each component's cost), 8 bytes each, times :data:`ARRAY_MARGIN` plus 16 arrays
    for the temporaries. Deterministic (the refusal it feeds does not move from run to run);
    ``tests/test_projection_blocks.py`` checks it is at least what ``tracemalloc`` measures.
    The block of months :func:`project` evaluates at once is sized from it."""
    if getattr(model, "_bytes_per_path_month", None):
        return model._bytes_per_path_month
    demand, capacity, cost = evaluate(model, draw_paths(model, 0, 0), 0, 1, {})
    arrays = len(demand) + len(cost) + sum(1 + (c["at_limit"] is not None) for c in capacity.values())
    model._bytes_per_path_month = 8.0 * (ARRAY_MARGIN * arrays + 16)
    return model._bytes_per_path_month


ARRAY_MARGIN = 1.25
"""Temporaries on top of the arrays an evaluation returns [1]: ``tracemalloc`` measured 1.09x on
the reference stack, 1.21x on a stack with 600 node pools, and 1.36x (the 16 more arrays
cover it) on a small stack with commitments and a database."""


def block_sizes(model: ProjectionModel, months: int, simulations: int, budget: int | None = None) -> tuple[int, int]:
    """``(months, paths)`` evaluated at once, within ``budget`` [bytes] (default
    :data:`costplan.limits.PROJECTION_BLOCK_BYTES`).

    When one month of every path fits, every path and about :data:`BLOCK_PATH_MONTHS`
    path-months (small blocks keep the arrays in the processor's caches), at least one month.
    Otherwise one month of as many paths as fit three quarters of the budget (the rest holds
    what the selection of each month's quantiles keeps, :mod:`costplan.projection.pathblocks`):
    any number of simulations runs in bounded memory. Refused
    (:class:`~costplan.errors.InputError`) only when a month of the smallest block of paths
    (:data:`costplan.projection.pathblocks.PAIRWISE_BLOCK`) does not fit."""
    from costplan.limits import PROJECTION_BLOCK_BYTES
    from costplan.projection.pathblocks import PAIRWISE_BLOCK

    budget = budget or PROJECTION_BLOCK_BYTES
    n = max(simulations, 1)
    per_path = COLUMN_OVERHEAD * bytes_per_path_month(model)
    if per_path * n <= budget:
        return int(max(1, min(months, budget // (per_path * n), BLOCK_PATH_MONTHS // n))), n
    paths = int(budget * 3 // 4 // per_path)
    if paths < PAIRWISE_BLOCK:
        raise InputError(
            f"one month of this stack ({len(model.pools)} node pools, {len(model.rules)} cost lines) over "
            f"{PAIRWISE_BLOCK} paths needs about {PAIRWISE_BLOCK * per_path * 4 / 3 / 2**20:,.1f} MiB (with the selection), more than the "
            f"projection's {budget / 2**20:,.1f} MiB working memory (costplan.limits.PROJECTION_BLOCK_BYTES)")
    return 1, paths


def block_months(model: ProjectionModel, months: int, simulations: int, budget: int | None = None) -> int:
    """Months evaluated at once (:func:`block_sizes`)."""
    return block_sizes(model, months, simulations, budget)[0]


BLOCK_PATH_MONTHS = 65_536
"""Path-months a block of :func:`project` aims at [path-months]: 50,000 paths are evaluated a
month at a time, 2,000 paths 32 months at a time. Measured (docs/performance.md): at 50,000
paths x 120 months one-month blocks take about 20 % less CPU than six-month blocks."""


COLUMN_OVERHEAD = 1.5
"""Margin on :func:`bytes_per_path_month` for what :func:`project` adds per block (the total,
the cost per user, the transposed copies its statistics take) [1]."""


class _Stats:
    """The statistics :func:`project` reports, filled in block of months by block of months:
    the total, users and cost per user (``qt``, ``qu``, ``qp``: ``(3, months)``; ``mean_t``),
    each component's quantiles and mean (``comp``) and each resource's quantiles and share of
    paths at its limit (``cap``)."""

    def __init__(self, months: int, n: int):
        self.months, self.n = months, n
        self.qt, self.qu, self.qp = (np.empty((3, months)) for _ in range(3))
        self.mean_t = np.empty(months)
        self.comp: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.cap: dict[str, tuple[dict, np.ndarray, np.ndarray]] = {}

    def totals(self, cols: slice, total: np.ndarray, users: np.ndarray) -> None:
        """The total, users and cost per user of months ``cols`` from their ``(paths, months)``
        arrays over every path."""
        from costplan.projection.unit_cost import cost_per_user

        if not np.isfinite(total).all():  # never a NaN median or an inf total
            raise InputError(OVERFLOW)
        self.qt[:, cols], self.mean_t[cols] = column_stats(total)
        self.qu[:, cols] = quantiles(users)
        self.qp[:, cols] = quantiles(cost_per_user(total, users))  # NaN on a path with no users

    def component(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.comp.setdefault(name, (np.empty((3, self.months)), np.empty(self.months)))

    def resource(self, name: str, c: dict) -> tuple[dict, np.ndarray, np.ndarray]:
        return self.cap.setdefault(name, ({k: v for k, v in c.items() if k not in ("value", "at_limit")},
                                          np.empty((3, self.months)), np.zeros(self.months)))

    def whole(self, cols: slice, demand: dict, capa: dict, cost: dict, affine_ratios: tuple) -> None:
        """Months ``cols`` from their arrays over every path (emptied as they are read)."""
        n = self.n
        total = _sum_costs(cost)
        self.totals(cols, total, demand["users"])
        del total
        affine, ratios = affine_ratios
        by_ratio: dict[str, tuple] = {}  # each driver ratio's order statistics and mean, once
        t = arr = c = None
        for name in list(cost):
            q, mean = self.component(name)
            arr = cost.pop(name)
            if name not in affine:
                q[:, cols], mean[cols] = column_stats(arr)
                continue
            # coef x ratio + const with coef > 0 is increasing in the ratio: its order statistics
            # are the ratio's, mapped with the same arithmetic as its values
            driver, coef, const = affine[name]
            if driver not in by_ratio:
                t = np.array(ratios[driver].T, order="C")
                by_ratio[driver] = (t.mean(axis=1), *order_statistics(t))
            q[:, cols], mean[cols] = _affine(coef, const, *by_ratio[driver], n)
        for name in list(capa):
            c = capa.pop(name)
            _, q, share = self.resource(name, c)
            q[:, cols] = quantiles(c["value"], counts=True)
            if c["at_limit"] is not None:
                share[cols] = np.count_nonzero(c["at_limit"], axis=0) / n
        # the last arrays read are held until the next block's are: the allocator then reuses
        # their memory rather than returning it to the system and faulting it in again (25x
        # the page faults, 1.5 s of system time at 50,000 paths x 120 months otherwise)
        self._previous = (ratios, by_ratio, t, arr, c)


def _affine(coef: float, const: float, r_mean, r_a, r_b, n: int):
    """Quantiles and mean of ``coef x ratio + const`` from the ratio's mean and order statistics."""
    a, b = coef * r_a, coef * r_b
    if const:
        a, b = a + const, b + const
    return interpolate(a, b, n), coef * r_mean + const


class _PathBlocks:
    """The paths evaluated in blocks (:mod:`costplan.projection.pathblocks`): the leaves of
    numpy's pairwise sum over the paths, each with its own running state (the packed-mix
    caches and the reservations ever unused are shared), a month block at a time."""

    def __init__(self, model: ProjectionModel, draws: dict, n: int, most: int):
        from costplan.projection.pathblocks import pairwise_leaves

        self.model, self.draws, self.n, self.most = model, draws, n, most
        self.leaves = pairwise_leaves(n, most)
        used: set = set()
        packs = {f"pack:{key}": {} for key in model.pools}
        self.carries = [{"reservations_used": used, **packs} for _ in self.leaves]
        self.carry = {"reservations_used": used}

    def _evaluate(self, i: int, m0: int, m1: int, spot_factor, carries: list):
        s, e = self.leaves[i]
        c = dict(self.carries[i])
        draws = {k: v[s:e] for k, v in self.draws.items()}
        out = evaluate(self.model, draws, m0, m1, c, None if spot_factor is None else spot_factor[s:e])
        carries.append(c)
        return out

    def month_block(self, stats: _Stats, m0: int, m1: int, spot_factor) -> None:
        from costplan.projection.pathblocks import PathSelection

        n, months, cols = self.n, m1 - m0, slice(m0, m1)
        total = np.empty((n, months))
        users = np.empty((n, months))
        after: list[dict] = []
        layout: list[tuple[str, str]] = []
        sel = None
        constants: dict[tuple, np.ndarray] = {}
        affine: dict = {}
        at_limit: dict[str, np.ndarray] = {}
        for i, (s, e) in enumerate(self.leaves):
            demand, capa, cost = self._evaluate(i, m0, m1, spot_factor, after)
            total[s:e] = _sum_costs(cost)
            users[s:e] = demand["users"]
            del demand
            aff, ratios = after[-1].pop("affine")
            rows = _block_rows(cost, capa, aff, ratios)
            if i == 0:
                affine = aff
                for name in cost:  # in the components' order, as over every path at once
                    stats.component(name)
                for name, c in capa.items():
                    stats.resource(name, c)
                layout = [key for key, arr in rows if arr.strides[0] != 0]
                constants = {key: np.array(arr[0]) for key, arr in rows if arr.strides[0] == 0}
                sel = PathSelection(n, len(layout) * months, _positions(n)[:2], self.most)
            elif [key for key, arr in rows if arr.strides[0] != 0] != layout:  # pragma: no cover
                raise AssertionError("the blocks of paths evaluate different components")
            for name, c in capa.items():
                if c["at_limit"] is not None:
                    at_limit[name] = at_limit.get(name, 0) + np.count_nonzero(c["at_limit"], axis=0)
            x = np.empty((len(layout), months, e - s))
            for r, (_key, arr) in enumerate(a for a in rows if a[1].strides[0] != 0):
                x[r] = arr.T
            del rows, capa, cost, ratios
            x = x.reshape(len(layout) * months, e - s)
            if not np.isfinite(x).all():
                raise InputError(OVERFLOW)
            sel.add(x)
            del x
        stats.totals(cols, total, users)
        del total, users
        a, b, mean, lo, hi, unresolved = sel.finish()
        self._resolve(sel, a, b, np.flatnonzero(unresolved), layout, months, m0, m1, spot_factor)
        self.carries = after
        index = {key: r for r, key in enumerate(layout)}

        def figures(key, with_mean: bool):
            if key in constants:
                row = constants[key]
                return np.repeat(row[None, :], 3, axis=0), row
            rs = slice(index[key] * months, (index[key] + 1) * months)
            q = interpolate(a[:, rs], b[:, rs], n)
            m = np.where(lo[rs] == hi[rs], lo[rs], mean[rs]) if with_mean else mean[rs]
            return q, m

        for key in [k for k in dict.fromkeys([*layout, *constants]) if k[0] == "c"]:
            q, m = stats.component(key[1])
            q[:, cols], m[cols] = figures(key, True)
        for name, (driver, coef, const) in affine.items():
            q, m = stats.component(name)
            key = ("r", driver)
            if key in constants:  # pragma: no cover - a ratio is never a broadcast constant
                raise AssertionError(driver)
            rs = slice(index[key] * months, (index[key] + 1) * months)
            q[:, cols], m[cols] = _affine(coef, const, mean[rs], a[:, rs], b[:, rs], n)
        for key in [k for k in dict.fromkeys([*layout, *constants]) if k[0] == "k"]:
            _, q, share = stats.cap[key[1]]
            q[:, cols] = figures(key, False)[0]
            if key[1] in at_limit:
                share[cols] = at_limit[key[1]] / n

    def _resolve(self, sel, a, b, rows: np.ndarray, layout: list, months: int, m0: int, m1: int, spot_factor) -> None:
        """The figures the selection left unresolved, from their rows over every path: the
        month block evaluated again, as many rows at a time as fit the working memory."""
        from costplan.limits import PROJECTION_BLOCK_BYTES

        if not len(rows):
            return
        keys = sorted({int(r) // months for r in rows})
        group = max(1, int(PROJECTION_BLOCK_BYTES // 4 // (16 * months * self.n)))
        for g0 in range(0, len(keys), group):
            mine = keys[g0:g0 + group]
            want = {layout[k]: j for j, k in enumerate(mine)}
            values = np.empty((len(mine), months, self.n))
            for i, (s, e) in enumerate(self.leaves):
                state: list[dict] = []
                demand, capa, cost = self._evaluate(i, m0, m1, spot_factor, state)
                for key, arr in _block_rows(cost, capa, *state[0].pop("affine")):
                    if key in want:
                        values[want[key], :, s:e] = arr.T
                del demand, capa, cost
            flat = np.array([k * months + j for k in mine for j in range(months)])
            sel.resolve(flat, values.reshape(len(mine) * months, self.n), a, b)


def _block_rows(cost: dict, capa: dict, affine: dict, ratios: dict) -> list[tuple[tuple[str, str], np.ndarray]]:
    """The ``(paths, months)`` arrays of one block whose statistics are taken over paths: the
    components (``("c", name)``) but those mapped from a driver's ratio, those ratios
    (``("r", driver)``) and the resources' values (``("k", name)``)."""
    rows = [(("c", name), arr) for name, arr in cost.items() if name not in affine]
    rows += [(("r", d), ratios[d]) for d in dict.fromkeys(d for d, _, _ in affine.values())]
    rows += [(("k", name), np.asarray(c["value"], dtype=float)) for name, c in capa.items()]
    return rows


def project(stack, months: int | None = None, simulations: int = 2000, seed: int = 42,
            catalog: Catalog | None = None, calibration: Calibration | None = None,
            months_per_block: int | None = None, paths_per_block: int | None = None,
            base=None) -> ProjectionResult:
    """Project ``stack`` month by month: demand -> capacity -> cost, with ranges.

    ``stack`` is a :class:`Stack` or a path; ``months`` defaults to the spec's (36);
    ``simulations`` Monte Carlo paths (0 = the deterministic central path only); ``seed`` fixes
    the draws; ``catalog`` defaults to the embedded snapshot; ``calibration`` (from
    :func:`costplan.projection.calibrate.calibrate`) scales the cost lines to actual spend.

    The paths are evaluated a block of months at a time (``months_per_block``; by default as
    many as fit :data:`costplan.limits.PROJECTION_BLOCK_BYTES`, :func:`block_sizes`), every
    path in each block, the running state carried from block to block; each block's
    quantiles and means are taken before the next is evaluated, so memory is bounded by one
    block whatever the horizon, and the result does not depend on the block size. When one
    month of every path does not fit, the paths are evaluated in blocks too
    (``paths_per_block``, rounded to the blocks of numpy's pairwise sum; by default as many
    as fit), each month's statistics taken over the blocks
    (:mod:`costplan.projection.pathblocks`): the same figures, to the last bit.

    ``base``: the estimate of ``stack`` at ``catalog`` when the caller has it (the monthly
    report's plan): the projection starts from it instead of pricing the stack again.
    """
    from costplan.pricing.catalog import default_catalog

    if not isinstance(stack, Stack):
        from costplan.stack import load_stack

        stack = load_stack(stack)
    from costplan.limits import check_projection_size

    check_projection_size(months if months is not None else 1, simulations, seed)  # before any work
    catalog = catalog or default_catalog()
    model = ProjectionModel(stack, catalog, calibration=calibration, base=base)
    months = months if months is not None else model.spec.months
    check_projection_size(months, simulations)
    if months_per_block is not None and (isinstance(months_per_block, bool) or not isinstance(months_per_block, int)
                                         or months_per_block < 1):
        raise InputError(f"months_per_block must be a whole number 1 or more, got {months_per_block!r}")
    if paths_per_block is not None and (isinstance(paths_per_block, bool) or not isinstance(paths_per_block, int)
                                        or paths_per_block < 1):
        raise InputError(f"paths_per_block must be a whole number 1 or more, got {paths_per_block!r}")
    block, paths = block_sizes(model, months, simulations)
    block = months_per_block or block
    paths = paths_per_block or paths
    first = _first_month(model.spec)
    _, dem_c, cap_c, cost_c = simulate(model, months, 0, seed)
    _, _, _, cost_plus = simulate(model, months, 0, seed, extra_users=1000.0)
    _, _, _, cost_zero = simulate(model, months, 0, seed, zero_users=True)
    total_c = _sum_costs(cost_c)[0]
    fixed = _sum_costs(cost_zero)[0]
    if not np.isfinite(total_c).all():
        raise InputError(OVERFLOW)

    # the Monte Carlo paths, block of months by block of months: each block's statistics go
    # into these (3, months) and (months,) arrays, and the block's arrays are released
    n = max(simulations, 1)
    draws = draw_paths(model, simulations, seed)
    carry: dict = {}
    stats = _Stats(months, n)
    leaves = None if paths is None or paths >= n else _PathBlocks(model, draws, n, paths)
    for m0 in range(0, months, block):
        m1 = min(months, m0 + block)
        spot_factor = spot_factors(model, simulations, seed, m0, m1)
        if leaves is None:
            demand, capa, cost = evaluate(model, draws, m0, m1, carry, spot_factor)
            del spot_factor
            stats.whole(slice(m0, m1), demand, capa, cost, carry.pop("affine"))
            del demand, capa, cost
        else:
            leaves.month_block(stats, m0, m1, spot_factor)
    if leaves is not None:
        carry = leaves.carry
    qt, qu, qp, mean_t, comp_stats, cap_stats = (stats.qt, stats.qu, stats.qp, stats.mean_t, stats.comp,
                                                 stats.cap)
    del draws
    for name in model.dropped(carry):
        comp_stats.pop(name, None)

    steps = []
    last = months - 1
    cap_cols: dict[str, list] = {k: [] for k in ("resource", "kind", "unit", "limit", "p10", "p50", "p90",
                                                 "deterministic", "label", "at_limit_share")}
    for name, (c, q, share) in cap_stats.items():
        vc = np.asarray(cap_c[name]["value"], dtype=float)[0]
        ladder = c.get("ladder")
        label = np.array([ladder[int(i)] for i in vc] if ladder else [""] * months, dtype=object)
        for k, v in (("resource", name), ("kind", c["kind"]), ("unit", c["unit"]), ("limit", c["limit"]),
                     ("p10", q[0]), ("p50", q[1]), ("p90", q[2]), ("deterministic", vc), ("label", label),
                     ("at_limit_share", share)):
            cap_cols[k].append(v)
        if c["kind"] == "nodes_offpeak":  # steps and limits are about the peak
            continue
        base = float(c.get("baseline", vc[0]))
        grew = np.nonzero(vc > base + 1e-9)[0]
        atc = cap_c[name]["at_limit"]
        at_c = np.nonzero(np.asarray(atc)[0])[0] if atc is not None else np.array([], int)
        if len(grew) or len(at_c) or share[last] > 0:
            def fmt(x, ladder=ladder):
                return ladder[int(x)] if ladder else f"{x:g}"

            note = ""
            if len(grew):
                when = "already in month 0" if grew[0] == 0 else f"in month {int(grew[0])}"
                note = (f"{name}: {fmt(base)} -> {fmt(vc[grew[0]])} {c['unit']} {when}"
                        f" ({fmt(vc[-1])} by month {last})")
            if len(at_c):
                note += ("; d" if note else f"{name}: d") + f"emand exceeds {c['limit']} from month {int(at_c[0])}"
            elif share[last] > 0:
                note += "; " if note else f"{name}: "
                note += f"{share[last]:.1%} of paths exceed {c['limit']} by month {last}"
            steps.append({
                "resource": name, "kind": c["kind"], "month": int(grew[0]) if len(grew) else -1,
                "from": fmt(base), "to": fmt(vc[grew[0]]) if len(grew) else fmt(base),
                "first_month_at_limit": int(at_c[0]) if len(at_c) else -1,
                "share_of_paths_at_limit": float(share[last]), "limit": c["limit"], "note": note,
            })
    warnings = list(model.estimate.warnings) + list(model.warnings)
    if calibration is not None:
        warnings += list(calibration.warnings)
    for st in steps:
        if st["first_month_at_limit"] >= 0 or st["share_of_paths_at_limit"] > 0:
            warnings.append(st["note"])
    def frames() -> dict:
        """The result's frames (built on first use: the report reads the monthly figures only)."""
        import pandas as pd

        starts = _month_starts(model.spec, months, first)
        monthly = pd.DataFrame({**monthly_values, "month": np.arange(months), "ChargePeriodStart": starts})
        month_idx = np.arange(months)

        lines = model.estimate.lines.drop_duplicates("component").set_index("component")
        names = list(comp_stats)
        comp = [comp_stats[n] for n in names]
        by_component = _long_frame(months, starts, {
            "component": names, "ServiceName": [lines.ServiceName.get(n, "") for n in names],
            "RegionId": [lines.RegionId.get(n, "") for n in names]}, {
            "p10": [q[0] for q, _ in comp], "p50": [q[1] for q, _ in comp], "p90": [q[2] for q, _ in comp],
            "mean": [m for _, m in comp], "deterministic": [cost_c[n][0] for n in names]})

        capacity = pd.DataFrame()
        if cap_stats:
            capacity = _long_frame(months, starts, {k: cap_cols[k] for k in ("resource", "kind", "unit")},
                                   {k: cap_cols[k] for k in ("p10", "p50", "p90", "deterministic", "label", "at_limit_share")},
                                   {"limit": cap_cols["limit"]})
        steps_df = pd.DataFrame(steps, columns=["resource", "kind", "month", "from", "to", "first_month_at_limit",
                                                "share_of_paths_at_limit", "limit", "note"])

        per_user = pd.DataFrame({**per_user_values, "month": month_idx, "ChargePeriodStart": starts})

        from costplan.projection.spot import spot_savings

        spot_pools = [k for k, p in model.pools.items() if p.spot is not None]
        spot = spot_savings(stack, catalog, pools=spot_pools) if spot_pools else pd.DataFrame()
        return {"monthly": monthly, "by_component": by_component, "capacity": capacity, "per_user": per_user,
                "steps": steps_df, "spot": spot}

    users_c = dem_c["users"][0]
    month_starts = _month_start_dates(first, months)
    monthly_values = {
        "month": list(range(months)), "ChargePeriodStart": month_starts,
        "users_p10": qu[0], "users_p50": qu[1], "users_p90": qu[2],
        "p10": qt[0], "p50": qt[1], "p90": qt[2], "mean": mean_t,
        "deterministic": total_c, "fixed": fixed, "variable": qt[1] - fixed,
    }
    from costplan.projection.unit_cost import cost_per_user

    per_user_values = {
        "month": list(range(months)), "ChargePeriodStart": month_starts, "users_p50": qu[1],
        "p10": qp[0], "p50": qp[1], "p90": qp[2], "deterministic": cost_per_user(total_c, users_c),
        "fixed_per_user": cost_per_user(fixed, users_c),
        "marginal_per_1000_users": _sum_costs(cost_plus)[0] - total_c,
    }
    return ProjectionResult(
        stack_name=stack.name, scenario=stack.scenario, months=months, simulations=simulations, seed=seed,
        catalog_as_of=catalog.as_of, frames=frames, warnings=warnings, calibration=calibration,
        values={"monthly": monthly_values, "per_user": per_user_values},
    )
