"""Which stack component kind a row of actual spend belongs to.

The rules live in ``costplan/actuals/data/component_map.csv`` (documented in
``docs/actuals.md``). They are tried in ``rule`` order; the first rule whose every non-empty
pattern matches wins. Patterns are regular expressions (RE2, searched anywhere in the value):

- ``charge_category`` against the FOCUS ChargeCategory,
- ``service_regex`` against ServiceName (Cost Explorer's SERVICE or FOCUS ServiceName),
- ``usage_regex`` against the AWS usage type (Cost Explorer USAGE_TYPE, CUR
  ``line_item_usage_type``, FOCUS ``x_UsageType``; SkuId when there is none).

A FOCUS file without usage types (no ``x_UsageType``: FOCUS from another generator than AWS's
export) is mapped by a sibling table, ``costplan/actuals/data/component_map_focus.csv``, with
the same rule format on other columns: ``service_regex`` against ServiceName,
``description_regex`` against ChargeDescription, ``unit_regex`` against PricingUnit,
``resource_type_regex`` against ResourceType and ``sku_regex`` against SkuId. Those rules are
tried only for rows without a usage type, after your own rules and before the built-in ones.

A row no rule matches is ``unmapped``: it is reported on its own line, never dropped.
``ServiceName`` in the file is the canonical service name used when comparing with a plan.

Your own rules (setting ``component_map``: ``COSTPLAN_COMPONENT_MAP`` or ``[tool.costplan]
component_map``, a CSV with the same columns) are tried before the built-in ones, in their
``rule`` order, so they can map a service costplan does not know or override a built-in rule.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from costplan.errors import InputError, Problem

MAP_FILE = Path(__file__).parent / "data" / "component_map.csv"
FOCUS_MAP_FILE = Path(__file__).parent / "data" / "component_map_focus.csv"
UNMAPPED = "unmapped"

#: Component kinds of an estimate that actual spend cannot tell apart, and the kind their
#: spend is found under (Kubernetes persistent volumes are EBS volumes on the bill).
PLAN_KIND_GROUP = {"k8s_volume": "ebs_volume"}


def plan_kind(component_kind: str, pricing_unit: str | None = None) -> str:
    """The kind under which a plan line's spend shows on the bill: Kubernetes volumes and the
    node pools' root volumes (``node_pool`` lines priced per GB-Mo) are EBS volumes."""
    if component_kind == "node_pool" and pricing_unit == "GB-Mo":
        return "ebs_volume"
    return PLAN_KIND_GROUP.get(component_kind, component_kind)


COLUMNS = ("rule", "charge_category", "service_regex", "usage_regex", "component_kind", "ServiceName")
FOCUS_COLUMNS = (
    "rule", "charge_category", "service_regex", "description_regex", "unit_regex", "resource_type_regex",
    "sku_regex", "component_kind", "ServiceName",
)
#: Pattern columns of a rule -> the store column each is searched in.
PATTERN_COLUMNS = {
    "charge_category": "ChargeCategory",
    "service_regex": "ServiceName",
    "description_regex": "ChargeDescription",
    "unit_regex": "PricingUnit",
    "resource_type_regex": "ResourceType",
    "sku_regex": "SkuId",
}


def load_rules(path: str | None = None) -> tuple[dict, ...]:
    """The mapping rules in the order they are tried; each a dict of the CSV's columns.

    ``path`` replaces the built-in file; without it, the rules of the ``component_map``
    setting (if set) come first, then the built-in ones."""
    from costplan import config

    if path:
        return _read_rules(str(path))
    extra = config.load_settings().component_map
    return (_read_rules(str(extra)) if extra else ()) + _read_rules(str(MAP_FILE))


def load_focus_rules() -> tuple[dict, ...]:
    """The rules for rows without a usage type (``component_map_focus.csv``), in order."""
    return _read_rules(str(FOCUS_MAP_FILE), FOCUS_COLUMNS)


@lru_cache(maxsize=8)
def _read_rules(path: str, columns: tuple[str, ...] = COLUMNS) -> tuple[dict, ...]:
    import re

    f = Path(path)
    try:
        with open(f, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(Problem(f"missing column(s) {', '.join(missing)}", file=str(f), line=1,
                                         hint=f"a mapping file has the columns {', '.join(columns)}"))
            rows = list(reader)
    except OSError as exc:
        raise InputError(Problem(f"cannot read the mapping file: {exc.strerror}", file=str(f))) from None
    problems = []
    for i, row in enumerate(rows, start=2):
        for col in [c for c in columns if c == "charge_category" or c.endswith("_regex")]:
            try:
                re.compile(row[col] or "")
            except re.error as exc:
                problems.append(Problem(f"bad pattern: {exc}", file=str(f), line=i, location=col))
        if not row["component_kind"]:
            problems.append(Problem("empty component_kind", file=str(f), line=i))
        if not str(row["rule"]).strip().isdigit():
            problems.append(Problem(f"rule {row['rule']!r} is not a whole number", file=str(f), line=i, location="rule"))
    if problems:
        raise InputError(problems)
    return tuple(sorted(rows, key=lambda r: int(r["rule"])))


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _conditions(rule: dict) -> str:
    """The rule's patterns as DuckDB SQL (other engines get it through
    :func:`costplan.actuals.queries.render`)."""
    fn = "regexp_matches"
    usage = "coalesce(x_UsageType, SkuId, '')"
    conds = []
    for col, store_col in PATTERN_COLUMNS.items():
        if rule.get(col):
            conds.append(f"{fn}(coalesce({store_col}, ''), {_q(rule[col])})")
    if rule.get("usage_regex"):
        conds.append(f"{fn}({usage}, {_q(rule['usage_regex'])})")
    if "description_regex" in rule:  # a rule of the table for rows without a usage type
        conds.insert(0, "x_UsageType IS NULL")
    return " AND ".join(conds) or "TRUE"


def _ordered_rules(path: str | None) -> tuple[dict, ...]:
    """Every rule in the order tried: your own (setting ``component_map``), those for rows
    without a usage type, the built-in ones; or only the file ``path``."""
    from costplan import config

    if path:
        return _read_rules(str(path))
    extra = config.load_settings().component_map
    return (_read_rules(str(extra)) if extra else ()) + load_focus_rules() + _read_rules(str(MAP_FILE))


def component_case_sql(path: str | None = None) -> str:
    """A SQL CASE expression giving the component kind of a cost row (DuckDB SQL)."""
    whens = " ".join(
        f"WHEN {_conditions(r)} THEN {_q(r['component_kind'])}" for r in _ordered_rules(path)
    )
    return f"(CASE {whens} ELSE '{UNMAPPED}' END)"


