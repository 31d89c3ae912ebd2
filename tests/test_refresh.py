"""The catalog refresh against stubbed AWS answers (botocore Stubber, no network).

Each test builds a small last-good catalog in tmp_path, stubs the exact requests the refresh
must make, and checks what was written (or, on failure, that nothing changed).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from pathlib import Path

import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from costplan.errors import InputError
from costplan.pricing.catalog import Catalog, Price, write_catalog
from costplan.pricing.refresh import RefreshError, RefreshResult, merge_prices, refresh_catalog

DATA = Path(__file__).parent / "data" / "aws" / "pricing"
TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch):
    from helpers import FAKE_AWS_ENV

    for k, v in FAKE_AWS_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def load(name: str):
    return json.loads((DATA / name).read_text())


class StubSession:
    """A boto3 session whose clients are real botocore clients with a Stubber attached."""

    def __init__(self):
        import boto3

        self._session = boto3.Session(region_name="us-east-1")
        self._clients: dict[tuple[str, str], object] = {}
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    def stub(self, name: str, region: str) -> Stubber:
        key = (name, region)
        if key not in self.stubbers:
            client = self._session.client(name, region_name=region)
            self._clients[key] = client
            self.stubbers[key] = Stubber(client)
            self.stubbers[key].activate()
        return self.stubbers[key]

    def client(self, name, region_name=None, config=None):
        key = (name, region_name)
        if key not in self._clients:
            raise AssertionError(f"unexpected client {key}")
        return self._clients[key]

    def assert_done(self):
        for stub in self.stubbers.values():
            stub.assert_no_pending_responses()


def price(sku, unit_price, *, service="AmazonEC2", region="us-east-1", usage="instance-hour", variant="", model="on_demand",
          term="", option="", cls_="", band="", source="test-snapshot", start=0.0, end=math.inf, unit="Hrs", verified=True):
    return Price(service, sku, region, usage, variant, model, term, option, cls_, start, end, unit, unit_price, band,
                 source, "2026-07-20", verified, "")


@pytest.fixture
def base(tmp_path) -> Path:
    """A last-good catalog: an old m5.large price, prices that will not be refreshed, a spot row."""
    rows = [
        price("m5.large", 0.090),
        price("r5.xlarge", 0.252),
        price("m5.large", 0.041, model="spot", band=">20%"),
        price("eks-cluster", 0.10, service="AmazonEKS", usage="cluster-hour", variant="standard"),
        price("cache.r7g.large", 0.219, service="AmazonElastiCache", usage="node-hour", variant="redis",
              source="ec2instances-info-2025-04-24", verified=False),
    ]
    manifest = {
        "generated": "2026-07-21T00:00:00+00:00",
        "as_of": "2026-07-20",
        "sources": [
            {"id": "test-snapshot", "url": "https://example.invalid", "as_of": "2026-07-20", "license": "", "notes": ""},
            {"id": "ec2instances-info-2025-04-24", "url": "", "as_of": "2025-04-24", "license": "", "notes": ""},
        ],
    }
    return write_catalog(rows, tmp_path / "cat" / "aws-prices_2026-07-20.csv", manifest)


def term(field, value):
    return {"Type": "TERM_MATCH", "Field": field, "Value": value}


def products_params(service, region, extra=(), token=None):
    p = {"ServiceCode": service, "Filters": [term("regionCode", region), *[term(k, v) for k, v in extra]],
         "FormatVersion": "aws_v1", "MaxResults": 100}
    if token:
        p["NextToken"] = token
    return p


EC2_INSTANCES = (("productFamily", "Compute Instance"), ("operatingSystem", "Linux"), ("tenancy", "Shared"),
                 ("preInstalledSw", "NA"), ("capacitystatus", "Used"))


def m5_item(region_code=None):
    item = load("get_products_ec2_m5_large.json")
    if region_code:
        item["product"]["attributes"]["regionCode"] = region_code
    return item


def c5_item():
    """The m5.large item re-labelled as c5.large at $0.085/h (no reserved terms)."""
    item = m5_item()
    item["product"]["sku"] = "C5LARGESKU000001"
    item["product"]["attributes"]["instanceType"] = "c5.large"
    item["terms"] = {"OnDemand": copy.deepcopy(item["terms"]["OnDemand"])}
    term_ = next(iter(item["terms"]["OnDemand"].values()))
    next(iter(term_["priceDimensions"].values()))["pricePerUnit"]["USD"] = "0.0850000000"
    return item


def stub_ec2(session: Stubber, region="us-east-1"):
    """All six EC2 get_products requests; instances over two pages; snapshots empty."""
    st = session.stub("pricing", "us-east-1")
    st.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [json.dumps(m5_item())], "NextToken": "tok-2"},
                    products_params("AmazonEC2", region, EC2_INSTANCES))
    st.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [json.dumps(c5_item())]},
                    products_params("AmazonEC2", region, EC2_INSTANCES, token="tok-2"))
    storage = {i["product"]["sku"]: i for i in load("get_products_storage.json")}
    for family, skus in [("Storage", ["EBSGP3STORUSE101"]), ("System Operation", ["EBSGP3IOPSUSE102"]),
                         ("Provisioned Throughput", ["EBSGP3TPUTUSE103"]), ("Storage Snapshot", [])]:
        st.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [json.dumps(storage[s]) for s in skus]},
                        products_params("AmazonEC2", region, [("productFamily", family)]))
    nat = [i for i in load("get_products_network.json") if i["product"]["productFamily"] == "NAT Gateway"]
    st.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [json.dumps(i) for i in nat]},
                    products_params("AmazonEC2", region, [("productFamily", "NAT Gateway")]))
    return st


def eks_items():
    return [json.dumps(i) for i in load("get_products_network.json") if i["serviceCode"] == "AmazonEKS"]


# -- dry run and input checks ----------------------------------------------------------------
def test_dry_run_lists_requests_and_calls_nothing(base):
    class NoAws:
        def client(self, *a, **k):
            raise AssertionError("a dry run must not create clients")

    before = base.read_bytes()
    r = refresh_catalog(NoAws(), "us-east-1,eu-west-1", "AmazonEC2,AmazonEKS,ec2-spot", base=base, dry_run=True, today=TODAY)
    assert r.dry_run and r.path is None and r.calls == 0
    assert r.target == base.parent / "aws-prices_2026-11-26.csv"
    assert not r.target.exists() and base.read_bytes() == before
    # 6 EC2 queries + 1 EKS query per region, and spot only for the type with a spot price
    assert len(r.requests) == 2 * 6 + 2 * 1 + 1
    first = r.requests[0]
    assert (first.client, first.client_region, first.operation) == ("pricing", "us-east-1", "get_products")
    assert first.params == products_params("AmazonEC2", "us-east-1", EC2_INSTANCES)
    spot = [q for q in r.requests if q.operation == "describe_spot_price_history"]
    assert [(q.region, q.params["InstanceTypes"]) for q in spot] == [("us-east-1", ["m5.large"])]
    assert spot[0].params["StartTime"] == dt.datetime(2026, 10, 27, tzinfo=dt.UTC)
    assert any("eu-west-1" in w and "spot" in w for w in r.warnings)


@pytest.mark.parametrize(
    "regions,services,needle",
    [("us-east-1,eu-westt-1", None, "eu-west-1"), ("us-east-1", "AmazonEC2,EC2", "AmazonElastiCache"), ("", None, "us-east-1")],
)
def test_bad_regions_or_services_name_the_valid_ones(base, regions, services, needle):
    with pytest.raises(InputError) as exc:
        refresh_catalog(None, regions, services, base=base, dry_run=True)
    assert needle in str(exc.value) and "valid" in str(exc.value)


# -- a good refresh --------------------------------------------------------------------------
def test_refresh_ec2_pages_merges_and_writes(base):
    session = StubSession()
    stub_ec2(session)
    seen = []
    r = refresh_catalog(session, ["us-east-1"], ["AmazonEC2"], base=base, today=TODAY,
                        progress=lambda d, t, m: seen.append((d, t)))
    session.assert_done()
    assert r.path == base.parent / "aws-prices_2026-11-26.csv"
    assert r.calls == 7  # six requests, the first over two pages
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    cat = Catalog.load(r.path)
    od = cat.price("AmazonEC2", "m5.large", "us-east-1", "instance-hour")
    assert od.unit_price == pytest.approx(0.096)  # replaced the old 0.090
    assert (od.source, od.as_of, od.verified) == ("aws-price-list-api:AmazonEC2:2021-02-05", "2026-11-26", True)
    assert cat.price("AmazonEC2", "c5.large", "us-east-1", "instance-hour").unit_price == pytest.approx(0.085)
    ri = cat.price("AmazonEC2", "m5.large", "us-east-1", "instance-hour", pricing_model="reserved", term="1yr",
                   purchase_option="all-upfront", offering_class="standard")
    assert ri.unit_price == pytest.approx(494 / 8760)
    assert cat.price("AmazonEC2", "nat-gateway", "us-east-1", "hour").unit_price == pytest.approx(0.045)
    assert cat.price("AmazonEC2", "gp3", "us-east-1", "throughput-mbps-month").unit_price == pytest.approx(40.96 / 1024)
    # not refreshed: kept exactly
    kept = cat.price("AmazonEC2", "r5.xlarge", "us-east-1", "instance-hour")
    assert (kept.unit_price, kept.source, kept.as_of) == (0.252, "test-snapshot", "2026-07-20")
    assert cat.price("AmazonEC2", "m5.large", "us-east-1", "instance-hour", pricing_model="spot").unit_price == 0.041
    assert cat.has("AmazonElastiCache", "cache.r7g.large", "us-east-1", "node-hour", "redis")
    # 1 on-demand + 12 reserved (m5), 1 (c5), gp3 storage/iops/throughput, NAT hour/GB
    assert sum(r.refreshed.values()) == 13 + 1 + 3 + 2
    assert (r.rows_replaced, r.rows_kept) == (1, 4)
    assert r.rows_added == 18 and len(cat) == 4 + 19
    assert r.empty == ["pricing.get_products AmazonEC2 us-east-1 (productFamily=Storage Snapshot)"]
    manifest = json.loads((base.parent / "manifest.json").read_text())
    ids = [s["id"] for s in manifest["sources"]]
    # each row's source names its own item's publication date (the recorded m5.large item is from 2021)
    assert ids == ["test-snapshot", "ec2instances-info-2025-04-24", "aws-price-list-api:AmazonEC2:2021-02-05",
                   "aws-price-list-api:AmazonEC2:2026-11-20"]
    assert manifest["as_of"] == "2026-11-26" and manifest["file"] == "aws-prices_2026-11-26.csv"
    assert manifest["rows"] == len(cat)
    # the previous file is still there, untouched, and the new one is the newest
    assert base.exists()
    assert Catalog.load(base.parent).path == r.path


def test_two_refreshes_of_the_same_prices_are_byte_identical(base, tmp_path):
    outs = []
    for i in range(2):
        session = StubSession()
        session.stub("pricing", "us-east-1").add_response(
            "get_products", {"PriceList": eks_items()}, products_params("AmazonEKS", "us-east-1"))
        out = tmp_path / f"out{i}" / "aws-prices_2026-11-26.csv"
        outs.append(refresh_catalog(session, "us-east-1", "AmazonEKS", out, base=base, today=TODAY).path)
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_throttling_is_retried_with_backoff(base):
    session = StubSession()
    st = session.stub("pricing", "us-east-1")
    params = products_params("AmazonEKS", "us-east-1")
    st.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400, expected_params=params)
    st.add_client_error("get_products", "TooManyRequestsException", "Slow down", 429, expected_params=params)
    st.add_response("get_products", {"PriceList": eks_items()}, params)
    sleeps = []
    r = refresh_catalog(session, "us-east-1", "AmazonEKS", base=base, today=TODAY, sleep=sleeps.append)
    session.assert_done()
    assert sleeps == [1.0, 2.0]
    assert (r.calls, r.retries) == (3, 2)
    cat = Catalog.load(r.path)
    assert cat.price("AmazonEKS", "eks-cluster", "us-east-1", "cluster-hour", "extended").unit_price == pytest.approx(0.60)
    assert r.unmapped == {"AmazonEKS usage 'Fargate-vCPU-Hours:perCPU'": 1}


# -- failures keep the last good catalog -----------------------------------------------------
def snapshot_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_throttling_that_outlasts_the_retries_fails_and_writes_nothing(base):
    before = snapshot_files(base.parent)
    session = StubSession()
    st = session.stub("pricing", "us-east-1")
    for _ in range(3):
        st.add_client_error("get_products", "ThrottlingException", "Rate exceeded", 400,
                            expected_params=products_params("AmazonEKS", "us-east-1"))
    sleeps = []
    with pytest.raises(RefreshError, match="AmazonEKS us-east-1.*ThrottlingException.*still throttled.*not changed") as exc:
        refresh_catalog(session, "us-east-1", "AmazonEKS", base=base, today=TODAY, sleep=sleeps.append, max_attempts=3)
    assert sleeps == [1.0, 2.0]
    assert exc.value.result.calls == 3
    assert snapshot_files(base.parent) == before


def test_malformed_item_fails_naming_the_sku_and_keeps_the_catalog_byte_identical(base):
    before = snapshot_files(base.parent)
    bad = m5_item()
    next(iter(bad["terms"]["OnDemand"].values()))["priceDimensions"] = {}
    session = StubSession()
    st = session.stub("pricing", "us-east-1")
    st.add_response("get_products", {"PriceList": eks_items()}, products_params("AmazonEKS", "us-east-1"))
    st.add_response("get_products", {"PriceList": [json.dumps(bad)]}, products_params("AmazonEC2", "us-east-1", EC2_INSTANCES))
    # writing over the very file refreshed: a failure must leave it as it was
    with pytest.raises(RefreshError) as exc:
        refresh_catalog(session, "us-east-1", "AmazonEKS,AmazonEC2", base, base=base, today=TODAY)
    msg = str(exc.value)
    assert "6C86BEPQVG73ZGGR" in msg and "priceDimensions" in msg
    assert "1 request(s) had succeeded before; nothing from them was written" in msg
    assert snapshot_files(base.parent) == before


def test_access_denied_points_at_the_permissions(base):
    before = snapshot_files(base.parent)
    session = StubSession()
    session.stub("savingsplans", "us-east-1").add_client_error(
        "describe_savings_plans_offering_rates", "AccessDeniedException", "not authorized", 403)
    with pytest.raises(RefreshError, match="AccessDeniedException.*IAM permissions"):
        refresh_catalog(session, "us-east-1", "savings-plans", base=base, today=TODAY)
    assert snapshot_files(base.parent) == before


def test_empty_answer_replaces_nothing(base):
    before = snapshot_files(base.parent)
    session = StubSession()
    session.stub("pricing", "us-east-1").add_response(
        "get_products", {"FormatVersion": "aws_v1", "PriceList": []}, products_params("AmazonEKS", "us-east-1"))
    r = refresh_catalog(session, "us-east-1", "AmazonEKS", base=base, today=TODAY)
    assert r.path is None and r.calls == 1
    assert r.empty == ["pricing.get_products AmazonEKS us-east-1"]
    assert any("nothing was written" in w for w in r.warnings)
    assert snapshot_files(base.parent) == before


def test_a_key_priced_twice_differently_keeps_the_last_good_price(base):
    other = c5_item()
    other["product"]["sku"] = "M5LARGEDUPLICATE"
    other["product"]["attributes"]["instanceType"] = "m5.large"  # m5.large again, at 0.085
    session = StubSession()
    session.stub("pricing", "us-east-1").add_response(
        "get_products", {"PriceList": [json.dumps(m5_item()), json.dumps(other)]},
        products_params("AmazonEC2", "us-east-1", EC2_INSTANCES))
    for family in ("Storage", "System Operation", "Provisioned Throughput", "Storage Snapshot", "NAT Gateway"):
        session.stub("pricing", "us-east-1").add_response(
            "get_products", {"PriceList": []}, products_params("AmazonEC2", "us-east-1", [("productFamily", family)]))
    r = refresh_catalog(session, "us-east-1", "AmazonEC2", base=base, today=TODAY)
    assert len(r.conflicts) == 1 and "6C86BEPQVG73ZGGR vs M5LARGEDUPLICATE" in r.conflicts[0]
    cat = Catalog.load(r.path)
    assert cat.price("AmazonEC2", "m5.large", "us-east-1", "instance-hour").unit_price == 0.090
    # the reserved prices were not in conflict and are refreshed
    assert cat.has("AmazonEC2", "m5.large", "us-east-1", "instance-hour", pricing_model="reserved", term="3yr",
                   purchase_option="no-upfront", offering_class="standard")


# -- Savings Plans and spot -------------------------------------------------------------------
def test_savings_plans_and_spot_over_pages(base):
    session = StubSession()
    sp_pages = load("describe_savings_plans_offering_rates_pages.json")
    sp_params = {
        "savingsPlanTypes": ["Compute", "EC2Instance"], "products": ["EC2"], "serviceCodes": ["AmazonEC2"],
        "filters": [{"name": "region", "values": ["us-east-1"]}, {"name": "tenancy", "values": ["shared"]},
                    {"name": "productDescription", "values": ["Linux/UNIX"]}],
        "maxResults": 1000,
    }
    sp = session.stub("savingsplans", "us-east-1")
    sp.add_response("describe_savings_plans_offering_rates", sp_pages[0], sp_params)
    sp.add_response("describe_savings_plans_offering_rates", sp_pages[1], {**sp_params, "nextToken": "sp-page-2"})
    spot_pages = load("describe_spot_price_history_m5_large_pages.json")
    end = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    spot_params = {"InstanceTypes": ["m5.large"], "ProductDescriptions": ["Linux/UNIX"],
                   "StartTime": end - dt.timedelta(days=30), "EndTime": end, "MaxResults": 1000}
    ec2 = session.stub("ec2", "us-east-1")
    for i, page in enumerate(spot_pages):
        params = dict(spot_params, **({"NextToken": spot_pages[i - 1]["NextToken"]} if i else {}))
        ec2.add_response("describe_spot_price_history", page, params)

    r = refresh_catalog(session, "us-east-1", "savings-plans,ec2-spot", base=base, today=TODAY)
    session.assert_done()
    assert r.calls == 2 + 3
    cat = Catalog.load(r.path)
    sp_row = cat.price("AmazonEC2", "m5.large", "us-east-1", "instance-hour", pricing_model="savings_plan",
                       term="1yr", purchase_option="no-upfront", offering_class="compute")
    assert sp_row.unit_price == pytest.approx(0.068)
    assert sp_row.source == "aws-savings-plans-api:2026-11-26"
    prices = sorted(float(s["SpotPrice"]) for p in spot_pages for s in p["SpotPriceHistory"])
    spot = cat.price("AmazonEC2", "m5.large", "us-east-1", "instance-hour", pricing_model="spot")
    assert spot.unit_price == pytest.approx((prices[124] + prices[125]) / 2)
    assert spot.interruption_band == ">20%"  # carried over from the last good catalog
    assert spot.source == "aws-ec2-spot-price-history:2026-10-27..2026-11-26"
    ids = {s["id"] for s in json.loads((base.parent / "manifest.json").read_text())["sources"]}
    assert {"aws-savings-plans-api:2026-11-26", "aws-ec2-spot-price-history:2026-10-27..2026-11-26"} <= ids
    assert "test-snapshot" in ids  # still used by kept rows


# -- the command line ------------------------------------------------------------------------
def run_cli(*args):
    from typer.testing import CliRunner

    from costplan.cli.app import app

    return CliRunner().invoke(app, ["prices", *args])


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--regions", "us-east-1,mars-1"], "valid regions: us-east-1"),
        (["--regions", "us-east-1", "--services", "AmazonEC2,Lambda"], "valid services: AmazonEC2, AmazonRDS"),
    ],
)
def test_cli_bad_selection_exits_2_naming_the_valid_values(base, args, needle):
    before = snapshot_files(base.parent)
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), *args)
    assert res.exit_code == 2
    assert needle in res.stderr and "Traceback" not in res.output
    assert snapshot_files(base.parent) == before


def test_cli_dry_run_json(base):
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), "--regions", "eu-west-1", "--services", "AmazonRDS", "--dry-run",
                  "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["dry_run"] is True
    # instances of each engine costplan prices (PostgreSQL, MySQL), then storage, IOPS, backups, RDS Proxy
    assert [r["params"]["Filters"][1]["Value"] for r in out["requests"]] == [
        "Database Instance", "Database Instance", "Database Storage", "Provisioned IOPS", "Storage Snapshot", "RDSProxy"
    ]
    assert [r["params"]["Filters"][2]["Value"] for r in out["requests"][:2]] == ["PostgreSQL", "MySQL"]
    assert {r["params"]["Filters"][0]["Value"] for r in out["requests"]} == {"eu-west-1"}
    assert len(list(base.parent.iterdir())) == 2  # the catalog and its manifest, nothing new


def test_cli_refresh_writes_and_reports(base, monkeypatch, tmp_path):
    session = StubSession()
    session.stub("pricing", "us-east-1").add_response(
        "get_products", {"PriceList": eks_items()}, products_params("AmazonEKS", "us-east-1"))
    monkeypatch.setattr("costplan.cli.prices.make_session", lambda profile: session)
    out = tmp_path / "new"
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), "--regions", "us-east-1", "--services", "AmazonEKS",
                  "--out", str(out), "--format", "json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    written = Path(summary["path"])
    assert written.parent == out and written.name.startswith("aws-prices_")
    assert summary["refreshed"] == {"AmazonEKS us-east-1": 2}
    assert summary["unmapped"] == {"AmazonEKS usage 'Fargate-vCPU-Hours:perCPU'": 1}
    assert Catalog.load(written).price("AmazonEKS", "eks-cluster", "us-east-1", "cluster-hour", "standard").unit_price == 0.1


def test_cli_failed_refresh_exits_1_and_keeps_the_catalog(base, monkeypatch):
    before = snapshot_files(base.parent)
    session = StubSession()
    session.stub("pricing", "us-east-1").add_client_error("get_products", "AccessDeniedException", "no", 403)
    monkeypatch.setattr("costplan.cli.prices.make_session", lambda profile: session)
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), "--regions", "us-east-1", "--services", "AmazonEKS")
    assert res.exit_code == 1
    assert "AccessDeniedException" in res.stderr and "was not changed" in res.stderr
    assert snapshot_files(base.parent) == before


def test_spot_history_is_requested_in_batches_of_instance_types(base):
    types = [f"c5.{n}xlarge" for n in range(2, 122)]  # 120 made-up sizes
    r = refresh_catalog(None, "us-east-1", "ec2-spot", base=base, dry_run=True, spot_instance_types=types)
    batches = [q.params["InstanceTypes"] for q in r.requests]
    assert [len(b) for b in batches] == [50, 50, 20]
    assert sorted(t for b in batches for t in b) == sorted(types)


# -- merging, as a property ------------------------------------------------------------------
SKUS = ["c5.large", "c5.xlarge", "m5.large", "m5.2xlarge", "r5.xlarge", "t3.micro"]
PRICES = st.dictionaries(st.sampled_from(SKUS), st.floats(min_value=0, max_value=50, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(old=PRICES, new=PRICES)
def test_merge_replaces_refreshed_keys_and_keeps_the_rest(old, new):
    base_rows = [price(s, v) for s, v in old.items()]
    refreshed = {price(s, v).key: [price(s, v, source="refresh")] for s, v in new.items()}
    result = RefreshResult(requests=[])
    out = merge_prices(base_rows, refreshed, result)
    expected = {s: (v, "test-snapshot") for s, v in old.items()} | {s: (v, "refresh") for s, v in new.items()}
    assert {p.sku: (p.unit_price, p.source) for p in out} == expected
    assert len(out) == len(expected)
    assert result.rows_kept == len(old.keys() - new.keys())
    assert result.rows_replaced == len(old.keys() & new.keys())
    assert result.rows_added == len(new.keys() - old.keys())


def test_cli_unknown_profile_exits_2(base):
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), "--regions", "us-east-1", "--services", "AmazonEKS",
                  "--profile", "no-such-profile")
    assert res.exit_code == 2
    assert "no-such-profile" in res.stderr and "Traceback" not in res.output


def test_missing_credentials_fail_cleanly(base, monkeypatch):
    import boto3

    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    before = snapshot_files(base.parent)
    with pytest.raises(RefreshError, match="Unable to locate credentials.*configure AWS credentials"):
        refresh_catalog(boto3.Session(), "us-east-1", "AmazonEKS", base=base, today=TODAY)
    assert snapshot_files(base.parent) == before


def test_refresh_into_an_empty_folder_writes_there(tmp_path):
    folder = tmp_path / "fresh"
    folder.mkdir()
    session = StubSession()
    session.stub("pricing", "us-east-1").add_response(
        "get_products", {"PriceList": eks_items()}, products_params("AmazonEKS", "us-east-1"))
    r = refresh_catalog(session, "us-east-1", "AmazonEKS", base=folder, today=TODAY)
    assert r.path == folder / "aws-prices_2026-11-26.csv"
    assert (r.rows_kept, r.rows_added) == (0, 2)


def test_tiers_with_a_gap_are_not_written(base):
    s3 = [i for i in load("get_products_storage.json") if i["product"]["sku"] == "S3STANDARDUSE104"][0]
    dims = next(iter(s3["terms"]["OnDemand"].values()))["priceDimensions"]
    first = next(iter(dims.values()))
    first["endRange"] = "40000"  # next tier starts at 51200: a gap
    session = StubSession()
    st_ = session.stub("pricing", "us-east-1")
    st_.add_response("get_products", {"PriceList": [json.dumps(s3)]},
                     products_params("AmazonS3", "us-east-1", [("productFamily", "Storage")]))
    st_.add_response("get_products", {"PriceList": []},
                     products_params("AmazonS3", "us-east-1", [("productFamily", "API Request")]))
    r = refresh_catalog(session, "us-east-1", "AmazonS3", base=base, today=TODAY)
    assert r.path is None and len(r.conflicts) == 1 and "40000" in r.conflicts[0]


def test_prices_for_another_region_are_reported_not_merged(base):
    elb = [json.dumps(i) for i in load("get_products_network.json") if i["serviceCode"] == "AWSELB"]  # eu-west-1 items
    session = StubSession()
    session.stub("pricing", "us-east-1").add_response("get_products", {"PriceList": elb}, products_params("AWSELB", "us-east-1"))
    r = refresh_catalog(session, "us-east-1", "AWSELB", base=base, today=TODAY)
    assert r.path is None
    assert r.unmapped == {"AWSELB price for eu-west-1 in an answer for us-east-1": 2}


def test_cli_pricing_endpoint(base):
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), "--regions", "us-east-1", "--services", "AmazonEKS", "--dry-run",
                  "--pricing-endpoint", "eu-central-1", "--format", "json")
    assert res.exit_code == 0
    assert [r["client_region"] for r in json.loads(res.stdout)["requests"]] == ["eu-central-1"]
    res = run_cli("refresh", "--source", "query", "--catalog", str(base), "--regions", "us-east-1", "--dry-run", "--pricing-endpoint", "eu-west-1")
    assert res.exit_code == 2 and "us-east-1, ap-south-1, eu-central-1" in res.stderr
