"""AWS bulk Price List files for tests, in the documented format, and a local HTTP server.

The formats are those of the AWS Billing guide, "Using the bulk API" / "Reading the price
list files": the offer index (``/offers/v1.0/aws/index.json``), each offer's region index
(``.../<OfferCode>/current/region_index.json``, ``regions`` an object keyed by region code),
the Savings Plans region index (``regions`` a list of ``{"regionCode", "versionUrl"}``) and the
CSV offer files: five metadata lines (FormatVersion, Disclaimer, Publication Date, Version,
OfferCode), the column names on line 6, one row per price dimension. The EC2 and RDS column
lists are the ones AWS's files carry (every column, in AWS's order); the other services'
files here carry the columns costplan reads plus a few of AWS's others. Every price row is
synthetic or copied from the embedded catalog; see tests/data/aws/bulk/PROVENANCE.md.

:class:`BulkSite` serves such files from memory on 127.0.0.1 with ``Range`` support, and can
answer 404, HTML, or cut a body short to test failures.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "20261120000000"
PUBLISHED = "2026-11-20T00:00:00Z"
DISCLAIMER = (
    "This pricing list is for informational purposes only. All prices are subject to the additional terms included "
    "in the pricing pages on http://aws.amazon.com. All Free Tier prices are also subject to the terms included at "
    "https://aws.amazon.com/free/"
)
TERM_HEAD = [
    "SKU", "OfferTermCode", "RateCode", "TermType", "PriceDescription", "EffectiveDate", "StartingRange",
    "EndingRange", "Unit", "PricePerUnit", "Currency", "RelatedTo", "LeaseContractLength", "PurchaseOption",
    "OfferingClass", "Product Family", "serviceCode", "Location", "Location Type",
]
EC2_COLUMNS = TERM_HEAD + [
    "Instance Type", "Current Generation", "Instance Family", "vCPU", "Physical Processor", "Clock Speed", "Memory",
    "Storage", "Network Performance", "Processor Architecture", "Storage Media", "Volume Type", "Max Volume Size",
    "Max IOPS/volume", "Max IOPS Burst Performance", "Max throughput/volume", "Provisioned", "Tenancy",
    "EBS Optimized", "Operating System", "License Model", "Group", "Group Description", "Transfer Type",
    "From Location", "From Location Type", "To Location", "To Location Type", "usageType", "operation",
    "AvailabilityZone", "CapacityStatus", "ClassicNetworkingSupport", "Dedicated EBS Throughput", "ECU",
    "Elastic Graphics Type", "Enhanced Networking Supported", "From Region Code", "GPU", "GPU Memory", "Instance",
    "Instance Capacity - 10xlarge", "Instance Capacity - 12xlarge", "Instance Capacity - 16xlarge",
    "Instance Capacity - 18xlarge", "Instance Capacity - 24xlarge", "Instance Capacity - 2xlarge",
    "Instance Capacity - 32xlarge", "Instance Capacity - 4xlarge", "Instance Capacity - 8xlarge",
    "Instance Capacity - 9xlarge", "Instance Capacity - large", "Instance Capacity - medium",
    "Instance Capacity - metal", "Instance Capacity - xlarge", "instanceSKU", "Intel AVX2 Available",
    "Intel AVX Available", "Intel Turbo Available", "MarketOption", "Normalization Size Factor", "Physical Cores",
    "Pre Installed S/W", "Processor Features", "Product Type", "Region Code", "Resource Type", "serviceName",
    "SnapshotArchiveFeeType", "To Region Code", "Volume API Name", "VPCNetworkingSupport",
]
"""Every column of an EC2 offer file, in AWS's order."""
RDS_COLUMNS = TERM_HEAD + [
    "Instance Type", "Current Generation", "Instance Family", "vCPU", "Physical Processor", "Clock Speed", "Memory",
    "Storage", "Network Performance", "Processor Architecture", "Storage Media", "Volume Type", "Min Volume Size",
    "Max Volume Size", "Engine Code", "Database Engine", "Database Edition", "License Model", "Deployment Option",
    "Group", "Group Description", "usageType", "operation", "ACU", "Dedicated EBS Throughput", "Deployment Model",
    "Engine Major Version", "Engine Media Type", "Enhanced Networking Supported", "Extended Support Pricing Year",
    "Instance Type Family", "LimitlessPreview", "Normalization Size Factor", "Processor Features", "Region Code",
    "serviceName", "Unbundled Licensing", "Volume Name", "WindowsLicenseMultiplier",
]
"""Every column of an RDS offer file, in AWS's order."""
OTHER_COLUMNS = {
    "AmazonElastiCache": TERM_HEAD + ["Instance Type", "Current Generation", "Instance Family", "vCPU", "Memory",
                                      "Network Performance", "Cache Engine", "usageType", "operation", "Region Code",
                                      "serviceName"],
    "AWSELB": TERM_HEAD + ["Group", "Group Description", "usageType", "operation", "Region Code", "serviceName"],
    "AmazonEKS": TERM_HEAD + ["Tenancy", "usageType", "operation", "Region Code", "serviceName"],
    "AmazonS3": TERM_HEAD + ["Availability", "Storage Class", "Volume Type", "Group", "Group Description",
                             "usageType", "operation", "Region Code", "serviceName"],
    "AmazonCloudWatch": TERM_HEAD + ["Group", "Group Description", "usageType", "operation", "Region Code",
                                     "serviceName"],
    "AmazonVPC": TERM_HEAD + ["Group", "Group Description", "usageType", "operation", "Region Code",
                              "serviceName"],
    "awskms": TERM_HEAD + ["usageType", "operation", "Region Code", "serviceName"],
    **{o: TERM_HEAD + ["Group", "Group Description", "usageType", "operation", "Region Code", "serviceName"]
       for o in ("AmazonECR", "AWSConfig", "AWSCloudTrail", "awswaf", "AWSXRay")},
    "AmazonEFS": TERM_HEAD + ["Storage Class", "Access Type", "Throughput Class", "Group", "Group Description",
                              "usageType", "operation", "Region Code", "serviceName"],
    # Route 53 is global: its offer has one file (region "global") and no Region Code column
    "AmazonRoute53": TERM_HEAD + ["Group", "Group Description", "usageType", "operation", "serviceName"],
    # data transfer: priced by where it goes from and to; no Region Code column
    "AWSDataTransfer": TERM_HEAD + ["Transfer Type", "From Location", "From Location Type", "To Location",
                                    "To Location Type", "usageType", "operation", "From Region Code",
                                    "To Region Code", "serviceName"],
}
SP_COLUMNS = [
    "SKU", "RateCode", "Unit", "EffectiveDate", "DiscountedRate", "Currency", "DiscountedSKU",
    "DiscountedServiceCode", "DiscountedUsageType", "DiscountedOperation", "PurchaseOption", "LeaseContractLength",
    "LeaseContractLengthUnit", "ServiceCode", "UsageType", "Operation", "Description", "Instance Family", "Location",
    "Location Type", "Granularity", "Product Family", "DiscountedRegionCode", "DiscountedInstanceType",
]
"""Every column of a Savings Plans offer file, in AWS's order."""
OFFERS = ("AmazonEC2", "AmazonRDS", "AmazonElastiCache", "AWSELB", "AmazonEKS", "AmazonS3", "AmazonCloudWatch",
          "AmazonVPC", "awskms", "AWSDataTransfer", "AmazonECR", "AmazonEFS", "AWSConfig", "AWSCloudTrail", "awswaf",
          "AmazonRoute53", "AWSXRay")
SP_OFFER = "AWSComputeSavingsPlan"

# CSV column -> Price List API attribute name (what tests build rows from)
ATTR_COLUMN = {
    "instanceType": "Instance Type", "operatingSystem": "Operating System", "tenancy": "Tenancy",
    "preInstalledSw": "Pre Installed S/W", "capacitystatus": "CapacityStatus", "marketoption": "MarketOption",
    "usagetype": "usageType", "operation": "operation", "regionCode": "Region Code", "location": "Location",
    "locationType": "Location Type", "volumeApiName": "Volume API Name", "databaseEngine": "Database Engine",
    "deploymentOption": "Deployment Option", "volumeType": "Volume Type", "cacheEngine": "Cache Engine",
    "group": "Group", "servicecode": "serviceCode", "transferType": "Transfer Type",
    "fromLocation": "From Location", "fromLocationType": "From Location Type", "toLocation": "To Location",
    "fromRegionCode": "From Region Code",
}


def columns_of(offer: str) -> list[str]:
    return {"AmazonEC2": EC2_COLUMNS, "AmazonRDS": RDS_COLUMNS, SP_OFFER: SP_COLUMNS}.get(offer) or OTHER_COLUMNS[offer]


def offer_csv(offer: str, rows: Iterable[Mapping[str, str]], *, columns: list[str] | None = None,
              version: str = VERSION, published: str = PUBLISHED) -> bytes:
    """A CSV price list file: the five metadata lines, the header, one line per row (a dict by
    column name; missing columns empty). AWS quotes every field of service files; the Savings
    Plans files are unquoted."""
    cols = columns or columns_of(offer)
    buf = io.StringIO()
    quoting = csv.QUOTE_MINIMAL if offer == SP_OFFER else csv.QUOTE_ALL
    w = csv.writer(buf, lineterminator="\n", quoting=quoting)
    offer_code = "AmazonComputeSavingsPlan" if offer == SP_OFFER else offer
    for k, v in (("FormatVersion", "v1.0"), ("Disclaimer", DISCLAIMER), ("Publication Date", published),
                 ("Version", version), ("OfferCode", offer_code)):
        w.writerow([k, v])
    w.writerow(cols)
    for r in rows:
        unknown = set(r) - set(cols)
        assert not unknown, unknown
        w.writerow([r.get(c, "") for c in cols])
    return buf.getvalue().encode()


def item_rows(item: Mapping) -> list[dict[str, str]]:
    """CSV rows (one per price dimension) of a Price List API item (tests/test_refresh_equivalence.item_for)."""
    prod = item["product"]
    base = {"SKU": prod["sku"], "Product Family": prod["productFamily"], "serviceCode": item["serviceCode"]}
    for attr, value in prod["attributes"].items():
        col = ATTR_COLUMN.get(attr)
        if col:
            base[col] = value
    rows = []
    for term_type, terms in item["terms"].items():
        for term in terms.values():
            for dim in term["priceDimensions"].values():
                r = dict(base)
                r.update({
                    "OfferTermCode": term["offerTermCode"], "RateCode": dim["rateCode"], "TermType": term_type,
                    "PriceDescription": dim.get("description", ""), "EffectiveDate": "2026-11-01",
                    "StartingRange": dim.get("beginRange", ""), "EndingRange": dim.get("endRange", ""),
                    "Unit": dim["unit"], "PricePerUnit": dim["pricePerUnit"]["USD"], "Currency": "USD",
                })
                ta = term.get("termAttributes") or {}
                r.update({k: ta[k] for k in ("LeaseContractLength", "PurchaseOption", "OfferingClass") if k in ta})
                rows.append(r)
    return rows


def offer_index(offers: Iterable[str] = OFFERS, version: str = VERSION) -> bytes:
    """The offer index, as documented (each offer's URLs relative to the site)."""
    out = {}
    for o in offers:
        out[o] = {
            "offerCode": o,
            "versionIndexUrl": f"/offers/v1.0/aws/{o}/index.json",
            "currentVersionUrl": f"/offers/v1.0/aws/{o}/current/index.json",
            "currentRegionIndexUrl": f"/offers/v1.0/aws/{o}/current/region_index.json",
        }
    out["AmazonEC2"]["savingsPlanVersionIndexUrl"] = f"/savingsPlan/v1.0/aws/{SP_OFFER}/current/index.json"
    out["AmazonEC2"]["currentSavingsPlanIndexUrl"] = f"/savingsPlan/v1.0/aws/{SP_OFFER}/current/region_index.json"
    return json.dumps({"formatVersion": "v1.0", "disclaimer": DISCLAIMER, "publicationDate": PUBLISHED,
                       "offers": out}, indent=2).encode()


def region_index(offer: str, regions: Iterable[str], version: str = VERSION) -> bytes:
    if offer == SP_OFFER:
        regs = [{"regionCode": r, "versionUrl": f"/savingsPlan/v1.0/aws/{offer}/{version}/{r}/index.json"}
                for r in regions]
        return json.dumps({"disclaimer": DISCLAIMER, "publicationDate": PUBLISHED, "regions": regs}, indent=2).encode()
    regs = {r: {"regionCode": r, "currentVersionUrl": f"/offers/v1.0/aws/{offer}/{version}/{r}/index.json"}
            for r in regions}
    return json.dumps({"formatVersion": "v1.0", "disclaimer": DISCLAIMER, "publicationDate": PUBLISHED,
                       "regions": regs}, indent=2).encode()


def region_index_path(offer: str) -> str:
    root = "savingsPlan" if offer == SP_OFFER else "offers"
    return f"/{root}/v1.0/aws/{offer}/current/region_index.json"


def offer_path(offer: str, region: str, version: str = VERSION) -> str:
    root = "savingsPlan" if offer == SP_OFFER else "offers"
    return f"/{root}/v1.0/aws/{offer}/{version}/{region}/index.csv"


def site_files(files: Mapping[tuple[str, str], bytes], version: str = VERSION) -> dict[str, bytes]:
    """Every path of a site holding the offer files ``{(offer, region): csv bytes}``."""
    out = {"/offers/v1.0/aws/index.json": offer_index(version=version)}
    regions_of: dict[str, list[str]] = {}
    for (offer, region), body in files.items():
        regions_of.setdefault(offer, []).append(region)
        out[offer_path(offer, region, version)] = body
    for offer, regs in regions_of.items():
        out[region_index_path(offer)] = region_index(offer, regs, version)
    return out


class BulkSite:
    """A local HTTP server (127.0.0.1, a free port) serving ``files`` by path.

    ``missing``: paths answered 404; ``unavailable``: paths answered 503 a number of times. ``html``: paths answered with an HTML page. ``cut``: path
    -> number of bytes after which the connection is dropped (once per entry in
    ``cut_times``, default every time). ``log``: (method, path, Range header) per request.
    """

    def __init__(self, files: Mapping[str, bytes]):
        self.files = dict(files)
        self.missing: set[str] = set()
        self.html: set[str] = set()
        self.cut: dict[str, int] = {}
        self.cut_times: dict[str, int] = {}
        self.log: list[tuple[str, str, str | None]] = []
        self.unavailable: dict[str, int] = {}
        """path -> how many more GETs are answered 503 before the file is served."""
        self.delay = 0.0
        """Seconds each CSV body waits before it is sent (to see downloads overlap)."""
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, head_only: bool):
                path = self.path.split("?")[0]
                rng = self.headers.get("Range")
                site.log.append((self.command, path, rng))
                if path in site.html:
                    body = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if not head_only:
                        self.wfile.write(body)
                    return
                if path in site.missing or path not in site.files:
                    body = b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if not head_only:
                        self.wfile.write(body)
                    return
                if site.unavailable.get(path, 0) > 0 and self.command == "GET":
                    site.unavailable[path] -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = site.files[path]
                start = 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Type", "application/json" if path.endswith(".json") else "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if head_only:
                    return
                if path.endswith(".csv"):
                    with site._lock:
                        site.active += 1
                        site.max_active = max(site.max_active, site.active)
                    try:
                        time.sleep(site.delay)
                    finally:
                        with site._lock:
                            site.active -= 1
                cut = site.cut.get(path)
                if cut is not None and start < cut and site.cut_times.get(path, 1) > 0:
                    if path in site.cut_times:
                        site.cut_times[path] -= 1
                    self.wfile.write(body[: cut - start])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def do_GET(self):
                self._answer(False)

            def do_HEAD(self):
                self._answer(True)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client that hung up: not a test failure
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BulkSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def gets(self, path: str) -> list[str | None]:
        """The Range header of every GET of ``path``."""
        return [r for m, p, r in self.log if m == "GET" and p == path]
