"""The examples in qoswb.spc's docstrings run and print what they say."""

import doctest
import importlib
import warnings

import pytest

MODULES = ["__init__", "base", "chart", "constants", "inputs", "kinds", "limits", "rules", "checks",
           "timeweighted",
           "summary", "plot"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    import matplotlib

    matplotlib.use("Agg")
    module = importlib.import_module("qoswb.spc" if name == "__init__" else f"qoswb.spc.{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short examples trip the "too few points" check
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and (result.attempted > 0 or name in ("summary",))
