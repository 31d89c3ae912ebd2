"""The monthly cost report: tables (numbers), figures (plotly), render (HTML, Markdown, CSV, JSON).

Example::

    from costplan.reports import monthly_report
    tables, files = monthly_report(month="2026-10", out_dir="reports/2026-10")
    tables.headline["total"]          # the month's EffectiveCost [USD]

With no arguments it runs on the embedded default: the bundled stack, the embedded catalog
and the synthetic sample store, and the report says so.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from costplan.reports.render import ReportFiles
    from costplan.reports.tables import ReportTables

__all__ = ["REPORT_STEPS", "build_report", "monthly_report", "report_steps"]

# plotly.io imports nbformat, whose validator imports jsonschema, which imports rfc3987_syntax
# (when installed) to check the "iri" string format, and that builds a URI grammar at import:
# seconds of start-up for a check nothing here uses (costplan validates no notebook against
# "iri"). Marked absent, jsonschema skips that one format; an import that happened already is
# left as it is.
if "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

#: Progress steps reported by :func:`monthly_report` without Markdown (for a progress bar's total).
REPORT_STEPS = 12


def report_steps(markdown: bool = False, images: bool = True) -> int:
    """Progress steps of :func:`monthly_report` with these options: report.md is one more, its
    PNG figures another."""
    return REPORT_STEPS + int(markdown) + int(markdown and images)


def _is_default(value: str, builtin: str) -> bool:
    try:
        return Path(value).resolve() == Path(builtin).resolve()
    except OSError:
        return False


def build_report(
    month: str | None = None,
    stack: str | os.PathLike | None = None,
    store: str | os.PathLike | None = None,
    catalog: str | os.PathLike | None = None,
    *,
    projection: bool = True,
    calibrate: bool = False,
    seed: int = 0,
    strict_prices: bool = False,
    progress: Callable[[str], None] = lambda _s: None,
    source=None,
    on_figure: Callable[[str, object], None] | None = None,
) -> tuple[ReportTables, dict]:
    """The report's tables and figures, nothing written.

    ``stack``, ``store`` and ``catalog`` default by the documented precedence
    (:func:`costplan.config.load_settings`); the default store is built from the synthetic sample
    on first use. ``month`` is ``YYYY-MM`` (default: the last complete month in the store).
    ``source`` replaces the store by another engine's spend (:mod:`costplan.actuals.engines`):
    it reads the billing periods the report needs: the twelve before ``month`` up to the latest held.
    ``on_figure`` is called with each figure's key and figure as soon as its tables are built
    (:func:`costplan.reports.figures.figures_ready`), so that the PNG export draws it while the
    next tables, the decisions (which no figure shows) and the HTML are made.
    """
    from costplan import config
    from costplan.actuals.store import Store
    from costplan.estimator import estimate
    from costplan.pricing.lookup import get_catalog
    from costplan.reports.figures import FIGURES, figures_ready
    from costplan.reports.tables import build_tables
    from costplan.stack import load_stack

    figs: dict = {}
    drawn: set[str] = set()

    def on_sections(sections: dict, headline: dict) -> None:
        for key, fig in figures_ready(sections, headline, drawn):
            figs[key] = fig
            if on_figure is not None:
                on_figure(key, fig)

    cfg = config.load_settings(stack=stack, store=store)
    stack_path = str(cfg.stack)
    progress("loading the stack and pricing the plan")
    st = load_stack(stack_path)
    from costplan.pricing.catalog import Catalog

    cat = catalog if isinstance(catalog, Catalog) else get_catalog(
        str(catalog) if catalog else cfg.catalog)
    plan = estimate(st, cat, strict_prices=strict_prices)
    progress("opening the store")
    store_path = str(cfg.store)
    if source is not None:
        if month and getattr(source, "window", None) is None and hasattr(source, "set_window"):
            from costplan.reports.tables import TREND_MONTHS, shift_month

            # the trend's months and the year before, up to the latest held (its Estimated days)
            first = shift_month(month, -max(TREND_MONTHS, 13) + 1)
            held = [m for m in source.months() if m >= first] if source.partition_column else []
            source.set_window(held or [shift_month(month, -k) for k in range(max(TREND_MONTHS, 13))])
        tables = build_tables(source, st, plan, month, progress, catalog=cat, projection=projection,
                              calibrate=calibrate, seed=seed, decisions=False,
                              on_sections=on_sections if on_figure is not None else None)
        store_path = str(source.path)
    else:
        with Store.open_default(store_path, read_only=True) as s:
            tables = build_tables(s, st, plan, month, progress, catalog=cat, projection=projection,
                                  calibrate=calibrate, seed=seed, decisions=False,
                                  on_sections=on_sections if on_figure is not None else None)
    progress("figures")
    on_sections(tables.sections, tables.headline)  # the figures not built yet, in report order
    figs = {key: figs[key] for key, _, _ in FIGURES if key in figs}
    # the decisions last (in their place among the sections): a dozen scenarios and a commitment
    # sizing, priced while Chromium draws the PNG figures
    from costplan.reports.tables import decisions_section

    tables.sections["decisions"] = decisions_section(st, plan, cat, seed=seed)
    tables.embedded_default = (
        _is_default(stack_path, config.DEFAULT_STACK) and _is_default(store_path, config.default_store())
    )
    return tables, figs


def monthly_report(
    month: str | None = None,
    stack: str | os.PathLike | None = None,
    store: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    *,
    catalog: str | os.PathLike | None = None,
    markdown: bool = False,
    images: bool = True,
    projection: bool = True,
    calibrate: bool = False,
    strict_prices: bool = False,
    progress: Callable[[str], None] = lambda _s: None,
    source=None,
) -> tuple[ReportTables, ReportFiles]:
    """Build and write the monthly report (default folder ``<reports_dir>/YYYY-MM``):
    report.html, breakdown.csv and summary.json; with ``markdown``, also report.md, with its PNG
    figures (a headless Chromium draws them) unless ``images`` is False."""
    from costplan import config, outputs
    from costplan.reports.render import REPORT_KIND, write_report

    if out_dir:  # before any work: a path that is not a new folder or an earlier report is refused
        out_dir = outputs.resolve(out_dir)
        outputs.check_folder(out_dir, REPORT_KIND)
    images = images and markdown  # the PNGs are report.md's; report.html draws its own figures
    browser = None
    folder = None  # where the PNGs are drawn, each as soon as its tables are built
    if images:
        import tempfile

        from costplan.reports.png import PngBrowser

        browser = PngBrowser()  # Chromium starts now, while the tables are built
        folder = Path(tempfile.mkdtemp(prefix="costplan-figures-"))

        def on_figure(key: str, fig) -> None:  # drawn while the next tables, the decisions and the HTML are made
            browser.add(key, fig, folder / "figures")
    try:
        tables, figs = build_report(
            month, stack, store, catalog, projection=projection, calibrate=calibrate, progress=progress,
            strict_prices=strict_prices, source=source, on_figure=on_figure if images else None,
        )
        out = Path(out_dir) if out_dir else config.load_settings().reports_dir / tables.month
        files = write_report(tables, figs, out, markdown=markdown, images=images, progress=progress,
                             embedded_default=tables.embedded_default, browser=browser,
                             pngs=browser.finish() if browser is not None else None)
    finally:
        if browser is not None:
            browser.close()
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    return tables, files
