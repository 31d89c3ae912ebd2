"""`costplan estimate` and `costplan prices show` run as a user runs them (subprocess)."""

from __future__ import annotations

import json

import pytest
from cli_runner import costplan
from helpers import LIST

from costplan.pricing.catalog import write_catalog

STACK = """\
name: cli
regions:
  us-east-1:
    eks_clusters: {main: {count: 1}}
    node_pools:
      app: {instance_types: [c5.xlarge], count: 6}
"""


@pytest.fixture
def cat(tmp_path):
    return str(write_catalog(LIST, tmp_path / "cat" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"}))


def test_estimate_json(write, cat):
    s = write("s.yaml", STACK)
    r = costplan("estimate", str(s), "--catalog", cat, "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["total_monthly_cost"] == pytest.approx(6 * 0.17 * 730 + 0.10 * 730)
    app = [x for x in out["lines"] if x["component"] == "us-east-1/node_pools/app"][0]
    assert app["monthly_cost"] == pytest.approx(744.60)
    assert app["unit_price"] == 0.17 and app["unit"] == "Hrs" and app["price_source"] == "test-list-price"


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_estimate_other_formats(write, cat, fmt):
    r = costplan("estimate", str(write("s.yaml", STACK)), "--catalog", cat, "--format", fmt)
    assert r.code == 0, r.err
    assert "744.6" in r.out


def test_estimate_by_service(write, cat):
    r = costplan("estimate", str(write("s.yaml", STACK)), "--catalog", cat, "--by", "ServiceName", "--format", "csv")
    assert r.code == 0, r.err
    assert "Amazon Elastic Compute Cloud,744.6" in r.out


@pytest.mark.parametrize(
    "text, fragment",
    [
        (STACK.replace("c5.xlarge", "c5.xlarg"), "did you mean 'c5.xlarge'"),
        (STACK.replace("us-east-1", "us-east-7"), "unknown region 'us-east-7'"),
        (STACK.replace("count: 6", "count: -6"), "greater than or equal to 0"),
        ("name: [", "YAML syntax error"),
        ("", "empty"),
    ],
)
def test_bad_stack_exits_2_without_traceback(write, cat, text, fragment):
    r = costplan("estimate", str(write("s.yaml", text)), "--catalog", cat)
    assert r.code == 2
    assert fragment in r.err
    assert "s.yaml" in r.err
    assert "Traceback" not in r.err + r.out


def test_missing_stack_file(cat, tmp_path):
    r = costplan("estimate", str(tmp_path / "nope.yaml"), "--catalog", cat)
    assert r.code == 2 and "file not found" in r.err and "Traceback" not in r.err


def test_bad_option_value_exits_2(write, cat):
    r = costplan("estimate", str(write("s.yaml", STACK)), "--catalog", cat, "--format", "xml")
    assert r.code == 2


def test_prices_show(cat):
    r = costplan("prices", "show", "c5.xlarge", "--region", "us-east-1", "--catalog", cat, "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    models = {x["pricing_model"]: x for x in rows}
    assert models["on_demand"]["unit_price"] == 0.17
    assert {"spot", "savings_plan"} <= set(models)
    for x in rows:
        for k in ("sku", "region", "usage", "unit", "unit_price", "source", "as_of"):
            assert x[k] not in (None, "")


def test_prices_show_unknown_sku_and_region(cat):
    r = costplan("prices", "show", "c5.larg", "--catalog", cat)
    assert r.code == 2 and "did you mean 'c5.large'" in r.err
    r = costplan("prices", "show", "c5.large", "--region", "eu-west-1", "--catalog", cat)
    assert r.code == 2 and "priced in: us-east-1" in r.err


def test_help_lists_commands_with_examples():
    r = costplan("--help")
    assert r.code == 0
    assert "estimate" in r.out and "prices" in r.out and "Examples" in r.out
    r = costplan("estimate", "--help")
    assert r.code == 0 and "costplan estimate data/ultibiker/stack.yaml --compare" in r.out


def test_version_on_its_own():
    from importlib.metadata import version

    res = costplan("--version")
    assert res.code == 0 and res.out.strip() == version("costplan")
