"""Cost Explorer accounting: every HTTP request counted and capped (botocore's retries off),
malformed pages and repeated tokens that store and delete nothing, pages paid for kept for the
next run. A real HTTP endpoint on 127.0.0.1 (tests/ce_server.py) so botocore's own retry logic
is in the loop; Stubber where exact requests matter."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber
from ce_server import FakeCostExplorer, day, group, throttle

from costplan.actuals import cost_explorer as ce
from costplan.actuals.store import Store
from costplan.errors import AwsError

OCT1, OCT2, OCT3, OCT4 = (dt.date(2026, 10, d) for d in (1, 2, 3, 4))


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def client_for(server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CE", server.url)
    monkeypatch.delenv("AWS_ENDPOINT_URL_COST_EXPLORER", raising=False)
    return ce.make_client(boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1"))


def no_sleep(_s):
    pass


def test_the_client_has_botocore_retries_off():
    client = ce.make_client(boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"))
    assert client.meta.config.retries["total_max_attempts"] == 1


def test_max_requests_caps_every_http_request_under_throttling(store, monkeypatch):
    """Failure: `--max-requests 3` sent 6 requests under throttling and reported 3."""
    with FakeCostExplorer(lambda n, body: throttle()) as server:
        report = ce.pull(store, client_for(server, monkeypatch), OCT1, OCT2, max_requests=3, sleep=no_sleep)
        assert len(server.requests) == 3  # counted on the server: what was sent, and paid
    assert (report.requests, report.throttled, report.cost) == (3, 3, 0.03)
    assert report.periods_not_pulled == 1 and report.rows_loaded == 0


def test_throttled_then_served_counts_each_request(store, monkeypatch):
    def respond(n, body):
        return throttle() if n <= 2 else (200, {"ResultsByTime": [day("2026-10-01", [group("AWS WAF", "USE1-WebACL", 0.5)])]})

    with FakeCostExplorer(respond) as server:
        report = ce.pull(store, client_for(server, monkeypatch), OCT1, OCT2, sleep=no_sleep)
        assert len(server.requests) == report.requests == 3
    assert report.throttled == 2 and round(store.spend([], metric="BilledCost")["BilledCost"][0], 2) == 0.5


def _store_one_day(store, monkeypatch, amount=1.25):
    page = {"ResultsByTime": [day("2026-10-01", [group("AWS KMS", "USE1-KMS-Keys", amount)])]}
    with FakeCostExplorer(lambda n, body: (200, page)) as server:
        ce.pull(store, client_for(server, monkeypatch), OCT1, OCT2, sleep=no_sleep)


def _snapshot(store):
    return (
        store.con.execute("SELECT count(*), sum(BilledCost) FROM cost_rows").fetchone(),
        store.con.execute("SELECT count(*) FROM loads").fetchone(),
        store.con.execute("SELECT * FROM pulled_periods ORDER BY PeriodStart").fetchall(),
    )


def test_a_page_that_is_not_json_stores_and_deletes_nothing(store, monkeypatch):
    """Failure: a page that was not JSON was taken as empty and the range's stored days were
    deleted (exit 0)."""
    _store_one_day(store, monkeypatch)
    before = _snapshot(store)
    with FakeCostExplorer(lambda n, body: (200, b"<html><body>gateway timeout</body></html>")) as server:
        with pytest.raises(ce.MalformedPage, match="no ResultsByTime"):
            ce.pull(store, client_for(server, monkeypatch), OCT1, OCT2, full=True, sleep=no_sleep)
    assert _snapshot(store) == before
    assert round(store.spend([], metric="BilledCost")["BilledCost"][0], 2) == 1.25


def test_a_repeated_next_page_token_is_an_error_not_a_hundred_requests(store, monkeypatch):
    """Failure: a constant NextPageToken made 100 requests and stored nothing."""
    page = {"ResultsByTime": [day("2026-10-01", [group("AWS KMS", "USE1-KMS-Keys", 0.1)])], "NextPageToken": "same"}
    with FakeCostExplorer(lambda n, body: (200, page)) as server:
        with pytest.raises(ce.MalformedPage, match="same NextPageToken twice"):
            ce.pull(store, client_for(server, monkeypatch), OCT1, OCT2, max_requests=100, sleep=no_sleep)
        assert len(server.requests) == 2
    assert store.spend([]).at[0, "rows"] == 0


def test_a_group_with_fewer_keys_than_requested_is_a_malformed_page(store):
    """Failure: a response with fewer group keys than requested was an unexpected ValueError."""
    client = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("ce")
    stub = Stubber(client)
    short = group("AWS KMS", "USE1-KMS-Keys", 0.1)
    short["Keys"] = ["AWS KMS"]
    stub.add_response("get_cost_and_usage", {"ResultsByTime": [day("2026-10-01", [short])]})
    with stub, pytest.raises(AwsError, match="group 1 of 2026-10-01 has 1 key"):
        ce.pull(store, client, OCT1, OCT2, sleep=no_sleep)
    assert store.spend([]).at[0, "rows"] == 0


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e309"])
def test_a_page_with_a_non_finite_amount_is_malformed(store, monkeypatch, amount):
    g = group("AWS KMS", "USE1-KMS-Keys", 0.1)
    g["Metrics"]["UnblendedCost"]["Amount"] = amount
    with FakeCostExplorer(lambda n, body: (200, {"ResultsByTime": [day("2026-10-01", [g])]})) as server:
        with pytest.raises(ce.MalformedPage, match="not a finite amount"):
            ce.pull(store, client_for(server, monkeypatch), OCT1, OCT2, sleep=no_sleep)


def _three_pages(n, body):
    """Three pages for 2026-10-01..04, one day each; 1.00 + 2.00 + 4.00 by hand."""
    token = body.get("NextPageToken")
    page = {None: 0, "t2": 1, "t3": 2}[token]
    out = {"ResultsByTime": [day(f"2026-10-0{page + 1}", [group("AWS WAF", "USE1-WebACL", 2.0**page)])]}
    if page < 2:
        out["NextPageToken"] = f"t{page + 2}"
    return 200, out


def test_pages_paid_for_are_kept_and_a_rerun_continues_where_it_stopped(store, monkeypatch):
    """Failure: a range needing more pages than the cap stored nothing yet said "run again", and
    every rerun paid again."""
    with FakeCostExplorer(_three_pages) as server:
        client = client_for(server, monkeypatch)
        first = ce.pull(store, client, OCT1, OCT4, max_requests=2, sleep=no_sleep)
        assert (first.requests, first.pages_kept, first.rows_loaded, first.periods_not_pulled) == (2, 2, 0, 3)
        second = ce.pull(store, client, OCT1, OCT4, max_requests=2, sleep=no_sleep)
        assert (second.requests, second.pages_reused, second.pages_kept, second.periods_requested) == (1, 2, 0, 3)
        # three pages, three requests in all: none paid twice
        assert len(server.requests) == 3
        assert [r.get("NextPageToken") for r in server.requests] == [None, "t2", "t3"]
    assert round(store.spend([], metric="BilledCost")["BilledCost"][0], 2) == 7.0  # 1 + 2 + 4
    assert store.kept_page_count() == 0


def test_the_pull_command_says_requests_pages_kept_and_dollars(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    with FakeCostExplorer(_three_pages) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CE", server.url)
        args = ["pull", "--store", str(tmp_path / "s.duckdb"), "--from", "2026-10-01", "--to", "2026-10-03"]
        res = CliRunner().invoke(app, [*args, "--max-requests", "2"])
        assert res.exit_code == 1
        assert "Made 2 requests" in res.output and "$0.02" in res.output and "2 page(s) already paid for" in res.output
        res = CliRunner().invoke(app, [*args, "--max-requests", "2", "--format", "json"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert (out["requests"], out["request_cost_usd"], out["pages_reused"], out["pages_kept"]) == (1, 0.01, 2, 0)


def test_requests_stay_within_a_calendar_month(store):
    client = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("ce")
    stub = Stubber(client)
    for s, e in (("2026-09-29", "2026-10-01"), ("2026-10-01", "2026-10-02")):
        stub.add_response("get_cost_and_usage", {"ResultsByTime": []},
                          ce.request_params(dt.date.fromisoformat(s), dt.date.fromisoformat(e)))
    with stub:
        report = ce.pull(store, client, dt.date(2026, 9, 29), OCT2, sleep=no_sleep)
    stub.assert_no_pending_responses()
    assert report.requests == 2 and report.ranges == [("2026-09-29", "2026-10-01"), ("2026-10-01", "2026-10-02")]
