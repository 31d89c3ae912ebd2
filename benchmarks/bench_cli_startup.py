"""How fast `costplan --help` starts, against a bare Python interpreter start in the same run.

Target: under 0.3 s on a 2-core machine. Run: python benchmarks/bench_cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--target", type=float, default=0.3, help="seconds")
    args = ap.parse_args()
    bare = timed([sys.executable, "-c", "pass"], args.runs)
    imports = timed([sys.executable, "-c", "import costplan.cli.app"], args.runs)
    helps = {
        "costplan --help": timed([sys.executable, "-m", "costplan", "--help"], args.runs),
        "costplan estimate --help": timed([sys.executable, "-m", "costplan", "estimate", "--help"], args.runs),
    }
    print(f"bare python start          {bare * 1000:7.1f} ms  (baseline)")
    print(f"import costplan.cli.app    {imports * 1000:7.1f} ms  ratio {imports / bare:5.1f}x")
    ok = True
    for name, t in helps.items():
        verdict = "ok" if t < args.target else f"SLOWER than {args.target:g} s"
        ok &= t < args.target
        print(f"{name:26s} {t * 1000:7.1f} ms  ratio {t / bare:5.1f}x  {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
