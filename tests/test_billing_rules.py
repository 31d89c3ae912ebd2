"""AWS billing rules, each with its expected value worked out by hand from AWS's documentation
and the list prices typed into tests/helpers.py (us-east-1) or below."""

from __future__ import annotations

import pytest
from helpers import P, mini_catalog

from costplan.estimator import estimate
from costplan.stack import stack_from_data

H = 730

EXTRA = [
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.054, model="savings_plan", term="1yr",
      option="all-upfront", cls="compute", verified=False),
    P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.05, model="reserved", term="1yr", option="no-upfront",
      cls="standard"),
    P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.09, region="eu-west-1", t1=10240),
    P("AWSDataTransfer", "data-transfer-out-internet", "gb", "GB", 0.085, region="eu-west-1", t0=10240),
    P("AWSXRay", "xray", "traces-recorded-million", "1M traces", 0.0, t1=0.1),
    P("AWSXRay", "xray", "traces-recorded-million", "1M traces", 5.0, t0=0.1),
    P("AWSXRay", "xray", "traces-recorded-million", "1M traces", 0.0, region="eu-west-1", t1=0.1),
    P("AWSXRay", "xray", "traces-recorded-million", "1M traces", 5.0, region="eu-west-1", t0=0.1),
    P("AmazonRoute53", "route53-queries", "million-queries", "1M queries", 0.4, region="global", variant="standard"),
    P("AmazonRoute53", "route53-queries", "million-queries", "1M queries", 0.6, region="global", variant="latency"),
    P("AmazonRoute53", "route53-queries", "million-queries", "1M queries", 0.7, region="global", variant="geo"),
]


def est(d):
    return estimate(stack_from_data(d), mini_catalog(EXTRA))


def pools(**pools) -> dict:
    return {"name": "rules", "regions": {"us-east-1": {"node_pools": {
        name: {"instance_types": [itype], "count": n} for name, (itype, n) in pools.items()}}}}


def cost_of(r, component, usage=None):
    df = r.lines[r.lines.component == component]
    if usage is not None:
        df = df[df.usage == usage]
    return float(df.ListCost.sum())


# -- capacity reservations ------------------------------------------------------------------
def test_capacity_reservation_used_by_instances_under_a_savings_plan_is_billed_once():
    # EC2 docs (Capacity Reservations, billing): "When you run an instance that matches the
    # attributes of a reservation, you just pay for the instance and nothing for the
    # reservation"; Savings Plans apply to the instances as usual. 2 x c5.large run in 2
    # reserved: the plan's $0.108/h covers both at the $0.054/h plan rate; nothing is unused.
    d = pools(app=("c5.large", 2))
    d["commitments"] = {
        "capacity_reservations": {"cr": {"instance_type": "c5.large", "region": "us-east-1", "count": 2}},
        "savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                 "hourly_commitment": 0.108}},
    }
    r = est(d)
    assert cost_of(r, "commitments/capacity_reservations/cr") == 0.0
    # on demand 2 x 0.085 x 730 = 124.10, all covered; the plan's fee 0.108 x 730 = 78.84
    assert r.total_monthly_cost == pytest.approx(78.84)


def test_unused_capacity_reservation_is_billed_at_on_demand_and_a_savings_plan_may_cover_it():
    # 3 reserved, 2 running: 1 x c5.large unused, billed at $0.085/h = $62.05 a month
    d = pools(app=("c5.large", 2))
    d["commitments"] = {"capacity_reservations": {"cr": {"instance_type": "c5.large", "region": "us-east-1",
                                                         "count": 3}}}
    assert est(d).total_monthly_cost == pytest.approx(2 * 62.05 + 62.05)
    # EC2 docs: "Savings Plans ... apply to unused Capacity Reservations": a $0.162/h plan covers
    # 3 x c5.large at $0.054/h, the unused one too; the month costs the plan's fee, 0.162 x 730
    d["commitments"]["savings_plans"] = {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                "hourly_commitment": 0.162}}
    assert est(d).total_monthly_cost == pytest.approx(118.26)


# -- reserved instances, size flexibility -----------------------------------------------------
def _ri(count: int) -> dict:
    return {"reserved_instances": {"ri": {"service": "ec2", "instance_type": "c5.large", "region": "us-east-1",
                                          "count": count}}}


def test_regional_linux_ri_is_size_flexible_by_normalisation_factor():
    # EC2 docs (instance size flexibility): large = 4 units, xlarge = 8. Two c5.large RIs
    # (2 x 4 = 8 units) cover one c5.xlarge entirely: the month costs the RIs' fee only,
    # 2 x $0.05 x 730 = $73.00 (not that fee plus the xlarge's $124.10 on demand).
    d = pools(app=("c5.xlarge", 1))
    d["commitments"] = _ri(2)
    r = est(d)
    assert r.total_monthly_cost == pytest.approx(73.00)
    assert cost_of(r, "commitments/reserved_instances/ri") == pytest.approx(73.00 - 124.10)
    assert not [f for f in r.findings if "unused" in f.message]


def test_a_smaller_ri_covers_part_of_a_larger_instance():
    # one c5.large RI (4 units) covers half the hours of one c5.xlarge (8 units): the RI's
    # $36.50 plus half the xlarge on demand, 0.17 x 730 / 2 = $62.05
    d = pools(app=("c5.xlarge", 1))
    d["commitments"] = _ri(1)
    assert est(d).total_monthly_cost == pytest.approx(36.50 + 62.05)


def test_size_flexible_ri_applies_to_the_smallest_size_first():
    # EC2 docs: the benefit is applied from the smallest to the largest size in the family.
    # Running 1 x c5.large and 1 x c5.xlarge, 2 c5.large RIs (8 units): 4 units cover the
    # large, 4 cover half of the xlarge. Fee 73.00 + half the xlarge 62.05.
    d = pools(big=("c5.xlarge", 1), small=("c5.large", 1))
    d["commitments"] = _ri(2)
    assert est(d).total_monthly_cost == pytest.approx(73.00 + 62.05)


# -- price_verified -------------------------------------------------------------------------
def test_price_verified_looks_only_at_the_tiers_a_line_uses():
    # an unverified top tier (over 153,600 GB, not reached by 20,000 GB) does not make the line
    # unverified; 200,000 GB reach it
    from costplan.components.base import PricingContext

    tiers = [
        P("AmazonS3", "s3-glacier", "storage-gb-month", "GB-Mo", 0.004, t1=153600),
        P("AmazonS3", "s3-glacier", "storage-gb-month", "GB-Mo", 0.0035, t0=153600, verified=False),
    ]
    ctx = PricingContext(catalog=mini_catalog(tiers), hours=H)
    kw = dict(component="c", kind="s3", region="us-east-1", service="AmazonS3", sku="s3-glacier",
              usage="storage-gb-month", description="", path="p", scaling="stored")
    assert ctx.priced(quantity=20000, **kw).price_verified is True
    assert ctx.priced(quantity=200000, **kw).price_verified is False


# -- tiers that span lines --------------------------------------------------------------------
def test_s3_tiers_apply_to_the_regions_total_per_storage_class():
    # S3 pricing: "First 50 TB / Month" is the region's standard storage, not a bucket's. Two
    # 30,000 GB buckets: 60,000 GB = 51,200 x 0.023 + 8,800 x 0.022 = 1,371.20, 685.60 each
    # (per bucket it would have been 2 x 30,000 x 0.023 = 1,380.00)
    d = {"name": "s3", "regions": {"us-east-1": {"s3": {
        "a": {"size_gb": 30000, "why": "test"}, "b": {"size_gb": 30000, "why": "test"}}}}}
    r = est(d)
    assert cost_of(r, "us-east-1/s3/a", "storage-gb-month") == pytest.approx(685.60)
    assert cost_of(r, "us-east-1/s3/b", "storage-gb-month") == pytest.approx(685.60)


def test_internet_transfer_free_tier_is_taken_once_per_account():
    # AWS Free Tier: 100 GB a month of data transfer out to the internet, aggregated across all
    # services and regions. us-east-1 sends 60 GB (all free), eu-west-1 1,000 GB of which the
    # remaining 40 GB are free: 960 x 0.09 = 86.40
    d = {"name": "dt", "regions": {
        "us-east-1": {"data_transfer": {"internet_egress_gb": 60, "why": "test"}},
        "eu-west-1": {"data_transfer": {"internet_egress_gb": 1000, "why": "test"}},
    }}
    r = est(d)
    assert cost_of(r, "us-east-1/data_transfer") == 0.0
    assert cost_of(r, "eu-west-1/data_transfer") == pytest.approx(86.40)
    assert r.total_monthly_cost == pytest.approx(86.40)


def test_xray_free_traces_are_taken_once_per_account():
    # X-Ray pricing: the first 100,000 traces recorded a month are free per account, then $5.00
    # per million. 0.1 million in each of two regions: the first region's are free, the
    # second's 0.1 x 5.00 = 0.50
    d = {"name": "xr", "regions": {
        "us-east-1": {"xray": {"traces_recorded_million": 0.1, "why": "test"}},
        "eu-west-1": {"xray": {"traces_recorded_million": 0.1, "why": "test"}},
    }}
    r = est(d)
    assert cost_of(r, "us-east-1/xray") == 0.0
    assert cost_of(r, "eu-west-1/xray") == pytest.approx(0.50)


def test_route53_latency_geo_and_alias_queries_are_priced_as_such():
    # Route 53 pricing, first billion queries a month: standard $0.40, latency-based $0.60,
    # geo DNS $0.70 per million; queries to alias records of AWS resources are free.
    d = {"name": "dns", "regions": {"us-east-1": {}}, "global": {"route53": {
        "queries_million": 10, "latency_queries_million": 10, "geo_queries_million": 10,
        "alias_queries_million": 100, "why": "test"}}}
    r = est(d)
    assert r.total_monthly_cost == pytest.approx(4.00 + 6.00 + 7.00)
    assert set(r.lines.variant) == {"standard", "latency", "geo"}


# -- pool hours -----------------------------------------------------------------------------
def test_a_pool_with_zero_hours_costs_nothing_anywhere():
    # hours_per_month: 0 -> no instance-hours: $0 in the estimate and no spot saving
    from costplan.projection.spot import spot_savings

    d = pools(app=("c5.xlarge", 3))
    d["regions"]["us-east-1"]["node_pools"]["app"].update(hours_per_month=0, capacity="spot")
    stack = stack_from_data(d)
    assert est(d).total_monthly_cost == 0.0
    s = spot_savings(stack, mini_catalog(EXTRA)).iloc[0]
    assert s.on_demand_cost == 0.0 and s.spot_cost == 0.0 and s.saving == 0.0
