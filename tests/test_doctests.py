"""Every example in qoswb's docstrings runs and shows what it says (one test per module)."""

import doctest
import importlib
import pkgutil
import warnings

import pytest

import qoswb

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(qoswb.__path__, prefix="qoswb.")
    if not name.endswith("__main__")  # running it is the command itself
)


@pytest.mark.parametrize("name", ["qoswb", *MODULES])
def test_docstring_examples(name):
    import matplotlib

    matplotlib.use("Agg")
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short examples trip the "too few points" checks
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
