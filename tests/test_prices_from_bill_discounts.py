"""Negotiated discounts on the bill: a generated CUR 2.0 export of an account with a 7% EDP
discount and a Savings Plan, its list, contracted and effective rates recovered to the cent,
and `--rates bill` applying a plan's own commitments exactly once.

The export is SYNTHETIC (generated here). Every cost is quantity x a chosen rate; the rates
from-bill must recover are computed by hand in the comments from those choices:

- c5.xlarge in us-east-1, public on-demand 0.17 $/h; the EDP takes 7% off everything:
  1,000 h on demand: unblended 170.00, net 170.00 x 0.93 = 158.10;
  3,000 h covered by the Savings Plan at 0.107 $/h: unblended (on-demand equivalent) 510.00,
  net 474.30; Savings Plan effective cost 321.00, net 321.00 x 0.93 = 298.53.
  list       = 680.00 / 4,000 = 0.17
  contracted = (158.10 + 474.30) / 4,000 = 632.40 / 4,000 = 0.1581   (= 0.17 x 0.93)
  effective  = (158.10 + 298.53) / 4,000 = 456.63 / 4,000 = 0.1141575
- NAT gateway hours in eu-west-1, 2,190 h at 0.048: net 0.048 x 0.93 = 0.04464 $/h, which is
  both the contracted and the effective rate (no commitment covers it).
- RDS PostgreSQL db.r6g.xlarge Multi-AZ, 730 h under a reservation at an effective 0.62 $/h,
  net 0.62 x 0.93 = 0.5766: effective 0.5766; no contracted rate (CUR gives no negotiated
  on-demand cost for RI-covered usage).
- the Savings Plan's recurring fee: commitment 330.00 for the month, 321.00 used, so 9.00
  unused; net 9.00 x 0.93 = 8.37.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import base_stack_dict, mini_catalog

from costplan.actuals import schema
from costplan.actuals.files import import_files
from costplan.actuals.store import Store
from costplan.estimator import estimate
from costplan.pricing.from_bill import bill_rate_for, from_bill, load_overlay, with_bill_rates
from costplan.pricing.lookup import get_catalog
from costplan.stack import stack_from_data

ACCOUNT = "111122223333"
SP = "arn:aws:savingsplans::111122223333:savingsplan/sp-1"
RI = "arn:aws:rds:us-east-1:111122223333:ri:ri-1"
PG_MULTI = "USD 0.899 per RDS db.r6g.xlarge Multi-AZ instance hour (or partial hour) running PostgreSQL"
EDP = 0.07
H = 730

# (type, usage type, region, product, quantity, public rate, unblended cost, SP/RI effective
#  cost, SP commitment to date, SP used commitment, description)
LINES = [
    ("Usage", "BoxUsage:c5.xlarge", "us-east-1", "AmazonEC2", 1000.0, 0.17, 170.0, 0.0, 0, 0, "c5.xlarge"),
    ("SavingsPlanCoveredUsage", "BoxUsage:c5.xlarge", "us-east-1", "AmazonEC2", 3000.0, 0.17, 510.0, 321.0, 0, 0,
     "c5.xlarge covered"),
    ("SavingsPlanNegation", "BoxUsage:c5.xlarge", "us-east-1", "AmazonEC2", 3000.0, 0.17, -510.0, 0.0, 0, 0,
     "negation"),
    ("SavingsPlanRecurringFee", "ComputeSP:1yrNoUpfront", None, "ComputeSavingsPlans", 720.0, 0.0, 330.0, 0.0,
     330.0, 321.0, "Savings Plan fee"),
    ("Usage", "EU-NatGateway-Hours", "eu-west-1", "AmazonEC2", 2190.0, 0.048, 2190.0 * 0.048, 0.0, 0, 0,
     "NAT gateway hour"),
    ("DiscountedUsage", "Multi-AZUsage:db.r6g.xl", "us-east-1", "AmazonRDS", 730.0, 0.899, 0.0, 730.0 * 0.62, 0, 0,
     PG_MULTI),
]
NAMES = {"AmazonEC2": "Amazon Elastic Compute Cloud", "AmazonRDS": "Amazon Relational Database Service",
         "ComputeSavingsPlans": "Savings Plans for AWS Compute usage"}


def write_cur(path: Path, *, net: bool = True, extra=()) -> Path:
    lines = LINES + list(extra)
    n = len(lines)
    typ, ut, region, code, qty, od, ub, eff, total, used, desc = (list(c) for c in zip(*lines, strict=True))
    cols = {
        "bill_billing_period_start_date": pa.array([dt.datetime(2026, 10, 1)] * n, pa.timestamp("ms")),
        "bill_billing_period_end_date": pa.array([dt.datetime(2026, 11, 1)] * n, pa.timestamp("ms")),
        "bill_payer_account_id": [ACCOUNT] * n,
        "bill_invoice_id": ["INV-1"] * n,
        "line_item_usage_account_id": [ACCOUNT] * n,
        "line_item_usage_start_date": pa.array([dt.datetime(2026, 10, 5)] * n, pa.timestamp("ms")),
        "line_item_usage_end_date": pa.array([dt.datetime(2026, 10, 6)] * n, pa.timestamp("ms")),
        "line_item_line_item_type": typ,
        "line_item_product_code": code,
        "line_item_usage_type": ut,
        "line_item_line_item_description": desc,
        "line_item_usage_amount": qty,
        "line_item_unblended_cost": ub,
        "pricing_unit": ["Hrs"] * n,
        "pricing_term": ["OnDemand"] * n,
        "pricing_public_on_demand_rate": [str(r) for r in od],
        "pricing_public_on_demand_cost": [q * r if t != "SavingsPlanNegation" else 0.0
                                          for q, r, t in zip(qty, od, typ, strict=True)],
        "product_region_code": region,
        "product": pa.array([[("product_name", NAMES[c])] for c in code], pa.map_(pa.string(), pa.string())),
        "resource_tags": pa.array([[]] * n, pa.map_(pa.string(), pa.string())),
        "savings_plan_savings_plan_a_r_n": [SP if t.startswith("SavingsPlan") else None for t in typ],
        "savings_plan_savings_plan_effective_cost": [e if t == "SavingsPlanCoveredUsage" else 0.0
                                                     for e, t in zip(eff, typ, strict=True)],
        "savings_plan_total_commitment_to_date": [float(x) for x in total],
        "savings_plan_used_commitment": [float(x) for x in used],
        "reservation_reservation_a_r_n": [RI if t == "DiscountedUsage" else None for t in typ],
        "reservation_effective_cost": [e if t == "DiscountedUsage" else 0.0 for e, t in zip(eff, typ, strict=True)],
        "reservation_unused_amortized_upfront_fee_for_billing_period": [0.0] * n,
        "reservation_unused_recurring_fee": [0.0] * n,
    }
    if net:  # AWS adds these only for a period with a negotiated discount: 7% off every charge
        cols["line_item_net_unblended_cost"] = [u * (1 - EDP) for u in ub]
        cols["savings_plan_net_savings_plan_effective_cost"] = [
            e * (1 - EDP) if t == "SavingsPlanCoveredUsage" else 0.0 for e, t in zip(eff, typ, strict=True)]
        cols["reservation_net_effective_cost"] = [
            e * (1 - EDP) if t == "DiscountedUsage" else 0.0 for e, t in zip(eff, typ, strict=True)]
    pq.write_table(pa.table(cols), path)
    return path


@pytest.fixture
def edp_store(tmp_path):
    with Store(tmp_path / "edp.duckdb") as s:
        import_files(s, "cur", [write_cur(tmp_path / "cur.parquet")])
        yield s


@pytest.fixture
def rates(edp_store, tmp_path):
    res = from_bill(edp_store, "2026-10", tmp_path / "rates")
    return res, tmp_path / "rates"


def _row(res, sku, region):
    return res.rates[(res.rates.sku == sku) & (res.rates.RegionId == region)].iloc[0]


def test_list_contracted_and_effective_rates_to_the_cent(rates):
    res, _ = rates
    c5 = _row(res, "c5.xlarge", "us-east-1")
    assert c5.ListUnitPrice == pytest.approx(0.17, abs=1e-12)
    assert c5.ContractedUnitPrice == pytest.approx(0.1581, abs=1e-12)
    assert c5.EffectiveUnitPrice == pytest.approx(0.1141575, abs=1e-12)
    # the month's costs behind them, to the cent
    assert round(c5.ContractedCost, 2) == 632.40 and round(c5.EffectiveCost, 2) == 456.63
    nat = _row(res, "nat-gateway", "eu-west-1")
    assert nat.ListUnitPrice == pytest.approx(0.048, abs=1e-12)
    assert nat.ContractedUnitPrice == pytest.approx(0.04464, abs=1e-12)
    assert nat.EffectiveUnitPrice == pytest.approx(0.04464, abs=1e-12)
    rds = _row(res, "db.r6g.xl", "us-east-1")
    assert rds.EffectiveUnitPrice == pytest.approx(0.5766, abs=1e-12)
    assert rds.ListUnitPrice == pytest.approx(0.899, abs=1e-12)
    assert rds.ContractedUnitPrice != rds.ContractedUnitPrice  # NaN: CUR has no contracted cost for RI usage

    eff = {(p.sku, p.region): p.unit_price for p in res.prices}
    con = {(p.sku, p.region): p.unit_price for p in res.contracted}
    assert eff[("c5.xlarge", "us-east-1")] == pytest.approx(0.1141575, abs=1e-10)
    assert con[("c5.xlarge", "us-east-1")] == pytest.approx(0.1581, abs=1e-10)
    assert con[("nat-gateway", "eu-west-1")] == pytest.approx(0.04464, abs=1e-10)
    assert ("db.r6g.xl", "us-east-1") in eff and ("db.r6g.xl", "us-east-1") not in con
    assert res.warnings == []


def test_the_store_keeps_the_net_costs_and_the_gross_ones(edp_store):
    got = edp_store.con.execute(
        """SELECT round(sum(BilledCost), 2), round(sum(EffectiveCost), 2), round(sum(x_NetEffectiveCost), 2),
                  round(sum(ContractedCost), 2) FROM cost_rows"""
    ).fetchall()[0]
    # BilledCost: the invoice's unblended lines (170 + 330 + 105.12; covered usage 0)
    # EffectiveCost, gross: 170 + 321 + 9 (unused commitment) + 105.12 + 452.60 = 1,057.72
    # net: 158.10 + 298.53 + 8.37 + 97.7616 + 420.918 = 983.6796
    # contracted (on-demand usage rows only): 158.10 + 474.30 + 97.7616 = 730.1616
    assert got == (605.12, 1057.72, 983.68, 730.16)
    parts = edp_store.con.execute("SELECT net_costs FROM load_parts").fetchall()
    assert parts == [(True,)]


def test_a_cur_without_net_columns_has_no_negotiated_discount(tmp_path):
    with Store(tmp_path / "gross.duckdb") as s:
        import_files(s, "cur", [write_cur(tmp_path / "gross.parquet", net=False)])
        res = from_bill(s, "2026-10", tmp_path / "rates")
        assert s.con.execute("SELECT count(x_NetEffectiveCost) FROM cost_rows").fetchall()[0][0] == 0
        assert s.con.execute("SELECT net_costs FROM load_parts").fetchall() == [(False,)]
    c5 = _row(res, "c5.xlarge", "us-east-1")
    # contracted = unblended: (170 + 510) / 4,000 = 0.17; effective (170 + 321) / 4,000 = 0.12275
    assert c5.ContractedUnitPrice == pytest.approx(0.17, abs=1e-12)
    assert c5.EffectiveUnitPrice == pytest.approx(0.12275, abs=1e-12)


def test_a_month_imported_before_the_net_columns_were_read_is_flagged(edp_store, tmp_path):
    edp_store.con.execute("UPDATE load_parts SET net_costs = NULL")  # as the version-9 migration leaves them
    res = from_bill(edp_store, "2026-10", tmp_path / "rates")
    assert len(res.warnings) == 1 and "did not read the net columns" in res.warnings[0]


def test_credits_on_their_own_lines_are_said_not_to_be_in_the_rates(tmp_path):
    credit = ("Credit", "USE1-Credit", "us-east-1", "AmazonEC2", 0.0, 0.0, -12.5, 0.0, 0, 0, "promotional credit")
    with Store(tmp_path / "s.duckdb") as s:
        import_files(s, "cur", [write_cur(tmp_path / "cur.parquet", net=False, extra=[credit])])
        res = from_bill(s, "2026-10", tmp_path / "rates")
    assert any("-12.50 USD of credits" in w for w in res.warnings)
    # the usage rates are those of the usage lines alone: effective (170 + 321) / 4,000
    assert _row(res, "c5.xlarge", "us-east-1").EffectiveUnitPrice == pytest.approx(0.12275, abs=1e-12)


def test_a_version_8_store_migrates_in_one_step(tmp_path):
    import duckdb

    path = tmp_path / "v8.duckdb"
    with Store(path) as s:
        import_files(s, "cur", [write_cur(tmp_path / "cur.parquet")])
        # back to version 8: no net_costs column, as an earlier costplan wrote it
        s.con.execute("ALTER TABLE load_parts DROP COLUMN net_costs")
        s.con.execute("DROP TABLE load_columns")  # version 10's table
        s.con.execute("DELETE FROM schema_version WHERE version >= 9")
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] == 8
    con.close()
    with Store(path) as s:
        assert s.schema_version() == schema.SCHEMA_VERSION == 11
        assert s.con.execute("SELECT net_costs FROM load_parts").fetchall() == [(None,)]


# -- --rates bill: a plan's own commitments applied once ------------------------------------------
def _stack(with_sp: bool):
    d = base_stack_dict()  # 6 x c5.xlarge on demand in us-east-1, one EKS cluster
    if with_sp:
        # compute SP, 1yr all-upfront at 0.107 $/h (the mini catalog): 0.321 $/h buys 3 instances
        d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                     "hourly_commitment": 0.321}}}
    return stack_from_data(d)


def test_a_plan_with_its_own_savings_plan_is_priced_at_the_contracted_rate(rates):
    _, overlay = rates
    st = _stack(with_sp=True)
    assert bill_rate_for(st) == "contracted"
    cat = get_catalog(mini_catalog(), "bill", str(overlay), stack=st)
    r = estimate(st, cat)
    pool = r.lines[r.lines.component == "us-east-1/node_pools/app"].iloc[0]
    assert pool.ListUnitPrice == pytest.approx(0.1581)  # the contracted rate, not the effective 0.1141575
    covered = r.lines[(r.lines.component_kind == "commitment") & (r.lines.usage == "covered-usage")]
    assert len(covered) == 1  # one commitment discount: the plan's own
    # by hand: 6 x 0.1581 x 730 = 692.478 on demand; the SP fee 0.321 x 730 = 234.33 covers 3
    # instances: -3 x 0.1581 x 730 = -346.239; EKS 0.10 x 730 = 73 (the catalog: not on the bill)
    assert covered.ListCost.sum() == pytest.approx(-346.239, abs=0.005)
    assert r.total_monthly_cost == pytest.approx(692.478 + 234.33 - 346.239 + 73.0, abs=0.01)  # 653.57
    # had the effective rate (which already holds the bill's Savings Plan) been used, the bill's
    # discount and the plan's would both apply: 3 x 0.1141575 x 730 + 234.33 + 73 = 557.33
    assert abs(r.total_monthly_cost - (3 * 0.1141575 * H + 234.33 + 73.0)) > 90


def test_a_plan_without_commitments_is_priced_at_the_effective_rate(rates):
    _, overlay = rates
    st = _stack(with_sp=False)
    assert bill_rate_for(st) == "effective"
    r = estimate(st, get_catalog(mini_catalog(), "bill", str(overlay), stack=st))
    # by hand: 6 x 0.1141575 x 730 = 500.00985, plus EKS 73
    assert r.total_monthly_cost == pytest.approx(500.00985 + 73.0, abs=0.01)
    assert not (r.lines.component_kind == "commitment").any()


def test_a_key_without_a_contracted_rate_falls_back_to_the_catalog(rates):
    _, overlay = rates
    contracted = load_overlay(overlay, "contracted")
    effective = load_overlay(overlay, "effective")
    keys = {(p.sku, p.region) for p in contracted}
    assert ("db.r6g.xl", "us-east-1") not in keys and ("db.r6g.xl", "us-east-1") in {(p.sku, p.region) for p in effective}
    merged = with_bill_rates(mini_catalog(), contracted)
    assert merged.manifest["bill_rate_kind"] == "contracted"
    # the catalog's own db.r6g.xlarge price is untouched
    assert merged.price("AmazonRDS", "db.r6g.xlarge", "us-east-1", "instance-hour", "postgresql:multi-az").unit_price == 0.899


def test_cli_says_which_bill_rates_priced_the_plan(rates, tmp_path):


    res, overlay = rates
    out = _estimate_with_own_plan(tmp_path, overlay)
    assert out.exit_code == 0, out.output
    assert "contracted rates" in out.stderr and "applied once" in out.stderr
    assert res.contracted_path == overlay / "2026-10" / "contracted" / "aws-prices_2026-10-31.csv"


def test_an_overlay_without_contracted_rates_says_the_plan_is_at_list_prices(rates, tmp_path):
    import shutil


    _, overlay = rates
    shutil.rmtree(overlay / "2026-10" / "contracted")  # as an earlier costplan wrote it
    out = _estimate_with_own_plan(tmp_path, overlay)
    assert out.exit_code == 0, out.output
    assert "no contracted rates" in out.stderr and "0 of " in out.stderr


def _estimate_with_own_plan(tmp_path, overlay):
    """`costplan estimate --rates bill` of the base stack with its own 0.321 $/h Compute plan."""
    import yaml
    from typer.testing import CliRunner

    from costplan.cli.app import app

    d = base_stack_dict()
    d["commitments"] = {"savings_plans": {"sp": {"type": "compute", "term": "1yr", "payment": "all-upfront",
                                                 "hourly_commitment": 0.321}}}
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(d))
    return CliRunner().invoke(app, ["estimate", str(path), "--rates", "bill", "--bill-rates", str(overlay)])
