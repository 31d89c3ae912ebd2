"""The price catalog: dated list prices with their provenance, and lookups that never return 0
for a price that is not there.

The on-disk format is documented in ``docs/catalog-format.md``; :func:`write_catalog` is the one
writer, used both by the snapshot build script and by ``costplan prices refresh``.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import marshal
import math
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError, PriceNotFoundError, Problem, closest

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
CATALOG_GLOB = "aws-prices_*.csv"

COLUMNS = [
    "service",
    "sku",
    "region",
    "usage",
    "variant",
    "pricing_model",
    "term",
    "purchase_option",
    "offering_class",
    "tier_start",
    "tier_end",
    "unit",
    "unit_price",
    "interruption_band",
    "source",
    "as_of",
    "verified",
    "note",
]
KEY_COLUMNS = COLUMNS[:9]
PRICING_MODELS = ("on_demand", "spot", "reserved", "savings_plan")
TERMS = ("", "1yr", "3yr")
PURCHASE_OPTIONS = ("", "no-upfront", "partial-upfront", "all-upfront")
OFFERING_CLASSES = ("", "standard", "convertible", "compute", "ec2-instance")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Price:
    """One catalog row: a list price with its unit and provenance."""

    service: str
    sku: str
    region: str
    usage: str
    variant: str
    pricing_model: str
    term: str
    purchase_option: str
    offering_class: str
    tier_start: float
    """Lower bound of the monthly quantity this price applies to [unit]."""
    tier_end: float
    """Upper bound of the monthly quantity [unit]; ``inf`` when unbounded."""
    unit: str
    unit_price: float
    """Price per unit [USD/unit]."""
    interruption_band: str
    source: str
    as_of: str
    verified: bool
    note: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.service, self.sku, self.region, self.usage, self.variant, self.pricing_model, self.term,
                self.purchase_option, self.offering_class)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tier_end"] = None if math.isinf(self.tier_end) else self.tier_end
        return d


Key = tuple[str, str, str, str, str, str, str, str, str]


def _parse_row(row: dict[str, str], where: str, problems: list[Problem]) -> Price | None:
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        problems.append(Problem(f"missing columns {missing}", file=where))
        return None
    try:
        unit_price = float(row["unit_price"])
        tier_start = float(row["tier_start"] or 0)
        tier_end = float(row["tier_end"]) if row["tier_end"] else math.inf
    except ValueError as exc:
        problems.append(Problem(f"not a number: {exc}", file=where))
        return None
    if not math.isfinite(unit_price) or unit_price < 0:
        problems.append(Problem(f"unit_price must be a finite number >= 0, got {row['unit_price']!r}", file=where))
    if row["pricing_model"] not in PRICING_MODELS:
        problems.append(Problem(f"pricing_model {row['pricing_model']!r} is not one of {PRICING_MODELS}", file=where))
    if not _DATE.match(row["as_of"] or ""):
        problems.append(Problem(f"as_of must be a YYYY-MM-DD date, got {row['as_of']!r}", file=where))
    if not row["source"]:
        problems.append(Problem("source is empty: every price needs its source", file=where))
    if row["verified"] not in ("true", "false"):
        problems.append(Problem(f"verified must be 'true' or 'false', got {row['verified']!r}", file=where))
    if not math.isfinite(tier_start) or tier_start < 0:
        problems.append(Problem(f"tier_start must be a finite number >= 0, got {row['tier_start']!r}", file=where))
    elif tier_end <= tier_start:
        problems.append(Problem(f"tier_end {tier_end} must be above tier_start {tier_start}", file=where))
    return Price(
        service=row["service"],
        sku=row["sku"],
        region=row["region"],
        usage=row["usage"],
        variant=row["variant"],
        pricing_model=row["pricing_model"],
        term=row["term"],
        purchase_option=row["purchase_option"],
        offering_class=row["offering_class"],
        tier_start=tier_start,
        tier_end=tier_end,
        unit=row["unit"],
        unit_price=unit_price,
        interruption_band=row["interruption_band"],
        source=row["source"],
        as_of=row["as_of"],
        verified=row["verified"] == "true",
        note=row["note"],
    )


class _Index(dict):
    """key -> tiers, filled from a snapshot's raw rows on first use of each key.

    A snapshot holds ``{key: ((tier_start, tier_end, unit, ...), ...)}``: already validated
    when the CSV was read, tiers in order. Building 40,000 :class:`Price` objects costs more
    than reading them; a command looks up a few hundred keys, so each key's prices are built
    when it is first asked for. Behaves as the plain ``dict`` a CSV load builds."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict):
        super().__init__()
        self._raw = raw

    def _build(self, key):
        rows = self._raw.get(key)
        if rows is None:
            return None
        tiers = [Price(*key, *r) for r in rows]
        dict.__setitem__(self, key, tiers)
        return tiers

    def get(self, key, default=None):
        found = dict.get(self, key)
        if found is None:
            found = self._build(key)
        return default if found is None else found

    def __getitem__(self, key):
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key) -> bool:
        return key in self._raw

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def keys(self):
        return self._raw.keys()

    def values(self):
        return (self[k] for k in self._raw)

    def items(self):
        return ((k, self[k]) for k in self._raw)

    def row_count(self) -> int:
        return sum(len(v) for v in self._raw.values())

    def provenance(self):
        """:meth:`Catalog.provenance` from the raw rows, without building the prices."""
        for key, rows in self._raw.items():
            for r in rows:  # (tier_start, tier_end, unit, unit_price, interruption_band, source, as_of, verified, note)
                yield key[0], key[2], key[5], r[5], r[6], r[7]


class Catalog:
    """An immutable set of prices, indexed for fast lookup.

    Build one with :meth:`load` (the embedded snapshot by default) or from rows with
    :meth:`from_prices`.
    """

    def __init__(self, prices: Iterable[Price], manifest: dict | None = None, path: Path | None = None,
                 _index: dict[Key, list[Price]] | None = None):
        self.manifest = manifest or {}
        self.path = path
        if _index is None:
            _index = {}
            for p in prices:
                k = (p.service, p.sku, p.region, p.usage, p.variant, p.pricing_model, p.term, p.purchase_option,
                     p.offering_class)
                found = _index.get(k)
                if found is None:
                    _index[k] = [p]
                else:
                    found.append(p)
        if not isinstance(_index, _Index):
            for tiers in _index.values():
                if len(tiers) > 1:
                    tiers.sort(key=lambda p: p.tier_start)
        self._index: dict[Key, list[Price]] = _index
        self._secondary: dict[int, dict[str, list[Key]]] = {}
        self._len: int | None = None
        rule = self.manifest.get("derived_commitments")
        self._commitment_rule: dict | None = rule if isinstance(rule, dict) else None
        self._derived: dict[Key, list[Price] | None] = {}

    def _keys_by(self, field: int) -> dict[str, list[Key]]:
        """``key[field]`` -> the keys holding it: a secondary index built on first use (most
        commands never need one)."""
        index = self._secondary.get(field)
        if index is None:
            by: dict[str, list[Key]] = defaultdict(list)
            for k in self._index:
                by[k[field]].append(k)
            index = self._secondary[field] = dict(by)
        return index

    @property
    def _by_sku(self) -> dict[str, list[Key]]:
        """sku -> its keys, for error messages and `prices show`."""
        return self._keys_by(1)

    @property
    def _by_service(self) -> dict[str, list[Key]]:
        """service -> its keys: a price that is not there is explained (:meth:`_explain_missing`)
        without a scan of the whole catalog each time."""
        return self._keys_by(0)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_prices(cls, prices: Iterable[Price], manifest: dict | None = None) -> Catalog:
        return cls(prices, manifest)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """Load a catalog CSV (default: the newest embedded snapshot) and its manifest."""
        path = Path(path) if path is not None else default_catalog_path()
        if path.is_dir():
            path = newest_catalog_file(path)
        snapshot = _snapshot_path(path)
        raw = _read_snapshot(snapshot)
        if raw is not None:
            index: dict[Key, list[Price]] = _Index(raw)
            prices: list[Price] = []
        else:
            index = {}
            prices, problems = read_catalog_rows(path, index)
            if problems:
                raise InputError(problems[:50])
            _write_snapshot(snapshot, index)
        manifest_path = path.parent / "manifest.json"
        manifest = {}
        if manifest_path.exists():
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except ValueError as exc:  # not JSON, or not UTF-8
                raise InputError(Problem(f"not a valid catalog manifest ({exc})", file=str(manifest_path))) from None
            if not isinstance(manifest, dict):
                raise InputError(Problem("not a valid catalog manifest (expected a JSON object)",
                                         file=str(manifest_path)))
        return cls(prices, manifest, path, _index=index)

    # -- queries --------------------------------------------------------------------------
    def __len__(self) -> int:
        if self._len is None:  # counted once: the catalog does not change after it is built
            self._len = (self._index.row_count() if isinstance(self._index, _Index)
                         else sum(len(v) for v in self._index.values()))
        return self._len

    def __iter__(self):
        for k in sorted(self._index):
            yield from self._index[k]

    def provenance(self):
        """``(service, region, pricing_model, source, as_of, verified)`` of every price, in no
        particular order: what a summary of the catalog counts (``costplan prices info``),
        without building 40,000 :class:`Price` objects from a snapshot."""
        if isinstance(self._index, _Index):
            yield from self._index.provenance()
        else:
            for p in self:
                yield p.service, p.region, p.pricing_model, p.source, p.as_of, p.verified

    @property
    def as_of(self) -> str:
        """The snapshot date (from the manifest, else the newest row date)."""
        return self.manifest.get("as_of") or max((p.as_of for p in self), default="")

    def tiers(
        self,
        service: str,
        sku: str,
        region: str,
        usage: str,
        variant: str = "",
        pricing_model: str = "on_demand",
        term: str = "",
        purchase_option: str = "",
        offering_class: str = "",
    ) -> list[Price]:
        """All tiers of one price, lowest tier first. Raises :class:`PriceNotFoundError`."""
        key = (service, sku, region, usage, variant, pricing_model, term, purchase_option, offering_class)
        found = self._index.get(key)
        if found is None:
            found = self._derive_commitment(key)
            if found is None:
                raise PriceNotFoundError(self._explain_missing(key))
        return found

    def price(self, *args, **kwargs) -> Price:
        """The single (untiered) price for a key. Tiered prices must use :meth:`tiers`."""
        tiers = self.tiers(*args, **kwargs)
        if len(tiers) != 1:
            raise PriceNotFoundError(
                f"{tiers[0].sku} {tiers[0].usage} in {tiers[0].region} is tiered ({len(tiers)} tiers); "
                "price it with a quantity"
            )
        return tiers[0]

    def has(
        self,
        service: str,
        sku: str,
        region: str,
        usage: str,
        variant: str = "",
        pricing_model: str = "on_demand",
        term: str = "",
        purchase_option: str = "",
        offering_class: str = "",
    ) -> bool:
        """Whether the catalog prices this key (a lookup: no "did you mean" message is built,
        which costs a fuzzy search of every SKU of the service)."""
        key = (service, sku, region, usage, variant, pricing_model, term, purchase_option, offering_class)
        return self._index.get(key) is not None or self._derive_commitment(key) is not None

    def _derive_commitment(self, key: Key) -> list[Price] | None:
        """An EC2 reserved or Savings Plans rate the catalog does not store, derived at lookup
        when the manifest names the rule (``derived_commitments``, written by the snapshot
        build): the region's on-demand price x the base region's (us-east-1) ratio of the same
        rate to on-demand, for the same instance type or, when the base region has none for
        it, for ``fallback_sku``. Estimate-grade (``verified=False``), the rule in its note;
        None when an input is missing (the lookup then fails as usual). Not part of
        iteration, ``len`` or :meth:`find`: those list stored rows only. docs/prices.md."""
        rule = self._commitment_rule
        if rule is None:
            return None
        service, sku, region, usage, variant, model, term, option, cls_ = key
        if service != "AmazonEC2" or usage != "instance-hour" or variant or model not in ("reserved", "savings_plan"):
            return None
        if key in self._derived:
            return self._derived[key]
        out = None
        od = self._index.get((service, sku, region, usage, "", "on_demand", "", "", ""))
        base = str(rule.get("base_region", "us-east-1"))
        for basis in dict.fromkeys((sku, str(rule.get("fallback_sku", "")))):
            num = self._index.get((service, basis, base, usage, "", model, term, option, cls_))
            den = self._index.get((service, basis, base, usage, "", "on_demand", "", "", ""))
            if num and den and len(num) == 1 and len(den) == 1 and den[0].unit_price > 0:
                break
        else:
            num = den = None
        if od and num and den and len(od) == 1:
            o, n, d = od[0], num[0], den[0]
            ratio = n.unit_price / d.unit_price
            what = f"{cls_} RI" if model == "reserved" else f"{cls_} Savings Plan"
            out = [Price(service, sku, region, usage, "", model, term, option, cls_, 0.0, math.inf, o.unit,
                         round(o.unit_price * ratio, 6), "", n.source, n.as_of, False,
                         f"derived at lookup: on-demand {o.unit_price:g} ({o.source}) x {base} {basis} {what} "
                         f"{term} {option} / on-demand ratio {n.unit_price:g}/{d.unit_price:g} = {ratio:.4f}")]
        self._derived[key] = out
        return out

    def find(self, sku: str | None = None, region: str | None = None, service: str | None = None) -> list[Price]:
        """Every price matching the filters (used by ``costplan prices show``)."""
        keys = self._by_sku.get(sku, []) if sku is not None else list(self._index)
        out = [
            p
            for k in keys
            if (region is None or k[2] == region) and (service is None or k[0] == service)
            for p in self._index[k]
        ]
        return sorted(out, key=lambda p: (p.key, p.tier_start))

    def skus(self, service: str | None = None) -> list[str]:
        return sorted({k[1] for k in self._index if service is None or k[0] == service})

    def regions(self, sku: str | None = None) -> list[str]:
        keys = self._by_sku.get(sku, []) if sku else self._index
        return sorted({k[2] for k in keys})

    def frame(self) -> pd.DataFrame:
        """The catalog as a DataFrame with the columns of the CSV format."""
        import pandas as pd

        return pd.DataFrame([p.to_dict() for p in self], columns=COLUMNS)

    # -- errors ---------------------------------------------------------------------------
    def _explain_missing(self, key: Key) -> str:
        service, sku, region, usage, variant, model, term, option, cls_ = key
        what = f"{model} price for {service} {sku!r} ({usage}{', ' + variant if variant else ''}) in {region}"
        if term or option or cls_:
            what += f" [{' '.join(x for x in (cls_, term, option) if x)}]"
        svc_keys = self._by_service.get(service, [])
        if not svc_keys:
            return f"no {what}: the catalog has no prices for service {service}"
        sku_keys = [k for k in svc_keys if k[1] == sku]
        if not sku_keys:
            near = closest(sku, {k[1] for k in svc_keys})
            hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
            return f"no {what}: {sku!r} is not in the catalog for {service}{hint}"
        reg_keys = [k for k in sku_keys if k[2] == region]
        if not reg_keys:
            regions = sorted({k[2] for k in sku_keys})
            return (
                f"no {what}: the catalog prices {sku!r} only in {', '.join(regions)} "
                f"(no source was found for {region}; add one with `costplan prices refresh`)"
            )
        near_keys = [k for k in reg_keys if k[3] == usage and k[4] == variant] or reg_keys
        known = sorted(
            {" ".join(x for x in (k[3], k[4], k[5], k[8], k[6], k[7]) if x) for k in near_keys}
        )
        return f"no {what}; known for {sku} in {region}: {'; '.join(known[:8])}"


# -- pure functions -----------------------------------------------------------------------
def tiered_cost(quantity, tiers: list[Price]):
    """Cost of a monthly ``quantity`` [unit] under tiered prices [USD].

    Keeps the input's shape: a float in gives a float out, a numpy array or pandas Series in
    gives the same shape out. Tiers must be contiguous and start at 0.

    >>> import math
    >>> t = [Price("AWSDataTransfer", "data-transfer-out-internet", "us-east-1", "gb", "", "on_demand", "", "", "",
    ...            0, 10240, "GB", 0.09, "", "s", "2026-01-01", True, ""),
    ...      Price("AWSDataTransfer", "data-transfer-out-internet", "us-east-1", "gb", "", "on_demand", "", "", "",
    ...            10240, math.inf, "GB", 0.085, "", "s", "2026-01-01", True, "")]
    >>> round(tiered_cost(12000, t), 2)   # 10,240 GB at $0.09 + 1,760 GB at $0.085
    1071.2
    >>> tiered_cost([100, 20000], t).round(2).tolist()
    [9.0, 1751.2]
    """
    import numpy as np

    q = np.asarray(quantity, dtype=float)
    total = np.zeros_like(q)
    for t in tiers:
        width = t.tier_end - t.tier_start
        total = total + np.clip(q - t.tier_start, 0.0, width) * t.unit_price
    if np.ndim(quantity) == 0:
        return float(total)
    import sys

    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(quantity, pd.Series):
        return pd.Series(total, index=quantity.index, name=quantity.name)
    return total


def check_tiers(tiers: list[Price]) -> list[str]:
    """Problems with a tier list (gaps, overlaps, not starting at 0)."""
    problems = []
    if tiers and tiers[0].tier_start != 0:
        problems.append(f"{tiers[0].sku} {tiers[0].usage}: first tier starts at {tiers[0].tier_start}, not 0")
    for a, b in itertools.pairwise(tiers):
        if a.tier_end != b.tier_start:
            problems.append(f"{a.sku} {a.usage}: tier ending at {a.tier_end} is followed by one starting at {b.tier_start}")
    return problems


# -- files ---------------------------------------------------------------------------------
def newest_catalog_file(directory: Path) -> Path:
    files = sorted(directory.glob(CATALOG_GLOB))
    if not files:
        raise InputError(f"no catalog file ({CATALOG_GLOB}) in {directory}")
    return files[-1]


def user_catalog_dir() -> Path | None:
    """Where ``costplan prices refresh`` writes by default when costplan is installed as a
    package (``~/.local/share/costplan/prices``): never into site-packages. None in a source
    checkout, where refreshed snapshots go next to the embedded one, to be committed."""
    from costplan import config

    return None if config.IN_CHECKOUT else config.user_data_dir() / "prices"


def default_catalog_path() -> Path:
    """The catalog used when none is named: the ``catalog`` setting (``COSTPLAN_CATALOG``, else
    ``[tool.costplan] catalog`` of the nearest pyproject.toml: a CSV, or a folder whose newest
    snapshot is used), else the newest snapshot by its date, embedded or refreshed into
    :func:`user_catalog_dir`. The same default for every command and for the library."""
    from costplan import config

    chosen = config.load_settings().catalog
    if chosen:
        return newest_catalog_file(Path(chosen)) if Path(chosen).is_dir() else Path(chosen)
    embedded = newest_catalog_file(DATA_DIR)
    user = user_catalog_dir()
    refreshed = sorted(user.glob(CATALOG_GLOB)) if user is not None and user.is_dir() else []
    return max([embedded, *refreshed], key=lambda p: p.name)


def read_catalog_rows(path: Path, index: dict | None = None) -> tuple[list[Price], list[Problem]]:
    """Read and validate a catalog CSV; return prices and every problem found. ``index``, if
    given, is filled with key -> prices (the lookup index of :class:`Catalog`)."""
    if not path.exists():
        return [], [Problem("catalog file not found", file=str(path))]
    try:
        return _read_catalog_rows(path, {} if index is None else index)
    except UnicodeDecodeError as exc:
        return [], [Problem(f"is not a text CSV (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); a "
                            "catalog is a CSV file (docs/catalog-format.md)", file=str(path))]
    except csv.Error as exc:
        return [], [Problem(f"is not a readable CSV ({exc}); a catalog is a CSV file (docs/catalog-format.md)",
                            file=str(path))]


def _read_catalog_rows(path: Path, index: dict) -> tuple[list[Price], list[Problem]]:
    """Every row of the catalog at ``path``, checked. A tight loop over ``csv.reader`` rows
    does the common case (a well-formed row); any row it has a doubt about goes through
    :func:`_parse_row`, which names every problem."""
    prices: list[Price] = []
    problems: list[Problem] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            return [], [Problem(f"missing columns {missing}; expected {COLUMNS}", file=str(path), line=1)]
        in_order = header == COLUMNS
        order = [header.index(c) for c in COLUMNS]
        width = len(header)

        models = frozenset(PRICING_MODELS)
        good_dates: set[str] = set()
        multi: set[tuple] = set()
        append = prices.append
        get = index.get
        inf = _INF
        lineno = 1
        for raw in reader:
            lineno += 1
            p = None
            if in_order and len(raw) == width:
                # the common case, inlined: a well-formed row in the documented column order
                try:
                    unit_price = float(raw[12])
                    ts, te = raw[9], raw[10]
                    tier_start = 0.0 if ts == "0" or not ts else float(ts)
                    tier_end = float(te) if te else inf
                except ValueError:
                    tier_start = tier_end = unit_price = -1.0
                as_of, verified = raw[15], raw[16]
                if (
                    0.0 <= unit_price < inf
                    and 0.0 <= tier_start < tier_end
                    and tier_start < inf
                    and raw[5] in models
                    and raw[14]
                    and (verified == "true" or verified == "false")
                    and (as_of in good_dates or (_DATE.match(as_of) and not good_dates.add(as_of)))
                ):
                    key = tuple(raw[:9])
                    p = Price(*key, tier_start, tier_end, raw[11], unit_price, raw[13], raw[14], as_of,
                              verified == "true", raw[17])
            if p is None:
                if len(raw) != width:
                    problems.append(Problem(f"has {len(raw)} fields, the header has {width}", file=f"{path}:{lineno}"))
                    continue
                p = _parse_row({c: raw[i] for c, i in zip(COLUMNS, order, strict=True)}, f"{path}:{lineno}", problems)
                if p is None:
                    continue
                key = p.key
            found = get(key)
            if found is None:
                index[key] = [p]
            else:
                if any(q.tier_start == p.tier_start for q in found):
                    problems.append(Problem(f"duplicate price for {(*key, p.tier_start)}", file=f"{path}:{lineno}"))
                found.append(p)
                multi.add(key)
            if p.tier_start != 0.0 or p.tier_end != inf:
                multi.add(key)
            append(p)
    for key in multi:
        tiers = index[key]
        if len(tiers) > 1:
            problems += [Problem(m, file=str(path)) for m in check_tiers(sorted(tiers, key=lambda t: t.tier_start))]
    return prices, problems


_INF = math.inf


def _fmt_num(x: float) -> str:
    if math.isinf(x):
        return ""
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


def write_catalog(prices: Iterable[Price], path: Path, manifest: dict) -> Path:
    """Write prices sorted and deterministic, with a manifest beside them. Atomic: the file
    appears whole or not at all, so a failed write keeps the last good catalog."""
    import tempfile

    rows = sorted(prices, key=lambda p: (*p.key, p.tier_start))
    path = Path(path)
    manifest_path = path.parent / "manifest.json"
    if manifest_path.exists() and not _is_catalog_manifest(manifest_path):
        raise InputError(Problem("holds a manifest.json that is not a price catalog's; it would be overwritten",
                                 file=str(path.parent), hint="write the catalog into its own folder"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(COLUMNS)
            for p in rows:  # (not dataclasses.asdict: ten times slower on a catalog)
                d = {c: getattr(p, c) for c in COLUMNS}
                d["tier_start"] = _fmt_num(p.tier_start)
                d["tier_end"] = _fmt_num(p.tier_end)
                d["unit_price"] = _fmt_num(p.unit_price)
                d["verified"] = "true" if p.verified else "false"
                w.writerow([d[c] for c in COLUMNS])
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; package data must be world-readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    man = dict(manifest)
    man["file"] = path.name
    man["rows"] = len(rows)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:  # the manifest too appears whole or not at all
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(man, indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, manifest_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- the binary snapshot ---------------------------------------------------------------------
# A catalog CSV, once read and checked, is kept as a marshal file in the user's cache, named by
# the CSV's path, size and modification time, this format's version and the Python version
# (marshal's format is Python's own). The next load reads that file instead of parsing and
# checking the CSV again (docs/performance.md). A changed CSV has another name, so a stale
# snapshot is never read; an unreadable one is ignored and the CSV read as before.
SNAPSHOT_VERSION = 1


def snapshot_dir() -> Path:
    """``$XDG_CACHE_HOME/costplan/catalog`` (default ``~/.cache/costplan/catalog``)."""
    from costplan.cache import user_cache_dir

    return user_cache_dir() / "catalog"


def _snapshot_path(path: Path) -> Path | None:
    try:
        st = path.stat()
        where = str(path.resolve())
    except OSError:
        return None
    ident = f"{st.st_size}|{st.st_mtime_ns}|{SNAPSHOT_VERSION}|{sys.version}"
    return snapshot_dir() / f"{path.stem}-{_digest(where)}-{_digest(ident)}.marshal"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _read_snapshot(snapshot: Path | None) -> dict | None:
    if snapshot is None:
        return None
    try:
        data = marshal.loads(snapshot.read_bytes())  # marshal.load on a file reads it in small pieces: 7x slower
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 2 and data[0] == SNAPSHOT_VERSION and isinstance(data[1], dict)):
        return None
    return data[1]


def _write_snapshot(snapshot: Path | None, index: dict) -> None:
    """Best effort: a cache that cannot be written (read-only home, full disk) only means the
    next load reads the CSV again."""
    if snapshot is None:
        return
    sd = {}.setdefault  # one object per distinct string, so marshal writes (and reads) each once
    raw = {
        tuple(map(sd, key, key)): tuple(
            (p.tier_start, p.tier_end, sd(p.unit, p.unit), p.unit_price, sd(p.interruption_band, p.interruption_band),
             sd(p.source, p.source), sd(p.as_of, p.as_of), p.verified, sd(p.note, p.note))
            for p in (tiers if len(tiers) == 1 else sorted(tiers, key=lambda t: t.tier_start)))
        for key, tiers in index.items()
    }
    from costplan.cache import write_cache_file

    if not write_cache_file(snapshot, marshal.dumps((SNAPSHOT_VERSION, raw))):
        return
    stem, where, _ = snapshot.stem.rsplit("-", 2)
    for old in snapshot.parent.glob(f"{stem}-{where}-*.marshal"):  # earlier versions of the same file
        if old != snapshot:
            try:
                old.unlink(missing_ok=True)
            except OSError:
                pass


def _is_catalog_manifest(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"file", "rows"} <= data.keys()  # write_catalog always writes both


@lru_cache(maxsize=4)
def _cached_default(path: str) -> Catalog:
    return Catalog.load(path)


def default_catalog() -> Catalog:
    """The default catalog, loaded once per process."""
    return _cached_default(str(default_catalog_path()))


PRICE_FIELDS = [f.name for f in fields(Price)]
