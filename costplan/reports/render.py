"""Writing the monthly report: HTML (plotly, self-contained), Markdown (PNG figures), CSV, JSON.

Every text that comes from data (service names, usage types, tag values, notes) is escaped:
the HTML through jinja2 autoescape, the Markdown through :func:`md_text`. The report folder
is built in a temporary folder next to its destination and moved into place at the end, so
a failed run leaves either the previous report or nothing, never half of one.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import html
import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.frames import Rows, missing, round_like_pandas, sum_like_pandas
from costplan.outputs import OutputKind
from costplan.reports.png import ImageExportError, PngBrowser  # the PNG figures (kept free of pandas)
from costplan.reports.tables import METRIC, ReportTables, Section

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

TEMPLATES = Path(__file__).parent / "templates"
HTML_NAME, MD_NAME, CSV_NAME, JSON_NAME, FIG_DIR = "report.html", "report.md", "breakdown.csv", "summary.json", "figures"
#: Sections written to breakdown.csv / summary.json, in report order.
TABLE_SECTIONS = ("trend", "by_service", "by_region", "by_component", "by_team", "movers", "variance", "commitments",
                  "spot", "decisions", "per_user", "projection", "freshness", "provenance")
#: Sections whose money column adds up to the month total.
TOTAL_SECTIONS = ("by_service", "by_region", "by_component", "by_team")
BREAKDOWN_COLUMNS = ["section", "row", "key", "metric", "value"]


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote: the folder, its files, and warnings for the reader."""

    out_dir: Path
    files: list[Path]
    images: bool
    warnings: list[str] = field(default_factory=list)


# --- formatting ----------------------------------------------------------------------------
def _missing(v) -> bool:
    return missing(v) or type(v).__name__ in ("NAType", "NaTType")


#: The currency the amounts being rendered are in (the store's BillingCurrency).
CURRENCY: contextvars.ContextVar[str] = contextvars.ContextVar("currency", default="USD")


def money(v, decimals: int = 2) -> str:
    """``$1,234.56``; ``-$12.30``; ``n/a`` for a missing amount; ``1,234.56 CHF`` for a
    currency without a sign (:data:`CURRENCY`)."""
    if _missing(v):
        return "n/a"
    v = float(v)
    cur = CURRENCY.get()
    sym = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}.get(cur)
    body = f"{abs(v):,.{decimals}f}"
    text = f"{sym}{body}" if sym else f"{body} {cur}"
    return f"-{text}" if v < 0 else text


def signed(v) -> str:
    if _missing(v):
        return "n/a"
    return ("+" if float(v) >= 0 else "") + money(v)


def pct(v) -> str:
    if _missing(v):
        return "n/a"
    return f"{float(v) * 100:+.1f}%"


def fmt_cell(v, col: str, money_cols: tuple[str, ...] = (), decimals: int = 2) -> str:
    if _missing(v):
        return ""
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if col in money_cols:
        return money(v, decimals)
    if col.endswith("per_user"):
        return money(v, 4)  # [USD/user]: cents would hide most of it
    if col in ("share", "coverage", "utilisation") or "_share" in col:
        return f"{float(v) * 100:.1f}%"
    if col.endswith("_pct"):
        return f"{float(v):+.1f}%"
    if isinstance(v, float):
        if col.endswith("unit_cost"):
            return f"{v:,.6g}"
        return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


#: Column headings a reader sees in report.html and report.md; breakdown.csv and summary.json
#: keep the column names (docs/nomenclature.md), which the HTML shows on hovering a heading.
COLUMN_LABELS = {
    "ServiceName": "Service", "RegionId": "Region", "component_kind": "Component", "team": "Team",
    "previous": "Last month", "change": "Change", "share": "Share", "month": "Month", "credits": "Credits",
    "active_users": "Active users", "cost_per_user": "Cost per user", "x_UsageType": "Usage type",
    "usage_effect": "Usage effect", "price_effect": "Price effect", "plan": "Plan (list)", "actual": "Actual",
    "variance": "Variance", "variance_pct": "Variance %", "flag": "Flag", "CommitmentDiscountType": "Commitment",
    "billed": "Billed", "used_commitment": "Used", "unused_commitment": "Unused", "utilisation": "Utilisation",
    "savings": "Savings", "coverage": "Coverage", "node_pool_cost": "Node-pool cost", "spot_cost": "Spot cost",
    "spot_list_cost": "Spot hours on demand", "node_pool_hours": "Node-pool hours", "spot_hours": "Spot hours",
    "spot_savings": "Spot savings", "spot_share_hours": "Spot share of hours", "spot_share_cost": "Spot share of cost",
    "users_p50": "Users (p50)", "decision": "Decision", "net_monthly": "Net per month", "low": "Low", "high": "High",
    "new_monthly": "New bill per month", "estimate_grade": "Estimate-grade", "day": "Day", "x_Source": "Source",
    "price_source": "Price source", "verified": "Verified", "lines": "Lines", "price_as_of": "Price as of",
}


#: Columns whose values are never broken across lines (a region, a month, a day, a date).
WHOLE_VALUES = frozenset({"RegionId", "month", "day", "price_as_of"})


def label(col: str) -> str:
    """The heading of column ``col`` (:data:`COLUMN_LABELS`; the name itself otherwise)."""
    return COLUMN_LABELS.get(col, col)


def _numeric(df: Rows | pd.DataFrame, c: str) -> bool:
    """True for a column of numbers (not yes/no): a right-aligned column, a metric of breakdown.csv."""
    if isinstance(df, Rows):
        return df.numeric(c)
    import pandas as pd

    return pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])


def _cents(values) -> float:
    return round_like_pandas(sum_like_pandas(values), 2)


def section_totals(t: ReportTables) -> dict[str, dict[str, str]]:
    """The formatted total row of each section whose money adds up (label column -> 'Total')."""
    out = {}
    for key in TOTAL_SECTIONS:
        df = t[key].rows
        label = df.columns[0]
        out[key] = {label: "Total", METRIC: money(_cents(df.column(METRIC)))}
        if any(not missing(v) for v in df.column("previous")):
            out[key]["previous"] = money(_cents(df.column("previous")))
            out[key]["change"] = money(_cents(df.column("change")))
    v = t["variance"].rows
    out["variance"] = {"component_kind": "Total", "plan": money(_cents(v.column("plan"))),
                       "actual": money(_cents(v.column("actual"))), "variance": money(_cents(v.column("variance")))}
    return out


# --- data outputs ----------------------------------------------------------------------------
def _jsonable(v):
    if _missing(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None  # JSON has no Infinity; an undefined ratio is null
    if type(v).__name__ == "Timestamp" or isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def breakdown_rows(t: ReportTables) -> Rows:
    """:func:`breakdown_frame` as :class:`costplan.frames.Rows` (``value`` a float or ``None``)."""
    rows = [("headline", 0, t.month, k, v) for k, v in t.headline.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None]
    for key in TABLE_SECTIONS:
        sec = t.sections.get(key)
        if sec is None or not sec.available:
            continue
        df = sec.rows
        num = [c for c in df.columns if _numeric(df, c)]
        labels = [c for c in df.columns if c not in num]
        for i, r in enumerate(df.rows):
            d = dict(zip(df.columns, r, strict=True))
            label = " / ".join("" if _missing(d[c]) else str(d[c]) for c in labels)
            for c in num:
                rows.append((key, i, label, c, _jsonable(d[c])))
    # one column of numbers: floats, as the frame's column holds them
    rows = [(s, i, k, m, None if v is None else float(v)) for s, i, k, m, v in rows]
    return Rows(BREAKDOWN_COLUMNS, rows, {"row": "int", "value": "float"})


def breakdown_frame(t: ReportTables) -> pd.DataFrame:
    """The numbers behind every figure and table, long format: ``section``, ``row`` (position in
    the section's table), ``key`` (the row's label columns, ``" / "``-joined), ``metric`` (a
    numeric column) and ``value`` [USD for money columns]. The headline comes first."""
    return breakdown_rows(t).to_frame()


def write_breakdown(rows: Rows, path: Path) -> None:
    """breakdown.csv as ``DataFrame.to_csv(index=False)`` writes it: minimal quoting, ``\\n``
    line ends, a missing value as an empty field, floats as Python writes them."""
    import csv

    def cell(v):
        if v is None:
            return ""
        return repr(v) if isinstance(v, float) else v

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(rows.columns)
        w.writerows([cell(v) for v in r] for r in rows.rows)


def summary_dict(t: ReportTables, files: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything in the report as JSON-ready data: headline, each section's rows and notes."""
    sections = {}
    for key, sec in t.sections.items():
        sections[key] = {
            "title": sec.title,
            "available": sec.available,
            "notes": list(sec.notes),
            "rows": None if sec.rows is None else [
                {k: _jsonable(v) for k, v in zip(sec.rows.columns, r, strict=True)} for r in sec.rows.rows
            ],
        }
    return {
        "month": t.month,
        "stack": t.stack_name,
        "store": t.store_path,
        "synthetic_data": t.synthetic,
        "catalog_as_of": t.catalog_as_of,
        "generated_at": t.generated_at,
        "currency": t.headline.get("currency", "USD"),
        "metric": METRIC,
        "headline": {k: _jsonable(v) for k, v in t.headline.items()},
        "sections": sections,
        "warnings": list(t.warnings),
        "files": files or {},
    }


# --- HTML ------------------------------------------------------------------------------------
def _template_cache():
    """jinja2's compiled templates kept in the user's cache folder (:mod:`costplan.cache`), one
    folder per jinja2 version: the report's template is compiled once, not by every report
    (jinja2 recompiles a template whose source changed, or whose cached code it cannot read)."""
    import jinja2

    from costplan.cache import user_cache_dir, write_cache_file

    folder = user_cache_dir() / f"templates-jinja2-{jinja2.__version__}"

    class Cache(jinja2.BytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                data = (folder / f"{bucket.key}.cache").read_bytes()
            except OSError:
                return
            bucket.bytecode_from_string(data)

        def dump_bytecode(self, bucket) -> None:
            write_cache_file(folder / f"{bucket.key}.cache", bucket.bytecode_to_string())

    return Cache()


def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_template_cache(),
    )
    env.filters.update(money=money, signed=signed, pct=pct, wbr=_wbr, updown=_updown)
    return env


def _updown(v) -> str:
    """CSS class of a change in cost: ``up`` (more spend, red), ``down`` (green), ``na``."""
    if _missing(v):
        return "na"
    return "up" if float(v) > 0 else ("down" if float(v) < 0 else "")


def _wbr(text) -> str:
    """Escape ``text`` and allow line breaks after underscores (long column names)."""
    from markupsafe import Markup, escape

    return Markup(str(escape(str(text))).replace("_", "_<wbr>"))


#: plotly.js's options for the report's figures.
FIGURE_CONFIG = {"displaylogo": False, "responsive": True}


def figure_html(fig: dict | go.Figure, div_id: str) -> str:
    """One figure (a spec of :mod:`costplan.reports.figures`, or a plotly Figure) as a
    ``<div>`` plus the script that draws it, as plotly's ``to_html(full_html=False,
    include_plotlyjs=False)`` writes it; plotly.js itself is included once per page."""
    from costplan.reports.figures import json_text, with_template

    if not isinstance(fig, dict):
        fig = fig.to_plotly_json()
    spec = with_template(fig)
    layout = spec.get("layout", {})
    height = layout.get("height") or layout["template"].get("layout", {}).get("height")
    div_height = f"{height}px" if height else "100%"
    data, lay = json_text(spec.get("data", [])), json_text(layout)
    script = (f"""\
                if (document.getElementById("{div_id}")) {{\
                    Plotly.newPlot(\
                        "{div_id}",\
                        {data},\
                        {lay},\
                        {json.dumps(FIGURE_CONFIG)}\
                    )\
                }}""")
    return (f"""\
<div style="height:{div_height}; width:100%;">\
                \
            <div id="{div_id}" class="plotly-graph-div" \
style="height:100%; width:100%;"></div>\
            <script>\
                window.PLOTLYENV=window.PLOTLYENV || {{}};\
                {script};\
            </script>\
        </div>""")


def plotly_js(figs: dict[str, dict] | None = None) -> str:
    """The plotly.js the page embeds, read without importing plotly: the vendored basic bundle
    (bar, scatter, pie; a quarter of the full one) when it is the version plotly ships and
    draws every trace of ``figs``, the full plotly.js otherwise."""
    from costplan.reports.png import BASIC_TRACES, _trace_types, full_bundle, plotly_bundle

    traces = set().union(*(_trace_types(f) for f in (figs or {}).values()))
    bundle = plotly_bundle() if figs is not None and traces <= BASIC_TRACES else full_bundle()
    return bundle.read_text(encoding="utf-8")


def render_html(t: ReportTables, figs: dict[str, dict], *, embedded_default: bool = False) -> str:
    """The self-contained HTML report (plotly.js inline, once)."""
    from markupsafe import Markup

    import costplan

    figure_divs = {k: Markup(f'<div class="figure">{figure_html(f, f"fig-{k}")}</div>') for k, f in figs.items()}

    def fig(key: str):
        return figure_divs.get(key, "")

    def rows(df: Rows, limit=None):
        for r in df.head(limit).rows:
            yield list(zip(df.columns, r, strict=True))

    def cell(v, c, sec: Section):
        return fmt_cell(v, c, sec.money, sec.decimals)

    kinds: dict[tuple[int, str], tuple[Rows, bool]] = {}

    def numeric(df: Rows, c: str) -> bool:  # once per table and column, not once per cell
        key = (id(df), c)  # the table is kept with its answer, so that its id is not reused
        if key not in kinds:
            kinds[key] = (df, _numeric(df, c))
        return kinds[key][1]

    toc = [("headline", "Headline"), ("spend", "Where it went")] + [
        (k, t[k].title) for k in ("movers", "variance", "commitments", "spot", "decisions", "per_user", "projection",
                                  "freshness", "provenance") if k in t.sections
    ]
    tmpl = _env().get_template("report.html.j2")
    return tmpl.render(
        t=t, h=t.headline, s=t.sections, fig=fig, rows=rows, cell=cell, numeric=numeric, toc=toc, shown=shown, label=label,
        whole=WHOLE_VALUES,
        totals=section_totals(t), plotly_js=Markup(plotly_js(figs)), version=costplan.__version__,
        store_name=Path(t.store_path).name, embedded_default=embedded_default,
    )


# --- Markdown --------------------------------------------------------------------------------
def md_text(v) -> str:
    """Text from data made safe for a Markdown table cell: HTML-escaped, pipes and newlines
    neutralised, Markdown emphasis characters escaped."""
    s = html.escape(str(v), quote=False)
    for ch in ("\\", "|", "*", "_", "`", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ").replace("\r", " ")


def shown(sec: Section) -> Rows:
    """The columns of a section's table a reader sees (``extra["columns"]``; all by default):
    a page stays readable at 1280 px and on A4; breakdown.csv and summary.json keep them all."""
    cols = sec.extra.get("columns")
    return sec.rows.select([c for c in cols if c in sec.rows.columns]) if cols else sec.rows


def md_table(sec: Section, total: dict[str, str] | None = None, limit: int | None = None) -> str:
    full = shown(sec)
    df = full.head(limit)
    cols = list(full.columns)
    out = ["| " + " | ".join(md_text(label(c)) for c in cols) + " |",
           "|" + "|".join("---:" if _numeric(full, c) else "---" for c in cols) + "|"]
    for r in df.rows:
        out.append("| " + " | ".join(md_text(fmt_cell(v, c, sec.money, sec.decimals)) for c, v in zip(cols, r, strict=True)) + " |")
    if total:
        out.append("| " + " | ".join(f"**{md_text(total.get(c, ''))}**" if total.get(c) else "" for c in cols) + " |")
    return "\n".join(out)


def _versus(what: str, month: str, change, change_pct, then) -> str:
    if then is None:
        return f"- vs {what} ({month}): not available, {month} is not in the store"
    return f"- vs {what} ({month}): {signed(change)} ({pct(change_pct)}), then {money(then)}"


def render_markdown(t: ReportTables, images: dict[str, str], image_warning: str | None = None,
                    *, embedded_default: bool = False) -> str:
    """The report as Markdown for a wiki page or a pull request; ``images`` maps a figure key
    to its PNG path relative to the Markdown file."""
    h = t.headline
    totals = section_totals(t)
    L: list[str] = [f"# Cloud cost report: {t.month}", ""]
    L.append(f"Stack **{md_text(t.stack_name)}** · catalog as of {t.catalog_as_of} · generated {t.generated_at} · "
             f"amounts in {h.get('currency', 'USD')}, {METRIC} (amortised)")
    L.append("")
    if t.synthetic:
        L += ["> **SYNTHETIC SAMPLE DATA**: the actual spend in this report is a generated sample, not real billing "
              "data. Load real spend with `costplan pull` or `costplan import`.", ""]
    if embedded_default:
        L += ["> Running on the embedded default: the bundled stack, the embedded price catalog and the bundled "
              "sample store (no AWS account used).", ""]
    if image_warning:
        L += [f"> Figures not included: {md_text(image_warning)}", ""]

    def img(key: str) -> None:
        if key in images:
            L.extend([f"![{md_text(key)}]({images[key]})", ""])

    L += ["## Headline", "",
          (f"- **{t.month} in progress: month-end forecast {money(h['forecast_month_end'])}** "
           f"({money(h['forecast_low'])} to {money(h['forecast_high'])}; {money(h['total'])} spent in "
           f"{h['days_held']} of {h['days_in_month']} days); the comparisons below use the forecast"
           if h.get("basis", "total") != "total" else
           f"- **Total {t.month}: {money(h['total'])}** (billed {money(h['billed_total'])})"),
          _versus("last month", h["previous_month"], h["change_vs_previous"], h["change_vs_previous_pct"],
                  h["previous_total"]),
          _versus("same month last year", h["same_month_last_year"], h["change_vs_year_ago"],
                  h["change_vs_year_ago_pct"], h["year_ago_total"]),
          f"- vs plan: {signed(h['change_vs_plan'])} ({pct(h['change_vs_plan_pct'])}), plan {money(h['plan_total'])}",
          ""]
    L += [f"_{md_text(n)}_" + "\n" for n in t["headline"].notes]
    img("trend")
    L += [md_table(t["trend"], None), ""]
    L += ["## Where the money went", ""]
    for key in ("by_service", "by_region", "by_component", "by_team"):
        sec = t[key]
        L += [f"### {md_text(sec.title)}", ""]
        img(key)
        L += [md_table(sec, totals[key]), ""]
        L += [f"_{md_text(n)}_\n" for n in sec.notes]
    for key in ("movers", "variance", "commitments", "spot", "decisions", "per_user", "projection", "freshness",
                "provenance"):
        sec = t[key]
        L += [f"## {md_text(sec.title)}", ""]
        if not sec.available:
            L += ["**Data not available.** " + " ".join(md_text(n) for n in sec.notes), ""]
            continue
        img(key)
        limit = 7 if key == "freshness" else None
        L += [md_table(sec, totals.get(key), limit), ""]
        if limit and len(sec.rows) > limit:
            L += [f"_first {limit} of {len(sec.rows)} rows; all in breakdown.csv_", ""]
        L += [f"_{md_text(n)}_\n" for n in sec.notes]
    if t.warnings:
        L += ["## Warnings from the plan", ""] + [f"- {md_text(w)}" for w in t.warnings] + [""]
    L += ["---", f"Numbers behind every figure: `{CSV_NAME}`, `{JSON_NAME}`.", ""]
    return "\n".join(L)


# --- the writer ------------------------------------------------------------------------------
def write_report(
    t: ReportTables,
    figs: dict[str, dict],
    out_dir: str | os.PathLike,
    *,
    markdown: bool = False,
    images: bool = True,
    embedded_default: bool = False,
    progress=lambda _s: None,
    browser: PngBrowser | None = None,
    pngs=None,
) -> ReportFiles:
    """Write report.html, breakdown.csv and summary.json into ``out_dir``, and with ``markdown``
    report.md (+ figures/*.png unless ``images`` is False), replacing a previous report there only when every file was written
    (:mod:`costplan.outputs`: an existing folder must be an earlier report). ``browser``: a
    :class:`PngBrowser` started earlier for the PNGs (one is started here otherwise); ``pngs``:
    a future of ``{key: path}`` from :meth:`PngBrowser.export` started earlier, elsewhere, whose
    files are moved into the report."""
    from costplan import outputs

    out = outputs.resolve(out_dir)  # absolute and real before anything is checked or created
    images = images and markdown  # the PNG figures are report.md's
    CURRENCY.set(t.headline.get("currency") or "USD")  # amounts are shown in the store's currency
    warnings: list[str] = []
    pool = None
    image_paths: dict[str, str] = {}
    with outputs.replacing_folder(out, REPORT_KIND) as tmp:
        try:
            if images and pngs is None:
                # Chromium renders the PNGs in its own process while the HTML, CSV and JSON are written
                pool = browser or PngBrowser()
                pngs = pool.export(figs, tmp / FIG_DIR)
            progress("HTML")
            (tmp / HTML_NAME).write_text(render_html(t, figs, embedded_default=embedded_default), encoding="utf-8")
            progress("CSV and JSON")
            write_breakdown(breakdown_rows(t), tmp / CSV_NAME)
            image_warning = None
            if not markdown:
                pass
            elif images:
                progress("PNG figures")
                try:
                    drawn = pngs.result()
                    for p in drawn.values():
                        if p.parent != tmp / FIG_DIR:  # drawn into a folder of their own: moved in
                            (tmp / FIG_DIR).mkdir(exist_ok=True)
                            shutil.move(p, tmp / FIG_DIR / p.name)
                    image_paths = {k: f"{FIG_DIR}/{p.name}" for k, p in drawn.items()}
                except ImageExportError as exc:
                    image_warning = str(exc)
                    warnings.append(f"{MD_NAME} written without figures: {exc}")
            else:
                image_warning = "PNG export was turned off (--no-images)"
            if markdown:
                progress("Markdown")
                (tmp / MD_NAME).write_text(render_markdown(t, image_paths, image_warning,
                                                           embedded_default=embedded_default), encoding="utf-8")
            files = {"html": HTML_NAME, "markdown": MD_NAME if markdown else None, "csv": CSV_NAME, "json": JSON_NAME,
                     "figures": sorted(image_paths.values())}
            (tmp / JSON_NAME).write_text(json.dumps(summary_dict(t, files), indent=2, allow_nan=False) + "\n",
                                         encoding="utf-8")
            progress("moving into place")
        finally:
            if pool is not None:
                pool.close()
            elif browser is not None:
                browser.close()
    written = sorted(p for p in out.rglob("*") if p.is_file() and p.name != outputs.MARKER)
    return ReportFiles(out, written, bool(image_paths), warnings)


#: What a report folder holds; a folder with anything else is not replaced.
REPORT_ENTRIES = frozenset({"report.html", "report.md", "breakdown.csv", "summary.json", "figures"})


REPORT_KIND = OutputKind("report", REPORT_ENTRIES.__contains__)
