"""How fast `costplan --help` starts, against a bare Python interpreter start in the same run;
and what a data command that prints a table costs, whole command (process start, imports,
store), against the least such a command needs.

Targets: `--help` under 0.3 s on a 2-core machine; a command that prints a table from the store
(`costplan actuals`, `costplan store`, rich tables) within 2x of ``python -c "import duckdb,
rich.table"`` (the baseline: the two libraries it cannot do without, nothing of costplan's)
and without pandas. For scale, in the same run: ``python -c "import duckdb"``, ``python -c
"import duckdb, pandas"``, and `costplan actuals --format csv` (CSV output still goes through
pandas); ``python -X importtime`` of each data command says what its large imports cost.

Run: python benchmarks/bench_cli_startup.py [--runs N]
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
    ap.add_argument("--max-ratio", type=float, default=2.0, help="table command / import duckdb, rich.table")
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
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "sample.duckdb")
        subprocess.run([sys.executable, "-c", f"from costplan.sample import build_store; build_store({store!r})"],
                       check=True)
        cp = [sys.executable, "-m", "costplan"]
        data = {
            "costplan actuals": [*cp, "actuals", "--store", store],
            "costplan actuals --by month,ServiceName": [*cp, "actuals", "--by", "month,ServiceName", "--month",
                                                        "2026-10", "--store", store],
            "costplan store": [*cp, "store", "--store", store],
            "costplan actuals --format csv": [*cp, "actuals", "--format", "csv", "--store", store],
        }
        base = {
            "import duckdb": [sys.executable, "-c", "import duckdb"],
            "import duckdb, rich.table": [sys.executable, "-c", "import duckdb, rich.table"],
            "import duckdb, pandas": [sys.executable, "-c", "import duckdb, pandas"],
        }
        # alternate the commands so that a change in the machine's load hits all alike
        samples: dict[str, list[float]] = {k: [] for k in [*base, *data]}
        for _ in range(args.runs):
            for k, cmd in [*base.items(), *data.items()]:
                samples[k].append(timed(cmd, 1))
        med = {k: statistics.median(v) for k, v in samples.items()}
        least = med["import duckdb, rich.table"]
        for k in base:
            print(f"python -c {k!r:30s} {med[k] * 1000:7.1f} ms  ratio {med[k] / least:5.2f}x"
                  + ("  (baseline)" if k == "import duckdb, rich.table" else ""))
        for k, cmd in data.items():
            heavy = importtime([cmd[0], "-X", "importtime", *cmd[1:]])
            pandas = "pandas" in heavy
            table = "csv" not in k
            verdict = ""
            if table:
                good = med[k] / least <= args.max_ratio and not pandas
                ok &= good
                verdict = "ok" if good else f"MISSED (goal <= {args.max_ratio:g}x, no pandas)"
            print(f"{k:40s} {med[k] * 1000:7.1f} ms  ratio {med[k] / least:5.2f}x  "
                  f"pandas {'imported (' + format(heavy['pandas'] * 1000, '.0f') + ' ms)' if pandas else 'not imported'}"
                  f"  {verdict}")
        print(f"(median of {args.runs} alternated runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0 if ok else 1


def importtime(cmd: list[str]) -> dict[str, float]:
    """Cumulative import seconds of each top-level module, from ``-X importtime``."""
    err = subprocess.run(cmd, capture_output=True, text=True).stderr
    out: dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = (x.strip() for x in line.split("|"))
        name_s = name.strip()
        if cum.isdigit() and "." not in name_s:  # top-level packages, wherever they were imported from
            out[name_s] = max(out.get(name_s, 0.0), int(cum) / 1e6)
    return out


if __name__ == "__main__":
    sys.exit(main())
