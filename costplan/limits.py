"""The bounds costplan enforces on its inputs, in one place (docs/refusals.md).

An input beyond one of these is refused with an error naming the file, line or option and
the limit, before any work is done or anything is written: a number too large to be a real
plan, a file too large or too deeply nested to be a spec, an expansion that would exhaust
the machine. Each limit is far above any real platform and far below what would take the
machine down.
"""

from __future__ import annotations

# -- numbers in specs, claims, usage files and options -------------------------------------------
MAX_QUANTITY = 1e12
"""Largest quantity, price, driver or claim accepted anywhere [its own unit]: a petabyte is
1e6 GB, a trillion requests a month 1e12."""

MAX_COUNT = 1_000_000
"""Largest count of anything (pods, volumes, IOPS, addresses, rules) [items]."""

MAX_NODES_PER_POOL = 100_000
"""Largest node count of one node pool (EKS supports at most a few thousand per cluster) [nodes]."""

MAX_MONTHS = 120
"""Longest projection [months] (ten years)."""

MAX_SIMULATIONS = 1_000_000
"""Most Monte Carlo paths [paths]."""

MAX_PATH_MONTHS = 2_000_000
"""Most simulated path-months (``simulations x months``) of an evaluation that holds every
path and month at once: the commitment sizing (``costplan commitments``), about 0.7 kB per
path-month on the reference stack (e.g. 55,000 paths over 36 months). ``costplan project``
evaluates blocks of months (and of paths) instead and is bounded by :data:`PROJECTION_BLOCK_BYTES`."""

PROJECTION_BLOCK_BYTES = 320 * 2**20
"""Working memory of one block of a projection [bytes]. The block's months are as many as fit
with all paths (at least one); when one month of all paths does not fit (beyond about 240,000
paths on the reference stack, 6,100 on a stack with 600 node pools) a month of as many paths
as fit three quarters of it, the rest for what the month's quantiles keep
(:func:`costplan.projection.simulate.block_sizes`). Refused only if a month of 128 paths does
not fit."""

MAX_ANNUAL_GROWTH = 100.0
"""Largest annual growth of active users [fraction/year] (10,000 % a year)."""

# -- YAML (stacks, scenarios, claims, usage files, Kubernetes manifests) -------------------------
MAX_YAML_BYTES = 10_000_000
"""Largest YAML file read [bytes]."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and lists in a YAML file [levels]."""

MAX_YAML_ALIAS_NODES = 10_000
"""Most nodes a YAML file may add through aliases (``*name``): anchors and aliases are
allowed, a "billion laughs" expansion is not [nodes]."""

# -- infrastructure code (Terraform plans and .tf folders, Pulumi exports) -----------------------
MAX_INSTANCES_PER_RESOURCE = 10_000
"""Most instances one ``count`` or ``for_each`` may expand to [instances]."""

MAX_INSTANCES = 100_000
"""Most resource instances in one import, all resources together [instances]."""

MAX_EXPRESSION_DEPTH = 32
"""Deepest nesting of brackets in a .tf file or one expression [levels]."""

MAX_JSON_DEPTH = 256
"""Deepest nesting of a plan, state or Pulumi export JSON document [levels]."""


def json_depth(obj, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of a parsed JSON value, counted without recursion; stops counting
    (and returns ``limit + 1``) as soon as it passes ``limit``."""
    deepest = 0
    stack = [(obj, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > deepest:
            deepest = d
            if deepest > limit:
                return limit + 1
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def check_projection_size(months: int, simulations: int, seed: int = 0, whole_horizon: bool = False) -> None:
    """Refuse a projection run beyond :data:`MAX_MONTHS` or :data:`MAX_SIMULATIONS`, with
    ``whole_horizon`` (an evaluation holding every path and month at once) beyond
    :data:`MAX_PATH_MONTHS`, or a negative seed (an :class:`~costplan.errors.InputError`
    naming the option)."""
    from costplan.errors import InputError

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"--seed must be a whole number 0 or more, got {seed}")

    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise InputError(f"--months must be a whole number from 1 to {MAX_MONTHS} (ten years), got {months}")
    if isinstance(simulations, bool) or not isinstance(simulations, int) or not 0 <= simulations <= MAX_SIMULATIONS:
        raise InputError(f"--simulations must be a whole number from 0 (the central path only) to "
                         f"{MAX_SIMULATIONS:,}, got {simulations}")
    if whole_horizon and simulations * months > MAX_PATH_MONTHS:
        raise InputError(
            f"--simulations {simulations:,} x --months {months} = {simulations * months:,} simulated path-months; "
            f"at most {MAX_PATH_MONTHS:,} fit in memory (about 0.7 kB each): use at most "
            f"{MAX_PATH_MONTHS // months:,} simulations over {months} months")


def loads_json(text: str, file: str):
    """``json.loads(text)``, refusing (:class:`~costplan.errors.InputError` naming ``file``)
    a document nested deeper than :data:`MAX_JSON_DEPTH`. ``json.JSONDecodeError`` is left to
    the caller, which knows what the file should have been."""
    import json

    from costplan.errors import InputError, Problem

    try:
        data = json.loads(text)
    except RecursionError:
        data = None
    else:
        if json_depth(data) <= MAX_JSON_DEPTH:
            return data
    raise InputError(Problem(f"nested more than {MAX_JSON_DEPTH} levels deep; not a document costplan reads",
                             file=file))
