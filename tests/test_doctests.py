"""Docstring examples are tests too."""

import doctest
import importlib

import pytest

MODULES = ["costplan.pricing.catalog", "costplan.estimator"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_package_level_api_is_callable():
    import costplan
    import costplan.estimator

    assert callable(costplan.estimate) and callable(costplan.load_stack)
    assert costplan.estimate.__module__ == "costplan.estimator"
