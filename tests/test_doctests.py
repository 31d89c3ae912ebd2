"""Docstring examples are tests too."""

import doctest
import importlib

import pytest

MODULES = ["costplan.pricing.catalog", "costplan.estimator", "costplan.frames"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_package_level_api_is_callable():
    import costplan
    import costplan.estimator
    from costplan.stack import loader

    assert costplan.estimate is costplan.estimator.estimate
    assert costplan.load_stack is loader.load_stack


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python API block, as a reader would paste it (fewer Monte Carlo paths)."""
    import re
    from pathlib import Path

    from costplan import config

    repo = Path(__file__).resolve().parents[1]
    block = re.search(r"## Python API\n\n```python\n(.*?)```", (repo / "README.md").read_text(), re.S).group(1)
    monkeypatch.chdir(repo)  # the example names data/ultibiker/stack.yaml relative to the checkout
    monkeypatch.setitem(config._BUILTIN, "store", str(tmp_path / "sample.duckdb"))
    monkeypatch.delenv("COSTPLAN_STORE", raising=False)
    exec(compile(block.replace("simulations=2000", "simulations=50"), "README.md", "exec"), {})
