"""`costplan prices refresh --source bulk`: AWS's public bulk Price List files, end to end.

Every file is served by a local HTTP server on 127.0.0.1 (tests/bulk_fixtures.BulkSite) in the
documented formats: the static fixtures under tests/data/aws/bulk/ (an EC2 offer file for
us-east-1 with every EC2 column, and a Savings Plans offer file), and files built here.
Expected prices are worked out by hand from the rows of those files (see the comments).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import pytest
from bulk_fixtures import (
    EC2_COLUMNS,
    SP_OFFER,
    BulkSite,
    item_rows,
    offer_csv,
    offer_path,
    region_index,
    region_index_path,
    site_files,
)

from costplan.errors import InputError
from costplan.pricing import bulk
from costplan.pricing.catalog import Catalog, default_catalog_path
from costplan.pricing.refresh import RefreshError, refresh_from_bulk

DATA = Path(__file__).parent / "data" / "aws" / "bulk"
EC2_CSV = offer_path("AmazonEC2", "us-east-1")
SP_CSV = offer_path(SP_OFFER, "us-east-1")
TODAY = dt.date(2026, 12, 1)


def static_files() -> dict[str, bytes]:
    return {"/" + p.relative_to(DATA).as_posix(): p.read_bytes() for p in DATA.rglob("*")
            if p.is_file() and p.suffix in (".json", ".csv")}


@pytest.fixture
def base(tmp_path):
    """A copy of the embedded snapshot in its own folder (the last good catalog)."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    snap = default_catalog_path()
    shutil.copy2(snap, folder / snap.name)
    shutil.copy2(snap.parent / "manifest.json", folder / "manifest.json")
    return folder / snap.name


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def fast_http(attempts: int = 3) -> bulk.Http:
    return bulk.Http(attempts=attempts, backoff=0.0, timeout=10, sleep=lambda s: None)


def refresh(site, base, tmp_path, services="AmazonEC2,savings-plans", regions="us-east-1", **kw):
    kw.setdefault("http", fast_http())
    return refresh_from_bulk(regions, services, base.parent, base=base, price_list_url=site.url,
                             cache_dir=tmp_path / "cache", today=TODAY, **kw)


def by_key(cat: Catalog, sku: str, model: str, term: str = "", option: str = "", cls_: str = "", usage="instance-hour"):
    return cat.price("AmazonEC2", sku, "us-east-1", usage, "", model, term, option, cls_).unit_price


def test_the_documented_files_become_catalog_rows(base, tmp_path):
    with BulkSite(static_files()) as site:
        result = refresh(site, base, tmp_path)
    assert result.path == base.parent / "aws-prices_2026-12-01.csv"
    cat = Catalog.load(result.path)
    # tests/data/aws/bulk EC2 file: m5.large Linux shared on demand $0.096/h
    assert by_key(cat, "m5.large", "on_demand") == 0.096
    # 1yr standard partial upfront: $252 upfront + $0.029/h -> 252 / 8,760 + 0.029 = 0.0577671233 $/h
    assert by_key(cat, "m5.large", "reserved", "1yr", "partial-upfront", "standard") == pytest.approx(0.0577671233, abs=1e-10)
    # 3yr standard all upfront: $1,567 / 26,280 h = 0.0596270928 $/h
    assert by_key(cat, "m5.large", "reserved", "3yr", "all-upfront", "standard") == pytest.approx(0.0596270928, abs=1e-10)
    assert cat.price("AmazonEC2", "gp3", "us-east-1", "storage-gb-month").unit_price == 0.08
    assert cat.price("AmazonEC2", "nat-gateway", "us-east-1", "hour").unit_price == 0.045
    assert cat.price("AmazonEC2", "nat-gateway", "us-east-1", "gb-processed").unit_price == 0.045
    # Savings Plans file: all 12 (plan, term, payment) rates of m5.large as written in it
    sp = {
        ("compute", "1yr", "no-upfront"): 0.068, ("compute", "1yr", "partial-upfront"): 0.065,
        ("compute", "1yr", "all-upfront"): 0.064, ("compute", "3yr", "no-upfront"): 0.047,
        ("compute", "3yr", "partial-upfront"): 0.045, ("compute", "3yr", "all-upfront"): 0.043,
        ("ec2-instance", "1yr", "no-upfront"): 0.06, ("ec2-instance", "1yr", "partial-upfront"): 0.058,
        ("ec2-instance", "1yr", "all-upfront"): 0.057, ("ec2-instance", "3yr", "no-upfront"): 0.042,
        ("ec2-instance", "3yr", "partial-upfront"): 0.04, ("ec2-instance", "3yr", "all-upfront"): 0.038,
    }
    for (cls_, term, option), rate in sp.items():
        assert by_key(cat, "m5.large", "savings_plan", term, option, cls_) == rate
    # the Windows, dedicated and unused-reservation rows (0.188, 0.106, ...) and the Windows,
    # dedicated and Fargate plan rates are not catalog rows
    refreshed = [p for p in cat if p.source.startswith("aws-price-list-bulk:")]
    assert len(refreshed) == 6 + 12
    assert {p.source for p in refreshed} == {"aws-price-list-bulk:AmazonEC2:2026-11-20",
                                             "aws-price-list-bulk:AWSComputeSavingsPlan:2026-11-20"}
    ids = {s["id"] for s in cat.manifest["sources"]}
    assert "aws-price-list-bulk:AmazonEC2:2026-11-20" in ids and cat.manifest["refreshed"]["source"] == "bulk"
    assert result.rows_read == {site.url + EC2_CSV: 11, site.url + SP_CSV: 15}  # data rows of each file
    # every refreshed key is one the embedded catalog already has (same vocabulary): the 18 rows
    # replace its m5.large, gp3 and NAT prices and its m5.large Savings Plans rates
    assert (result.rows_replaced, result.rows_added) == (18, 0)


def test_dry_run_says_what_would_be_downloaded_and_how_big(base, tmp_path):
    before = files_of(base.parent)
    files = static_files()
    with BulkSite(files) as site:
        result = refresh(site, base, tmp_path, dry_run=True)
        assert [m for m, p, _ in site.log if p.endswith(".csv")] == ["HEAD", "HEAD"]  # nothing downloaded
    assert [(f["offer"], f["region"], f["version"], f["bytes"]) for f in result.files_table()] == [
        ("AmazonEC2", "us-east-1", "20261120000000", len(files[EC2_CSV])),
        (SP_OFFER, "us-east-1", "20261120000000", len(files[SP_CSV])),
    ]
    assert files_of(base.parent) == before and not (tmp_path / "cache").exists()


def test_cli_dry_run_and_refresh_with_the_url_setting(base, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    with BulkSite(static_files()) as site:
        monkeypatch.setenv("COSTPLAN_PRICE_LIST_URL", site.url)
        args = ["prices", "refresh", "--catalog", str(base), "--regions", "us-east-1", "--services",
                "AmazonEC2,savings-plans", "--cache-dir", str(tmp_path / "cache")]
        res = CliRunner().invoke(app, [*args, "--dry-run"])
        assert res.exit_code == 0, res.output
        assert "would download 16.0 KB" in res.stderr  # 10,257 + 5,716 bytes
        res = CliRunner().invoke(app, [*args, "--format", "json"])
        assert res.exit_code == 0, res.output
    assert '"savings-plans us-east-1": 12' in res.stdout and '"AmazonEC2 us-east-1": 6' in res.stdout


def test_progress_counts_bytes_and_rows_and_503_is_retried(base, tmp_path):
    files = static_files()

    class Seen(bulk.Progress):
        def __init__(self):
            self.n_bytes, self.n_rows = 0, 0

        def bytes(self, n, url):
            self.n_bytes += n

        def rows(self, n, url):
            self.n_rows += n

    seen = Seen()
    with BulkSite(files) as site:
        site.unavailable[EC2_CSV] = 2  # two 503 answers, then the file
        result = refresh(site, base, tmp_path, progress=seen)
        assert [m for m, p, _ in site.log if p == EC2_CSV] == ["GET", "GET", "GET"]
    assert seen.n_bytes == len(files[EC2_CSV]) + len(files[SP_CSV])
    assert seen.n_rows == 11 + 15  # every data row of both files
    assert result.retries == 2


def test_downloads_are_bounded_by_parallel(base, tmp_path):
    regions = ["us-east-1", "eu-west-1", "us-west-2", "ap-south-1"]
    ec2 = static_files()[EC2_CSV].decode()
    per_region = {("AmazonEC2", r): ec2.replace("us-east-1", r).encode() for r in regions}
    with BulkSite(site_files(per_region)) as site:
        site.delay = 0.2
        refresh(site, base, tmp_path, services="AmazonEC2", regions=",".join(regions), parallel=2)
        assert site.max_active == 2  # four files, never more than two at once


def test_a_second_refresh_of_the_same_version_downloads_nothing(base, tmp_path):
    with BulkSite(static_files()) as site:
        first = refresh(site, base, tmp_path)
        text = first.path.read_bytes()
        second = refresh(site, base, tmp_path)
        assert site.gets(EC2_CSV) == [None] and site.gets(SP_CSV) == [None]
    assert second.cached == {site.url + EC2_CSV, site.url + SP_CSV}
    assert second.path.read_bytes() == text


def test_a_download_cut_short_is_resumed_with_range(base, tmp_path):
    files = static_files()
    with BulkSite(files) as site:
        site.cut[EC2_CSV], site.cut_times[EC2_CSV] = 4000, 1
        result = refresh(site, base, tmp_path)
        assert site.gets(EC2_CSV) == [None, "bytes=4000-"]
    assert (tmp_path / "cache/AmazonEC2/20261120000000/us-east-1/index.csv").read_bytes() == files[EC2_CSV]
    assert by_key(Catalog.load(result.path), "m5.large", "on_demand") == 0.096
    assert result.retries == 1


def test_an_interrupted_run_fails_keeps_the_catalog_and_the_next_run_resumes(base, tmp_path):
    before = files_of(base.parent)
    files = static_files()
    with BulkSite(files) as site:
        site.cut[EC2_CSV] = 3000  # every attempt dies after 3,000 bytes
        with pytest.raises(RefreshError) as err:
            refresh(site, base, tmp_path, http=fast_http(attempts=1))
        assert site.url + EC2_CSV in str(err.value) and "resumes" in str(err.value)
        assert files_of(base.parent) == before  # the last good catalog is untouched
        part = tmp_path / "cache/AmazonEC2/20261120000000/us-east-1/index.csv.part"
        assert part.stat().st_size == 3000
        del site.cut[EC2_CSV]
        result = refresh(site, base, tmp_path)
        assert site.gets(EC2_CSV)[-1] == "bytes=3000-"  # only the rest was downloaded
    assert by_key(Catalog.load(result.path), "m5.large", "on_demand") == 0.096


def test_a_changed_column_order_gives_the_same_catalog(base, tmp_path):
    import csv
    import io

    files = static_files()
    with BulkSite(files) as site:
        expected = refresh(site, base, tmp_path / "a").path.read_bytes()
    lines = files[EC2_CSV].decode().splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO("".join(lines[5:]))))
    order = list(reversed(range(len(EC2_COLUMNS))))  # every column moves
    shuffled = [[r[i] for i in order] for r in rows]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(shuffled)
    files[EC2_CSV] = ("".join(lines[:5]) + buf.getvalue()).encode()
    out = tmp_path / "b"
    out.mkdir()
    shutil.copy2(base, out / base.name)
    shutil.copy2(base.parent / "manifest.json", out / "manifest.json")
    with BulkSite(files) as site:
        got = refresh(site, out / base.name, tmp_path / "b-cache").path.read_bytes()
    assert got == expected


def two_region_site():
    files = static_files()
    files[region_index_path("AmazonEC2")] = region_index("AmazonEC2", ["us-east-1", "eu-west-1"])
    return files


def test_a_404_for_one_region_fails_naming_the_url_and_writes_nothing(base, tmp_path):
    before = files_of(base.parent)
    with BulkSite(two_region_site()) as site:
        with pytest.raises(RefreshError) as err:
            refresh(site, base, tmp_path, services="AmazonEC2", regions="us-east-1,eu-west-1")
    assert f"{site.url}{offer_path('AmazonEC2', 'eu-west-1')}: HTTP 404" in str(err.value)
    assert "was not changed" in str(err.value)
    assert files_of(base.parent) == before


def test_cli_exit_codes(base, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    before = files_of(base.parent)
    files = two_region_site()
    with BulkSite(files) as site:
        monkeypatch.setenv("COSTPLAN_PRICE_LIST_URL", site.url)
        args = ["prices", "refresh", "--catalog", str(base), "--cache-dir", str(tmp_path / "cache")]

        def run(*extra):
            res = CliRunner().invoke(app, [*args, *extra])
            assert "Traceback" not in res.output
            return res

        res = run("--regions", "us-east-1,eu-west-1", "--services", "AmazonEC2")  # network failure: exit 1
        assert res.exit_code == 1 and "HTTP 404" in res.stderr and "eu-west-1/index.csv" in res.stderr
        res = run("--regions", "us-east-1,mars-1")
        assert res.exit_code == 2 and "unknown region 'mars-1'" in res.stderr and "valid regions: us-east-1" in res.stderr
        res = run("--regions", "us-east-1", "--services", "AmazonEC2,Lambda")
        assert res.exit_code == 2 and "unknown service 'Lambda'" in res.stderr and "savings-plans" in res.stderr
        res = run("--regions", "us-east-1", "--services", "ec2-spot")
        assert res.exit_code == 2 and "--source query" in res.stderr
        res = run("--regions", "ap-south-1", "--services", "AmazonEC2")  # a region the region index lacks
        assert res.exit_code == 2 and "AmazonEC2 has no price list for ap-south-1" in res.stderr
        assert "regions it lists: eu-west-1, us-east-1" in res.stderr
        site.html.add("/offers/v1.0/aws/index.json")
        res = run("--regions", "us-east-1", "--services", "AmazonEC2")
        assert res.exit_code == 2 and "index.json: is an HTML/XML page, not the JSON offer index" in res.stderr
    monkeypatch.setenv("COSTPLAN_PRICE_LIST_URL", "ftp://example.invalid")
    res = run("--regions", "us-east-1", "--dry-run")
    assert res.exit_code == 2 and "COSTPLAN_PRICE_LIST_URL" in res.stderr
    assert files_of(base.parent) == before


@pytest.mark.parametrize(
    "damage,needle",
    [
        (lambda b: b[: b.rindex(b"\n", 0, len(b) - 1) + 40], f"cannot be read as a CSV price list file with {len(EC2_COLUMNS)} columns"),
        (lambda b: b.replace(b'"Operating System"', b'"OS"', 1), "has no column 'operatingSystem'"),
        (lambda b: b.replace(b'"Publication Date"', b'"Published"', 1), "expected the metadata line \"Publication Date\""),
        (lambda b: b.replace(b'"0.0960000000"', b'"n/a"', 1), "is not a number: 'n/a'"),
        (lambda b: b.replace(b'"OfferCode","AmazonEC2"', b'"OfferCode","AmazonRDS"', 1), "price list of 'AmazonRDS'"),
    ],
    ids=["truncated-file", "missing-column", "metadata", "bad-price", "wrong-offer"],
)
def test_a_damaged_offer_file_is_bad_input_naming_the_url(base, tmp_path, damage, needle):
    before = files_of(base.parent)
    files = static_files()
    files[EC2_CSV] = damage(files[EC2_CSV])
    with BulkSite(files) as site:
        with pytest.raises(InputError) as err:
            refresh(site, base, tmp_path)
    assert needle in str(err.value) and site.url + EC2_CSV in str(err.value)
    assert "nothing was written" in str(err.value)
    assert files_of(base.parent) == before
    if "truncated" in needle or "columns" in needle:  # a damaged cached copy is not kept
        assert not (tmp_path / "cache/AmazonEC2/20261120000000/us-east-1/index.csv").exists()


def test_reference_stack_priced_like_the_snapshot_from_bulk_files(base, tmp_path):
    """The bulk files carry the snapshot's own prices for every key the UltiBiker estimate uses
    (built from the snapshot rows as Price List items, tests/test_refresh_equivalence.item_for,
    then written as CSV rows): the refreshed catalog prices the reference stack identically."""
    from test_refresh_equivalence import item_for

    from costplan.config import DEFAULT_STACK
    from costplan.estimator import estimate
    from costplan.stack import load_stack

    before_cat = Catalog.load(base)
    stack = load_stack(DEFAULT_STACK)
    before = estimate(stack, catalog=before_cat)
    used = before.lines[before.lines.component_kind != "commitment"]
    per_file: dict[tuple[str, str], list[dict]] = {}
    keys = set()
    for r in used.itertuples():
        key = (r.ServiceCode, r.sku, r.RegionId, r.usage, r.variant if isinstance(r.variant, str) else "", r.pricing_model)
        if key in keys or r.pricing_model != "on_demand":
            continue
        item = item_for(before_cat.tiers(*key), len(keys))
        if item is not None:
            keys.add(key)
            per_file.setdefault((r.ServiceCode, r.RegionId), []).extend(item_rows(item))
    assert len(keys) >= 20 and {s for s, _ in per_file} == {
        "AmazonEC2", "AmazonEKS", "AWSELB", "AmazonRDS", "AmazonElastiCache", "AmazonS3", "AmazonCloudWatch",
        "AmazonVPC", "awskms", "AWSDataTransfer", "AmazonECR", "AmazonEFS", "AWSConfig", "AWSCloudTrail", "awswaf"}
    offers = sorted({s for s, _ in per_file})
    for o in offers:  # AWS has a file for every region; one may hold nothing the stack uses
        for region in ("us-east-1", "eu-west-1"):
            per_file.setdefault((o, region), [])
    files = site_files({k: offer_csv(k[0], rows) for k, rows in per_file.items()})
    with BulkSite(files) as site:
        result = refresh(site, base, tmp_path, services=",".join(offers),
                         regions="us-east-1,eu-west-1")
    assert result.unmapped == {} and result.conflicts == []
    after = estimate(stack, catalog=Catalog.load(result.path))
    cols = ["component", "sku", "usage", "variant", "pricing_model", "PricingQuantity", "ListUnitPrice", "ListCost"]
    assert after.lines[cols].equals(before.lines[cols])
    assert after.total_monthly_cost == before.total_monthly_cost
    bulk_lines = after.lines[after.lines.price_source.str.startswith("aws-price-list-bulk:")]
    assert len(bulk_lines) >= len(keys)
    # data transfer, CloudWatch (metrics, alarms, logs, flow logs), public IPv4 and KMS included
    assert {"AWSDataTransfer", "AmazonCloudWatch", "AmazonVPC", "awskms"} <= set(bulk_lines.ServiceCode)
    for sku in ("data-transfer-out-internet", "data-transfer-inter-region", "data-transfer-inter-az",
                "cloudwatch-metrics", "cloudwatch-alarm", "cloudwatch-logs", "vpc-flow-logs", "public-ipv4",
                "kms-key", "kms-requests", "ecr-storage", "efs-standard", "config", "cloudtrail", "waf-web-acl",
                "waf-rule", "waf-requests"):
        assert (bulk_lines.sku == sku).any(), sku
    assert not math.isnan(after.total_monthly_cost)


def test_data_transfer_cloudwatch_public_ipv4_and_kms_files_become_catalog_rows(base, tmp_path):
    """tests/data/aws/bulk: the us-east-1 offer files of AWSDataTransfer, AmazonCloudWatch,
    AmazonVPC and awskms (AWS's published list prices, see PROVENANCE.md)."""
    with BulkSite(static_files()) as site:
        result = refresh(site, base, tmp_path, services="AWSDataTransfer,AmazonCloudWatch,AmazonVPC,awskms")
    cat = Catalog.load(result.path)

    def tiers(service, sku, usage, variant=""):
        return [(t.tier_start, t.tier_end, t.unit_price, t.unit)
                for t in cat.tiers(service, sku, "us-east-1", usage, variant, "on_demand")]

    inf = math.inf
    # internet out: the file's four tiers as they are (GB per month)
    assert tiers("AWSDataTransfer", "data-transfer-out-internet", "gb") == [
        (0, 10240, 0.09, "GB"), (10240, 51200, 0.085, "GB"), (51200, 153600, 0.07, "GB"), (153600, inf, 0.05, "GB")]
    assert tiers("AWSDataTransfer", "data-transfer-inter-az", "gb") == [(0, inf, 0.01, "GB")]
    # to us-west-2 and to eu-west-1 both 0.02: one price per source region, no conflict
    assert tiers("AWSDataTransfer", "data-transfer-inter-region", "gb") == [(0, inf, 0.02, "GB")]
    assert result.conflicts == []
    assert tiers("AmazonCloudWatch", "cloudwatch-metrics", "metric-month") == [
        (0, 10000, 0.3, "Metrics-Mo"), (10000, 250000, 0.1, "Metrics-Mo"), (250000, 1e6, 0.05, "Metrics-Mo"),
        (1e6, inf, 0.02, "Metrics-Mo")]
    assert tiers("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "standard") == [(0, inf, 0.1, "Alarms-Mo")]
    assert tiers("AmazonCloudWatch", "cloudwatch-alarm", "alarm-month", "high-resolution") == [(0, inf, 0.3, "Alarms-Mo")]
    assert tiers("AmazonCloudWatch", "cloudwatch-logs", "ingest-gb") == [(0, inf, 0.5, "GB")]
    assert tiers("AmazonCloudWatch", "cloudwatch-logs", "storage-gb-month") == [(0, inf, 0.03, "GB-Mo")]
    assert tiers("AmazonCloudWatch", "vpc-flow-logs", "ingest-gb", "cloudwatch-logs") == [
        (0, 10240, 0.5, "GB"), (10240, 30720, 0.25, "GB"), (30720, 51200, 0.1, "GB"), (51200, inf, 0.05, "GB")]
    assert tiers("AmazonVPC", "public-ipv4", "hour") == [(0, inf, 0.005, "Hrs")]
    assert tiers("awskms", "kms-key", "key-month") == [(0, inf, 1.0, "Keys-Mo")]
    # $0.000003 per request in the file = 0.000003 x 10,000 = $0.03 per 10,000 requests
    assert tiers("awskms", "kms-requests", "10k-requests") == [(0, inf, 0.03, "10K requests")]
    # the rows the catalog does not price are counted, not dropped silently: metric streams, an
    # idle address, KMS's account-wide free tier, transfer to CloudFront and inbound transfer
    assert sum(result.unmapped.values()) == 5, result.unmapped
    assert result.empty == []


def test_mysql_instances_and_a_unit_the_refresh_does_not_know(base, tmp_path):
    def od(sku, price, unit, family, **cols):
        return {"SKU": sku, "OfferTermCode": "JRTCKXETXF", "RateCode": f"{sku}.JRTCKXETXF.0", "TermType": "OnDemand",
                "StartingRange": "0", "EndingRange": "Inf", "Unit": unit, "PricePerUnit": price, "Currency": "USD",
                "Product Family": family, "Location": "US East (N. Virginia)", "Location Type": "AWS Region",
                "Region Code": "us-east-1", **cols}

    rds = [od("MYSQLT4GLARGE001", "0.1290000000", "Hrs", "Database Instance", serviceCode="AmazonRDS",
              **{"Instance Type": "db.t4g.large", "Database Engine": "MySQL", "Deployment Option": "Single-AZ",
                 "usageType": "InstanceUsage:db.t4g.large"})]
    # a KMS key priced in a unit costplan does not know: counted, never converted, and the
    # refresh still succeeds with the last good price kept
    kms = [od("KMSKEYSODDUNIT01", "1.0000000000", "KeyWeeks", "Encryption Key", serviceCode="awskms",
              usageType="us-east-1-KMS-Keys")]
    files = site_files({("AmazonRDS", "us-east-1"): offer_csv("AmazonRDS", rds),
                        ("awskms", "us-east-1"): offer_csv("awskms", kms)})
    before = Catalog.load(base).price("awskms", "kms-key", "us-east-1", "key-month")
    with BulkSite(files) as site:
        result = refresh(site, base, tmp_path, services="AmazonRDS,awskms")
    cat = Catalog.load(result.path)
    p = cat.price("AmazonRDS", "db.t4g.large", "us-east-1", "instance-hour", "mysql:single-az")
    assert (p.unit_price, p.source) == (0.129, "aws-price-list-bulk:AmazonRDS:2026-11-20")
    kept = cat.price("awskms", "kms-key", "us-east-1", "key-month")
    assert (kept.unit_price, kept.source) == (before.unit_price, before.source)
    assert any("unit KeyWeeks" in k for k in result.unmapped), result.unmapped
