"""The catalog format: reading, validating, writing, looking up."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from helpers import LIST, P, mini_catalog

from costplan.errors import InputError, PriceNotFoundError
from costplan.pricing.catalog import COLUMNS, Catalog, tiered_cost, write_catalog


def test_lookup_and_missing_price_messages():
    cat = mini_catalog()
    assert cat.price("AmazonEC2", "c5.large", "us-east-1", "instance-hour").unit_price == 0.085
    with pytest.raises(PriceNotFoundError, match="did you mean 'c5.large'"):
        cat.price("AmazonEC2", "c5.larg", "us-east-1", "instance-hour")
    with pytest.raises(PriceNotFoundError, match="only in us-east-1"):
        cat.price("AmazonEC2", "c5.large", "eu-west-1", "instance-hour")
    with pytest.raises(PriceNotFoundError, match="no prices for service AmazonDynamoDB"):
        cat.price("AmazonDynamoDB", "x", "us-east-1", "y")
    with pytest.raises(PriceNotFoundError, match="known for c5.xlarge in us-east-1: instance-hour on_demand"):
        cat.price("AmazonEC2", "c5.xlarge", "us-east-1", "instance-hour", pricing_model="reserved", term="1yr")
    with pytest.raises(PriceNotFoundError, match="tiered"):
        cat.price("AmazonS3", "s3-standard", "us-east-1", "storage-gb-month")


def test_tiered_cost_keeps_shape():
    tiers = mini_catalog().tiers("AmazonS3", "s3-standard", "us-east-1", "storage-gb-month")
    assert tiered_cost(100.0, tiers) == pytest.approx(2.3)
    s = pd.Series([0.0, 51200.0, 60000.0], index=["a", "b", "c"], name="gb")
    out = tiered_cost(s, tiers)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b", "c"]
    assert out["c"] == pytest.approx(51200 * 0.023 + 8800 * 0.022)
    arr = tiered_cost(np.array([[1.0, 2.0]]), tiers)
    assert arr.shape == (1, 2)


def test_write_is_sorted_deterministic_and_round_trips(tmp_path):
    a = write_catalog(list(reversed(LIST)), tmp_path / "a" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    b = write_catalog(LIST, tmp_path / "b" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    assert a.read_bytes() == b.read_bytes()
    cat = Catalog.load(a)
    assert len(cat) == len(LIST)
    assert sorted(p.to_dict().items() for p in cat) == sorted(p.to_dict().items() for p in mini_catalog())
    assert (a.parent / "manifest.json").exists()


def test_bad_catalog_rows_are_all_reported(tmp_path):
    p = tmp_path / "aws-prices_2026-01-01.csv"
    header = ",".join(COLUMNS)
    good = "AmazonEC2,c5.large,us-east-1,instance-hour,,on_demand,,,,0,,Hrs,0.085,,src,2026-01-01,true,"
    rows = [
        good,
        good.replace("0.085", "abc"),
        good.replace("c5.large", "c5.xlarge").replace("on_demand", "ondemand"),
        good.replace("c5.large", "m5.large").replace(",src,", ",,"),
        good.replace("c5.large", "r5.large").replace("2026-01-01", "yesterday"),
        good,
    ]
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as ei:
        Catalog.load(p)
    msg = str(ei.value)
    for frag in (":3", "not a number", ":4", "pricing_model", ":5", "source is empty", ":6", "YYYY-MM-DD", ":7",
                 "duplicate"):
        assert frag in msg, frag


def test_failed_write_keeps_the_last_good_file(tmp_path):
    path = write_catalog(LIST, tmp_path / "aws-prices_2026-07-20.csv", {})
    before = path.read_bytes()

    class Boom:
        def __iter__(self):
            yield LIST[0]
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_catalog(Boom(), path, {})
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_gapped_tiers_rejected(tmp_path):
    rows = [P("AmazonS3", "s3-x", "storage-gb-month", "GB-Mo", 0.02, t1=100),
            P("AmazonS3", "s3-x", "storage-gb-month", "GB-Mo", 0.01, t0=200)]
    path = write_catalog(rows, tmp_path / "aws-prices_2026-07-20.csv", {})
    with pytest.raises(InputError, match="followed by one starting at 200"):
        Catalog.load(path)


def test_inf_tier_end_written_empty(tmp_path):
    path = write_catalog([P("AmazonEC2", "c5.large", "instance-hour", "Hrs", 0.085)], tmp_path / "aws-prices_x.csv", {})
    line = path.read_text().splitlines()[1]
    assert ",0,,Hrs,0.085," in line
    assert math.isinf(Catalog.load(path).price("AmazonEC2", "c5.large", "us-east-1", "instance-hour").tier_end)


def test_a_foreign_manifest_is_never_overwritten(tmp_path):
    from costplan.errors import InputError
    from costplan.pricing.catalog import write_catalog

    (tmp_path / "manifest.json").write_text('{"name": "my-web-app", "version": 3}')
    with pytest.raises(InputError, match="not a price catalog's"):
        write_catalog(list(mini_catalog()), tmp_path / "aws-prices_2026-11-26.csv", {"sources": {}})
    assert (tmp_path / "manifest.json").read_text() == '{"name": "my-web-app", "version": 3}'
    assert not (tmp_path / "aws-prices_2026-11-26.csv").exists()
