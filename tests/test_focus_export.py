"""The plan as FOCUS rows (`costplan estimate|project --format focus`), and the official FOCUS
validator (focus-validator, in .venv-focus-validator, run offline) on that output and on the
synthetic sample."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.focus import estimate_rows, focus_unit, store_rows, write_csv

REPO = Path(__file__).resolve().parents[1]
VALIDATOR = REPO / ".venv-focus-validator" / "bin" / "focus-validator"


def _line(component, kind, service, unit, qty, price, cost, usage="instance-hour", model="on_demand",
          code="AmazonEC2", sku="c5.large", region="us-east-1"):
    return dict(component=component, component_kind=kind, RegionId=region, ServiceCode=code, ServiceName=service,
                description=component, sku=sku, usage=usage, variant="", pricing_model=model, PricingQuantity=qty,
                PricingUnit=unit, ListUnitPrice=price, ListCost=cost, price_source="test", price_as_of="",
                price_verified=True, assumption="", path="")


def test_an_estimate_with_a_savings_plan_as_focus_rows_by_hand():
    ec2 = "Amazon Elastic Compute Cloud"
    lines = pd.DataFrame([
        _line("pool-a", "node_pool", ec2, "Hrs", 1000, 0.10, 100.0),
        _line("pool-b", "node_pool", ec2, "Hrs", 500, 0.10, 50.0),
        _line("ebs", "k8s_volume", ec2, "GB-Mo", 250, 0.08, 20.0, usage="gb-month"),
        _line("sp", "commitment", "Savings Plans for AWS Compute usage", "Hrs", 730, 60 / 730, 60.0,
              usage="commitment-hour", model="savings_plan", code="ComputeSavingsPlans", region="global"),
        _line("sp", "commitment", "Savings Plans for AWS Compute usage", "USD", 60.0, 1.0, -90.0,
              usage="covered-usage", model="savings_plan", code="ComputeSavingsPlans", region="global"),
    ])
    rows = estimate_rows(SimpleNamespace(lines=lines, stack_name="t"), "2026-12")
    # by hand: the plan is 170 on demand - 90 covered + 60 fee = 140 after the commitment
    assert round(rows["EffectiveCost"].sum(), 6) == round(rows["BilledCost"].sum(), 6) == 140.0
    purchase = rows[rows["ChargeCategory"] == "Purchase"]
    assert purchase[["BilledCost", "EffectiveCost"]].values.tolist() == [[60.0, 0.0]]
    covered = rows[rows["CommitmentDiscountStatus"] == "Used"].set_index("x_CostplanComponent")
    # the 90 of covered usage split over the eligible lines in proportion to cost: 60 and 30,
    # each amortising its share of the 60 fee: 40 and 20
    assert covered["ListCost"].round(6).to_dict() == {"pool-a": 60.0, "pool-b": 30.0}
    assert covered["EffectiveCost"].round(6).to_dict() == {"pool-a": 40.0, "pool-b": 20.0}
    assert (covered["BilledCost"] == 0).all() and (covered["PricingCategory"] == "Committed").all()
    od = rows[(rows["PricingCategory"] == "Standard")].set_index("x_CostplanComponent")["BilledCost"].round(6)
    assert od.to_dict() == {"pool-a": 40.0, "pool-b": 20.0, "ebs": 20.0}
    assert rows["x_CostplanPlan"].all()
    assert set(rows["BillingPeriodStart"]) == {"2026-12-01T00:00:00Z"}
    assert set(rows["PricingUnit"]) == {"Hours", "GB-Months"}


def test_a_partly_used_commitment_has_an_unused_row():
    ec2 = "Amazon Elastic Compute Cloud"
    lines = pd.DataFrame([
        _line("pool", "node_pool", ec2, "Hrs", 100, 0.10, 10.0),
        _line("sp", "commitment", "Savings Plans for AWS Compute usage", "Hrs", 730, 20 / 730, 20.0,
              usage="commitment-hour", model="savings_plan", code="ComputeSavingsPlans", region="global"),
        # only 7.20 of the 20 commitment found usage to cover (10 on demand at a 0.72 rate)
        _line("sp", "commitment", "Savings Plans for AWS Compute usage", "USD", 7.20, 1.0, -10.0,
              usage="covered-usage", model="savings_plan", code="ComputeSavingsPlans", region="global"),
    ])
    rows = estimate_rows(SimpleNamespace(lines=lines, stack_name="t"), "2026-12")
    unused = rows[rows["CommitmentDiscountStatus"] == "Unused"]
    assert unused["EffectiveCost"].round(6).tolist() == [12.80]  # 20 - 7.20
    assert round(rows["EffectiveCost"].sum(), 6) == 20.0  # 10 - 10 + 20


def test_units_in_focus_unit_format():
    assert [focus_unit(u) for u in ("Hrs", "GB-Mo", "Keys-Mo", "1M queries", "10K requests", "Evaluations")] == [
        "Hours", "GB-Months", "Key-Months", "1000000 Queries", "10000 Requests", "Evaluations"]


def test_estimate_and_project_format_focus_write_csv_with_the_plan_marker():
    est = CliRunner().invoke(app, ["estimate", "--format", "focus"])
    assert est.exit_code == 0, est.output
    df = pd.read_csv(io.StringIO(est.stdout))
    assert (df["x_CostplanPlan"] == True).all()  # noqa: E712 - the CSV's true
    assert {"Usage", "Purchase"} <= set(df["ChargeCategory"])
    proj = CliRunner().invoke(app, ["project", "--months", "2", "--simulations", "20", "--format", "focus"])
    assert proj.exit_code == 0, proj.output
    p = pd.read_csv(io.StringIO(proj.stdout))
    assert p["BillingPeriodStart"].nunique() == 2 and {"x_CostplanLow", "x_CostplanHigh"} <= set(p.columns)
    low, mid, high = (p.groupby("x_CostplanMonth")[c].sum() for c in ("x_CostplanLow", "BilledCost", "x_CostplanHigh"))
    assert (low <= high).all()
    refused = CliRunner().invoke(app, ["project", "--scenario", "all", "--format", "focus"])
    assert refused.exit_code == 2


# -- the official validator ----------------------------------------------------------------------
#: The validator's InvoiceId nullability rules (focus-validator 2.2.1, FOCUS 1.2 model): C-004
#: says InvoiceId MUST be null "when the charge is not associated with an invoice", C-005 MUST
#: NOT be null "when it is"; the validator cannot tell which rows are invoiced and applies both
#: to every row, so any dataset with an InvoiceId column fails one of them (and their parents
#: C-003, C-000), and one without the column fails the Recommended presence rule. A plan is on
#: no invoice (InvoiceId null, as C-004 asks); the sample's Estimated rows neither.
CONTRADICTORY = {"InvoiceId-C-000-O", "InvoiceId-C-003-C", "InvoiceId-C-004-C", "InvoiceId-C-005-C"}


def _validate(csv_path: Path) -> set[str]:
    if not VALIDATOR.exists():
        pytest.skip("the FOCUS validator is not installed (scripts/setup-focus-validator.sh needs Python 3.12+)")
    site = next((REPO / ".venv-focus-validator" / "lib").glob("python3.*/site-packages"))
    # --block-download: offline, the FOCUS 1.2 model bundled with the validator; it reads its
    # currency list by a path relative to the working directory, hence cwd
    res = subprocess.run(
        [str(VALIDATOR), "--data-file", str(csv_path), "--validate-version", "1.2", "--block-download"],
        cwd=site, capture_output=True, text=True, timeout=600,
    )
    assert "Validation Results" in res.stdout, res.stdout[-2000:] + res.stderr[-2000:]
    assert re.search(r"Total: \d+ \| Pass: [1-9]", res.stdout)
    return set(re.findall(r"❌ (\S+): FAIL", res.stdout))


def test_the_validator_accepts_the_plan_as_focus(tmp_path):
    est = CliRunner().invoke(app, ["estimate", "--format", "focus"])
    proj = CliRunner().invoke(app, ["project", "--months", "2", "--simulations", "20", "--format", "focus"])
    # one dataset of both (one validator run: it takes some seconds to start)
    both = pd.concat([pd.read_csv(io.StringIO(est.stdout), dtype=str, keep_default_na=False),
                      pd.read_csv(io.StringIO(proj.stdout), dtype=str, keep_default_na=False)])
    both.to_csv(tmp_path / "plan.csv", index=False)
    assert _validate(tmp_path / "plan.csv") <= CONTRADICTORY


def test_the_validator_accepts_the_synthetic_sample_as_focus(tmp_path):
    from costplan.sample import generate_sample

    sample = generate_sample()
    # a final month and the month to date (Estimated): both kinds of rows, in a few seconds
    two = sample[sample["BillingPeriodStart"] >= pd.Timestamp("2026-10-01")]
    write_csv(store_rows(two), tmp_path / "sample.csv")
    assert _validate(tmp_path / "sample.csv") <= CONTRADICTORY
