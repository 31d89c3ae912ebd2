"""Decisions priced on the whole bill.

Every recommendation (moving node pools to spot, buying a Savings Plan, moving to Graviton,
resizing a node pool) is a *scenario* of the full stack, existing commitments included, and is
priced by the same engine as ``costplan diff`` (:func:`costplan.iac.diff.diff_estimates` of two
:func:`costplan.estimator.estimate` runs with one catalog). A move that looks cheaper on its
own can raise the bill when it strands a commitment already bought; the net effect here says
so, because the Savings Plan lines are part of both estimates.

The quarterly review, the monthly report and the notebooks all read the
:class:`Decision` objects of :func:`evaluate_decisions`.

>>> from costplan.config import DEFAULT_STACK
>>> from costplan.stack import load_stack
>>> ds = evaluate_decisions(load_stack(DEFAULT_STACK), commitments=False)
>>> [d.key for d in ds if d.kind == "spot"][:1]
['scenario:app-on-spot']
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.estimator import EstimateResult
    from costplan.iac.diff import CostDiff
    from costplan.pricing.catalog import Catalog
    from costplan.stack.models import Stack

#: Graviton equivalents of x86 families, same size (what a "move to Graviton" scenario uses
#: when the stack does not declare one).
GRAVITON = {"c5": "c7g", "c6i": "c7g", "m5": "m7g", "m6i": "m7g", "r5": "r7g", "r6i": "r7g", "t3": "t4g"}

DECISION_COLUMNS = ["decision", "kind", "net_monthly", "low", "high", "previous_monthly", "new_monthly",
                    "estimate_grade", "estimate_grade_cost", "scenario", "notes"]


@dataclass
class Decision:
    """One recommendation priced as a scenario of the whole stack.

    ``net_monthly`` is the scenario's monthly bill minus the stack's [USD/month] (negative: a
    saving), exactly ``costplan diff STACK SCENARIO``'s difference; ``low`` / ``high`` bound it
    [USD/month] (spot prices within the stack's ``projection.spot.price_volatility``; for a
    commitment, the effect on this month's bill and the average over the term's projected
    usage); ``estimate_grade_cost`` is the part of the change (sum of the absolute per-component
    differences) in components priced from estimate-grade (unverified) prices [USD/month].
    """

    key: str
    kind: str
    """``spot``, ``commitment``, ``graviton``, ``rightsizing`` or ``scenario``"""
    title: str
    scenario: str
    """how to reproduce it: ``STACK.yaml#name`` for the stack's own scenarios"""
    diff: CostDiff
    low: float
    high: float
    estimate_grade_cost: float = 0.0
    notes: list[str] = field(default_factory=list)
    patch: dict | None = None
    """the scenario's patch of the stack (same format as a stack file's ``scenarios``)"""

    @property
    def net_monthly(self) -> float:
        """[USD/month]; negative saves."""
        return self.diff.difference

    @property
    def estimate_grade(self) -> bool:
        return self.estimate_grade_cost >= 0.005

    @property
    def saves(self) -> bool:
        return self.net_monthly < -0.005

    def headline(self) -> str:
        """One line: what it does to the whole bill, its range and its price grade."""
        d = self.net_monthly
        word = "saves" if d < -0.005 else "raises the bill by" if d > 0.005 else "does not change the bill"
        amount = f" ${abs(d):,.2f}/month" if abs(d) >= 0.005 else ""
        rng = ""
        if abs(self.high - self.low) >= 0.005:
            lo, hi = sorted((abs(self.low), abs(self.high)))
            if d < -0.005 and self.high < -0.005:  # a saving whichever way: said as savings, not as negatives
                rng = f" (between ${lo:,.2f} and ${hi:,.2f})"
            elif d > 0.005 and self.low > 0.005:
                rng = f" (between ${lo:,.2f} and ${hi:,.2f})"
            else:  # the range crosses zero: each end in words
                rng = f" (from {_effect(self.low)} to {_effect(self.high)})"
        grade = f"; ${self.estimate_grade_cost:,.2f}/month of the change rests on estimate-grade prices" if self.estimate_grade else ""
        return f"{self.title}: {word}{amount}{rng} on the whole bill{grade}"

    def row(self) -> dict:
        return {"decision": self.title, "kind": self.kind, "net_monthly": round(self.net_monthly, 2),
                "low": round(self.low, 2), "high": round(self.high, 2),
                "previous_monthly": round(self.diff.previous_total, 2), "new_monthly": round(self.diff.new_total, 2),
                "estimate_grade": self.estimate_grade, "estimate_grade_cost": round(self.estimate_grade_cost, 2),
                "scenario": self.scenario, "notes": "; ".join(self.notes)}


def _effect(v: float) -> str:
    """What a change of ``v`` [USD/month] does to the bill, in words."""
    if v < -0.005:
        return f"saving ${abs(v):,.2f}"
    return f"raising it by ${v:,.2f}" if v > 0.005 else "no change"


def table_rows(decisions: list[Decision]):
    """:func:`table` as :class:`costplan.frames.Rows` (no pandas): one row per decision, largest
    saving first."""
    from costplan.frames import Rows

    recs = [d.row() for d in decisions]
    order = sorted(range(len(recs)), key=lambda i: recs[i]["net_monthly"])
    def plain(v):
        return v.item() if hasattr(v, "item") else v

    # the amounts are numbers; with no decision at all, every column is untyped, as in the frame
    kinds = {c: "float" for c in ("net_monthly", "low", "high", "previous_monthly", "new_monthly",
                                  "estimate_grade_cost")} if recs else {c: "str" for c in DECISION_COLUMNS}
    return Rows(DECISION_COLUMNS, [tuple(plain(recs[i].get(c)) for c in DECISION_COLUMNS) for i in order], kinds)


def table(decisions: list[Decision]) -> pd.DataFrame:
    """One row per decision, columns ``DECISION_COLUMNS``, largest saving first."""
    import pandas as pd

    df = pd.DataFrame([d.row() for d in decisions], columns=DECISION_COLUMNS)
    return df.sort_values("net_monthly", kind="stable").reset_index(drop=True)


# --- scenarios -------------------------------------------------------------------------------
def scenario_stack(stack: Stack, name: str, patch: dict) -> Stack:
    """``stack`` with ``patch`` applied exactly as a stack file's scenario would be (same merge,
    same validation)."""
    from costplan.stack.loader import stack_from_data

    data = copy.deepcopy(getattr(stack, "_data", None) or stack.model_dump(mode="json", exclude_none=True))
    # only this scenario: the file's others were validated when it was loaded
    data["scenarios"] = {name: {"description": f"scenario {name}", "patch": patch}}
    return stack_from_data(data, getattr(stack, "_source", "<stack>"), getattr(stack, "_lines", None), scenario=name)


def _kind_of(patch: dict) -> str | None:
    """``spot`` / ``graviton`` / ``rightsizing`` for a patch that only touches node pools."""
    kinds = set()
    for region in (patch.get("regions") or {}).values():
        if not isinstance(region, dict) or set(region) - {"node_pools"}:
            return None
        for pool in (region.get("node_pools") or {}).values():
            if not isinstance(pool, dict):
                return None
            if pool.get("capacity") == "spot":
                kinds.add("spot")
            elif "instance_types" in pool and all(_is_graviton(t) for t in pool["instance_types"]):
                kinds.add("graviton")
            elif set(pool) & {"desired", "min", "max", "nodes", "instance_types"}:
                kinds.add("rightsizing")
    if set(patch) - {"regions"} or not kinds:
        return None
    return sorted(kinds)[0] if len(kinds) == 1 else "scenario"


def _is_graviton(itype: str) -> bool:
    fam = itype.split(".")[0]
    return fam[-1:] == "g" or fam.endswith("gd") or fam.endswith("gn")


# --- evaluation ------------------------------------------------------------------------------
def price_scenario(base: EstimateResult, stack: Stack, new: Stack, catalog: Catalog, *, key: str, kind: str,
                   title: str, scenario: str, patch: dict | None = None, volatility: float = 0.0,
                   notes: list[str] | None = None) -> Decision:
    """Estimate ``new`` with ``catalog`` and compare it with ``base`` (the estimate of
    ``stack``) the way ``costplan diff`` does."""
    from costplan.estimator import estimate
    from costplan.frames import sum_like_pandas
    from costplan.iac.diff import diff_estimates

    est = estimate(new, catalog)
    d = diff_estimates(base, est, previous_name=stack.name, new_name=scenario)
    changed = [r for r in d.rows if abs(r[3]) >= 0.005]  # component, previous, new, difference, pct
    base_lines, new_lines = base.records(), est.records()
    unverified = {r["component"] for side in (base_lines, new_lines) for r in side if not r["price_verified"]}
    grade = sum_like_pandas(abs(r[3]) for r in changed if r[0] in unverified)
    spot = sum_like_pandas(r["ListCost"] for r in new_lines if r["pricing_model"] == "spot")
    spot_before = sum_like_pandas(r["ListCost"] for r in base_lines if r["pricing_model"] == "spot")
    swing = volatility * abs(spot - spot_before)
    return Decision(key, kind, title, scenario, d, d.difference - swing, d.difference + swing, grade,
                    list(notes or []), patch)


def evaluate_decisions(stack: Stack, catalog: Catalog | None = None, *, commitments: bool = True,
                       simulations: int = 200, seed: int = 0, base: EstimateResult | None = None) -> list[Decision]:
    """Every decision for ``stack``, each priced on the whole bill:

    - the stack file's own scenarios that only change node pools (spot, Graviton, pool sizes);
    - each node pool group (same pool name in every region) still on demand moved to spot,
      unless a scenario of the stack already does it;
    - a move to Graviton (``GRAVITON``) when the stack declares none;
    - for each Savings Plan term, the commitment the sizing recommends
      (:func:`costplan.projection.stack_commitments`), added to the existing ones.
    """
    from costplan.estimator import estimate
    from costplan.pricing.catalog import default_catalog

    catalog = catalog or default_catalog()
    base = base or estimate(stack, catalog)
    src = _shown_path(getattr(stack, "_source", None) or "stack.yaml")
    vol = stack.projection.spot.price_volatility if stack.projection and stack.projection.spot else 0.0
    out: list[Decision] = []
    covered_spot: set[str] = set()
    have_graviton = False
    for name, sc in (stack.scenarios or {}).items():
        kind = _kind_of(sc.patch)
        if kind is None:
            continue
        new = scenario_stack(stack, name, sc.patch)
        for region in (sc.patch.get("regions") or {}).values():
            for pname, pool in (region.get("node_pools") or {}).items():
                if pool.get("capacity") == "spot":
                    covered_spot.add(pname)
        have_graviton |= kind == "graviton"
        out.append(price_scenario(base, stack, new, catalog, key=f"scenario:{name}", kind=kind,
                                  title=sc.description or name, scenario=f"{src}#{name}", patch=sc.patch,
                                  volatility=vol if kind == "spot" else 0.0))
    groups: dict[str, list[str]] = {}
    for rname, region in stack.regions.items():
        for pname, pool in region.node_pools.items():
            if pool.capacity != "spot":
                groups.setdefault(pname, []).append(rname)
    for pname, regions in groups.items():
        if pname in covered_spot:
            continue
        patch = {"regions": {r: {"node_pools": {pname: {"capacity": "spot"}}} for r in regions}}
        notes = ["system pools run cluster add-ons: keep them on demand unless they tolerate interruptions"] \
            if pname == "system" else []
        out.append(price_scenario(base, stack, scenario_stack(stack, f"{pname}-on-spot", patch), catalog,
                                  key=f"spot:{pname}", kind="spot", title=f"Move the {pname} pools to spot",
                                  scenario=f"{src} + {pname} on spot", patch=patch, volatility=vol, notes=notes))
    if not have_graviton:
        patch = _graviton_patch(stack)
        if patch:
            try:
                new = scenario_stack(stack, "graviton", patch)
                out.append(price_scenario(base, stack, new, catalog, key="graviton", kind="graviton",
                                          title="Move the node pools to Graviton", scenario=f"{src} + Graviton",
                                          patch=patch))
            except Exception as exc:  # a family the catalog does not price: say so, do not guess
                from costplan.errors import CostplanError

                if not isinstance(exc, CostplanError):
                    raise
    if commitments:
        out += commitment_decisions(stack, base, catalog, simulations=simulations, seed=seed)
    return out


def _shown_path(path: str) -> str:
    """A stack file as a person would type it: relative to the working directory when under it."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return rel if not rel.startswith("..") else path


def _graviton_patch(stack: Stack) -> dict:
    patch: dict = {}
    for rname, region in stack.regions.items():
        for pname, pool in region.node_pools.items():
            new = []
            for t in pool.instance_types:
                fam, _, size = t.partition(".")
                new.append(f"{GRAVITON[fam]}.{size}" if fam in GRAVITON else t)
            if new != list(pool.instance_types):
                patch.setdefault("regions", {}).setdefault(rname, {}).setdefault("node_pools", {})[pname] = {
                    "instance_types": new}
    return patch


def commitment_decisions(stack: Stack, base: EstimateResult, catalog: Catalog, *, simulations: int = 200,
                         seed: int = 0) -> list[Decision]:
    """The recommended Savings Plan of each term (best payment option), bought on top of the
    existing commitments and priced on this month's bill; its range runs to the average
    monthly net saving over the term's projected usage."""
    from costplan.frames import sum_like_pandas
    from costplan.projection.commitments import TERM_MONTHS, savings_plan_sizing

    # the Savings Plan sizing only (stack_commitments(alternatives=False) without its frames and
    # cost curves): the reserved-instance and combined alternatives are not decisions here
    table, existing, _ = savings_plan_sizing(stack, catalog, simulations=simulations, seed=seed, base=base)
    out = []
    existing_total = sum(sp.hourly_commitment for sp in stack.commitments.savings_plans.values()
                         if sp.type == "compute")
    if not table:
        return out
    for term in sorted({r["term"] for r in table}):
        rows = [r for r in table if r["term"] == term]
        best = max(rows, key=lambda r: r["net_savings"])  # the first of the best, as a sort puts it
        extra = float(best["commitment"]) - existing_total
        if extra < 0.01:
            continue
        extra = round(extra, 2)
        name = f"buy-sp-{term}"
        patch = {"commitments": {"savings_plans": {name: {
            "type": "compute", "term": term, "payment": best["payment"], "hourly_commitment": extra,
            "why": f"recommended by the sizing on the projected usage ({term} {best['payment']})"}}}}
        new = scenario_stack(stack, name, patch)
        title = f"Buy a {term} {best['payment']} Compute Savings Plan of ${extra:,.2f}/h"
        dec = price_scenario(base, stack, new, catalog, key=f"commitment:{term}", kind="commitment", title=title,
                             scenario=f"{stack.name} + {name}", patch=patch,
                             notes=[f"sized on {simulations} projected paths; total optimum ${float(best['commitment']):,.2f}/h "
                                    f"including the ${existing_total:,.2f}/h already bought"])
        had = 0.0
        if existing:
            had = sum_like_pandas(r["net_savings"] / TERM_MONTHS[r["term"]] for r in existing)
        avg = -(float(best["net_savings"]) / TERM_MONTHS[term] - had)
        lo, hi = sorted((dec.net_monthly, avg))
        dec.low, dec.high = lo, hi
        out.append(dec)
    return out


__all__ = ["Decision", "evaluate_decisions", "commitment_decisions", "price_scenario", "scenario_stack", "table"]
