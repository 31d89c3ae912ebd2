"""Cost Explorer pulls, offline: botocore Stubber for exact requests, paging, throttling and
errors; moto in server mode for a pull end to end through AWS_ENDPOINT_URL_CE."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import Stubber

from costplan.actuals import cost_explorer as ce
from costplan.actuals.store import Store
from costplan.errors import AwsError

GROUP_BY = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}]
METRICS = ["UnblendedCost", "AmortizedCost", "NetAmortizedCost", "UsageQuantity"]


def _client():
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("ce", region_name="us-east-1")


def _money(x):
    return {"Amount": str(x), "Unit": "USD"}


def _group(service, usage, unblended, amortized=None, qty=1.0, unit="Hrs"):
    amortized = unblended if amortized is None else amortized
    return {
        "Keys": [service, usage],
        "Metrics": {
            "UnblendedCost": _money(unblended),
            "AmortizedCost": _money(amortized),
            "NetAmortizedCost": _money(amortized),
            "UsageQuantity": {"Amount": str(qty), "Unit": unit},
        },
    }


def _day(start, groups, estimated=False):
    s = dt.date.fromisoformat(start)
    return {
        "TimePeriod": {"Start": start, "End": (s + dt.timedelta(days=1)).isoformat()},
        "Total": {},
        "Groups": groups,
        "Estimated": estimated,
    }


def _params(start, end, token=None, granularity="DAILY"):
    p = {
        "TimePeriod": {"Start": start, "End": end},
        "Granularity": granularity,
        "Metrics": METRICS,
        "GroupBy": GROUP_BY,
    }
    if token:
        p["NextPageToken"] = token
    return p


from actuals_fixtures import layout, store  # noqa: E402,F401 - fixtures


def test_exact_request_and_paging_over_three_pages(store):
    client = _client()
    stub = Stubber(client)
    stub.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [
                _day(
                    "2026-10-01",
                    [_group("Amazon Elastic Compute Cloud - Compute", "BoxUsage:c5.large", 2.04, qty=24)],
                )
            ],
            "NextPageToken": "p2",
        },
        _params("2026-10-01", "2026-10-03"),
    )
    stub.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [
                _day(
                    "2026-10-01",
                    [_group("Amazon Relational Database Service", "EU-InstanceUsage:db.r6g.xl", 11.52)],
                )
            ],
            "NextPageToken": "p3",
        },
        _params("2026-10-01", "2026-10-03", "p2"),
    )
    stub.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [
                _day(
                    "2026-10-02",
                    [_group("Amazon Elastic Compute Cloud - Compute", "BoxUsage:c5.large", 1.02, qty=12)],
                )
            ]
        },
        _params("2026-10-01", "2026-10-03", "p3"),
    )
    with stub:
        report = ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 3), sleep=lambda s: None)
    stub.assert_no_pending_responses()
    assert report.requests == 3
    assert report.cost == 0.03
    assert report.rows_loaded == 3
    df = store.spend(["day", "RegionId"], metric="BilledCost")
    got = {(r.day, r.RegionId): round(r.BilledCost, 2) for r in df.itertuples()}
    assert got == {
        ("2026-10-01", "us-east-1"): 2.04,
        ("2026-10-01", "eu-west-1"): 11.52,
        ("2026-10-02", "us-east-1"): 1.02,
    }


def test_throttling_is_retried_then_succeeds(store):
    client = _client()
    stub = Stubber(client)
    stub.add_client_error(
        "get_cost_and_usage",
        service_error_code="LimitExceededException",
        http_status_code=400,
        expected_params=_params("2026-10-01", "2026-10-02"),
    )
    stub.add_client_error(
        "get_cost_and_usage",
        service_error_code="ThrottlingException",
        http_status_code=400,
        expected_params=_params("2026-10-01", "2026-10-02"),
    )
    stub.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [
                _day("2026-10-01", [_group("AWS Config", "USE1-ConfigurationItemRecorded", 0.75)])
            ]
        },
        _params("2026-10-01", "2026-10-02"),
    )
    slept = []
    with stub:
        report = ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 2), sleep=slept.append)
    assert report.requests == 3 and report.throttled == 2
    assert len(slept) == 2 and slept[1] > slept[0] > 0
    assert round(store.spend([], metric="BilledCost")["BilledCost"][0], 2) == 0.75


def test_access_denied_names_the_iam_action_and_no_account(store):
    client = _client()
    stub = Stubber(client)
    stub.add_client_error(
        "get_cost_and_usage",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ce:GetCostAndUsage",
        http_status_code=400,
    )
    with stub, pytest.raises(AwsError) as exc:
        ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 2), sleep=lambda s: None)
    msg = str(exc.value)
    assert "ce:GetCostAndUsage" in msg
    assert "123456789012" not in msg and "alice" not in msg
    assert store.spend([]).at[0, "rows"] == 0


def test_empty_period_is_recorded_and_not_asked_again(store):
    client = _client()
    stub = Stubber(client)
    stub.add_response(
        "get_cost_and_usage", {"ResultsByTime": [_day("2026-10-01", [])]}, _params("2026-10-01", "2026-10-02")
    )
    with stub:
        first = ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 2), sleep=lambda s: None)
        second = ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 2), sleep=lambda s: None)
    stub.assert_no_pending_responses()
    assert (first.requests, first.rows_loaded) == (1, 0)
    assert (second.requests, second.periods_skipped) == (0, 1)


def test_estimated_days_are_asked_again_and_replaced(store):
    client = _client()
    stub = Stubber(client)
    stub.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [
                _day("2026-10-01", [_group("AWS WAF", "USE1-WebACL", 0.50)]),
                _day("2026-10-02", [_group("AWS WAF", "USE1-WebACL", 0.40)], estimated=True),
            ]
        },
        _params("2026-10-01", "2026-10-03"),
    )
    # only the Estimated day is asked again; its final amount replaces the estimate
    stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_day("2026-10-02", [_group("AWS WAF", "USE1-WebACL", 0.55)])]},
        _params("2026-10-02", "2026-10-03"),
    )
    with stub:
        ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 3), sleep=lambda s: None)
        est = store.spend(["day"], metric="BilledCost")
        second = ce.pull(store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 3), sleep=lambda s: None)
    stub.assert_no_pending_responses()
    assert est.set_index("day")["Estimated"].to_dict() == {"2026-10-01": False, "2026-10-02": True}
    assert second.requests == 1 and second.periods_skipped == 1
    df = store.spend(["day"], metric="BilledCost").set_index("day")
    assert df["BilledCost"].round(2).to_dict() == {"2026-10-01": 0.50, "2026-10-02": 0.55}
    assert not df["Estimated"].any()


def test_max_requests_caps_the_run_and_stores_no_partial_range(store):
    client = _client()
    stub = Stubber(client)
    stub.add_response(
        "get_cost_and_usage",
        {
            "ResultsByTime": [_day("2026-10-01", [_group("AWS KMS", "USE1-KMS-Keys", 0.33)])],
            "NextPageToken": "p2",
        },
        _params("2026-10-01", "2026-10-02"),
    )
    with stub:
        report = ce.pull(
            store, client, dt.date(2026, 10, 1), dt.date(2026, 10, 2), max_requests=1, sleep=lambda s: None
        )
    assert report.requests == 1 and report.periods_not_pulled == 1 and report.rows_loaded == 0
    assert store.spend([]).at[0, "rows"] == 0


def test_region_from_usage_type_prefix():
    assert ce.region_of("EU-DataTransfer-Out-Bytes", "Amazon Elastic Compute Cloud") == "eu-west-1"
    assert ce.region_of("APS2-BoxUsage:m5.large", "Amazon Elastic Compute Cloud") == "ap-southeast-2"
    assert ce.region_of("BoxUsage:c5.large", "Amazon Elastic Compute Cloud - Compute") == "us-east-1"
    assert ce.region_of("HostedZone", "Amazon Route 53") is None


# -- moto in server mode -------------------------------------------------------------------------
@pytest.fixture
def moto_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_CE", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    try:
        yield url
    finally:
        server.stop()


def _inject(url, results):
    import json
    import urllib.request

    req = urllib.request.Request(
        f"{url}/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": results}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201


def test_pull_end_to_end_against_moto_server(moto_server, tmp_path):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    # two pages for one range; amounts chosen by hand
    _inject(
        moto_server,
        [
            {
                "ResultsByTime": [
                    _day(
                        "2026-09-29",
                        [
                            _group(
                                "Amazon Elastic Compute Cloud - Compute", "BoxUsage:c5.xlarge", 4.08, qty=24
                            ),
                            _group("Amazon ElastiCache", "EU-NodeUsage:cache.r7g.large", 5.256, qty=24),
                        ],
                    ),
                ],
                "NextPageToken": "page-2",
            },
            {
                "ResultsByTime": [
                    _day(
                        "2026-09-30",
                        [
                            _group(
                                "Amazon Elastic Compute Cloud - Compute", "BoxUsage:c5.xlarge", 4.08, qty=24
                            ),
                            _group("Tax", "Tax", 1.11, qty=0, unit="N/A"),
                        ],
                    ),
                ]
            },
        ],
    )
    store_path = tmp_path / "pulled.duckdb"
    runner = CliRunner()
    args = ["pull", "--store", str(store_path), "--from", "2026-09-29", "--to", "2026-09-30"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "2 requests" in first.output and "$0.02" in first.output
    with Store(store_path) as s:
        total = s.spend([], metric="BilledCost")["BilledCost"][0]
        by_month = s.spend(["ServiceName"], month="2026-09", metric="BilledCost")
    assert round(total, 2) == round(4.08 + 5.256 + 4.08 + 1.11, 2)
    assert round(by_month.set_index("ServiceName").loc["Tax", "BilledCost"], 2) == 1.11
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "0 requests" in second.output
