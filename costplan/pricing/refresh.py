"""Refresh the price catalog from AWS: the Price List API, Savings Plans rates and spot history.

:func:`refresh_catalog` is the one orchestrator behind ``costplan prices refresh``:

1. plan the requests (:func:`plan_requests`): ``pricing.get_products`` with ``TERM_MATCH``
   filters per service, region and product family; ``savingsplans.describe_savings_plans_offering_rates``
   per region; ``ec2.describe_spot_price_history`` per region for the instance types that
   have spot prices in the catalog (or the ones named);
2. call them through an injected boto3 session, following every page and retrying throttling
   with exponential backoff;
3. parse the answers into catalog rows (:mod:`costplan.pricing.price_list`);
4. merge them over the last good catalog: a refreshed key replaces all of that key's rows (all
   its tiers); every key not refreshed is kept as it was;
5. write the result with :func:`~costplan.pricing.catalog.write_catalog` (atomic, sorted).

If any request fails (permissions, throttling that outlasts the retries, an answer we cannot
read) nothing is written: the last good catalog stays byte-identical and the error says what
failed and what had been fetched. ``dry_run=True`` lists the requests without calling AWS.
See ``docs/price-refresh.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from costplan.errors import AwsError, InputError, Problem, closest
from costplan.pricing.catalog import (
    CATALOG_GLOB,
    DATA_DIR,
    Catalog,
    Price,
    check_tiers,
    default_catalog_path,
    newest_catalog_file,
    write_catalog,
)
from costplan.pricing.price_list import (
    FREE_TIER,
    GLOBAL_REGION,
    REGIONS,
    SERVICES,
    ParsedPrices,
    PriceListFormatError,
    apply_free_tiers,
    parse_products,
    parse_savings_plans_rates,
    summarise_spot_history,
)

SAVINGS_PLANS = "savings-plans"
SPOT = "ec2-spot"
REFRESH_SERVICES: tuple[str, ...] = (*SERVICES, SAVINGS_PLANS, SPOT)
"""What ``--services`` accepts: Price List service codes plus Savings Plans rates and spot history."""

SPOT_BATCH = 50
"""Instance types per spot price history request (each request is followed to its last page)."""

PRICING_ENDPOINT_REGIONS = ("us-east-1", "ap-south-1", "eu-central-1")
"""Regions where the Price List API has an endpoint (it prices every region from each)."""

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)

# Views of the service registry (``PricedService.price_list``: costplan/components/).
def _queries(attr: str) -> dict[str, list[dict[str, str]]]:
    from costplan.components.registry import price_list_offers

    offers = price_list_offers()
    return {code: [dict(q) for q in getattr(offers[code], attr)] for code in SERVICES if getattr(offers[code], attr)}


PRODUCT_QUERIES: dict[str, list[dict[str, str]]] = _queries("queries")
"""Price List product families fetched per service, with the extra TERM_MATCH filters that keep
the answer to what price_list maps (every query also filters on the region)."""
GLOBAL_QUERIES: dict[str, list[dict[str, str]]] = _queries("global_queries")
"""Products that belong to no region, fetched once (region ``global``) without a region filter:
Route 53's prices, and X-Ray's account-wide free traces (the first tier of its trace prices)."""


def _region_fields() -> dict[str, str]:
    from costplan.components.registry import price_list_offers

    return {code: o.region_field for code, o in price_list_offers().items() if o.region_field != "regionCode"}


REGION_FIELD = _region_fields()
"""The attribute naming a product's region where it is not ``regionCode`` (data transfer is
priced by the region it leaves from)."""

PRICE_LIST_URL = "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html"
SAVINGS_PLANS_URL = (
    "https://docs.aws.amazon.com/savingsplans/latest/APIReference/API_DescribeSavingsPlansOfferingRates.html"
)
SPOT_URL = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSpotPriceHistory.html"
_REFRESH_SOURCE_PREFIXES = (
    "aws-price-list-api:", "aws-savings-plans-api:", "aws-ec2-spot-price-history:", "aws-price-list-bulk:",
)
SOURCES = ("bulk", "query")
"""``--source``: AWS's public bulk Price List files (no account needed) or the Query API."""
BULK_SERVICES: tuple[str, ...] = (*SERVICES, SAVINGS_PLANS)
"""What the bulk files refresh: spot history is an EC2 API call, not a price list file."""


@dataclass(frozen=True)
class Request:
    """One paged AWS call the refresh makes."""

    client: str
    """boto3 client name: ``pricing``, ``savingsplans`` or ``ec2``."""
    client_region: str
    operation: str
    """boto3 method name, e.g. ``get_products``."""
    service: str
    """What it refreshes: a service code, ``savings-plans`` or ``ec2-spot``."""
    region: str
    """The region whose prices it fetches."""
    params: Mapping[str, Any]

    def describe(self) -> str:
        if self.operation == "get_products":
            extra = [f"{f['Field']}={f['Value']}" for f in self.params["Filters"] if f["Field"] != "regionCode"]
            what = f"{self.service} {self.region}" + (f" ({', '.join(extra)})" if extra else "")
        elif self.operation == "describe_spot_price_history":
            what = f"spot {self.region} ({len(self.params['InstanceTypes'])} instance types)"
        else:
            what = f"Savings Plans rates {self.region}"
        return f"{self.client}.{self.operation} {what}"

    def filters_text(self) -> str:
        """The request's selection in one short line (for dry-run listings)."""
        p = self.params
        if self.operation == "get_products":
            return " ".join([f"ServiceCode={p['ServiceCode']}"] + [f"{f['Field']}={f['Value']}" for f in p["Filters"]])
        if self.operation == "describe_spot_price_history":
            return (
                f"InstanceTypes={','.join(p['InstanceTypes'])} ProductDescriptions={','.join(p['ProductDescriptions'])} "
                f"{p['StartTime']:%Y-%m-%d}..{p['EndTime']:%Y-%m-%d}"
            )
        flt = " ".join(f"{f['name']}={','.join(f['values'])}" for f in p["filters"])
        return f"savingsPlanTypes={','.join(p['savingsPlanTypes'])} products={','.join(p['products'])} {flt}"

    def to_dict(self) -> dict:
        return {
            "client": self.client,
            "client_region": self.client_region,
            "operation": self.operation,
            "service": self.service,
            "region": self.region,
            "params": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.params.items()},
        }


@dataclass
class RefreshResult:
    """What a refresh did (or, for a dry run, would do)."""

    requests: list[Request]
    """Every request planned, in order."""
    dry_run: bool = False
    target: Path | None = None
    """The catalog file the refresh writes (or, for a dry run, would write)."""
    path: Path | None = None
    """The catalog file written; ``None`` for a dry run or when nothing was refreshed."""
    calls: int = 0
    """AWS API calls made, pages and retries included."""
    retries: int = 0
    """Calls repeated after throttling."""
    refreshed: Counter = field(default_factory=Counter)
    """Rows fetched per (service, region)."""
    rows_replaced: int = 0
    """Rows of the last good catalog replaced by refreshed ones."""
    rows_added: int = 0
    """Refreshed rows for keys the last good catalog did not have."""
    rows_kept: int = 0
    """Rows of the last good catalog kept because their key was not refreshed."""
    rows_total: int = 0
    unmapped: Counter = field(default_factory=Counter)
    """Items AWS returned that do not map to a catalog row, by reason."""
    empty: list[str] = field(default_factory=list)
    """Requests that returned no items at all (nothing was replaced for them)."""
    conflicts: list[str] = field(default_factory=list)
    """Keys AWS priced twice with different prices; left as in the last good catalog."""
    sources: list[dict] = field(default_factory=list)
    """Manifest source entries added by this refresh."""
    warnings: list[str] = field(default_factory=list)
    source: str = "query"
    """``bulk`` or ``query``."""
    files: list = field(default_factory=list)
    """Bulk source: the offer files (:class:`costplan.pricing.bulk.OfferFile`) read, in order."""
    sizes: dict = field(default_factory=dict)
    """Bulk source: size of each file [bytes] by URL (None when the server did not say)."""
    cached: set = field(default_factory=set)
    """Bulk source: URLs already whole in the download cache."""
    rows_read: dict = field(default_factory=dict)
    """Bulk source: rows in each file by URL."""

    def summary(self) -> dict:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "target": str(self.target) if self.target else None,
            "path": str(self.path) if self.path else None,
            "requests": len(self.requests),
            "calls": self.calls,
            "retries": self.retries,
            "rows_refreshed": sum(self.refreshed.values()),
            "rows_replaced": self.rows_replaced,
            "rows_added": self.rows_added,
            "rows_kept": self.rows_kept,
            "rows_total": self.rows_total,
            "refreshed": {f"{s} {r}": n for (s, r), n in sorted(self.refreshed.items())},
            "unmapped": dict(sorted(self.unmapped.items())),
            "empty": self.empty,
            "conflicts": self.conflicts,
            "sources": [s["id"] for s in self.sources],
            "warnings": self.warnings,
            **({"files": self.files_table()} if self.source == "bulk" else {}),
        }

    def files_table(self) -> list[dict]:
        """Bulk source: one dict per offer file (offer, region, version, url, bytes, cached, rows)."""
        return [
            {"offer": f.offer, "region": f.region, "version": f.version, "url": f.url,
             "bytes": self.sizes.get(f.url), "cached": f.url in self.cached, "rows": self.rows_read.get(f.url)}
            for f in self.files
        ]


class RefreshError(AwsError):
    """A refresh failed; the last good catalog was left unchanged."""

    def __init__(self, message: str, result: RefreshResult):
        super().__init__(message)
        self.result = result


# -- validation and planning ----------------------------------------------------------------
def _split(values: str | Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    return [v.strip() for v in values if v and v.strip()]


def _hint(word: str, valid: Iterable[str], what: str) -> str:
    valid = list(valid)
    near = closest(word, valid)
    head = f"did you mean {' or '.join(repr(n) for n in near)}? " if near else ""
    return f"{head}valid {what}: {', '.join(valid)}"


def check_selection(
    regions: str | Iterable[str] | None, services: str | Iterable[str] | None, source: str = "query"
) -> tuple[list[str], list[str]]:
    """Validate ``--regions`` / ``--services`` (and ``--source``); raise :class:`InputError`
    naming the valid values."""
    if source not in SOURCES:
        raise InputError(Problem(f"unknown source {source!r}", location="--source", hint=f"valid: {', '.join(SOURCES)}"))
    valid = BULK_SERVICES if source == "bulk" else REFRESH_SERVICES
    regs, svcs = _split(regions), _split(services) or list(valid)
    problems = []
    if not regs:
        problems.append(Problem("no region given", location="--regions", hint=f"valid regions: {', '.join(REGIONS)}"))
    for r in regs:
        if r not in REGIONS:
            problems.append(
                Problem(f"unknown region {r!r}", location="--regions", hint=_hint(r, REGIONS, "regions"))
            )
    for s in svcs:
        if s == SPOT and source == "bulk":
            problems.append(Problem(
                "ec2-spot is not in the bulk price list files (spot history is the EC2 API "
                "DescribeSpotPriceHistory)", location="--services",
                hint=f"use --source query for it; the bulk files refresh {', '.join(BULK_SERVICES)}",
            ))
        elif s not in valid:
            problems.append(
                Problem(f"unknown service {s!r}", location="--services", hint=_hint(s, valid, "services"))
            )
    if problems:
        raise InputError(problems)
    return list(dict.fromkeys(regs)), list(dict.fromkeys(svcs))


def _term(field_: str, value: str) -> dict[str, str]:
    return {"Type": "TERM_MATCH", "Field": field_, "Value": value}


def plan_requests(
    regions: Sequence[str],
    services: Sequence[str],
    *,
    spot_instance_types: Mapping[str, Sequence[str]] | None = None,
    spot_start: dt.datetime | None = None,
    spot_end: dt.datetime | None = None,
    pricing_region: str = "us-east-1",
) -> list[Request]:
    """The requests a refresh of ``services`` in ``regions`` makes, in order.

    ``spot_instance_types`` maps a region to the instance types whose spot history is fetched;
    a region without any gets no spot request.
    """
    out: list[Request] = []
    for service in services:
        for extra in GLOBAL_QUERIES.get(service, ()):
            params = {"ServiceCode": service, "Filters": [_term(k, v) for k, v in extra.items()],
                      "FormatVersion": "aws_v1", "MaxResults": 100}
            out.append(Request("pricing", pricing_region, "get_products", service, GLOBAL_REGION, params))
        for region in regions:
            if service in PRODUCT_QUERIES:
                for extra in PRODUCT_QUERIES[service]:
                    filters = [_term(REGION_FIELD.get(service, "regionCode"), region)] + [
                        _term(k, v) for k, v in extra.items()]
                    params = {"ServiceCode": service, "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
                    out.append(Request("pricing", pricing_region, "get_products", service, region, params))
            elif service == SAVINGS_PLANS:
                params = {
                    "savingsPlanTypes": ["Compute", "EC2Instance"],
                    "products": ["EC2"],
                    "serviceCodes": ["AmazonEC2"],
                    "filters": [
                        {"name": "region", "values": [region]},
                        {"name": "tenancy", "values": ["shared"]},
                        {"name": "productDescription", "values": ["Linux/UNIX"]},
                    ],
                    "maxResults": 1000,
                }
                out.append(Request("savingsplans", "us-east-1", "describe_savings_plans_offering_rates", service, region, params))
            elif service == SPOT:
                types = sorted(set((spot_instance_types or {}).get(region, ())))
                for i in range(0, len(types), SPOT_BATCH):
                    params = {
                        "InstanceTypes": types[i : i + SPOT_BATCH],
                        "ProductDescriptions": ["Linux/UNIX"],
                        "StartTime": spot_start,
                        "EndTime": spot_end,
                        "MaxResults": 1000,
                    }
                    out.append(Request("ec2", region, "describe_spot_price_history", service, region, params))
    return out


# -- calling AWS ------------------------------------------------------------------------------
class _Caller:
    """Makes calls through a boto3 session, follows pages and retries throttling."""

    def __init__(self, session, *, sleep: Callable[[float], None], max_attempts: int, backoff: float, result: RefreshResult):
        if not hasattr(session, "client") and callable(session):
            session = session()
        self.session = session
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.result = result
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, name: str, region: str):
        key = (name, region)
        if key not in self._clients:
            from botocore.config import Config

            # botocore retries a little itself; the loop below handles throttling that outlasts it
            cfg = Config(retries={"mode": "standard", "max_attempts": 3})
            self._clients[key] = self.session.client(name, region_name=region, config=cfg)
        return self._clients[key]

    def call(self, req: Request, params: Mapping[str, Any]) -> Mapping[str, Any]:
        from botocore.exceptions import ClientError

        method = getattr(self.client(req.client, req.client_region), req.operation)
        for attempt in range(1, self.max_attempts + 1):
            self.result.calls += 1
            try:
                return method(**params)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in THROTTLING_CODES or attempt == self.max_attempts:
                    raise
                self.result.retries += 1
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, req: Request) -> Iterator[Mapping[str, Any]]:
        """Every page of a request: ``NextToken`` (pricing, ec2) or ``nextToken`` (savingsplans)."""
        token_in = "nextToken" if req.client == "savingsplans" else "NextToken"
        params = {k: v for k, v in req.params.items() if v is not None}
        seen: set[str] = set()
        while True:
            page = self.call(req, params)
            yield page
            token = page.get(token_in)
            if not token:
                return
            if token in seen:
                raise AwsError(f"{req.describe()}: AWS returned the page token {token!r} twice; stopping")
            seen.add(token)
            params = {**params, token_in: token}


# -- merging ------------------------------------------------------------------------------------
def _dedupe(prices: Iterable[Price], conflicts: list[str]) -> dict[tuple, list[Price]]:
    """Group refreshed rows by key. A key priced twice differently, or whose tiers have gaps or
    overlaps, do not start at 0 or end bounded, is dropped and reported (the last good
    catalog's rows for it are kept)."""
    by_key: dict[tuple, dict[float, Price]] = {}
    bad: set[tuple] = set()
    for p in prices:
        tiers = by_key.setdefault(p.key, {})
        old = tiers.get(p.tier_start)
        if old is not None and (old.unit_price, old.tier_end, old.unit) != (p.unit_price, p.tier_end, p.unit):
            if p.key not in bad:
                conflicts.append(
                    f"{' '.join(x for x in p.key if x)} tier {p.tier_start:g}: {old.unit_price:g} vs {p.unit_price:g} "
                    f"({old.note.rpartition('SKU ')[2]} vs {p.note.rpartition('SKU ')[2]}); kept the last good price"
                )
            bad.add(p.key)
        tiers.setdefault(p.tier_start, p)
    out = {}
    for k, v in by_key.items():
        if k in bad:
            continue
        rows = sorted(v.values(), key=lambda p: p.tier_start)
        problems = check_tiers(rows)
        if not math.isinf(rows[-1].tier_end):
            problems.append(f"{rows[-1].sku} {rows[-1].usage}: last tier ends at {rows[-1].tier_end:g}, not unbounded")
        if problems:
            where = " ".join(x for x in (rows[0].service, rows[0].region, rows[0].variant, rows[0].pricing_model) if x)
            conflicts.append(f"{where}: {'; '.join(problems)}; kept the last good price")
            continue
        out[k] = rows
    return out


def merge_prices(base: Iterable[Price], refreshed: Mapping[tuple, list[Price]], result: RefreshResult) -> list[Price]:
    """Refreshed keys replace the base rows of that key (all tiers); other base rows are kept.

    A refreshed spot row without an interruption band keeps the band of the row it replaces
    (spot history does not carry one; AWS Spot Advisor does).
    """
    base_by_key: dict[tuple, list[Price]] = {}
    for p in base:
        base_by_key.setdefault(p.key, []).append(p)
    out: list[Price] = []
    for key, rows in base_by_key.items():
        if key in refreshed:
            result.rows_replaced += len(rows)
        else:
            out += rows
            result.rows_kept += len(rows)
    for key, rows in refreshed.items():
        if key not in base_by_key:
            result.rows_added += len(rows)
        old_band = next((p.interruption_band for p in base_by_key.get(key, []) if p.interruption_band), "")
        for p in rows:
            if p.pricing_model == "spot" and not p.interruption_band and old_band:
                p = replace(p, interruption_band=old_band, note=p.note + "; interruption band from the previous catalog")
            out.append(p)
    result.rows_total = len(out)
    return out


# -- the orchestrator ---------------------------------------------------------------------------
def _base_folder(base: str | Path | Catalog | None, catalog: Catalog) -> Path:
    """Where the last good catalog lives (the default place to write the refreshed one); for
    the embedded snapshot of an installed package, the user's catalog folder instead."""
    from costplan.pricing.catalog import user_catalog_dir

    if catalog.path is not None:
        user = user_catalog_dir()
        if user is not None and catalog.path.parent.resolve() == DATA_DIR.resolve():
            return user
        return catalog.path.parent
    if isinstance(base, (str, Path)):
        p = Path(base)
        return p if p.is_dir() or p.suffix.lower() != ".csv" else p.parent
    return DATA_DIR


def _resolve_out(out: str | Path | None, folder: Path, today: dt.date) -> Path:
    """The CSV to write. A given ``--out`` is checked before any request (costplan.outputs): a
    folder must be new, empty or a catalog folder (dated CSVs and their manifest); a file must
    be new or a catalog CSV; links, ``.``, the home folder and the checkout are refused."""
    import fnmatch

    from costplan import outputs
    from costplan.pricing.catalog import COLUMNS

    name = f"aws-prices_{today.isoformat()}.csv"
    if out is None:
        return folder / name
    path = outputs.resolve(out)
    if path.is_dir() or path.suffix.lower() != ".csv":
        kind = outputs.OutputKind("price catalog", lambda n: fnmatch.fnmatch(n, CATALOG_GLOB) or n == "manifest.json",
                                  marker_required=False)
        outputs.check_folder(path, kind)
        return path / name
    if path.exists() and not outputs.starts_with(",".join(COLUMNS))(path):
        raise InputError(Problem("exists and is not a price catalog CSV; it is left as it is", file=str(path),
                                 location="--out", hint="name a new file or a catalog folder"))
    return path


def _load_base(base: str | Path | Catalog | None) -> Catalog:
    if isinstance(base, Catalog):
        return base
    if base is None:
        try:
            path = default_catalog_path()
        except InputError:
            return Catalog([])
        return Catalog.load(path) if path.exists() else Catalog([])
    path = Path(base)
    if path.is_dir() and not list(path.glob(CATALOG_GLOB)):
        return Catalog([])
    if not path.exists():
        raise InputError(f"catalog to refresh not found: {path}")
    return Catalog.load(newest_catalog_file(path) if path.is_dir() else path)


def refresh_catalog(
    session,
    regions: str | Iterable[str],
    services: str | Iterable[str] | None = None,
    out: str | Path | None = None,
    *,
    base: str | Path | Catalog | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    today: dt.date | None = None,
    spot_instance_types: Iterable[str] | None = None,
    spot_days: int = 30,
    pricing_region: str = "us-east-1",
    max_attempts: int = 6,
    backoff: float = 1.0,
) -> RefreshResult:
    """Fetch current prices for ``services`` in ``regions`` and write them over the last good catalog.

    ``session`` is a boto3 ``Session`` (or a callable returning one); it is not used for a dry
    run. ``base`` is the catalog refreshed (default: the catalog in use); ``out`` a CSV path or a
    folder (``aws-prices_<today>.csv`` inside it; default: the base catalog's folder).
    ``spot_instance_types`` are the types whose spot history [``spot_days`` days] is summarised;
    by default the ones the base catalog already has spot prices for in each region.
    ``progress(done, total, message)`` is called as requests complete. ``sleep`` [s] is called
    between throttled retries (backoff doubling from ``backoff`` seconds).

    Raises :class:`InputError` for bad regions or services and :class:`RefreshError` (the
    catalog on disk unchanged) when a request fails.
    """
    regs, svcs = check_selection(regions, services)
    if pricing_region not in PRICING_ENDPOINT_REGIONS:
        raise InputError(
            f"the Price List API has no endpoint in {pricing_region!r}; use one of {', '.join(PRICING_ENDPOINT_REGIONS)}"
        )
    today = today or dt.datetime.now(dt.UTC).date()
    base_cat = _load_base(base)
    out_path = _resolve_out(out, _base_folder(base, base_cat), today)

    spot_types: dict[str, list[str]] = {}
    if SPOT in svcs:
        for r in regs:
            if spot_instance_types is not None:
                spot_types[r] = sorted(set(spot_instance_types))
            else:
                spot_types[r] = sorted(
                    {p.sku for p in base_cat.find(region=r, service="AmazonEC2") if p.pricing_model == "spot"}
                )
    spot_end = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    spot_start = spot_end - dt.timedelta(days=spot_days)
    requests = plan_requests(
        regs, svcs, spot_instance_types=spot_types, spot_start=spot_start, spot_end=spot_end,
        pricing_region=pricing_region,
    )
    result = RefreshResult(requests=requests, dry_run=dry_run, target=out_path)
    for r in regs:
        if SPOT in svcs and not spot_types.get(r):
            result.warnings.append(
                f"no spot history requested for {r}: the catalog has no spot prices there and no instance types were named"
            )
    if dry_run:
        return result

    caller = _Caller(session, sleep=sleep, max_attempts=max_attempts, backoff=backoff, result=result)
    as_of = today.isoformat()
    fetched: list[Price] = []
    source_meta: dict[str, dict] = {}
    done_desc: list[str] = []
    total = len(requests)
    for i, req in enumerate(requests):
        if progress:
            progress(i, total, req.describe())
        try:
            parsed = _fetch(caller, req, as_of, spot_days, source_meta, progress, i, total)
        except Exception as exc:
            raise RefreshError(_failure_message(req, exc, done_desc, out_path, base_cat), result) from exc
        if parsed.items == 0:
            result.empty.append(req.describe())
        result.unmapped.update(parsed.unmapped)
        for p in parsed.prices:
            if p.pricing_model != FREE_TIER:
                result.refreshed[(p.service, p.region)] += 1
        fetched += parsed.prices
        done_desc.append(req.describe())
    if progress:
        progress(total, total, "merging")

    return _write_refreshed(fetched, source_meta, base_cat, out_path, result, regs, svcs, as_of)


def _write_refreshed(fetched: list[Price], source_meta: Mapping[str, dict], base_cat: Catalog, out_path: Path,
                     result: RefreshResult, regs: list[str], svcs: list[str], as_of: str) -> RefreshResult:
    """Merge the fetched rows over the last good catalog and write it (atomically)."""
    refreshed = _dedupe(apply_free_tiers(fetched, result.conflicts), result.conflicts)
    if not refreshed:
        result.warnings.append("AWS returned no prices that map to the catalog; nothing was written")
        return result
    merged = merge_prices(base_cat, refreshed, result)
    used_sources = {p.source for p in merged}
    manifest = dict(base_cat.manifest)
    kept_sources = [
        s for s in manifest.get("sources", [])
        if not str(s.get("id", "")).startswith(_REFRESH_SOURCE_PREFIXES) or s.get("id") in used_sources
    ]
    known = {s.get("id") for s in kept_sources}
    result.sources = [m for sid, m in sorted(source_meta.items()) if sid in used_sources]
    manifest["sources"] = kept_sources + [m for m in result.sources if m["id"] not in known]
    manifest["generated"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    manifest["as_of"] = as_of
    manifest["refreshed"] = {
        "regions": regs,
        "services": svcs,
        "rows": sum(result.refreshed.values()),
        "by": "costplan prices refresh",
        "source": result.source,
    }
    try:
        result.path = write_catalog(merged, out_path, manifest)
    except OSError as exc:
        raise RefreshError(
            f"cannot write the refreshed catalog to {out_path}: {exc.strerror or exc}; "
            "name a writable file or folder with --out (the last good catalog was not changed)",
            result,
        ) from exc
    return result


def refresh_from_bulk(
    regions: str | Iterable[str],
    services: str | Iterable[str] | None = None,
    out: str | Path | None = None,
    *,
    base: str | Path | Catalog | None = None,
    dry_run: bool = False,
    price_list_url: str | None = None,
    cache_dir: str | Path | None = None,
    parallel: int = 4,
    progress=None,
    http=None,
    today: dt.date | None = None,
    threads: int = 2,
) -> RefreshResult:
    """Refresh ``services`` in ``regions`` from AWS's public bulk Price List files (no AWS account).

    ``price_list_url`` is the site's base URL (default: the ``price_list_url`` setting,
    ``COSTPLAN_PRICE_LIST_URL``, else ``https://pricing.us-east-1.amazonaws.com``);
    ``cache_dir`` the download cache (default ``~/.cache/costplan/price-list``), keyed by
    offer, version and region, so a second refresh of the same version downloads nothing and
    an interrupted download resumes. At most ``parallel`` files are downloaded and read at
    once. ``progress`` is a :class:`costplan.pricing.bulk.Progress` (bytes and rows); ``http``
    a :class:`costplan.pricing.bulk.Http` (retries, backoff). A dry run reads the indexes and
    the size of each file (HEAD), downloads no offer file and writes nothing.

    Raises :class:`InputError` (exit 2) for bad regions or services and for files not in the
    documented format, :class:`RefreshError` (exit 1) when a download fails; either way the
    catalog on disk is unchanged.
    """
    from costplan import config
    from costplan.pricing import bulk

    regs, svcs = check_selection(regions, services, "bulk")
    base_url = config.load_settings(price_list_url=price_list_url).price_list_url
    cache = Path(cache_dir) if cache_dir else bulk.default_cache_dir()
    today = today or dt.datetime.now(dt.UTC).date()
    base_cat = _load_base(base)
    out_path = _resolve_out(out, _base_folder(base, base_cat), today)
    http = http or bulk.Http()
    result = RefreshResult(requests=[], dry_run=dry_run, target=out_path, source="bulk")
    offers = [bulk.SAVINGS_PLAN_OFFER if s == SAVINGS_PLANS else s for s in svcs]
    kept = f"the catalog {base_cat.path} was not changed" if base_cat.path else "no catalog was written"
    try:
        result.files = bulk.plan_files(http, base_url, regs, offers)
        if dry_run:
            result.sizes, result.cached = bulk.measure(http, result.files, cache, parallel)
            result.calls = http.requests
            return result
        got = bulk.fetch(http, result.files, cache, as_of=today.isoformat(), parallel=parallel, progress=progress,
                         threads=threads)
    except bulk.BulkDownloadError as exc:
        result.calls, result.retries = http.requests, http.retries
        raise RefreshError(f"price refresh failed: {exc}; {kept}", result) from None
    except InputError as exc:
        tail = f"nothing was written; the catalog {base_cat.path} was not changed" if base_cat.path else "nothing was written"
        raise type(exc)([*exc.problems, Problem(tail)]) from None
    result.calls, result.retries = http.requests, http.retries
    result.sizes, result.cached, result.rows_read = got.sizes, got.cached, got.rows_read
    result.unmapped.update(got.unmapped)
    result.empty += got.empty
    for p in got.prices:
        if p.pricing_model != FREE_TIER:
            result.refreshed[(p.service if p.pricing_model != "savings_plan" else SAVINGS_PLANS, p.region)] += 1
    return _write_refreshed(got.prices, got.sources, base_cat, out_path, result, regs, svcs, today.isoformat())


def _fetch(caller: _Caller, req: Request, as_of: str, spot_days: int, source_meta: dict, progress, i: int, total: int) -> ParsedPrices:
    pages = []
    for n, page in enumerate(caller.pages(req), start=1):
        pages.append(page)
        if progress and n > 1:
            progress(i, total, f"{req.describe()} (page {n})")
    if req.operation == "get_products":
        items = [it for page in pages for it in page.get("PriceList", []) or []]
        parsed = parse_products(items, as_of=as_of)
        # an answer filtered on regionCode should hold that region only; anything else is reported
        stray = [p for p in parsed.prices if p.region != req.region and p.pricing_model != FREE_TIER]
        if stray:
            for p in stray:
                parsed.unmapped[f"{p.service} price for {p.region} in an answer for {req.region}"] += 1
            parsed.prices = [p for p in parsed.prices if p.region == req.region or p.pricing_model == FREE_TIER]
        # each row carries the source id of its own item's publicationDate
        for sid in sorted({p.source for p in parsed.prices}):
            published = sid.rpartition(":")[2]
            source_meta.setdefault(
                sid,
                {
                    "id": sid, "url": PRICE_LIST_URL, "as_of": as_of, "license": "AWS public list prices",
                    "notes": f"AWS Price List API get_products for {req.service}, publicationDate {published}; "
                    "fetched by costplan prices refresh",
                },
            )
        return parsed
    if req.operation == "describe_savings_plans_offering_rates":
        sid = f"aws-savings-plans-api:{as_of}"
        source_meta.setdefault(
            sid,
            {
                "id": sid, "url": SAVINGS_PLANS_URL, "as_of": as_of, "license": "AWS public list prices",
                "notes": "savingsplans DescribeSavingsPlansOfferingRates: Compute and EC2 Instance plan rates, "
                "Linux/UNIX shared tenancy",
            },
        )
        return parse_savings_plans_rates(pages, as_of=as_of, source=sid)
    start, end = req.params["StartTime"], req.params["EndTime"]
    sid = f"aws-ec2-spot-price-history:{start.date().isoformat()}..{end.date().isoformat()}"
    source_meta.setdefault(
        sid,
        {
            "id": sid, "url": SPOT_URL, "as_of": as_of, "license": "AWS public prices",
            "notes": f"ec2 DescribeSpotPriceHistory, Linux/UNIX, {spot_days} days: median of the sampled prices "
            "over all Availability Zones",
        },
    )
    prices = summarise_spot_history(pages, region=req.region, as_of=as_of, source=sid)
    n_items = sum(len(p.get("SpotPriceHistory", []) or []) for p in pages)
    return ParsedPrices(prices=prices, items=n_items)


def _failure_message(req: Request, exc: BaseException, done: list[str], out_path: Path, base: Catalog) -> str:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "")
        why = f"{code}: {err.get('Message', '')}"
        if code in THROTTLING_CODES:
            why += " (still throttled after every retry; try again later or with fewer --services)"
        elif code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
            why += " (see docs/price-refresh.md for the IAM permissions the refresh needs)"
    elif isinstance(exc, NoCredentialsError):
        why = f"{exc} (configure AWS credentials: environment variables, --profile or SSO)"
    elif isinstance(exc, (BotoCoreError, PriceListFormatError, AwsError)):
        why = str(exc)
    else:
        why = f"{type(exc).__name__}: {exc}"
    kept = f"the catalog {base.path} was not changed" if base.path else "no catalog was written"
    if out_path.exists() and out_path != base.path:
        kept += f" and {out_path} was not changed"
    msg = f"price refresh failed at {req.describe()}: {why}; {kept}"
    if done:
        msg += f" ({len(done)} request(s) had succeeded before; nothing from them was written)"
    return msg


__all__ = [
    "BULK_SERVICES",
    "REFRESH_SERVICES",
    "SOURCES",
    "refresh_from_bulk",
    "RefreshError",
    "RefreshResult",
    "Request",
    "check_selection",
    "merge_prices",
    "plan_requests",
    "refresh_catalog",
]
