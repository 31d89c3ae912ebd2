"""Docstring examples of the projection modules are tests too."""

import doctest
import importlib

import pytest

MODULES = ["costplan.projection.drivers", "costplan.projection.capacity", "costplan.projection.commitments"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
