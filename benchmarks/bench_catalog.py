"""How fast the price catalog loads and answers lookups: this checkout against ``main``.

Measures, in the same run:

- baseline: ``main``'s catalog file loaded by ``main``'s ``costplan/pricing/catalog.py`` (both
  read with ``git show``), plus 10,000 lookups of keys drawn from that catalog;
- candidate: this checkout's embedded catalog loaded by this checkout's code, plus 10,000
  lookups of keys drawn from it (the call every priced component makes, ``Catalog.tiers``);
- for scale, a raw ``csv.reader`` pass over each file.

Target: candidate / baseline <= 2.0 (the catalog is loaded by every command).

Run: python benchmarks/bench_catalog.py [--ref main] [--lookups N] [--runs N]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
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
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
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
    ratio = new_s / old_s
    print(f"median of {args.runs} interleaved runs, {args.lookups:,} lookups each")
    print(f"baseline  {args.ref}: {old_rows:>7,} rows  load+lookups {old_s * 1000:8.1f} ms  "
          f"(raw csv pass {statistics.median(old_raw) * 1000:6.1f} ms)")
    print(f"candidate HEAD: {new_rows:>7,} rows  load+lookups {new_s * 1000:8.1f} ms  "
          f"(raw csv pass {statistics.median(new_raw) * 1000:6.1f} ms)")
    print(f"ratio candidate / baseline: {ratio:.2f}x (target <= {args.max_ratio:g}x); "
          f"per row: {new_s / new_rows * 1e6:.2f} us vs {old_s / old_rows * 1e6:.2f} us")
    ok = ratio <= args.max_ratio
    print("ok" if ok else "SLOWER than the target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
