"""`costplan prices from-bill` and `--rates bill`: your unit prices, recovered from a generated
CUR 2.0 export and a generated FOCUS file whose rates are known, then used by the estimate.

Both files are SYNTHETIC (generated here); every cost is quantity x a chosen rate, so the
rates from-bill must recover are the chosen ones, written down below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costplan.actuals.files import import_files
from costplan.actuals.store import Store
from costplan.config import DEFAULT_STACK
from costplan.estimator import estimate
from costplan.pricing.catalog import Catalog, default_catalog_path
from costplan.pricing.from_bill import catalog_key, from_bill, load_overlay, with_bill_rates
from costplan.stack import load_stack

ACCOUNT = "111122223333"
SP = "arn:aws:savingsplans::111122223333:savingsplan/sp-1"
RI = "arn:aws:rds:us-east-1:111122223333:ri:ri-1"
PG_MULTI = "USD 0.899 per RDS db.r6g.xlarge Multi-AZ instance hour (or partial hour) running PostgreSQL"

# (line item type, usage type, region, hours, public on-demand rate, unblended rate, effective
#  rate, description, product code)
CUR_LINES = [
    # c5.large in us-east-1: 1,000 h on demand at list 0.085, 2,000 h covered by a Savings Plan
    # at 0.055 (effective). By hand: effective = (1,000 x 0.085 + 2,000 x 0.055) / 3,000
    #                                       = (85 + 110) / 3,000 = 0.065 $/h; list 0.085
    ("Usage", "BoxUsage:c5.large", "us-east-1", 1000.0, 0.085, 0.085, 0.085, "c5.large on demand", "AmazonEC2"),
    ("SavingsPlanCoveredUsage", "BoxUsage:c5.large", "us-east-1", 2000.0, 0.085, 0.085, 0.055,
     "c5.large covered", "AmazonEC2"),
    ("SavingsPlanNegation", "BoxUsage:c5.large", "us-east-1", 2000.0, 0.085, -0.085, 0.0, "negation", "AmazonEC2"),
    # NAT gateway hours in eu-west-1 with a 10% private discount: 2,190 h at 0.0432 (list 0.048)
    ("Usage", "EU-NatGateway-Hours", "eu-west-1", 2190.0, 0.048, 0.0432, 0.0432, "NAT gateway hour", "AmazonEC2"),
    # RDS PostgreSQL db.r6g.xlarge Multi-AZ under a reservation: 730 h at an effective 0.62 (list 0.899)
    ("DiscountedUsage", "Multi-AZUsage:db.r6g.xl", "us-east-1", 730.0, 0.899, 0.0, 0.62, PG_MULTI, "AmazonRDS"),
]
EXPECTED_CUR = {  # (sku, region, usage, variant) -> (list, effective) [USD/unit], by hand above
    ("c5.large", "us-east-1", "instance-hour", ""): (0.085, 0.065),
    ("nat-gateway", "eu-west-1", "hour", ""): (0.048, 0.0432),
}


def write_cur(path: Path, lines=CUR_LINES) -> Path:
    n = len(lines)
    col = list(zip(*lines, strict=True))
    types, usage, region, hours, od_rate, ub_rate, eff_rate, desc, code = col
    table = pa.table({
        "bill_billing_period_start_date": pa.array([dt.datetime(2026, 10, 1)] * n, pa.timestamp("ms")),
        "bill_billing_period_end_date": pa.array([dt.datetime(2026, 11, 1)] * n, pa.timestamp("ms")),
        "bill_payer_account_id": [ACCOUNT] * n,
        "bill_invoice_id": ["INV-1"] * n,
        "line_item_usage_account_id": [ACCOUNT] * n,
        "line_item_usage_start_date": pa.array([dt.datetime(2026, 10, 5)] * n, pa.timestamp("ms")),
        "line_item_usage_end_date": pa.array([dt.datetime(2026, 10, 6)] * n, pa.timestamp("ms")),
        "line_item_line_item_type": list(types),
        "line_item_product_code": list(code),
        "line_item_usage_type": list(usage),
        "line_item_line_item_description": list(desc),
        "line_item_usage_amount": list(hours),
        "line_item_unblended_rate": [str(r) for r in ub_rate],
        "line_item_unblended_cost": [h * r for h, r in zip(hours, ub_rate, strict=True)],
        "pricing_unit": ["Hrs"] * n,
        "pricing_term": ["OnDemand"] * n,
        "pricing_public_on_demand_rate": [str(r) for r in od_rate],
        "pricing_public_on_demand_cost": [h * r if t != "SavingsPlanNegation" else 0.0
                                          for h, r, t in zip(hours, od_rate, types, strict=True)],
        "product_region_code": list(region),
        "product": pa.array([[("product_name", {"AmazonEC2": "Amazon Elastic Compute Cloud",
                                                "AmazonRDS": "Amazon Relational Database Service"}[c])] for c in code],
                            pa.map_(pa.string(), pa.string())),
        "resource_tags": pa.array([[]] * n, pa.map_(pa.string(), pa.string())),
        "savings_plan_savings_plan_a_r_n": [SP if t.startswith("SavingsPlan") else None for t in types],
        "savings_plan_savings_plan_effective_cost": [h * e if t == "SavingsPlanCoveredUsage" else 0.0
                                                     for h, e, t in zip(hours, eff_rate, types, strict=True)],
        "savings_plan_total_commitment_to_date": [0.0] * n,
        "savings_plan_used_commitment": [0.0] * n,
        "reservation_reservation_a_r_n": [RI if t == "DiscountedUsage" else None for t in types],
        "reservation_effective_cost": [h * e if t == "DiscountedUsage" else 0.0
                                       for h, e, t in zip(hours, eff_rate, types, strict=True)],
        "reservation_unused_amortized_upfront_fee_for_billing_period": [0.0] * n,
        "reservation_unused_recurring_fee": [0.0] * n,
    })
    pq.write_table(table, path)
    return path


FOCUS_HEADER = (
    "BillingAccountId,ProviderName,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
    "ChargeCategory,ChargeDescription,ServiceName,RegionId,SkuId,PricingCategory,PricingQuantity,PricingUnit,"
    "ListUnitPrice,ContractedUnitPrice,BilledCost,EffectiveCost,ListCost,ContractedCost,x_UsageType"
)
# (usage type, region, quantity, unit, list, contracted, effective rate, description, service)
FOCUS_LINES = [
    # gp3 storage in us-east-1: 2,000 GB-Mo at list 0.08, contracted (and paid) 0.072
    ("EBS:VolumeUsage.gp3", "us-east-1", 2000.0, "GB-Mo", 0.08, 0.072, 0.072, "gp3 storage",
     "Amazon Elastic Compute Cloud"),
    # ElastiCache Redis cache.r7g.large in eu-west-1: 2,190 h at list 0.243, contracted 0.2187
    ("EU-NodeUsage:cache.r7g.large", "eu-west-1", 2190.0, "Hrs", 0.243, 0.2187, 0.2187,
     "USD 0.2187 per Redis cache.r7g.large node hour", "Amazon ElastiCache"),
    # a usage type costplan has no catalog price for: reported, never dropped
    ("USE1-Lambda-GB-Second", "us-east-1", 1e6, "Lambda-GB-Second", 0.0000166667, 0.0000166667, 0.0000166667,
     "Lambda", "AWS Lambda"),
]
EXPECTED_FOCUS = {
    ("gp3", "us-east-1", "storage-gb-month", ""): (0.08, 0.072),
    ("cache.r7g.large", "eu-west-1", "node-hour", "redis"): (0.243, 0.2187),
}


def write_focus(path: Path, lines=FOCUS_LINES) -> Path:
    rows = [FOCUS_HEADER]
    for ut, region, q, unit, lst, con, eff, desc, svc in lines:
        rows.append(",".join([
            ACCOUNT, "AWS", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-10-01T00:00:00Z",
            "2026-11-01T00:00:00Z", "Usage", f'"{desc}"', svc, region, "SKU1", "Standard", repr(q), unit,
            repr(lst), repr(con), repr(q * eff), repr(q * eff), repr(q * lst), repr(q * con), ut,
        ]))
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def cur_store(tmp_path):
    with Store(tmp_path / "cur.duckdb") as s:
        import_files(s, "cur", [write_cur(tmp_path / "cur.parquet")])
        yield s


def test_from_bill_recovers_the_cur_rates_to_the_cent(cur_store, tmp_path):
    res = from_bill(cur_store, "2026-10", tmp_path / "rates")
    got = {(p.sku, p.region, p.usage, p.variant): p for p in res.prices}
    for key, (lst, eff) in EXPECTED_CUR.items():
        assert got[key].unit_price == pytest.approx(eff, abs=1e-9), key
        row = res.rates[(res.rates.sku == key[0]) & (res.rates.RegionId == key[1])].iloc[0]
        assert row.ListUnitPrice == pytest.approx(lst, abs=1e-9) and row.EffectiveUnitPrice == pytest.approx(eff, abs=1e-9)
    # the RDS line's engine comes from its description: PostgreSQL Multi-AZ, effective 0.62
    assert got[("db.r6g.xl", "us-east-1", "instance-hour", "postgresql:multi-az")].unit_price == pytest.approx(0.62)
    assert {p.source for p in res.prices} == {"bill ********3333 2026-10"}
    assert res.path == tmp_path / "rates" / "2026-10" / "aws-prices_2026-10-31.csv"
    loaded = load_overlay(tmp_path / "rates")
    assert len(loaded) == len(res.prices) == 3


def test_from_bill_recovers_the_focus_list_and_contracted_rates(tmp_path):
    with Store(tmp_path / "focus.duckdb") as s:
        import_files(s, "focus", [write_focus(tmp_path / "focus.csv")])
        res = from_bill(s, "2026-10", tmp_path / "rates")
    got = {(p.sku, p.region, p.usage, p.variant): p.unit_price for p in res.prices}
    for key, (lst, con) in EXPECTED_FOCUS.items():
        assert got[key] == pytest.approx(con, abs=1e-9)
        row = res.rates[(res.rates.sku == key[0]) & (res.rates.RegionId == key[1])].iloc[0]
        assert row.ListUnitPrice == pytest.approx(lst, abs=1e-9)
        assert row.ContractedUnitPrice == pytest.approx(con, abs=1e-9)
    lam = res.rates[res.rates.ServiceName == "AWS Lambda"].iloc[0]
    assert "not one costplan prices" in lam.not_mapped and lam.EffectiveUnitPrice == pytest.approx(0.0000166667)


def test_estimate_with_bill_rates_uses_them_and_falls_back_to_the_catalog(cur_store, tmp_path):
    from_bill(cur_store, "2026-10", tmp_path / "rates")
    cat = Catalog.load(default_catalog_path())
    stack = load_stack(DEFAULT_STACK)
    at_list = estimate(stack, catalog=cat)
    at_bill = estimate(stack, catalog=with_bill_rates(cat, load_overlay(tmp_path / "rates")))
    lines, base = at_bill.lines, at_list.lines
    assert len(lines) == len(base)
    changed = 0
    for (sku, region, usage, _variant), (_lst, eff) in EXPECTED_CUR.items():
        sel = ((base.sku == sku) & (base.RegionId == region) & (base.usage == usage)
               & (base.pricing_model == "on_demand"))
        assert sel.any(), (sku, region)
        for i in base.index[sel]:
            # the plan's quantity [h] priced at the bill's effective rate
            assert lines.at[i, "ListUnitPrice"] == pytest.approx(eff)
            assert lines.at[i, "ListCost"] == pytest.approx(round(base.at[i, "PricingQuantity"] * eff, 2), abs=0.005)
            assert lines.at[i, "price_source"] == "bill ********3333 2026-10"
            changed += 1
    other = ~lines.price_source.str.startswith("bill ")
    assert other.sum() == len(lines) - changed  # everything else: the catalog's own prices
    # (a commitment line's saving is measured against the on-demand price of what it covers,
    # so it moves with that price)
    plain = other & (lines.component_kind != "commitment")
    assert (lines.loc[plain, "ListCost"] == base.loc[plain, "ListCost"]).all()


def test_cli_from_bill_and_estimate_rates_bill(cur_store, tmp_path):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    path = cur_store.path
    cur_store.close()
    rates = tmp_path / "rates"
    res = CliRunner().invoke(app, ["prices", "from-bill", "--store", str(path), "--month", "2026-10", "--out", str(rates)])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stderr and "3 rates" in res.stderr and ACCOUNT not in res.output
    res = CliRunner().invoke(app, ["estimate", str(DEFAULT_STACK), "--rates", "bill", "--bill-rates", str(rates)])
    assert res.exit_code == 0, res.output
    assert "lines priced at your rates from the bill (bill ********3333 2026-10)" in res.stderr
    res = CliRunner().invoke(app, ["project", str(DEFAULT_STACK), "--months", "3", "--simulations", "0",
                                   "--rates", "bill", "--bill-rates", str(rates), "--format", "json"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["estimate", str(DEFAULT_STACK), "--rates", "bill", "--bill-rates",
                                   str(tmp_path / "none")])
    assert res.exit_code == 2 and "from-bill" in res.stderr
    res = CliRunner().invoke(app, ["prices", "from-bill", "--store", str(path), "--month", "2026-07"])
    assert res.exit_code == 2 and "months it holds: 2026-10" in res.stderr


@pytest.mark.parametrize("service,usage_type,desc,expected", [
    ("Amazon Elastic Compute Cloud", "USW2-BoxUsage:m6i.large", "", ("AmazonEC2", "m6i.large", "instance-hour", "", "Hrs")),
    ("Amazon Relational Database Service", "InstanceUsage:db.t4g.large", "running MySQL",
     ("AmazonRDS", "db.t4g.large", "instance-hour", "mysql:single-az", "Hrs")),
    ("Elastic Load Balancing", "EUW2-LCUUsage", "per Network LoadBalancer Capacity Unit-hour",
     ("AWSELB", "nlb", "nlcu-hour", "", "NLCU-Hrs")),
    ("Amazon Elastic Container Service for Kubernetes", "USE1-AmazonEKS-Hours:perCluster", "",
     ("AmazonEKS", "eks-cluster", "cluster-hour", "standard", "Hrs")),
])
def test_usage_types_map_to_catalog_keys(service, usage_type, desc, expected):
    assert catalog_key(service, usage_type, desc) == expected


def test_an_engine_the_bill_does_not_name_is_reported_not_guessed():
    why = catalog_key("Amazon Relational Database Service", "InstanceUsage:db.r6g.large", "RDS instance hour")
    assert isinstance(why, str) and "engine is not named" in why
