"""Projection speed, as ratios against baselines measured in the same run.

1. 10,000 Monte Carlo paths x 36 months of the reference stack through ``project()``
   (vectorised over paths x months), against the same model evaluated path by path in a
   plain Python loop over 100 paths (scaled per path). Target: under 1 s.
2. The exact Savings Plan optimum over 8,760 hourly points, against the brute-force scan.
   Target: under 50 ms.
3. The engine (``simulate``: 10,000 paths x 36 months on the reference stack, commitments
   through the shared commitment engine, every line priced with the estimate's prices)
   against the same engine of a baseline revision (``--baseline``, default ``main``; the
   revision before the shared engine is ``67571d0``), each in its own process, alternated,
   in the same run. Target: under 1 s and at most 1.5 x the baseline. The whole
   ``project()`` is timed the same way and its ratio printed.

Run: ``PYTHONPATH=. python benchmarks/bench_projection.py [--baseline REF]``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from costplan.pricing.catalog import default_catalog
from costplan.projection.commitments import brute_force_commitment, commitment_cost, optimal_coverage
from costplan.projection.drivers import draw_all
from costplan.projection.simulate import ProjectionModel, project, simulate
from costplan.stack import load_stack

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "data" / "ultibiker" / "stack.yaml"

ENGINE = """
import sys, time
from costplan.pricing.catalog import default_catalog
from costplan.projection.simulate import ProjectionModel, project, simulate
from costplan.stack import load_stack
stack, catalog = load_stack("data/ultibiker/stack.yaml"), default_catalog()
model = ProjectionModel(stack, catalog)
simulate(model, 36, 500, 1)
project(stack, months=36, simulations=500, seed=1, catalog=catalog)
def best(f):
    times = []
    for _ in range(int(sys.argv[1])):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)
print(best(lambda: simulate(model, 36, 10_000, 42)),
      best(lambda: project(stack, months=36, simulations=10_000, seed=42, catalog=catalog)))
"""


def engine_time(src: Path, repeat: int = 3) -> tuple[float, float]:
    """Best of ``repeat`` runs of the engine and of ``project()`` of the source tree ``src``,
    in a fresh process [s]."""
    out = subprocess.run([sys.executable, "-c", ENGINE, str(repeat)], cwd=src, env={"PYTHONPATH": str(src),
                         "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    engine, whole = out.stdout.strip().splitlines()[-1].split()
    return float(engine), float(whole)


def engine_vs_baseline(ref: str, rounds: int = 3) -> None:
    """The engine and ``project()`` of this tree against ``ref``'s, alternated ``rounds`` times."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        base, new = [], []
        for _ in range(rounds):
            base.append(engine_time(Path(tmp)))
            new.append(engine_time(ROOT))
    b, n = min(x[0] for x in base), min(x[0] for x in new)
    print(f"engine, 10,000 paths x 36 months: {n * 1000:.0f} ms ({'under' if n < 1 else 'OVER'} the 1 s target); "
          f"{ref}: {b * 1000:.0f} ms; ratio {n / b:.2f}x ({'within' if n <= 1.5 * b else 'OVER'} the 1.5x limit)")
    b, n = min(x[1] for x in base), min(x[1] for x in new)
    print(f"project(), 10,000 paths x 36 months, quantiles and frames included: {n * 1000:.0f} ms "
          f"({'under' if n < 1 else 'OVER'} 1 s); {ref}: {b * 1000:.0f} ms; ratio {n / b:.2f}x")


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def loop_paths(model: ProjectionModel, paths: int, months: int, seed: int) -> np.ndarray:
    """The baseline: the same model, one path at a time in a Python loop."""
    rng = np.random.default_rng(seed)
    draws = draw_all(model.spec.drivers, paths, rng)
    totals = np.empty((paths, months))
    for i in range(paths):
        one = {k: v[i : i + 1] for k, v in draws.items()}
        demand = model.demand(one, months)
        capa = model.capacity(demand, one)
        totals[i] = sum(model.cost(demand, capa).values())[0]
    return totals


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="main", help="git revision whose engine is the baseline")
    args = ap.parse_args()
    engine_vs_baseline(args.baseline)
    stack = load_stack(STACK)
    catalog = default_catalog()
    project(stack, months=36, simulations=100, seed=1, catalog=catalog)  # warm caches and imports

    t_vec, _ = best_of(lambda: project(stack, months=36, simulations=10_000, seed=42, catalog=catalog))
    model = ProjectionModel(stack, catalog)
    t_core, _ = best_of(lambda: simulate(model, 36, 10_000, 42))
    t_loop, _ = best_of(lambda: loop_paths(model, 100, 36, 42), repeat=2)
    per_path_vec = t_vec / 10_000
    per_path_loop = t_loop / 100
    print(f"project(): 10,000 paths x 36 months in {t_vec * 1000:.0f} ms "
          f"({'under' if t_vec < 1 else 'OVER'} the 1 s target); whole result incl. quantiles and central paths")
    print(f"  Python loop over 100 paths: {t_loop * 1000:.0f} ms ({per_path_loop * 1e3:.2f} ms/path)")
    print(f"  ratio per path, loop / project(): {per_path_loop / per_path_vec:,.0f}x")
    print(f"  engine alone (draws, demand, capacity, cost; no quantiles or frames): {t_core * 1000:.0f} ms, "
          f"ratio per path {per_path_loop / (t_core / 10_000):,.0f}x")

    rng = np.random.default_rng(0)
    hours = np.arange(8760)
    usage = 3.0 + 0.8 * np.sin(2 * np.pi * hours / 24) + 0.002 * hours / 24 + rng.gamma(2.0, 0.2, 8760)
    d = 0.37
    t_opt, k = best_of(lambda: optimal_coverage(usage, d), repeat=20)
    t_brute, (_c_b, cost_b) = best_of(lambda: brute_force_commitment(usage, d, grid=2001), repeat=1)
    cost_opt = commitment_cost(usage, (1 - d) * k, d)
    print(f"commitment optimum over 8,760 hours: {t_opt * 1000:.2f} ms "
          f"({'under' if t_opt < 0.05 else 'OVER'} the 50 ms target)")
    print(f"  brute-force scan ({2001 + 8760} candidates): {t_brute * 1000:.0f} ms; ratio {t_brute / t_opt:,.0f}x")
    print(f"  exact cost {cost_opt:,.4f} <= scanned best {cost_b:,.4f}: {cost_opt <= cost_b + 1e-9}")


if __name__ == "__main__":
    main()
