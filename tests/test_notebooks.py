"""The review notebooks: committed without outputs, parameterised, no logic of their own; and
`costplan review`, which executes the quarterly one. (`pytest` also runs every notebook under
nbmake: see [tool.pytest.ini_options] in pyproject.toml.)"""

from __future__ import annotations

import ast
import json
import re
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from costplan.cli.app import app
from costplan.config import DEFAULT_STACK

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ["quarterly_review", "growth_projection", "spot_savings", "commitments", "per_user_cost"]
runner = CliRunner()


def read(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_every_expected_notebook_is_there():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}.ipynb cell {i} has outputs: run nbstripout"
            assert cell.execution_count is None, f"{name}.ipynb cell {i} has an execution count"


@pytest.mark.parametrize("name", NAMES)
def test_cells_call_the_library_and_define_nothing(name):
    """Notebooks hold no logic of their own: no functions, classes or loops in code cells,
    and a short written interpretation in Markdown."""
    nb = read(name)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.While)), (
                f"{name}.ipynb cell {i}: {type(node).__name__} belongs in the library"
            )
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Interpretation" in text or "Reading the decisions" in text


@pytest.mark.parametrize("name", NAMES)
def test_parameters_cell(name):
    nb = read(name)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    names = {t.id for node in ast.parse(tagged[0].source).body if isinstance(node, ast.Assign) for t in node.targets}
    # the review also takes where its spend is read (docs/org-scale.md)
    expected = {"stack", "store"} | ({"quarter", "engine", "engine_options"} if name == "quarterly_review" else set())
    assert names == expected


@pytest.mark.parametrize(
    "quarter, message",
    [("2026Q5", "bad quarter '2026Q5'"), ("2026-07", "use YYYYQn"), ("2024Q1", "holds no spend for 2024Q1")],
)
def test_review_bad_quarter_exits_2(quarter, message, tmp_path):
    out = tmp_path / "review"
    res = runner.invoke(app, ["review", "--quarter", quarter, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()


def test_a_refused_review_leaves_no_kernel_running(tmp_path):
    # the kernel starts before the inputs are checked: a refusal must stop it
    psutil = pytest.importorskip("psutil")
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    sockets = set(Path(tempfile.gettempdir()).glob("costplan-kernel-*"))
    res = runner.invoke(app, ["review", "--quarter", "2024Q1", "--out", str(tmp_path / "review")])
    assert res.exit_code == 2, res.output
    left = [p for p in me.children(recursive=True) if p.pid not in before and p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []
    assert set(Path(tempfile.gettempdir()).glob("costplan-kernel-*")) <= sockets  # its socket folder removed


def test_preload_imports_what_the_review_notebook_imports_and_defines_nothing():
    import subprocess

    code = ("import sys; from costplan.reports.notebook import PRELOAD_MODULES; "
            "from costplan.reports.review import PRELOAD; ns = {}; exec(PRELOAD, ns); "
            "missing = [m for m in PRELOAD_MODULES if m not in sys.modules]; "
            "print(sorted(k for k in ns if k != '__builtins__'), missing)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "[] []"


def test_the_reviews_own_checks_need_no_pandas(tmp_path):
    # the command checks its quarter while the kernel starts: without pandas, the CPU is the kernel's
    import subprocess

    from costplan.sample import build_store

    store = tmp_path / "s.duckdb"
    build_store(str(store))
    code = ("import sys; from costplan.actuals.store import Store; import costplan.reports.review; "
            "from costplan.reports.quarters import check_quarter, default_quarter, quarter_status; "
            f"s = Store.open_default({str(store)!r}, read_only=True); "
            "print(default_quarter(s)[0], check_quarter(s, '2026Q4'), quarter_status(s, '2026Q3')['complete'], "
            "'pandas' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # the sample's last complete quarter; its newest (fourth) quarter is in progress, held from October
    assert p.stdout.split(" ", 1)[0] == "2026Q3"
    assert p.stdout.strip().endswith("True False")


def test_review_refuses_an_out_folder_with_other_files(tmp_path):
    out = tmp_path / "review"
    out.mkdir()
    (out / "budget.xlsx").write_text("keep me")
    res = runner.invoke(app, ["review", "--quarter", "2026Q3", "--out", str(out)])
    assert res.exit_code == 2 and "holds files costplan did not write (budget.xlsx)" in res.output
    assert [p.name for p in out.iterdir()] == ["budget.xlsx"]


@pytest.fixture(scope="module")
def review_run(tmp_path_factory):
    """One review of the sample store, shared by the tests that read it."""
    import subprocess

    from costplan.sample import build_store

    tmp = tmp_path_factory.mktemp("review")
    store = tmp / "sample.duckdb"
    build_store(store)
    out = tmp / "review"
    # the real command in its own process: its kernel's stderr is the command's stderr
    p = subprocess.run([sys.executable, "-m", "costplan", "review", "--quarter", "2026q3", "--out", str(out),
                        "--store", str(store)], capture_output=True, text=True, timeout=600)
    return p, out, store


def test_review_executes_the_quarterly_notebook(review_run):
    p, out, store = review_run
    assert p.returncode == 0, p.stderr
    # with costplan's marker, so a later review may replace the folder (costplan.outputs)
    assert sorted(p.name for p in out.iterdir()) == [".costplan-output", "quarterly_review_2026Q3.html",
                                                      "quarterly_review_2026Q3.ipynb"]
    nb = nbformat.read(out / "quarterly_review_2026Q3.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "quarter = \"2026Q3\"" in injected[0].source and str(store) in injected[0].source
    html = (out / "quarterly_review_2026Q3.html").read_text()
    assert "Quarterly cost review" in html and "SYNTHETIC SAMPLE DATA" in html
    assert "2026-07, 2026-08, 2026-09" in html
    assert "open_inputs(" not in html  # results for the reader, the code stays in the .ipynb
    # the executive summary comes first, before the first section
    assert html.index("Executive summary") < html.index("1. The quarter")
    # offline: no script, style sheet or font loaded from a network
    assert not re.search(r"<(script|link|img)[^>]*\b(src|href)=[\"']https?://", html)
    # the app-on-spot decision shows the figure `costplan diff` gives for the same scenario
    d = runner.invoke(app, ["diff", str(DEFAULT_STACK), f"{DEFAULT_STACK}#app-on-spot", "--format", "json"])
    expected = json.loads(d.stdout[d.stdout.index("{"):])["difference"]
    assert expected > 0  # the Savings Plan already bought is stranded: the bill rises
    assert f"raises the bill by ${expected:,.2f}/month" in html
    # the kernel runs over local sockets and is shut down before the command ends: quiet stderr
    assert "WARNING" not in p.stderr


def test_review_without_the_notebooks_extra_says_which_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nbclient", None)  # as if the extra were not installed
    res = runner.invoke(app, ["review", "--quarter", "2026Q3", "--out", str(tmp_path / "r")])
    assert res.exit_code == 1
    assert "pip install 'costplan[notebooks]'" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("missing", ["folder", "included file"])
def test_review_without_its_html_templates_says_so_not_cannot_write(missing, tmp_path, monkeypatch):
    """A template folder nbconvert cannot find (its ValueError) or a file a template includes
    (Jinja's TemplateNotFound, an OSError that used to be reported as 'cannot write')."""
    from nbconvert import HTMLExporter

    from costplan.reports import review

    templates = tmp_path / "templates"
    (templates / "broken").mkdir(parents=True)
    (templates / "broken" / "conf.json").write_text('{"base_template": "lab"}')
    (templates / "broken" / "index.html.j2").write_text("{% include 'no-such-file.js' %}")
    name = "no-such-template" if missing == "folder" else "broken"
    monkeypatch.setattr(review, "_html_exporter",
                        lambda: HTMLExporter(template_name=name, extra_template_basedirs=[str(templates)]))
    out = tmp_path / "r"
    res = runner.invoke(app, ["review", "--quarter", "2026Q3", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "nbconvert found no template" in res.output and "cannot write" not in res.output
    assert "pip install --force-reinstall nbconvert" in res.output and "Traceback" not in res.output
    assert ("'no-such-template'" if missing == "folder" else "'no-such-file.js'") in res.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["templates"]  # nothing half-written


@pytest.mark.parametrize("width, media", [(1280, "screen"), ("a4", "print")])
def test_review_page_reads_at_1280_px_and_on_a4(review_run, width, media):
    """In headless Chromium: nothing wider than the window or the A4 page, no text cut off by
    its box, and no request for anything but the file itself."""
    from browser_check import A4_CONTENT_PX, chromium, view

    if chromium() is None:
        pytest.skip("chromium is not installed (scripts/test.sh installs it)")
    _, out, _ = review_run
    v = view(out / "quarterly_review_2026Q3.html", A4_CONTENT_PX if width == "a4" else width, media)
    assert v.page_width <= (A4_CONTENT_PX if width == "a4" else width)
    assert v.overflowing == []
    assert v.cut == []
    assert v.requests and v.external == []
    assert len(v.screenshot) > 60_000  # tables and figures drawn, not a blank page


def test_review_figures_printed_from_a_wide_window_fit_the_paper(review_run, tmp_path):
    """Printed from a 1280 px window, as a person prints from a browser: the figures are
    redrawn at the paper's width. Left at their screen width, the page edge cut the plan vs
    actual figure's legend ("plan  act") and its last bars."""
    from browser_check import printed_a4

    _, out, _ = review_run
    text = "\n".join(printed_a4(out / "quarterly_review_2026Q3.html", tmp_path, window=1280).pages)
    legends = re.findall(r"^ *plan +(\S+) *$", text, flags=re.M)
    assert legends and all(word == "actual" for word in legends), legends


def test_review_prints_on_a4_within_the_margins(review_run, tmp_path):
    """Printed by Chromium to A4: no word or line in the side margins or past the edge (wide
    tables included), no blank page (the last one included), the summary first."""
    from browser_check import check_printed_a4, printed_a4

    _, out, _ = review_run
    p = printed_a4(out / "quarterly_review_2026Q3.html", tmp_path)
    check_printed_a4(p)
    text = "\n".join(p.pages)
    # the summary starts on the first page, under the intro (a Markdown output is not kept whole)
    assert "Executive summary" in p.pages[0]
    assert text.index("Executive summary") < text.index("1. The quarter")
