"""The monthly cost difference between two stacks, plans or scenarios.

A side is a stack YAML file, ``STACK.yaml#scenario``, a Terraform plan JSON file or a folder
of Terraform configuration; each is estimated with the same catalog and the estimates are
compared per component and in total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from costplan.errors import InputError, Problem
from costplan.estimator import EstimateResult, estimate

DIFF_COLUMNS = ["component", "previous", "new", "difference", "pct"]


@dataclass
class CostDiff:
    """Cost of ``new`` minus cost of ``previous``.

    ``components`` has one row per component in either side: ``previous`` and ``new``
    [USD/month] (0 where the component is absent), ``difference`` [USD/month] and ``pct``
    (difference / previous; NaN when previous is 0), largest absolute change first.
    """

    previous_name: str
    new_name: str
    components: pd.DataFrame
    previous_total: float
    """[USD/month]"""
    new_total: float
    """[USD/month]"""
    warnings: list[str] = field(default_factory=list)

    @property
    def difference(self) -> float:
        """[USD/month]"""
        return self.new_total - self.previous_total

    @property
    def pct(self) -> float | None:
        return self.difference / self.previous_total if self.previous_total else None

    def table(self, *, include_unchanged: bool = False) -> pd.DataFrame:
        df = (
            self.components
            if include_unchanged
            else self.components[self.components.difference.abs() >= 0.005]
        )
        total = pd.DataFrame(
            [
                {
                    "component": "TOTAL",
                    "previous": self.previous_total,
                    "new": self.new_total,
                    "difference": self.difference,
                    "pct": self.pct if self.pct is not None else float("nan"),
                }
            ]
        )
        return pd.concat([df, total], ignore_index=True)

    def to_dict(self) -> dict:
        rows = self.components.copy()
        rows["pct"] = rows["pct"].astype(object).where(rows["pct"].notna(), None)
        return {
            "previous": self.previous_name,
            "new": self.new_name,
            "currency": "USD",
            "previous_monthly_cost": round(self.previous_total, 2),
            "new_monthly_cost": round(self.new_total, 2),
            "difference": round(self.difference, 2),
            "pct": None if self.pct is None else round(self.pct, 4),
            "components": rows.round({"previous": 2, "new": 2, "difference": 2}).to_dict(orient="records"),
            "warnings": self.warnings,
        }

    def to_markdown(self) -> str:
        """A pull-request comment: headline, per-component table, total."""
        d = self.difference
        if abs(d) < 0.005:
            head = "Monthly cost will not change"
        else:
            word = "increase" if d > 0 else "decrease"
            pct = f" ({self.pct:+.1%})" if self.pct is not None else ""
            head = f"Monthly cost will {word} by ${abs(d):,.2f}{pct}"
        lines = [
            f"### 💰 costplan: {head}",
            "",
            (
                f"Previous: `{self.previous_name}` ${self.previous_total:,.2f}/month → "
                f"new: `{self.new_name}` ${self.new_total:,.2f}/month"
            ),
            "",
            "| Component | Previous | New | Difference | % |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in self.table().itertuples(index=False):
            name = str(row.component).replace("|", "\\|")
            if name == "TOTAL":
                name = "**Total**"
            pct = "" if pd.isna(row.pct) else f"{row.pct:+.1%}"
            lines.append(
                f"| {name} | ${row.previous:,.2f} | ${row.new:,.2f} | {_signed(row.difference)} | {pct} |"
            )
        for w in self.warnings:
            lines.append(f"\n> ⚠️ {w}")
        return "\n".join(lines) + "\n"


def _signed(v: float) -> str:
    return f"{'+' if v > 0 else '-' if v < 0 else ''}${abs(v):,.2f}"


def diff_estimates(
    previous: EstimateResult,
    new: EstimateResult,
    *,
    previous_name: str | None = None,
    new_name: str | None = None,
) -> CostDiff:
    """Compare two estimates per component (commitment lines are kept as their own components)."""
    a = previous.lines.groupby("component")["ListCost"].sum()
    b = new.lines.groupby("component")["ListCost"].sum()
    df = pd.DataFrame({"previous": a, "new": b}).fillna(0.0)
    df["difference"] = df["new"] - df["previous"]
    df["pct"] = (df["difference"] / df["previous"].where(df["previous"] != 0)).astype(float)
    df = df.reset_index(names="component")
    df = df.reindex(df.difference.abs().sort_values(ascending=False, kind="stable").index).reset_index(
        drop=True
    )
    return CostDiff(
        previous_name or previous.stack_name,
        new_name or new.stack_name,
        df[DIFF_COLUMNS],
        previous.total_monthly_cost,
        new.total_monthly_cost,
        warnings=[f"previous: {w}" for w in previous.warnings] + [f"new: {w}" for w in new.warnings],
    )


def load_side(spec: str, *, usage=None, region: str | None = None, tf_vars: dict | None = None):
    """A stack from ``STACK.yaml``, ``STACK.yaml#scenario``, a plan JSON file or a Terraform folder,
    and the import's warnings (resources skipped, values unresolved) for the latter two."""
    stack, result = _load_side(spec, usage=usage, region=region, tf_vars=tf_vars)
    warnings = []
    if result is not None:
        for t, n in result.skipped_by_type().items():
            warnings.append(f"{spec}: skipped {n} x {t} (not priced)")
        warnings += [f"{spec}: unresolved: {u}" for u in result.unresolved]
        if result.defaults:
            warnings.append(f"{spec}: {len(result.defaults)} usage quantities are defaults; give --usage")
    return stack, warnings


def _load_side(spec: str, *, usage=None, region: str | None = None, tf_vars: dict | None = None):
    from costplan.stack import load_stack

    path, _, scenario = spec.partition("#")
    p = Path(path)
    if p.is_dir():
        from costplan.iac.terraform_hcl import import_hcl

        res = import_hcl(p, usage=usage, region=region, variables=tf_vars)
        return res.stack_model(), res
    if not p.exists():
        raise InputError(
            Problem(
                "file not found; expected a stack YAML, STACK.yaml#scenario, a Terraform plan JSON "
                "or a folder of .tf files",
                file=path,
            )
        )
    if p.suffix.lower() == ".json" or _looks_json(p):
        if scenario:
            raise InputError(
                Problem("a Terraform plan has no scenarios; `#scenario` is for stack YAML files", file=spec)
            )
        from costplan.iac.terraform_plan import import_plan

        res = import_plan(p, usage=usage, region=region)
        return res.stack_model(), res
    return load_stack(p, scenario=scenario or None), None


def _looks_json(p: Path) -> bool:
    try:
        with p.open("rb") as f:
            head = f.read(64).lstrip()
        return b"{" in head[:64] and b"format_version" in p.read_bytes()[:4096]
    except OSError:
        return False


def diff(
    previous: str,
    new: str,
    *,
    catalog=None,
    usage=None,
    region: str | None = None,
    tf_vars: dict | None = None,
) -> CostDiff:
    """Estimate both sides with one catalog and compare them."""
    from costplan.pricing.catalog import default_catalog

    catalog = catalog or default_catalog()
    a, wa = load_side(previous, usage=usage, region=region, tf_vars=tf_vars)
    b, wb = load_side(new, usage=usage, region=region, tf_vars=tf_vars)
    d = diff_estimates(estimate(a, catalog), estimate(b, catalog), previous_name=previous, new_name=new)
    d.warnings[:0] = wa + wb
    return d


__all__ = ["CostDiff", "diff", "diff_estimates", "load_side"]
