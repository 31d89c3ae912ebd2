"""EKS Kubernetes versions and their support dates: which control-plane rate a cluster pays.

A minor version is under EKS standard support for 14 months after it reaches EKS, then under
extended support (billed at the extended rate) for 12 more months; after that EKS upgrades the
cluster to the oldest version still in extended support, so it keeps paying the extended rate.
The dated table is ``costplan/pricing/data/eks-versions.csv``, built with the price catalog
(from ``data/price-sources/eks-versions.csv``; source and date in its header and the manifest).

>>> import datetime as dt
>>> support_on("1.28", dt.date(2024, 11, 25)).tier, support_on("1.28", dt.date(2024, 11, 26)).tier
('standard', 'extended')
>>> support_on("1.33.2", dt.date(2026, 1, 1)).tier
'standard'
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "eks-versions.csv"


@dataclass(frozen=True)
class EksVersion:
    version: str
    eks_release: dt.date
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date


@dataclass(frozen=True)
class Support:
    """The support tier a cluster on ``version`` is billed at on ``on``, and why."""

    tier: str
    """``standard`` or ``extended``."""
    reason: str
    known: bool
    """False when the version is not in the table (the tier is then an assumption)."""


def read_table(path: Path = TABLE) -> dict[str, EksVersion]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    out = {}
    for row in csv.DictReader(lines):
        out[row["version"]] = EksVersion(
            row["version"], *(dt.date.fromisoformat(row[c]) for c in
                              ("eks_release", "end_of_standard_support", "end_of_extended_support")))
    return out


@lru_cache(maxsize=1)
def versions() -> dict[str, EksVersion]:
    return read_table()


def minor(version: str) -> str | None:
    """``"1.28"`` from ``"1.28"``, ``"v1.28.3"`` or ``"1.28-eks-5"``; None if not a version."""
    m = re.match(r"^v?(\d+)\.(\d+)", str(version).strip())
    return f"{int(m[1])}.{int(m[2])}" if m else None


def support_on(version: str, on: dt.date) -> Support:
    """The tier EKS bills a cluster on Kubernetes ``version`` at on date ``on``."""
    table = versions()
    v = minor(version)
    if v is None:
        return Support("standard", f"{version!r} is not a Kubernetes version (expected e.g. 1.31)", known=False)
    info = table.get(v)
    if info is None:
        key = tuple(int(x) for x in v.split("."))
        newest = max(table, key=lambda s: tuple(int(x) for x in s.split(".")))
        if key > tuple(int(x) for x in newest.split(".")):
            return Support("standard", f"Kubernetes {v} is newer than the versions in the support table "
                           f"(newest {newest}): assumed under standard support", known=False)
        return Support("extended", f"Kubernetes {v} is older than the versions in the support table: long "
                       "past standard support, EKS bills it (or the version it was upgraded to) at the extended rate",
                       known=False)
    if on < info.end_of_standard_support:
        return Support("standard", f"Kubernetes {v} is under standard support until "
                       f"{info.end_of_standard_support.isoformat()}", known=True)
    if on < info.end_of_extended_support:
        return Support("extended", f"Kubernetes {v} left standard support on "
                       f"{info.end_of_standard_support.isoformat()} (extended support until "
                       f"{info.end_of_extended_support.isoformat()})", known=True)
    return Support("extended", f"Kubernetes {v} left extended support on {info.end_of_extended_support.isoformat()}: "
                   "EKS has upgraded the cluster to the oldest version in extended support, billed at the extended "
                   "rate", known=True)
