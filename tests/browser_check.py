"""A page as a person sees it, in headless Chromium over the DevTools protocol (choreographer,
the library kaleido drives Chromium with): laid out at a window width or as printed on A4,
every request it makes recorded, and the layout measured for horizontal overflow and text cut
off by its box. Local files only; a request to anything else is a finding."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
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
    """A page printed to PDF by headless Chromium, read back page by page with poppler: the
    text of each page (pdftotext), the share of its pixels that are not white (pdftoppm), the
    share of inked pixels in its side margins, and the words that reach into a margin or past
    the page's edge (pdftotext -bbox)."""

    pages: list[str]
    ink: list[float]
    #: per page, the share of non-white pixels in the outer ``MARGIN_MM - 2`` mm of each side
    margin_ink: list[float] = field(default_factory=list)
    #: per page, the words whose box ends outside the printable width, as ``"word x0-x1"`` [pt]
    outside: list[list[str]] = field(default_factory=list)
    #: page size [pt]
    size: tuple[float, float] = (0.0, 0.0)

    @property
    def blank(self) -> list[int]:
        """Pages (1-based) with no text or next to no ink: a page a reader turns for nothing."""
        return [i for i, (t, k) in enumerate(zip(self.pages, self.ink, strict=True), 1) if not t.strip() or k < 0.002]

    @property
    def sparse(self) -> list[int]:
        """Pages (1-based) holding fewer than 20 words, e.g. a heading left alone at the foot of
        a page while its table or figure went on to the next one."""
        return [i for i, t in enumerate(self.pages, 1) if len(t.split()) < 20]


#: The pages' print CSS margin on every side [mm] (``@page { margin: 14mm }``).
MARGIN_MM = 14
_PT_PER_MM = 72 / 25.4
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>')


def pdf_tools() -> bool:
    return bool(shutil.which("pdftotext") and shutil.which("pdftoppm"))


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary PGM (pdftoppm -gray): ``P5``, ``w h``, ``255``."""
    magic, dims, _maxval, pixels = data.split(b"\n", 3)
    assert magic == b"P5", magic
    w, h = (int(x) for x in dims.split())
    return w, h, pixels


def print_pdf(path: Path, pdf: Path, png_dir: Path | None = None, window: int | None = None) -> Printed:
    """``path`` printed as Chromium prints it (``--print-to-pdf``, the page's own ``@page`` size,
    no header or footer), read back page by page with poppler's pdftotext and pdftoppm;
    ``png_dir``: also write each page there as ``page-N.png`` (72 dpi), to look at; ``window``:
    printed from a window that many px wide, as a person prints from a browser (text the
    page's edge cuts off is cut in the PDF too)."""
    import subprocess

    size = [f"--window-size={window},1000"] if window else []
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", *size,
                    "--virtual-time-budget=5000", f"--print-to-pdf={pdf}", path.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1] if text.endswith("\f") else pages  # pdftotext ends each page with a form feed
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', bbox)
    width_pt, height_pt = (float(size.group(1)), float(size.group(2))) if size else (0.0, 0.0)
    lo, hi = MARGIN_MM * _PT_PER_MM - 1, width_pt - MARGIN_MM * _PT_PER_MM + 1  # 1 pt of rounding
    outside = []
    for page in bbox.split("<page ")[1:]:
        outside.append([f"{html.unescape(w)} {float(a):.0f}-{float(b):.0f}" for a, b, w in _WORD.findall(page)
                        if float(a) < lo or float(b) > hi])
    ink, margin_ink = [], []
    for i in range(1, len(pages) + 1):
        out = subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", str(i), "-l", str(i), str(pdf)],
                             check=True, capture_output=True).stdout
        w, h, pixels = _pgm(out)
        ink.append(sum(1 for b in pixels if b < 245) / max(len(pixels), 1))
        strip = max(int((MARGIN_MM - 2) / 25.4 * 40), 1)  # px at 40 dpi, 2 mm short of the content box
        side = [pixels[y * w + x] for y in range(h) for x in (*range(strip), *range(w - strip, w))]
        margin_ink.append(sum(1 for b in side if b < 245) / max(len(side), 1))
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", "-f", str(i), "-l", str(i), str(pdf),
                            str(png_dir / f"page-{i}")], check=True, capture_output=True)
    return Printed(pages, ink, margin_ink, outside, (width_pt, height_pt))


def printed_a4(page: Path, tmp_path: Path, window: int | None = None):
    """``page`` printed to A4 by headless Chromium (from a ``window`` px wide window if given)
    and read back with poppler (skipped, with the reason, when either is missing)."""
    import pytest

    if chromium() is None:
        pytest.skip("chromium is not installed (scripts/test.sh installs it)")
    if not pdf_tools():
        pytest.skip("poppler's pdftotext/pdftoppm are not installed (scripts/test.sh installs poppler-utils)")
    return print_pdf(page, tmp_path / "printed.pdf", tmp_path / "pages", window)


def check_printed_a4(p) -> None:
    """Every printed page is A4, keeps its text and ink inside the 14 mm margins, and carries
    text (more than a heading left alone); the last page is not blank."""
    assert p.pages, "nothing printed"
    assert abs(p.size[0] - 595.3) < 1 and abs(p.size[1] - 841.9) < 1, p.size  # A4 in points
    assert p.blank == [], f"blank pages {p.blank} of {len(p.pages)}"
    assert p.sparse == [], f"pages {p.sparse} of {len(p.pages)} hold next to nothing: " + \
        " | ".join(" ".join(p.pages[i - 1].split()) for i in p.sparse)
    assert p.pages[-1].strip() and p.ink[-1] > 0.002
    for i, words in enumerate(p.outside, 1):
        assert words == [], f"page {i}: text beyond the printable width: {words[:8]}"
    for i, k in enumerate(p.margin_ink, 1):
        assert k == 0, f"page {i}: {k:.2%} of the side margins inked (a table or figure wider than the page)"
