"""Write the SYNTHETIC sample of UltiBiker's AWS spend as a FOCUS file. Not real billing data.

A deterministic (fixed seed) year of daily FOCUS rows, 2025-11-01 .. 2026-10-31 final plus
2026-11-01 .. 2026-11-25 month to date marked Estimated, with growth, a summer peak, spot, a
Compute Savings Plan and a credit. Every row has x_Synthetic = true. The generator itself is
``costplan.sample`` (the default store is built from it on first use); this script
writes it out as a file, e.g. to try ``costplan import focus``:

    python data/generate_sample.py                          # data/sample/ultibiker-synthetic-focus.csv.gz
    python data/generate_sample.py --out /tmp/sample.parquet
    python data/generate_sample.py --store /tmp/sample.duckdb
    python data/generate_sample.py --users /tmp/users.csv   # then: costplan import users /tmp/users.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costplan import sample


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--out",
        default=str(Path(__file__).parent / "sample" / "ultibiker-synthetic-focus.csv.gz"),
        help="FOCUS file to write (.csv, .csv.gz or .parquet)",
    )
    ap.add_argument("--store", default=None, help="also build a store holding only the sample")
    ap.add_argument("--users", default=None, help="also write the sample's active users per month (CSV)")
    ap.add_argument("--seed", type=int, default=sample.SEED)
    a = ap.parse_args()
    path = sample.write_sample(a.out, seed=a.seed)
    print(f"wrote SYNTHETIC sample {path}")
    if a.users:
        sample.sample_users().to_csv(a.users, index=False)
        print(f"wrote SYNTHETIC active users {a.users}")
    if a.store:
        sample.build_store(a.store, seed=a.seed)
        print(f"built store {a.store}")


if __name__ == "__main__":
    main()
