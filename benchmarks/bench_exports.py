"""Import speed of real export shapes against bare DuckDB, measured in one run.

1. A CUR 2.0 export of ``--rows`` rows (default 10 million) in ``--parts`` Parquet parts
   (default 8, the Data Exports layout ``data/BILLING_PERIOD=YYYY-MM/<export>-0000N.snappy.parquet``
   with its ``Manifest.json``), generated here: by default (``--shape realistic``) the rows of
   ``exportgen.py cur`` (29 columns, product/resource_tags/cost_category MAPs, a real bill's
   cardinalities, a SavingsPlanNegation line per covered line, so a few % more rows than asked);
   ``--shape simple`` the narrow month this benchmark used first. Timed: a bare DuckDB ``CREATE TABLE AS SELECT *
   FROM read_parquet([the parts])`` into a new database file, against ``costplan import cur`` of
   the export folder (manifest read, every check, the CUR -> FOCUS mapping, one transaction,
   totals to the cent), with DuckDB's ``memory_limit`` at ``--memory-limit``; peak RSS of each.
   Target: costplan / bare <= 1.2, costplan's peak RSS < 1 GB.
2. A legacy CUR CSV.gz of ``--csv-rows`` rows (default 2 million): a bare DuckDB ``CREATE TABLE
   AS SELECT * FROM read_csv(file)`` (its own sniffing and types) + ``CHECKPOINT`` against
   ``costplan import cur`` of it. Target <= 1.5. costplan's CSV load writes its rows without
   keeping their order (``preserve_insertion_order = false``, docs/performance.md); the bare
   statement is timed that way too (``bare, unordered``), and the ratio to it printed beside
   the one to DuckDB's defaults, so the setting is not counted as costplan's gain.
3. The same legacy CUR as a plain (uncompressed) CSV, the same ways.

Each step runs in a process of its own (so peak RSS is the step's own), the two ways
alternated ``--repeat`` times (bare, costplan, bare, costplan ...), each with the same DuckDB
``memory_limit``. Per pair it prints the timed statement's wall and CPU seconds (every thread
of the process), the whole process's CPU seconds (Python start-up and imports included) and
the load average; the summary is the median of the pairs. Files are generated at benchmark
time in a temporary folder (``--workdir`` to keep them); ``--inputs`` chooses the rows.

    python benchmarks/bench_exports.py                          # the issue's sizes
    python benchmarks/bench_exports.py --rows 1000000 --csv-rows 200000   # a quick check
    python benchmarks/bench_exports.py --inputs legacy,legacy-csv --csv-rows 2000000
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
MONTH = "2026-10"


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _fresh(db: str) -> None:
    for f in (db, db + ".wal"):
        if os.path.exists(f):
            os.remove(f)


def _cur_select(n_rows: str) -> str:
    """CUR 2.0 line items: usage, Savings Plan covered usage and its negation, a fee, tax."""
    return f"""
        WITH base AS (SELECT i, CAST(hash(i) % 1000 AS BIGINT) AS h, (i // 7) % 31 AS d,
                             -- a negation row cancels the covered usage row before it, as in a real CUR
                             CAST(hash(CASE WHEN i % 50 = 1 THEN i - 1 ELSE i END) % 1000 AS BIGINT) AS c
                      FROM range({n_rows}) r(i))
        SELECT
            'bench-payer-000' AS bill_payer_account_id, 'INV-1' AS bill_invoice_id,
            TIMESTAMP '{MONTH}-01' AS bill_billing_period_start_date,
            TIMESTAMP '{MONTH}-01' + INTERVAL 1 MONTH AS bill_billing_period_end_date,
            'acct-' || (h % 40) AS line_item_usage_account_id,
            CASE WHEN i % 50 = 0 THEN 'SavingsPlanCoveredUsage' WHEN i % 50 = 1 THEN 'SavingsPlanNegation'
                 WHEN i % 997 = 0 THEN 'Tax' ELSE 'Usage' END AS line_item_line_item_type,
            TIMESTAMP '{MONTH}-01' + INTERVAL (d) DAY + INTERVAL (h % 24) HOUR AS line_item_usage_start_date,
            TIMESTAMP '{MONTH}-01' + INTERVAL (d) DAY + INTERVAL (h % 24 + 1) HOUR AS line_item_usage_end_date,
            (['AmazonEC2', 'AmazonRDS', 'AmazonS3', 'AmazonElastiCache', 'AWSELB', 'AmazonCloudWatch'])[h % 6 + 1]
                AS line_item_product_code,
            (['BoxUsage:c5.xlarge', 'InstanceUsage:db.r6g.xl', 'TimedStorage-ByteHrs', 'NodeUsage:cache.r7g.large',
              'LoadBalancerUsage', 'CW:MetricMonitorUsage'])[h % 6 + 1] AS line_item_usage_type,
            'usage ' || (h % 6) AS line_item_line_item_description,
            'arn:aws:ec2:us-east-1:000000000000:instance/i-' || (i % 100000) AS line_item_resource_id,
            (h + 1) / 10.0 AS line_item_usage_amount,
            CASE WHEN i % 50 = 1 THEN -round((c + 1) / 100.0, 6) ELSE round((c + 1) / 100.0, 6) END
                AS line_item_unblended_cost,
            round((h + 1) / 100.0, 6) AS pricing_public_on_demand_cost,
            'Hrs' AS pricing_unit, 'OnDemand' AS pricing_term, 'USD' AS line_item_currency_code,
            CASE WHEN i % 50 IN (0, 1) THEN 'arn:aws:savingsplans::000000000000:savingsplan/sp-1' END
                AS savings_plan_savings_plan_a_r_n,
            CASE WHEN i % 50 = 0 THEN round((h + 1) / 140.0, 6) ELSE 0.0 END AS savings_plan_savings_plan_effective_cost,
            (['us-east-1', 'eu-west-1'])[h % 2 + 1] AS product_region_code,
            MAP {{'product_name': (['Amazon Elastic Compute Cloud', 'Amazon Relational Database Service',
                   'Amazon Simple Storage Service', 'Amazon ElastiCache', 'Elastic Load Balancing',
                   'AmazonCloudWatch'])[h % 6 + 1]}} AS product,
            MAP {{'user_team': 't' || (h % 7)}} AS resource_tags
        FROM base"""


INPUTS = ("cur2", "legacy", "legacy-csv")
#: The file (or folder) each input is in, under the work folder.
LEGACY_GZ = Path("legacy") / "bench-1.csv.gz"
LEGACY_CSV = Path("legacy-csv") / "bench-1.csv"


def step_generate(workdir: str, rows: int, parts: int, csv_rows: int, shape: str = "realistic",
                  inputs: str = ",".join(INPUTS)) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    data = Path(workdir) / "cur2" / "bench" / "data" / f"BILLING_PERIOD={MONTH}"
    meta = Path(workdir) / "cur2" / "bench" / "metadata" / f"BILLING_PERIOD={MONTH}"
    data.mkdir(parents=True, exist_ok=True)
    meta.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    if "cur2" not in inputs.split(","):
        rows = 0
    if not rows:
        pass
    elif shape == "realistic":
        # exportgen's CUR 2.0: the columns, maps and cardinalities of a real bill (docs/performance.md)
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import exportgen

        exportgen._dimensions(con)
        con.execute(f"CREATE TABLE cur AS {exportgen.cur_sql(rows)}")
        rows = con.execute("SELECT count(*) FROM cur").fetchall()[0][0]  # + a negation per covered line
    else:
        con.execute(f"CREATE TABLE cur AS {_cur_select(str(rows))}")
    keys = []
    per = rows // parts
    for p in range(parts if rows else 0):
        name = f"bench-{p + 1:05d}.snappy.parquet"
        lo, hi = p * per, rows if p == parts - 1 else (p + 1) * per
        con.execute(f"COPY (SELECT * FROM cur LIMIT {hi - lo} OFFSET {lo}) TO '{data / name}' (FORMAT parquet, "
                    "COMPRESSION snappy, ROW_GROUP_SIZE 122880)")
        keys.append(f"s3://bench-bucket/cur2/bench/data/BILLING_PERIOD={MONTH}/{name}")
    (meta / "bench-Manifest.json").write_text(json.dumps({"executionId": "bench", "dataFiles": keys}))
    con.execute("DROP TABLE IF EXISTS cur")
    # legacy CUR: lineItem/... columns, one CSV.gz
    legacy = Path(workdir) / LEGACY_GZ
    legacy.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (SELECT bill_payer_account_id AS "bill/PayerAccountId", bill_invoice_id AS "bill/InvoiceId",
                         strftime(bill_billing_period_start_date, '%Y-%m-%dT%H:%M:%SZ') AS "bill/BillingPeriodStartDate",
                         strftime(bill_billing_period_end_date, '%Y-%m-%dT%H:%M:%SZ') AS "bill/BillingPeriodEndDate",
                         line_item_usage_account_id AS "lineItem/UsageAccountId",
                         line_item_line_item_type AS "lineItem/LineItemType",
                         strftime(line_item_usage_start_date, '%Y-%m-%dT%H:%M:%SZ') AS "lineItem/UsageStartDate",
                         strftime(line_item_usage_end_date, '%Y-%m-%dT%H:%M:%SZ') AS "lineItem/UsageEndDate",
                         line_item_product_code AS "lineItem/ProductCode", line_item_usage_type AS "lineItem/UsageType",
                         line_item_line_item_description AS "lineItem/LineItemDescription",
                         line_item_resource_id AS "lineItem/ResourceId", line_item_usage_amount AS "lineItem/UsageAmount",
                         line_item_unblended_cost AS "lineItem/UnblendedCost",
                         pricing_public_on_demand_cost AS "pricing/publicOnDemandCost", pricing_unit AS "pricing/unit",
                         line_item_currency_code AS "lineItem/CurrencyCode",
                         savings_plan_savings_plan_a_r_n AS "savingsPlan/SavingsPlanARN",
                         savings_plan_savings_plan_effective_cost AS "savingsPlan/SavingsPlanEffectiveCost",
                         product_region_code AS "product/region", product['product_name'] AS "product/ProductName",
                         resource_tags['user_team'] AS "resourceTags/user:team"
                  FROM ({_cur_select(str(csv_rows))})) TO '{legacy}' (HEADER, DELIMITER ',', COMPRESSION gzip)"""
    )
    # the same rows uncompressed, byte for byte
    plain = Path(workdir) / LEGACY_CSV
    plain.parent.mkdir(parents=True, exist_ok=True)
    import gzip
    import shutil

    with gzip.open(legacy, "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    size = sum(f.stat().st_size for f in data.iterdir())
    return {"seconds": time.perf_counter() - t, "parquet_bytes": size, "csv_gz_bytes": legacy.stat().st_size,
            "csv_bytes": plain.stat().st_size, "rows": rows}


def step_bare(workdir: str, db: str, kind: str, memory_limit: str, repeat: int, ordered: bool = True) -> dict:
    import duckdb

    if kind == "cur2":
        data = Path(workdir) / "cur2" / "bench" / "data" / f"BILLING_PERIOD={MONTH}"
        files = sorted(str(f) for f in data.iterdir())
        source = "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "])"
    else:
        source = f"read_csv('{Path(workdir) / (LEGACY_GZ if kind == 'legacy' else LEGACY_CSV)}')"
    best = cpu = float("inf")
    for _ in range(repeat):
        _fresh(db)
        con = duckdb.connect(db, config={"memory_limit": memory_limit})
        if not ordered:
            con.execute("SET preserve_insertion_order = false")
        t, c = time.perf_counter(), time.process_time()
        con.execute(f"CREATE TABLE t AS SELECT * FROM {source}")
        con.execute("CHECKPOINT")
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
        rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        con.close()
    return {"seconds": best, "cpu": cpu, "peak_rss_mb": _peak_rss_mb(), "rows": rows}


def step_costplan(workdir: str, db: str, kind: str, memory_limit: str, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from costplan.actuals.files import import_files
    from costplan.actuals.store import Store

    path = Path(workdir) / {"cur2": Path("cur2"), "legacy": LEGACY_GZ.parent, "legacy-csv": LEGACY_CSV.parent}[kind]
    best = cpu = float("inf")
    for _ in range(repeat):
        _fresh(db)
        store = Store(db, memory_limit=memory_limit)
        t, c = time.perf_counter(), time.process_time()
        report = import_files(store, "cur", [path])
        store.con.execute("CHECKPOINT")
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
        store.close()
    return {"seconds": best, "cpu": cpu, "peak_rss_mb": _peak_rss_mb(), "rows": report.rows_loaded,
            "billed": float(report.totals["stored_BilledCost"].sum())}


def _run(step: str, **kw) -> dict:
    """One step in a process of its own; adds ``process_cpu``, the whole process's CPU seconds."""
    args = [sys.executable, __file__, "--step", step] + [f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"step {step} failed:\n{err.read()}")
        result = json.loads(out.read().strip().splitlines()[-1])
    result["process_cpu"] = usage.ru_utime + usage.ru_stime
    return result


def _median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--csv-rows", type=int, default=2_000_000)
    ap.add_argument("--memory-limit", default="600MB", help="DuckDB memory_limit of every step (the CLI's default)")
    ap.add_argument("--shape", choices=["realistic", "simple"], default="realistic",
                    help="CUR 2.0 rows from exportgen (29 columns, 3 MAPs, a real bill's cardinalities) or the "
                         "narrow synthetic month")
    ap.add_argument("--repeat", type=int, default=3, help="pairs of runs, the two ways alternated (median)")
    ap.add_argument("--inputs", default=",".join(INPUTS),
                    help=f"which inputs to time, comma-separated ({', '.join(INPUTS)})")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--kind", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--ordered", type=int, default=1, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        fn = {
            "generate": lambda: step_generate(a.workdir, a.rows, a.parts, a.csv_rows, a.shape, a.inputs),
            "bare": lambda: step_bare(a.workdir, a.db, a.kind, a.memory_limit, a.repeat, bool(a.ordered)),
            "costplan": lambda: step_costplan(a.workdir, a.db, a.kind, a.memory_limit, a.repeat),
        }[a.step]
        print(json.dumps(fn()))
        return
    inputs = [k for k in a.inputs.split(",") if k]
    unknown = [k for k in inputs if k not in INPUTS]
    if unknown:
        raise SystemExit(f"unknown input(s) {', '.join(unknown)}; valid: {', '.join(INPUTS)}")
    if a.workdir:  # the files go into a temporary folder inside it, removed at the end
        Path(a.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=a.workdir) as work:
        db = str(Path(work) / "bench.duckdb")
        gen = _run("generate", workdir=work, rows=a.rows, parts=a.parts, csv_rows=a.csv_rows, shape=a.shape,
                   inputs=",".join(inputs))
        print(f"generated {gen['rows']:,} CUR 2.0 rows in {a.parts} Parquet parts ({gen['parquet_bytes'] / 1e6:,.0f} MB) "
              f"and {a.csv_rows:,} legacy CUR rows ({gen['csv_gz_bytes'] / 1e6:,.0f} MB CSV.gz, "
              f"{gen['csv_bytes'] / 1e6:,.0f} MB CSV) in {gen['seconds']:.1f} s")
        results = {}
        targets = {"cur2": 1.2, "legacy": 1.5, "legacy-csv": 1.5}
        for kind in inputs:
            target = targets[kind]
            common = dict(workdir=work, db=db, kind=kind, memory_limit=a.memory_limit, repeat=1)
            label = {"cur2": f"{gen['rows']:,}-row CUR 2.0 export, {a.parts} parts",
                     "legacy": f"{a.csv_rows:,}-row legacy CUR CSV.gz",
                     "legacy-csv": f"{a.csv_rows:,}-row legacy CUR CSV (uncompressed)"}[kind]
            print(label)
            pairs, strict = [], []
            for i in range(a.repeat):
                load = os.getloadavg()[0]
                bare = _run("bare", **common)
                unordered = _run("bare", ordered=0, **common) if kind != "cur2" else None
                cp = _run("costplan", **common)
                pairs.append((bare, cp))
                if unordered is not None:
                    strict.append((unordered, cp))
                print(f"  pair {i + 1} (load average {load:.1f} -> {os.getloadavg()[0]:.1f}): "
                      f"bare {bare['seconds']:.2f} s wall, {bare['cpu']:.2f} CPU-s ({bare['process_cpu']:.2f} whole "
                      f"process, {bare['peak_rss_mb']:,.0f} MB peak); costplan {cp['seconds']:.2f} s wall, "
                      f"{cp['cpu']:.2f} CPU-s ({cp['process_cpu']:.2f} whole process, {cp['peak_rss_mb']:,.0f} MB "
                      f"peak, {cp['rows']:,} rows stored); ratio {cp['seconds'] / bare['seconds']:.2f} wall, "
                      f"{cp['cpu'] / bare['cpu']:.2f} CPU, {cp['process_cpu'] / bare['process_cpu']:.2f} whole "
                      "process CPU")
                if unordered is not None:
                    print(f"    bare, unordered {unordered['seconds']:.2f} s wall, {unordered['cpu']:.2f} CPU-s "
                          f"({unordered['peak_rss_mb']:,.0f} MB peak); ratio {cp['seconds'] / unordered['seconds']:.2f} "
                          f"wall, {cp['cpu'] / unordered['cpu']:.2f} CPU")
            wall = _median([c["seconds"] / b["seconds"] for b, c in pairs])
            cpu = _median([c["cpu"] / b["cpu"] for b, c in pairs])
            whole = _median([c["process_cpu"] / b["process_cpu"] for b, c in pairs])
            peak = max(c["peak_rss_mb"] for _, c in pairs)
            results[kind] = {"ratio_wall": round(wall, 3), "ratio_cpu": round(cpu, 3), "ratio_process_cpu":
                             round(whole, 3), "target": target,
                             "bare_cpu": round(_median([b["cpu"] for b, _ in pairs]), 2),
                             "costplan_cpu": round(_median([c["cpu"] for _, c in pairs]), 2)}
            if strict:
                results[kind]["ratio_cpu_unordered"] = round(_median([c["cpu"] / b["cpu"] for b, c in strict]), 3)
                results[kind]["ratio_wall_unordered"] = round(
                    _median([c["seconds"] / b["seconds"] for b, c in strict]), 3)
            print(f"  median ratio costplan / bare: {cpu:.2f} CPU seconds, {wall:.2f} wall, {whole:.2f} whole-process "
                  f"CPU (target <= {target}: {'OK' if cpu <= target else 'over target'} in CPU seconds); "
                  f"costplan peak RSS {peak / 1024:.2f} GB ({'OK' if peak < 1024 else 'over'} < 1 GB)")
            if strict:
                print(f"  median ratio costplan / bare, unordered (the same setting as costplan's CSV load): "
                      f"{results[kind]['ratio_cpu_unordered']:.2f} CPU seconds, "
                      f"{results[kind]['ratio_wall_unordered']:.2f} wall")
        print(json.dumps(results))


if __name__ == "__main__":
    main()
