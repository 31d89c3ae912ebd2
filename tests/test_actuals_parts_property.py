"""Property: a billing export in several parts, imported in any order and grouping (all at
once, part by part with --append, parts again, through its manifest), always leaves the store
holding each period's total to the cent, never a part twice or a part lost."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costplan.actuals.files import import_files
from costplan.actuals.store import PartsConflict, Store

HEADER = ["BillingAccountId", "BillingCurrency", "BillingPeriodStart", "ChargePeriodStart", "ChargePeriodEnd",
          "ChargeCategory", "ServiceName", "BilledCost", "EffectiveCost"]
MONTHS = ["2026-08", "2026-09", "2026-10"]

cents = st.integers(min_value=-5_000, max_value=500_000)  # credits too
part = st.lists(cents, min_size=1, max_size=5)
period = st.lists(part, min_size=1, max_size=4)
export = st.dictionaries(st.sampled_from(MONTHS), period, min_size=1, max_size=3)


def write_part(path: Path, month: str, amounts: list[int]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, c in enumerate(amounts):
            day = f"{month}-{i % 28 + 1:02d}"
            w.writerow(["payer", "USD", f"{month}-01T00:00:00Z", f"{day}T00:00:00Z", f"{day}T01:00:00Z", "Usage",
                        "AWS WAF", f"{c / 100:.2f}", f"{c / 100:.2f}"])
    return path


def expected(exp: dict[str, list[list[int]]]) -> dict[str, int]:
    """By hand: the sum of every part's cents, per month."""
    return {m: sum(sum(p) for p in parts) for m, parts in exp.items()}


def held(store: Store) -> dict[str, int]:
    df = store.spend(["month"], metric="BilledCost")
    return {r.month: round(r.BilledCost * 100) for r in df.itertuples()}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exp=export, data=st.data())
def test_parts_in_any_order_give_the_totals_to_the_cent(exp, data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files: dict[str, list[Path]] = {}
        for month, parts in exp.items():
            folder = root / "export" / "data" / f"BILLING_PERIOD={month}"
            folder.mkdir(parents=True)
            files[month] = [write_part(folder / f"export-{i:05d}.csv", month, p) for i, p in enumerate(parts, 1)]
        want = expected(exp)
        every = [f for fs in files.values() for f in fs]
        with Store(root / "s.duckdb") as s:
            # part by part, in a random order, each added with --append
            order = data.draw(st.permutations(every), label="append order")
            for f in order:
                import_files(s, "focus", [f], mode="append")
            assert held(s) == want
            # some parts again, alone: each replaces its own earlier load, nothing doubles
            again = data.draw(st.lists(st.sampled_from(every), max_size=3), label="appended again")
            for f in again:
                import_files(s, "focus", [f], mode="append")
            assert held(s) == want
            # a part alone without --append would replace its period with less: refused, if the
            # period has other parts
            lone = data.draw(st.sampled_from(every), label="alone")
            month = lone.parent.name.split("=")[1]
            if len(files[month]) > 1:
                try:
                    import_files(s, "focus", [lone])
                except PartsConflict:
                    pass
                else:
                    raise AssertionError("a single part replaced a period held from several")
            assert held(s) == want
            # all at once, in any order of paths
            import_files(s, "focus", data.draw(st.permutations(every), label="all at once"))
            assert held(s) == want
            # through the manifests: the same totals
            for month, fs in files.items():
                meta = root / "export" / "metadata" / f"BILLING_PERIOD={month}"
                meta.mkdir(parents=True)
                keys = [f"s3://b/export/data/BILLING_PERIOD={month}/{f.name}" for f in fs]
                (meta / "export-Manifest.json").write_text(json.dumps({"dataFiles": keys}))
            report = import_files(s, "focus", [root / "export"])
            assert report.mode == "complete" and held(s) == want
            assert s.con.execute("SELECT count(*) FROM cost_rows").fetchone()[0] == sum(
                len(p) for parts in exp.values() for p in parts)
