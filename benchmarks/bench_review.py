"""Wall time of `costplan review` on the synthetic sample store (the reference store), whole
command as a user runs it, against the 5 s goal and against the way reviews were executed
before, measured in the same run, alternated.

- new: `costplan review --store S --out D` (nbclient on the parsed notebook, no JSON-schema
  validation, the notebook written once at the end, the URI grammar never built);
- old: the same notebook the way papermill runs it, reconstructed with the libraries papermill
  itself calls (papermill is not a dependency): `nbformat.read` (validated), the URI grammar
  of `rfc3987_syntax` built in both processes (jsonschema imports it for the "iri" format when
  it is installed), and the whole notebook written with `nbformat.write` (validated) at every
  cell's start and end, then the same HTML export.

Both produce the executed notebook and its HTML; the bench checks that they hold the same
cells with the same kinds of output (figure ids and timings differ run to run) before printing.

Run: python benchmarks/bench_review.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 5.0

OLD_WAY = r"""
import sys, time
from pathlib import Path
t0 = time.perf_counter()
import rfc3987_syntax  # noqa: F401  what jsonschema imports when it is installed: builds the URI grammar
import nbformat
from nbclient import NotebookClient
from costplan.reports.review import inject_parameters, export_html, notebooks_dir, NOTEBOOK

src = notebooks_dir() / NOTEBOOK
store, out, quarter, stack = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
out.mkdir(parents=True, exist_ok=True)
dst = out / f"quarterly_review_{quarter}.ipynb"
nb = nbformat.read(src, as_version=4)  # validated
inject_parameters(nb, {"quarter": quarter, "stack": stack, "store": store, "engine": "duckdb",
                       "engine_options": {}})
# papermill's kernel imports nbformat (and so the grammar) before the notebook's first cell
nb.cells.insert(0, nbformat.v4.new_code_cell("import rfc3987_syntax, nbformat"))
nb.cells[0]["id"] = "old-way-imports"


def save(**_kw):
    nbformat.write(nb, dst)  # the whole notebook, validated, at every cell start and end


client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(src.parent)}},
                        on_cell_start=save, on_cell_executed=save)
client.execute()
save()
export_html(nb, dst.with_suffix(".html"))
"""


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def wall(cmd: list[str]) -> tuple[float, float]:
    """Wall time [s] of ``cmd`` and the CPU time [s] (user + system) of it and every process it
    waited for (the kernel included): on a shared machine the CPU figure moves less with load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    w = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def shape(path: Path) -> list[tuple]:
    """(cell type, output types) of every cell, the old way's extra first cell left out."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for c in nb["cells"]:
        if c.get("id") == "old-way-imports":
            continue
        kinds = tuple(sorted({k for o in c.get("outputs", []) for k in o.get("data", {})}
                             | {o["output_type"] for o in c.get("outputs", [])}))
        out.append((c["cell_type"], kinds))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    py = sys.executable
    quarter = "2026Q3"
    stack = str((ROOT / "data" / "ultibiker" / "stack.yaml").resolve())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = tmp / "sample.duckdb"
        subprocess.run([py, "-c", f"from costplan.sample import build_store; build_store({str(store)!r})"],
                       cwd=ROOT, env=env(), check=True)
        new_cmd = [py, "-m", "costplan", "review", "--quarter", quarter, "--stack", stack, "--store", str(store),
                   "--out", str(tmp / "new")]
        old_cmd = [py, "-c", OLD_WAY, str(store), str(tmp / "old"), quarter, stack]
        wall(new_cmd)  # warm the file cache (and Python's bytecode) for both
        new_t, old_t, new_c, old_c = [], [], [], []
        for _ in range(args.repeat):
            w, c = wall(old_cmd)
            old_t.append(w)
            old_c.append(c)
            w, c = wall(new_cmd)
            new_t.append(w)
            new_c.append(c)
        name = f"quarterly_review_{quarter}"
        same = shape(tmp / "new" / f"{name}.ipynb") == shape(tmp / "old" / f"{name}.ipynb")
        html_ok = all((tmp / d / f"{name}.html").stat().st_size > 0 for d in ("new", "old"))
    new_s, old_s = statistics.median(new_t), statistics.median(old_t)
    new_cpu, old_cpu = statistics.median(new_c), statistics.median(old_c)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"median of {args.repeat} alternated runs each, whole commands, quarter {quarter} of the sample store")
    print(f"costplan review (new)                   {new_s:6.2f} s   ratio to the {GOAL_S:g} s goal "
          f"{new_s / GOAL_S:4.2f}x  {'ok' if new_s < GOAL_S else 'MISSED'}")
    print(f"papermill's way (reconstructed, old)    {old_s:6.2f} s   old / new {old_s / new_s:4.2f}x")
    print(f"CPU time (user + system, kernel included): new {new_cpu:.2f} s, old {old_cpu:.2f} s, "
          f"old / new {old_cpu / new_cpu:4.2f}x")
    print(f"same cells and output kinds in both executed notebooks: {same}; both HTML written: {html_ok}")
    print(f"(load average {load:.1f} on {os.cpu_count()} cores while measuring)")
    if not (same and html_ok):
        print("FAIL: the two ways do not produce the same notebook")
        return 1
    return 0 if new_s < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
