"""How fast `costplan --help` starts, against a bare Python interpreter start in the same run;
and what a data command that prints a table pays in imports before its first query.

Target: `--help` under 0.3 s on a 2-core machine. The data command (`costplan actuals --by
month --format csv` on the bundled synthetic store) is set against the least a command that
prints a table from the store needs (``python -c "import duckdb, rich"``), and ``python -X
importtime`` of it says what pandas costs of that (the goal: no pandas when DuckDB and rich
suffice; not met yet, see docs/performance.md).

Run: python benchmarks/bench_cli_startup.py [--runs N]
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
    data = timed([sys.executable, "-m", "costplan", "actuals", "--by", "month", "--format", "csv"], args.runs)
    least = timed([sys.executable, "-c", "import duckdb, rich.table"], args.runs)
    print(f"{'costplan actuals --by month':26s} {data * 1000:7.1f} ms  ratio {data / least:5.1f}x "
          f"against `import duckdb, rich` ({least * 1000:.0f} ms)")
    cum = importtime([sys.executable, "-X", "importtime", "-m", "costplan", "actuals", "--by", "month",
                      "--format", "csv"])
    for mod in ("pandas", "duckdb", "typer", "rich", "numpy", "pyarrow"):
        if mod in cum:
            print(f"  imports {mod:<18} {cum[mod] * 1000:7.1f} ms (cumulative, -X importtime, one run)")
    return 0 if ok else 1


def importtime(cmd: list[str]) -> dict[str, float]:
    """Cumulative import seconds of each top-level module, from ``-X importtime``."""
    err = subprocess.run(cmd, capture_output=True, text=True).stderr
    out: dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = (x.strip() for x in line.split("|"))
        if cum.isdigit() and not name.startswith(" ") and "." not in name:
            out[name] = max(out.get(name, 0.0), int(cum) / 1e6)
    return out


if __name__ == "__main__":
    sys.exit(main())
