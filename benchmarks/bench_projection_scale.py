"""Projection at scale: time and peak memory of whole runs, each in a fresh process.

1. The reference stack (data/ultibiker/stack.yaml), 50,000 paths x 120 months. Goals: under
   10 s and under 1 GiB peak RSS.
2. A generated stack with 600 node pools (the reference stack plus 594 pools, each running
   its own demand-driven workload; written to a temporary folder with the reference's
   manifests), 120 months at the default 2,000 paths (a month of every path fits the
   working memory), and at 10,000 and 50,000 paths (it does not: the paths are evaluated in
   blocks, ``costplan.projection.pathblocks``). Goal: under 1 GiB peak RSS. Its time is no
   goal; it is printed.
3. The engine (10,000 paths x 36 months of the reference stack) against a baseline revision
   (``--baseline``, default ``main``), alternated in fresh processes: ``bench_projection``'s
   comparison, in the same run.

Each run is a child process started by this script and reaped with ``os.wait4``: the wall
time is from start to exit (imports and the catalog included) and the peak RSS is the
operating system's account of that child (``ru_maxrss``). The child also prints the time of
the ``project()`` call alone.

Run: ``PYTHONPATH=. python benchmarks/bench_projection_scale.py [--baseline REV] [--no-baseline]
[--pool-paths N ...] [--no-reference]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "ultibiker" / "stack.yaml"
GIB = 2**30

CHILD = """
import sys, time
from costplan.pricing.catalog import default_catalog
from costplan.projection.simulate import project
from costplan.stack import load_stack
stack, months, sims = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
st, cat = load_stack(stack), default_catalog()
t = time.perf_counter()
r = project(st, months=months, simulations=sims, seed=42, catalog=cat)
print(time.perf_counter() - t, float(r.monthly.p50.sum()))
"""


def many_pools(out: Path, pools: int = 600) -> Path:
    """The reference stack with ``pools`` node pools in all (the reference's 6 plus generated
    ones split over its two regions), each generated pool running one workload that scales
    with peak requests (its own share of them and its own pod size). Returns the stack file."""
    data = yaml.safe_load(REFERENCE.read_text())
    shutil.copytree(REFERENCE.parent / "k8s", out / "k8s")
    regions = list(data["regions"])
    have = sum(len(r["node_pools"]) for r in data["regions"].values())
    workloads = data["projection"]["workloads"]
    for i in range(pools - have):
        region = regions[i % len(regions)]
        name = f"svc-{i:03d}"
        data["regions"][region]["node_pools"][name] = {
            "instance_types": ["c5.xlarge" if i % 3 else "m5.large"], "min": 1, "max": 40, "desired": 1,
            "root_volume": {"type": "gp3", "size_gb": 20, "why": "generated for the benchmark"},
            "pods": {name: {"replicas": 2, "min_replicas": 2, "max_replicas": 200, "cpu_request": 0.25 + 0.05 * (i % 4),
                            "memory_request_gib": 0.5, "why": "generated for the benchmark"}},
        }
        workloads[name] = {"demand": "peak_rps", "per_pod": 2.0 + i % 7, "region_share": {region: 1.0},
                           "why": "generated for the benchmark"}
    path = out / "stack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(stack: Path, months: int, sims: int, cwd: Path = ROOT) -> tuple[float, float, int, str]:
    """(wall [s], project() [s], peak RSS [bytes], the child's last line or its error) of one
    fresh process; its CPU seconds (user + system) are kept in ``_cpu``."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(stack), str(months), str(sims)], cwd=cwd,
                            env={**os.environ, "PYTHONPATH": str(cwd)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    # communicate() has waited: the child's accounting is read from the exit status wait4 kept
    rss = _peak.get(proc.pid, 0)
    _cpu["last"] = _cpu.get(proc.pid, float("nan"))
    if proc.returncode != 0:
        return wall, float("nan"), rss, (err.strip().splitlines() or ["?"])[-1]
    inner = float(out.split()[0])
    return wall, inner, rss, out.strip()


_peak: dict[int, int] = {}
_cpu: dict[int, float] = {}


def _popen_wait4():
    """Make ``Popen`` reap its children with ``os.wait4``, recording each one's peak RSS."""
    orig = subprocess.Popen._try_wait

    def _try_wait(self, wait_flags):
        try:
            pid, sts, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return orig(self, wait_flags)
        if pid == self.pid:
            _peak[pid] = usage.ru_maxrss * 1024  # KiB on Linux
            _cpu[pid] = usage.ru_utime + usage.ru_stime
        return pid, sts

    subprocess.Popen._try_wait = _try_wait


def report(label: str, wall: float, inner: float, rss: int, goal_s: float | None) -> None:
    line = (f"{label}: whole process {wall:.1f} s (project() {inner:.1f} s; CPU {_cpu['last']:.1f} s), "
            f"peak RSS {rss / 2**20:,.0f} MiB")
    line += f"; RSS / 1 GiB goal = {rss / GIB:.2f} ({'met' if rss < GIB else 'MISSED'})"
    if goal_s is not None:
        line += (f"; time / {goal_s:g} s goal = {wall / goal_s:.2f} ({'met' if wall < goal_s else 'MISSED'}; "
                 f"CPU / goal {_cpu['last'] / goal_s:.2f}: the wall time waits for a core on a loaded machine)")
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="main", help="git revision whose engine is the baseline (item 3)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the engine comparison")
    ap.add_argument("--paths", type=int, default=50_000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--pool-paths", type=int, nargs="+", default=[2000, 10_000, 50_000],
                    help="paths of the 600-pool runs (item 2)")
    ap.add_argument("--no-reference", action="store_true", help="skip the reference stack (item 1)")
    args = ap.parse_args()
    _popen_wait4()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    if not args.no_reference:
        wall, inner, rss, out = run(REFERENCE, args.months, args.paths)
        if inner != inner:
            print(f"reference stack FAILED: {out}")
        report(f"reference stack, {args.paths:,} paths x {args.months} months; load average "
               f"{os.getloadavg()[0]:.1f}", wall, inner, rss, 10.0)

    with tempfile.TemporaryDirectory() as tmp:
        stack = many_pools(Path(tmp))
        sys.path.insert(0, str(ROOT))
        from costplan.pricing.catalog import default_catalog
        from costplan.projection.simulate import ProjectionModel, block_sizes
        from costplan.stack import load_stack

        model = ProjectionModel(load_stack(stack), default_catalog())
        pools = len(model.pools)
        for sims in args.pool_paths:
            months, paths = block_sizes(model, args.months, sims)
            how = (f"{months} months of every path at once" if paths >= sims else
                   f"blocks of at most {paths:,} paths, a month at a time")
            wall, inner, rss, out = run(stack, args.months, sims)
            if inner != inner:
                print(f"{pools}-pool stack FAILED: {out}")
            report(f"{pools}-pool stack, {sims:,} paths x {args.months} months ({how}); load average "
                   f"{os.getloadavg()[0]:.1f}", wall, inner, rss, None)
        del model

    if not args.no_baseline:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_projection import engine_vs_baseline

        engine_vs_baseline(args.baseline)


if __name__ == "__main__":
    main()
