"""How fast the price catalog loads and answers lookups, against reading the raw CSV alone.

Measures, in the same run and on the same file:

- baseline: reading every row of the catalog CSV with the ``csv`` module (no parsing, no checks);
- ``Catalog.load`` (parse, validate every row, build the index) plus 10,000 lookups of keys
  drawn from the catalog (``Catalog.tiers``, the call every priced component makes).

Target: load + 10,000 lookups well under a second on a 2-core machine.

Run: python benchmarks/bench_catalog.py [--catalog PATH] [--lookups N] [--runs N]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costplan.pricing.catalog import Catalog, default_catalog_path


def read_raw(path: Path) -> int:
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.reader(fh))


def pick_keys(path: Path, n: int, seed: int) -> list[tuple[str, ...]]:
    """``n`` lookup keys drawn from the file's rows (chosen before timing starts)."""
    from costplan.pricing.catalog import KEY_COLUMNS

    with path.open(newline="") as fh:
        keys = sorted({tuple(r[c] for c in KEY_COLUMNS) for r in csv.DictReader(fh)})
    rng = random.Random(seed)
    return [keys[rng.randrange(len(keys))] for _ in range(n)]


def load_and_lookup(path: Path, picks: list[tuple[str, ...]]) -> int:
    cat = Catalog.load(path)
    return sum(len(cat.tiers(*k)) for k in picks)


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", type=Path, default=None, help="catalog CSV (default: the embedded snapshot)")
    ap.add_argument("--lookups", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--target", type=float, default=1.0, help="seconds for load + lookups")
    args = ap.parse_args()
    path = args.catalog or default_catalog_path()
    rows = read_raw(path) - 1
    raw = timed(lambda: read_raw(path), args.runs)
    picks = pick_keys(path, args.lookups, seed=1)
    full = timed(lambda: load_and_lookup(path, picks), args.runs)
    cat = Catalog.load(path)
    lookups = timed(lambda: [cat.tiers(*k) for k in picks], args.runs)

    print(f"catalog {path} ({rows:,} rows), median of {args.runs} runs")
    print(f"raw csv.reader pass              {raw * 1000:8.1f} ms  (baseline)")
    print(f"Catalog.load + {args.lookups:,} lookups   {full * 1000:8.1f} ms  ratio {full / raw:5.1f}x")
    print(f"{args.lookups:,} lookups alone            {lookups * 1000:8.1f} ms  ({lookups / args.lookups * 1e6:.2f} us each)")
    ok = full < args.target
    print("ok" if ok else f"SLOWER than the {args.target:g} s target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
