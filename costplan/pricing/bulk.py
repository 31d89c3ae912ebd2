"""AWS's public bulk Price List files: the catalog refresh that needs no AWS account.

AWS publishes every list price as plain files under one public URL
(``https://pricing.us-east-1.amazonaws.com``, the ``price_list_url`` setting /
``COSTPLAN_PRICE_LIST_URL``), documented in "Using the bulk API" of the AWS Billing guide:

1. the **offer index** ``/offers/v1.0/aws/index.json``: one entry per offer (service) with
   ``currentRegionIndexUrl`` and, for EC2, ``currentSavingsPlanIndexUrl``;
2. per offer a **region index** ``/offers/v1.0/aws/<OfferCode>/current/region_index.json``:
   ``regions.<code>.currentVersionUrl`` = ``/offers/v1.0/aws/<OfferCode>/<version>/<region>/index.json``;
   the Savings Plans region index is a list of ``{"regionCode", "versionUrl"}``;
3. per offer and region an **offer file**, JSON or CSV (``index.csv`` beside ``index.json``).
   The CSV's first five lines are metadata (``FormatVersion``, ``Disclaimer``,
   ``Publication Date``, ``Version``, ``OfferCode``); line 6 names the columns (``SKU``,
   ``OfferTermCode``, ``RateCode``, ``TermType``, ..., ``PricePerUnit``, then the product
   attributes); one row per price dimension.

This module downloads the CSV offer files (a cache keyed by offer, version and region;
resumed with HTTP ``Range`` after an interruption; a bounded number in parallel; retried with
backoff), reads them with DuckDB without loading the whole file (only the columns costplan
needs, only the rows it prices: the same selection as the Query API's filters in
:data:`costplan.pricing.refresh.PRODUCT_QUERIES`), and turns each selected product into the
Price List item shape that :mod:`costplan.pricing.price_list` maps, so both sources give
identical catalog rows. Savings Plans rates (Compute and EC2 Instance, every term and payment
option) come from the Savings Plans offer files of the same site.

Errors: a file that is not what the documentation describes (HTML instead of JSON, missing
metadata lines, a missing column, a row with the wrong number of fields, a price that is not a
number) is a :class:`BulkFormatError` (an :class:`~costplan.errors.InputError`, exit 2) naming
the URL; a download that fails (HTTP 404, a connection that keeps dropping) is a
:class:`BulkDownloadError` (exit 1) naming the URL.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from costplan.errors import CostplanError, InputError, Problem
from costplan.pricing.catalog import Price
from costplan.pricing.price_list import (
    FREE_TIER,
    GLOBAL_REGION,
    GLOBAL_SERVICES,
    PURCHASE_OPTIONS,
    ParsedPrices,
    PriceListFormatError,
    parse_product,
)

DEFAULT_PRICE_LIST_URL = "https://pricing.us-east-1.amazonaws.com"
OFFER_INDEX_PATH = "/offers/v1.0/aws/index.json"
SAVINGS_PLAN_OFFER = "AWSComputeSavingsPlan"
"""The Savings Plans offer whose files hold both Compute and EC2 Instance plan rates."""
DOCS_URL = "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api.html"

METADATA_KEYS = ("FormatVersion", "Disclaimer", "Publication Date", "Version", "OfferCode")
"""The five metadata lines that open every CSV price list file, in order."""

TERM_COLUMNS = (
    "SKU", "OfferTermCode", "RateCode", "TermType", "StartingRange", "EndingRange", "Unit", "PricePerUnit",
    "Currency", "LeaseContractLength", "PurchaseOption", "OfferingClass", "Product Family",
)
"""Columns of a service offer file that every refresh reads."""

ATTRIBUTES = (
    "servicecode", "location", "locationType", "regionCode", "instanceType", "operatingSystem", "tenancy",
    "preInstalledSw", "capacitystatus", "marketoption", "volumeApiName", "usagetype", "operation",
    "databaseEngine", "deploymentOption", "volumeType", "cacheEngine", "group",
    "fromLocation", "fromRegionCode", "transferType", "accessType", "throughputClass",
)
"""Product attributes (Price List API names) the mappers of price_list read. A CSV column is an
attribute's when their names agree ignoring case, spaces and punctuation (``Pre Installed S/W``
= ``preInstalledSw``, ``usageType`` = ``usagetype``)."""

SP_COLUMNS = (
    "SKU", "RateCode", "Unit", "DiscountedRate", "Currency", "DiscountedServiceCode", "DiscountedUsageType",
    "DiscountedOperation", "PurchaseOption", "LeaseContractLength", "LeaseContractLengthUnit", "Product Family",
    "DiscountedRegionCode", "DiscountedInstanceType",
)
"""Columns of a Savings Plans offer file the refresh reads."""

SP_FAMILIES = {"ComputeSavingsPlans": "compute", "EC2InstanceSavingsPlans": "ec2-instance"}
SP_TERMS = {("1", "year"): "1yr", ("3", "year"): "3yr", ("1", "yr"): "1yr", ("3", "yr"): "3yr"}
LINUX_OPERATION = "RunInstances"
"""The EC2 operation of Linux/UNIX usage (other systems are RunInstances:<code>)."""

CHUNK = 1 << 20


class BulkFormatError(InputError):
    """A bulk price list file is not in the documented format (names its URL). Exit 2."""


class BulkDownloadError(CostplanError):
    """A bulk price list file could not be downloaded (names its URL). Exit 1."""


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _bad(url: str, what: str, hint: str | None = None) -> BulkFormatError:
    return BulkFormatError(Problem(what, file=url, hint=hint or f"the bulk Price List format is described at {DOCS_URL}"))


# -- HTTP -----------------------------------------------------------------------------------
@dataclass
class Http:
    """Downloads with urllib3: connection errors and 429/5xx answers are retried with
    exponential backoff (``urllib3.util.Retry``); a body cut short is resumed with ``Range``.

    ``attempts`` is the number of tries per file, ``backoff`` [s] the first wait (doubling).
    """

    attempts: int = 5
    backoff: float = 1.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        import urllib3
        from urllib3.util import Retry

        retry = Retry(
            total=max(self.attempts - 1, 0), connect=max(self.attempts - 1, 0), read=0, redirect=3,
            status_forcelist=(429, 500, 502, 503, 504), backoff_factor=self.backoff,
            allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False, respect_retry_after_header=True,
        )
        self.pool = urllib3.PoolManager(retries=retry, timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                                        maxsize=8, headers={"User-Agent": "costplan-prices-refresh", "Accept-Encoding": "identity"})

    def _count(self, retries: int = 0) -> None:
        with self._lock:
            self.requests += 1
            self.retries += retries

    def _open(self, method: str, url: str, headers: Mapping[str, str] | None = None):
        import urllib3

        try:
            resp = self.pool.request(method, url, headers=dict(headers or {}), preload_content=False)
        except urllib3.exceptions.HTTPError as exc:
            raise BulkDownloadError(f"{url}: cannot download ({_reason(exc)}) after {self.attempts} attempt(s)") from None
        hist = resp.retries.history if resp.retries is not None else ()
        self._count(len(hist))
        return resp

    def get_json(self, url: str, what: str) -> dict:
        """GET a JSON index; an HTML page or anything that is not a JSON object is a BulkFormatError."""
        import urllib3

        resp = self._open("GET", url)
        try:
            if resp.status != 200:
                raise BulkDownloadError(f"{url}: HTTP {resp.status} {resp.reason or ''}".rstrip() + f" (fetching the {what})")
            try:
                body = resp.read()
            except urllib3.exceptions.HTTPError as exc:
                raise BulkDownloadError(f"{url}: download of the {what} cut short ({_reason(exc)})") from None
        finally:
            resp.release_conn()
        head = body.lstrip()[:200].lower()
        if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
            raise _bad(url, f"is an HTML/XML page, not the JSON {what} (starts {body.lstrip()[:40]!r})",
                       "check COSTPLAN_PRICE_LIST_URL: a proxy or captive portal may answer instead of AWS")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise _bad(url, f"is not valid JSON ({exc}); expected the {what}") from None
        if not isinstance(data, dict):
            raise _bad(url, f"is a JSON {type(data).__name__}, expected the {what} (an object)")
        return data

    def size(self, url: str) -> int | None:
        """Content-Length of ``url`` by a HEAD request [bytes], or None when the server gives none."""
        resp = self._open("HEAD", url)
        try:
            if resp.status != 200:
                raise BulkDownloadError(f"{url}: HTTP {resp.status} {resp.reason or ''}".rstrip())
            n = resp.headers.get("Content-Length")
            return int(n) if n and n.isdigit() else None
        finally:
            resp.release_conn()

    def download(self, url: str, dest: Path, on_bytes: Callable[[int, int | None], None] | None = None) -> Path:
        """Download ``url`` to ``dest`` (via ``dest.part``), resuming a partial file with ``Range``.

        ``on_bytes(n, total)`` is called as bytes arrive (``n`` new bytes [bytes], ``total`` the
        file's size when known). A complete ``dest`` is reused as it is (the cache).
        """
        import urllib3

        if dest.exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        wait = self.backoff
        last = ""
        for attempt in range(1, max(self.attempts, 1) + 1):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            resp = self._open("GET", url, headers)
            try:
                if resp.status == 416 and have:  # the part file is already whole
                    break
                if resp.status not in (200, 206):
                    raise BulkDownloadError(f"{url}: HTTP {resp.status} {resp.reason or ''}".rstrip())
                if resp.status == 200:
                    have = 0  # the server ignored Range: start again
                length = resp.headers.get("Content-Length")
                total = have + int(length) if length and length.isdigit() else None
                if on_bytes and have and attempt == 1:
                    on_bytes(have, total)  # resumed: what the cache already held counts as done
                got = have
                with part.open("ab" if have else "wb") as fh:
                    try:
                        while chunk := resp.read1(CHUNK):  # what has arrived, so a cut keeps every byte
                            fh.write(chunk)
                            got += len(chunk)
                            if on_bytes:
                                on_bytes(len(chunk), total)
                        cut = total is not None and got < total
                        last = f"{got:,} of {total:,} bytes received" if cut else last
                    except (urllib3.exceptions.HTTPError, ConnectionError) as exc:
                        cut, last = True, _reason(exc)
                if cut:
                    if attempt < self.attempts:
                        with self._lock:
                            self.retries += 1
                        self.sleep(wait)
                        wait *= 2
                    continue
                break
            finally:
                resp.release_conn()
        else:
            size = part.stat().st_size if part.exists() else 0
            raise BulkDownloadError(
                f"{url}: download cut short ({last}) after {self.attempts} attempt(s); {size:,} bytes are kept in "
                f"{part} and the next refresh resumes from there"
            )
        os.replace(part, dest)
        return dest


def _reason(exc: BaseException) -> str:
    r = getattr(exc, "reason", None)
    return str(r or exc).strip() or type(exc).__name__


# -- indexes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OfferFile:
    """One offer file to download: an offer (service) in one region at one version."""

    offer: str
    """Offer code: ``AmazonEC2`` ... or ``AWSComputeSavingsPlan``."""
    region: str
    version: str
    """The file's version (its publication timestamp, ``YYYYMMDDhhmmss``), from its URL."""
    url: str
    """The CSV file's URL."""
    kind: str = "offer"
    """``offer`` (on-demand and reserved) or ``savings-plans``."""

    def cache_path(self, cache_dir: Path) -> Path:
        return cache_dir / self.offer / self.version / self.region / "index.csv"


def _csv_url(base: str, rel: str, index_url: str) -> str:
    if not isinstance(rel, str) or not rel.endswith((".json", ".csv")):
        raise _bad(index_url, f"has a version URL {rel!r} that is not a .json or .csv file path")
    return urljoin(base, re.sub(r"\.json$", ".csv", rel))


def _version_of(rel: str) -> str:
    parts = [p for p in urlsplit(rel).path.split("/") if p]
    # /offers/v1.0/aws/<Offer>/<version>/<region>/index.json
    return parts[-3] if len(parts) >= 3 else "unknown"


def offer_index(http: Http, base: str) -> dict:
    url = urljoin(base, OFFER_INDEX_PATH)
    data = http.get_json(url, "offer index")
    offers = data.get("offers")
    if not isinstance(offers, dict) or not offers:
        raise _bad(url, "has no 'offers' object; expected the offer index (formatVersion, publicationDate, offers)")
    return data


def region_files(http: Http, base: str, index: Mapping[str, Any], offer: str, regions: Sequence[str]) -> list[OfferFile]:
    """The offer files of ``offer`` for ``regions``, from its region index.

    A region the region index does not list is an error naming the regions it does list.
    """
    offers = index["offers"]
    root = urljoin(base, OFFER_INDEX_PATH)
    if offer in GLOBAL_SERVICES:
        regions = [GLOBAL_REGION]  # one file for the whole offer, whatever --regions says
    if offer == SAVINGS_PLAN_OFFER:
        ec2 = offers.get("AmazonEC2") or {}
        rel = ec2.get("currentSavingsPlanIndexUrl") or (offers.get(offer) or {}).get("currentRegionIndexUrl")
        if not rel:
            raise _bad(root, "names no Savings Plans region index (AmazonEC2.currentSavingsPlanIndexUrl)")
    else:
        entry = offers.get(offer)
        if not isinstance(entry, dict) or not entry.get("currentRegionIndexUrl"):
            raise _bad(root, f"has no offer {offer!r} with a currentRegionIndexUrl",
                       f"offers listed: {', '.join(sorted(offers)[:40])}")
        rel = entry["currentRegionIndexUrl"]
    url = urljoin(base, rel)
    data = http.get_json(url, f"{offer} region index")
    raw = data.get("regions")
    found: dict[str, str] = {}
    if isinstance(raw, dict):
        for code, r in raw.items():
            if isinstance(r, dict) and r.get("currentVersionUrl"):
                found[r.get("regionCode") or code] = r["currentVersionUrl"]
    elif isinstance(raw, list):
        for r in raw:
            if isinstance(r, dict) and r.get("regionCode") and (r.get("versionUrl") or r.get("currentVersionUrl")):
                found[r["regionCode"]] = r.get("versionUrl") or r["currentVersionUrl"]
    else:
        raise _bad(url, "has no 'regions'; expected a region index (regions with their currentVersionUrl)")
    missing = [r for r in regions if r not in found]
    if missing:
        raise InputError(Problem(
            f"{offer} has no price list for {', '.join(missing)}", file=url, location="--regions",
            hint=f"regions it lists: {', '.join(sorted(found))}",
        ))
    kind = "savings-plans" if offer == SAVINGS_PLAN_OFFER else "offer"
    return [OfferFile(offer, r, _version_of(found[r]), _csv_url(base, found[r], url), kind) for r in regions]


# -- reading an offer file -------------------------------------------------------------------
@dataclass(frozen=True)
class CsvHeader:
    metadata: dict[str, str]
    columns: list[str]

    @property
    def publication_date(self) -> str:
        return self.metadata.get("Publication Date", "")[:10]


def read_header(path: Path, url: str, offer: str | None = None) -> CsvHeader:
    """The five metadata lines and the column names of a CSV price list file (checked)."""
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if head.lstrip()[:1] == b"<":
        raise _bad(url, f"is an HTML/XML page, not a CSV price list file (starts {head.lstrip()[:40]!r})")
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()[:6]
    if len(lines) < 6:
        raise _bad(url, "has fewer than 6 lines; a CSV price list file starts with 5 metadata lines and a header row")
    rows = list(csv.reader(io.StringIO("\n".join(lines) + "\n")))
    meta: dict[str, str] = {}
    for i, (key, row) in enumerate(zip(METADATA_KEYS, rows[:5], strict=True), start=1):
        if not row or row[0] != key or len(row) < 2:
            raise _bad(url, f"line {i} is {lines[i - 1][:60]!r}, expected the metadata line \"{key}\",<value>")
        meta[key] = row[1]
    if offer is not None and meta["OfferCode"] not in (offer, offer.replace("AWS", "Amazon")):
        raise _bad(url, f"is the price list of {meta['OfferCode']!r}, expected {offer!r}")
    return CsvHeader(meta, rows[5])


def _columns(header: CsvHeader, url: str, required: Iterable[str]) -> dict[str, str]:
    """Map wanted names (exact, then normalised) to the file's column names; missing required ones raise."""
    by_norm = {_norm(c): c for c in header.columns}
    out, missing = {}, []
    for want in required:
        col = want if want in header.columns else by_norm.get(_norm(want))
        if col is None:
            missing.append(want)
        else:
            out[want] = col
    if missing:
        raise _bad(url, f"has no column {', '.join(repr(m) for m in missing)} (line 6 names {len(header.columns)} "
                        f"columns: {', '.join(header.columns[:12])}, ...)")
    return out


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _sql_str(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def _scan(path: Path, url: str, columns: Sequence[str], where: str, header: CsvHeader, threads: int) -> tuple[int, list[tuple]]:
    """Rows of the CSV (after its 6 header lines) passing ``where``, and how many rows it has.

    One pass with DuckDB: only ``columns`` are materialised; the memory used is bounded by
    DuckDB's limit, not by the file's size.
    """
    import duckdb

    cols = ", ".join(f"c{i} := {_q(c)}" for i, c in enumerate(columns))
    con = duckdb.connect(config={"threads": max(threads, 1), "memory_limit": "512MB"})
    try:
        names = ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in header.columns)
        src = (
            f"read_csv({_sql_str(str(path))}, skip=6, header=false, columns={{{names}}}, auto_detect=false, "
            f"delim=',', quote='\"', escape='\"', null_padding=false, parallel=true)"
        )
        total = con.execute(f"SELECT count(*), list(struct_pack({cols})) FILTER (WHERE {where}) FROM {src}").fetchone()
    except duckdb.Error as exc:
        msg = " ".join(str(exc).split("Possible fixes")[0].split())[:300]
        path.unlink(missing_ok=True)  # costplan's own cache file: the next refresh downloads it again
        raise _bad(url, f"cannot be read as a CSV price list file with {len(header.columns)} columns: {msg}",
                   "a damaged or changed file; its cached copy was removed, so the next refresh downloads it again"
                   ) from None
    finally:
        con.close()
    n, rows = total
    return int(n), [tuple(r.values()) for r in (rows or [])]


def _selection(service: str) -> tuple[list[list[tuple[str, str]]], list[str]]:
    """The rows the Query API's filters would return (:data:`costplan.pricing.refresh.PRODUCT_QUERIES`):
    alternatives of (attribute, value) conditions, and the attributes they need."""
    from costplan.pricing.refresh import GLOBAL_QUERIES, PRODUCT_QUERIES

    needed: list[str] = []
    ors = []
    for q in PRODUCT_QUERIES.get(service) or GLOBAL_QUERIES.get(service) or [{}]:
        ands = []
        for k, v in q.items():
            name = "Product Family" if k == "productFamily" else k
            needed.append(name)
            ands.append((name, v))
        ors.append(ands)
    return ors, needed


def read_offer_file(path: Path, url: str, service: str, region: str, *, threads: int = 2) -> tuple[ParsedPrices, int, CsvHeader]:
    """Catalog rows from one region's CSV offer file of ``service`` (on-demand and reserved).

    Returns the parsed prices (with unmapped counts), the number of rows in the file and its
    header. Rows are selected with the same filters as the Query API requests; prices for a
    region other than ``region`` are counted as unmapped.
    """
    header = read_header(path, url, service)
    ors, needed = _selection(service)
    cols = _columns(header, url, [*TERM_COLUMNS, *dict.fromkeys(n for n in needed if n != "Product Family")])
    by_norm = {_norm(c): c for c in header.columns}
    attr_cols = {a: by_norm[_norm(a)] for a in ATTRIBUTES if _norm(a) in by_norm}
    if not {"regionCode", "location", "fromRegionCode", "fromLocation"} & set(attr_cols):
        raise _bad(url, "has neither a 'Region Code' nor a 'Location' column (nor, for data transfer, 'From Region "
                        "Code' / 'From Location'); cannot tell which region a price is for")
    for n in needed:
        if n != "Product Family":
            attr_cols[n] = cols[n]
    term_cols = [cols[c] for c in TERM_COLUMNS]
    attr_names = list(attr_cols)
    select = term_cols + [attr_cols[a] for a in attr_names]
    clauses = []
    for ands in ors:
        parts = [f"{_q(cols['Product Family'] if n == 'Product Family' else attr_cols[n])} = {_sql_str(v)}" for n, v in ands]
        clauses.append("(" + (" AND ".join(parts) or "true") + ")")
    where = f"{_q(cols['TermType'])} IN ('OnDemand', 'Reserved') AND ({' OR '.join(clauses)})"
    n_rows, rows = _scan(path, url, select, where, header, threads)
    parsed = rows_to_prices(rows, attr_names, service, header, url)
    # a free-tier product is global and folded into this region's paid price later
    stray = [p for p in parsed.prices if p.region != region and p.pricing_model != FREE_TIER]
    for p in stray:
        parsed.unmapped[f"{p.service} price for {p.region} in the file for {region}"] += 1
    parsed.prices = [p for p in parsed.prices if p.region == region or p.pricing_model == FREE_TIER]
    return parsed, n_rows, header


def rows_to_prices(rows: Iterable[Sequence[str | None]], attr_names: Sequence[str], service: str, header: CsvHeader,
                   url: str) -> ParsedPrices:
    """Group CSV rows (TERM_COLUMNS then ``attr_names``) into Price List items and map them."""
    items: dict[str, dict] = {}
    nt = len(TERM_COLUMNS)
    out = ParsedPrices()
    for r in rows:
        sku, term_code, rate_code, term_type, start, end, unit, price, currency, lease, option, cls_, family = r[:nt]
        if not sku:
            raise _bad(url, "has a price row without a SKU")
        if (currency or "USD") != "USD":
            out.unmapped[f"{service} price in {currency} (the catalog is in USD)"] += 1
            continue
        item = items.get(sku)
        if item is None:
            attrs = {a: v for a, v in zip(attr_names, r[nt:], strict=True) if v not in (None, "")}
            attrs.setdefault("servicecode", service)
            item = items[sku] = {
                "product": {"sku": sku, "productFamily": family or "", "attributes": attrs},
                "serviceCode": service,
                "terms": {},
                "publicationDate": header.metadata.get("Publication Date", ""),
                "version": header.metadata.get("Version", ""),
            }
        terms = item["terms"].setdefault(term_type, {})
        term = terms.setdefault(f"{sku}.{term_code}", {"offerTermCode": term_code, "sku": sku, "priceDimensions": {},
                                                       "termAttributes": {}})
        if term_type == "Reserved":
            ta = term["termAttributes"]
            for k, v in (("LeaseContractLength", lease), ("PurchaseOption", option), ("OfferingClass", cls_)):
                if v:
                    ta[k] = v
        term["priceDimensions"][rate_code or f"{sku}.{term_code}.{len(term['priceDimensions'])}"] = {
            "rateCode": rate_code, "unit": unit, "beginRange": start or "0", "endRange": end or "Inf",
            "pricePerUnit": {"USD": price},
        }
    src = source_id(service, header.publication_date)
    for item in items.values():
        out.items += 1
        try:
            out.prices += parse_product(item, source=src, unmapped=out.unmapped)
        except PriceListFormatError as exc:
            raise _bad(url, str(exc).replace("Price List item", "SKU")) from None
    return out


def source_id(offer: str, published: str) -> str:
    """Catalog source id of a bulk file row: ``aws-price-list-bulk:<OfferCode>:<YYYY-MM-DD>``."""
    return f"aws-price-list-bulk:{offer}:{published or 'unknown'}"


def read_savings_plans_file(path: Path, url: str, region: str, *, threads: int = 2) -> tuple[ParsedPrices, int, CsvHeader]:
    """Savings Plans rows (EC2 Linux/UNIX shared tenancy; Compute and EC2 Instance plans, 1 and
    3 years, every payment option) from one region's Savings Plans CSV offer file."""
    header = read_header(path, url)
    cols = _columns(header, url, SP_COLUMNS)
    select = [cols[c] for c in SP_COLUMNS]
    where = (
        f"{_q(cols['DiscountedServiceCode'])} = 'AmazonEC2' AND {_q(cols['DiscountedUsageType'])} LIKE '%BoxUsage:%' "
        f"AND {_q(cols['DiscountedRegionCode'])} = {_sql_str(region)}"
    )
    n_rows, rows = _scan(path, url, select, where, header, threads)
    out = ParsedPrices()
    published = header.publication_date
    src = source_id(SAVINGS_PLAN_OFFER, published)
    for r in rows:
        (sku, rate_code, unit, rate, currency, _svc, usage_type, operation, option_raw, lease, lease_unit, family,
         reg, itype) = r
        out.items += 1
        if (operation or "") != LINUX_OPERATION:
            out.unmapped["savings plan rate not Linux/UNIX (operation RunInstances)"] += 1
            continue
        plan = SP_FAMILIES.get(family or "")
        term = SP_TERMS.get((str(lease or "").strip(), str(lease_unit or "").strip().lower()))
        option = PURCHASE_OPTIONS.get(option_raw or "")
        if plan is None or term is None or option is None:
            out.unmapped[f"savings plan {family!r} {lease!r} {lease_unit!r} {option_raw!r}"] += 1
            continue
        if (currency or "USD") != "USD":
            out.unmapped[f"savings plan rate in {currency}"] += 1
            continue
        if unit != "Hrs":
            raise _bad(url, f"Savings Plans rate {rate_code}: unit {unit!r}, expected Hrs")
        itype = itype or (usage_type or "").rpartition(":")[2]
        try:
            value = float(rate)
        except (TypeError, ValueError):
            raise _bad(url, f"Savings Plans rate {rate_code}: DiscountedRate {rate!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise _bad(url, f"Savings Plans rate {rate_code}: DiscountedRate {rate!r} must be a finite number >= 0")
        out.prices.append(Price(
            service="AmazonEC2", sku=itype, region=reg, usage="instance-hour", variant="", pricing_model="savings_plan",
            term=term, purchase_option=option, offering_class=plan, tier_start=0.0, tier_end=math.inf, unit="Hrs",
            unit_price=value, interruption_band="", source=src, as_of=published, verified=True,
            note=f"Savings Plans rate {rate_code} (plan SKU {sku})",
        ))
    return out, n_rows, header


# -- the fetch -------------------------------------------------------------------------------
@dataclass
class BulkFetch:
    """What a bulk fetch read: rows per file, bytes downloaded, sources."""

    files: list[OfferFile]
    sizes: dict[str, int | None] = field(default_factory=dict)
    """Size per file URL [bytes] (dry run: from HEAD; else the downloaded file)."""
    cached: set[str] = field(default_factory=set)
    """URLs already whole in the cache (not downloaded again)."""
    rows_read: dict[str, int] = field(default_factory=dict)
    """Rows in each file (all of them, kept or not)."""
    prices: list[Price] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    sources: dict[str, dict] = field(default_factory=dict)
    empty: list[str] = field(default_factory=list)


class Progress:
    """Where a fetch reports progress (called from several download threads): ``bytes(n, url)``
    as bytes arrive [bytes], ``rows(n, url)`` when a file has been read [rows]. Does nothing."""

    def bytes(self, n: int, url: str) -> None: ...

    def rows(self, n: int, url: str) -> None: ...


def plan_files(http: Http, base: str, regions: Sequence[str], offers: Sequence[str]) -> list[OfferFile]:
    index = offer_index(http, base)
    files: list[OfferFile] = []
    for offer in offers:
        files += region_files(http, base, index, offer, regions)
    return files


def measure(http: Http, files: Sequence[OfferFile], cache_dir: Path, parallel: int = 4) -> tuple[dict[str, int | None], set[str]]:
    """Size of each file [bytes] (HEAD requests; the cached size for files already in the cache)."""
    sizes: dict[str, int | None] = {}
    cached: set[str] = set()

    def one(f: OfferFile):
        p = f.cache_path(cache_dir)
        if p.exists():
            return f.url, p.stat().st_size, True
        return f.url, http.size(f.url), False

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(files) or 1))) as pool:
        for url, size, hit in pool.map(one, files):
            sizes[url] = size
            if hit:
                cached.add(url)
    return sizes, cached


def fetch(http: Http, files: Sequence[OfferFile], cache_dir: Path, *, as_of: str, parallel: int = 4,
          progress: Progress | None = None, threads: int = 2) -> BulkFetch:
    """Download (or reuse from the cache) and read every file, at most ``parallel`` at once."""
    progress = progress or Progress()
    out = BulkFetch(list(files))
    lock = threading.Lock()

    def one(f: OfferFile):
        dest = f.cache_path(cache_dir)
        if dest.exists():
            with lock:
                out.cached.add(f.url)
            progress.bytes(dest.stat().st_size, f.url)
        else:
            http.download(f.url, dest, lambda n, _t: progress.bytes(n, f.url))
        if f.kind == "savings-plans":
            parsed, n, header = read_savings_plans_file(dest, f.url, f.region, threads=threads)
        else:
            parsed, n, header = read_offer_file(dest, f.url, f.offer, f.region, threads=threads)
        progress.rows(n, f.url)
        return f, dest.stat().st_size, parsed, n, header

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(files) or 1))) as pool:
        results = list(pool.map(one, files))
    for f, size, parsed, n, header in results:
        out.sizes[f.url] = size
        out.rows_read[f.url] = n
        out.prices += [p if p.as_of == as_of else _with_as_of(p, as_of) for p in parsed.prices]
        out.unmapped.update(parsed.unmapped)
        if not parsed.prices:
            out.empty.append(f"{f.offer} {f.region} ({f.url})")
        sid = source_id(f.offer, header.publication_date)
        out.sources.setdefault(sid, {
            "id": sid, "url": urljoin(f.url, "/offers/v1.0/aws/index.json") if f.kind == "offer" else f.url.rsplit("/", 2)[0],
            "as_of": header.publication_date or as_of, "license": "AWS public list prices",
            "notes": (f"AWS bulk Price List file {f.offer}, version {header.metadata.get('Version', f.version)}, "
                      f"published {header.metadata.get('Publication Date', '?')}; read by costplan prices refresh"),
        })
    return out


def _with_as_of(p: Price, as_of: str) -> Price:
    from dataclasses import replace

    return replace(p, as_of=as_of)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/costplan/price-list`` (default ``~/.cache/costplan/price-list``)."""
    from costplan.cache import user_cache_dir

    return user_cache_dir() / "price-list"


__all__ = [
    "BulkDownloadError",
    "BulkFetch",
    "BulkFormatError",
    "DEFAULT_PRICE_LIST_URL",
    "Http",
    "OfferFile",
    "fetch",
    "measure",
    "plan_files",
    "read_header",
    "read_offer_file",
    "read_savings_plans_file",
]
