"""Wall time of `costplan report` (report.html with its figures, breakdown.csv, summary.json),
`costplan report --markdown` (report.md and its PNG figures besides) and `costplan review` on
the synthetic sample store, against a bare `costplan estimate` of the same stack measured in
the same run (all as fresh processes, as a user runs them).

Targets: the report (figures included: report.html draws them with the plotly.js it carries)
within 2x the estimate; the review under 10 s. With --notebooks, also
every notebook under `pytest --nbmake` (budget: 2 minutes together).

How the baseline was chosen: `costplan estimate --format json` of the same stack, because the
report does all of its work (start-up, imports, catalog, pricing the plan) and then its own;
the ratio is what the report adds on top. Cold against cold: every run is a fresh process, as
a user runs it, the whole command timed from outside (process start, imports, catalog, and for
report --markdown its headless Chromium, started and ended by the command itself); runs
alternate estimate / report / report --markdown so that a drift of the machine's speed hits all
three.
Each figure is the median of --repeat runs after one warm-up of each (the file cache, not the
processes), in wall seconds and in CPU seconds (user + system of the process and the children
it waited for: Chromium's processes included); the ratios are the medians of the pairwise
ratios. The goal is the wall-clock ratio with the figures; the CPU ratio is printed beside it
because on a shared machine it moves less with the load. The Markdown share (report.md and its
PNGs, Chromium included) is `report --markdown` minus the report, measured the same way.

    python benchmarks/bench_report.py [--repeat 3] [--notebooks] [--no-review] [--no-markdown]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_BUDGET_S = 10.0
REPORT_RATIO = 2.0  # report (report.html, figures included) / estimate
REVIEW_BUDGET_S = 10.0
NOTEBOOKS_BUDGET_S = 120.0


def run(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process, its children included (the
    report's Chromium is a child the command waits for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--notebooks", action="store_true", help="also time the notebooks under nbmake")
    ap.add_argument("--no-review", action="store_true", help="skip `costplan review`")
    ap.add_argument("--no-markdown", action="store_true", help="skip `costplan report --markdown`")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    py = sys.executable
    failed = False
    loads = [_load()]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "sample.duckdb"
        subprocess.run([py, "-c", f"from costplan.sample import build_store; build_store({str(store)!r})"],
                       cwd=ROOT, env=env, check=True)
        out = str(Path(tmp) / "out")
        cmds = {
            "estimate": [py, "-m", "costplan", "estimate", "--format", "json"],
            "report": [py, "-m", "costplan", "report", "--store", str(store), "--out", out],
            "markdown": [py, "-m", "costplan", "report", "--store", str(store), "--out", out, "--markdown"],
        }
        if args.no_markdown:
            del cmds["markdown"]
        for cmd in cmds.values():
            run(cmd, env)  # warm-up: the file cache, not the process
        walls: dict[str, list[float]] = {k: [] for k in cmds}
        cpus: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.repeat):  # in turn, so that a drift of the machine hits all three
            for k, cmd in cmds.items():
                w, c = run(cmd, env)
                walls[k].append(w)
                cpus[k].append(c)
        loads.append(_load())

        def ratios(runs: dict[str, list[float]], k: str) -> list[float]:
            return [a / b for a, b in zip(runs[k], runs["estimate"], strict=True)]

        med = statistics.median
        print(f"{'':28s} {'wall s':>7s} {'CPU s':>7s}   (medians of {args.repeat} fresh processes each, in turn)")
        names = {"estimate": "costplan estimate (baseline)", "report": "costplan report (figures)",
                 "markdown": "costplan report --markdown"}
        for k in cmds:
            print(f"{names[k]:28s} {med(walls[k]):7.2f} {med(cpus[k]):7.2f}")
        for k, what in (("report", "report (figures included)"), ("markdown", "report --markdown (+ PNGs)")):
            if k not in cmds:
                continue
            rw, rc = ratios(walls, k), ratios(cpus, k)
            print(f"{what} / estimate: wall {med(rw):.2f}x (pairs {min(rw):.2f}-{max(rw):.2f}), "
                  f"CPU {med(rc):.2f}x (pairs {min(rc):.2f}-{max(rc):.2f})")
        ratio = med(ratios(walls, "report"))
        if "markdown" in cmds:
            print(f"  report.md and its PNG figures: {max(med(walls['markdown']) - med(walls['report']), 0):.2f} s wall, "
                  f"{max(med(cpus['markdown']) - med(cpus['report']), 0):.2f} CPU-s (Chromium included)")
        print(f"  goal: report (figures included) within {REPORT_RATIO:.0f}x estimate, wall: "
              f"{ratio:.2f}x, {'met' if ratio <= REPORT_RATIO else 'MISSED'}")
        failed |= med(walls["report"]) > REPORT_BUDGET_S or ratio > REPORT_RATIO
        if not args.no_review:
            review = [py, "-m", "costplan", "review", "--store", str(store), "--out", str(Path(tmp) / "review")]
            rev = [run(review, env) for _ in range(args.repeat)]
            rw, rc = med(r[0] for r in rev), med(r[1] for r in rev)
            print(f"costplan review             : {rw:6.2f} s wall, {rc:.2f} CPU-s = {rw / med(walls['estimate']):.1f} x "
                  f"estimate  (goal under {REVIEW_BUDGET_S:.0f} s: {'met' if rw < REVIEW_BUDGET_S else 'MISSED'})")
            failed |= rw >= REVIEW_BUDGET_S
        if args.notebooks:
            nb, _ = run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks"], env)
            print(f"notebooks under nbmake      : {nb:6.2f} s  = {nb / med(walls['estimate']):.1f} x estimate  "
                  f"(budget {NOTEBOOKS_BUDGET_S:.0f} s)")
            failed |= nb > NOTEBOOKS_BUDGET_S
    loads.append(_load())
    print(f"(load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores while measuring)")
    print("FAIL: a goal missed" if failed else "ok: every goal met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
