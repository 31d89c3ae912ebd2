"""What a catalog holds and how far to trust it: ``costplan prices info``.

:func:`catalog_info` summarises a :class:`~costplan.pricing.catalog.Catalog`: its dates, the
sources of its manifest with how many rows each priced, row counts per service and pricing
model, and a coverage matrix of service x region saying whether the prices there are all
verified, include estimates, or are missing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from costplan.pricing.catalog import PRICING_MODELS, Catalog

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

VERIFIED, ESTIMATE, MISSING = "verified", "estimate", "missing"
NOT_APPLICABLE = "n/a"
"""Matrix cell of a regional service in the ``global`` column, or of a global service in a region."""


SOURCE_COLUMNS = ["id", "as_of", "rows", "url", "license", "notes"]
COVERAGE_COLUMNS = ["service", "region", "status", "rows", "verified_rows", "estimate_rows"]


@dataclass
class CatalogInfo:
    """Summary of one catalog.

    ``summary``: file, as-of date, generation time, row count, date range of the rows.
    ``sources``: one row per source (id, url, as_of, license, notes, rows).
    ``counts``: one row per service with a column per pricing model and ``total``.
    ``coverage``: one row per (service, region) with ``status`` (verified / estimate /
    missing), ``rows``, ``verified_rows`` and ``estimate_rows``; regions are those the catalog
    prices anything in, plus ``global`` only for services priced globally (Route 53).

    ``sources``, ``counts`` and ``coverage`` are DataFrames; the ``*_rows`` methods give the
    same tables as pandas-free :class:`costplan.frames.Rows` (what a printed table needs).
    """

    summary: dict
    source_records: list[dict]
    count_records: list[dict]
    coverage_records: list[dict]

    @staticmethod
    def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(records, columns=columns)

    @staticmethod
    def _rows(records: list[dict], columns: list[str]):
        from costplan.frames import Rows

        return Rows(columns, [tuple(r[c] for c in columns) for r in records])

    @property
    def sources(self) -> pd.DataFrame:
        return self._frame(self.source_records, SOURCE_COLUMNS)

    @property
    def counts(self) -> pd.DataFrame:
        return self._frame(self.count_records, ["service", *PRICING_MODELS, "total"])

    @property
    def coverage(self) -> pd.DataFrame:
        return self._frame(self.coverage_records, COVERAGE_COLUMNS)

    def sources_rows(self, columns: list[str] = SOURCE_COLUMNS):
        return self._rows(self.source_records, list(columns))

    def counts_rows(self):
        return self._rows(self.count_records, ["service", *PRICING_MODELS, "total"])

    def coverage_matrix_rows(self):
        """Services down (sorted), regions across (in the summary's order), each cell the
        status (``verified (40)``, ``estimate (3/40)``, ``missing``; ``n/a`` where the service
        has no such region)."""
        from costplan.frames import Rows

        def cell(r) -> str:
            if r["status"] == VERIFIED:
                return f"verified ({r['rows']})"
            if r["status"] == ESTIMATE:
                return f"estimate ({r['estimate_rows']}/{r['rows']})"
            return MISSING

        cells = {(r["service"], r["region"]): cell(r) for r in self.coverage_records}
        present = {r for _, r in cells}
        regions = [r for r in self.summary["regions"] if r in present]
        services = sorted({s for s, _ in cells})
        return Rows(["service", *regions],
                    [(s, *(cells.get((s, r), NOT_APPLICABLE) for r in regions)) for s in services])

    def coverage_matrix(self) -> pd.DataFrame:
        """Services down, regions across, each cell the status (``estimate 3/40`` style)."""
        return self.coverage_matrix_rows().to_frame()

    def coverage_summary_rows(self):
        """One row per service: in how many regions its prices are all verified, include
        estimates, or are missing, and which regions are missing. Readable in a terminal
        whatever the number of regions (the matrix is in ``coverage`` / ``coverage_matrix``)."""
        from costplan.frames import Rows

        by_service: dict[str, list[dict]] = defaultdict(list)
        for r in self.coverage_records:
            by_service[r["service"]].append(r)
        rows = []
        for service in sorted(by_service):
            g = by_service[service]
            missing = sorted(r["region"] for r in g if r["status"] == MISSING)
            shown = ", ".join(missing[:4]) + (f" (+{len(missing) - 4})" if len(missing) > 4 else "")
            rows.append((service, len(g), sum(r["status"] == VERIFIED for r in g),
                         sum(r["status"] == ESTIMATE for r in g), len(missing), shown))
        return Rows(["service", "regions", "verified", "estimate", "missing", "missing_in"], rows)

    def coverage_summary(self) -> pd.DataFrame:
        """:meth:`coverage_summary_rows` as a DataFrame."""
        return self.coverage_summary_rows().to_frame()

    def to_dict(self) -> dict:
        """Everything as JSON-ready Python values (no pandas: the records in their columns)."""

        def records(rows, columns):
            return [{c: r.get(c) for c in columns} for r in rows]

        return {
            "summary": self.summary,
            "sources": records(self.source_records, SOURCE_COLUMNS),
            "counts": records(self.count_records, ["service", *PRICING_MODELS, "total"]),
            "coverage": records(self.coverage_records, COVERAGE_COLUMNS),
        }

    def coverage_rows(self):
        """:attr:`coverage` as :class:`costplan.frames.Rows`."""
        return self._rows(self.coverage_records, COVERAGE_COLUMNS)


def catalog_info(catalog: Catalog) -> CatalogInfo:
    """Dates, sources, row counts and service x region coverage of ``catalog``."""
    rows = list(catalog.provenance())  # (service, region, pricing_model, source, as_of, verified)
    by_source = Counter(r[3] for r in rows)
    counts: dict[str, Counter] = defaultdict(Counter)
    cov: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for service, region, model, _source, _as_of, verified in rows:
        counts[service][model] += 1
        cov[(service, region)][0 if verified else 1] += 1

    listed = catalog.manifest.get("sources", []) or []
    src_rows = []
    for s in listed:
        src_rows.append(
            {
                "id": s.get("id", ""),
                "as_of": s.get("as_of", ""),
                "rows": by_source.get(s.get("id", ""), 0),
                "url": s.get("url", ""),
                "license": s.get("license", ""),
                "notes": s.get("notes", ""),
            }
        )
    listed_ids = {s.get("id") for s in listed}
    for sid, n in sorted(by_source.items()):
        if sid not in listed_ids:
            as_of = max(r[4] for r in rows if r[3] == sid)
            src_rows.append(
                {"id": sid, "as_of": as_of, "rows": n, "url": "", "license": "", "notes": "not listed in the manifest"}
            )

    count_rows = []
    for service in sorted(counts):
        c = counts[service]
        count_rows.append({"service": service, **{m: c.get(m, 0) for m in PRICING_MODELS}, "total": sum(c.values())})

    services = sorted({s for s, _ in cov})
    regions = sorted({r for _, r in cov}, key=lambda r: (r == "global", r))
    regional = {s for s, r in cov if r != "global"}
    global_ = {s for s, r in cov if r == "global"}
    cov_rows = []
    for s in services:
        for r in regions:
            if (r == "global" and s not in global_) or (r != "global" and s not in regional):
                continue  # a global service has no regional prices to miss, and vice versa
            ver, est = cov.get((s, r), (0, 0))
            status = MISSING if ver + est == 0 else ESTIMATE if est else VERIFIED
            cov_rows.append(
                {"service": s, "region": r, "status": status, "rows": ver + est, "verified_rows": ver, "estimate_rows": est}
            )

    dates = sorted(r[4] for r in rows)
    summary = {
        "file": str(catalog.path) if catalog.path else None,
        "as_of": catalog.as_of,
        "generated": catalog.manifest.get("generated"),
        "rows": len(rows),
        "oldest_price": dates[0] if dates else None,
        "newest_price": dates[-1] if dates else None,
        "verified_rows": sum(1 for r in rows if r[5]),
        "estimate_rows": sum(1 for r in rows if not r[5]),
        "services": len(services),
        "regions": regions,
    }
    return CatalogInfo(summary=summary, source_records=src_rows, count_records=count_rows, coverage_records=cov_rows)
