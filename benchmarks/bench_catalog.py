"""How fast the price catalog loads and answers lookups: this checkout against ``main``.

Measures, in the same run:

- baseline: ``main``'s catalog file loaded by ``main``'s ``costplan/pricing/catalog.py`` (both
  read with ``git show``), plus 10,000 lookups of keys drawn from that catalog;
- candidate: this checkout's embedded catalog loaded by this checkout's code, plus 10,000
  lookups of keys drawn from it (the call every priced component makes, ``Catalog.tiers``);
- for scale, a raw ``csv.reader`` pass over each file;
- the candidate's EC2 reserved / Savings Plans rates it derives at lookup (not stored rows),
  10,000 first lookups on a freshly loaded catalog, against as many stored-row lookups.

Targets: candidate / baseline <= 2.0 (the catalog is loaded by every command); the candidate's
load alone within 2x of a raw ``csv.reader`` pass over the same file. The load is timed both
ways a command meets it: warm (the checked catalog's binary snapshot in the user's cache, which
every load after the first reads) and cold (no snapshot: the CSV parsed and checked, the
snapshot written). The goal is checked on the warm load, the one every command but the first
pays; the cold figure is printed beside it. The cache is a temporary folder
(``XDG_CACHE_HOME``), so the user's own is neither read nor written.

Run: python benchmarks/bench_catalog.py [--ref main] [--lookups N] [--runs N]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from costplan.pricing import catalog as new_catalog  # noqa: E402


def git_show(ref: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=True, capture_output=True).stdout


def baseline(ref: str, tmp: Path):
    """(catalog module of ``ref``, path of ``ref``'s newest embedded catalog file)."""
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{ref}:costplan/pricing/data/"],
                           check=True, capture_output=True, text=True).stdout.split()
    name = sorted(n for n in names if n.startswith("aws-prices_"))[-1]
    (tmp / name).write_bytes(git_show(ref, f"costplan/pricing/data/{name}"))
    (tmp / "manifest.json").write_bytes(git_show(ref, "costplan/pricing/data/manifest.json"))
    src = tmp / "catalog_ref.py"
    src.write_bytes(git_show(ref, "costplan/pricing/catalog.py"))
    spec = importlib.util.spec_from_file_location("costplan_catalog_ref", src)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod, tmp / name


def read_raw(path: Path) -> int:
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.reader(fh))


def pick_keys(path: Path, n: int, seed: int) -> list[tuple[str, ...]]:
    """``n`` lookup keys drawn from the file's rows (chosen before timing starts)."""
    with path.open(newline="") as fh:
        keys = sorted({tuple(r[c] for c in new_catalog.KEY_COLUMNS) for r in csv.DictReader(fh)})
    rng = random.Random(seed)
    return [keys[rng.randrange(len(keys))] for _ in range(n)]


def derived_keys(cat, n: int, seed: int) -> list[tuple[str, ...]]:
    """``n`` EC2 reserved / Savings Plans keys the catalog does not store but derives."""
    od = sorted(k for k in cat._index if k[0] == "AmazonEC2" and k[5] == "on_demand")
    combos = [(m, t, p, c) for m, cs in (("reserved", ("standard", "convertible")),
                                         ("savings_plan", ("compute", "ec2-instance")))
              for c in cs for t in ("1yr", "3yr") for p in ("no-upfront", "partial-upfront", "all-upfront")]
    rng = random.Random(seed)
    out: list[tuple[str, ...]] = []
    while len(out) < n:
        k = od[rng.randrange(len(od))]
        m, t, p, c = combos[rng.randrange(len(combos))]
        key = (*k[:5], m, t, p, c)
        if key not in cat._index and cat.has(*key):
            out.append(key)
    return out


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="main", help="git revision of the baseline (default: main)")
    ap.add_argument("--lookups", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-ratio", type=float, default=2.0)
    ap.add_argument("--max-raw-ratio", type=float, default=2.0, help="load alone / raw csv.reader pass")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        old_mod, old_path = baseline(args.ref, Path(tmp))
        new_path = new_catalog.newest_catalog_file(new_catalog.DATA_DIR)
        old_picks = pick_keys(old_path, args.lookups, seed=1)
        new_picks = pick_keys(new_path, args.lookups, seed=1)

        def run(mod, path, picks):
            cat = mod.Catalog.load(path)
            return sum(len(cat.tiers(*k)) for k in picks)

        # interleave the two so that a change in the machine's load hits both alike
        old_t, new_t, old_raw, new_raw = [], [], [], []
        for _ in range(args.runs):
            old_t.append(timed(lambda: run(old_mod, old_path, old_picks), 1))
            new_t.append(timed(lambda: run(new_catalog, new_path, new_picks), 1))
            old_raw.append(timed(lambda: read_raw(old_path), 1))
            new_raw.append(timed(lambda: read_raw(new_path), 1))
        old_s, new_s = statistics.median(old_t), statistics.median(new_t)
        old_rows, new_rows = read_raw(old_path) - 1, read_raw(new_path) - 1
        derived = derived_keys(new_catalog.Catalog.load(new_path), args.lookups, seed=2)
        stored_t, derived_t = [], []
        for _ in range(args.runs):
            cat = new_catalog.Catalog.load(new_path)
            stored_t.append(timed(lambda c=cat: sum(len(c.tiers(*k)) for k in new_picks), 1))
            derived_t.append(timed(lambda c=cat: sum(len(c.tiers(*k)) for k in derived), 1))
    ratio = new_s / old_s
    print(f"median of {args.runs} interleaved runs, {args.lookups:,} lookups each")
    print(f"baseline  {args.ref}: {old_rows:>7,} rows  load+lookups {old_s * 1000:8.1f} ms  "
          f"(raw csv pass {statistics.median(old_raw) * 1000:6.1f} ms)")
    print(f"candidate HEAD: {new_rows:>7,} rows  load+lookups {new_s * 1000:8.1f} ms  "
          f"(raw csv pass {statistics.median(new_raw) * 1000:6.1f} ms)")
    print(f"ratio candidate / baseline: {ratio:.2f}x (target <= {args.max_ratio:g}x); "
          f"per row: {new_s / new_rows * 1e6:.2f} us vs {old_s / old_rows * 1e6:.2f} us")
    print(f"{len(derived):,} derived commitment lookups {statistics.median(derived_t) * 1000:.1f} ms vs "
          f"{len(new_picks):,} stored-row lookups {statistics.median(stored_t) * 1000:.1f} ms (same loaded catalog)")
    # the load alone (what every command pays) against a raw csv.reader pass over the same file:
    # cold (no snapshot: parse, check, write it) and warm (read the snapshot)
    cold_t, warm_t = [], []
    snapshots = new_catalog.snapshot_dir()
    for _ in range(args.runs):
        shutil.rmtree(snapshots, ignore_errors=True)
        cold_t.append(timed(lambda: new_catalog.Catalog.load(new_path), 1))
        warm_t.append(timed(lambda: new_catalog.Catalog.load(new_path), 1))
        new_raw.append(timed(lambda: read_raw(new_path), 1))
    cold_s, warm_s, raw_s = statistics.median(cold_t), statistics.median(warm_t), statistics.median(new_raw)
    raw_ok = warm_s / raw_s <= args.max_raw_ratio
    print(f"candidate load alone, warm (snapshot) {warm_s * 1000:.1f} ms / raw csv pass {raw_s * 1000:.1f} ms = "
          f"{warm_s / raw_s:.2f}x (goal <= {args.max_raw_ratio:g}x: {'ok' if raw_ok else 'MISSED'})")
    print(f"candidate load alone, cold (CSV parsed and checked, snapshot written) {cold_s * 1000:.1f} ms = "
          f"{cold_s / raw_s:.2f}x the raw csv pass (the first command after a new catalog)")
    ok = ratio <= args.max_ratio and raw_ok
    print("ok" if ok else "SLOWER than the target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
