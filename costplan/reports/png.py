"""The PNG figures of report.md, drawn by a headless Chromium started before anything else.

Kept apart from :mod:`costplan.reports.render` and free of pandas, so that the browser's
thread starts in the command's first instants and Chromium loads while the imports, the
catalog and the tables take their time.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go


class ImageExportError(RuntimeError):
    """PNG export failed (no Chromium, or a figure Chromium could not draw)."""


def _layout_height(fig, default: int = 450) -> int:
    """The figure's own layout height [px] (plotly.js would use its default of 450 otherwise)."""
    layout = fig.get("layout", {}) if isinstance(fig, dict) else fig.layout.to_plotly_json()
    return int(layout.get("height") or default)


#: Width [px] and pixel ratio of the PNG figures of report.md.
PNG_WIDTH, PNG_SCALE = 1000, 1.5
#: Seconds one figure may take in Chromium before the export is given up.
PNG_TIMEOUT_S = 60
_NO_CHROMIUM = "install Chromium (Debian: apt-get install chromium) or set BROWSER_PATH"


#: plotly.js's basic partial bundle (bar, scatter, pie), vendored: see ``vendor/README.md``.
BASIC_BUNDLE = Path(__file__).parent / "vendor" / "plotly-basic.min.js"
#: The trace types the basic bundle draws.
BASIC_TRACES = frozenset({"bar", "scatter", "pie"})


def _bundle_version(path: Path) -> str | None:
    """The ``vX.Y.Z`` in the licence header of a plotly.js bundle."""
    import re

    try:
        with path.open(encoding="utf-8") as f:
            head = f.read(300)
    except OSError:
        return None
    m = re.search(r"plotly\.js\b[^\n]*? v(\d+\.\d+\.\d+)", head)
    return m.group(1) if m else None


def plotly_bundle() -> Path:
    """The plotly.js the PNG page loads first: the vendored basic bundle when it is the same
    version as the full plotly.js that plotly ships (same drawing code; a quarter of the script
    to parse), the full bundle otherwise. A figure with a trace the basic bundle does not draw
    is drawn after the page has loaded the full bundle."""
    full = full_bundle()
    version = _bundle_version(full)
    if version is not None and BASIC_BUNDLE.is_file() and _bundle_version(BASIC_BUNDLE) == version:
        return BASIC_BUNDLE
    return full


def full_bundle() -> Path:
    """The whole plotly.js that plotly ships (every trace type)."""
    from costplan.reports.figures import plotly_package_dir

    return plotly_package_dir() / "package_data" / "plotly.min.js"


def _trace_types(fig) -> set[str]:
    data = fig.get("data", []) if isinstance(fig, dict) else fig.data
    return {(t.get("type") if isinstance(t, dict) else t.type) or "scatter" for t in data}


def _export_error(exc: BaseException) -> ImageExportError:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ImageExportError(f"PNG export failed ({type(exc).__name__}: {msg[:200]}); the PNG figures need a "
                            f"headless Chromium: {_NO_CHROMIUM}")


class PngBrowser:
    """A headless Chromium for the PNG figures, started at once in a thread of its own.

    It opens a page that loads plotly.js (:func:`plotly_bundle`: the basic bundle vendored
    with costplan, or the one bundled with plotly; no network: no MathJax, no CDN) while the
    tables are built; then plotly.js's own ``Plotly.toImage`` draws every figure exactly once,
    each as soon as it is handed over: :meth:`add` one figure at a time (drawn while the caller
    builds the next tables), :meth:`finish` for the future of all the files; :meth:`export`
    does both for a dict of figures. (kaleido, plotly's exporter, reloads its page and
    plotly.js after every figure; for the report's dozen figures that reloading was most of
    the export time.) Chromium is driven over the DevTools protocol by choreographer, the
    library kaleido itself uses.

    A Chromium that cannot start, or a figure that fails to draw, fails the future of
    :meth:`finish` with :class:`ImageExportError` (the figures after it are not drawn);
    nothing waits on a browser that is not there. :meth:`close` ends it.
    """

    def __init__(self) -> None:
        import concurrent.futures as cf
        import queue

        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # (key, json, height, full, path) / None: no more
        self._finished = False
        self._folder: Path | None = None
        self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="costplan-png")
        self._done = self._pool.submit(self._run)

    def _run(self):
        import asyncio

        return asyncio.run(self._session())

    async def _session(self):
        import asyncio
        import base64
        import tempfile

        import choreographer as choreo

        first = plotly_bundle()
        with tempfile.TemporaryDirectory(prefix="costplan-png-") as tmp:
            pages = {}
            for name, bundle in (("first", first), ("full", full_bundle())):
                pages[name] = Path(tmp) / f"figures-{name}.html"
                pages[name].write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8">'
                                       f'<script src="{bundle.as_uri()}" charset="utf-8"></script></head>'
                                       '<body style="margin:0"></body></html>', encoding="utf-8")
            loop = asyncio.get_running_loop()
            async with choreo.Browser(headless=True) as browser:  # Chromium starts here
                tab = await browser.create_tab("about:blank")

                async def load(page: Path) -> None:
                    await tab.send_command("Page.enable")
                    loaded = tab.subscribe_once("Page.loadEventFired")
                    await tab.send_command("Page.navigate", params={"url": page.as_uri()})
                    await asyncio.wait_for(loaded, PNG_TIMEOUT_S)

                await load(pages["first"])
                on_full = first == full_bundle()
                paths: dict[str, Path] = {}
                while (item := await loop.run_in_executor(None, self._queue.get)) is not None:
                    key, fig_json, height, full, path = item
                    if full and not on_full:  # a trace the basic bundle does not draw
                        await load(pages["full"])
                        on_full = True
                    js = (f"Plotly.toImage({fig_json}, {{format: 'png', width: {PNG_WIDTH}, height: {height}, "
                          f"scale: {PNG_SCALE}}})")
                    res = await asyncio.wait_for(tab.send_command(
                        "Runtime.evaluate", params={"expression": js, "awaitPromise": True,
                                                    "returnByValue": True}), PNG_TIMEOUT_S)
                    r = res.get("result", {})
                    if "exceptionDetails" in r or "value" not in r.get("result", {}):
                        detail = r.get("exceptionDetails", {}).get("exception", {}).get("description") or str(res)
                        raise RuntimeError(f"figure {key!r}: {detail[:200]}")
                    path.write_bytes(base64.b64decode(r["result"]["value"].split(",", 1)[1]))
                    paths[key] = path
                return paths

    def add(self, key: str, fig: dict | go.Figure, folder: Path) -> None:
        """Draw ``fig`` (a spec of :mod:`costplan.reports.figures`, or a plotly Figure) into
        ``folder/<key>.png`` as soon as the page is ready (one folder for all the figures of one
        :meth:`finish`)."""
        from costplan.reports.figures import to_json

        if self._finished:
            raise RuntimeError("finish() was called: no more figures")
        if self._folder is None:
            folder.mkdir(parents=True, exist_ok=True)
            self._folder = folder
        # serialised here, in the caller's thread: the browser's thread gets text, not the figure
        self._queue.put((key, to_json(fig), _layout_height(fig),
                         bool(_trace_types(fig) - BASIC_TRACES), self._folder / f"{key}.png"))

    def finish(self):
        """A future of ``{key: path}`` of the figures handed to :meth:`add`."""
        import concurrent.futures as cf

        if not self._finished:
            self._finished = True
            self._queue.put(None)
        out: cf.Future = cf.Future()
        folder = self._folder

        def finish(done: cf.Future) -> None:
            exc = done.exception()
            if exc is None:
                out.set_result(done.result())
                return
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            out.set_exception(_export_error(exc))

        self._done.add_done_callback(finish)
        return out

    def export(self, figs: dict[str, dict | go.Figure], folder: Path):
        """A future of ``{key: path}`` for the PNGs of ``figs`` in ``folder``."""
        for key, fig in figs.items():
            self.add(key, fig, folder)
        if not figs:
            folder.mkdir(parents=True, exist_ok=True)
        return self.finish()

    def close(self) -> None:
        if not self._finished:
            self._finished = True
            self._queue.put(None)
        self._pool.shutdown(wait=True)
