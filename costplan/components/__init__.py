"""Priced components: one pricer per kind of stack component, each declared once in the
registry (:mod:`costplan.components.registry`).

``REGION_SECTIONS`` maps each field of :class:`costplan.stack.models.Region` to its pricer;
the estimate walks it. It and ``GLOBAL_SECTIONS`` are views of the registry, loaded on first
use so that importing a light module of this package (``products``) loads no pricer.
"""

from __future__ import annotations

__all__ = ["CostLine", "PricingContext", "REGION_SECTIONS", "GLOBAL_SECTIONS"]


def __getattr__(name: str):
    if name in ("REGION_SECTIONS", "GLOBAL_SECTIONS"):
        from costplan.components import registry

        return registry.region_sections() if name == "REGION_SECTIONS" else registry.global_sections()
    if name in ("CostLine", "PricingContext"):
        from costplan.components import base

        return getattr(base, name)
    raise AttributeError(name)
