"""Calibrating a projection to a final month of actual spend (costplan.projection.calibrate).

The mini stack at list prices (tests/helpers.py): EKS 1 cluster x 730 h x $0.10 = $73.00;
app pool 2 x c5.xlarge x 730 h x $0.17 = $248.20; 1,000 GB to the internet, the account's first 100 GB
free (AWS Free Tier), 900 GB x $0.09 = $81.00.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_runner import costplan
from projection_catalog import reference_catalog
from projection_stacks import mini_dict, mini_stack

from costplan.actuals.store import Store
from costplan.errors import InputError
from costplan.projection.calibrate import calibrate
from costplan.projection.simulate import project
from costplan.stack.loader import stack_from_data

EKS, APP, EGRESS = 73.00, 2 * 730 * 0.17, (1000 - 100) * 0.09


def _rows(month: str, items, status="Final"):
    start = pd.Timestamp(f"{month}-01")
    return pd.DataFrame(
        [
            {
                "ProviderName": "AWS",
                "BillingPeriodStart": start,
                "BillingPeriodEnd": start + pd.offsets.MonthBegin(1),
                "ChargePeriodStart": start,
                "ChargePeriodEnd": start + pd.offsets.MonthBegin(1),  # one row for the month, as a MONTHLY pull
                "ChargeCategory": category,
                "ServiceName": service,
                "x_UsageType": usage,
                "RegionId": "us-east-1",
                "BilledCost": cost,
                "EffectiveCost": cost,
                "x_ChargeStatus": status,
            }
            for service, usage, cost, category in items
        ]
    )


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "actuals.duckdb") as s:
        s.load_frame(
            _rows(
                "2026-12",
                [
                    ("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", 0.8 * APP, "Usage"),  # spot, say
                    ("Amazon Elastic Kubernetes Service", "USE1-AmazonEKS-Hours:perCluster", EKS, "Usage"),
                    ("AWS Data Transfer", "USE1-DataTransfer-Out-Bytes", 1.5 * EGRESS, "Usage"),
                    ("Tax", "Tax", 20.00, "Tax"),
                ],
            ),
            "focus",
        )
        s.load_frame(
            _rows("2027-01", [("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", 40.0, "Usage")], "Estimated"),
            "focus",
        )
        yield s


def test_factors_are_actual_over_plan_per_kind(store):
    cal = calibrate(mini_stack(), store, "2026-12", reference_catalog())
    f = cal.factors.set_index("component_kind")["factor"]
    assert f["node_pool"] == pytest.approx(0.8)
    assert f["eks"] == pytest.approx(1.0)
    assert f["data_transfer"] == pytest.approx(1.5)
    # the tax has no plan line: listed, named in a warning, not projected
    assert cal.not_projected.to_dict("records") == [{"component_kind": "tax", "ServiceName": "Tax", "actual": 20.0}]
    assert any("tax 20.00" in w for w in cal.warnings)


def test_latest_is_the_newest_final_month(store):
    assert calibrate(mini_stack(), store, "latest", reference_catalog()).month == "2026-12"


def test_a_month_to_date_is_refused(store):
    with pytest.raises(InputError, match="2027-01 is not final yet"):
        calibrate(mini_stack(), store, "2027-01", reference_catalog())


def test_calibrated_projection_scales_each_line_in_every_month(store):
    cat = reference_catalog()
    cal = calibrate(mini_stack(), store, "2026-12", cat)
    r = project(mini_stack(), simulations=0, catalog=cat, calibration=cal)
    comp = r.by_component.set_index(["month", "component"])["deterministic"]
    assert comp[(0, "us-east-1/node_pools/app")] == pytest.approx(0.8 * APP)  # 198.56
    assert comp[(0, "us-east-1/eks_clusters/main")] == pytest.approx(EKS)
    assert comp[(0, "us-east-1/data_transfer")] == pytest.approx(1.5 * EGRESS)  # 121.50
    # month 12: 35% more users -> (1,350 - 100 free) GB x $0.09 x 1.5; the pool still fits on 2 nodes
    assert comp[(12, "us-east-1/data_transfer")] == pytest.approx(1250 * 0.09 * 1.5)  # 168.75
    assert comp[(12, "us-east-1/node_pools/app")] == pytest.approx(0.8 * APP)
    assert r.monthly["deterministic"].iloc[0] == pytest.approx(0.8 * APP + EKS + 1.5 * EGRESS)
    assert r.to_dict()["calibration"]["month"] == "2026-12"


def test_a_planned_kind_with_no_spend_keeps_its_plan(store):
    data = mini_dict()
    data["regions"]["us-east-1"]["s3"] = {"logs": {"storage_class": "standard", "size_gb": 100, "why": "a test"}}
    st = stack_from_data(data, "mini.yaml")
    cal = calibrate(st, store, "2026-12", reference_catalog())
    assert cal.factor("s3") == 1.0
    assert any("s3 is planned but has no spend in 2026-12" in w for w in cal.warnings)


def test_savings_plan_fees_are_not_scaled(tmp_path):
    """Plan: a $0.10/h Compute Savings Plan, fee 0.10 x 730 = $73.00, buys c5.xlarge hours at
    the plan rate $0.107/h instead of $0.17/h, so it covers 73.00 x 0.17 / 0.107 = $115.98 of
    on-demand usage: plan line 73.00 - 115.98. The bill shows half that coverage:
    73.00 - 115.98 / 2 = $15.01. The factor applies to the covered usage only (0.5); the fee
    stays $73.00."""
    data = mini_dict()
    data["commitments"] = {
        "savings_plans": {
            "compute": {"type": "compute", "term": "1yr", "payment": "all-upfront", "hourly_commitment": 0.10}
        }
    }
    st = stack_from_data(data, "mini.yaml")
    cat = reference_catalog()
    fee = 0.10 * 730
    covered = fee * 0.17 / 0.107
    with Store(tmp_path / "a.duckdb") as s:
        s.load_frame(
            _rows(
                "2026-12",
                [
                    ("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", APP, "Usage"),
                    ("Amazon Elastic Kubernetes Service", "USE1-AmazonEKS-Hours:perCluster", EKS, "Usage"),
                    ("AWS Data Transfer", "USE1-DataTransfer-Out-Bytes", EGRESS, "Usage"),
                    ("Savings Plans for AWS Compute usage", "ComputeSP:1yrAllUpfront", fee - covered / 2, "Usage"),
                ],
            ),
            "focus",
        )
        cal = calibrate(st, s, "2026-12", cat)
    row = cal.factors.set_index("component_kind").loc["commitment"]
    assert row["fees"] == pytest.approx(fee)
    assert row["plan"] == pytest.approx(fee - covered, rel=1e-3)
    assert row["factor"] == pytest.approx(0.5, rel=1e-3)
    r = project(st, simulations=0, catalog=cat, calibration=cal)
    month0 = r.by_component[r.by_component.month == 0]
    sp = month0[month0.component.str.startswith("commitments/")]
    assert sp["deterministic"].sum() == pytest.approx(fee - covered / 2, rel=1e-3)  # 15.01


def test_cli_calibration_view_and_errors(store):
    path = str(store.path)
    store.close()
    mini = mini_stack()
    stack_file = store.path.parent / "mini.yaml"
    import yaml

    stack_file.write_text(yaml.safe_dump(mini_dict()))
    args = ["project", str(stack_file), "--store", path, "--simulations", "0"]
    res = costplan(*args, "--calibrate-to", "latest", "--view", "calibration", "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert out["calibration"]["month"] == "2026-12" and mini.name == out["stack"]
    factors = {f["component_kind"]: f["factor"] for f in out["calibration"]["factors"]}
    assert factors["node_pool"] == pytest.approx(0.8) and factors["data_transfer"] == pytest.approx(1.5)
    table = costplan(*args, "--calibrate-to", "2026-12", "--view", "calibration")
    assert table.code == 0 and "calibrated to the actual spend of 2026-12" in table.out
    assert "not projected" in table.err  # the tax, as a warning
    bad = costplan(*args, "--calibrate-to", "2026-13")
    assert bad.code == 2 and "use YYYY-MM" in bad.err and "Traceback" not in bad.err
    mtd = costplan(*args, "--calibrate-to", "2027-01")
    assert mtd.code == 2 and "not final yet" in mtd.err
    both = costplan(*args, "--calibrate-to", "latest", "--scenario", "graviton")
    assert both.code == 2 and "cannot be combined with --scenario" in both.err


def test_plan_vs_calibrated_figure(store):
    from costplan.projection.figures import plan_vs_calibrated

    cat = reference_catalog()
    cal = calibrate(mini_stack(), store, "2026-12", cat)
    plan = project(mini_stack(), months=6, simulations=0, catalog=cat)
    fig = plan_vs_calibrated(plan, project(mini_stack(), months=6, simulations=0, catalog=cat, calibration=cal),
                             store.spend(["month"]))
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["from the plan, median", "from the bill (2026-12), median", "actual spend",
                     "month to date (Estimated)"]
    actual = next(t for t in fig.data if t.name == "actual spend")
    assert list(actual.y) == pytest.approx([0.8 * APP + EKS + 1.5 * EGRESS + 20.00])  # December, with its tax


def test_quarter_calibration_uses_the_quarters_newest_final_month(tmp_path):
    from costplan.reports.quarterly import quarter_calibration

    stack = mini_stack()
    items = [("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", APP, "Usage")]
    with Store(tmp_path / "s.duckdb") as s:
        s.load_frame(pd.concat([_rows("2026-10", items), _rows("2026-11", items, "Estimated")]), "focus")
        assert quarter_calibration(stack, s, "2026Q4", reference_catalog()).month == "2026-10"  # November is Estimated
        assert quarter_calibration(stack, s, "2027Q1", reference_catalog()) is None  # nothing final in the quarter


def test_a_month_with_missing_days_is_refused(tmp_path):
    items = [("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", APP, "Usage")]
    with Store(tmp_path / "gap.duckdb") as s:
        part = _rows("2026-10", items)
        part["ChargePeriodEnd"] = pd.Timestamp("2026-10-29")  # the 29th to the 31st are missing
        s.load_frame(part, "focus")
        with pytest.raises(InputError, match="2026-10 covers 28 of its 31 days"):
            calibrate(mini_stack(), s, "2026-10", reference_catalog())
        with pytest.raises(InputError, match="no complete, final month to calibrate to"):
            calibrate(mini_stack(), s, "latest", reference_catalog())
