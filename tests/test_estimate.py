"""The estimate, with expected costs computed by hand from us-east-1 list prices."""

from __future__ import annotations

import copy

import pytest
from helpers import P, base_stack_dict, mini_catalog
from hypothesis import given, settings
from hypothesis import strategies as st

from costplan.errors import InputError
from costplan.estimator import estimate
from costplan.stack import stack_from_data

H = 730


def est(d, catalog=None):
    return estimate(stack_from_data(d), catalog or mini_catalog())


def cost_of(result, component, usage=None):
    df = result.lines[result.lines.component == component]
    if usage:
        df = df[df.usage == usage]
    return float(df.ListCost.sum())


def test_node_pool_and_eks_by_hand():
    r = est(base_stack_dict())
    # 6 x c5.xlarge at $0.17/h x 730 h
    assert cost_of(r, "us-east-1/node_pools/app") == pytest.approx(6 * 0.17 * 730)  # 744.60
    assert cost_of(r, "us-east-1/node_pools/app") == pytest.approx(744.60)
    assert cost_of(r, "us-east-1/eks_clusters/main") == pytest.approx(0.10 * 730)
    assert r.total_monthly_cost == pytest.approx(744.60 + 73.0)


def test_spot_pool_uses_spot_row_and_is_marked_estimate():
    d = base_stack_dict()
    d["regions"]["us-east-1"]["node_pools"]["app"]["capacity"] = "spot"
    r = est(d)
    line = r.lines[r.lines.component == "us-east-1/node_pools/app"].iloc[0]
    assert line.pricing_model == "spot"
    assert line.ListCost == pytest.approx(6 * 730 * 0.0748)
    assert not line.price_verified
    assert any("estimate-grade" in w for w in r.warnings)


def test_rds_multi_az_with_storage_and_replica():
    d = base_stack_dict()
    d["regions"]["us-east-1"]["rds"] = {
        "db": {
            "instance_class": "db.r6g.xlarge",
            "multi_az": True,
            "storage": {"type": "gp3", "size_gb": 500},
            "read_replicas": {"r": {"instance_class": "db.r6g.large"}},
        }
    }
    r = est(d)
    # primary: 0.899 x 730 + 500 GB x 0.23 (Multi-AZ gp3)
    assert cost_of(r, "us-east-1/rds/db") == pytest.approx(0.899 * 730 + 500 * 0.23)  # 771.27
    # replica: 0.225 x 730 + 500 GB x 0.115 (Single-AZ gp3, same storage as the source)
    assert cost_of(r, "us-east-1/rds/db.r") == pytest.approx(0.225 * 730 + 500 * 0.115)


def test_volumes_elasticache_s3_tiers_transfer_nat_lb():
    d = base_stack_dict()
    reg = d["regions"]["us-east-1"]
    reg["elasticache"] = {"redis": {"node_type": "cache.r7g.large", "engine": "redis", "nodes": 3}}
    reg["k8s_volumes"] = {"influx": {"type": "gp3", "size_gb": 100, "replicas": 3}}
    reg["ebs_volumes"] = {"fast": {"type": "gp3", "size_gb": 200, "count": 2, "iops": 6000, "throughput_mbps": 250}}
    reg["s3"] = {"b": {"size_gb": 60000, "why": "test"}}
    reg["data_transfer"] = {"internet_egress_gb": 12000, "inter_region_gb": 100, "inter_az_gb": 1000, "why": "test"}
    reg["nat_gateways"] = {"count": 3, "gb_processed": 1000, "why": "test"}
    reg["load_balancers"] = {"alb": {"type": "alb", "count": 2, "capacity_units": 1.5, "why": "test"}}
    r = est(d)
    assert cost_of(r, "us-east-1/elasticache/redis") == pytest.approx(3 * 0.219 * 730)  # 479.61
    assert cost_of(r, "us-east-1/k8s_volumes/influx") == pytest.approx(300 * 0.08)
    # 2 x 200 GB + 2 x 3,000 extra IOPS + 2 x 125 extra MB/s
    assert cost_of(r, "us-east-1/ebs_volumes/fast") == pytest.approx(400 * 0.08 + 6000 * 0.005 + 250 * 0.04)
    # 51,200 GB at 0.023 then 8,800 GB at 0.022
    assert cost_of(r, "us-east-1/s3/b") == pytest.approx(51200 * 0.023 + 8800 * 0.022)
    # the first 100 GB free (AWS Free Tier, once per account), then 10,140 GB at 0.09, 1,760 GB at 0.085;
    # inter-region 100 x 0.02; inter-AZ 1000 x 0.01
    assert cost_of(r, "us-east-1/data_transfer") == pytest.approx(10140 * 0.09 + 1760 * 0.085 + 2 + 10)
    assert cost_of(r, "us-east-1/nat_gateways") == pytest.approx(3 * 0.045 * 730 + 1000 * 0.045)
    assert cost_of(r, "us-east-1/load_balancers/alb") == pytest.approx(2 * 0.0225 * 730 + 2 * 1.5 * 730 * 0.008)


def test_missing_prices_are_errors_never_zero():
    d = base_stack_dict()
    d["regions"]["us-east-1"]["node_pools"]["app"]["instance_types"] = ["c5.xlarg"]
    d["regions"]["us-east-1"]["elasticache"] = {"r": {"node_type": "cache.r7g.large", "engine": "valkey", "nodes": 1}}
    with pytest.raises(InputError) as ei:
        est(d)
    msg = str(ei.value)
    assert "c5.xlarg" in msg and "did you mean 'c5.xlarge'" in msg
    assert "valkey" in msg and "elasticache.r.node_type" in msg
    assert len(ei.value.problems) == 2  # both reported at once


def test_region_without_prices_says_where_it_is_priced():
    d = base_stack_dict()
    d["regions"] = {"eu-west-1": d["regions"]["us-east-1"]}
    with pytest.raises(InputError, match="only in us-east-1"):
        est(d)


def test_savings_plan_covers_highest_discount_first_and_charges_unused():
    d = base_stack_dict()
    # 6 x c5.xlarge on demand = $1.02/h. SP rate $0.107/h -> $1.00/h covers 1.0/0.107 = 9.35 instances: all 6
    # are covered (cost 6 x 0.107 = $0.642/h), $0.358/h unused.
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 1.0}}}
    r = est(d)
    fee = cost_of(r, "commitments/savings_plans/sp", "commitment-hour")
    covered = cost_of(r, "commitments/savings_plans/sp", "covered-usage")
    assert fee == pytest.approx(1.0 * 730)
    assert covered == pytest.approx(-6 * 0.17 * 730)
    assert r.total_monthly_cost == pytest.approx(73.0 + 730.0)  # EKS + the whole commitment
    assert any("paid for nothing" in f.message for f in r.findings)


def test_savings_plan_partial_coverage():
    d = base_stack_dict()
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 0.321}}}
    r = est(d)
    # $0.321/h buys 0.321 / 0.107 = 3 instance-hours per hour at the SP rate; 3 remain on demand
    covered = cost_of(r, "commitments/savings_plans/sp", "covered-usage")
    assert covered == pytest.approx(-3 * 0.17 * 730)
    assert r.total_monthly_cost == pytest.approx(73.0 + 3 * 0.17 * 730 + 0.321 * 730)
    assert not r.findings


def test_capacity_reservation_for_rds_class_is_flagged():
    d = base_stack_dict()
    d["commitments"] = {"capacity_reservations": {"db": {"instance_type": "db.r6g.xlarge", "region": "us-east-1",
                                                         "count": 2}}}
    r = est(d)
    [f] = r.findings
    assert f.severity == "error" and "no discount" in f.message and "RDS" in f.message


def test_reserved_instance_fee_and_coverage():
    ri = P("AmazonEC2", "c5.xlarge", "instance-hour", "Hrs", 0.107, model="reserved", term="1yr",
           option="no-upfront", cls="standard")
    d = base_stack_dict()
    d["commitments"] = {"reserved_instances": {"ri": {"service": "ec2", "instance_type": "c5.xlarge",
                                                      "region": "us-east-1", "count": 2}}}
    r = est(d, mini_catalog([ri]))
    assert cost_of(r, "commitments/reserved_instances/ri") == pytest.approx(2 * 730 * (0.107 - 0.17))


def test_totals_and_json_shape():
    r = est(base_stack_dict())
    out = r.to_dict()
    assert out["total_monthly_cost"] == pytest.approx(817.6)
    line = out["lines"][0]
    for k in ("component", "region", "service", "description", "quantity", "unit", "unit_price", "monthly_cost",
              "price_source"):
        assert k in line
    by_region = {x["RegionId"]: x["monthly_cost"] for x in out["totals"]["by_region"]}
    assert by_region == {"us-east-1": pytest.approx(817.6)}


# --- properties ------------------------------------------------------------------------------
counts = st.integers(min_value=0, max_value=200)
sizes = st.floats(min_value=1, max_value=200_000, allow_nan=False)


def _stack(n_app, n_nat, egress, s3_gb, vol_gb):
    d = copy.deepcopy(base_stack_dict())
    reg = d["regions"]["us-east-1"]
    reg["node_pools"]["app"]["count"] = n_app
    reg["nat_gateways"] = {"count": n_nat, "gb_processed": egress, "why": "property test"}
    reg["data_transfer"] = {"internet_egress_gb": egress, "why": "property test"}
    reg["s3"] = {"b": {"size_gb": s3_gb, "why": "property test"}}
    reg["k8s_volumes"] = {"v": {"size_gb": vol_gb, "replicas": 3}}
    return d


@settings(max_examples=60, deadline=None)
@given(counts, counts, sizes, sizes, sizes, st.sampled_from(["n_app", "n_nat", "egress", "s3_gb", "vol_gb"]),
       st.floats(min_value=0, max_value=1e5))
def test_cost_never_falls_when_a_count_or_size_grows(n_app, n_nat, egress, s3_gb, vol_gb, which, extra):
    args = dict(n_app=n_app, n_nat=n_nat, egress=egress, s3_gb=s3_gb, vol_gb=vol_gb)
    before = est(_stack(**args))
    from costplan.limits import MAX_NODES_PER_POOL

    # a count grows within what a spec may hold (a pool of more than 100,000 nodes is refused)
    args[which] = args[which] + (min(int(extra), MAX_NODES_PER_POOL - args[which]) if which.startswith("n_")
                                 else extra)
    after = est(_stack(**args))
    assert after.total_monthly_cost >= before.total_monthly_cost - 1e-9
    assert (before.lines.ListCost >= 0).all() and before.total_monthly_cost >= 0
