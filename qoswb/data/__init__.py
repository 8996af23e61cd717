"""qoswb.data: load, map and validate service data; demo and packaged real data.

Public names load on first use so ``import qoswb.data`` stays cheap.

>>> import qoswb.data
>>> callable(qoswb.data.load_interactions)
True
"""

import importlib

from qoswb.errors import DataError

# public name -> module that defines it
_PUBLIC = {
    "LoadResult": "qoswb.data.result",
    "load_interactions": "qoswb.data.loaders",
    "load_surveys": "qoswb.data.loaders",
    "load_aggregates": "qoswb.data.loaders",
    "load": "qoswb.data.loaders",
    "read_mapping": "qoswb.data.mapping",
    "SyntheticData": "qoswb.data.synthetic",
    "generate": "qoswb.data.synthetic",
    "demo_data": "qoswb.data.demo",
    "datasets": "qoswb.data.datasets",
}
__all__ = ["DataError", *_PUBLIC]


def __getattr__(name):
    if name in _PUBLIC:
        module = importlib.import_module(_PUBLIC[name])
        return module if module.__name__.endswith(name) else getattr(module, name)
    raise AttributeError(f"module 'qoswb.data' has no attribute {name!r}")
