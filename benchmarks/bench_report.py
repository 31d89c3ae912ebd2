"""Wall time of `costplan report` (figures included) and `costplan review` on the synthetic
sample store, against a bare `costplan estimate` of the same stack measured in the same run
(all as fresh processes, as a user runs them).

Targets: the report within 2x the estimate; the review under 10 s. With --notebooks, also
every notebook under `pytest --nbmake` (budget: 2 minutes together).

How the baseline was chosen: `costplan estimate --format json` of the same stack, because the
report does all of its work (start-up, imports, catalog, pricing the plan) and then its own;
the ratio is what the report adds on top. Cold against cold: every run is a fresh process, as
a user runs it, the whole command timed from outside (process start, imports, catalog, and for
the report its headless Chromium, started and ended by the command itself); runs alternate
estimate / report so that a drift of the machine's speed hits both. Each figure is the median
of --repeat runs after one warm-up of each (the file cache, not the processes). The PNG share
is the report minus `report --no-images`, measured the same way.

    python benchmarks/bench_report.py [--repeat 3] [--notebooks] [--no-review]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
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
        no_images = report + ["--no-images"]
        for cmd in (estimate, report, no_images):
            wall(cmd, env)  # warm-up: the file cache, not the process
        runs: dict[str, list[float]] = {"estimate": [], "report": [], "no_images": [], "ratio": []}
        for _ in range(args.repeat):  # in turn, so that a drift of the machine hits all three
            b, r = wall(estimate, env), wall(report, env)
            runs["estimate"].append(b)
            runs["report"].append(r)
            runs["ratio"].append(r / b)
            runs["no_images"].append(wall(no_images, env))
        base, rep, no_png = (statistics.median(runs[k]) for k in ("estimate", "report", "no_images"))
        ratio = statistics.median(runs["ratio"])
        print(f"costplan estimate (baseline): {base:6.2f} s  (median of {args.repeat}, cold processes)")
        print(f"costplan report             : {rep:6.2f} s  = {ratio:.2f} x estimate, median of the pairwise ratios "
              f"{min(runs['ratio']):.2f}-{max(runs['ratio']):.2f}  (budget {REPORT_BUDGET_S:.0f} s)")
        print(f"  of which PNG export       : {max(rep - no_png, 0):6.2f} s  (report --no-images {no_png:.2f} s "
              f"= {no_png / base:.2f} x estimate)")
        print(f"  target: report within {REPORT_RATIO:.0f}x estimate: {'ok' if ratio <= REPORT_RATIO else 'MISSED'}")
        failed |= rep > REPORT_BUDGET_S or ratio > REPORT_RATIO
        if not args.no_review:
            review = [py, "-m", "costplan", "review", "--store", str(store), "--out", str(Path(tmp) / "review")]
            rev = statistics.median(wall(review, env) for _ in range(args.repeat))
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
