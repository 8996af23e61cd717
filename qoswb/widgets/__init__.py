"""qoswb.widgets: the Explorer and the PDCA Workshop apps (ipywidgets; JupyterLab and Voila).

Light to import: ipywidgets, matplotlib and the data load when an app is made.

    Explorer   pick team, KPI, periods; the control chart, its signals, what lies behind them
    Workshop   one PDCA cycle per problem in tabs Plan / Do / Check / Act, saved as you type

>>> import qoswb.widgets
>>> sorted(qoswb.widgets.__all__)
['Explorer', 'Source', 'Workshop']
"""

import importlib

_LAZY = {"Explorer": "qoswb.widgets.explorer", "Workshop": "qoswb.widgets.workshop",
         "Source": "qoswb.widgets.source"}
__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qoswb.widgets' has no attribute {name!r}")
