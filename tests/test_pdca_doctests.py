"""The examples in qoswb.pdca's docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["qoswb.pdca", "qoswb.pdca.model", "qoswb.pdca.store", "qoswb.pdca.check",
           "qoswb.pdca.dates", "qoswb.pdca.export", "qoswb.pdca.fishbone", "qoswb.pdca.phases",
           "qoswb.pdca.database", "qoswb.pdca.fields"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name == "qoswb.pdca.fishbone"
