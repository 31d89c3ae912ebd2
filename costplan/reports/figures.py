"""Plotly figures of the monthly report, built from :class:`~costplan.reports.tables.ReportTables`.

No I/O: every function takes tables and returns a ``plotly.graph_objects.Figure``. Each trace
carries ``meta = {"section": ..., "metric": ...}`` naming the table column it plots, so the
numbers behind a figure can be found in ``breakdown.csv`` (same section, same metric, same
order of rows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from costplan.reports.tables import ReportTables

METRIC = "EffectiveCost"
COLORS = {
    "actual": "#1f6feb",
    "previous": "#9fb3c8",
    "plan": "#f0a202",
    "usage": "#2a9d8f",
    "price": "#e76f51",
    "final": "#1f6feb",
    "estimated": "#f4a261",
    "unverified": "#e76f51",
    "verified": "#2a9d8f",
}
#: Figure titles, in report order; also the PNG file names of the Markdown report.
TITLES = {
    "trend": "Monthly spend [USD]",
    "by_service": "Spend by service [USD]",
    "by_region": "Spend by region [USD]",
    "by_component": "Spend by component [USD]",
    "movers": "Top movers: usage and price effects [USD]",
    "variance": "Plan vs actual by component [USD]",
    "commitments": "Commitments: their cost (used and unused) vs the same usage on demand [USD]",
    "spot": "Spot cost vs the same hours on demand [USD]",
    "per_user": "Cost per active user: actual months, then the next 12 [USD/user/month]",
    "projection": "Projection, next 12 months [USD/month]",
    "freshness": "Daily spend, Final and Estimated days [USD]",
    "provenance": "Plan usage cost by price source; orange = estimate-grade, unverified [USD/month]",
}


def text(v) -> str:
    """Data as plain text in a plotly label. Plotly renders a subset of HTML in tick labels,
    legend entries and hover text (``<a href>`` becomes a link, ``<b>`` bold, ``<br>`` a line
    break); ``&``, ``<`` and ``>`` are escaped so that a service name, tag or usage type from
    a bill shows as it is written and never as markup."""
    return str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def texts(values) -> list[str]:
    """:func:`text` of each value (a column of labels)."""
    return [text(v) for v in values]


#: The plotly template of every figure.
TEMPLATE = "plotly_white"


def figure(*data) -> go.Figure:
    """A new figure on :data:`TEMPLATE`.

    plotly applies its default template at construction as already validated (1 ms a figure),
    where a ``layout.template`` given or set later is validated property by property again
    (over 20 ms a figure: most of the time the report's figures took to build). So
    :data:`TEMPLATE` is made the default for the moment of the construction, through the
    attribute behind ``pio.templates.default`` (its setter would validate the template once
    more); the caller's default is put back at once. Where that attribute is not there (another
    plotly), the template is given explicitly: slower, the same figure.
    """
    import plotly.graph_objects as go
    import plotly.io as pio

    templates = pio.templates
    if not hasattr(templates, "_default"):
        return go.Figure(data=list(data) or None, layout={"template": templates[TEMPLATE]})
    before = templates._default
    templates._default = TEMPLATE
    try:
        return go.Figure(data=list(data) or None)
    finally:
        templates._default = before


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": text(title), "x": 0.0, "xanchor": "left", "font": {"size": 15}, "pad": {"l": 6}},
        height=height,
        margin={"l": 10, "r": 10, "t": 45, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        hoverlabel={"namelength": -1},
    )
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def _meta(section: str, metric: str) -> dict:
    return {"section": section, "metric": metric}


def bar_current_previous(df: pd.DataFrame, key: str, section: str, title: str) -> go.Figure:
    """Horizontal bars: this month and last month per ``key``, largest on top."""
    import plotly.graph_objects as go

    d = df.iloc[::-1]
    fig = figure()
    if d["previous"].notna().any():
        fig.add_trace(go.Bar(y=texts(d[key]), x=d["previous"], name="last month", orientation="h",
                             marker_color=COLORS["previous"], meta=_meta(section, "previous"),
                             hovertemplate="%{y}: $%{x:,.2f}<extra>last month</extra>"))
    fig.add_trace(go.Bar(y=texts(d[key]), x=d[METRIC], name="this month", orientation="h", marker_color=COLORS["actual"],
                         meta=_meta(section, METRIC), hovertemplate="%{y}: $%{x:,.2f}<extra>this month</extra>"))
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickprefix="$", separatethousands=True)
    return _layout(fig, title, height=max(260, 60 + 34 * len(d)))


def trend(df: pd.DataFrame, plan_total: float | None) -> go.Figure:
    import plotly.graph_objects as go

    fig = figure()
    fig.add_trace(go.Bar(x=texts(df["month"]), y=df[METRIC], name="actual", marker_color=COLORS["actual"],
                         meta=_meta("trend", METRIC), hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>"))
    if "credits" in df:
        for r in df[df["credits"] < 0].itertuples():  # a credit is labelled, not read as a drop in usage
            fig.add_annotation(x=text(r.month), y=getattr(r, METRIC), text=f"incl. credit -${-r.credits:,.0f}",
                               showarrow=True, arrowhead=0, ay=-28, font={"size": 11, "color": "#8a5a00"},
                               bgcolor="rgba(255,255,255,0.85)")
    if plan_total is not None:
        fig.add_hline(y=plan_total, line_dash="dash", line_color=COLORS["plan"],
                      annotation_text=f"plan ${plan_total:,.0f}", annotation_position="top right",
                      annotation_bgcolor="rgba(255,255,255,0.85)", annotation_font_color="#8a5a00")
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    fig.update_xaxes(type="category")
    return _layout(fig, TITLES["trend"])


def movers(df: pd.DataFrame) -> go.Figure:
    import plotly.graph_objects as go

    region = df["RegionId"].astype(str)
    where = (" (" + region + ")").where(~region.isin(["(none)", "", "None", "nan"]), "")  # a global line: no region
    labels = texts((df["x_UsageType"].astype(str) + where).iloc[::-1])
    d = df.iloc[::-1]
    fig = figure()
    fig.add_trace(go.Bar(y=labels, x=d["usage_effect"], name="usage effect", orientation="h",
                         marker_color=COLORS["usage"], meta=_meta("movers", "usage_effect"),
                         hovertemplate="%{y}: $%{x:,.2f}<extra>usage</extra>"))
    fig.add_trace(go.Bar(y=labels, x=d["price_effect"], name="price effect", orientation="h",
                         marker_color=COLORS["price"], meta=_meta("movers", "price_effect"),
                         hovertemplate="%{y}: $%{x:,.2f}<extra>price</extra>"))
    fig.add_trace(go.Scatter(y=labels, x=d["change"], name="change", mode="markers",
                             marker={"color": "#222", "symbol": "diamond", "size": 9}, meta=_meta("movers", "change"),
                             hovertemplate="%{y}: $%{x:,.2f}<extra>change</extra>"))
    fig.update_layout(barmode="relative")
    fig.update_xaxes(tickprefix="$", separatethousands=True, zeroline=True, zerolinecolor="#888")
    return _layout(fig, TITLES["movers"], height=max(300, 60 + 34 * len(d)))


def variance(df: pd.DataFrame) -> go.Figure:
    import plotly.graph_objects as go

    x = texts(df["component_kind"].where(df["component_kind"] != "unmapped",
                                         "unmapped: " + df["ServiceName"].astype(str)))
    fig = figure()
    fig.add_trace(go.Bar(x=x, y=df["plan"], name="plan", marker_color=COLORS["plan"],
                         meta=_meta("variance", "plan"), hovertemplate="%{x}: $%{y:,.2f}<extra>plan</extra>"))
    fig.add_trace(go.Bar(x=x, y=df["actual"], name="actual", marker_color=COLORS["actual"],
                         meta=_meta("variance", "actual"), hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    fig.update_xaxes(tickangle=-35)
    return _layout(fig, TITLES["variance"], height=420)


def projection(df: pd.DataFrame, history: pd.DataFrame | None = None) -> go.Figure:
    """Fan chart: the p10-p90 band, the median, and the months of actual spend before it."""
    import plotly.graph_objects as go

    x = texts(df["month"])
    fig = figure()
    if history is not None and len(history):
        fig.add_trace(go.Scatter(x=texts(history["month"]), y=history[METRIC], name="actual",
                                 mode="lines+markers", line_color=COLORS["actual"], meta=_meta("trend", METRIC),
                                 hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["p90"], name="p90", mode="lines", line={"width": 0.5, "color": "#8ab4f8"},
                             showlegend=False,  # the band's upper edge: the legend names the band once
                             meta=_meta("projection", "p90"), hovertemplate="%{x}: $%{y:,.2f}<extra>p90</extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["p10"], name="p10 - p90", mode="lines", fill="tonexty",
                             fillcolor="rgba(138,180,248,0.35)", line={"width": 0.5, "color": "#8ab4f8"},
                             meta=_meta("projection", "p10"), hovertemplate="%{x}: $%{y:,.2f}<extra>p10</extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["p50"], name="median", mode="lines", line={"color": "#174ea6", "width": 2.5},
                             meta=_meta("projection", "p50"), hovertemplate="%{x}: $%{y:,.2f}<extra>median</extra>"))
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    _every_month(fig, list(history["month"]) if history is not None and len(history) else [], list(df["month"]))
    return _layout(fig, TITLES["projection"])


def _every_month(fig: go.Figure, *series: list[str]) -> None:
    """A category axis holding every month from the first to the last shown, in order, a month
    without data included (the actual months and the projection need not touch), one tick
    label per month."""
    from costplan.reports.tables import shift_month

    months = sorted({str(m) for s in series for m in s})
    if not months:
        return
    allm = [months[0]]
    while allm[-1] < months[-1]:
        allm.append(shift_month(allm[-1], 1))
    labels = texts(pd.Series(allm))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels, tickmode="array",
                     tickvals=labels, ticktext=labels, tickangle=-45, range=[-0.5, len(allm) - 0.5])


def per_user(df: pd.DataFrame, history: pd.DataFrame | None = None) -> go.Figure:
    """Fan chart of the cost per active user over the projected months, after the actual cost
    per user of past months when ``history`` (the trend table) has user counts [USD/user/month]."""
    import plotly.graph_objects as go

    x = texts(df["month"])
    fig = figure()
    if history is not None and "cost_per_user" in history and history["cost_per_user"].notna().any():
        h = history[history["cost_per_user"].notna()]
        fig.add_trace(go.Scatter(x=texts(h["month"]), y=h["cost_per_user"], name="actual",
                                 mode="lines+markers", line_color=COLORS["actual"], meta=_meta("trend", "cost_per_user"),
                                 hovertemplate="%{x}: $%{y:,.4f}<extra>actual</extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["p90"], name="p90", mode="lines", line={"width": 0.5, "color": "#8ab4f8"},
                             showlegend=False,  # the band's upper edge: the legend names the band once
                             meta=_meta("per_user", "p90"), hovertemplate="%{x}: $%{y:,.4f}<extra>p90</extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["p10"], name="p10 - p90", mode="lines", fill="tonexty",
                             fillcolor="rgba(138,180,248,0.35)", line={"width": 0.5, "color": "#8ab4f8"},
                             meta=_meta("per_user", "p10"), hovertemplate="%{x}: $%{y:,.4f}<extra>p10</extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["p50"], name="median", mode="lines+markers",
                             line={"color": "#174ea6", "width": 2.5}, meta=_meta("per_user", "p50"),
                             hovertemplate="%{x}: $%{y:,.4f}<extra>median</extra>"))
    fig.update_yaxes(tickprefix="$")
    past = list(history.loc[history["cost_per_user"].notna(), "month"]) if (
        history is not None and "cost_per_user" in history) else []
    _every_month(fig, past, list(df["month"]))
    return _layout(fig, TITLES["per_user"])


def freshness(df: pd.DataFrame) -> go.Figure:
    import plotly.graph_objects as go

    fig = figure()
    for est, name, color in ((False, "Final", COLORS["final"]), (True, "Estimated", COLORS["estimated"])):
        d = df[df["Estimated"] == est]
        if len(d):
            fig.add_trace(go.Bar(x=d["day"], y=d[METRIC], name=name, marker_color=color,
                                 meta={**_meta("freshness", METRIC), "Estimated": est},
                                 hovertemplate="%{x}: $%{y:,.2f}<extra>" + name + "</extra>"))
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    return _layout(fig, TITLES["freshness"], height=300)


def provenance(df: pd.DataFrame) -> go.Figure:
    """One bar per price source, coloured by whether its prices are verified [USD/month]."""
    import plotly.graph_objects as go

    d = df.iloc[::-1]
    labels = texts(d["price_source"].astype(str) + d["verified"].map({True: "", False: " (unverified)"}))
    fig = figure(go.Bar(x=d["ListCost"], y=labels, orientation="h",
                           marker_color=[COLORS["verified"] if v else COLORS["unverified"] for v in d["verified"]],
                           meta=_meta("provenance", "ListCost"), hovertemplate="%{y}: $%{x:,.2f}<extra></extra>"))
    fig.update_xaxes(tickprefix="$", separatethousands=True)
    return _layout(fig, TITLES["provenance"], height=max(260, 60 + 26 * len(d)))


def spot(df: pd.DataFrame) -> go.Figure:
    """Per region: what the spot hours cost and what the same hours cost on demand [USD]."""
    import plotly.graph_objects as go

    fig = figure()
    fig.add_trace(go.Bar(x=texts(df["RegionId"]), y=df["spot_list_cost"], name="same hours on demand",
                         marker_color=COLORS["previous"], meta=_meta("spot", "spot_list_cost"),
                         hovertemplate="%{x}: $%{y:,.2f}<extra>on demand</extra>"))
    fig.add_trace(go.Bar(x=texts(df["RegionId"]), y=df["spot_cost"], name="spot cost", marker_color=COLORS["actual"],
                         meta=_meta("spot", "spot_cost"), hovertemplate="%{x}: $%{y:,.2f}<extra>spot</extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    return _layout(fig, TITLES["spot"], height=300)


def commitments(df: pd.DataFrame) -> go.Figure:
    """Per commitment: what it cost (used + unused, stacked) beside what the usage it covered
    would have cost on demand, the same grey bar as the spot figure's [USD]."""
    import plotly.graph_objects as go

    x = texts(df["CommitmentDiscountId"])
    fig = figure()
    fig.add_trace(go.Bar(x=x, y=df["covered_list_cost"], name="covered usage at on-demand prices",
                         marker_color=COLORS["previous"], offsetgroup="on_demand",
                         meta=_meta("commitments", "covered_list_cost"),
                         hovertemplate="%{x}: $%{y:,.2f}<extra>on demand</extra>"))
    fig.add_trace(go.Bar(x=x, y=df["used_commitment"], name="commitment used", marker_color=COLORS["actual"],
                         offsetgroup="commitment", meta=_meta("commitments", "used_commitment"),
                         hovertemplate="%{x}: $%{y:,.2f}<extra>used</extra>"))
    fig.add_trace(go.Bar(x=x, y=df["unused_commitment"], base=df["used_commitment"], name="commitment unused",
                         marker_color=COLORS["unverified"], offsetgroup="commitment",
                         meta=_meta("commitments", "unused_commitment"),
                         hovertemplate="%{x}: $%{y:,.2f}<extra>unused</extra>"))
    fig.update_layout(barmode="group", legend={"traceorder": "normal"})
    fig.update_yaxes(tickprefix="$", separatethousands=True, rangemode="tozero")
    return _layout(fig, TITLES["commitments"], height=300)


def _shown(sec) -> bool:
    return sec.available and len(sec.table) > 0


#: The report's figures in report order: key, the sections it draws, and how it is built from
#: the sections and the headline (None when its section has nothing to show).
FIGURES: list[tuple[str, tuple[str, ...], Callable]] = [
    ("trend", ("trend",), lambda s, h: trend(s["trend"].table, h.get("plan_total"))),
    ("by_service", ("by_service",),
     lambda s, h: bar_current_previous(s["by_service"].table, "ServiceName", "by_service", TITLES["by_service"])),
    ("by_region", ("by_region",),
     lambda s, h: bar_current_previous(s["by_region"].table, "RegionId", "by_region", TITLES["by_region"])),
    ("by_component", ("by_component",),
     lambda s, h: bar_current_previous(s["by_component"].table, "component_kind", "by_component",
                                       TITLES["by_component"])),
    ("movers", ("movers",), lambda s, h: movers(s["movers"].table) if _shown(s["movers"]) else None),
    ("variance", ("variance",), lambda s, h: variance(s["variance"].table)),
    ("commitments", ("commitments",),
     lambda s, h: commitments(s["commitments"].table) if _shown(s["commitments"]) else None),
    ("spot", ("spot",), lambda s, h: spot(s["spot"].table) if _shown(s["spot"]) else None),
    ("per_user", ("per_user", "trend"),
     lambda s, h: per_user(s["per_user"].table, s["trend"].table) if s["per_user"].available else None),
    ("projection", ("projection", "trend"),
     lambda s, h: projection(s["projection"].table, s["trend"].table) if s["projection"].available else None),
    ("freshness", ("freshness",), lambda s, h: freshness(s["freshness"].table)),
    ("provenance", ("provenance",), lambda s, h: provenance(s["provenance"].table)),
]


def figures_ready(sections: dict, headline: dict, done: set[str]):
    """``(key, figure)`` of each figure not in ``done`` whose sections are all in ``sections``
    (in report order; ``done`` gets their keys, the ones without a figure too): the report
    hands each to the PNG export as soon as its tables are built."""
    for key, needs, build in FIGURES:
        if key in done or not all(n in sections for n in needs):
            continue
        done.add(key)
        fig = build(sections, headline)
        if fig is not None:
            yield key, fig


def build_figures(t: ReportTables) -> dict[str, go.Figure]:
    """Every figure of the report, keyed like the sections; sections without data have none."""
    return dict(figures_ready(t.sections, t.headline, set()))


# --- quarterly review ------------------------------------------------------------------------
def quarter_summary(df: pd.DataFrame) -> go.Figure:
    """Actual and plan per month of a quarter (the quarter total row left out) [USD]."""
    import plotly.graph_objects as go

    d = df.iloc[:-1]
    fig = figure()
    fig.add_trace(go.Bar(x=texts(d["month"]), y=d["plan"], name="plan", marker_color=COLORS["plan"],
                         meta=_meta("quarter", "plan"), hovertemplate="%{x}: $%{y:,.2f}<extra>plan</extra>"))
    fig.add_trace(go.Bar(x=texts(d["month"]), y=d["actual"], name="actual", marker_color=COLORS["actual"],
                         meta=_meta("quarter", "actual"), hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    fig.update_xaxes(type="category")
    return _layout(fig, "Plan vs actual by month [USD]", height=340)


def stacked_months(wide: pd.DataFrame, key: str, title: str, top: int = 8) -> go.Figure:
    """Stacked bars per month of a wide table (``key``, one column per ``YYYY-MM``); the
    smallest rows beyond ``top`` are added up as 'other' [USD]."""
    import plotly.graph_objects as go

    months = [c for c in wide.columns if isinstance(c, str) and len(c) == 7 and c[4] == "-"]
    head = wide.head(top)
    rest = wide.iloc[top:]
    fig = figure()
    for _, r in head.iterrows():
        fig.add_trace(go.Bar(x=months, y=[r[m] for m in months], name=text(r[key]),
                             hovertemplate="%{x}: $%{y:,.2f}<extra>" + text(r[key]) + "</extra>"))
    if len(rest):
        fig.add_trace(go.Bar(x=months, y=[rest[m].sum() for m in months], name="other", marker_color="#c0c7d1"))
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    fig.update_xaxes(type="category")
    # the legend under the bars, one name a line, in a bottom margin kept for it: beside the
    # bars, long service names were cut at A4 width and took the room of the month labels
    legend_px = 19 * len(fig.data) + 10
    _layout(fig, title, height=300 + legend_px)
    fig.update_layout(barmode="stack", margin={"b": legend_px + 30},
                      legend={"orientation": "v", "x": 0.0, "xanchor": "left", "y": -0.06, "yanchor": "top",
                              "traceorder": "normal"})
    return fig


def bars(df: pd.DataFrame, x: str, ys: list[str], title: str, *, names: list[str] | None = None,
         barmode: str = "group", money: bool = True, height: int = 340) -> go.Figure:
    """Bars of one or more columns of ``df`` against ``x`` (a generic figure for notebooks)."""
    import plotly.graph_objects as go

    fig = figure()
    for i, y in enumerate(ys):
        fig.add_trace(go.Bar(x=texts(df[x]), y=df[y], name=text((names or ys)[i]), meta={"metric": y}))
    fig.update_layout(barmode=barmode)
    if money:
        fig.update_yaxes(tickprefix="$", separatethousands=True)
    return _layout(fig, title, height=height)


def lines(df: pd.DataFrame, x: str, ys: list[str], title: str, *, percent: bool = False, height: int = 320) -> go.Figure:
    """Lines of one or more columns of ``df`` against ``x`` (a generic figure for notebooks)."""
    import plotly.graph_objects as go

    fig = figure()
    for y in ys:
        fig.add_trace(go.Scatter(x=texts(df[x]), y=df[y], name=text(y), mode="lines+markers", meta={"metric": y}))
    if percent:
        fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(type="category")
    return _layout(fig, title, height=height)
