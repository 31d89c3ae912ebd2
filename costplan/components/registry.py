"""The registry of priced services: one line per service module.

Each component module declares its services (:class:`costplan.components.base.PricedService`:
spec model, pricer, the scalings of its cost lines, the AWS products it bills under, its
catalog keys, its Terraform counters and usage keys, the Price List offers it owns, its named
Terraform handlers and Pulumi tokens) in a ``SERVICES`` tuple; this module lists them, and the
tables other modules need are views of it: the sections the estimate walks, the usage-file
sections of the infrastructure-code import, the Terraform counters and handlers, the Pulumi
type tokens, the Price List mappers and the refresh's filters.
``tests/test_registry.py`` fails if an entry lacks a bill mapping, a scaling or catalog keys.

To add a service, see docs/adding-a-service.md.
"""

from __future__ import annotations

from costplan.components import compute, databases, network, services, storage
from costplan.components.base import PricedService, PriceListOffer

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


def problems(svc: PricedService, catalog_keys: set | None = None) -> list[str]:
    """What an entry lacks: a scaling rule, a bill mapping (products with a rule of
    ``actuals/data/component_map.csv`` for its kind), catalog keys (that exist in
    ``catalog_keys``, ``(service, sku, usage)`` of a catalog, when given). Empty when complete."""
    from costplan.actuals.mapping import load_rules, plan_kind
    from costplan.components.base import SCALINGS
    from costplan.components.products import PRODUCTS

    out = []
    if not svc.scalings:
        out.append(f"{svc.section}: no scaling rule")
    elif not svc.scalings <= set(SCALINGS):
        out.append(f"{svc.section}: unknown scaling {sorted(svc.scalings - set(SCALINGS))}")
    if not svc.products:
        out.append(f"{svc.section}: no bill mapping (no AWS product it bills under)")
    elif not set(svc.products) <= set(PRODUCTS):
        out.append(f"{svc.section}: unknown products {sorted(set(svc.products) - set(PRODUCTS))}")
    else:
        names = {PRODUCTS[p].bill_name for p in svc.products}
        rules = [r for r in load_rules() if r["component_kind"] == plan_kind(svc.kind)]
        if not {r["ServiceName"] for r in rules} & names:
            out.append(f"{svc.section}: no bill mapping (component_map.csv has no rule for {svc.kind} under "
                       f"{', '.join(sorted(names))})")
    if not svc.catalog_keys:
        out.append(f"{svc.section}: no catalog keys")
    elif catalog_keys is not None:
        for service, sku, usage in svc.catalog_keys:
            hit = (any(k[0] == service and k[2] == usage for k in catalog_keys) if sku == "*"
                   else (service, sku, usage) in catalog_keys)
            if not hit:
                out.append(f"{svc.section}: catalog key {service} {sku} {usage} is not in the catalog")
    for o in svc.price_list:
        if o.code not in svc.products:
            out.append(f"{svc.section}: owns the Price List offer {o.code} but does not bill under it")
    return out


def _once(pairs, what: str) -> dict:
    """``{key: value}`` of ``(key, value, section)`` triples; a key declared by two entries is
    an error naming both (each offer, handler and token belongs to exactly one service)."""
    out: dict = {}
    owner: dict = {}
    for key, value, section in pairs:
        if key in out:
            raise ValueError(f"{what} {key!r} is declared by two registry entries: {owner[key]} and {section}")
        out[key], owner[key] = value, section
    return out


def price_list_offers(entries: tuple[PricedService, ...] = REGISTRY) -> dict[str, PriceListOffer]:
    """``{product code: offer}`` of the Price List offers the services own."""
    return _once(((o.code, o, s.section) for s in entries for o in s.price_list), "Price List offer")


def terraform_handler_types(entries: tuple[PricedService, ...] = REGISTRY) -> dict[str, str]:
    """``{resource type: section}`` of the named Terraform handlers the services declare."""
    return _once(((t, s.section, s.section) for s in entries for t in s.terraform_handlers), "Terraform handler")


def pulumi_tokens(entries: tuple[PricedService, ...] = REGISTRY) -> dict[str, str]:
    """``{Pulumi type token: Terraform resource type}`` the services declare (the tokens whose
    Terraform type does not follow the general rule)."""
    return _once(((tok, t, s.section) for s in entries for tok, t in s.pulumi_tokens.items()), "Pulumi token")
