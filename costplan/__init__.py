"""costplan: cloud cost and capacity planning for Kubernetes-on-AWS platforms.

The Python API in one screen::

    import costplan
    stack = costplan.load_stack("data/ultibiker/stack.yaml")
    result = costplan.estimate(stack)          # EstimateResult
    result.lines                               # DataFrame, one row per cost component
    result.total_monthly_cost                  # [USD/month]

Names are imported lazily so that ``import costplan`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load_stack": ("costplan.stack", "load_stack"),
    "Stack": ("costplan.stack", "Stack"),
    "estimate": ("costplan.estimator", "estimate"),
    "EstimateResult": ("costplan.estimator", "EstimateResult"),
    "Catalog": ("costplan.pricing.catalog", "Catalog"),
    "default_catalog": ("costplan.pricing.catalog", "default_catalog"),
}

__all__ = sorted(_LAZY)  # noqa: PLE0605 - names are resolved lazily


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'costplan' has no attribute {name!r}")
