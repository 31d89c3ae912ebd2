"""``costplan review``: execute the quarterly review notebook for one quarter (papermill) and
export it as HTML (nbconvert). The executed notebook and its HTML are written to a temporary
folder and moved into place only when both exist."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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


def notebooks_dir() -> Path:
    from costplan.config import NOTEBOOKS_DIR

    return NOTEBOOKS_DIR


def run_review(
    quarter: str,
    out_dir: str | os.PathLike | None = None,
    stack: str | os.PathLike | None = None,
    store: str | os.PathLike | None = None,
    *,
    timeout: int = 600,
    engine: str | None = None,
    engine_options: dict | None = None,
) -> ReviewResult:
    """Execute ``notebooks/quarterly_review.ipynb`` with ``quarter``, ``stack`` and ``store``
    as its parameters; write ``quarterly_review_<quarter>.ipynb`` and ``.html`` into
    ``out_dir`` (default ``<reports_dir>/review-<quarter>``). ``engine`` and
    ``engine_options`` (:func:`costplan.actuals.engines.open_source`) read the spend from
    Spark or Athena instead of the store."""
    from costplan import config
    from costplan.actuals.store import Store
    from costplan.reports.quarterly import check_quarter, quarter_label

    label = quarter_label(quarter)  # InputError on a bad quarter, before any work
    out = outputs.resolve(out_dir if out_dir else Path(config.setting("reports_dir")) / f"review-{label}")
    outputs.check_folder(out, REVIEW_KIND)  # a folder that is not an earlier review is refused
    stack_path = str(Path(config.setting("stack", stack)).resolve())
    if not Path(stack_path).is_file():
        raise InputError(f"{stack_path}: stack file not found")
    from costplan.actuals.engines import check_engine, open_source

    engine = check_engine(engine)
    engine_options = dict(engine_options or {})
    store_path = str(Path(config.setting("store", store)).resolve())
    if engine != "duckdb":
        with open_source(engine, **engine_options) as s:
            check_quarter(s, label)
    else:
        with Store.open_default(store_path, read_only=True) as s:
            check_quarter(s, label)
    src = notebooks_dir() / NOTEBOOK
    if not src.is_file():
        raise CostplanError(f"{src}: the quarterly review notebook is missing from this installation")
    name = f"quarterly_review_{label}"
    with outputs.replacing_folder(out, REVIEW_KIND) as tmp:
        executed = tmp / f"{name}.ipynb"
        execute_notebook(src, executed, {"quarter": label, "stack": stack_path, "store": store_path,
                                             "engine": engine, "engine_options": engine_options}, timeout)
        export_html(executed, tmp / f"{name}.html")
    return ReviewResult(label, out, out / f"{name}.ipynb", out / f"{name}.html")


def execute_notebook(src: Path, dst: Path, parameters: dict, timeout: int = 600) -> None:
    """Run ``src`` with papermill (its ``parameters`` cell overridden) into ``dst``."""
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        # the kernel talks to us over Unix sockets in the runtime directory: nothing listens
        # on a TCP port, and ipykernel has no unencrypted transport to warn about
        transport = "ipc"

    try:
        pm.execute_notebook(str(src), str(dst), parameters=parameters, cwd=str(src.parent), progress_bar=False,
                            kernel_name="python3", execution_timeout=timeout, log_output=False,
                            kernel_manager_class=LocalKernelManager)
    except pm.PapermillExecutionError as exc:
        raise CostplanError(f"{src.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None


def export_html(notebook: Path, dst: Path) -> None:
    """The executed notebook as one HTML file: Markdown and outputs, without the code cells."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True  # the audience reads results; the .ipynb beside it has the code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    dst.write_text(body, encoding="utf-8")
