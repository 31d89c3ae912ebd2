"""What the review notebooks share: display set-up and the inputs (stack, plan, store).

A notebook starts with::

    from costplan.reports.notebook import setup, open_inputs
    setup()
    inp = open_inputs(stack=None, store=None)   # the embedded default when None
    display(inp.banner())                         # says so when the spend is the synthetic sample
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from costplan.actuals.store import Store
    from costplan.estimator import EstimateResult
    from costplan.stack.models import Stack


#: The modules the review notebooks import, directly or on first use (several packages here
#: import their parts lazily): :func:`preload` imports them all.
PRELOAD_MODULES = (
    "costplan.reports", "IPython.display", "pandas", "pandas.io.formats.style", "duckdb", "nbformat",
    "plotly.io", "plotly.io._renderers", "plotly.io._base_renderers", "plotly.io.json", "plotly.offline",
    "plotly.graph_objects", "narwhals._pandas_like.dataframe", "pyarrow.pandas_compat", "costplan.config", "costplan.stack", "costplan.stack.loader", "costplan.estimator",
    "costplan.components.registry", "costplan.pricing.lookup", "costplan.actuals.store",
    "costplan.actuals.engines", "costplan.actuals.reconcile", "costplan.iac.diff", "costplan.iac.karpenter", "costplan.decisions",
    "costplan.pricing.eks_versions", "costplan.sample",
    "costplan.projection", "costplan.projection.simulate", "costplan.projection.commitments",
    "costplan.projection.calibrate", "costplan.projection.figures", "costplan.projection.k8s",
    "costplan.projection.spot", "costplan.projection.unit_cost",
    "costplan.reports.notebook", "costplan.reports.figures", "costplan.reports.tables",
    "costplan.reports.quarterly", "costplan.reports.style",
)


def preload() -> None:
    """Import what the review notebooks use, and the plotly figure classes (loaded on a figure's
    first use), without running or showing anything: ``costplan review`` has its kernel do this
    as it starts, while the command checks its inputs. Defines no name in the caller's namespace."""
    import importlib

    for name in PRELOAD_MODULES:
        importlib.import_module(name)
    import plotly.graph_objects as go

    go.Figure(data=[go.Scatter(line={}, marker={}), go.Bar(marker={})],
              layout={"title": {"font": {}, "pad": {}}, "font": {}, "hoverlabel": {}, "legend": {}, "margin": {},
                      "template": {}, "xaxis": {"title": {}}, "yaxis": {"title": {}}})


def setup() -> None:
    """Plotly figures that render in JupyterLab (mime type) and in an HTML export made
    offline (plotly.js embedded once); wide pandas tables."""
    import pandas as pd
    import plotly.io as pio

    pio.renderers["costplan_offline"] = _offline_renderer()
    pio.renderers.default = "plotly_mimetype+costplan_offline"
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)


_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>", re.IGNORECASE)


def _offline_renderer():
    """plotly's ``notebook`` renderer (plotly.js embedded once) without the MathJax it loads
    from a CDN with every figure: the exported HTML then makes no network request."""
    from plotly.io._base_renderers import NotebookRenderer

    class OfflineNotebookRenderer(NotebookRenderer):
        def to_mimebundle(self, fig_dict):
            bundle = super().to_mimebundle(fig_dict)
            if "text/html" in bundle:
                bundle["text/html"] = _EXTERNAL_SCRIPT.sub("", bundle["text/html"])
            return bundle

    return OfflineNotebookRenderer(connected=False)


@dataclass
class Inputs:
    """The stack, its monthly estimate (the plan) and the store of actual spend (read-only)."""

    stack: Stack
    plan: EstimateResult
    store: Store
    stack_path: str
    store_path: str

    @property
    def synthetic(self) -> bool:
        return self.store.is_synthetic()

    def banner(self):
        """A Markdown note naming the inputs, and a warning when the spend is synthetic."""
        from IPython.display import Markdown

        text = (f"**Stack** `{os.path.basename(self.stack_path)}` ({self.plan.stack_name}), plan "
                f"${self.plan.total_monthly_cost:,.2f}/month at catalog prices as of {self.plan.catalog_as_of}; "
                f"**store** `{os.path.basename(self.store_path)}`, months {', '.join(self.store.months()[:1])} .. "
                f"{self.store.months()[-1] if self.store.months() else ''}.")
        if self.synthetic:
            text = ("> **SYNTHETIC SAMPLE DATA**: the actual spend here is a generated sample, not real billing "
                    "data.\n\n" + text)
        return Markdown(text)


def open_inputs(stack: str | None = None, store: str | None = None, engine: str | None = None,
                **engine_options) -> Inputs:
    """Load the stack (default: setting ``stack``), price it, and open the store read-only
    (default: setting ``store``; the synthetic sample is built on first use), or with
    ``engine`` ``spark`` / ``athena`` an export table (``engine_options``: ``spark_path``,
    ``spark_table``, ``table_format``, ``athena_database``, ``athena_table``, ``athena_output``...,
    :func:`costplan.actuals.engines.open_source`)."""
    from costplan import config
    from costplan.actuals.store import Store
    from costplan.estimator import estimate
    from costplan.pricing.lookup import get_catalog
    from costplan.stack import load_stack

    cfg = config.load_settings(stack=stack, store=store)
    stack_path = str(cfg.stack)
    st = load_stack(stack_path)
    plan = estimate(st, get_catalog(cfg.catalog))
    from costplan.actuals.engines import check_engine, open_source

    if check_engine(engine) != "duckdb":
        source = open_source(engine, **engine_options)
        return Inputs(st, plan, source, stack_path, str(source.path))
    store_path = str(cfg.store)
    return Inputs(st, plan, Store.open_default(store_path, read_only=True), stack_path, store_path)
