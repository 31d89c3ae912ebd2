"""Plotly figures of the monthly report, built from :class:`~costplan.reports.tables.ReportTables`.

No I/O. The report's figures are plain plotly JSON (``{"data": [...], "layout": {...}}``, the
figure plotly.js draws): the ``*_spec`` functions build them from a table without importing
plotly (whose import and validation took a good part of the report's time); report.html
embeds them as they are (:func:`to_json`, the template added). :func:`as_figure` makes one a
``plotly.graph_objects.Figure`` for a notebook, and the functions without ``_spec``
(:func:`trend`, :func:`movers`, ...) return that figure. Each trace carries
``meta = {"section": ..., "metric": ...}`` naming the table column it plots, so the numbers
behind a figure can be found in ``breakdown.csv`` (same section, same metric, same order of
rows).

A table is a pandas DataFrame or anything with ``columns`` and ``column(name)`` (a
:class:`costplan.frames.Rows`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
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


def figure(*data, layout: dict | None = None) -> go.Figure:
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
        return go.Figure(data=list(data) or None, layout={"template": templates[TEMPLATE], **(layout or {})})
    before = templates._default
    templates._default = TEMPLATE
    try:
        return go.Figure(data=list(data) or None, layout=layout)
    finally:
        templates._default = before


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    """The layout every figure shares (title, height, margins, legend, font), on a Figure."""
    fig.update_layout(**_common_layout(title, height))
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def _common_layout(title: str, height: int) -> dict:
    return {
        "title": {"text": text(title), "x": 0.0, "xanchor": "left", "font": {"size": 15}, "pad": {"l": 6}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 45, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "hoverlabel": {"namelength": -1},
    }


def _merge(into: dict, more: dict) -> dict:
    """``more`` merged into ``into``, a nested dict into a nested dict (as plotly's
    ``update_layout`` does)."""
    for k, v in more.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v
    return into


def _spec(data: list[dict], layout: dict, title: str, height: int = 380) -> dict:
    """A figure: its traces, and ``layout`` under the layout every figure shares."""
    lay = _merge(layout, _common_layout(title, height))
    _merge(lay.setdefault("yaxis", {}), {"automargin": True})
    _merge(lay.setdefault("xaxis", {}), {"automargin": True})
    return {"data": data, "layout": lay}


_MONEY_AXIS = {"tickprefix": "$", "separatethousands": True}


def _value(v):
    """A number for the figure's JSON: NaN and missing values are null (a gap in plotly.js),
    numpy scalars plain Python numbers."""
    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _raw(df, name: str) -> list:
    """Column ``name`` of a table as a list, as it is held (labels)."""
    if hasattr(df, "column"):
        return list(df.column(name))
    return df[name].tolist()


def col(df, name: str) -> list:
    """Column ``name`` of a table as JSON-ready numbers (:func:`_value`)."""
    return [_value(v) for v in _raw(df, name)]


def _has(df, name: str) -> bool:
    return name in df.columns


def _len(df) -> int:
    return len(df)


def _strs(values) -> list[str]:
    """Each value as pandas' ``astype(str)`` writes it (``None``, ``nan`` for missing)."""
    return [str(v) for v in values]


def _meta(section: str, metric: str) -> dict:
    return {"section": section, "metric": metric}


def _bar(**kw) -> dict:
    return {"type": "bar", **kw}


def _scatter(**kw) -> dict:
    return {"type": "scatter", **kw}


def bar_current_previous_spec(df, key: str, section: str, title: str) -> dict:
    """Horizontal bars: this month and last month per ``key``, largest on top."""
    labels = texts(_raw(df, key)[::-1])
    previous = col(df, "previous")[::-1]
    data = []
    if any(v is not None for v in previous):
        data.append(_bar(y=labels, x=previous, name="last month", orientation="h",
                         marker={"color": COLORS["previous"]}, meta=_meta(section, "previous"),
                         hovertemplate="%{y}: $%{x:,.2f}<extra>last month</extra>"))
    data.append(_bar(y=labels, x=col(df, METRIC)[::-1], name="this month", orientation="h",
                     marker={"color": COLORS["actual"]}, meta=_meta(section, METRIC),
                     hovertemplate="%{y}: $%{x:,.2f}<extra>this month</extra>"))
    return _spec(data, {"barmode": "group", "xaxis": dict(_MONEY_AXIS)}, title, height=max(260, 60 + 34 * _len(df)))


def trend_spec(df, plan_total: float | None) -> dict:
    months, cost = _raw(df, "month"), col(df, METRIC)
    data = [_bar(x=texts(months), y=cost, name="actual", marker={"color": COLORS["actual"]},
                 meta=_meta("trend", METRIC), hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>")]
    layout: dict[str, Any] = {}
    notes = []
    if _has(df, "credits"):
        for m, c, credit in zip(months, cost, col(df, "credits"), strict=True):
            if credit is not None and credit < 0:  # a credit is labelled, not read as a drop in usage
                notes.append({"x": text(m), "y": c, "text": f"incl. credit -${-credit:,.0f}", "showarrow": True,
                              "arrowhead": 0, "ay": -28, "font": {"size": 11, "color": "#8a5a00"},
                              "bgcolor": "rgba(255,255,255,0.85)"})
    if plan_total is not None:  # a dashed line across the plot (plotly's add_hline)
        layout["shapes"] = [{"type": "line", "line": {"color": COLORS["plan"], "dash": "dash"}, "x0": 0, "x1": 1,
                             "xref": "x domain", "y0": plan_total, "y1": plan_total, "yref": "y"}]
        notes.append({"bgcolor": "rgba(255,255,255,0.85)", "font": {"color": "#8a5a00"}, "showarrow": False,
                      "text": f"plan ${plan_total:,.0f}", "x": 1, "xanchor": "right", "xref": "x domain",
                      "y": plan_total, "yanchor": "bottom", "yref": "y"})
    if notes:
        layout["annotations"] = notes
    layout["yaxis"] = dict(_MONEY_AXIS)
    layout["xaxis"] = {"type": "category"}
    return _spec(data, layout, TITLES["trend"])


def movers_spec(df) -> dict:
    where = ["" if r in ("(none)", "", "None", "nan") else f" ({r})" for r in _strs(_raw(df, "RegionId"))]
    labels = texts([u + w for u, w in zip(_strs(_raw(df, "x_UsageType")), where, strict=True)][::-1])
    data = [
        _bar(y=labels, x=col(df, "usage_effect")[::-1], name="usage effect", orientation="h",
             marker={"color": COLORS["usage"]}, meta=_meta("movers", "usage_effect"),
             hovertemplate="%{y}: $%{x:,.2f}<extra>usage</extra>"),
        _bar(y=labels, x=col(df, "price_effect")[::-1], name="price effect", orientation="h",
             marker={"color": COLORS["price"]}, meta=_meta("movers", "price_effect"),
             hovertemplate="%{y}: $%{x:,.2f}<extra>price</extra>"),
        _scatter(y=labels, x=col(df, "change")[::-1], name="change", mode="markers",
                 marker={"color": "#222", "symbol": "diamond", "size": 9}, meta=_meta("movers", "change"),
                 hovertemplate="%{y}: $%{x:,.2f}<extra>change</extra>"),
    ]
    layout = {"barmode": "relative", "xaxis": {**_MONEY_AXIS, "zeroline": True, "zerolinecolor": "#888"}}
    return _spec(data, layout, TITLES["movers"], height=max(300, 60 + 34 * _len(df)))


def variance_spec(df) -> dict:
    x = texts([k if k != "unmapped" else "unmapped: " + s
               for k, s in zip(_raw(df, "component_kind"), _strs(_raw(df, "ServiceName")), strict=True)])
    data = [_bar(x=x, y=col(df, "plan"), name="plan", marker={"color": COLORS["plan"]},
                 meta=_meta("variance", "plan"), hovertemplate="%{x}: $%{y:,.2f}<extra>plan</extra>"),
            _bar(x=x, y=col(df, "actual"), name="actual", marker={"color": COLORS["actual"]},
                 meta=_meta("variance", "actual"), hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>")]
    return _spec(data, {"barmode": "group", "yaxis": dict(_MONEY_AXIS), "xaxis": {"tickangle": -35}},
                 TITLES["variance"], height=420)


def _band(df, section: str, fmt: str, median_mode: str) -> list[dict]:
    """The p10-p90 band and the median of a fan chart."""
    x = texts(_raw(df, "month"))
    return [
        _scatter(x=x, y=col(df, "p90"), name="p90", mode="lines", line={"width": 0.5, "color": "#8ab4f8"},
                 showlegend=False,  # the band's upper edge: the legend names the band once
                 meta=_meta(section, "p90"), hovertemplate="%{x}: $%{y:" + fmt + "}<extra>p90</extra>"),
        _scatter(x=x, y=col(df, "p10"), name="p10 - p90", mode="lines", fill="tonexty",
                 fillcolor="rgba(138,180,248,0.35)", line={"width": 0.5, "color": "#8ab4f8"},
                 meta=_meta(section, "p10"), hovertemplate="%{x}: $%{y:" + fmt + "}<extra>p10</extra>"),
        _scatter(x=x, y=col(df, "p50"), name="median", mode=median_mode, line={"color": "#174ea6", "width": 2.5},
                 meta=_meta(section, "p50"), hovertemplate="%{x}: $%{y:" + fmt + "}<extra>median</extra>"),
    ]


def projection_spec(df, history=None) -> dict:
    """Fan chart: the p10-p90 band, the median, and the months of actual spend before it."""
    data = []
    past: list = []
    if history is not None and _len(history):
        past = _raw(history, "month")
        data.append(_scatter(x=texts(past), y=col(history, METRIC), name="actual", mode="lines+markers",
                             line={"color": COLORS["actual"]}, meta=_meta("trend", METRIC),
                             hovertemplate="%{x}: $%{y:,.2f}<extra>actual</extra>"))
    data += _band(df, "projection", ",.2f", "lines")
    layout = {"yaxis": dict(_MONEY_AXIS)}
    _every_month(layout, past, _raw(df, "month"))
    return _spec(data, layout, TITLES["projection"])


def _every_month(layout: dict, *series: list[str]) -> None:
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
    labels = texts(allm)
    _merge(layout.setdefault("xaxis", {}), {
        "type": "category", "categoryorder": "array", "categoryarray": labels, "tickmode": "array",
        "tickvals": labels, "ticktext": labels, "tickangle": -45, "range": [-0.5, len(allm) - 0.5]})


def per_user_spec(df, history=None) -> dict:
    """Fan chart of the cost per active user over the projected months, after the actual cost
    per user of past months when ``history`` (the trend table) has user counts [USD/user/month]."""
    data = []
    past: list = []
    if history is not None and _has(history, "cost_per_user"):
        held = [(m, v) for m, v in zip(_raw(history, "month"), col(history, "cost_per_user"), strict=True)
                if v is not None]
        past = [m for m, _ in held]
        if held:
            data.append(_scatter(x=texts(past), y=[v for _, v in held], name="actual", mode="lines+markers",
                                 line={"color": COLORS["actual"]}, meta=_meta("trend", "cost_per_user"),
                                 hovertemplate="%{x}: $%{y:,.4f}<extra>actual</extra>"))
    data += _band(df, "per_user", ",.4f", "lines+markers")
    layout = {"yaxis": {"tickprefix": "$"}}
    _every_month(layout, past, _raw(df, "month"))
    return _spec(data, layout, TITLES["per_user"])


def freshness_spec(df) -> dict:
    days, cost, est_col = _raw(df, "day"), col(df, METRIC), _raw(df, "Estimated")
    data = []
    for est, name, color in ((False, "Final", COLORS["final"]), (True, "Estimated", COLORS["estimated"])):
        rows = [i for i, e in enumerate(est_col) if e == est]
        if rows:
            data.append(_bar(x=[days[i] for i in rows], y=[cost[i] for i in rows], name=name,
                             marker={"color": color}, meta={**_meta("freshness", METRIC), "Estimated": est},
                             hovertemplate="%{x}: $%{y:,.2f}<extra>" + name + "</extra>"))
    return _spec(data, {"yaxis": dict(_MONEY_AXIS)}, TITLES["freshness"], height=300)


def provenance_spec(df) -> dict:
    """One bar per price source, coloured by whether its prices are verified [USD/month]."""
    verified = _raw(df, "verified")[::-1]
    labels = texts([s + ("" if v else " (unverified)")
                    for s, v in zip(_strs(_raw(df, "price_source")[::-1]), verified, strict=True)])
    data = [_bar(x=col(df, "ListCost")[::-1], y=labels, orientation="h",
                 marker={"color": [COLORS["verified"] if v else COLORS["unverified"] for v in verified]},
                 meta=_meta("provenance", "ListCost"), hovertemplate="%{y}: $%{x:,.2f}<extra></extra>")]
    return _spec(data, {"xaxis": dict(_MONEY_AXIS)}, TITLES["provenance"], height=max(260, 60 + 26 * _len(df)))


def spot_spec(df) -> dict:
    """Per region: what the spot hours cost and what the same hours cost on demand [USD]."""
    x = texts(_raw(df, "RegionId"))
    data = [_bar(x=x, y=col(df, "spot_list_cost"), name="same hours on demand", marker={"color": COLORS["previous"]},
                 meta=_meta("spot", "spot_list_cost"), hovertemplate="%{x}: $%{y:,.2f}<extra>on demand</extra>"),
            _bar(x=x, y=col(df, "spot_cost"), name="spot cost", marker={"color": COLORS["actual"]},
                 meta=_meta("spot", "spot_cost"), hovertemplate="%{x}: $%{y:,.2f}<extra>spot</extra>")]
    return _spec(data, {"barmode": "group", "yaxis": dict(_MONEY_AXIS)}, TITLES["spot"], height=300)


def commitments_spec(df) -> dict:
    """Per commitment: what it cost (used + unused, stacked) beside what the usage it covered
    would have cost on demand, the same grey bar as the spot figure's [USD]."""
    x = texts(_raw(df, "CommitmentDiscountId"))
    used = col(df, "used_commitment")
    data = [
        _bar(x=x, y=col(df, "covered_list_cost"), name="covered usage at on-demand prices",
             marker={"color": COLORS["previous"]}, offsetgroup="on_demand",
             meta=_meta("commitments", "covered_list_cost"),
             hovertemplate="%{x}: $%{y:,.2f}<extra>on demand</extra>"),
        _bar(x=x, y=used, name="commitment used", marker={"color": COLORS["actual"]}, offsetgroup="commitment",
             meta=_meta("commitments", "used_commitment"), hovertemplate="%{x}: $%{y:,.2f}<extra>used</extra>"),
        _bar(x=x, y=col(df, "unused_commitment"), base=used, name="commitment unused",
             marker={"color": COLORS["unverified"]}, offsetgroup="commitment",
             meta=_meta("commitments", "unused_commitment"),
             hovertemplate="%{x}: $%{y:,.2f}<extra>unused</extra>"),
    ]
    layout = {"barmode": "group", "legend": {"traceorder": "normal"},
              "yaxis": {**_MONEY_AXIS, "rangemode": "tozero"}}
    return _spec(data, layout, TITLES["commitments"], height=300)


# --- as plotly figures (notebooks) and as the JSON plotly.js draws ------------------------------
def as_figure(spec: dict) -> go.Figure:
    """A figure spec as a ``plotly.graph_objects.Figure`` on :data:`TEMPLATE` (validated by
    plotly: a spec plotly does not know fails here)."""
    return figure(*spec.get("data", []), layout=spec.get("layout"))


def bar_current_previous(df: pd.DataFrame, key: str, section: str, title: str) -> go.Figure:
    return as_figure(bar_current_previous_spec(df, key, section, title))


def trend(df: pd.DataFrame, plan_total: float | None) -> go.Figure:
    return as_figure(trend_spec(df, plan_total))


def movers(df: pd.DataFrame) -> go.Figure:
    return as_figure(movers_spec(df))


def variance(df: pd.DataFrame) -> go.Figure:
    return as_figure(variance_spec(df))


def projection(df: pd.DataFrame, history: pd.DataFrame | None = None) -> go.Figure:
    return as_figure(projection_spec(df, history))


def per_user(df: pd.DataFrame, history: pd.DataFrame | None = None) -> go.Figure:
    return as_figure(per_user_spec(df, history))


def freshness(df: pd.DataFrame) -> go.Figure:
    return as_figure(freshness_spec(df))


def provenance(df: pd.DataFrame) -> go.Figure:
    return as_figure(provenance_spec(df))


def spot(df: pd.DataFrame) -> go.Figure:
    return as_figure(spot_spec(df))


def commitments(df: pd.DataFrame) -> go.Figure:
    return as_figure(commitments_spec(df))


def plotly_package_dir():
    """plotly's package folder, found without importing plotly (its package data: plotly.js and
    the templates)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("plotly is not installed: pip install plotly")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=1)
def template() -> dict:
    """:data:`TEMPLATE` as plotly.js reads it (plotly's own JSON of it)."""
    path = plotly_package_dir() / "package_data" / "templates" / f"{TEMPLATE}.json"
    return json.loads(path.read_text(encoding="utf-8"))


#: Characters written as escapes in the figures' JSON, so that the JSON can sit in a <script>
#: (plotly's own escaping: no "</script>" and no "<!--" can end or open anything).
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))


def json_text(obj) -> str:
    """``obj`` as compact JSON safe inside a ``<script>`` (as plotly writes it); a NaN or an
    infinity is refused (:func:`_value` makes missing numbers null)."""
    out = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    for ch, esc in _JSON_ESCAPES:
        out = out.replace(ch, esc)
    return out


def with_template(spec: dict) -> dict:
    """The spec with :data:`TEMPLATE` in its layout (as plotly.js needs it; plotly.py adds it
    itself), unless the spec has a template of its own."""
    layout = spec.get("layout", {})
    if "template" in layout:
        return spec
    return {**spec, "layout": {"template": template(), **layout}}


def to_json(fig) -> str:
    """A figure spec (or a plotly Figure) as the JSON plotly.js draws, its template included."""
    if isinstance(fig, dict):
        return json_text(with_template(fig))
    import plotly.io as pio

    return pio.to_json(fig, validate=False)


def _shown(sec) -> bool:
    return sec.available and len(sec.rows) > 0


#: The report's figures in report order: key, the sections it draws, and how it is built from
#: the sections and the headline (None when its section has nothing to show), as a spec.
FIGURES: list[tuple[str, tuple[str, ...], Callable]] = [
    ("trend", ("trend",), lambda s, h: trend_spec(s["trend"].rows, h.get("plan_total"))),
    ("by_service", ("by_service",),
     lambda s, h: bar_current_previous_spec(s["by_service"].rows, "ServiceName", "by_service", TITLES["by_service"])),
    ("by_region", ("by_region",),
     lambda s, h: bar_current_previous_spec(s["by_region"].rows, "RegionId", "by_region", TITLES["by_region"])),
    ("by_component", ("by_component",),
     lambda s, h: bar_current_previous_spec(s["by_component"].rows, "component_kind", "by_component",
                                            TITLES["by_component"])),
    ("movers", ("movers",), lambda s, h: movers_spec(s["movers"].rows) if _shown(s["movers"]) else None),
    ("variance", ("variance",), lambda s, h: variance_spec(s["variance"].rows)),
    ("commitments", ("commitments",),
     lambda s, h: commitments_spec(s["commitments"].rows) if _shown(s["commitments"]) else None),
    ("spot", ("spot",), lambda s, h: spot_spec(s["spot"].rows) if _shown(s["spot"]) else None),
    ("per_user", ("per_user", "trend"),
     lambda s, h: per_user_spec(s["per_user"].rows, s["trend"].rows) if s["per_user"].available else None),
    ("projection", ("projection", "trend"),
     lambda s, h: projection_spec(s["projection"].rows, s["trend"].rows) if s["projection"].available else None),
    ("freshness", ("freshness",), lambda s, h: freshness_spec(s["freshness"].rows)),
    ("provenance", ("provenance",), lambda s, h: provenance_spec(s["provenance"].rows)),
]


def figures_ready(sections: dict, headline: dict, done: set[str]):
    """``(key, spec)`` of each figure not in ``done`` whose sections are all in ``sections``
    (in report order; ``done`` gets their keys, the ones without a figure too): the report
    hands each to the PNG export as soon as its tables are built."""
    for key, needs, build in FIGURES:
        if key in done or not all(n in sections for n in needs):
            continue
        done.add(key)
        fig = build(sections, headline)
        if fig is not None:
            yield key, fig


def build_figures(t: ReportTables) -> dict[str, dict]:
    """Every figure of the report as a spec, keyed like the sections; sections without data
    have none (:func:`as_figure` makes one a plotly Figure)."""
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
