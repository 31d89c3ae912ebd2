#!/usr/bin/env python3
"""Trim the licensed upstream price files into data/price-sources/ (what the catalog build reads).

    python scripts/vendor_price_sources.py --upstream DIR

DIR holds the upstream files exactly as they are at the commits named in
data/price-sources/PROVENANCE.md (same relative paths as in that table's "copied from"
column). The trimming keeps only what scripts/build_catalog.py uses; the output is sorted and
deterministic, so re-running it on the same upstream files changes nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costplan.regions import PRICED_REGIONS  # noqa: E402

OUT = ROOT / "data" / "price-sources"

# ElastiCache node families the catalog prices (reserved prices kept for these, Redis OSS and
# Valkey: Memcached nodes are rarely reserved and cost the same as Redis OSS) and the
# families kept on-demand only, as the regional basis of Intel EC2 and RDS classes.
CACHE_FAMILIES = ("t3", "t4g", "m6g", "m7g", "r6g", "r7g")
CACHE_BASIS_FAMILIES = ("m5", "r5")
CACHE_ENGINES = ("Redis", "Valkey", "Memcached")

# EC2 families priced outside us-east-1 (current generation, general purpose, compute and
# memory optimised, burstable). us-east-1 keeps every type karpenter lists.
EC2_FAMILIES = (
    "t3", "t3a", "t4g",
    "m5", "m5a", "m6a", "m6g", "m6i", "m7a", "m7g", "m7i", "m7i-flex", "m8g",
    "c5", "c5a", "c6a", "c6g", "c6i", "c7a", "c7g", "c7i", "c7i-flex", "c8g",
    "r5", "r5a", "r6a", "r6g", "r6i", "r7a", "r7g", "r7i", "r8g",
)

RDS_FAMILIES = ("t3", "m5", "m6g", "r5", "r6g")
RDS_ENGINES = ("PostgreSQL", "MySQL")


def _dump(obj, path: Path) -> None:
    # one record per line: small diffs when a source is refreshed
    if isinstance(obj, list):
        text = "[\n" + ",\n".join(json.dumps(x, sort_keys=True, separators=(",", ":")) for x in obj) + "\n]\n"
    else:
        text = json.dumps(obj, sort_keys=True, indent=1) + "\n"
    path.write_text(text)


def _round(x) -> float:
    return round(float(x), 8)


def elasticache(src: Path) -> None:
    data = json.loads(src.read_text())
    out = []
    for node in sorted(data, key=lambda n: n["instance_type"]):
        family = node["instance_type"].split(".")[1]
        if family not in CACHE_FAMILIES + CACHE_BASIS_FAMILIES:
            continue
        pricing = {}
        for region in sorted(node["pricing"]):
            if region not in PRICED_REGIONS:
                continue
            engines = {}
            for engine, p in sorted(node["pricing"][region].items()):
                if engine not in CACHE_ENGINES or "ondemand" not in p:
                    continue
                keep = {"ondemand": _round(p["ondemand"])}
                if family in CACHE_FAMILIES and engine != "Memcached" and p.get("reserved"):
                    keep["reserved"] = {k: _round(v) for k, v in sorted(p["reserved"].items())}
                engines[engine] = keep
            if engines:
                pricing[region] = engines
        out.append({"instance_type": node["instance_type"], "pricing": pricing})
    _dump(out, OUT / "ec2instances-info_elasticache-instances_2025-04-24_trimmed.json")


def spot_advisor(src: Path, families: set[str] | None = None) -> None:
    data = json.loads(src.read_text())
    out = {"ranges": data["ranges"], "spot_advisor": {}}
    for region in sorted(data["spot_advisor"]):
        if region not in PRICED_REGIONS:
            continue
        linux = data["spot_advisor"][region].get("Linux", {})
        keep = {t: linux[t] for t in sorted(linux) if region == "us-east-1" or t.split(".")[0] in EC2_FAMILIES}
        out["spot_advisor"][region] = {"Linux": keep}
    _dump(out, OUT / "spotinfo_spot-advisor-data_2025-06-28_trimmed.json")


def rds(src: Path) -> None:
    data = json.loads(src.read_text())
    out = []
    for item in sorted(data, key=lambda i: i["instance_type"]):
        parts = item["instance_type"].split(".")
        if len(parts) != 3 or parts[1] not in RDS_FAMILIES:
            continue
        pricing = {}
        for region in sorted(item["pricing"]):
            if region not in PRICED_REGIONS:
                continue
            engines = {e: _round(item["pricing"][region][e]["ondemand"]) for e in RDS_ENGINES
                       if "ondemand" in item["pricing"][region].get(e, {})}
            if engines:
                pricing[region] = engines
        out.append({"instance_type": item["instance_type"], "single_az_ondemand": pricing})
    _dump(out, OUT / "vantage_rds-instances_2021-08-03_trimmed.json")


def ec2_single(src: Path) -> None:
    item = json.loads(src.read_text())
    out = {
        "instance_type": item["instance_type"],
        "linux_ondemand": {r: _round(p["linux"]["ondemand"]) for r, p in sorted(item["pricing"].items())
                           if r in PRICED_REGIONS and "ondemand" in p.get("linux", {})},
    }
    _dump(out, OUT / "vantage_ec2-single-instance_x2iedn.32xlarge_2026-07-20_trimmed.json")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", type=Path, required=True, help="folder of the upstream files")
    args = ap.parse_args(argv)
    up = args.upstream
    elasticache(up / "ec2-instances-info" / "elasticache-instances.json")
    spot_advisor(up / "spotinfo" / "spot-advisor-data.json")
    rds(up / "vantage-ec2instances-info" / "rds-instances_2021-08-03.json")
    ec2_single(up / "vantage-ec2instances-info" / "ec2_single_instance_x2iedn.32xlarge.json")
    lic = OUT / "LICENSES"
    lic.mkdir(exist_ok=True)
    for folder, name in (("karpenter", "karpenter-provider-aws.LICENSE"), ("spotinfo", "spotinfo.LICENSE"),
                         ("ec2-instances-info", "ec2-instances-info.LICENSE"),
                         ("vantage-ec2instances-info", "vantage-ec2instances.info.LICENSE"),
                         ("infracost-golden", "infracost.LICENSE")):
        shutil.copyfile(up / folder / "LICENSE", lic / name)
    print(f"wrote trimmed sources to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
