"""Wall time of `costplan report` (figures included) and `costplan review` on the synthetic
sample store, against a bare `costplan estimate` of the same stack measured in the same run
(all as fresh processes, as a user runs them).

Targets: the report within 2x the estimate; the review under 10 s. With --notebooks, also
every notebook under `pytest --nbmake` (budget: 2 minutes together).

    python benchmarks/bench_report.py [--repeat 3] [--notebooks] [--no-review]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_BUDGET_S = 10.0
REPORT_RATIO = 2.0  # report (figures included) / estimate
REVIEW_BUDGET_S = 10.0
NOTEBOOKS_BUDGET_S = 120.0


def wall(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--notebooks", action="store_true", help="also time the notebooks under nbmake")
    ap.add_argument("--no-review", action="store_true", help="skip `costplan review`")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    py = sys.executable
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "sample.duckdb"
        subprocess.run([py, "-c", f"from costplan.sample import build_store; build_store({str(store)!r})"],
                       cwd=ROOT, env=env, check=True)
        estimate = [py, "-m", "costplan", "estimate", "--format", "json"]
        report = [py, "-m", "costplan", "report", "--store", str(store), "--out", str(Path(tmp) / "out")]
        wall(estimate, env)  # warm the file cache
        base = min(wall(estimate, env) for _ in range(args.repeat))
        rep = min(wall(report, env) for _ in range(args.repeat))
        no_png = min(wall(report + ["--no-images"], env) for _ in range(args.repeat))
        print(f"costplan estimate (baseline): {base:6.2f} s")
        print(f"costplan report             : {rep:6.2f} s  = {rep / base:.1f} x estimate  (budget {REPORT_BUDGET_S:.0f} s)")
        print(f"  of which PNG export       : {max(rep - no_png, 0):6.2f} s  (report --no-images {no_png:.2f} s "
              f"= {no_png / base:.1f} x estimate)")
        print(f"  target: report within {REPORT_RATIO:.0f}x estimate: {'ok' if rep / base <= REPORT_RATIO else 'MISSED'}")
        failed |= rep > REPORT_BUDGET_S or rep / base > REPORT_RATIO
        if not args.no_review:
            review = [py, "-m", "costplan", "review", "--store", str(store), "--out", str(Path(tmp) / "review")]
            rev = min(wall(review, env) for _ in range(args.repeat))
            print(f"costplan review             : {rev:6.2f} s  = {rev / base:.1f} x estimate  "
                  f"(target under {REVIEW_BUDGET_S:.0f} s: {'ok' if rev < REVIEW_BUDGET_S else 'MISSED'})")
            failed |= rev >= REVIEW_BUDGET_S
        if args.notebooks:
            nb = wall([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks"], env)
            print(f"notebooks under nbmake      : {nb:6.2f} s  = {nb / base:.1f} x estimate  "
                  f"(budget {NOTEBOOKS_BUDGET_S:.0f} s)")
            failed |= nb > NOTEBOOKS_BUDGET_S
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average {load:.1f} on {os.cpu_count()} cores while measuring)")
    print("FAIL: over budget" if failed else "ok: within budget")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
