"""Cost Explorer series: a pull with another granularity or grouping over the same range keeps
what the store holds (a series of its own), so no final period is ever paid for twice, and the
reports read one series per billing month. Offline: botocore Stubber, and a counter of the
GetCostAndUsage calls the client makes (each one is a $0.01 request)."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from actuals_fixtures import layout, store  # noqa: F401 - fixtures
from botocore.stub import Stubber

from costplan.actuals import cost_explorer as ce

METRICS = ["UnblendedCost", "AmortizedCost", "NetAmortizedCost", "UsageQuantity"]
DEFAULT_GROUP_BY = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}]
TEAM_GROUP_BY = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "team"}]


class CountingClient:
    """A Cost Explorer client under Stubber that counts the GetCostAndUsage calls it makes."""

    def __init__(self):
        self.client = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ).client("ce", region_name="us-east-1")
        self.calls = 0
        self.client.meta.events.register("before-parameter-build.ce.GetCostAndUsage", self._count)
        self.stub = Stubber(self.client)

    def _count(self, **_kwargs):
        self.calls += 1


def _money(x):
    return {"Amount": str(x), "Unit": "USD"}


def _group(keys, amount):
    return {"Keys": keys, "Metrics": {"UnblendedCost": _money(amount), "AmortizedCost": _money(amount),
                                      "NetAmortizedCost": _money(amount),
                                      "UsageQuantity": {"Amount": "1", "Unit": "Hrs"}}}


def _period(start, end, groups, estimated=False):
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": estimated}


def _days(start: str, n: int, amount: float, estimated_last=False):
    d0 = dt.date.fromisoformat(start)
    out = []
    for i in range(n):
        s, e = d0 + dt.timedelta(days=i), d0 + dt.timedelta(days=i + 1)
        out.append(_period(s.isoformat(), e.isoformat(), [_group(["Amazon EC2", "USE1-BoxUsage:m5.large"], amount)],
                           estimated=estimated_last and i == n - 1))
    return out


def _params(start, end, granularity, group_by):
    return {"TimePeriod": {"Start": start, "End": end}, "Granularity": granularity, "Metrics": METRICS,
            "GroupBy": group_by}


def _pull(store, cc, start, end, **kw):
    return ce.pull(store, cc.client, dt.date.fromisoformat(start), dt.date.fromisoformat(end),
                   sleep=lambda s: None, **kw)


def test_another_grouping_keeps_the_daily_series_and_nothing_is_paid_twice(store):
    cc = CountingClient()
    # October 1-3 daily by service and usage type: 3 final days of 10.00 each (by hand: 30.00)
    cc.stub.add_response("get_cost_and_usage", {"ResultsByTime": _days("2026-10-01", 3, 10.0)},
                         _params("2026-10-01", "2026-10-04", "DAILY", DEFAULT_GROUP_BY))
    # the same days, MONTHLY by service and tag:team (one period, two teams: 12.00 + 18.00)
    cc.stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_period("2026-10-01", "2026-10-04", [_group(["Amazon EC2", "team$web"], 12.0),
                                                                _group(["Amazon EC2", "team$data"], 18.0)])]},
        _params("2026-10-01", "2026-10-04", "MONTHLY", TEAM_GROUP_BY),
    )
    with cc.stub:
        first = _pull(store, cc, "2026-10-01", "2026-10-04")
        other = _pull(store, cc, "2026-10-01", "2026-10-04", granularity="MONTHLY", group_by=("SERVICE", "tag:team"))
        # the next daily pull over the final days, and the next monthly one, ask for nothing
        again = _pull(store, cc, "2026-10-01", "2026-10-04")
        again_other = _pull(store, cc, "2026-10-01", "2026-10-04", granularity="MONTHLY",
                            group_by=("SERVICE", "tag:team"))
    cc.stub.assert_no_pending_responses()
    assert cc.calls == 2
    assert (first.requests, other.requests, again.requests, again_other.requests) == (1, 1, 0, 0)
    assert (again.periods_skipped, again_other.periods_skipped) == (3, 1)
    # both series are held, side by side
    held = dict(store.con.execute(
        "SELECT x_Source, round(sum(BilledCost), 2) FROM cost_rows GROUP BY 1").fetchall())
    assert held == {"cost-explorer": 30.0, "cost-explorer:SERVICE,tag:team/MONTHLY": 30.0}
    # the reports read one series per month (the default one), never both: 30.00, not 60.00
    month = store.spend(["month"], metric="BilledCost")
    assert month["BilledCost"].round(2).tolist() == [30.0]
    by = store.months_by_source()
    assert by["source"].tolist() == ["cost-explorer"]
    assert by["other_sources"].tolist() == ["cost-explorer:SERVICE,tag:team/MONTHLY"]


def test_estimated_day_is_asked_again_only_in_its_own_series(store):
    cc = CountingClient()
    cc.stub.add_response("get_cost_and_usage", {"ResultsByTime": _days("2026-10-01", 2, 5.0, estimated_last=True)},
                         _params("2026-10-01", "2026-10-03", "DAILY", DEFAULT_GROUP_BY))
    # DAILY by service and region: another series over the same two days, both final
    by_region = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "REGION"}]
    cc.stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_period("2026-10-01", "2026-10-02", [_group(["Amazon EC2", "us-east-1"], 5.0)]),
                           _period("2026-10-02", "2026-10-03", [_group(["Amazon EC2", "us-east-1"], 6.0)])]},
        _params("2026-10-01", "2026-10-03", "DAILY", by_region),
    )
    # the default series' Estimated day (and only it) is asked again: 6.00 once final
    cc.stub.add_response("get_cost_and_usage", {"ResultsByTime": _days("2026-10-02", 1, 6.0)},
                         _params("2026-10-02", "2026-10-03", "DAILY", DEFAULT_GROUP_BY))
    with cc.stub:
        _pull(store, cc, "2026-10-01", "2026-10-03")
        region = _pull(store, cc, "2026-10-01", "2026-10-03", group_by=("SERVICE", "REGION"))
        final = _pull(store, cc, "2026-10-01", "2026-10-03")
        none = _pull(store, cc, "2026-10-01", "2026-10-03", group_by=("SERVICE", "REGION"))
    cc.stub.assert_no_pending_responses()
    assert cc.calls == 3
    assert (region.requests, final.requests, final.periods_skipped, none.requests) == (1, 1, 1, 0)
    held = dict(store.con.execute(
        "SELECT x_Source, round(sum(BilledCost), 2) FROM cost_rows GROUP BY 1").fetchall())
    assert held == {"cost-explorer": 11.0, "cost-explorer:SERVICE,REGION/DAILY": 11.0}
    by_day = store.spend(["day"], metric="BilledCost").set_index("day")["BilledCost"].round(2).to_dict()
    assert by_day == {"2026-10-01": 5.0, "2026-10-02": 6.0}


def test_a_month_held_only_by_another_series_is_reported_from_it(store):
    cc = CountingClient()
    cc.stub.add_response("get_cost_and_usage", {"ResultsByTime": _days("2026-10-01", 1, 7.0)},
                         _params("2026-10-01", "2026-10-02", "DAILY", DEFAULT_GROUP_BY))
    cc.stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_period("2026-09-01", "2026-10-01", [_group(["Amazon EC2", "team$web"], 90.0)])]},
        _params("2026-09-01", "2026-10-01", "MONTHLY", TEAM_GROUP_BY),
    )
    cc.stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [_period("2026-10-01", "2026-10-02", [_group(["Amazon EC2", "team$web"], 7.0)])]},
        _params("2026-10-01", "2026-10-02", "MONTHLY", TEAM_GROUP_BY),
    )
    with cc.stub:
        _pull(store, cc, "2026-10-01", "2026-10-02")
        r = _pull(store, cc, "2026-09-01", "2026-10-02", granularity="MONTHLY", group_by=("SERVICE", "tag:team"))
    cc.stub.assert_no_pending_responses()
    assert cc.calls == 3 and r.requests == 2  # one request per calendar month
    by_month = store.spend(["month"], metric="BilledCost").set_index("month")["BilledCost"].round(2).to_dict()
    # September only in the monthly series (90.00); October in both: the default series (7.00)
    assert by_month == {"2026-09": 90.0, "2026-10": 7.0}
    assert store.months_by_source().set_index("month")["source"].to_dict() == {
        "2026-09": "cost-explorer:SERVICE,tag:team/MONTHLY", "2026-10": "cost-explorer"}


@pytest.mark.parametrize("grouping, source", [
    ("SERVICE,USAGE_TYPE/DAILY", "cost-explorer"),
    ("SERVICE,USAGE_TYPE/MONTHLY", "cost-explorer:SERVICE,USAGE_TYPE/MONTHLY"),
    ("SERVICE,tag:team/DAILY", "cost-explorer:SERVICE,tag:team/DAILY"),
])
def test_series_source_names(grouping, source):
    assert ce.series_source(grouping) == source
