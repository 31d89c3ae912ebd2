"""Pull actual spend from AWS Cost Explorer (``ce:GetCostAndUsage``) into the store.

Every Cost Explorer request costs the caller $0.01 [USD/request], so a pull asks only for the
periods the store does not hold yet or holds as ``Estimated``, and accounts for every request:

- costplan's own loop is the only retry (botocore's retries are off, ``total_max_attempts``
  1); throttling (``LimitExceededException``, ``ThrottlingException``) is retried with
  exponential backoff, and every HTTP request, retried ones included, is counted (a
  ``before-send`` hook counts what actually goes out) and capped by ``max_requests``;
- pages are followed through ``NextPageToken`` to the end (Cost Explorer has no boto3
  paginator); a token seen before in the same request is an error, never a loop;
- every page is checked (:func:`check_page`): a page that is not a GetCostAndUsage response,
  a group with fewer keys than requested or an amount that is not a finite number is an error
  that stores nothing and deletes nothing;
- each page paid for is kept in the store (table ``ce_pages``) as soon as it arrives, so a
  run stopped by the cap (or killed) continues where it stopped on the next run instead of
  paying again; a range's rows are loaded in one transaction once its last page is in, and its
  kept pages are removed in the same transaction;
- requests cover at most one calendar month, so a rerun asks the same requests and finds its
  kept pages.

The client comes from an injected boto3 session (standard credential chain, ``--profile``);
the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_CE`` variables point it elsewhere (a
local fake in tests; ``AWS_ENDPOINT_URL_CE`` is accepted as well). Error messages never repeat AWS's text, which can hold the account id
and the caller's ARN.

Rows are stored in FOCUS columns: UnblendedCost -> BilledCost, AmortizedCost ->
EffectiveCost, NetAmortizedCost -> x_NetEffectiveCost, UsageQuantity -> PricingQuantity and
ConsumedQuantity, SERVICE -> ServiceName, USAGE_TYPE -> x_UsageType and SkuId, REGION (or the
usage type's region prefix) -> RegionId, a tag group -> Tags.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from costplan.errors import AwsError, InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from costplan.actuals.store import Store

COST_PER_REQUEST = 0.01  # [USD/request]
METRICS = ("UnblendedCost", "AmortizedCost", "NetAmortizedCost", "UsageQuantity")
GRANULARITIES = ("DAILY", "MONTHLY")
THROTTLE_CODES = ("LimitExceededException", "ThrottlingException", "Throttling", "TooManyRequestsException")
DENIED_CODES = (
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
)
IAM_ACTION = "ce:GetCostAndUsage"
SOURCE = "cost-explorer"
#: The default series: what ``costplan pull`` asks for unless told otherwise, stored as
#: source ``cost-explorer``; any other grouping or granularity is a series of its own
#: (:func:`series_source`).
DEFAULT_GROUPING = "SERVICE,USAGE_TYPE/DAILY"

#: Usage-type prefixes -> region code. Usage types with no prefix are us-east-1's, except
#: those of the global services in :data:`GLOBAL_SERVICES`.
REGION_PREFIXES = {
    "USE1": "us-east-1",
    "USE2": "us-east-2",
    "USW1": "us-west-1",
    "USW2": "us-west-2",
    "EU": "eu-west-1",
    "EUW2": "eu-west-2",
    "EUW3": "eu-west-3",
    "EUC1": "eu-central-1",
    "EUC2": "eu-central-2",
    "EUN1": "eu-north-1",
    "EUS1": "eu-south-1",
    "APS1": "ap-southeast-1",
    "APS2": "ap-southeast-2",
    "APS3": "ap-south-1",
    "APS4": "ap-southeast-3",
    "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2",
    "APN3": "ap-northeast-3",
    "APE1": "ap-east-1",
    "CAN1": "ca-central-1",
    "SAE1": "sa-east-1",
    "MES1": "me-south-1",
    "AFS1": "af-south-1",
    "ILC1": "il-central-1",
}
GLOBAL_SERVICES = (
    "Amazon Route 53",
    "Tax",
    "Savings Plans for AWS Compute usage",
    "AWS Support (Business)",
    "AWS Support (Developer)",
    "AWS Support (Enterprise)",
    "Amazon CloudFront",
)


@dataclass
class PullReport:
    """What one pull did and what it cost."""

    requests: int = 0
    """HTTP requests sent to Cost Explorer, retries included (each billed)."""
    throttled: int = 0
    pages_kept: int = 0
    """Pages paid for and kept in the store for ranges not finished yet (a rerun uses them)."""
    pages_reused: int = 0
    """Pages an earlier run paid for, used instead of asking again."""
    periods_requested: int = 0
    periods_skipped: int = 0
    """Periods already stored as final, not asked for again."""
    periods_not_pulled: int = 0
    """Periods left out because ``max_requests`` was reached."""
    rows_loaded: int = 0
    ranges: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cost(self) -> float:
        """What the requests cost [USD]."""
        return round(self.requests * COST_PER_REQUEST, 2)


class RequestBudget:
    """Counts Cost Explorer HTTP requests and refuses the one past ``max_requests``."""

    def __init__(self, max_requests: int | None):
        if max_requests is not None and max_requests < 1:
            raise InputError(Problem("must be at least 1", location="--max-requests"))
        self.max_requests = max_requests
        self.made = 0
        self.throttled = 0
        self._sent_in_call = 0

    def take(self) -> bool:
        """Account for the request about to be made; False when the cap is reached."""
        if self.max_requests is not None and self.made >= self.max_requests:
            return False
        self.made += 1
        self._sent_in_call = 0
        return True

    def on_send(self, **_kwargs) -> None:
        """botocore ``before-send`` hook: an HTTP request is going out. The first of a call was
        counted by :meth:`take`; any further one (a retry inside botocore) is counted here and
        refused past the cap."""
        self._sent_in_call += 1
        if self._sent_in_call > 1:
            if self.max_requests is not None and self.made >= self.max_requests:
                raise BudgetExhausted()
            self.made += 1

    def watch(self, client) -> Callable[[], None]:
        """Count every HTTP request ``client`` sends for GetCostAndUsage; returns the function
        that stops counting."""
        uid = f"costplan-budget-{id(self)}"
        client.meta.events.register("before-send.ce.GetCostAndUsage", self.on_send, unique_id=uid)
        return lambda: client.meta.events.unregister("before-send.ce.GetCostAndUsage", unique_id=uid)


class BudgetExhausted(Exception):
    """Internal: the request cap was reached in the middle of a range."""


class MalformedPage(AwsError):
    """A Cost Explorer response that is not a well-formed GetCostAndUsage page."""


# -- calling the API -----------------------------------------------------------------------
def make_client(session=None, profile: str | None = None):
    """A Cost Explorer client from ``session`` (or a new boto3 session for ``profile``).

    botocore's own retries are off: throttling is retried here, so every call is counted.
    The endpoint follows botocore's standard variables (``AWS_ENDPOINT_URL_COST_EXPLORER``,
    ``AWS_ENDPOINT_URL``); ``AWS_ENDPOINT_URL_CE``, named after the client, is honoured too.
    """
    import os

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ProfileNotFound

    try:
        session = session or boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise InputError(Problem(f"no AWS profile named {profile!r}", location="--profile")) from None
    endpoint = None
    if not os.environ.get("AWS_ENDPOINT_URL_COST_EXPLORER"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_CE") or None
    # total_max_attempts 1: one HTTP request per call, so costplan's own retry loop is the only
    # one (botocore's max_attempts counts retries, not attempts: 1 would still retry once)
    return session.client(
        "ce",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def group_by_spec(group_by: Sequence[str]) -> list[dict[str, str]]:
    """``["SERVICE", "USAGE_TYPE"]`` / ``["SERVICE", "tag:team"]`` -> Cost Explorer GroupBy."""
    dims = (
        "SERVICE",
        "USAGE_TYPE",
        "REGION",
        "LINKED_ACCOUNT",
        "RECORD_TYPE",
        "INSTANCE_TYPE",
        "PURCHASE_TYPE",
    )
    if not 1 <= len(group_by) <= 2:
        raise InputError(Problem("Cost Explorer groups by one or two keys", location="--group-by"))
    spec = []
    for g in group_by:
        if g.startswith("tag:") and len(g) > 4:
            spec.append({"Type": "TAG", "Key": g[4:]})
        elif g.upper() in dims:
            spec.append({"Type": "DIMENSION", "Key": g.upper()})
        else:
            raise InputError(
                Problem(
                    f"cannot group by {g!r}",
                    location="--group-by",
                    hint=f"use tag:<key> or one of {', '.join(dims)}",
                )
            )
    return spec


def request_params(
    start: dt.date,
    end: dt.date,
    *,
    granularity: str = "DAILY",
    group_by: Sequence[str] = ("SERVICE", "USAGE_TYPE"),
    metrics: Sequence[str] = METRICS,
) -> dict[str, Any]:
    """The GetCostAndUsage parameters of one request (without a page token)."""
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": granularity,
        "Metrics": list(metrics),
        "GroupBy": group_by_spec(group_by),
    }


def request_key(params: dict[str, Any]) -> str:
    """The key under which the pages of one request are kept."""
    return json.dumps({k: v for k, v in params.items() if k != "NextPageToken"}, sort_keys=True)


def get_cost_and_usage(
    client,
    start: dt.date,
    end: dt.date,
    *,
    granularity: str = "DAILY",
    group_by: Sequence[str] = ("SERVICE", "USAGE_TYPE"),
    metrics: Sequence[str] = METRICS,
    budget: RequestBudget | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = 6,
    pages: list[dict[str, Any]] | None = None,
    keep: Callable[[int, str | None, dict], None] | None = None,
) -> list[dict[str, Any]]:
    """All ``ResultsByTime`` entries for ``[start, end)``, every page followed and checked.

    ``pages`` are pages an earlier run paid for (``{"page", "token_in", "token_out", "body"}``,
    in order): they are used, and the request continues after the last. ``keep(page, token_in,
    body)`` is told of each new page as soon as it arrives. Raises :class:`BudgetExhausted` if
    ``budget`` runs out before the last page, :class:`MalformedPage` for a page that is not a
    well-formed response or a token seen before.
    """
    budget = budget or RequestBudget(None)
    params = request_params(start, end, granularity=granularity, group_by=group_by, metrics=metrics)
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    token = None
    n = 0
    for kept in pages or []:
        n += 1
        results += check_page(kept["body"], params, group_by, n)
        token = kept["body"].get("NextPageToken")
        if token is None:
            return results
        seen.add(token)
    while True:
        call = dict(params, NextPageToken=token) if token else params
        page = _call(client, call, budget, sleep, max_retries)
        n += 1
        page = {k: v for k, v in page.items() if k != "ResponseMetadata"}
        results += check_page(page, params, group_by, n)
        next_token = page.get("NextPageToken")
        if next_token is not None and (not isinstance(next_token, str) or not next_token or next_token in seen):
            raise MalformedPage(
                f"Cost Explorer returned the same NextPageToken twice ({_what(params)}, page {n}): it would page "
                "forever; nothing was stored or deleted"
            )
        if keep is not None:
            keep(n, token, page)
        if not next_token:
            return results
        seen.add(next_token)
        token = next_token


def _what(params: dict) -> str:
    tp = params["TimePeriod"]
    return f"{params['Granularity'].lower()} {tp['Start']}..{tp['End']}"


def check_page(page, params: dict[str, Any], group_by: Sequence[str], n: int = 1) -> list[dict[str, Any]]:
    """The ``ResultsByTime`` of one page, after checking that the page is a GetCostAndUsage
    response for the request: periods inside the requested range, each group with one key per
    requested grouping, each requested metric a finite amount. Raises :class:`MalformedPage`
    naming the first problem."""
    import math

    where = f"{_what(params)}, page {n}"

    def bad(why: str) -> MalformedPage:
        return MalformedPage(
            f"Cost Explorer returned a malformed page ({where}: {why}); nothing was stored or deleted"
        )

    if not isinstance(page, dict) or not isinstance(page.get("ResultsByTime"), list):
        raise bad("not a GetCostAndUsage response: it has no ResultsByTime list")
    lo, hi = params["TimePeriod"]["Start"], params["TimePeriod"]["End"]
    for i, item in enumerate(page["ResultsByTime"], start=1):
        if not isinstance(item, dict):
            raise bad(f"result {i} is not an object")
        tp = item.get("TimePeriod") or {}
        try:
            s, e = dt.date.fromisoformat(str(tp.get("Start"))), dt.date.fromisoformat(str(tp.get("End")))
        except ValueError:
            raise bad(f"result {i} has no valid TimePeriod") from None
        if not (dt.date.fromisoformat(lo) <= s < e <= dt.date.fromisoformat(hi)):
            raise bad(f"result {i} covers {s}..{e}, outside the range asked for")
        groups = item.get("Groups") or []
        if not isinstance(groups, list):
            raise bad(f"the groups of {s} are not a list")
        for j, g in enumerate(groups, start=1):
            keys = g.get("Keys") if isinstance(g, dict) else None
            if not isinstance(keys, list) or len(keys) != len(group_by) or not all(isinstance(k, str) for k in keys):
                got = len(keys) if isinstance(keys, list) else 0
                raise bad(f"group {j} of {s} has {got} key(s), {len(group_by)} were requested")
            metrics = g.get("Metrics")
            if not isinstance(metrics, dict):
                raise bad(f"group {j} of {s} has no Metrics")
            for name in params["Metrics"]:
                if name not in metrics:
                    continue  # Cost Explorer leaves out a metric it has nothing for
                m = metrics[name]
                try:
                    amount = float(m["Amount"])
                except (TypeError, KeyError, ValueError):
                    raise bad(f"group {j} of {s}: {name} has no numeric Amount") from None
                if not math.isfinite(amount) or (name != "UsageQuantity" and abs(amount) >= 2.0**53 / 100):
                    raise bad(f"group {j} of {s}: {name} is {m['Amount']!r}, not a finite amount")
    return page["ResultsByTime"]


def _call(client, params, budget: RequestBudget, sleep, max_retries: int) -> dict:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    attempt = 0
    while True:
        if not budget.take():
            raise BudgetExhausted()
        try:
            return client.get_cost_and_usage(**params)
        except BudgetExhausted:
            raise
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLE_CODES and attempt < max_retries:
                budget.throttled += 1
                sleep(min(2.0**attempt, 30.0) * (1 + 0.25 * random.random()))
                attempt += 1
                continue
            raise _translate(code) from None
        except NoCredentialsError:
            raise AwsError(
                "no AWS credentials found (standard chain: AWS_* environment variables, --profile / "
                "AWS_PROFILE, SSO, instance role); without an account use the bundled sample or `costplan import`"
            ) from None
        except BotoCoreError as exc:
            raise AwsError(f"cannot reach Cost Explorer: {type(exc).__name__}") from None


def _translate(code: str) -> Exception:
    if code in DENIED_CODES:
        return AwsError(
            f"access denied by Cost Explorer: the credentials in use are not allowed the IAM action "
            f"{IAM_ACTION} (attach the least-privilege policy in docs/actuals.md)"
        )
    if code in THROTTLE_CODES:
        return AwsError("Cost Explorer kept throttling the requests; try again later or pull a shorter range")
    if code == "DataUnavailableException":
        return AwsError(
            "Cost Explorer has no data for this account yet (it is filled about 24 hours after it is enabled)"
        )
    if code == "BillExpirationException":
        return InputError(
            Problem(
                "the period is older than Cost Explorer keeps (13 months, 38 with multi-year data)",
                location="--from",
            )
        )
    if code in ("ValidationException", "InvalidNextTokenException", "RequestChangedException"):
        return InputError(
            f"Cost Explorer rejected the request ({code}); check --from, --to, --granularity and --group-by"
        )
    return AwsError(f"Cost Explorer call failed ({code or 'unknown error'})")


# -- parsing -----------------------------------------------------------------------------------
def region_of(usage_type: str | None, service: str | None) -> str | None:
    """Region code from an AWS usage type's prefix (``EU-DataTransfer-Out-Bytes`` -> eu-west-1)."""
    if not usage_type:
        return None
    head, sep, _ = usage_type.partition("-")
    if sep and head in REGION_PREFIXES:
        return REGION_PREFIXES[head]
    if service in GLOBAL_SERVICES:
        return None
    return "us-east-1"


def parse_cost_and_usage(results: list[dict], group_by: Sequence[str]) -> pd.DataFrame:
    """``ResultsByTime`` entries -> FOCUS rows (one per period and group)."""
    import pandas as pd

    rows = []
    for item in results:
        start = dt.date.fromisoformat(item["TimePeriod"]["Start"])
        end = dt.date.fromisoformat(item["TimePeriod"]["End"])
        estimated = bool(item.get("Estimated", False))
        groups = item.get("Groups") or []
        if not group_by and item.get("Total"):
            groups = [{"Keys": [], "Metrics": item["Total"]}]
        for g in groups:
            keys = dict(zip(group_by, g.get("Keys", []), strict=True))
            m = g.get("Metrics", {})
            service = keys.get("SERVICE")
            usage = keys.get("USAGE_TYPE")
            tags = {}
            for k, v in keys.items():
                if k.startswith("tag:"):
                    tkey, _, tval = v.partition("$")
                    if tval:
                        tags[tkey or k[4:]] = tval
            billed = _amount(m, "UnblendedCost")
            unit = (m.get("UnblendedCost") or m.get("AmortizedCost") or {}).get("Unit") or "USD"
            row = {
                "ProviderName": "AWS",
                "BillingPeriodStart": dt.datetime(start.year, start.month, 1),
                "BillingPeriodEnd": dt.datetime(start.year + (start.month == 12), start.month % 12 + 1, 1),
                "ChargePeriodStart": dt.datetime.combine(start, dt.time()),
                "ChargePeriodEnd": dt.datetime.combine(end, dt.time()),
                "ServiceName": service if service is not None else "(all services)",
                "x_UsageType": usage,
                "SkuId": usage,
                "RegionId": keys.get("REGION") or region_of(usage, service),
                "BillingCurrency": unit,
                "BilledCost": billed if billed is not None else 0.0,
                "EffectiveCost": _amount(m, "AmortizedCost") if "AmortizedCost" in m else billed,
                "x_NetEffectiveCost": _amount(m, "NetAmortizedCost"),
                "PricingQuantity": _amount(m, "UsageQuantity"),
                "PricingUnit": m.get("UsageQuantity", {}).get("Unit"),
                "ChargeCategory": _charge_category(service, billed),
                "PricingCategory": "Dynamic" if usage and "SpotUsage" in usage else None,
                "Tags": json.dumps(tags, sort_keys=True) if tags else None,
                "x_ChargeStatus": "Estimated" if estimated else "Final",
                "x_Synthetic": False,
            }
            row["ConsumedQuantity"] = row["PricingQuantity"]
            row["ConsumedUnit"] = row["PricingUnit"]
            rows.append(row)
    cols = [
        "ProviderName",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "ServiceName",
        "x_UsageType",
        "SkuId",
        "RegionId",
        "BillingCurrency",
        "BilledCost",
        "EffectiveCost",
        "x_NetEffectiveCost",
        "PricingQuantity",
        "PricingUnit",
        "ConsumedQuantity",
        "ConsumedUnit",
        "ChargeCategory",
        "PricingCategory",
        "Tags",
        "x_ChargeStatus",
        "x_Synthetic",
    ]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("BilledCost", "EffectiveCost", "x_NetEffectiveCost", "PricingQuantity", "ConsumedQuantity"):
        df[c] = df[c].astype("float64")
    for c in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
        df[c] = pd.to_datetime(df[c])
    return df


def _amount(metrics: dict, name: str) -> float | None:
    """A metric's amount [USD or its unit], or None when the response does not have it."""
    return float(metrics[name]["Amount"]) if name in metrics else None


def _charge_category(service: str | None, billed: float | None) -> str:
    if service == "Tax":
        return "Tax"
    if service and service.startswith("Savings Plans"):
        return "Purchase"
    if billed is not None and billed < 0:
        return "Credit"
    return "Usage"


# -- periods and the incremental pull -----------------------------------------------------------
def grouping_key(granularity: str, group_by: Sequence[str]) -> str:
    """``SERVICE,USAGE_TYPE/DAILY``: the series a pull belongs to."""
    return ",".join(group_by) + "/" + granularity.upper()


def series_source(grouping: str) -> str:
    """The store source of a series: ``cost-explorer`` for :data:`DEFAULT_GROUPING`, else
    ``cost-explorer:<grouping>``. Each series keeps its own rows and its own record of final
    periods, so a pull with another grouping or granularity over the same range replaces
    nothing another series holds (and the next pull of that series does not pay again); the
    store uses one series per billing period (:meth:`Store.rows_sql`)."""
    from costplan.actuals.schema import CE_SERIES_PREFIX

    return SOURCE if grouping == DEFAULT_GROUPING else CE_SERIES_PREFIX + grouping


def periods(start: dt.date, end: dt.date, granularity: str) -> list[tuple[dt.date, dt.date]]:
    """The DAILY or MONTHLY periods covering ``[start, end)`` (a partial month is clipped)."""
    out = []
    d = start
    while d < end:
        if granularity == "DAILY":
            n = d + dt.timedelta(days=1)
        else:
            n = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        n = min(n, end)
        out.append((d, n))
        d = n
    return out


def _ranges(needed: list[tuple[dt.date, dt.date]]) -> list[list[tuple[dt.date, dt.date]]]:
    """Runs of contiguous periods within one calendar month: each run is one request (and
    its pages). Keeping requests inside a month makes them the same on every run, so kept
    pages are found again."""
    runs: list[list[tuple[dt.date, dt.date]]] = []
    for p in needed:
        if runs and runs[-1][-1][1] == p[0] and (runs[-1][0][0].year, runs[-1][0][0].month) == (p[0].year, p[0].month):
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def pull(
    store: Store,
    client,
    start: dt.date,
    end: dt.date,
    *,
    granularity: str = "DAILY",
    group_by: Sequence[str] = ("SERVICE", "USAGE_TYPE"),
    max_requests: int | None = None,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PullReport:
    """Pull ``[start, end)`` into ``store``, asking only for periods not stored as final.

    Each contiguous run of needed periods within a month is one request and one load (one
    transaction) that replaces the rows of that run in the pull's own series
    (:func:`series_source`: another grouping or granularity is another series, left as it
    is), so an Estimated day is
    replaced when it becomes final and a day that has since become empty is emptied. Pages are
    kept in the store as they arrive (see the module docstring). ``progress(n)`` is told of
    every n periods done.
    """
    granularity = granularity.upper()
    if granularity not in GRANULARITIES:
        raise InputError(
            Problem(f"bad granularity {granularity!r}", location="--granularity", hint="DAILY or MONTHLY")
        )
    if end <= start:
        raise InputError(Problem(f"--to ({end}) must be after --from ({start})", location="--to"))
    grouping = grouping_key(granularity, group_by)
    source = series_source(grouping)
    done = set() if full else store.final_pulled_periods(source, grouping)
    wanted = periods(start, end, granularity)
    needed = [p for p in wanted if p not in done]
    report = PullReport(periods_skipped=len(wanted) - len(needed))
    if progress and report.periods_skipped:
        progress(report.periods_skipped)
    budget = RequestBudget(max_requests)
    unwatch = budget.watch(client)
    try:
        _pull_runs(store, client, _ranges(needed), report, budget, granularity, group_by, grouping, source, progress,
                   sleep)
    finally:
        unwatch()
    report.requests = budget.made
    report.throttled = budget.throttled
    report.pages_kept = store.kept_page_count()
    return report


def _pull_runs(store, client, runs, report, budget, granularity, group_by, grouping, source, progress, sleep) -> None:
    for i, run in enumerate(runs):
        r0, r1 = run[0][0], run[-1][1]
        params = request_params(r0, r1, granularity=granularity, group_by=group_by)
        key = request_key(params)
        kept = store.kept_pages(key)
        report.pages_reused += len(kept)

        def keep(n, token_in, body, key=key):
            store.keep_page(key, n, token_in, body)

        try:
            try:
                results = get_cost_and_usage(
                    client, r0, r1, granularity=granularity, group_by=group_by, budget=budget, sleep=sleep,
                    pages=kept, keep=keep,
                )
            except InputError as exc:
                if not kept or "InvalidNextTokenException" not in str(exc):
                    raise
                # the kept pages' token has expired: start the request again
                store.drop_pages(key)
                report.pages_reused -= len(kept)
                results = get_cost_and_usage(
                    client, r0, r1, granularity=granularity, group_by=group_by, budget=budget, sleep=sleep, keep=keep
                )
        except BudgetExhausted:
            report.periods_not_pulled += sum(len(x) for x in runs[i:])
            break
        finally:
            report.requests = budget.made
            report.throttled = budget.throttled
        frame = parse_cost_and_usage(results, group_by)
        estimated = {
            (
                dt.date.fromisoformat(i["TimePeriod"]["Start"]),
                dt.date.fromisoformat(i["TimePeriod"]["End"]),
            ): bool(i.get("Estimated", False))
            for i in results
        }

        def record(con, load_id, totals=None, run=run, estimated=estimated, r0=r0, r1=r1, key=key):
            # this load replaced the rows of the range of its own series only (its source)
            con.execute(
                "DELETE FROM pulled_periods WHERE x_Source = ? AND PeriodStart >= ? AND PeriodStart < ?",
                [source, r0, r1],
            )
            con.executemany(
                "INSERT INTO pulled_periods VALUES (?, ?, ?, ?, ?, ?)",
                [[source, grouping, s, e, estimated.get((s, e), True), load_id] for s, e in run],
            )
            # the range is loaded: its kept pages go in the same transaction
            con.execute("DELETE FROM ce_pages WHERE request_key = ?", [key])

        result = store.load_frame(
            frame,
            source,
            description=f"Cost Explorer {granularity} {r0}..{r1}",
            replace_range=(r0, r1),
            check=record,
        )
        report.rows_loaded += result.rows_loaded
        report.periods_requested += len(run)
        report.ranges.append((r0.isoformat(), r1.isoformat()))
        if progress:
            progress(len(run))
