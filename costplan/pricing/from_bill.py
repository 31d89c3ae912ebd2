"""Your own unit prices from your bill: ``costplan prices from-bill``, and ``--rates bill``.

For every (service, usage type, region, pricing unit) of a month's usage in the store, the
**list unit price** and the **effective unit price** you actually paid, after your discounts,
Savings Plans and reserved instances::

    list_unit_price       = sum(ListCost)       / sum(PricingQuantity)      [USD/unit]
    effective_unit_price  = sum(EffectiveCost)  / sum(PricingQuantity)      [USD/unit]
    contracted_unit_price = sum(ContractedCost) / sum(PricingQuantity)      [USD/unit] (FOCUS)

The store keeps the costs and quantities of every row exactly as the export gave them (CUR
2.0: ``line_item_usage_amount``, ``pricing_public_on_demand_cost`` = usage x
``pricing_public_on_demand_rate``, ``line_item_unblended_cost`` = usage x
``line_item_unblended_rate``, and the Savings Plan / reservation effective cost of covered
usage; FOCUS: ``PricingQuantity``, ``ListCost`` = quantity x ``ListUnitPrice``,
``ContractedCost`` = quantity x ``ContractedUnitPrice``, ``EffectiveCost``), so these quotients
are the files' own unit prices; a usage type billed at several rates in the month gets their
quantity-weighted mean, and the overlay's note says the range.

:func:`bill_rates` computes the table; :func:`write_overlay` writes the rates that map to a
catalog key as a **catalog overlay** (the catalog format of docs/catalog-format.md, source
``bill <billing account> <period>``); :func:`with_bill_rates` lays an overlay over a catalog so
that ``costplan estimate/project/report --rates bill`` price the plan at your rates: keys the
bill has replace the catalog's on-demand price (all tiers of a tiered price become your one
effective rate), everything else falls back to the catalog.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError, Problem
from costplan.pricing.catalog import CATALOG_GLOB, Catalog, Price, newest_catalog_file, write_catalog
from costplan.units import SERVICE_NAMES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SERVICE_CODES = {name: code for code, name in SERVICE_NAMES.items()}
"""ServiceName on a bill -> AWS service code."""
BILL_SOURCE_PREFIX = "bill "

_REGION_PREFIX = re.compile(r"^[A-Z]{2,4}\d{0,2}-(?=[A-Za-z])")
_ENGINES = {"postgresql": "postgresql", "mysql": "mysql"}
_CACHE_ENGINES = ("valkey", "redis", "memcached")

# (service code, usage type without its region prefix) -> (sku, usage, variant, unit); a
# callable variant reads the charge description (RDS engine, ElastiCache engine, ELB kind)
_RULES: list[tuple[str, re.Pattern, object]] = [
    ("AmazonEC2", re.compile(r"^BoxUsage:(?P<sku>[a-z0-9-]+\.[a-z0-9-]+)$"), ("{sku}", "instance-hour", "", "Hrs")),
    ("AmazonEC2", re.compile(r"^EBS:VolumeUsage\.(?P<sku>gp2|gp3|io1|io2|st1|sc1)$"),
     ("{sku}", "storage-gb-month", "", "GB-Mo")),
    ("AmazonEC2", re.compile(r"^EBS:VolumeP-IOPS\.(?P<sku>gp3|io1)$"), ("{sku}", "iops-month", "", "IOPS-Mo")),
    ("AmazonEC2", re.compile(r"^EBS:SnapshotUsage$"), ("ebs-snapshot", "storage-gb-month", "", "GB-Mo")),
    ("AmazonEC2", re.compile(r"^NatGateway-Hours$"), ("nat-gateway", "hour", "", "Hrs")),
    ("AmazonEC2", re.compile(r"^NatGateway-Bytes$"), ("nat-gateway", "gb-processed", "", "GB")),
    ("AmazonVPC", re.compile(r"^PublicIPv4:InUseAddress$"), ("public-ipv4", "hour", "", "Hrs")),
    ("AmazonEKS", re.compile(r"^AmazonEKS-Hours:perCluster$"), ("eks-cluster", "cluster-hour", "standard", "Hrs")),
    ("AmazonEKS", re.compile(r"^AmazonEKS-Hours:extendedSupport$"), ("eks-cluster", "cluster-hour", "extended", "Hrs")),
    ("AmazonRDS", re.compile(r"^InstanceUsage:(?P<sku>db\.[a-z0-9.-]+)$"), ("{sku}", "instance-hour", "rds:single-az", "Hrs")),
    ("AmazonRDS", re.compile(r"^Multi-AZUsage:(?P<sku>db\.[a-z0-9.-]+)$"), ("{sku}", "instance-hour", "rds:multi-az", "Hrs")),
    ("AmazonRDS", re.compile(r"^RDS:(?P<sku>GP2|GP3)-Storage$"), ("{sku}", "storage-gb-month", "single-az", "GB-Mo")),
    ("AmazonRDS", re.compile(r"^RDS:Multi-AZ-(?P<sku>GP2|GP3)-Storage$"), ("{sku}", "storage-gb-month", "multi-az", "GB-Mo")),
    ("AmazonRDS", re.compile(r"^RDS:ChargedBackupUsage$"), ("backup-storage", "storage-gb-month", "", "GB-Mo")),
    ("AmazonElastiCache", re.compile(r"^NodeUsage:(?P<sku>cache\.[a-z0-9.-]+)$"), ("{sku}", "node-hour", "cache", "Hrs")),
    ("AWSELB", re.compile(r"^LoadBalancerUsage$"), ("elb", "hour", "", "Hrs")),
    ("AWSELB", re.compile(r"^LCUUsage$"), ("elb", "lcu", "", "LCU-Hrs")),
    ("AmazonS3", re.compile(r"^TimedStorage-ByteHrs$"), ("s3-standard", "storage-gb-month", "", "GB-Mo")),
    ("AmazonS3", re.compile(r"^TimedStorage-SIA-ByteHrs$"), ("s3-standard-ia", "storage-gb-month", "", "GB-Mo")),
    ("AmazonS3", re.compile(r"^TimedStorage-GIR-ByteHrs$"), ("s3-glacier-ir", "storage-gb-month", "", "GB-Mo")),
]


def usage_type_tail(usage_type: str) -> str:
    """A usage type without its region prefix: ``EU-NatGateway-Hours`` -> ``NatGateway-Hours``."""
    return _REGION_PREFIX.sub("", usage_type or "")


def catalog_key(service_name: str, usage_type: str, description: str = "") -> tuple[str, str, str, str, str] | str:
    """(service code, sku, usage, variant, unit) of the catalog price a bill line pays, or why
    there is none. The RDS and ElastiCache engines and the kind of load balancer are not in the
    usage type; they are read from the charge description (CUR ``line_item_line_item_description``,
    FOCUS ``ChargeDescription``)."""
    code = SERVICE_CODES.get(service_name, service_name)
    if code not in SERVICE_NAMES:
        return f"service {service_name!r} is not one costplan prices"
    if not usage_type:
        return "no usage type (FOCUS x_UsageType / CUR line_item_usage_type)"
    tail = usage_type_tail(usage_type)
    desc = (description or "").lower()
    for svc, pattern, target in _RULES:
        if svc != code:
            continue
        m = pattern.match(tail)
        if not m:
            continue
        sku, usage, variant, unit = target  # type: ignore[misc]
        sku = sku.format(**m.groupdict()).lower() if "{" in sku else sku
        if variant.startswith("rds:"):
            engine = next((e for k, e in _ENGINES.items() if k in desc), None)
            if engine is None:
                return f"{usage_type}: the database engine is not named in the charge description"
            variant = f"{engine}:{variant[4:]}"
        elif variant == "cache":
            engine = next((e for e in _CACHE_ENGINES if e in desc), None)
            if engine is None:
                return f"{usage_type}: the cache engine is not named in the charge description"
            variant = engine
        if sku == "elb":
            kind = "alb" if "application" in desc else "nlb" if "network" in desc else None
            if kind is None:
                return f"{usage_type}: the kind of load balancer is not named in the charge description"
            sku, usage = kind, {"hour": "hour", "lcu": "lcu-hour" if kind == "alb" else "nlcu-hour"}[usage]
            unit = {"lcu-hour": "LCU-Hrs", "nlcu-hour": "NLCU-Hrs"}.get(usage, unit)
        return code, sku, usage, variant, unit
    return f"{code} usage type {tail!r} is not mapped to a catalog price"


def bill_rates(store, month: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Unit prices per (BillingAccountId, ServiceName, usage type, RegionId, PricingUnit) of
    ``month`` (YYYY-MM; default the last complete month in the store), usage rows only.

    Columns: ``BillingAccountId, ServiceName, x_UsageType, RegionId, PricingUnit,
    PricingQuantity`` [unit], ``ListCost, EffectiveCost, ContractedCost`` [USD] (EffectiveCost after
    negotiated discounts: the store's x_NetEffectiveCost where it has one), ``contracted_quantity``
    [unit] (of the rows with a ContractedCost),
    ``ListUnitPrice, EffectiveUnitPrice, ContractedUnitPrice`` [USD/unit] (NaN where the bill
    has no such cost), ``min_rate, max_rate`` (of the rows' effective rates [USD/unit]),
    ``rows``, and ``service, sku, usage, variant, unit`` of the catalog key it maps to (or
    ``not_mapped``: why not). Returns the frame and ``{"period", "accounts", "currency"}``.
    """
    from costplan.actuals.store import parse_month

    months = store.months()
    if not months:
        raise InputError(Problem("the store holds no spend; import a CUR 2.0 or FOCUS export first", file=str(store.path)))
    if month is None:
        month = months[-2] if len(months) > 1 else months[-1]
    start = parse_month(month)
    if start.strftime("%Y-%m") not in months:
        raise InputError(Problem(f"the store has no spend for {month}", location="--month",
                                 hint=f"months it holds: {', '.join(months)}"))
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    currencies = store.currencies() if hasattr(store, "currencies") else ["USD"]
    if currencies and set(currencies) != {"USD"}:
        raise InputError(Problem(f"the store's costs are in {', '.join(currencies)}; the catalog is in USD",
                                 file=str(store.path), hint="unit prices in another currency are not catalogued"))
    sql = f"""
        SELECT BillingAccountId, ServiceName, x_UsageType, RegionId, PricingUnit,
               any_value(ChargeDescription) FILTER (WHERE ChargeDescription IS NOT NULL) AS description,
               sum(PricingQuantity) AS PricingQuantity, sum(ListCost) AS ListCost,
               sum(coalesce(x_NetEffectiveCost, EffectiveCost)) AS EffectiveCost,
               sum(ContractedCost) AS ContractedCost,
               sum(PricingQuantity) FILTER (WHERE ContractedCost IS NOT NULL) AS contracted_quantity,
               count(ListCost) AS n_list, count(ContractedCost) AS n_contracted,
               min(coalesce(x_NetEffectiveCost, EffectiveCost) / PricingQuantity) AS min_rate,
               max(coalesce(x_NetEffectiveCost, EffectiveCost) / PricingQuantity) AS max_rate,
               count(*) AS rows
        FROM {store.rows_sql()} AS r
        WHERE ChargeCategory = 'Usage' AND PricingQuantity > 0
          AND ChargePeriodStart >= ? AND ChargePeriodStart < ?
        GROUP BY ALL ORDER BY ServiceName, x_UsageType, RegionId, PricingUnit"""
    df = store.con.execute(sql, [start, end]).df()
    q = df["PricingQuantity"]
    df["ListUnitPrice"] = (df["ListCost"] / q).where(df["n_list"] == df["rows"])
    df["EffectiveUnitPrice"] = df["EffectiveCost"] / q
    # over the rows that carry a contracted cost (a CUR's RI-covered rows have none)
    df["ContractedUnitPrice"] = (df["ContractedCost"] / df["contracted_quantity"]).where(df["n_contracted"] > 0)
    keys = [catalog_key(s, u, d) for s, u, d in zip(df["ServiceName"], df["x_UsageType"].fillna(""),
                                                      df["description"].fillna(""), strict=True)]
    df["service"] = [k[0] if isinstance(k, tuple) else None for k in keys]
    df["sku"] = [k[1] if isinstance(k, tuple) else None for k in keys]
    df["usage"] = [k[2] if isinstance(k, tuple) else None for k in keys]
    df["variant"] = [k[3] if isinstance(k, tuple) else None for k in keys]
    df["unit"] = [k[4] if isinstance(k, tuple) else None for k in keys]
    df["not_mapped"] = [k if isinstance(k, str) else "" for k in keys]
    for i in df.index[df["not_mapped"] == ""]:
        why = ("no region on the bill line" if not isinstance(df.at[i, "RegionId"], str)
               else f"priced per {df.at[i, 'PricingUnit']!r} on the bill, per {df.at[i, 'unit']!r} in the catalog"
               if df.at[i, "PricingUnit"] != df.at[i, "unit"] else "")
        if why:
            df.loc[i, "not_mapped"] = why
            df.loc[i, ["service", "sku", "usage", "variant", "unit"]] = None
    accounts = sorted({str(a) for a in df["BillingAccountId"].dropna()})
    df = df.drop(columns=["n_list", "n_contracted"])
    warnings = _rate_warnings(store, start, end)
    return df, {"period": start.strftime("%Y-%m"), "accounts": accounts, "currency": "USD", "warnings": warnings}


def _rate_warnings(store, start, end) -> list[str]:
    """What the month's unit prices cannot show: CUR files imported before costplan read the
    net columns, and credits or discounts billed on their own lines."""
    import duckdb

    out = []
    try:
        old = store.con.execute(
            """SELECT count(*) FROM load_parts p JOIN loads l USING (load_id)
               WHERE l.x_Source = 'cur' AND p.net_costs IS NULL AND p.BillingPeriodStart >= ? AND p.BillingPeriodStart < ?""",
            [start, end]).fetchall()[0][0]
    except duckdb.Error:  # a store without a load_parts table: nothing to say
        old = 0
    if old:
        out.append(f"{old} CUR file(s) of {start:%Y-%m} were imported by a costplan that did not read the net "
                   "columns: if the account has negotiated discounts (EDP, private pricing), the contracted and "
                   "effective rates are before them; import the files again to read them")
    credits = store.con.execute(
        f"""SELECT sum(coalesce(x_NetEffectiveCost, EffectiveCost)) FROM {store.rows_sql()} AS r
            WHERE ChargeCategory = 'Credit' AND ChargePeriodStart >= ? AND ChargePeriodStart < ?""",
        [start, end]).fetchall()[0][0]
    if credits and abs(credits) >= 0.005:
        out.append(f"{start:%Y-%m} holds {credits:,.2f} USD of credits and discounts on lines of their own (credits, "
                   "refunds, or discounts a CUR with manual discount compatibility bills apart): they are not in "
                   "these unit prices")
    return out


def source_of(accounts: list[str], period: str) -> str:
    """``bill <billing account> <period>``; the account masked (costplan.actuals.privacy)."""
    from costplan.actuals.privacy import mask_account

    who = "+".join(mask_account(a) for a in accounts) or "unknown-account"
    return f"{BILL_SOURCE_PREFIX}{who} {period}"


RATES = ("effective", "contracted")
"""The two overlays from-bill writes: ``effective`` (after negotiated discounts, Savings Plans
and reservations, amortised: FOCUS EffectiveCost) and ``contracted`` (after negotiated
discounts, before commitments: FOCUS ContractedCost)."""


def overlay_prices(df: pd.DataFrame, meta: dict, rate: str = "effective") -> list[Price]:
    """Catalog rows (on_demand, your ``rate``: :data:`RATES`) for the mapped lines of
    :func:`bill_rates`. Lines of several accounts for one key are combined (quantity-weighted);
    a key with no contracted cost on the bill (a CUR's usage wholly covered by reservations)
    has no contracted row."""
    if rate not in RATES:
        raise ValueError(f"rate {rate!r}: one of {RATES}")
    source = source_of(meta["accounts"], meta["period"])
    as_of = _period_end(meta["period"])
    mapped = df[df["not_mapped"] == ""]
    out = []
    grouped = mapped.groupby(["service", "sku", "RegionId", "usage", "variant", "unit"], dropna=False, sort=True)
    for (service, sku, region, usage, variant, unit), g in grouped:
        qty = float(g["PricingQuantity"].sum())
        lst = float(g["ListCost"].sum()) / qty if g["ListUnitPrice"].notna().all() else math.nan
        if rate == "effective":
            cost = float(g["EffectiveCost"].sum())
            value = cost / qty
            note = (f"your effective rate from the bill (after discounts and commitments): {cost:.6g} USD / "
                    f"{qty:.6g} {unit} of {', '.join(sorted(set(g['x_UsageType'])))}")
        else:
            c = g[g["ContractedUnitPrice"].notna()]
            if c.empty:
                continue
            cqty = float(c["contracted_quantity"].sum())  # the quantity that carried a contracted cost
            cost = float(c["ContractedCost"].sum())
            value = cost / cqty
            note = (f"your contracted rate from the bill (after negotiated discounts, before Savings Plans and "
                    f"reservations): {cost:.6g} USD / {cqty:.6g} {unit} of {', '.join(sorted(set(c['x_UsageType'])))}")
        if not math.isnan(lst):
            note += f"; list {lst:.6g}/{unit} ({(1 - value / lst) * 100 if lst else 0:.1f}% below list)"
        if rate == "effective":
            lo, hi = float(g["min_rate"].min()), float(g["max_rate"].max())
            if not math.isclose(lo, hi, rel_tol=1e-9, abs_tol=1e-12):
                note += f"; rows ranged {lo:.6g} to {hi:.6g}"
        out.append(Price(
            service=service, sku=sku, region=region, usage=usage, variant=variant or "", pricing_model="on_demand",
            term="", purchase_option="", offering_class="", tier_start=0.0, tier_end=math.inf, unit=unit,
            unit_price=round(value, 10), interruption_band="", source=source, as_of=as_of, verified=True, note=note,
        ))
    return out


def _period_end(period: str) -> str:
    start = dt.date.fromisoformat(period + "-01")
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return end.isoformat()


def default_overlay_dir() -> Path:
    """``data/bill-rates/`` in a source checkout, else ``~/.local/share/costplan/bill-rates/``."""
    from costplan import config

    return (config.DATA_DIR if config.IN_CHECKOUT else config.user_data_dir()) / "bill-rates"


@dataclass
class FromBill:
    """What ``prices from-bill`` found and wrote."""

    rates: pd.DataFrame
    """:func:`bill_rates`' frame."""
    period: str
    source: str
    prices: list[Price]
    """The effective rates (the overlay ``--rates bill`` uses for a plan without commitments)."""
    contracted: list[Price] = field(default_factory=list)
    """The contracted rates (for a plan that models its own Savings Plans or reservations)."""
    path: Path | None = None
    contracted_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    """What the unit prices cannot show (credits on their own lines, files imported before the
    net columns were read)."""


CONTRACTED_DIR = "contracted"
"""The period folder's subfolder holding the contracted-rate overlay."""


def from_bill(store, month: str | None = None, out: str | Path | None = None) -> FromBill:
    """Compute the bill's unit prices and write the overlays: the effective rates as
    ``<out>/<period>/aws-prices_<last day>.csv`` and the contracted rates as
    ``<out>/<period>/contracted/aws-prices_<last day>.csv``, each with its manifest (``out``
    default :func:`default_overlay_dir`). Nothing is written when no line maps to a catalog key."""
    import fnmatch

    from costplan import outputs

    df, meta = bill_rates(store, month)
    prices = overlay_prices(df, meta, "effective")
    contracted = overlay_prices(df, meta, "contracted")
    res = FromBill(df, meta["period"], source_of(meta["accounts"], meta["period"]), prices, contracted,
                   warnings=list(meta.get("warnings", [])))
    if not prices:
        return res
    root = outputs.resolve(out) if out is not None else default_overlay_dir()
    folder = root / meta["period"]

    def owns(n: str) -> bool:
        return fnmatch.fnmatch(n, CATALOG_GLOB) or n == "manifest.json" or n == CONTRACTED_DIR

    outputs.check_folder(folder, outputs.OutputKind("bill rates", owns, marker_required=False))
    sub = folder / CONTRACTED_DIR
    outputs.check_folder(sub, outputs.OutputKind("bill rates", owns, marker_required=False))
    name = f"aws-prices_{_period_end(meta['period'])}.csv"

    def manifest(rate: str, notes: str) -> dict:
        return {
            "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "as_of": _period_end(meta["period"]),
            "overlay": True,
            "bill_rates": rate,
            "sources": [{
                "id": res.source, "url": str(getattr(store, "path", "")), "as_of": _period_end(meta["period"]),
                "license": "your own bill (not redistributable)",
                "notes": f"{notes} of {meta['period']}, costplan prices from-bill",
            }],
        }

    if contracted:
        res.contracted_path = write_catalog(contracted, sub / name, manifest(
            "contracted", "contracted unit prices (after negotiated discounts, before Savings Plans and reservations)"))
    res.path = write_catalog(prices, folder / name, manifest(
        "effective", "effective unit prices (after negotiated discounts, Savings Plans and reservations)"))
    return res


def load_overlay(path: str | Path | None = None, rate: str = "effective") -> Catalog:
    """The bill-rate overlay at ``path`` (a CSV, a period folder or the overlay root; default
    the newest period under :func:`default_overlay_dir`): its effective rates, or with
    ``rate="contracted"`` its contracted rates (an empty overlay when the bill had none)."""
    if rate not in RATES:
        raise ValueError(f"rate {rate!r}: one of {RATES}")
    p = Path(path) if path is not None else default_overlay_dir()
    if p.is_dir() and not list(p.glob(CATALOG_GLOB)):
        periods = sorted(d for d in p.iterdir() if d.is_dir() and list(d.glob(CATALOG_GLOB))) if p.exists() else []
        periods = [d for d in periods if d.name != CONTRACTED_DIR]
        if not periods:
            raise InputError(Problem(
                "no bill rates here", file=str(p), location="--rates bill",
                hint="run `costplan prices from-bill --store S` first, or name the overlay with --bill-rates",
            ))
        p = periods[-1]
    if not p.exists():
        raise InputError(Problem("bill rates not found", file=str(p), location="--bill-rates",
                                 hint="run `costplan prices from-bill --store S` first"))
    if rate == "contracted":
        folder = p if p.is_dir() else p.parent
        sub = folder if folder.name == CONTRACTED_DIR else folder / CONTRACTED_DIR
        if not sub.is_dir() or not list(sub.glob(CATALOG_GLOB)):
            effective = Catalog.load(newest_catalog_file(folder) if p.is_dir() else p)
            return Catalog([], dict(effective.manifest, bill_rates="contracted"), sub)
        return Catalog.load(newest_catalog_file(sub))
    return Catalog.load(newest_catalog_file(p) if p.is_dir() else p)


def with_bill_rates(catalog: Catalog, overlay: Catalog) -> Catalog:
    """``catalog`` with the overlay's rows replacing the on-demand price of every key they
    share (all its tiers); keys the bill does not have keep the catalog's price."""
    bill = {p.key: p for p in overlay}
    rows = [p for p in catalog if p.key not in bill]
    rows += list(bill.values())
    manifest = dict(catalog.manifest)
    manifest["sources"] = list(manifest.get("sources", [])) + list(overlay.manifest.get("sources", []))
    manifest["bill_rates"] = str(overlay.path) if overlay.path else None
    manifest["bill_rate_kind"] = overlay.manifest.get("bill_rates", "effective")
    manifest["bill_rate_rows"] = len(bill)
    return Catalog(rows, manifest, catalog.path)


def models_commitments(stack) -> bool:
    """Whether ``stack`` (or one of its scenarios) models Savings Plans or reserved instances
    of its own. Capacity reservations give no discount and do not count."""
    c = getattr(stack, "commitments", None)
    if c is not None and (c.savings_plans or c.reserved_instances):
        return True
    for sc in (getattr(stack, "scenarios", None) or {}).values():
        patch = (getattr(sc, "patch", None) or {}).get("commitments") or {}
        if isinstance(patch, dict) and (patch.get("savings_plans") or patch.get("reserved_instances")):
            return True
    return False


def bill_rate_for(stack) -> str:
    """The rule for ``--rates bill`` (docs/prices.md, "Rates from your bill"): a plan that models
    its own Savings Plans or reservations is priced at the bill's **contracted** rates (after
    negotiated discounts, before commitments), so its commitments are applied once, by the plan;
    a plan that models none at the bill's **effective** rates (which already include the bill's
    Savings Plans and reservations)."""
    return "contracted" if models_commitments(stack) else "effective"


