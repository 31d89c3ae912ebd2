"""A synthetic year of UltiBiker's AWS spend, in FOCUS columns. NOT real billing data.

Every row carries ``x_Synthetic = true`` and ``x_Source = 'synthetic-sample'``; the billing
account is ``synthetic-payer``. It exists so that every command works with no AWS account.

What it contains (fixed seed, so the same file every time):

- daily rows from 2026-11-01 back to 2025-11-01: twelve ``Final`` billing periods, then
  2026-11-01 .. 2026-11-25 month to date marked ``Estimated``;
- one item per cost line of the estimate of the bundled stack (:func:`baseline`), under the
  usage type AWS would bill it with, in us-east-1, eu-west-1 and global;
- growth of :data:`GROWTH_PER_MONTH` in usage, a summer peak (cycling season,
  :data:`SEASON_AMPLITUDE`), day-to-day noise;
- spot: :data:`SPOT_SHARE` of the worker pool's instance hours run on spot at
  :data:`SPOT_PRICE_RATIO` of the on-demand price (PricingCategory ``Dynamic``);
- the plan's Compute Savings Plan (:data:`SP_COMMITMENT` [USD/h] if the plan has none) from
  2026-03-01 at
  :data:`SP_RATE_RATIO` of on-demand: covered usage (``Committed``, BilledCost 0), the daily
  recurring fee (``Purchase``, EffectiveCost 0) and any unused commitment (``Unused``),
  as FOCUS 1.0+ defines them;
- one promotional credit of :data:`CREDIT_AMOUNT` [USD] on 2026-04-15;
- active users per final month (:func:`sample_users`, table ``user_counts``), growing and
  following the season like the usage, for actual cost per user.

The October 2026 amounts are the plan times a per-kind drift (:data:`DRIFT`): data transfer
and NAT traffic grew faster than planned; spot makes the node pools cheaper than planned and
leaves part of the Savings Plan unused, so its savings fall short of the plan. Every
component other than the commitment stays within about 15% of plan (docs/actuals.md).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SEED = 20261125
FIRST_DAY = dt.date(2025, 11, 1)
FINAL_END = dt.date(2026, 11, 1)  # exclusive end of the final months
MTD_END = dt.date(2026, 11, 26)  # exclusive end of the Estimated month to date
ANCHOR_MONTH = dt.date(2026, 10, 1)  # baseline amounts are this month's
GROWTH_PER_MONTH = 0.03  # usage growth per month [1]
SEASON_AMPLITUDE = 0.12  # +-12% around the mean, peak in July [1]
SPOT_SHARE = 0.40  # share of worker-pool instance hours on spot [1]
SPOT_PRICE_RATIO = 0.35  # spot price / on-demand price [1]
SP_START = dt.date(2026, 3, 1)
SP_COMMITMENT = 2.50  # Compute Savings Plan commitment [USD/h]
DEFAULT_ACTIVE_USERS = 10_000.0  # anchor-month users if the bundled stack has no projection [users]
SP_RATE_RATIO = 0.72  # Savings Plan rate / on-demand rate [1]
CREDIT_DAY = dt.date(2026, 4, 15)
CREDIT_AMOUNT = -750.00  # [USD]
BILLING_ACCOUNT = "synthetic-payer"
SP_ID = "synthetic-savings-plan-0001"
#: Actual / plan in the anchor month, by component kind (the story told above).
DRIFT = {"data_transfer": 1.12, "nat_gateway": 1.10, "cloudwatch": 1.08, "s3": 0.95, "ebs_volume": 1.05}

TEAMS = {"node_pool": "platform", "eks": "platform", "rds": "data", "elasticache": "data", "s3": "data"}


def _months_between(a: dt.date, b: dt.date) -> int:
    return (a.year - b.year) * 12 + a.month - b.month


#: Units of fixed charges (they do not grow with users nor follow the season).
FIXED_UNITS = {"Hrs", "Keys-Mo", "ACL-Mo", "Rule-Mo", "Zone-Mo", "Checks-Mo", "Metrics-Mo", "Alarms-Mo"}
CATEGORIES = {
    "eks": "Compute",
    "node_pool": "Compute",
    "ebs_volume": "Storage",
    "k8s_volume": "Storage",
    "s3": "Storage",
    "rds": "Databases",
    "elasticache": "Databases",
    "data_transfer": "Networking",
    "nat_gateway": "Networking",
    "load_balancer": "Networking",
    "public_ipv4": "Networking",
    "route53": "Networking",
    "waf": "Security",
    "kms": "Security",
}


def usage_types() -> list[tuple]:
    """Usage-type stems for estimate lines, ``(component_kind, sku or "*", PricingUnit or "*",
    stem)``: a view of the priced services' ``usage_types``."""
    from costplan.components.registry import REGISTRY

    return [(s.kind, *u) for s in REGISTRY for u in s.usage_types]


def _usage_stem(kind: str, sku: str, unit: str, seen: dict) -> str | None:
    """The usage-type stem of an estimate line; rules with several stems hand them out in turn."""
    for i, (k, s, u, stem) in enumerate(usage_types()):
        if k == kind and s in ("*", sku) and u in ("*", unit):
            if isinstance(stem, list):
                n = seen.get(i, 0)
                seen[i] = n + 1
                stem = stem[min(n, len(stem) - 1)]
            return stem.format(sku=sku)
    return None


def _category(service_code: str) -> str:
    """FOCUS ServiceCategory of a product code (``Other`` when unknown)."""
    from costplan.components.products import PRODUCTS

    p = PRODUCTS.get(service_code)
    return p.category if p is not None else "Other"


def baseline_from_estimate(lines: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """Sample items from an estimate's lines: one per line, with the usage type AWS would bill
    it under. Returns the items and the Savings Plan commitment of the plan [USD/h] (None
    when the plan has none). Commitment lines themselves are not items (the sample models the
    Savings Plan from :data:`SP_COMMITMENT` or the plan's commitment)."""
    import pandas as pd

    from costplan.actuals.mapping import plan_kind

    rows = []
    commitment = None
    seen_by_region: dict[str, dict] = {}
    for r in lines.itertuples(index=False):
        kind, unit, sku = r.component_kind, str(r.PricingUnit), str(r.sku)
        if kind == "commitment":
            if unit == "Hrs" and "savings-plan" in sku:
                commitment = float(r.ListUnitPrice)
            continue
        if not r.ListCost or r.ListCost <= 0:
            continue
        stem = _usage_stem(kind, sku, unit, seen_by_region.setdefault(str(r.RegionId), {}))
        if stem is None:
            raise ValueError(f"no usage type for estimate line {kind}/{sku}/{unit}")
        region = None if r.RegionId in (None, "global") else r.RegionId
        from costplan.actuals.cost_explorer import REGION_PREFIXES

        prefix = {v: k + "-" for k, v in REGION_PREFIXES.items()}.get(region, "")
        if region == "us-east-1" and stem.startswith(("BoxUsage", "EBS:")) or kind == "route53":
            prefix = ""
        comp = str(r.component).split("/")[-1]
        rows.append(
            {
                "component_kind": plan_kind(kind, unit),
                "ServiceName": r.ServiceName,
                "ServiceCategory": CATEGORIES.get(kind) or _category(r.ServiceCode),
                "RegionId": region,
                "x_UsageType": prefix + stem,
                "PricingUnit": unit,
                "ListUnitPrice": float(r.ListUnitPrice),
                "ListCost": float(r.ListCost),
                "usage_driven": unit not in FIXED_UNITS or comp == "app",
                "component_tag": comp,
            }
        )
    return pd.DataFrame(rows), commitment


def baseline() -> tuple[pd.DataFrame, float]:
    """The sample's planned October 2026 items [USD/month] and its Savings Plan commitment
    [USD/h], from the estimate of the bundled stack. A bundled stack that cannot be priced is
    an error (there is no second, hand-typed copy of its amounts)."""
    import costplan
    from costplan.config import DEFAULT_STACK

    frame, commitment = baseline_from_estimate(costplan.estimate(costplan.load_stack(DEFAULT_STACK)).lines)
    return frame, commitment or SP_COMMITMENT


def generate_sample(seed: int = SEED) -> pd.DataFrame:
    """The synthetic sample as a DataFrame of FOCUS columns (see module docstring)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    base, sp_commitment = baseline()
    days = pd.date_range(FIRST_DAY, MTD_END - dt.timedelta(days=1), freq="D")
    out = []
    for day in days:
        d = day.date()
        dim = calendar.monthrange(d.year, d.month)[1]
        k = _months_between(d, ANCHOR_MONTH) + (d.day - 1) / dim
        growth = (1 + GROWTH_PER_MONTH) ** k
        season = 1 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (d.month - 7 + (d.day - 1) / dim) / 12)
        noise = rng.lognormal(0.0, 0.04, len(base))
        drift = base["component_kind"].map(DRIFT).fillna(1.0).to_numpy()
        factor = np.where(base["usage_driven"], growth * season * noise, 1.0 + (noise - 1.0) * 0.1)
        cost = base["ListCost"].to_numpy() / dim * drift * factor
        f = base.assign(ListCost=cost, day=d)
        out.append(f)
    rows = pd.concat(out, ignore_index=True)
    rows["PricingQuantity"] = rows["ListCost"] / rows["ListUnitPrice"]
    rows["PricingCategory"] = "Standard"
    rows["BilledCost"] = rows["ListCost"]
    rows["EffectiveCost"] = rows["ListCost"]
    rows["ChargeCategory"] = "Usage"
    rows["CommitmentDiscountType"] = None
    rows["CommitmentDiscountStatus"] = None
    rows["CommitmentDiscountId"] = None

    # spot share of the worker pool
    workers = rows["x_UsageType"].str.endswith("BoxUsage:c5.xlarge")
    spot = rows[workers].copy()
    spot["PricingQuantity"] *= SPOT_SHARE
    spot["ListCost"] *= SPOT_SHARE
    spot["BilledCost"] = spot["ListCost"] * SPOT_PRICE_RATIO
    spot["EffectiveCost"] = spot["BilledCost"]
    spot["PricingCategory"] = "Dynamic"
    spot["x_UsageType"] = spot["x_UsageType"].str.replace("BoxUsage", "SpotUsage")
    for col in ("PricingQuantity", "ListCost", "BilledCost", "EffectiveCost"):
        rows.loc[workers, col] *= 1 - SPOT_SHARE
    rows = pd.concat([rows, spot], ignore_index=True)

    # Compute Savings Plan: each day it covers on-demand instance hours up to its commitment
    daily_commit = sp_commitment * 24
    eligible = (rows["x_UsageType"].str.contains("BoxUsage")) & (rows["day"] >= SP_START)
    od = rows.loc[eligible].groupby("day")["ListCost"].transform("sum")
    used_day = np.minimum(SP_RATE_RATIO * od, daily_commit)
    frac = (used_day / (SP_RATE_RATIO * od)).where(od > 0, 0.0)
    cov = rows.loc[eligible].copy()
    for col in ("PricingQuantity", "ListCost"):
        cov[col] = cov[col] * frac
    cov["BilledCost"] = 0.0
    cov["EffectiveCost"] = cov["ListCost"] * SP_RATE_RATIO
    cov["PricingCategory"] = "Committed"
    cov["CommitmentDiscountType"] = "Savings Plan"
    cov["CommitmentDiscountStatus"] = "Used"
    cov["CommitmentDiscountId"] = SP_ID
    covered_parts = [cov]
    for col in ("PricingQuantity", "ListCost", "BilledCost", "EffectiveCost"):
        rows.loc[eligible, col] = rows.loc[eligible, col] * (1 - frac)
    per_day = (
        pd.DataFrame({"day": rows.loc[eligible, "day"], "used": used_day})
        .groupby("day", as_index=False)["used"]
        .first()
    )
    fee = pd.DataFrame(
        {
            "component_kind": "commitment",
            "ServiceName": "Savings Plans for AWS Compute usage",
            "ServiceCategory": "Other",
            "RegionId": None,
            "x_UsageType": "ComputeSP:1yrNoUpfront",
            "PricingUnit": "Hrs",
            "ListUnitPrice": sp_commitment,
            "PricingQuantity": 24.0,
            "ListCost": 0.0,
            "BilledCost": daily_commit,
            "EffectiveCost": 0.0,
            "ChargeCategory": "Purchase",
            "PricingCategory": "Committed",
            "CommitmentDiscountType": "Savings Plan",
            "CommitmentDiscountStatus": None,
            "CommitmentDiscountId": SP_ID,
            "component_tag": "savings-plan",
            "day": per_day["day"],
        }
    )
    unused = daily_commit - per_day["used"]
    keep = unused > 1e-9
    unused_rows = fee[keep].assign(
        ChargeCategory="Usage",
        BilledCost=0.0,
        EffectiveCost=unused[keep],
        PricingQuantity=unused[keep] / sp_commitment,
        CommitmentDiscountStatus="Unused",
    )
    extra = [r for r in pd.concat([fee, unused_rows]).to_dict("records")]
    extra.append(
        {
            "component_kind": "credit",
            "ServiceName": "Amazon Elastic Compute Cloud",
            "ServiceCategory": "Compute",
            "RegionId": None,
            "x_UsageType": None,
            "PricingUnit": None,
            "ListUnitPrice": None,
            "PricingQuantity": None,
            "ListCost": 0.0,
            "BilledCost": CREDIT_AMOUNT,
            "EffectiveCost": CREDIT_AMOUNT,
            "ChargeCategory": "Credit",
            "PricingCategory": None,
            "component_tag": None,
            "day": CREDIT_DAY,
        }
    )
    rows = pd.concat([rows, *covered_parts, pd.DataFrame(extra)], ignore_index=True)

    day = pd.to_datetime(rows["day"])
    period = day.dt.to_period("M")
    rows["ChargePeriodStart"] = day
    rows["ChargePeriodEnd"] = day + pd.Timedelta(days=1)
    rows["BillingPeriodStart"] = period.dt.start_time
    rows["BillingPeriodEnd"] = (period + 1).dt.start_time
    rows["BillingAccountId"] = BILLING_ACCOUNT
    rows["SubAccountId"] = "synthetic-" + rows["RegionId"].fillna("global")
    rows["ProviderName"] = "AWS"
    rows["BillingCurrency"] = "USD"
    rows["SkuId"] = rows["x_UsageType"]
    rows["ConsumedQuantity"] = rows["PricingQuantity"]
    rows["ConsumedUnit"] = rows["PricingUnit"]
    rows["ContractedCost"] = rows["ListCost"]
    rows["ChargeClass"] = None
    rows["CommitmentDiscountCategory"] = rows["CommitmentDiscountType"].map({"Savings Plan": "Spend"})
    rows["ChargeDescription"] = "Synthetic sample: " + rows["x_UsageType"].fillna("promotional credit")
    rows["ResourceId"] = None
    rows["Tags"] = [
        json.dumps(
            {"environment": "production", "component": t, "team": TEAMS.get(k, "shared")}, sort_keys=True
        )
        if t
        else None
        for t, k in zip(rows["component_tag"], rows["component_kind"], strict=True)
    ]
    rows["x_ChargeStatus"] = np.where(day >= pd.Timestamp(FINAL_END), "Estimated", "Final")
    rows["x_Synthetic"] = True
    for col in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        rows[col] = rows[col].astype(float).round(6)
    from costplan.actuals.schema import COLUMN_NAMES

    cols = [
        c
        for c in COLUMN_NAMES
        if c in rows.columns and c not in ("x_Source", "x_LoadId", "x_NetEffectiveCost")
    ]
    rows = rows[cols].sort_values(
        ["ChargePeriodStart", "RegionId", "ServiceName", "x_UsageType", "PricingCategory"], kind="stable"
    )
    return rows.reset_index(drop=True)


def sample_users() -> pd.DataFrame:
    """SYNTHETIC active users per final month of the sample: the bundled stack's central
    ``active_users`` in the anchor month (10,000 if it has none), with the sample's growth and
    season around it (:data:`GROWTH_PER_MONTH`, :data:`SEASON_AMPLITUDE`, mid-month), rounded
    to whole users. Columns ``month`` (``YYYY-MM``), ``active_users`` [users]."""
    import math

    import pandas as pd

    anchor = DEFAULT_ACTIVE_USERS
    try:
        import costplan
        from costplan.config import DEFAULT_STACK

        spec = costplan.load_stack(DEFAULT_STACK).projection
        if spec is not None:
            anchor = float(spec.drivers.active_users.value)
    except Exception:  # noqa: BLE001 - the sample must still build (baseline() warns about the stack)
        pass
    rows = []
    for start in pd.date_range(FIRST_DAY, FINAL_END - dt.timedelta(days=1), freq="MS"):
        d = start.date()
        k = _months_between(d, ANCHOR_MONTH)
        season = 1 + SEASON_AMPLITUDE * math.cos(2 * math.pi * (d.month - 7 + 0.5) / 12)
        season_anchor = 1 + SEASON_AMPLITUDE * math.cos(2 * math.pi * (ANCHOR_MONTH.month - 7 + 0.5) / 12)
        users = anchor * (1 + GROWTH_PER_MONTH) ** k * season / season_anchor
        rows.append({"month": d.strftime("%Y-%m"), "active_users": float(round(users))})
    return pd.DataFrame(rows)


def write_sample(path: str | os.PathLike, seed: int = SEED) -> Path:
    """Write the sample as a FOCUS file (``.parquet``, ``.csv`` or ``.csv.gz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = generate_sample(seed)
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return path


def inputs_fingerprint(seed: int = SEED) -> str:
    """A short hash of what the sample is generated from: this generator, the bundled stack,
    the embedded catalog and the code that prices the stack. The default store records it, and
    is rebuilt when it changes (see :func:`ensure_default_store`).

    Hashing the files (the catalog alone is ~10 MB) is a good part of a command's start-up, so
    the hash is kept in the user's cache (:func:`fingerprint_cache`) under the files' paths,
    sizes and modification times: a file that changes has another key and is hashed again."""
    import hashlib

    import costplan
    from costplan.config import DEFAULT_STACK
    from costplan.pricing.catalog import default_catalog_path

    package = Path(costplan.__file__).parent
    files = [Path(__file__), DEFAULT_STACK, default_catalog_path(), package / "estimator.py"]
    files += sorted((package / "components").glob("*.py"))
    try:
        stats = [(str(f.resolve()), f.stat()) for f in files]
        key = hashlib.sha256(repr([seed, *((p, st.st_size, st.st_mtime_ns) for p, st in stats)]).encode()).hexdigest()
    except OSError:
        key = None
    cache = fingerprint_cache()
    if key is not None:
        try:
            cached = json.loads(cache.read_text())
            if cached.get("key") == key and isinstance(cached.get("fingerprint"), str):
                return cached["fingerprint"]
        except (OSError, ValueError, AttributeError):
            pass
    h = hashlib.sha256(str(seed).encode())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    fingerprint = h.hexdigest()[:16]
    if key is not None:  # best effort: a cache that cannot be written only means hashing again next time
        from costplan.cache import write_cache_file

        write_cache_file(cache, json.dumps({"key": key, "fingerprint": fingerprint}).encode())
    return fingerprint


def fingerprint_cache() -> Path:
    """``$XDG_CACHE_HOME/costplan/sample-inputs.json`` (default ``~/.cache/costplan/...``): the
    last :func:`inputs_fingerprint` with the stat of the files it was hashed from."""
    from costplan.cache import user_cache_dir

    return user_cache_dir() / "sample-inputs.json"


def _description(seed: int) -> str:
    return f"synthetic sample (not real data), inputs {inputs_fingerprint(seed)}"


def build_store(path: str | os.PathLike, seed: int = SEED) -> None:
    """Create a store at ``path`` holding only the synthetic sample."""
    from costplan.actuals.store import Store

    with Store(path) as store:
        store.load_frame(generate_sample(seed), "synthetic-sample", description=_description(seed))
        store.load_users(
            sample_users(), "synthetic-sample", description=_description(seed).replace("sample", "active users", 1)
        )


def _is_stale(path: Path) -> bool:
    """True if the store at ``path`` holds nothing but a synthetic sample generated from other
    inputs than today's. A store holding any other load, or one that cannot be read now (open
    elsewhere, newer schema), is never called stale."""
    import duckdb

    if Path(str(path) + ".wal").exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        return holds_stale_sample(con)
    finally:
        con.close()


def holds_stale_sample(con) -> bool:
    """:func:`_is_stale` on an open DuckDB connection to the store (the one a command reads
    through, so the file is opened once)."""
    import duckdb

    try:
        loads = con.execute("SELECT x_Source, description FROM loads").fetchall()
    except duckdb.Error:
        return False
    if not loads or any(source != "synthetic-sample" for source, _ in loads):
        return False
    return all(description != _description(SEED) for _, description in loads)


def ensure_default_store(path: str | os.PathLike) -> Path:
    """Build the sample store at ``path`` if it does not exist yet, or rebuild it if it holds
    only a sample generated from other inputs (:func:`inputs_fingerprint`; a warning says so).
    Atomically: a temporary file renamed into place, so a half-built store is never seen."""
    import warnings

    path = Path(path)
    if path.exists():
        if not _is_stale(path):
            return path
        warnings.warn(
            f"{path}: the synthetic sample was generated from an older stack, catalog or generator; "
            "rebuilding it",
            stacklevel=2,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".costplan-sample-", suffix=".duckdb", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        build_store(tmp)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return path
