"""The registry of priced services is complete: every entry has a bill mapping, scalings and
catalog keys that exist, and every table derived from it agrees with the stack spec."""

from __future__ import annotations

import typing

import pytest

from costplan.actuals.mapping import load_rules, plan_kind
from costplan.components.base import SCALINGS, PricingContext
from costplan.components.products import PRODUCTS
from costplan.components.registry import REGISTRY, by_section, terraform_counters
from costplan.pricing.catalog import default_catalog
from costplan.stack.models import GlobalServices, Region

IDS = [s.section for s in REGISTRY]


@pytest.fixture(scope="module")
def catalog_keys():
    return {(p.service, p.sku, p.usage) for p in default_catalog()}


def test_every_spec_section_has_one_entry_and_every_entry_a_section():
    region = {s.section for s in REGISTRY if s.scope == "region"}
    glob = {s.section for s in REGISTRY if s.scope == "global"}
    assert region == set(Region.model_fields)
    assert glob == set(GlobalServices.model_fields)
    assert len(IDS) == len(set(IDS))


def _types(ann) -> set:
    """``ann`` and every type inside it (``dict[str, X]``, ``X | None``)."""
    out = {ann}
    for a in typing.get_args(ann):
        out |= _types(a)
    return out


@pytest.mark.parametrize("svc", REGISTRY, ids=IDS)
def test_entry_spec_model_is_the_sections_type(svc):
    model = Region if svc.scope == "region" else GlobalServices
    ann = model.model_fields[svc.section].annotation
    assert svc.spec in _types(ann), (svc.section, ann)
    assert svc.named == (typing.get_origin(ann) is dict)


@pytest.mark.parametrize("svc", REGISTRY, ids=IDS)
def test_entry_has_scalings_products_and_a_bill_mapping(svc):
    assert svc.scalings and svc.scalings <= set(SCALINGS), svc.scalings
    assert svc.products and set(svc.products) <= set(PRODUCTS), svc.products
    rules = [r for r in load_rules() if r["component_kind"] == plan_kind(svc.kind)]
    assert rules, f"component_map.csv has no rule for {svc.kind}"
    bill_names = {PRODUCTS[p].bill_name for p in svc.products}
    assert {r["ServiceName"] for r in rules} & bill_names, (svc.kind, bill_names)


@pytest.mark.parametrize("svc", REGISTRY, ids=IDS)
def test_entry_catalog_keys_exist_in_the_catalog(svc, catalog_keys):
    assert svc.catalog_keys
    for service, sku, usage in svc.catalog_keys:
        assert service in svc.products or service == "AWSDataTransfer", (service, svc.products)
        if sku == "*":
            assert any(k[0] == service and k[2] == usage for k in catalog_keys), (service, usage)
        else:
            assert (service, sku, usage) in catalog_keys, (service, sku, usage)


def test_terraform_counters_name_fields_of_their_sections():
    sections = by_section()
    for rtype, (section, counts, usage) in terraform_counters().items():
        fields = set(sections[section].spec.model_fields)
        assert set(counts) <= fields and set(usage.values()) <= fields, rtype


def test_every_line_of_the_reference_stack_scales_as_its_entry_declares():
    import costplan
    from costplan.config import DEFAULT_STACK

    kinds = {s.kind: s for s in REGISTRY}
    lines = costplan.estimate(costplan.load_stack(DEFAULT_STACK)).lines
    for r in lines.itertuples():
        if r.component_kind == "commitment":
            assert r.scaling == "commitment"
        else:
            assert r.scaling in kinds[r.component_kind].scalings, (r.component, r.usage, r.scaling)
    assert set(lines.component_kind) - {"commitment"} == set(kinds) - {"ebs_volume"}  # the stack has no plain EBS


def test_a_line_without_a_known_scaling_is_an_error():
    from helpers import mini_catalog

    ctx = PricingContext(catalog=mini_catalog(), hours=730)
    with pytest.raises(ValueError, match="unknown scaling 'sometimes'"):
        ctx.priced(component="c", kind="eks", region="us-east-1", service="AmazonEKS", sku="eks-cluster",
                   usage="cluster-hour", variant="standard", quantity=730, description="", path="p",
                   scaling="sometimes")


def test_the_projection_refuses_a_scaling_it_does_not_know(monkeypatch):
    # a line that reached the projection with a scaling it has no rule for is refused, not fixed
    from projection_stacks import mini_stack

    import costplan.estimator as est
    from costplan.errors import InputError
    from costplan.projection.simulate import project

    real = est.estimate

    def odd(stack, catalog=None):
        r = real(stack, catalog)
        r.lines.loc[r.lines.component_kind == "eks", "scaling"] = "weekly"
        for ln in r.cost_lines:  # the lines the projection follows
            if ln.component_kind == "eks":
                ln.scaling = "weekly"
        return r

    monkeypatch.setattr(est, "estimate", odd)
    from helpers import mini_catalog

    with pytest.raises(InputError, match="scaling 'weekly'"):
        project(mini_stack(), simulations=0, catalog=mini_catalog())


# -- completeness: an incomplete entry fails -------------------------------------------------
@pytest.mark.parametrize("svc", REGISTRY, ids=IDS)
def test_entry_is_complete(svc, catalog_keys):
    from costplan.components.registry import problems

    assert problems(svc, catalog_keys) == []


@pytest.mark.parametrize("change, needle", [
    ({"products": (), "price_list": ()}, "no bill mapping (no AWS product"),
    ({"kind": "no_such_kind"}, "no bill mapping (component_map.csv has no rule for no_such_kind"),
    ({"scalings": frozenset()}, "no scaling rule"),
    ({"scalings": frozenset({"hourly"})}, "unknown scaling ['hourly']"),
    ({"catalog_keys": ()}, "no catalog keys"),
    ({"catalog_keys": (("AmazonEKS", "eks-cluster", "node-hour"),)}, "catalog key AmazonEKS eks-cluster node-hour"),
])
def test_an_entry_lacking_a_bill_mapping_scaling_or_catalog_keys_fails(change, needle, catalog_keys):
    import dataclasses

    from costplan.components.registry import problems

    eks = by_section()["eks_clusters"]
    got = problems(dataclasses.replace(eks, **change), catalog_keys)
    assert len(got) == 1 and needle in got[0], got


# -- drift: every mapper, handler and Pulumi token belongs to exactly one entry ---------------
def _owners(attr) -> dict:
    out: dict = {}
    for s in REGISTRY:
        for key in attr(s):
            out.setdefault(key, []).append(s.section)
    return out


def test_every_price_list_mapper_is_reachable_from_exactly_one_entry():
    from costplan.pricing import price_list, refresh

    owners = _owners(lambda s: [o.code for o in s.price_list])
    assert {k: v for k, v in owners.items() if len(v) != 1} == {}
    # every registered mapper is put to use by an entry, every declared offer has a mapper
    assert set(owners) == set(price_list._REGISTERED) == set(price_list._MAPPERS)
    # the refresh's filters come from the same declarations, and name only mapped offers
    assert set(refresh.PRODUCT_QUERIES) | set(refresh.GLOBAL_QUERIES) <= set(price_list.SERVICES)
    assert set(price_list.SERVICES) - set(refresh.PRODUCT_QUERIES) == set(price_list.GLOBAL_SERVICES)


def test_every_terraform_handler_is_reachable_from_exactly_one_entry():
    from costplan.iac import resources

    named = _owners(lambda s: s.terraform_handlers)
    counters = _owners(lambda s: s.terraform)
    assert {k: v for k, v in {**named, **counters}.items() if len(v) != 1} == {}
    assert set(named) == set(resources._NAMED)
    assert not set(named) & set(counters)  # a type is either a named handler or a counter
    assert set(resources.HANDLERS) == set(named) | set(counters)
    for rtype, fn in resources.HANDLERS.items():
        if rtype in named:
            assert fn is resources._NAMED[rtype]


def test_every_pulumi_token_is_reachable_from_exactly_one_entry():
    from costplan.iac import pulumi, resources

    owners = _owners(lambda s: s.pulumi_tokens)
    assert {k: v for k, v in owners.items() if len(v) != 1} == {}
    assert set(owners) == set(pulumi.TOKENS)
    sections = by_section()
    for token, (section,) in owners.items():
        rtype = pulumi.TOKENS[token]
        svc = sections[section]
        # the token's type is imported by its entry, or is one of the free resources of it
        assert (rtype in svc.terraform_handlers or rtype in svc.terraform
                or rtype in resources.FREE_TYPES), (token, rtype)


def test_an_offer_handler_or_token_declared_twice_is_an_error():
    import dataclasses

    from costplan.components.registry import price_list_offers, pulumi_tokens, terraform_handler_types

    rds = by_section()["rds"]
    twin = dataclasses.replace(rds, section="rds_twin")
    for view, what in ((price_list_offers, "Price List offer 'AmazonRDS'"),
                       (terraform_handler_types, "Terraform handler 'aws_db_instance'"),
                       (pulumi_tokens, "Pulumi token 'aws:rds/instance:Instance'")):
        with pytest.raises(ValueError, match=f"{what} is declared by two registry entries: rds and rds_twin"):
            view((rds, twin))
