"""Store speed and memory against bare DuckDB and pandas, measured in one run.

Generates a FOCUS Parquet file of ``--rows`` rows (default 10 million), then times, each in
its own process (so peak RSS is the step's own):

1. bare DuckDB import: ``CREATE TABLE t AS SELECT * FROM read_parquet(...)``
2. costplan import: ``import_files(store, "focus", [file])`` (checks, one transaction, totals)
3. bare DuckDB month x service aggregation on the table from 1
4. costplan month x service aggregation: ``Store.spend(["month", "ServiceName"])``
5. pandas: ``read_parquet`` + ``groupby`` month x service

(imports alternate, best of ``--repeat`` each) and prints the ratios with their targets: import <= 1.5x bare, aggregation <= 1.5x bare,
pandas >= 5x slower than each costplan step, peak RSS of the costplan steps < 1 GB (DuckDB
``memory_limit`` set to ``--memory-limit``).

    python benchmarks/bench_store.py                 # 10M rows
    python benchmarks/bench_store.py --rows 1000000  # a quick check
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


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def step_generate(file: str, rows: int) -> dict:
    import duckdb

    con = duckdb.connect()
    services = [
        ("Amazon Elastic Compute Cloud", "BoxUsage:c5.xlarge", "Hrs", 0.17),
        ("Amazon Relational Database Service", "InstanceUsage:db.r6g.xl", "Hrs", 0.48),
        ("Amazon ElastiCache", "NodeUsage:cache.r7g.large", "Hrs", 0.219),
        ("Amazon Simple Storage Service", "TimedStorage-ByteHrs", "GB-Mo", 0.023),
        ("Elastic Load Balancing", "LoadBalancerUsage", "Hrs", 0.0225),
        ("Amazon CloudWatch", "CW:MetricMonitorUsage", "Metrics", 0.30),
        ("AWS WAF", "Request", "Requests", 0.0000006),
        ("Amazon Route 53", "DNS-Queries", "Queries", 0.0000004),
    ]
    svc = "[" + ", ".join(f"'{s[0]}'" for s in services) + "]"
    usage = "[" + ", ".join(f"'{s[1]}'" for s in services) + "]"
    unit = "[" + ", ".join(f"'{s[2]}'" for s in services) + "]"
    price = "[" + ", ".join(str(s[3]) for s in services) + "]"
    n = len(services)
    t = time.perf_counter()
    con.execute(
        f"""COPY (
        WITH base AS (
            SELECT i, (i % {n}) + 1 AS s, (i // {n}) % 365 AS d, hash(i) % 1000 AS h FROM range({rows}) r(i)
        )
        SELECT 'bench-payer' AS BillingAccountId, 'bench-sub-' || (h % 20) AS SubAccountId, 'AWS' AS ProviderName,
               date_trunc('month', TIMESTAMP '2025-11-01' + INTERVAL (d) DAY) AS BillingPeriodStart,
               date_trunc('month', TIMESTAMP '2025-11-01' + INTERVAL (d) DAY) + INTERVAL 1 MONTH AS BillingPeriodEnd,
               TIMESTAMP '2025-11-01' + INTERVAL (d) DAY AS ChargePeriodStart,
               TIMESTAMP '2025-11-01' + INTERVAL (d + 1) DAY AS ChargePeriodEnd,
               'Usage' AS ChargeCategory, {svc}[s] AS ServiceName,
               CASE WHEN h % 2 = 0 THEN 'us-east-1' ELSE 'eu-west-1' END AS RegionId,
               'arn:aws:bench:resource/' || (i % 50000) AS ResourceId, {usage}[s] AS SkuId,
               'Standard' AS PricingCategory, (h + 1) / 10.0 AS PricingQuantity, {unit}[s] AS PricingUnit,
               round((h + 1) / 10.0 * {price}[s], 6) AS BilledCost,
               round((h + 1) / 10.0 * {price}[s], 6) AS EffectiveCost,
               round((h + 1) / 10.0 * {price}[s], 6) AS ListCost,
               '{{"team": "t' || (h % 7) || '"}}' AS Tags, {usage}[s] AS x_UsageType
        FROM base) TO '{file}' (FORMAT parquet, ROW_GROUP_SIZE 122880)"""
    )
    return {"seconds": time.perf_counter() - t, "bytes": os.path.getsize(file)}


def _fresh(db: str) -> None:
    for f in (db, db + ".wal"):
        if os.path.exists(f):
            os.remove(f)


def step_bare_import(file: str, db: str, memory_limit: str, repeat: int) -> dict:
    import duckdb

    best = float("inf")
    for _ in range(repeat):
        _fresh(db)
        con = duckdb.connect(db, config={"memory_limit": memory_limit})
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{file}')")
        con.execute("CHECKPOINT")
        best = min(best, time.perf_counter() - t)
        con.close()
    return {"seconds": best, "peak_rss_mb": _peak_rss_mb()}


def step_costplan_import(file: str, db: str, memory_limit: str, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from costplan.actuals.files import import_files
    from costplan.actuals.store import Store

    best = float("inf")
    for _ in range(repeat):
        _fresh(db)
        store = Store(db, memory_limit=memory_limit)
        t = time.perf_counter()
        report = import_files(store, "focus", [file])
        store.con.execute("CHECKPOINT")
        best = min(best, time.perf_counter() - t)
        store.close()
    return {"seconds": best, "peak_rss_mb": _peak_rss_mb(), "rows": report.rows_loaded}


BARE_AGG = """SELECT strftime(BillingPeriodStart, '%Y-%m') AS month, ServiceName, sum(EffectiveCost) AS EffectiveCost
              FROM t GROUP BY 1, 2 ORDER BY 1, 3 DESC"""


def step_bare_agg(db: str, memory_limit: str, repeat: int) -> dict:
    import duckdb

    con = duckdb.connect(db, read_only=True, config={"memory_limit": memory_limit})
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        df = con.execute(BARE_AGG).df()
        best = min(best, time.perf_counter() - t)
    return {
        "seconds": best,
        "peak_rss_mb": _peak_rss_mb(),
        "groups": len(df),
        "total": float(df["EffectiveCost"].sum()),
    }


def step_costplan_agg(db: str, memory_limit: str, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from costplan.actuals.store import Store

    store = Store(db, memory_limit=memory_limit)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        df = store.spend(["month", "ServiceName"])
        best = min(best, time.perf_counter() - t)
    return {
        "seconds": best,
        "peak_rss_mb": _peak_rss_mb(),
        "groups": len(df),
        "total": float(df["EffectiveCost"].sum()),
    }


def step_pandas(file: str) -> dict:
    import pandas as pd

    t = time.perf_counter()
    df = pd.read_parquet(file)
    out = df.groupby([df["BillingPeriodStart"].dt.strftime("%Y-%m"), "ServiceName"])["EffectiveCost"].sum()
    return {
        "seconds": time.perf_counter() - t,
        "peak_rss_mb": _peak_rss_mb(),
        "groups": len(out),
        "total": float(out.sum()),
    }


def _run(step: str, **kw) -> dict:
    args = [sys.executable, __file__, "--step", step] + [
        f"--{k.replace('_', '-')}={v}" for k, v in kw.items()
    ]
    out = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if out.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of each timed step (best of)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--file", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        fn = {
            "generate": lambda: step_generate(a.file, a.rows),
            "bare_import": lambda: step_bare_import(a.file, a.db, a.memory_limit, a.repeat),
            "costplan_import": lambda: step_costplan_import(a.file, a.db, a.memory_limit, a.repeat),
            "bare_agg": lambda: step_bare_agg(a.db, a.memory_limit, a.repeat),
            "costplan_agg": lambda: step_costplan_agg(a.db, a.memory_limit, a.repeat),
            "pandas": lambda: step_pandas(a.file),
        }[a.step]
        print(json.dumps(fn()))
        return

    work = Path(a.workdir or tempfile.mkdtemp(prefix="costplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    file = str(work / f"focus-{a.rows}.parquet")
    if not os.path.exists(file):
        g = _run("generate", file=file, rows=a.rows)
        print(f"generated {a.rows:,} FOCUS rows, {g['bytes'] / 1e6:,.0f} MB Parquet, in {g['seconds']:.1f} s")
    bare_db, cp_db = str(work / "bare.duckdb"), str(work / "costplan.duckdb")
    for f in (bare_db, cp_db, bare_db + ".wal", cp_db + ".wal"):
        if os.path.exists(f):
            os.remove(f)
    ml = a.memory_limit
    # alternate the two imports so that both see the same load on a shared machine; best of each
    bare_runs, cp_runs = [], []
    for _ in range(a.repeat):
        bare_runs.append(_run("bare_import", file=file, db=bare_db, memory_limit=ml, repeat=1))
        cp_runs.append(_run("costplan_import", file=file, db=cp_db, memory_limit=ml, repeat=1))
    bare_imp = min(bare_runs, key=lambda r: r["seconds"])
    cp_imp = min(cp_runs, key=lambda r: r["seconds"])
    cp_imp["peak_rss_mb"] = max(r["peak_rss_mb"] for r in cp_runs)
    bare_agg = _run("bare_agg", db=bare_db, memory_limit=ml, repeat=a.repeat)
    cp_agg = _run("costplan_agg", db=cp_db, memory_limit=ml, repeat=a.repeat)
    pandas = _run("pandas", file=file)
    assert abs(bare_agg["total"] - cp_agg["total"]) < 0.01 * max(1.0, abs(bare_agg["total"])) / 100, (
        "totals differ"
    )
    assert bare_agg["groups"] == cp_agg["groups"] == pandas["groups"]

    def line(name, value, target, ok):
        print(f"{name:<52} {value:>8.2f}   target {target:<8} {'ok' if ok else 'MISSED'}")

    print(f"\nrows {a.rows:,}, DuckDB memory_limit {ml}")
    print(f"{'step':<32}{'seconds':>10}{'peak RSS MB':>14}")
    for name, r in (
        ("bare DuckDB CTAS", bare_imp),
        ("costplan import", cp_imp),
        ("bare DuckDB aggregation", bare_agg),
        ("costplan aggregation", cp_agg),
        ("pandas read_parquet + groupby", pandas),
    ):
        print(f"{name:<32}{r['seconds']:>10.3f}{r['peak_rss_mb']:>14.0f}")
    print()
    r1 = cp_imp["seconds"] / bare_imp["seconds"]
    r2 = cp_agg["seconds"] / bare_agg["seconds"]
    r3 = pandas["seconds"] / cp_imp["seconds"]
    r4 = pandas["seconds"] / cp_agg["seconds"]
    line("import: costplan / bare CTAS", r1, "<= 1.5", r1 <= 1.5)
    line("aggregation: costplan / bare query", r2, "<= 1.5", r2 <= 1.5)
    line("pandas / costplan import", r3, ">= 5", r3 >= 5)
    line("pandas / costplan aggregation", r4, ">= 5", r4 >= 5)
    bound = pandas["seconds"] / bare_imp["seconds"]
    print(
        f"{'  bound: pandas / bare CTAS':<52} {bound:>8.2f}   "
        "(the most any import that writes this table can reach)"
    )
    peak = max(cp_imp["peak_rss_mb"], cp_agg["peak_rss_mb"])
    line("peak RSS of costplan steps [GB]", peak / 1024, "< 1", peak < 1024)


if __name__ == "__main__":
    main()
