"""The registry of priced services: one line per service module.

Each component module declares its services (:class:`costplan.components.base.PricedService`:
spec model, pricer, the scalings of its cost lines, the AWS products it bills under, its
catalog keys, its Terraform counters and usage keys) in a ``SERVICES`` tuple; this module
lists them, and the tables other modules need are views of it: the sections the estimate
walks, the usage-file sections of the infrastructure-code import, the Terraform counters.
``tests/test_registry.py`` fails if an entry lacks a bill mapping, a scaling or catalog keys.

To add a service, see docs/adding-a-service.md.
"""

from __future__ import annotations

from costplan.components import compute, databases, network, services, storage
from costplan.components.base import PricedService

REGISTRY: tuple[PricedService, ...] = (
    *compute.SERVICES,
    *databases.SERVICES,
    *storage.SERVICES,
    *network.SERVICES,
    *services.SERVICES,
)


def by_section() -> dict[str, PricedService]:
    """``{section: service}``, in the order the estimate prices them."""
    return {s.section: s for s in REGISTRY}


def region_sections() -> dict[str, tuple]:
    """``{section: (pricer, named)}`` of the region-level services."""
    return {s.section: (s.pricer, s.named) for s in REGISTRY if s.scope == "region"}


def global_sections() -> dict[str, tuple]:
    """``{section: (pricer, named)}`` of the account-level services (``global:``)."""
    return {s.section: (s.pricer, s.named) for s in REGISTRY if s.scope == "global"}


def usage_file_sections() -> tuple[str, ...]:
    """Region sections a usage file may set: the one-per-region blocks."""
    return tuple(s.section for s in REGISTRY if s.scope == "region" and not s.named)


def terraform_counters() -> dict[str, tuple[str, dict, dict]]:
    """``{resource type: (section, counts, usage)}`` of the services' declarative Terraform
    handlers (a resource adds ``counts`` to its section and reads ``usage`` keys)."""
    out = {}
    for s in REGISTRY:
        for rtype, h in s.terraform.items():
            out[rtype] = (s.section, dict(h.get("counts", {})), dict(h.get("usage", {})))
    return out


def usage_keys() -> dict[str, dict]:
    """``{resource type: {usage key: (default, doc)}}`` the services declare."""
    out: dict[str, dict] = {}
    for s in REGISTRY:
        for rtype, keys in s.usage_keys.items():
            out.setdefault(rtype, {}).update(keys)
    return out
