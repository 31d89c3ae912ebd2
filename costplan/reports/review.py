"""``costplan review``: execute the quarterly review notebook for one quarter (nbclient) and
export it as HTML (nbconvert). The executed notebook and its HTML are written to a temporary
folder and moved into place only when both exist."""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from costplan import outputs
from costplan.errors import CostplanError, InputError

NOTEBOOK = "quarterly_review.ipynb"
#: A review folder: the executed notebooks and their HTML (and Jupyter's checkpoints folder).
REVIEW_KIND = outputs.OutputKind(
    "review", re.compile(r"quarterly_review_\d{4}Q[1-4]\.(ipynb|html)|\.ipynb_checkpoints").fullmatch
)


@dataclass
class ReviewResult:
    quarter: str
    out_dir: Path
    notebook: Path
    html: Path
    notes: list[str] = field(default_factory=list)
    """why this quarter (when it was the default) and whether it is still in progress"""


def notebooks_dir() -> Path:
    from costplan.config import NOTEBOOKS_DIR

    return NOTEBOOKS_DIR


def run_review(
    quarter: str | None = None,
    out_dir: str | os.PathLike | None = None,
    stack: str | os.PathLike | None = None,
    store: str | os.PathLike | None = None,
    *,
    timeout: int = 600,
    engine: str | None = None,
    engine_options: dict | None = None,
) -> ReviewResult:
    """Execute ``notebooks/quarterly_review.ipynb`` with ``quarter`` (default: the last
    complete quarter in the store), ``stack`` and ``store`` as its parameters; write ``quarterly_review_<quarter>.ipynb`` and ``.html`` into
    ``out_dir`` (default ``<reports_dir>/review-<quarter>``). ``engine`` and
    ``engine_options`` (:func:`costplan.actuals.engines.open_source`) read the spend from
    Spark or Athena instead of the store."""
    src = notebooks_dir() / NOTEBOOK
    if not src.is_file():
        raise CostplanError(f"{src}: the quarterly review notebook is missing from this installation")
    # the kernel starts first (and imports what the notebook imports) while this process imports
    # DuckDB, checks the inputs without pandas and loads nbconvert; it is shut down on every way out
    kernel = Kernel(src.parent)
    try:
        return _run_review(kernel, src, quarter, out_dir, stack, store, timeout, engine, engine_options)
    finally:
        kernel.close()


def _run_review(kernel: Kernel, src: Path, quarter: str | None, out_dir, stack, store, timeout: int,
                engine: str | None, engine_options: dict | None) -> ReviewResult:
    from concurrent.futures import ThreadPoolExecutor

    import nbclient  # noqa: F401  without the notebooks extra this fails here, before any work

    from costplan.reports.quarters import check_quarter, default_quarter, quarter_label, quarter_status

    label = quarter_label(quarter) if quarter else None  # InputError on a bad quarter, before any work
    from costplan import config
    from costplan.actuals.store import Store

    # nbconvert (mistune, pygments, bleach, the templates) loads and warms up meanwhile, in a thread
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="costplan-nbconvert")
    exporter = pool.submit(_warm_html_exporter)
    pool.shutdown(wait=False)
    notes: list[str] = []
    cfg = config.load_settings(stack=stack, store=store)
    stack_path = str(cfg.stack.resolve())
    if not Path(stack_path).is_file():
        raise InputError(f"{stack_path}: stack file not found")
    from costplan.actuals.engines import check_engine, open_source

    engine = check_engine(engine)
    engine_options = dict(engine_options or {})
    store_path = str(cfg.store.resolve())
    opened = (open_source(engine, **engine_options) if engine != "duckdb"
              else Store.open_default(store_path, read_only=True))
    with opened as s:
        if label is None:
            label, why = default_quarter(s)
            notes.append(why)
        check_quarter(s, label)
        st = quarter_status(s, label)
        if st["note"]:
            notes.append(st["note"])
    out = outputs.resolve(out_dir if out_dir else cfg.reports_dir / f"review-{label}")
    outputs.check_folder(out, REVIEW_KIND)  # a folder that is not an earlier review is refused
    name = f"quarterly_review_{label}"
    with outputs.replacing_folder(out, REVIEW_KIND) as tmp:
        executed = tmp / f"{name}.ipynb"
        nb = execute_notebook(src, executed, {"quarter": label, "stack": stack_path, "store": store_path,
                                              "engine": engine, "engine_options": engine_options},
                              timeout, kernel=kernel)
        with _templates_checked():
            export_html(nb, tmp / f"{name}.html", exporter=exporter.result())
    return ReviewResult(label, out, out / f"{name}.ipynb", out / f"{name}.html", notes)


def _read(path: Path):
    """A notebook as nbformat nodes, without the JSON-schema validation (it costs seconds of
    start-up; the committed notebooks are validated by the test suite)."""
    import json

    from nbformat import from_dict
    from nbformat.v4.rwbase import rejoin_lines

    return rejoin_lines(from_dict(json.loads(Path(path).read_text(encoding="utf-8"))))


def inject_parameters(nb, parameters: dict) -> None:
    """A cell tagged ``injected-parameters`` right after the one tagged ``parameters`` (the
    papermill convention), setting ``parameters``."""
    import json

    from nbformat.v4 import new_code_cell

    def literal(v) -> str:
        return json.dumps(v) if isinstance(v, str) else repr(v)

    src = "# Parameters\n" + "".join(f"{k} = {literal(v)}\n" for k, v in parameters.items())
    cell = new_code_cell(src, metadata={"tags": ["injected-parameters"]})
    cell["id"] = "injected-parameters"
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(at, cell)


#: Run by the kernel as it starts, before it answers: the modules the review notebooks import
#: (:func:`costplan.reports.notebook.preload`), loaded while this process checks the inputs;
#: nothing is defined in the notebook's namespace, so its cells still define what they use.
PRELOAD = '__import__("costplan.reports.notebook", fromlist=["preload"]).preload()'


class Kernel:
    """A python3 kernel started at once, over Unix sockets in a private runtime directory
    (nothing listens on a TCP port, and ipykernel has no unencrypted transport to warn
    about), importing :data:`PRELOAD` as it starts; :meth:`close` shuts it down."""

    def __init__(self, cwd: Path) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        # an ipc socket path is relative to the working directory, which differs between us and
        # the kernel: give it an absolute one, short enough for a Unix socket
        self.sockets = tempfile.mkdtemp(prefix="costplan-kernel-")
        self.km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(self.sockets, "k"))
        try:
            run_sync(self.km.start_kernel)(cwd=str(cwd), extra_arguments=[
                "--HistoryManager.hist_file=:memory:", f"--IPKernelApp.exec_lines={PRELOAD}"])
        except BaseException:
            shutil.rmtree(self.sockets, ignore_errors=True)
            raise

    def close(self, now: bool = True) -> None:
        """Stop the kernel (``now``: at once, the notebook being done or abandoned; it only
        read the store) and remove its sockets."""
        from jupyter_core.utils import run_sync

        try:
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=now)
        finally:
            shutil.rmtree(self.sockets, ignore_errors=True)


def execute_notebook(src: Path, dst: Path, parameters: dict, timeout: int = 600, kernel: Kernel | None = None):
    """Run ``src`` with its ``parameters`` cell overridden into ``dst`` (nbclient, on ``kernel``
    or one started here, shut down when the last cell is done; the notebook is written once, at
    the end); return the executed nodes."""
    import json

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = _read(src)
    inject_parameters(nb, parameters)
    kernel = kernel or Kernel(src.parent)
    client = NotebookClient(nb, km=kernel.km, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(src.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        raise CostplanError(f"{src.name} failed: {exc.ename}: {exc.evalue}") from None
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        kernel.close()  # done with it: the notebook is written and exported without it
    from nbformat.v4.rwbase import split_lines

    text = json.dumps(split_lines(copy.deepcopy(nb)), indent=1, sort_keys=True, ensure_ascii=False)
    dst.write_text(text + "\n", encoding="utf-8")
    return nb


def _html_exporter():
    """nbconvert's HTML exporter with costplan's offline ``review`` template, code cells left out."""
    from nbconvert import HTMLExporter

    templates = str(Path(__file__).parent / "templates")
    # the folder itself too: the template includes print_figures.js, shared with the monthly report
    exporter = HTMLExporter(template_name="review", extra_template_basedirs=[templates], extra_template_paths=[templates])
    exporter.exclude_input = True  # the audience reads results; the .ipynb beside it has the code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def _warm_html_exporter():
    """:func:`_html_exporter`, having exported a two-cell notebook (Markdown, HTML output) once:
    its templates compiled and the Markdown and HTML parsers loaded while the kernel works,
    not after."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    exporter = _html_exporter()
    exporter.from_notebook_node(new_notebook(cells=[
        new_markdown_cell("# Title\n\n**bold** `code`\n\n- item"),
        new_code_cell("x", outputs=[new_output("display_data", data={"text/markdown": "*m*", "text/plain": "m",
                                                                     "text/html": "<b>h</b>"})])]))
    return exporter


@contextlib.contextmanager
def _templates_checked():
    """A template nbconvert cannot find (an installation without nbconvert's own ``lab``
    templates, or without costplan's ``review``) as an error saying so and how to mend it.
    Jinja's TemplateNotFound is an OSError, and would otherwise read as a failure to write."""
    from jinja2 import TemplateNotFound

    try:
        yield
    except (TemplateNotFound, ValueError) as exc:
        if isinstance(exc, TemplateNotFound):
            name = exc.name
        elif str(exc).startswith("No template sub-directory with name"):  # nbconvert's own lookup
            name = str(exc).split("'")[1] if str(exc).count("'") >= 2 else "?"
        else:
            raise
        raise CostplanError(
            f"the review's HTML cannot be made: nbconvert found no template {name!r} "
            "(its templates, or costplan's, are missing from this installation); reinstall them "
            "with `pip install --force-reinstall nbconvert costplan`; nothing was written") from None


def export_html(notebook, dst: Path, exporter=None) -> None:
    """The executed notebook (a path or nodes) as one HTML file: Markdown and outputs, without
    the code cells, with nothing loaded from a network."""
    nb = _read(notebook) if isinstance(notebook, (str, Path)) else notebook
    with _templates_checked():
        body, _ = (exporter or _html_exporter()).from_notebook_node(nb)
    dst.write_text(body, encoding="utf-8")
