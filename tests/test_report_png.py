"""The PNG page's plotly.js: the vendored basic bundle, used only when it is the version of the
plotly.js that plotly ships, and the full bundle for a figure with another kind of trace."""

from __future__ import annotations

import shutil

import pytest

from costplan.reports import png


def test_the_vendored_bundle_is_the_version_plotly_ships():
    """A plotly upgrade without the same basic bundle falls back to the full one (slower, same
    PNGs); this says so, so that the vendored file is replaced (costplan/reports/vendor)."""
    assert png._bundle_version(png.BASIC_BUNDLE) == png._bundle_version(png.full_bundle())
    assert png.plotly_bundle() == png.BASIC_BUNDLE


def test_another_version_loads_the_full_bundle(tmp_path, monkeypatch):
    other = tmp_path / "plotly-basic.min.js"
    other.write_text("/**\n* plotly.js (basic - minified) v0.0.1\n*/\n", encoding="utf-8")
    monkeypatch.setattr(png, "BASIC_BUNDLE", other)
    assert png.plotly_bundle() == png.full_bundle()


def test_the_report_draws_only_traces_of_the_basic_bundle(tmp_path):
    from costplan.reports import build_report
    from costplan.sample import build_store

    store = tmp_path / "s.duckdb"
    build_store(str(store))
    _, figs = build_report(store=store, projection=True)
    kinds = set().union(*(png._trace_types(f) for f in figs.values()))
    assert kinds and kinds <= png.BASIC_TRACES, kinds


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="chromium is not installed (scripts/test.sh installs it)")
def test_a_trace_outside_the_basic_bundle_is_drawn_with_the_full_one(tmp_path, monkeypatch):
    """The same PNG as a page that loads the full bundle from the start draws."""
    import plotly.graph_objects as go

    figs = {"bar": go.Figure(go.Bar(x=[1, 2], y=[3, 4])),
            "heat": go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]))}  # not in the basic bundle

    def draw(folder):
        browser = png.PngBrowser()
        try:
            return browser.export(figs, folder).result(timeout=120)
        finally:
            browser.close()

    drawn = draw(tmp_path / "first")
    monkeypatch.setattr(png, "plotly_bundle", png.full_bundle)
    reference = draw(tmp_path / "full")
    assert set(drawn) == {"bar", "heat"}
    for key, p in drawn.items():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.read_bytes() == reference[key].read_bytes(), key


def test_report_html_embeds_the_basic_bundle_unless_a_figure_needs_more(monkeypatch, tmp_path):
    """report.html carries the basic bundle (a quarter of the full plotly.js) when it draws
    every trace; a figure with another trace, or another plotly version, gets the full one."""
    from costplan.reports.render import plotly_js

    def header(text):
        return text[:200]

    basic, full = png.BASIC_BUNDLE.read_text(encoding="utf-8"), png.full_bundle().read_text(encoding="utf-8")
    assert len(basic) < len(full) / 3
    bar = {"data": [{"type": "bar", "x": [1], "y": [2]}], "layout": {}}
    line = {"data": [{"x": [1], "y": [2]}], "layout": {}}  # no type: plotly.js draws a scatter
    heat = {"data": [{"type": "heatmap", "z": [[1]]}], "layout": {}}
    assert header(plotly_js({"a": bar, "b": line})) == header(basic) and "(basic - minified)" in header(basic)
    assert header(plotly_js({"a": bar, "h": heat})) == header(full)
    other = tmp_path / "plotly-basic.min.js"
    other.write_text("/**\n* plotly.js (basic - minified) v0.0.1\n*/\n", encoding="utf-8")
    monkeypatch.setattr(png, "BASIC_BUNDLE", other)
    assert header(plotly_js({"a": bar})) == header(full)
