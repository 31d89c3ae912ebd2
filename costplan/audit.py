"""Claimed-budget audit: a planning document's cost table against the priced stack.

Each claimed line is matched to the estimate's cost lines, compared, and, where it is off by
more than the threshold, given the likely reason the model can see: an hour basis other than
730, a size different from the stack's, a unit price other than the list price, spot
capacity, usage assumptions. Components the table never prices are listed as missing.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError

from costplan.errors import InputError, Problem, closest
from costplan.estimator import EstimateResult
from costplan.pricing.catalog import Catalog
from costplan.stack.loader import read_yaml, validation_problems
from costplan.stack.models import Spec, Stack

THRESHOLD = 0.10
COMMON_HOUR_BASES = (672, 696, 700, 720, 744, 750, 760)
SIZE_TOLERANCE = 0.05  # a stated size this far from the stack's is reported as a size difference

MISSING_REASONS = {
    "nat_gateway": "the VPC module enables NAT gateways (one per AZ) but the table never prices them: hourly charge "
    "plus every GB processed",
    "public_ipv4": "every public IPv4 address (NAT Elastic IPs, load balancer nodes) is billed since Feb 2024; the table "
    "has no line for it",
    "kms": "the Terraform creates customer managed KMS keys for EKS and RDS: $1 per key-month plus requests",
    "route53": "the Route 53 zone, health check and queries of the multi-region routing are not in the table",
    "rds": "part of the RDS bill (storage, backups or IOPS) the table leaves out",
    "commitment": "commitments are not in the table",
}


class ClaimMatch(Spec):
    kinds: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)
    usages: list[str] = Field(default_factory=list)


class ClaimLine(Spec):
    label: str
    claimed: Annotated[float, Field(ge=0)]
    quantity: float | None = None
    unit: Literal["nodes", "replicas", "GB", "clusters"] | None = None
    match: ClaimMatch


class Claims(Spec):
    """A claimed cost table; like every spec, its numbers are finite and bounded (docs/refusals.md)."""

    source: str
    currency: Literal["USD"] = "USD"
    claimed_total: float | None = None
    users: Annotated[int, Field(ge=0)] | None = None
    claimed_cost_per_user: float | None = None
    lines: dict[str, ClaimLine] = Field(..., min_length=1)


@dataclass
class AuditResult:
    """Claimed vs computed.

    ``comparison`` columns: ``line``, ``label``, ``claimed`` [USD/month], ``computed``
    [USD/month], ``difference`` (computed - claimed) [USD/month], ``ratio`` (claimed /
    computed), ``flag`` (``ok``, ``over``, ``under``, ``missing``), ``reason``.
    """

    source: str
    comparison: pd.DataFrame
    claimed_total: float | None
    computed_total: float
    lint: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "claimed_total": self.claimed_total,
            "computed_total": round(self.computed_total, 2),
            "comparison": self.comparison.round({"computed": 2, "difference": 2, "ratio": 3}).to_dict(orient="records"),
            "lint": self.lint,
            "notes": self.notes,
        }


def load_claims(path: str | Path) -> Claims:
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(Problem("expected a YAML mapping with `source` and `lines`", file=str(path), line=1))
    try:
        return Claims.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, Claims, str(path), lines)) from None


def _matches(row, m: ClaimMatch) -> bool:
    hit = row.component_kind in m.kinds or any(fnmatch.fnmatchcase(row.component, p) for p in m.components)
    return hit and (not m.usages or row.usage in m.usages)


def audit(
    claims: Claims | str | Path,
    result: EstimateResult,
    stack: Stack | None = None,
    catalog: Catalog | None = None,
    threshold: float = THRESHOLD,
    claims_file: str | None = None,
) -> AuditResult:
    """Compare ``claims`` with ``result`` line by line (see :class:`AuditResult`)."""
    if not isinstance(claims, Claims):
        claims_file = str(claims)
        claims = load_claims(claims)
    lines = result.lines[result.lines.component_kind != "commitment"].reset_index(drop=True)
    owner: dict[int, str] = {}
    problems = []
    rows = []
    for key, c in claims.lines.items():
        idx = [i for i, r in enumerate(lines.itertuples()) if _matches(r, c.match)]
        if not idx:
            comps = sorted(set(lines.component))
            kinds = sorted(set(lines.component_kind))
            pats = [*c.match.components, *c.match.kinds]
            near = closest(pats[0], comps + kinds) if pats else []
            hint = f"did you mean {', '.join(repr(n) for n in near)}? " if near else ""
            problems.append(Problem(
                f"claim {key!r} ({c.label}) matches no cost line of the stack; {hint}kinds: {', '.join(kinds)}",
                file=claims_file, location=f"lines.{key}.match",
            ))
            continue
        for i in idx:
            if i in owner:
                problems.append(Problem(
                    f"cost line {lines.component[i]} ({lines.description[i]}) matches both {owner[i]!r} and {key!r}",
                    file=claims_file, location=f"lines.{key}.match",
                ))
            owner[i] = key
        matched = lines.iloc[idx]
        computed = float(matched.ListCost.sum())
        ratio = c.claimed / computed if computed else float("inf")
        flag = "ok" if abs(ratio - 1) <= threshold else ("over" if ratio > 1 else "under")
        reason = "" if flag == "ok" else _reason(c, matched, computed, result, catalog)
        rows.append(dict(line=key, label=c.label, claimed=c.claimed, computed=computed,
                         difference=computed - c.claimed, ratio=ratio, flag=flag, reason=reason))
    if problems:
        raise InputError(problems)
    unmatched = lines[[i not in owner for i in range(len(lines))]]
    for kind, grp in unmatched.groupby("component_kind", sort=True):
        desc = "; ".join(sorted(set(grp.description)))[:160]
        rows.append(dict(line=f"(missing) {kind}", label=f"not in the table: {desc}", claimed=0.0,
                         computed=float(grp.ListCost.sum()), difference=float(grp.ListCost.sum()), ratio=0.0,
                         flag="missing", reason=MISSING_REASONS.get(kind, "a priced component the table leaves out")))
    df = pd.DataFrame(rows, columns=["line", "label", "claimed", "computed", "difference", "ratio", "flag", "reason"])
    notes = []
    claimed_sum = sum(c.claimed for c in claims.lines.values())
    if claims.claimed_total is not None and abs(claimed_sum - claims.claimed_total) > 0.5:
        notes.append(f"the table's lines add up to ${claimed_sum:,.0f}, not the ${claims.claimed_total:,.0f} it states")
    computed_total = result.on_demand_monthly_cost
    if claims.claimed_total is not None:
        notes.append(
            f"total: claimed ${claims.claimed_total:,.0f} vs computed ${computed_total:,.2f} at list prices "
            f"(ratio {claims.claimed_total / computed_total:.2f}); after the stack's commitments "
            f"${result.total_monthly_cost:,.2f}"
        )
    if claims.users:
        notes.append(
            f"cost per user: claimed ${claims.claimed_cost_per_user or claims.claimed_total / claims.users:.2f} vs "
            f"computed ${computed_total / claims.users:.2f} a month for {claims.users:,} users"
        )
    if result.unverified_cost:
        notes.append(
            f"${result.unverified_cost:,.2f} of the computed total rests on estimate-grade (unverified) prices"
        )
    lint = [f.__dict__ for f in result.findings]
    if stack is not None:
        lint += lint_stack(stack)
    return AuditResult(claims.source, df, claims.claimed_total, computed_total, lint, notes)


def _reason(c: ClaimLine, matched: pd.DataFrame, computed: float, result: EstimateResult, catalog) -> str:
    reasons = []
    hours = result.hours_per_month
    hourly = matched[matched.PricingUnit == "Hrs"]
    if len(hourly) == len(matched) and computed:
        implied_h = c.claimed / computed * hours
        near = min(COMMON_HOUR_BASES, key=lambda h: abs(h - implied_h))
        if abs(near - implied_h) / near < 0.004 and near != hours:
            return f"hour basis: the claim uses {near} h a month; AWS bills {hours:g} h on average"
    qty = _quantity(c, matched, hours)
    regions = ", ".join(sorted(set(matched.RegionId)))
    if c.quantity is not None and qty is not None and abs(qty - c.quantity) / max(c.quantity, 1e-9) > SIZE_TOLERANCE:
        reasons.append(f"size: the claim counts {c.quantity:g} {c.unit}, the stack has {qty:g} {c.unit}")
    elif len(hourly) == len(matched) and c.quantity and c.unit in ("nodes", "replicas", "clusters"):
        implied = c.claimed / (c.quantity * hours)
        listed = computed / (c.quantity * hours)
        reasons.append(f"unit price: the claim implies ${implied:.4f}/h each against the list ${listed:.4f}/h "
                       f"(average over {regions})")
    if c.unit == "GB" and qty and c.quantity:
        storage = float(matched.loc[matched.usage == "storage-gb-month", "ListCost"].sum())
        reasons.append(f"price per GB: claim ${c.claimed / c.quantity:.3f}/GB-month vs list ${storage / qty:.3f}")
        if computed - storage > 0.005:
            reasons.append(f"plus ${computed - storage:,.2f} of {', '.join(sorted(set(matched.usage) - {'storage-gb-month'}))} "
                           "the claim leaves out")
    if (matched.pricing_model == "spot").any():
        reasons.append("the stack prices this pool at the expected spot price")
    elif catalog is not None and (matched.usage == "instance-hour").all() and (matched.ServiceCode == "AmazonEC2").all():
        spot = _spot_cost(matched, catalog)
        if spot:
            reasons.append(f"on spot the same nodes would cost about ${spot:,.2f} at expected spot prices")
    if (matched.assumption.astype(str) != "").any():
        reasons.append("the computed side rests on the stack's usage assumptions (see their why notes); the guide "
                       "states no volumes")
    if not reasons or reasons == ["the computed side rests on the stack's usage assumptions (see their why notes); "
                                  "the guide states no volumes"]:
        parts = matched.groupby("description", sort=False).ListCost.sum().sort_values(ascending=False)
        top = "; ".join(f"{d} ${v:,.2f}" for d, v in parts.head(3).items())
        reasons.append(f"computed from: {top}")
    ratio = c.claimed / computed if computed else 0
    if ratio < 0.5:
        reasons.append("the claim is under half the computed cost")
    elif ratio > 2:
        reasons.append("the claim is over twice the computed cost")
    else:
        reasons.insert(0, f"the claim is {abs(ratio - 1):.0%} {'above' if ratio > 1 else 'below'} the computed cost")
    return "; ".join(reasons)


def _spot_cost(matched: pd.DataFrame, catalog) -> float:
    """The same instance hours at the catalog's expected spot prices [USD/month]; 0 if any is unknown."""
    from costplan.errors import PriceNotFoundError

    total = 0.0
    for r in matched.itertuples():
        try:
            total += r.PricingQuantity * catalog.price("AmazonEC2", r.sku, r.RegionId, "instance-hour", "", "spot").unit_price
        except PriceNotFoundError:
            return 0.0
    return total


def _quantity(c: ClaimLine, matched: pd.DataFrame, hours: float) -> float | None:
    if c.unit in ("nodes", "clusters"):
        return round(float(matched.loc[matched.PricingUnit == "Hrs", "PricingQuantity"].sum()) / hours, 2)
    if c.unit == "replicas":
        return float(matched.loc[matched.usage == "instance-hour", "component"].nunique())
    if c.unit == "GB":
        return float(matched.loc[matched.usage == "storage-gb-month", "PricingQuantity"].sum())
    return None


# Kubernetes versions whose EKS standard support had ended by a date (from the EKS release
# calendar): version -> (end of standard support, end of extended support).
def lint_stack(stack: Stack) -> list[dict]:
    """Findings about the stack itself that change what it costs."""
    from costplan.pricing.eks_versions import minor, versions

    out = []
    table = versions()
    for rname, region in stack.regions.items():
        for cname, c in region.eks_clusters.items():
            cal = table.get(minor(c.kubernetes_version or "") or "")
            if cal and c.support == "standard":
                out.append(dict(
                    severity="warning",
                    commitment=f"regions.{rname}.eks_clusters.{cname}",
                    message=f"Kubernetes {c.kubernetes_version} left EKS standard support on "
                    f"{cal.end_of_standard_support.isoformat()}: from then a cluster on it bills extended support at "
                    f"$0.60/h ($438/month) instead of $0.10/h, until {cal.end_of_extended_support.isoformat()} when "
                    "EKS upgrades it (to the oldest version in extended support, still at $0.60/h); unless its "
                    "upgrade policy is STANDARD",
                ))
    return out
