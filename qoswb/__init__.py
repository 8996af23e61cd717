"""qoswb: a Jupyter workbench for quality of service.

The flow of data follows the subpackages::

    qoswb.data     load, map and validate exports   -> tidy frames + rejected rows
    qoswb.metrics  KPIs per team and period          -> KPI table
    qoswb.spc      control charts, limits, signals   -> ControlChart
    qoswb.reports  papermill batches of templates    -> notebooks, HTML, index
    qoswb.widgets  explorer and PDCA workshop apps
    qoswb.pdca     the durable record of PDCA cycles

``import qoswb`` is cheap: every papermill run pays for it, so the subpackages
load when first touched (``qoswb.spc`` imports SPC on first use).

>>> import qoswb
>>> qoswb.__version__
'0.1.0'
"""

import importlib

__version__ = "0.1.0"
__all__ = ["data", "metrics", "spc", "reports", "widgets", "pdca", "__version__"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"qoswb.{name}")
    raise AttributeError(f"module 'qoswb' has no attribute {name!r}")
