"""The monthly report's queries on each engine, measured in one run.

Generates a FOCUS Parquet file of ``--rows`` rows (default 10 million, the generator of
benchmarks/bench_store.py), loads it into a costplan store and, for comparison, into a bare
DuckDB table, then times (best of ``--repeat``):

1. bare DuckDB: each query the report needs, written plainly over the bare table (one GROUP BY
   each, no store view, no currency check, no result post-processing);
2. the DuckDB store: the same questions through ``Store`` (``spend``, ``coverage``,
   ``freshness``, ``commitment_summary``, ``spot_summary``), as the report asks them;
3. Spark in local mode (``--spark``, on by default when pyspark is installed): the same
   ``SparkEngine`` calls over the Parquet file. Measured and reported; no target (it proves
   the SQL, it is not meant to be fast on two cores).

Prints each side's seconds and the ratios; target: the store within 1.5x of bare DuckDB.

    python benchmarks/bench_engines.py                      # 10M rows
    python benchmarks/bench_engines.py --rows 1000000       # a quick check
    python benchmarks/bench_engines.py --rows 1000000 --no-spark
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MONTH = "2026-09"
PREV = "2026-08"
KEYS = ["ServiceName", "RegionId", "x_UsageType", "PricingUnit"]


def bare_queries() -> list[tuple[str, str]]:
    """The report's questions as plain DuckDB SQL over table ``t``."""
    from costplan.actuals.mapping import component_case_sql

    def month(m: str) -> str:
        return f"BillingPeriodStart = TIMESTAMP '{m}-01'"

    out = [("trend", """SELECT strftime(BillingPeriodStart, '%Y-%m') AS month, sum(EffectiveCost) FROM t
                        WHERE ChargePeriodStart >= TIMESTAMP '2025-09-01' AND ChargePeriodStart < TIMESTAMP '2026-10-01'
                        GROUP BY 1 ORDER BY 1""")]
    for m in (MONTH, PREV):
        out.append((f"total {m}", f"SELECT sum(EffectiveCost), sum(BilledCost) FROM t WHERE {month(m)}"))
        for name, expr in (("service", "ServiceName"), ("region", "RegionId"), ("component", component_case_sql()),
                           ("team", "json_extract_string(Tags, '$.team')")):
            out.append((f"{name} {m}", f"SELECT {expr}, sum(EffectiveCost) FROM t WHERE {month(m)} GROUP BY 1"))
        out.append((f"movers {m}", f"SELECT {', '.join(KEYS)}, sum(EffectiveCost), sum(PricingQuantity) FROM t "
                                   f"WHERE {month(m)} GROUP BY ALL"))
    out.append(("coverage", "SELECT BillingPeriodStart, count(DISTINCT CAST(ChargePeriodStart AS DATE)) FROM t "
                            "GROUP BY 1"))
    out.append(("freshness", "SELECT CAST(ChargePeriodStart AS DATE), sum(EffectiveCost) FROM t GROUP BY 1"))
    out.append(("commitments", f"SELECT CommitmentDiscountId, sum(EffectiveCost) FROM t WHERE {month(MONTH)} "
                               "AND CommitmentDiscountId IS NOT NULL GROUP BY 1"))
    out.append(("spot", f"SELECT RegionId, sum(EffectiveCost), sum(PricingQuantity) FROM t WHERE {month(MONTH)} "
                        f"AND {component_case_sql()} = 'node_pool' GROUP BY 1"))
    return out


def engine_calls(src) -> None:
    """The same questions as the report asks them of a store or an engine."""
    src.spend(["month"], start="2025-09", end=MONTH)
    for m in (MONTH, PREV):
        src.spend([], month=m)
        src.spend([], month=m, metric="BilledCost")
        for key in ("ServiceName", "RegionId", "component", "tag:team"):
            src.spend([key], month=m)
        src.spend(KEYS, month=m)
        src.spend(KEYS, month=m, metric="PricingQuantity")
    src.coverage()
    src.freshness()
    src.commitment_summary(MONTH)
    src.spot_summary(MONTH)


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--spark", action=argparse.BooleanOptionalAction, default=None)
    ap.add_argument("--memory-limit", default="1GB")
    args = ap.parse_args()

    import duckdb
    from bench_store import step_generate

    from costplan.actuals.store import Store

    results: dict = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        parquet = os.path.join(tmp, "focus.parquet")
        gen = step_generate(parquet, args.rows)
        print(f"generated {args.rows:,} FOCUS rows in {gen['seconds']:.1f} s ({gen['bytes'] / 1e6:,.0f} MB)")
        bare = duckdb.connect(os.path.join(tmp, "bare.duckdb"), config={"memory_limit": args.memory_limit})
        have = {r[0] for r in bare.execute(f"DESCRIBE SELECT * FROM read_parquet('{parquet}')").fetchall()}
        from costplan.actuals import schema

        missing = "".join(f", NULL::{t} AS \"{c}\"" for c, t in schema.COLUMNS if c not in have)
        bare.execute(f"CREATE TABLE t AS SELECT *{missing} FROM read_parquet('{parquet}')")
        store = Store(os.path.join(tmp, "store.duckdb"), memory_limit=args.memory_limit)
        store.load_query(f"SELECT * FROM read_parquet('{parquet}')", "focus", description="benchmark rows")
        qs = bare_queries()
        results["bare_duckdb_s"] = best_of(lambda: [bare.execute(sql).fetchall() for _, sql in qs], args.repeat)
        results["store_s"] = best_of(lambda: engine_calls(store), args.repeat)
        results["store_vs_bare"] = results["store_s"] / results["bare_duckdb_s"]
        print(f"bare DuckDB SQL ({len(qs)} queries): {results['bare_duckdb_s']:.2f} s")
        print(f"DuckDB store (the report's calls): {results['store_s']:.2f} s  "
              f"ratio {results['store_vs_bare']:.2f}x (target <= 1.5x)")
        spark_on = args.spark
        if spark_on is None:
            try:
                import pyspark  # noqa: F401

                spark_on = True
            except ImportError:
                spark_on = False
        if spark_on:
            from costplan.actuals.spark import SparkEngine, local_session

            t = time.perf_counter()
            spark = local_session(os.cpu_count() or 1)
            results["spark_startup_s"] = time.perf_counter() - t
            eng = SparkEngine(spark, path=parquet)

            def spark_calls():
                eng.__dict__.pop("_memo", None)  # months and coverage asked again each time
                engine_calls(eng)

            results["spark_s"] = best_of(spark_calls, max(1, min(args.repeat, 2)))
            results["spark_vs_store"] = results["spark_s"] / results["store_s"]
            print(f"Spark local[{os.cpu_count()}] (same calls): {results['spark_s']:.2f} s, "
                  f"{results['spark_vs_store']:.1f}x the store (startup {results['spark_startup_s']:.1f} s; "
                  "measured, no target)")
            spark.stop()
        store.close()
        bare.close()
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))
    return 0 if results["store_vs_bare"] <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
