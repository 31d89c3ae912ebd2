"""The catalog's binary snapshot: a checked catalog CSV is kept in the user's cache and read
instead of the CSV on the next load, with the same prices; a changed, damaged or unwritable
snapshot never changes what the catalog says."""

from __future__ import annotations

import math
import os

import pytest
from helpers import LIST

from costplan.errors import InputError
from costplan.pricing import catalog as catalog_mod
from costplan.pricing.catalog import COLUMNS, Catalog, write_catalog


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(d))
    return d / "costplan" / "catalog"


def _rows(cat: Catalog) -> list[dict]:
    return sorted((p.to_dict() for p in cat), key=lambda d: (tuple(d[c] for c in COLUMNS[:9]), d["tier_start"]))


def _snapshots(cache) -> list:
    return sorted(cache.glob("*.marshal")) if cache.exists() else []


def test_second_load_reads_the_snapshot_and_says_the_same(tmp_path, cache, monkeypatch):
    path = write_catalog(LIST, tmp_path / "c" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    first = Catalog.load(path)
    assert len(_snapshots(cache)) == 1
    # the CSV is not read again: a reader that fails proves it
    monkeypatch.setattr(catalog_mod, "read_catalog_rows", lambda *a, **k: pytest.fail("CSV read again"))
    second = Catalog.load(path)
    assert _rows(second) == _rows(first) and len(second) == len(LIST)
    assert second.price("AmazonEC2", "c5.large", "us-east-1", "instance-hour").unit_price == 0.085
    s3 = second.tiers("AmazonS3", "s3-standard", "us-east-1", "storage-gb-month")
    assert [t.tier_start for t in s3] == sorted(t.tier_start for t in s3) and math.isinf(s3[-1].tier_end)
    assert second.has("AmazonEC2", "c5.large", "us-east-1", "instance-hour")
    assert not second.has("AmazonEC2", "c5.large", "eu-west-1", "instance-hour")
    assert second.skus("AmazonEC2") == first.skus("AmazonEC2")
    assert second.regions("c5.large") == first.regions("c5.large")
    assert [p.to_dict() for p in second.find(sku="c5.large")] == [p.to_dict() for p in first.find(sku="c5.large")]
    assert second.as_of == "2026-07-20"


def test_the_embedded_catalog_from_its_snapshot_equals_the_csv(cache):
    path = catalog_mod.default_catalog_path()
    from_csv = Catalog.load(path)
    assert _snapshots(cache)
    from_snapshot = Catalog.load(path)
    assert isinstance(from_snapshot._index, catalog_mod._Index)
    assert len(from_snapshot) == len(from_csv)
    assert from_snapshot.frame().equals(from_csv.frame())


def test_a_changed_csv_is_read_again_and_its_old_snapshot_removed(tmp_path, cache):
    path = write_catalog(LIST, tmp_path / "c" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    Catalog.load(path)
    old = _snapshots(cache)
    text = path.read_text().replace(",0.085,", ",0.086,")
    assert text != path.read_text()
    path.write_text(text)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    cat = Catalog.load(path)
    assert cat.price("AmazonEC2", "c5.large", "us-east-1", "instance-hour").unit_price == 0.086
    new = _snapshots(cache)
    assert len(new) == 1 and new != old


def test_a_damaged_snapshot_is_ignored(tmp_path, cache):
    path = write_catalog(LIST, tmp_path / "c" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    want = _rows(Catalog.load(path))
    (snap,) = _snapshots(cache)
    for damage in (b"", b"not marshal at all", snap.read_bytes()[:100]):
        snap.write_bytes(damage)
        assert _rows(Catalog.load(path)) == want


def test_a_snapshot_of_another_format_version_is_ignored(tmp_path, cache):
    import marshal

    path = write_catalog(LIST, tmp_path / "c" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    Catalog.load(path)
    (snap,) = _snapshots(cache)
    snap.write_bytes(marshal.dumps((catalog_mod.SNAPSHOT_VERSION + 1, {})))
    assert len(Catalog.load(path)) == len(LIST)


def test_an_unwritable_cache_only_means_reading_the_csv(tmp_path, monkeypatch):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = write_catalog(LIST, tmp_path / "c" / "aws-prices_2026-07-20.csv", {"as_of": "2026-07-20"})
    assert len(Catalog.load(path)) == len(LIST)
    assert len(Catalog.load(path)) == len(LIST)
    assert blocker.read_text() == "not a folder"


def test_a_bad_catalog_gets_no_snapshot(tmp_path, cache):
    p = tmp_path / "aws-prices_2026-01-01.csv"
    good = "AmazonEC2,c5.large,us-east-1,instance-hour,,on_demand,,,,0,,Hrs,0.085,,src,2026-01-01,true,"
    p.write_text(",".join(COLUMNS) + "\n" + good.replace("0.085", "abc") + "\n")
    for _ in range(2):  # refused every time, not only before a snapshot exists
        with pytest.raises(InputError, match="abc"):
            Catalog.load(p)
    assert _snapshots(cache) == []
