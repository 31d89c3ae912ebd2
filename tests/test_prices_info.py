"""``costplan prices info``: dates, sources, counts and service x region coverage."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.pricing.catalog import Catalog, Price, write_catalog
from costplan.pricing.info import catalog_info


def row(service, sku, region, model="on_demand", verified=True, source="src-a", as_of="2026-07-20", usage="instance-hour"):
    return Price(service, sku, region, usage, "", model, "", "", "", 0.0, math.inf, "Hrs", 0.1, "", source, as_of, verified, "")


@pytest.fixture
def catalog_file(tmp_path):
    rows = [
        row("AmazonEC2", "c5.large", "us-east-1"),
        row("AmazonEC2", "c5.large", "us-east-1", model="spot", source="src-b", as_of="2025-06-28"),
        row("AmazonEC2", "c5.large", "eu-west-1", verified=False, source="src-b", as_of="2025-06-28"),
        row("AmazonEC2", "m5.large", "eu-west-1"),
        row("AmazonEKS", "eks-cluster", "us-east-1", usage="cluster-hour"),
        row("AmazonRoute53", "route53-hosted-zone", "global", usage="zone-month", source="src-c"),
    ]
    manifest = {
        "generated": "2026-11-26T10:00:00+00:00",
        "as_of": "2026-07-20",
        "sources": [
            {"id": "src-a", "url": "https://a.invalid", "as_of": "2026-07-20", "license": "Apache-2.0", "notes": "a"},
            {"id": "src-b", "url": "https://b.invalid", "as_of": "2025-06-28", "license": "MIT", "notes": "b"},
        ],
    }
    return write_catalog(rows, tmp_path / "aws-prices_2026-07-20.csv", manifest)


def loaded(path, form: str) -> Catalog:
    """The catalog at ``path`` as a CSV load builds it (Price objects) or from its binary
    snapshot (raw rows, prices built on first use): the summary counts both alike."""
    from costplan.pricing.catalog import _Index

    catalog = Catalog.load(path)
    if form == "snapshot":
        catalog = Catalog.load(path)  # the first load wrote the snapshot
        assert isinstance(catalog._index, _Index)
        return catalog
    return Catalog.from_prices(list(catalog), catalog.manifest)


@pytest.mark.parametrize("form", ["prices", "snapshot"])
def test_coverage_matrix(catalog_file, form):
    info = catalog_info(loaded(catalog_file, form))
    cov = {(r.service, r.region): (r.status, r.rows, r.estimate_rows) for r in info.coverage.itertuples()}
    assert cov[("AmazonEC2", "us-east-1")] == ("verified", 2, 0)
    assert cov[("AmazonEC2", "eu-west-1")] == ("estimate", 2, 1)
    assert cov[("AmazonEKS", "eu-west-1")] == ("missing", 0, 0)
    assert cov[("AmazonRoute53", "global")] == ("verified", 1, 0)
    # a global service has no regional cells, a regional one no global cell
    assert ("AmazonRoute53", "us-east-1") not in cov and ("AmazonEC2", "global") not in cov
    assert len(cov) == 2 + 2 + 1
    m = info.coverage_matrix()
    assert list(m.columns) == ["service", "eu-west-1", "us-east-1", "global"]
    ec2 = m.set_index("service").loc["AmazonEC2"]
    assert (ec2["eu-west-1"], ec2["us-east-1"], ec2["global"]) == ("estimate (1/2)", "verified (2)", "n/a")


@pytest.mark.parametrize("form", ["prices", "snapshot"])
def test_sources_counts_and_dates(catalog_file, form):
    info = catalog_info(loaded(catalog_file, form))
    src = info.sources.set_index("id")["rows"].to_dict()
    # src-c priced a row but is not in the manifest: listed, and flagged
    assert src == {"src-a": 3, "src-b": 2, "src-c": 1}
    assert info.sources.set_index("id").loc["src-c", "notes"] == "not listed in the manifest"
    counts = info.counts.set_index("service")
    assert (counts.loc["AmazonEC2", "on_demand"], counts.loc["AmazonEC2", "spot"], counts.loc["AmazonEC2", "total"]) == (3, 1, 4)
    s = info.summary
    assert (s["rows"], s["verified_rows"], s["estimate_rows"]) == (6, 5, 1)
    assert (s["as_of"], s["oldest_price"], s["newest_price"]) == ("2026-07-20", "2025-06-28", "2026-07-20")


def test_cli_info_formats(catalog_file):
    runner = CliRunner()
    res = runner.invoke(app, ["prices", "info", "--catalog", str(catalog_file), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["rows"] == 6
    assert {(c["service"], c["region"], c["status"]) for c in data["coverage"]} >= {("AmazonEKS", "eu-west-1", "missing")}
    res = runner.invoke(app, ["prices", "info", "--catalog", str(catalog_file), "--format", "markdown"])
    assert res.exit_code == 0
    assert "| AmazonEC2 | estimate (1/2) | verified (2) | n/a |" in res.stdout
    assert "| AmazonEKS | missing | verified (1) | n/a |" in res.stdout
    res = runner.invoke(app, ["prices", "info", "--catalog", str(catalog_file)])
    assert res.exit_code == 0 and "Coverage" in res.stdout and "src-b" in res.stdout
    res = runner.invoke(app, ["prices", "info", "--catalog", str(catalog_file), "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == "service,region,status,rows,verified_rows,estimate_rows"


def test_cli_info_missing_catalog_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["prices", "info", "--catalog", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2 and "not found" in res.stderr


@pytest.mark.parametrize(
    "sku,usage,tiers",
    [
        # AWS list prices, us-east-1: internet egress $0.09 first 10 TB, $0.085 next 40 TB, $0.07 next
        # 100 TB, $0.05 beyond; S3 Standard $0.023 first 50 TB, $0.022 next 450 TB, $0.021 beyond
        ("data-transfer-out-internet", "gb", [(0, 10240, 0.09), (10240, 51200, 0.085), (51200, 153600, 0.07),
                                              (153600, None, 0.05)]),
        ("s3-standard", "storage-gb-month", [(0, 51200, 0.023), (51200, 512000, 0.022), (512000, None, 0.021)]),
    ],
)
def test_cli_show_tiered_price_as_json(sku, usage, tiers):
    res = CliRunner().invoke(app, ["prices", "show", sku, "--region", "us-east-1", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = [r for r in json.loads(res.stdout) if r["usage"] == usage]
    assert [(r["tier_start"], r["tier_end"], r["unit_price"]) for r in rows] == tiers
