"""Projections: demand drivers -> capacity -> monthly cost, with ranges; spot; commitments.

The API the reports and notebooks use::

    from costplan.projection import project, spot_savings, optimise_commitments
    r = project(stack, months=36, simulations=2000, seed=42)
    r.monthly        # p10/p50/p90 total per month [USD/month]
    r.by_component   # per component
    r.capacity       # nodes, pods, database class, storage per month
    r.per_user       # cost per active user and the marginal cost of 1,000 more

See docs/projection.md.
"""

from __future__ import annotations

_LAZY = {
    "project": ("costplan.projection.simulate", "project"),
    "ProjectionResult": ("costplan.projection.simulate", "ProjectionResult"),
    "ProjectionModel": ("costplan.projection.simulate", "ProjectionModel"),
    "spot_savings": ("costplan.projection.spot", "spot_savings"),
    "optimise_commitments": ("costplan.projection.commitments", "optimise_commitments"),
    "evaluate_commitment": ("costplan.projection.commitments", "evaluate_commitment"),
    "stack_commitments": ("costplan.projection.commitments", "stack_commitments"),
    "project_scenarios": ("costplan.projection.scenarios", "project_scenarios"),
    "calibrate": ("costplan.projection.calibrate", "calibrate"),
    "Calibration": ("costplan.projection.calibrate", "Calibration"),
    "users_by_month": ("costplan.projection.drivers", "users_by_month"),
}

__all__ = sorted(_LAZY)  # noqa: PLE0605 - names are resolved lazily


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'costplan.projection' has no attribute {name!r}")
