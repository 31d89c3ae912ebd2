"""Reading one region's EC2 bulk offer file: costplan against pandas, measured in one run.

Generates an EC2 offer CSV in AWS's documented format (the five metadata lines, the header
row with every one of the 91 EC2 columns in AWS's order, every field quoted) at a realistic
size: ``--types`` instance types (default 400) x 6 operating systems x 4 pre-installed software
x 3 tenancies x 3 capacity statuses, each product with its on-demand row and its 12 reserved
terms (1yr/3yr x standard/convertible x no/partial/all upfront; partial and all upfront have an
upfront-fee row and an hourly row), so 21 rows per product: 400 types give 1,814,400 rows,
about 1 GB. A few percent of the rows are Linux, shared tenancy, no software, used capacity:
the ones costplan keeps.

Timed, each in its own process (so the peak RSS is the step's own), best of ``--repeat``:

- **costplan**: :func:`costplan.pricing.bulk.read_offer_file` (header checks, DuckDB scan of the
  needed columns with the Query API's filters, grouping into products, mapping to catalog rows);
- **pandas**: ``pandas.read_csv(skiprows=5, usecols=<the same columns>, dtype=str)`` then the same
  filter with boolean masks (pandas' C parser, the fair "read only what you need" baseline), and
  the same baseline with ``engine="pyarrow"`` for reference.

Target: pandas (C) / costplan >= 3 and costplan's peak RSS < 1 GB.

    python benchmarks/bench_refresh.py                  # the issue's size
    python benchmarks/bench_refresh.py --types 40       # a quick check (~180,000 rows)
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
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

OSES = ["Linux", "Windows", "RHEL", "SUSE", "Red Hat Enterprise Linux with HA", "Ubuntu Pro"]
SOFTWARE = ["NA", "SQL Web", "SQL Std", "SQL Ent"]
TENANCY = ["Shared", "Dedicated", "Host"]
CAPACITY = ["Used", "UnusedCapacityReservation", "AllocatedCapacityReservation"]
FAMILIES = ["m5", "m6i", "m7g", "c5", "c6g", "c7g", "r5", "r6g", "r7g", "t3", "t4g", "x2idn", "i4i", "g5", "p4d", "z1d"]
SIZES = ["medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "metal",
         "32xlarge", "48xlarge", "nano", "micro", "small", "9xlarge", "18xlarge", "3xlarge", "6xlarge", "56xlarge",
         "112xlarge", "10xlarge", "20xlarge", "96xlarge", "7xlarge"]
# (lease, class, option, rows): partial and all upfront have a Quantity row and an Hrs row
TERMS = [(lease, cls_, opt) for lease in ("1yr", "3yr") for cls_ in ("standard", "convertible")
         for opt in ("No Upfront", "Partial Upfront", "All Upfront")]


def _peak_rss_mb() -> float:
    """This process's peak resident set [MB]: VmHWM (reset by exec, unlike ru_maxrss, which a
    child inherits from the process that forked it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def generate(path: Path, n_types: int) -> int:
    """Write the offer file with DuckDB (fast, streaming); return its number of data rows."""
    import duckdb
    from bulk_fixtures import EC2_COLUMNS, offer_csv

    types = [f"{FAMILIES[i % len(FAMILIES)]}.{SIZES[(i // len(FAMILIES)) % len(SIZES)]}"
             + ("" if i < len(FAMILIES) * len(SIZES) else f"-v{i // (len(FAMILIES) * len(SIZES))}")
             for i in range(n_types)]
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute("CREATE TABLE types AS SELECT * FROM (SELECT unnest(?) AS t, generate_subscripts(?, 1) AS ti)",
                [types, types])
    for name, col, vals in (("oses", "os", OSES), ("sw", "swv", SOFTWARE), ("ten", "tn", TENANCY),
                            ("cap", "cp", CAPACITY)):
        con.execute(f"CREATE TABLE {name} AS SELECT unnest(?) AS {col}, generate_subscripts(?, 1) AS {col}k",
                    [vals, vals])
    term_rows = [("OnDemand", "JRTCKXETXF", "", "", "", "Hrs", "6YS6EN2CT7")]
    for i, (lease, cls_, opt) in enumerate(TERMS):
        code = f"TERM{i:06d}"
        if opt != "No Upfront":
            term_rows.append(("Reserved", code, lease, cls_, opt, "Quantity", "2TG2D8R56U"))
        term_rows.append(("Reserved", code, lease, cls_, opt, "Hrs", "6YS6EN2CT7"))
    con.execute("CREATE TABLE terms (tt VARCHAR, code VARCHAR, lease VARCHAR, cls VARCHAR, opt VARCHAR, unit VARCHAR,"
                " rate VARCHAR)")
    con.executemany("INSERT INTO terms VALUES (?, ?, ?, ?, ?, ?, ?)", term_rows)
    values = {c: "''" for c in EC2_COLUMNS}
    sku = "upper(substr(md5(t || os || swv || tn || cp), 1, 16))"
    values.update({
        "SKU": sku, "OfferTermCode": "code", "RateCode": f"{sku} || '.' || code || '.' || rate", "TermType": "tt",
        "PriceDescription": "CASE WHEN unit = 'Quantity' THEN 'Upfront Fee' ELSE '$' || price || ' per ' || os || ' ' || t || ' Instance Hour' END",
        "EffectiveDate": "'2026-11-01'", "StartingRange": "CASE WHEN unit = 'Hrs' THEN '0' ELSE '' END",
        "EndingRange": "CASE WHEN unit = 'Hrs' THEN 'Inf' ELSE '' END", "Unit": "unit", "PricePerUnit": "price",
        "Currency": "'USD'", "LeaseContractLength": "lease", "PurchaseOption": "opt", "OfferingClass": "cls",
        "Product Family": "'Compute Instance'", "serviceCode": "'AmazonEC2'", "Location": "'US East (N. Virginia)'",
        "Location Type": "'AWS Region'", "Instance Type": "t", "Current Generation": "'Yes'",
        "Instance Family": "'General purpose'", "vCPU": "CAST(2 + ti % 64 AS VARCHAR)",
        "Physical Processor": "'Intel Xeon Platinum 8175 (Skylake)'", "Clock Speed": "'3.1 GHz'",
        "Memory": "CAST(8 + ti % 512 AS VARCHAR) || ' GiB'", "Storage": "'EBS only'",
        "Network Performance": "'Up to 10 Gigabit'", "Processor Architecture": "'64-bit'", "Tenancy": "tn",
        "EBS Optimized": "'Yes'", "Operating System": "os", "License Model": "'No License required'",
        "usageType": "CASE tn WHEN 'Shared' THEN 'BoxUsage:' WHEN 'Dedicated' THEN 'DedicatedUsage:' ELSE 'HostUsage:' END || t",
        "operation": "'RunInstances' || CASE WHEN osk = 1 THEN '' ELSE ':000' || osk END",
        "CapacityStatus": "cp", "ClassicNetworkingSupport": "'false'", "Dedicated EBS Throughput": "'Up to 4750 Mbps'",
        "ECU": "'10'", "Enhanced Networking Supported": "'Yes'", "GPU": "''", "instanceSKU": sku,
        "Intel AVX2 Available": "'Yes'", "Intel AVX Available": "'Yes'", "Intel Turbo Available": "'Yes'",
        "MarketOption": "'OnDemand'", "Normalization Size Factor": "'4'", "Physical Cores": "'48'",
        "Pre Installed S/W": "swv", "Processor Features": "'Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo'",
        "Region Code": "'us-east-1'", "serviceName": "'Amazon Elastic Compute Cloud'", "VPCNetworkingSupport": "'true'",
    })
    select = ", ".join(f'{expr} AS "{col}"' for col, expr in values.items())
    price = ("CAST(round((0.01 + ti * 0.0123 + osk * 0.05 + swvk * 0.2 + tnk * 0.01) * "
             "CASE WHEN unit = 'Quantity' THEN 5000 WHEN tt = 'Reserved' THEN 0.6 ELSE 1 END, 4) AS VARCHAR)")
    body = path.with_suffix(".body")
    con.execute(
        f"COPY (SELECT {select} FROM (SELECT *, {price} AS price FROM types, oses, sw, ten, cap, terms) "
        f"ORDER BY ti, osk, swvk, tnk, cpk, code, unit) TO '{body}' (FORMAT csv, HEADER false, FORCE_QUOTE *)"
    )
    n = con.execute("SELECT count(*) FROM types, oses, sw, ten, cap, terms").fetchone()[0]
    head = offer_csv("AmazonEC2", [])
    with path.open("wb") as out, body.open("rb") as src:
        out.write(head)
        while chunk := src.read(1 << 24):
            out.write(chunk)
    body.unlink()
    return int(n)


NEEDED = None


def needed_columns() -> list[str]:
    from bulk_fixtures import EC2_COLUMNS

    from costplan.pricing.bulk import ATTRIBUTES, TERM_COLUMNS, _norm

    by_norm = {_norm(c): c for c in EC2_COLUMNS}
    return list(dict.fromkeys([*TERM_COLUMNS, *(by_norm[_norm(a)] for a in ATTRIBUTES if _norm(a) in by_norm)]))


def run_costplan(path: str) -> dict:
    from costplan.pricing.bulk import read_offer_file

    t = time.perf_counter()
    parsed, n, _ = read_offer_file(Path(path), "file://" + path, "AmazonEC2", "us-east-1", threads=2)
    return {"seconds": time.perf_counter() - t, "rows": n, "prices": len(parsed.prices), "peak_mb": _peak_rss_mb()}


def run_pandas(path: str, engine: str = "c") -> dict:
    import pandas as pd

    t = time.perf_counter()
    df = pd.read_csv(path, skiprows=5, usecols=needed_columns(), dtype=str, keep_default_na=False, engine=engine)
    keep = (df["TermType"].isin(["OnDemand", "Reserved"]) & (df["Product Family"] == "Compute Instance")
            & (df["Operating System"] == "Linux") & (df["Tenancy"] == "Shared") & (df["Pre Installed S/W"] == "NA")
            & (df["CapacityStatus"] == "Used"))
    kept = df[keep]
    return {"seconds": time.perf_counter() - t, "rows": len(df), "kept_rows": len(kept), "peak_mb": _peak_rss_mb()}


def _child(step: str, path: str) -> dict:
    code = f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import bench_refresh as b; "
    code += {
        "costplan": f"print(json.dumps(b.run_costplan({path!r})))",
        "pandas": f"print(json.dumps(b.run_pandas({path!r})))",
        "pandas-pyarrow": f"print(json.dumps(b.run_pandas({path!r}, 'pyarrow')))",
    }[step]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--types", type=int, default=400, help="instance types (21 x 216 rows each)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workdir", help="keep the generated file here (reused when present)")
    ap.add_argument("--no-pyarrow", action="store_true", help="skip the pandas pyarrow-engine reference")
    args = ap.parse_args(argv)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"ec2-us-east-1-{args.types}.csv"
    if not path.exists():
        t = time.perf_counter()
        n = generate(path, args.types)
        print(f"generated {path} ({n:,} rows, {path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s")
    else:
        print(f"reusing {path} ({path.stat().st_size / 1e6:,.0f} MB)")
    steps = ["costplan", "pandas"] + ([] if args.no_pyarrow else ["pandas-pyarrow"])
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for step in steps:
            r = _child(step, str(path))
            if step not in best or r["seconds"] < best[step]["seconds"]:
                best[step] = r
    for step in steps:
        r = best[step]
        print(f"{step:15s} {r['seconds']:7.2f} s  peak RSS {r['peak_mb']:7.0f} MB  rows {r['rows']:,}"
              + (f"  prices {r['prices']:,}" if "prices" in r else f"  kept rows {r['kept_rows']:,}"))
    c = best["costplan"]
    ratio = best["pandas"]["seconds"] / c["seconds"]
    print(f"pandas (C engine, usecols) / costplan = {ratio:.2f}x (target >= 3); costplan peak {c['peak_mb']:.0f} MB "
          f"(target < 1024)")
    if "pandas-pyarrow" in best:
        print(f"pandas (pyarrow engine, usecols) / costplan = {best['pandas-pyarrow']['seconds'] / c['seconds']:.2f}x")
    if not args.workdir:
        path.unlink()
        os.rmdir(work)
    return 0 if ratio >= 3 and c["peak_mb"] < 1024 else 1


if __name__ == "__main__":
    raise SystemExit(main())
