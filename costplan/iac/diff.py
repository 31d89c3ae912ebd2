"""The monthly cost difference between two stacks, plans or scenarios.

A side is a stack YAML file, ``STACK.yaml#scenario``, a Terraform plan JSON file or a folder
of Terraform configuration; each is estimated with the same catalog and the estimates are
compared per component and in total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError, Problem
from costplan.estimator import EstimateResult, estimate, round_like_numpy

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.frames import Rows

DIFF_COLUMNS = ["component", "previous", "new", "difference", "pct"]


@dataclass
class CostDiff:
    """Cost of ``new`` minus cost of ``previous``.

    ``components`` has one row per component in either side: ``previous`` and ``new``
    [USD/month] (0 where the component is absent), ``difference`` [USD/month] and ``pct``
    (difference / previous; NaN when previous is 0), largest absolute change first. ``rows``
    holds the same as tuples of ``DIFF_COLUMNS`` (the frame is built, and pandas imported, on
    first use of ``components``).
    """

    previous_name: str
    new_name: str
    rows: list[tuple]
    previous_total: float
    """[USD/month]"""
    new_total: float
    """[USD/month]"""
    warnings: list[str] = field(default_factory=list)
    _frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def components(self) -> pd.DataFrame:
        if self._frame is None:
            import pandas as pd

            self._frame = pd.DataFrame(self.rows, columns=DIFF_COLUMNS)
        return self._frame

    @property
    def difference(self) -> float:
        """[USD/month]"""
        return self.new_total - self.previous_total

    @property
    def pct(self) -> float | None:
        return self.difference / self.previous_total if self.previous_total else None

    def table_rows(self, *, include_unchanged: bool = False) -> Rows:
        """:meth:`table` as a pandas-free :class:`costplan.frames.Rows`."""
        from costplan.frames import Rows

        rows = [r for r in self.rows if include_unchanged or abs(r[3]) >= 0.005]
        total = ("TOTAL", self.previous_total, self.new_total, self.difference,
                 self.pct if self.pct is not None else float("nan"))
        return Rows(DIFF_COLUMNS, rows + [total])

    def table(self, *, include_unchanged: bool = False) -> pd.DataFrame:
        """The changed components (every one with ``include_unchanged``) and a ``TOTAL`` row."""
        return self.table_rows(include_unchanged=include_unchanged).to_frame()

    def to_dict(self) -> dict:
        components = [
            {"component": c, "previous": round_like_numpy(a, 2), "new": round_like_numpy(b, 2),
             "difference": round_like_numpy(d, 2), "pct": None if math.isnan(p) else p}
            for c, a, b, d, p in self.rows
        ]
        return {
            "previous": self.previous_name,
            "new": self.new_name,
            "currency": "USD",
            "previous_monthly_cost": round(self.previous_total, 2),
            "new_monthly_cost": round(self.new_total, 2),
            "difference": round(self.difference, 2),
            "pct": None if self.pct is None else round(self.pct, 4),
            "components": components,
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
        for component, previous, new, difference, change in self.table_rows().rows:
            name = str(component).replace("|", "\\|")
            if name == "TOTAL":
                name = "**Total**"
            pct = "" if math.isnan(change) else f"{change:+.1%}"
            lines.append(
                f"| {name} | ${previous:,.2f} | ${new:,.2f} | {_signed(difference)} | {pct} |"
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
    def by_component(result: EstimateResult) -> dict[str, float]:
        costs: dict[str, list[float]] = {}
        for ln in result.cost_lines:
            costs.setdefault(ln.component, []).append(float(ln.ListCost))
        return {k: math.fsum(v) for k, v in costs.items()}

    a, b = by_component(previous), by_component(new)
    rows = []
    for c in sorted(a.keys() | b.keys()):
        was, now = a.get(c, 0.0), b.get(c, 0.0)
        rows.append((c, was, now, now - was, (now - was) / was if was != 0 else float("nan")))
    rows.sort(key=lambda r: -abs(r[3]))  # largest change first; ties in component order
    return CostDiff(
        previous_name or previous.stack_name,
        new_name or new.stack_name,
        rows,
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
