"""A page as a person sees it, in headless Chromium over the DevTools protocol (choreographer,
the library kaleido drives Chromium with): laid out at a window width or as printed on A4,
every request it makes recorded, and the layout measured for horizontal overflow and text cut
off by its box. Local files only; a request to anything else is a finding."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

#: A4 at 96 px per inch is 794 px wide; the pages' print CSS keeps 14 mm margins each side,
#: which leaves 182 mm, 688 px, for the content.
A4_CONTENT_PX = 688

MEASURE = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const page = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  const out = {viewport: vw, page_width: page, overflowing: [], cut: []};
  const inPlot = (el) => el.closest('.js-plotly-plot, .plotly-graph-div, svg');
  const name = (el) => (el.closest('section[id]') ? el.closest('section[id]').id + ' > ' : '') +
      el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    if (inPlot(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    // a box wider than the page, or scrolling sideways: the reader has to scroll to see it
    if (r.right > vw + 1 && !el.closest('details:not([open])')) {
      out.overflowing.push(name(el) + ' right=' + Math.round(r.right));
    } else if (el.scrollWidth > el.clientWidth + 1 && ['auto', 'scroll'].includes(cs.overflowX)) {
      out.overflowing.push(name(el) + ' scrolls ' + el.scrollWidth + '>' + el.clientWidth);
    }
    // text clipped by its own box (overflow hidden or an ellipsis)
    const clips = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
    if (clips && el.textContent.trim() && el.scrollWidth > el.clientWidth + 1) {
      out.cut.push(name(el) + ': ' + el.textContent.trim().slice(0, 60));
    }
  }
  return JSON.stringify(out);
})()
"""


@dataclass
class View:
    width: int
    media: str
    page_width: int
    overflowing: list[str]
    cut: list[str]
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    parts: dict[str, bytes] = field(default_factory=dict)

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


async def _view(path: Path, width: int, media: str, profile: Path, clips: tuple[str, ...] = ()) -> View:
    import choreographer as choreo

    requests: list[str] = []

    async def on_request(event) -> None:
        requests.append(event["params"]["request"]["url"])

    async with choreo.Browser(path=chromium(), headless=True) as browser:
        tab = await browser.create_tab("about:blank")
        tab.subscribe("Network.requestWillBeSent", on_request)
        await tab.send_command("Network.enable")
        await tab.send_command("Page.enable")
        await tab.send_command("Emulation.setDeviceMetricsOverride",
                               params={"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        await tab.send_command("Emulation.setEmulatedMedia", params={"media": media})
        loaded = tab.subscribe_once("Page.loadEventFired")
        await tab.send_command("Page.navigate", params={"url": path.resolve().as_uri()})
        await asyncio.wait_for(loaded, 60)
        await asyncio.sleep(1.0)  # plotly draws after load
        res = await tab.send_command("Runtime.evaluate", params={"expression": MEASURE, "returnByValue": True})
        m = json.loads(res["result"]["result"]["value"])
        shot = await tab.send_command("Page.captureScreenshot",
                                      params={"format": "png", "captureBeyondViewport": True})
        png = base64.b64decode(shot["result"]["data"])
        parts = {}
        for sel in clips:  # one picture per element (CSS selector), to look at
            js = f"JSON.stringify(document.querySelector({json.dumps(sel)}).getBoundingClientRect())"
            r = json.loads((await tab.send_command("Runtime.evaluate", params={"expression": js, "returnByValue": True}))
                           ["result"]["result"]["value"])
            clip = {"x": 0, "y": r["top"] + 0.0, "width": width, "height": min(r["height"], 2400), "scale": 1}
            got = await tab.send_command("Page.captureScreenshot",
                                         params={"format": "png", "captureBeyondViewport": True, "clip": clip})
            parts[sel] = base64.b64decode(got["result"]["data"])
    v = View(width, media, m["page_width"], m["overflowing"], m["cut"], requests, png)
    v.parts = parts
    return v


def view(path: Path, width: int, media: str = "screen", profile: Path | None = None,
         clips: tuple[str, ...] = ()) -> View:
    """``path`` laid out ``width`` px wide for ``media`` (``screen`` or ``print``); ``clips``:
    CSS selectors of elements to picture one by one (``View.parts``)."""
    return asyncio.run(_view(path, width, media, profile or path.parent, clips))


@dataclass
class Printed:
    """A page printed to PDF by headless Chromium: the text of each page (pdftotext) and, per
    page, the share of its pixels that are not white (pdftoppm at 20 dpi)."""

    pages: list[str]
    ink: list[float]


def pdf_tools() -> bool:
    return bool(shutil.which("pdftotext") and shutil.which("pdftoppm"))


def print_pdf(path: Path, pdf: Path) -> Printed:
    """``path`` printed as Chromium prints it (``--print-to-pdf``, the page's own ``@page`` size,
    no header or footer), read back page by page with poppler's pdftotext and pdftoppm."""
    import subprocess

    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    "--virtual-time-budget=5000", f"--print-to-pdf={pdf}", path.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1] if text.endswith("\f") else pages  # pdftotext ends each page with a form feed
    ink = []
    for i in range(1, len(pages) + 1):
        out = subprocess.run(["pdftoppm", "-r", "20", "-gray", "-f", str(i), "-l", str(i), str(pdf)],
                             check=True, capture_output=True).stdout
        # PGM: header of three lines ("P5", "w h", "255"), then one byte a pixel
        parts = out.split(b"\n", 3)
        pixels = parts[3]
        ink.append(sum(1 for b in pixels if b < 245) / max(len(pixels), 1))
    return Printed(pages, ink)
