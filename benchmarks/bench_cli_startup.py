"""How fast `costplan --help` starts, against a bare Python interpreter start in the same run;
and what a data command that prints a table costs, whole command (process start, imports,
store), against the least such a command needs.

Targets: `--help` under 0.3 s on a 2-core machine; a command that prints a table from the store
or the catalog (`costplan actuals`, `costplan store`, `costplan prices show`, `costplan prices
info`, rich tables) within 2x of ``python -c "import duckdb, rich.table"`` (the baseline: the
two libraries it cannot do without, nothing of costplan's) and without pandas. For scale, in
the same run: ``python -c "import duckdb"``, ``python -c "import duckdb, pandas"``, the floor
that typer's run-time option checks add (``import duckdb, rich.table`` and typer's pydantic
adapters, when the installed typer checks options through pydantic), and `costplan actuals
--format csv` and `--format json`; ``python -X importtime`` of each data command says whether
pandas was imported.

Each command runs in alternation with the others (median of N), wall time and CPU seconds
(user + system, the operating system's account of the child): on a loaded machine the CPU
seconds say more than the wall time. The load average is printed at the start and the end.
costplan's own modules are compiled first (an installed package has its bytecode; a checkout
run with PYTHONDONTWRITEBYTECODE would otherwise compile them on every start).

``--baseline REV`` also times the data commands of the revision REV (unpacked with ``git
archive`` into a temporary folder), alternated with this tree's in the same run.

Run: python benchmarks/bench_cli_startup.py [--runs N] [--baseline main]
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

REPO = Path(__file__).resolve().parents[1]


def run_once(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(cmd: list[str], runs: int) -> float:
    return statistics.median(run_once(cmd)[0] for _ in range(runs))


def compile_tree(root: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "costplan")], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--target", type=float, default=0.3, help="seconds")
    ap.add_argument("--max-ratio", type=float, default=2.0, help="table command / import duckdb, rich.table")
    ap.add_argument("--baseline", metavar="REV", help="also time this git revision's data commands")
    args = ap.parse_args()
    print(f"start: {load()}")
    compile_tree(REPO)
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
        data = {
            "costplan actuals": ["actuals", "--store", store],
            "costplan actuals --by month,ServiceName": ["actuals", "--by", "month,ServiceName", "--month", "2026-10",
                                                        "--store", store],
            "costplan store": ["store", "--store", store],
            "costplan prices show c5.large": ["prices", "show", "c5.large", "--region", "us-east-1"],
            "costplan prices info": ["prices", "info"],
            "costplan actuals --format csv": ["actuals", "--format", "csv", "--store", store],
            "costplan actuals --format json": ["actuals", "--format", "json", "--store", store],
        }
        base = {
            "import duckdb": "import duckdb",
            "import duckdb, rich.table": "import duckdb, rich.table",
            "import duckdb, pandas": "import duckdb, pandas",
        }
        try:
            import importlib.util

            if importlib.util.find_spec("typer._adapters") is not None:
                # this typer checks every option's value through a pydantic TypeAdapter
                base["+ typer's pydantic adapters"] = "import duckdb, rich.table, typer._adapters"
        except ImportError:  # pragma: no cover
            pass
        trees = {"": (REPO, None)}
        if args.baseline:
            old = Path(tmp) / "baseline"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            compile_tree(old)
            env = {**os.environ, "PYTHONPATH": str(old)}
            trees[f" [{args.baseline}]"] = (old, env)
        commands: dict[str, tuple[list[str], Path | None, dict | None]] = {
            k: ([sys.executable, "-c", code], None, None) for k, code in base.items()}
        for k, argv in data.items():  # each command of this tree next to the baseline's
            for suffix, (root, env) in trees.items():
                commands[k + suffix] = ([sys.executable, "-m", "costplan", *argv], root, env)
        # alternate the commands so that a change in the machine's load hits all alike
        wall: dict[str, list[float]] = {k: [] for k in commands}
        cpu: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.runs):
            for k, (cmd, cwd, env) in commands.items():
                w, c = run_once(cmd, cwd, env)
                wall[k].append(w)
                cpu[k].append(c)
        med = {k: statistics.median(v) for k, v in wall.items()}
        mcpu = {k: statistics.median(v) for k, v in cpu.items()}
        least, least_cpu = med["import duckdb, rich.table"], mcpu["import duckdb, rich.table"]
        print(f"{'':48s} {'wall':>8s} {'ratio':>6s} {'CPU':>8s} {'ratio':>6s}")
        for k in base:
            print(f"{'python -c ' + repr(k):48s} {med[k] * 1000:6.0f} ms {med[k] / least:5.2f}x "
                  f"{mcpu[k] * 1000:6.0f} ms {mcpu[k] / least_cpu:5.2f}x"
                  + ("  (baseline)" if k == "import duckdb, rich.table" else ""))
        for k, (cmd, cwd, env) in commands.items():
            if k in base:
                continue
            heavy = importtime([cmd[0], "-X", "importtime", *cmd[1:]], cwd, env)
            pandas = "pandas" in heavy
            table = "--format" not in k
            verdict = ""
            if table and k in data:
                good = med[k] / least <= args.max_ratio and not pandas
                ok &= good
                verdict = "ok" if good else f"MISSED (goal <= {args.max_ratio:g}x, no pandas)"
            print(f"{k:48s} {med[k] * 1000:6.0f} ms {med[k] / least:5.2f}x {mcpu[k] * 1000:6.0f} ms "
                  f"{mcpu[k] / least_cpu:5.2f}x  pandas {'imported' if pandas else 'not imported'}  {verdict}")
        for suffix in list(trees)[1:]:
            for k in data:
                print(f"{k:48s} this tree / {suffix.strip(' []')}: wall {med[k] / med[k + suffix]:5.2f}x, "
                      f"CPU {mcpu[k] / mcpu[k + suffix]:5.2f}x")
        print(f"(median of {args.runs} alternated runs; end: {load()})")
    return 0 if ok else 1


def importtime(cmd: list[str], cwd=None, env=None) -> dict[str, float]:
    """Cumulative import seconds of each top-level module, from ``-X importtime``."""
    err = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env).stderr
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
