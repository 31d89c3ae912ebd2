"""Plotly figures of a projection. No I/O: every function returns a ``plotly`` Figure; the
caller writes it (HTML report, notebook, image)."""

from __future__ import annotations

import plotly.graph_objects as go

from costplan.reports.figures import text  # names and titles from a stack are text, never markup

BAND = "rgba(31, 119, 180, 0.18)"
LINE = "rgb(31, 119, 180)"


def _band(fig, x, low, high, name, color=BAND, legend=True):
    fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=color,
                             name=text(name), showlegend=legend))


def fan_chart(result, title: str | None = None) -> go.Figure:
    """Total monthly cost: p10-p90 band, median, and the deterministic central path [USD/month]."""
    m = result.monthly
    fig = go.Figure()
    _band(fig, m.ChargePeriodStart, m.p10, m.p90, "p10-p90")
    fig.add_trace(go.Scatter(x=m.ChargePeriodStart, y=m.p50, mode="lines", line={"color": LINE, "width": 2}, name="median"))
    fig.add_trace(go.Scatter(x=m.ChargePeriodStart, y=m.deterministic, mode="lines",
                             line={"color": "gray", "dash": "dash"}, name="central drivers"))
    fig.add_trace(go.Scatter(x=m.ChargePeriodStart, y=m.fixed, mode="lines", line={"color": "black", "dash": "dot"},
                             name="fixed part"))
    fig.update_layout(title=title or text(result.stack_name) + ": projected monthly cost", yaxis_title="USD/month",
                      xaxis_title="month", hovermode="x unified")
    return fig


def stacked_components(result, top: int = 8, by: str = "component") -> go.Figure:
    """Median monthly cost stacked by component (the ``top`` largest, the rest as 'other')
    [USD/month]. Commitment credits are shown as their own negative area."""
    df = result.by_component
    key = df.groupby(by)["p50"].sum().abs().sort_values(ascending=False)
    keep = list(key.index[:top])
    d = df.assign(group=df[by].where(df[by].isin(keep), "other"))
    g = d.groupby(["ChargePeriodStart", "group"], as_index=False)["p50"].sum()
    fig = go.Figure()
    for name in [*keep, "other"]:
        s = g[g.group == name]
        if s.empty:
            continue
        fig.add_trace(go.Scatter(x=s.ChargePeriodStart, y=s.p50, mode="lines", stackgroup="neg" if s.p50.mean() < 0 else "pos",
                                 name=text(name)))
    fig.update_layout(title=text(result.stack_name) + f": median monthly cost by {by}", yaxis_title="USD/month",
                      hovermode="x unified")
    return fig


def nodes_per_pool(result) -> go.Figure:
    """Nodes per pool at the daily peak: median with the p10-p90 band; with a daily profile
    the off-peak median is a dashed line."""
    cap = result.capacity
    c = cap[cap.kind == "nodes"]
    off = cap[cap.kind == "nodes_offpeak"]
    fig = go.Figure()
    for name, s in c.groupby("resource", sort=True):
        _band(fig, s.ChargePeriodStart, s.p10, s.p90, f"{name} p10-p90", legend=False)
        fig.add_trace(go.Scatter(x=s.ChargePeriodStart, y=s.p50, mode="lines", name=text(name)))
        o = off[off.resource == f"{name}/offpeak"]
        if len(o):
            fig.add_trace(go.Scatter(x=o.ChargePeriodStart, y=o.p50, mode="lines", line={"dash": "dash"},
                                     name=text(f"{name} off-peak")))
    fig.update_layout(title=text(result.stack_name) + ": nodes per pool", yaxis_title="nodes", hovermode="x unified")
    return fig


def per_user_chart(result) -> go.Figure:
    """Cost per active user (band and median) and the fixed part per user [USD/user/month]."""
    p = result.per_user
    fig = go.Figure()
    _band(fig, p.ChargePeriodStart, p.p10, p.p90, "p10-p90")
    fig.add_trace(go.Scatter(x=p.ChargePeriodStart, y=p.p50, mode="lines", line={"color": LINE}, name="median"))
    fig.add_trace(go.Scatter(x=p.ChargePeriodStart, y=p.fixed_per_user, mode="lines",
                             line={"color": "black", "dash": "dot"}, name="fixed part per user"))
    fig.add_trace(go.Scatter(x=p.ChargePeriodStart, y=p.marginal_per_1000_users / 1000, mode="lines",
                             line={"color": "firebrick", "dash": "dash"}, name="marginal cost per user"))
    fig.update_layout(title=text(result.stack_name) + ": cost per active user", yaxis_title="USD/user/month",
                      hovermode="x unified")
    return fig


def commitment_curve(curve) -> go.Figure:
    """Cost over the profile against the hourly commitment, one panel per term (a 1-year and a
    3-year total are not comparable, so they get their own y-axis), one line per payment
    option, optimum marked [USD over the term] vs [USD/h]. ``curve`` is ``CommitmentPlan.curve``."""
    from plotly.subplots import make_subplots

    terms = sorted(curve["term"].unique())
    fig = make_subplots(rows=1, cols=max(len(terms), 1), subplot_titles=[f"{t} term" for t in terms],
                        horizontal_spacing=0.12)
    for i, t in enumerate(terms, start=1):
        for p, s in curve[curve["term"] == t].groupby("payment", sort=True):
            fig.add_trace(go.Scatter(x=s.commitment, y=s.cost, mode="lines", name=f"{t} {p}"), row=1, col=i)
            o = s[s.optimum]
            fig.add_trace(go.Scatter(x=o.commitment, y=o.cost, mode="markers", name=f"optimum {t} {p}",
                                     marker={"size": 10, "symbol": "diamond"}, showlegend=False), row=1, col=i)
        fig.update_xaxes(title_text="commitment [USD/h]", row=1, col=i)
        fig.update_yaxes(title_text=f"cost over the {t} term [USD]", row=1, col=i)
    fig.update_layout(title="Savings Plan commitment: cost around the optimum, per term")
    return fig


def scenarios_chart(comparison) -> go.Figure:
    """Median monthly cost of each scenario with its p10-p90 band [USD/month]."""
    fig = go.Figure()
    for name, s in comparison.monthly.groupby("scenario", sort=False):
        _band(fig, s.ChargePeriodStart, s.p10, s.p90, f"{name} p10-p90", color="rgba(128, 128, 128, 0.12)",
              legend=False)
        fig.add_trace(go.Scatter(x=s.ChargePeriodStart, y=s.p50, mode="lines", name=text(name)))
    fig.update_layout(title="Scenarios: median monthly cost with p10-p90 bands", yaxis_title="USD/month",
                      hovermode="x unified")
    return fig


def plan_vs_calibrated(plan, calibrated, actual=None) -> go.Figure:
    """Median monthly cost projected from the plan and from the bill (a projection calibrated
    to actual spend), each with its p10-p90 band; ``actual``, if given, a frame of past months
    (``month`` ``YYYY-MM``, ``EffectiveCost`` [USD], ``Estimated``) drawn as points, the month
    still Estimated hollow [USD/month]."""
    import pandas as pd

    fig = go.Figure()
    for res, name, color, band in (
        (plan, "from the plan", "gray", "rgba(128, 128, 128, 0.12)"),
        (calibrated, f"from the bill ({calibrated.calibration.month})" if calibrated.calibration else "calibrated",
         LINE, BAND),
    ):
        m = res.monthly
        _band(fig, m.ChargePeriodStart, m.p10, m.p90, f"{name}, p10-p90", color=band, legend=False)
        fig.add_trace(go.Scatter(x=m.ChargePeriodStart, y=m.p50, mode="lines", line={"color": color, "width": 2},
                                 name=text(f"{name}, median")))
    if actual is not None and len(actual):
        x = pd.to_datetime(actual["month"] + "-01")
        est = actual["Estimated"].astype(bool)
        fig.add_trace(go.Scatter(x=x[~est], y=actual.loc[~est, "EffectiveCost"], mode="markers",
                                 marker={"color": "black", "size": 7}, name="actual spend"))
        if est.any():
            fig.add_trace(go.Scatter(x=x[est], y=actual.loc[est, "EffectiveCost"], mode="markers",
                                     marker={"color": "black", "size": 7, "symbol": "circle-open"},
                                     name="month to date (Estimated)"))
    fig.update_layout(title="Projected monthly cost: from the plan and from the bill", yaxis_title="USD/month",
                      xaxis_title="month", hovermode="x unified")
    return fig
