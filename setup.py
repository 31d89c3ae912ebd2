"""Build hook: bundle the reference stack and the notebooks into the wheel.

In a source checkout costplan reads ``data/ultibiker/`` and ``notebooks/`` where they are. A
wheel has no checkout around it, so the build copies both into ``costplan/_bundled/``, where
``costplan.config`` finds them when the checkout's copies are absent. Everything else is in
pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLE = {"data/ultibiker": "ultibiker", "notebooks": "notebooks"}


class BuildWithBundle(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own copies
        target = Path(self.build_lib) / "costplan" / "_bundled"
        for src, dst in BUNDLE.items():
            src_dir = ROOT / src
            if not src_dir.is_dir():
                raise SystemExit(f"cannot build: {src_dir} is missing (the wheel bundles it)")
            shutil.copytree(
                src_dir,
                target / dst,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.duckdb*"),
            )


setup(cmdclass={"build_py": BuildWithBundle})
