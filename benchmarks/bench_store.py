"""Store import and month x service aggregation against fair peers, on a realistic FOCUS export.

One command, one run, every figure measured here and now:

    python benchmarks/bench_store.py                  # 10 M rows (about 1.3 GB of Parquet)
    python benchmarks/bench_store.py --rows 1000000   # a quick check

The file is written by ``benchmarks/exportgen.py`` (48 FOCUS columns, three MAP columns, about
300,000 resource ids, hourly charge periods over 3 billing periods; kept in ``--workdir``).
Every step runs in a new process; its wall time and peak RSS are the operating system's
accounting of that process (``wait4``), so start-up, imports and memory are the command's own.

How each baseline was chosen (the best way its tool allows to do the same work):

- import, bare DuckDB: ``CREATE TABLE AS SELECT`` of the columns the store keeps, straight from
  ``read_parquet``, into a new database file, with the DuckDB ``memory_limit`` the CLI uses
  (costplan's ``memory_limit`` setting), then ``CHECKPOINT``. costplan's import does that plus
  its checks, the source totals and the rollup; the goal is <= 1.2x, peak RSS < 1 GiB.
- month x service, bare DuckDB on its table: ``date_trunc``-free, grouping by the raw
  ``BillingPeriodStart`` timestamp (it is the month) and ServiceName; no per-row formatting.
- DuckDB on the raw Parquet file: the same query on ``read_parquet`` (no import at all).
- pandas: ``read_parquet`` of the three columns needed only, ``groupby`` on the raw timestamp.
- polars: ``scan_parquet`` (lazy, projection pushdown) of the same three columns, ``group_by``.
- costplan: ``costplan actuals --by month,ServiceName --format csv`` on the imported store
  (process start, imports, the store's checks, the rollup) and, in-process, the same query
  returning what each peer returns: ``Store.spend_rows`` (Python tuples, what the command
  prints) against DuckDB's ``fetchall`` and polars, ``Store.spend`` (a pandas DataFrame, whose
  first use builds pandas' Arrow strings) against pandas.

"cold" is a new process with nothing cached but what the operating system keeps (the file's
pages); "warm" is the best of three more runs of the query in that same process, after the first.
Whole-command figures include Python start-up; in-process figures are the query alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))


def measured(args: list[str]) -> dict:
    """Run ``args`` in a new process (through :func:`_measure`): the JSON it printed last, its
    wall seconds (``command_seconds``) and peak RSS [MiB] (``peak_rss_mb``)."""
    p = subprocess.run([sys.executable, __file__, "--measure", json.dumps(args)], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args[:5])} ... failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _measure(args: list[str]) -> None:
    """Run ``args`` as a child of this small process and print its wall time, peak RSS and the
    JSON it printed (this process is the only other child, so ``RUSAGE_CHILDREN`` is its own)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        p = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(errors[-3000:], file=sys.stderr)
        raise SystemExit(code)
    body = {}
    lines = text.strip().splitlines()
    if args[1:3] == [__file__, "--step"] and lines:
        body = json.loads(lines[-1])
    body.update(command_seconds=wall, peak_rss_mb=usage.ru_maxrss / 1024.0,
                cpu_seconds=usage.ru_utime + usage.ru_stime)
    print(json.dumps(body))


# -- steps, each in its own process ----------------------------------------------------------
def store_columns(file: str) -> list[str]:
    """The store's columns a FOCUS file has (what an import keeps)."""
    import duckdb

    from costplan.actuals import schema

    have = duckdb.sql(f"SELECT * FROM read_parquet('{file}') LIMIT 0").columns
    return [c for c in schema.COLUMN_NAMES if c in have]


def step_bare_import(file: str, db: str, memory_limit: str, ordered: bool = True) -> dict:
    import duckdb

    con = duckdb.connect(db, config={"memory_limit": memory_limit})
    if not ordered:  # costplan's CSV load writes its rows without keeping their order
        con.execute("SET preserve_insertion_order = false")
    if file.endswith(".parquet"):
        source = f"read_parquet('{file}')"
    else:
        source = f"read_csv('{file}')"  # DuckDB's own sniffing and types: the least work it allows
    have = con.execute(f"SELECT * FROM {source} LIMIT 0").description
    from costplan.actuals import schema

    cols = ", ".join(f'"{c}"' for c in schema.COLUMN_NAMES if c in {d[0] for d in have})
    t = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT {cols} FROM {source}")
    con.execute("CHECKPOINT")
    return {"seconds": time.perf_counter() - t}


AGG_SQL = """SELECT BillingPeriodStart, ServiceName, sum(EffectiveCost) AS EffectiveCost
             FROM {rel} GROUP BY 1, 2"""


def _timed(fn, repeat: int = 3) -> dict:
    t = time.perf_counter()
    first = fn()
    cold = time.perf_counter() - t
    warm = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        warm = min(warm, time.perf_counter() - t)
    groups, total = first
    return {"cold": cold, "warm": warm, "groups": groups, "total": total}


def step_duckdb_table(db: str, memory_limit: str, repeat: int = 3) -> dict:
    import duckdb

    con = duckdb.connect(db, read_only=True, config={"memory_limit": memory_limit})

    def q():
        rows = con.execute(AGG_SQL.format(rel="t")).fetchall()
        return len(rows), sum(r[2] for r in rows)

    return _timed(q, repeat)


def step_duckdb_parquet(file: str, repeat: int = 3) -> dict:
    import duckdb

    con = duckdb.connect()

    def q():
        rows = con.execute(AGG_SQL.format(rel=f"read_parquet('{file}')")).fetchall()
        return len(rows), sum(r[2] for r in rows)

    return _timed(q, repeat)


def step_pandas(file: str) -> dict:
    import pandas as pd

    def q():
        df = pd.read_parquet(file, columns=["BillingPeriodStart", "ServiceName", "EffectiveCost"])
        out = df.groupby(["BillingPeriodStart", "ServiceName"], observed=True, sort=False)["EffectiveCost"].sum()
        return len(out), float(out.sum())

    return _timed(q)


def step_polars(file: str, repeat: int = 3) -> dict:
    import polars as pl

    def q():
        out = (
            pl.scan_parquet(file)
            .select("BillingPeriodStart", "ServiceName", "EffectiveCost")
            .group_by("BillingPeriodStart", "ServiceName")
            .agg(pl.col("EffectiveCost").sum())
            .collect()
        )
        return out.height, float(out["EffectiveCost"].sum())

    return _timed(q, repeat)


def step_costplan_spend(db: str) -> dict:
    import pandas  # noqa: F401  (Store.spend returns a DataFrame: its library is imported before the clock, as each peer's is)

    from costplan.actuals.store import Store

    store = Store(db, read_only=True)

    def q():
        df = store.spend(["month", "ServiceName"])
        return len(df), float(df["EffectiveCost"].sum())

    return _timed(q)


def step_costplan_rows(db: str) -> dict:
    """What ``costplan actuals`` runs to print its table: the same query as :meth:`Store.spend`,
    its rows as Python tuples (``Store.spend_rows``), like the DuckDB peers' ``fetchall``."""
    from costplan.actuals.store import Store

    store = Store(db, read_only=True)

    def q():
        rows = store.spend_rows(["month", "ServiceName"])
        return len(rows), rows.sum("EffectiveCost")

    return _timed(q)


STEPS = {
    "bare_import": lambda a: step_bare_import(a.file, a.db, a.memory_limit, bool(a.ordered)),
    "duckdb_table": lambda a: step_duckdb_table(a.db, a.memory_limit, a.repeat),
    "duckdb_parquet": lambda a: step_duckdb_parquet(a.file, a.repeat),
    "pandas": lambda a: step_pandas(a.file),
    "polars": lambda a: step_polars(a.file, a.repeat),
    "costplan_spend": lambda a: step_costplan_spend(a.db),
    "costplan_rows": lambda a: step_costplan_rows(a.db),
}


def _step(name: str, **kw) -> list[str]:
    return [sys.executable, __file__, "--step", name] + [f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]


def _costplan(*args: str) -> list[str]:
    return [sys.executable, "-m", "costplan", *args]


def main() -> None:
    import importlib.util

    if importlib.util.find_spec("polars") is None:  # a peer: say so before minutes of generating and importing
        raise SystemExit("bench_store.py needs polars, one of its peers: pip install -e '.[bench]'")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--workdir", default=None, help="keep the generated file here (default: a temporary folder)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-import", action="store_true", help="reuse the stores of an earlier run in --workdir (built once, untimed, if missing)")
    ap.add_argument("--csv-rows", type=int, default=0,
                    help="also import a FOCUS CSV.gz of this many rows against bare DuckDB read_csv (default: skip)")
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--file", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--ordered", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--memory-limit", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=3, help=argparse.SUPPRESS)
    ap.add_argument("--cold-cache", type=int, default=0, metavar="ROUNDS",
                    help="also time the month x service whole commands with the page cache dropped before each "
                         "run (as root: sync; echo 3 > /proc/sys/vm/drop_caches), ROUNDS alternated rounds")
    ap.add_argument("--import-rounds", type=int, default=3, metavar="N",
                    help="rounds of the import pair, order alternated; the goal is checked on the median of "
                         "the rounds' ratios (default 3)")
    ap.add_argument("--only-cold-cache", action="store_true",
                    help="with --skip-import: only the page-cache-cold rounds (and the start-up floor)")
    a = ap.parse_args()
    if a.measure:
        _measure(json.loads(a.measure))
        return
    if a.step:
        print(json.dumps(STEPS[a.step](a)))
        return

    from costplan import config

    memory_limit = config.load_settings().memory_limit
    work = Path(a.workdir or tempfile.mkdtemp(prefix="costplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    file = str(work / f"focus-{a.rows}-seed{a.seed}.parquet")
    if not os.path.exists(file):
        import exportgen

        g = exportgen.write("focus", a.rows, file, seed=a.seed)
        print(f"generated {a.rows:,} FOCUS rows, {g['bytes'] / 1e6:,.0f} MB Parquet, in {g['seconds']:.0f} s")
    bare_db, cp_db = str(work / "bare.duckdb"), str(work / "costplan.duckdb")
    print(f"rows {a.rows:,}; DuckDB memory_limit {memory_limit} (costplan's setting, used by the CLI and "
          "the bare baseline alike)\n")

    # -- import: whole commands, alternated, medians of the rounds' ratios ---------------------
    if not a.skip_import:
        import statistics

        rounds = []
        for n in range(a.import_rounds):
            got = {}
            # the order alternates round by round, so neither side always runs on a warmer machine
            for who in (("bare", "costplan") if n % 2 == 0 else ("costplan", "bare")):
                db = bare_db if who == "bare" else cp_db
                for g in (db, db + ".wal"):
                    if os.path.exists(g):
                        os.remove(g)
                got[who] = measured(
                    _step("bare_import", file=file, db=bare_db, memory_limit=memory_limit) if who == "bare"
                    else _costplan("import", "focus", file, "--store", cp_db, "--format", "json"))
            got["load"] = os.getloadavg()[0]
            rounds.append(got)
        wall = [r["costplan"]["command_seconds"] / r["bare"]["command_seconds"] for r in rounds]
        cpu = [r["costplan"]["cpu_seconds"] / r["bare"]["cpu_seconds"] for r in rounds]
        c_peak = max(r["costplan"]["peak_rss_mb"] for r in rounds)
        print(f"import (whole commands, {len(rounds)} rounds, order alternated)   bare s   costplan s   "
              "wall ratio   CPU ratio   load")
        for n, r in enumerate(rounds):
            print(f"  round {n + 1}{'':38} {r['bare']['command_seconds']:7.1f}   {r['costplan']['command_seconds']:10.1f}"
                  f"   {wall[n]:10.2f}   {cpu[n]:9.2f}   {r['load']:4.1f}")
        ratio = statistics.median(wall)
        print(f"  median ratio costplan / bare: wall {ratio:.2f} (rounds {min(wall):.2f}-{max(wall):.2f}), CPU "
              f"{statistics.median(cpu):.2f} (goal <= 1.2 in wall: {'met' if ratio <= 1.2 else 'MISSED'}); "
              f"peak RSS {c_peak:,.0f} MiB, bare {max(r['bare']['peak_rss_mb'] for r in rounds):,.0f} "
              f"(goal < 1024: {'met' if c_peak < 1024 else 'MISSED'})\n")

    if a.csv_rows:
        import exportgen

        csv = str(work / f"focus-{a.csv_rows}-seed{a.seed}.csv.gz")
        if not os.path.exists(csv):
            exportgen.write("focus", a.csv_rows, csv, seed=a.seed)
        import statistics

        db = str(work / "csv.duckdb")
        # whole commands, --import-rounds rounds, the order rotated round by round; the bare
        # statement twice: with DuckDB's defaults, and without kept row order as costplan's CSV
        # load writes (so that setting is not counted as costplan's gain)
        sides = {"bare": lambda: _step("bare_import", file=csv, db=db, memory_limit=memory_limit),
                 "bare, unordered": lambda: _step("bare_import", file=csv, db=db, memory_limit=memory_limit,
                                                  ordered=0),
                 "costplan": lambda: _costplan("import", "focus", csv, "--store", db, "--format", "json")}
        names = list(sides)
        rounds = []
        for n in range(a.import_rounds):
            got = {}
            for who in names[n % 3:] + names[:n % 3]:
                for g in (db, db + ".wal"):
                    if os.path.exists(g):
                        os.remove(g)
                got[who] = measured(sides[who]())
            got["load"] = os.getloadavg()[0]
            rounds.append(got)
        print(f"CSV.gz import, {a.csv_rows:,} FOCUS rows (whole commands, {len(rounds)} rounds, order rotated)")
        for n, r in enumerate(rounds):
            print(f"  round {n + 1}: " + ", ".join(
                f"{w} {r[w]['command_seconds']:.1f} s / {r[w]['cpu_seconds']:.1f} CPU-s" for w in names)
                + f"; load {r['load']:.1f}")
        c_peak = max(r["costplan"]["peak_rss_mb"] for r in rounds)
        for base in ("bare", "bare, unordered"):
            wall = [r["costplan"]["command_seconds"] / r[base]["command_seconds"] for r in rounds]
            cpu = [r["costplan"]["cpu_seconds"] / r[base]["cpu_seconds"] for r in rounds]
            ratio = statistics.median(wall)
            print(f"  median ratio costplan / {base}: wall {ratio:.2f} (rounds {min(wall):.2f}-{max(wall):.2f}), "
                  f"CPU {statistics.median(cpu):.2f} (goal <= 1.2 in wall: {'met' if ratio <= 1.2 else 'MISSED'})")
        print(f"  peak RSS costplan {c_peak:,.0f} MiB (goal < 1024: {'met' if c_peak < 1024 else 'MISSED'})\n")

    if a.skip_import and not (os.path.exists(bare_db) and os.path.exists(cp_db)):  # built once, untimed
        for f in (bare_db, cp_db):
            for g in (f, f + ".wal"):
                if os.path.exists(g):
                    os.remove(g)
        measured(_step("bare_import", file=file, db=bare_db, memory_limit=memory_limit))
        measured(_costplan("import", "focus", file, "--store", cp_db, "--format", "json"))
        print("stores built (untimed): --skip-import had none to reuse\n")
    if a.only_cold_cache:
        cold_cache(file, bare_db, cp_db, memory_limit, max(a.cold_cache, 1))
        return

    # -- month x service ----------------------------------------------------------------------
    peers = {
        "DuckDB on its own table": dict(name="duckdb_table", db=bare_db, memory_limit=memory_limit),
        "DuckDB on the raw Parquet": dict(name="duckdb_parquet", file=file),
        "polars scan_parquet, 3 columns": dict(name="polars", file=file),
        "pandas read_parquet, 3 columns": dict(name="pandas", file=file),
    }
    rows = {
        "costplan actuals (store, rollup)": measured(
            _costplan("actuals", "--by", "month,ServiceName", "--store", cp_db, "--format", "csv")),
        "costplan Store.spend in-process": measured(_step("costplan_spend", db=cp_db)),
        ROWS: measured(_step("costplan_rows", db=cp_db)),
        **{k: measured(_step(**kw)) for k, kw in peers.items()},
        FLOOR: min((measured(_floor(cp_db)) for _ in range(3)), key=lambda r: r["command_seconds"]),
    }
    # a whole command answers once, as costplan's does: the peers' runs above also repeat their
    # query for the warm figure, so their whole command is timed again with the query run once
    for k, kw in peers.items():
        rows[k]["command_seconds"] = measured(_step(**kw, repeat=0))["command_seconds"]
    totals = {k: v.get("total") for k, v in rows.items() if "total" in v}
    ref = totals["DuckDB on the raw Parquet"]
    for k, v in totals.items():
        assert abs(v - ref) < 0.01, f"{k} total {v} differs from {ref}"
    print("month x service                      whole command s  cold query s  warm query s  peak RSS MiB")
    for k, v in rows.items():
        cold = f"{v['cold']:12.3f}" if "cold" in v else f"{'-':>12}"
        warm = f"{v['warm']:12.3f}" if "warm" in v else f"{'-':>12}"
        print(f"  {k:<34} {v['command_seconds']:14.2f}  {cold}  {warm}  {v['peak_rss_mb']:12,.0f}")
    f = rows[FLOOR]["command_seconds"]
    print(f"  (whole command: one query, as the user runs it; the query columns come from a second run of each peer, "
          f"cold then best of 3 warm in one process; {FLOOR}: best of 3)")
    cp_cmd = rows["costplan actuals (store, rollup)"]["command_seconds"]
    # the in-process query against each peer's own result: Python tuples (DuckDB's fetchall,
    # costplan's Store.spend_rows), a pandas DataFrame (pandas, Store.spend); polars gives its
    # own DataFrame and is set against the tuples, the least costplan's query can return
    frame, tuples = rows["costplan Store.spend in-process"], rows[ROWS]
    print(f"  (in-process, costplan's query is set against each peer's like result: {ROWS} for DuckDB and "
          "polars, Store.spend, a pandas DataFrame, for pandas)")
    print()
    for peer in ("DuckDB on the raw Parquet", "polars scan_parquet, 3 columns", "pandas read_parquet, 3 columns",
                 "DuckDB on its own table"):
        p = rows[peer]
        cp_in = frame if peer.startswith("pandas") else tuples
        whole = p["command_seconds"] / cp_cmd
        cold = p["cold"] / cp_in["cold"]
        warm = p["warm"] / cp_in["warm"]
        goal = peer in ("DuckDB on the raw Parquet", "polars scan_parquet, 3 columns")
        print(f"  {peer} / costplan: whole command {whole:5.2f}x, cold query {cold:6.1f}x, warm query {warm:6.1f}x"
              + (f"   (goal >= 10x cold, whole command: {'met' if whole >= 10 else 'MISSED'}; "
                 f"at most {p['command_seconds'] / f:.1f}x over the start-up floor)" if goal else ""))
    print(json.dumps({k: {kk: round(vv, 4) for kk, vv in v.items() if isinstance(vv, float)} for k, v in rows.items()}))
    if a.cold_cache:
        print()
        cold_cache(file, bare_db, cp_db, memory_limit, a.cold_cache)


FLOOR = "floor: python, import duckdb, open the store"
ROWS = "costplan Store.spend_rows in-process"


def _floor(db: str) -> list[str]:
    """The least a command answering from the store does: start Python, import DuckDB, open
    the store read-only; no query, no output."""
    return [sys.executable, "-c", f"import duckdb; duckdb.connect({db!r}, read_only=True)"]


def drop_page_cache() -> str | None:
    """``sync; echo 3 > /proc/sys/vm/drop_caches`` (root only): None once done, else why not."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def cold_cache(file: str, bare_db: str, cp_db: str, memory_limit: str, rounds: int) -> None:
    """PAGE-CACHE-COLD month x service: each whole command (one query, no warm repeats) run
    right after the page cache is dropped, every contender alike, then once more at once with
    the cache it left (page cache warm), in alternated order, for ``rounds`` rounds; medians of
    wall and CPU seconds, and the ratio peer / costplan taken per round. Also the floor of any
    command answering from the store: a process that starts Python, imports DuckDB and opens
    the store read-only, and nothing else; a peer's whole command over that floor is the most
    costplan's whole command could be faster than it."""
    import statistics

    contenders = {
        "costplan actuals (store, rollup)": _costplan("actuals", "--by", "month,ServiceName", "--store", cp_db,
                                                      "--format", "csv"),
        "DuckDB on the raw Parquet": _step("duckdb_parquet", file=file, repeat=0),
        "polars scan_parquet, 3 columns": _step("polars", file=file, repeat=0),
        "DuckDB on its own table": _step("duckdb_table", db=bare_db, memory_limit=memory_limit, repeat=0),
        FLOOR: _floor(cp_db),
    }
    print(f"PAGE-CACHE-COLD and -WARM month x service, whole commands of one query each (cold: the page cache "
          f"dropped before the run; warm: the same command again at once; {rounds} rounds, alternated; load "
          f"average {os.getloadavg()[0]:.1f} at start)")
    why = drop_page_cache()
    if why is not None:
        print(f"  not available here ({why}): needs root and a writable /proc/sys/vm/drop_caches")
        return
    runs: dict[str, dict[str, list[dict]]] = {"cold": {k: [] for k in contenders}, "warm": {k: [] for k in contenders}}
    for r in range(rounds):
        order = list(contenders) if r % 2 == 0 else list(reversed(contenders))
        for name in order:
            why = drop_page_cache()
            if why is not None:  # pragma: no cover - it worked a moment ago
                raise SystemExit(f"dropping the page cache failed: {why}")
            runs["cold"][name].append(measured(contenders[name]))
            runs["warm"][name].append(measured(contenders[name]))
    for mode in ("cold", "warm"):
        got = runs[mode]
        cp = got["costplan actuals (store, rollup)"]
        print(f"  whole command, page cache {mode}        median wall s  median CPU s  peak RSS MiB  / costplan")
        for name, rs in got.items():
            wall = statistics.median(x["command_seconds"] for x in rs)
            cpu = statistics.median(x["cpu_seconds"] for x in rs)
            ratio = statistics.median(x["command_seconds"] / c["command_seconds"] for x, c in zip(rs, cp, strict=True))
            print(f"  {name:<44} {wall:8.2f}  {cpu:12.2f}  {max(x['peak_rss_mb'] for x in rs):12,.0f}  {ratio:8.2f}x")
        f = statistics.median(x["command_seconds"] for x in got[FLOOR])
        f_cpu = statistics.median(x["cpu_seconds"] for x in got[FLOOR])
        for peer in ("DuckDB on the raw Parquet", "polars scan_parquet, 3 columns"):
            p = statistics.median(x["command_seconds"] for x in got[peer])
            p_cpu = statistics.median(x["cpu_seconds"] for x in got[peer])
            print(f"  {peer} ({mode}): {p:.2f} s over the floor's {f:.2f} s = {p / f:.1f}x (CPU {p_cpu:.2f} / "
                  f"{f_cpu:.2f} s = {p_cpu / f_cpu:.1f}x): the most any command that starts Python and opens the "
                  f"store with DuckDB can reach; the 10x goal is {'reachable' if p / f >= 10 else 'out of reach'}")
    print(f"  load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
