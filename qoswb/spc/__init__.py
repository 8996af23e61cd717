"""Statistical process control: control charts that agree with qcc and qicharts2.

One entry point, ``chart(kind, data, ...)``, for every kind in ``KINDS`` and
for one series or thousands (``group=``) at once; rules from ``RULE_SETS`` or
picked by id. The result, a ``ControlChart``, has ``.frame`` (one row per
point: ``cl``, ``lcl``, ``ucl``, ``signal``, ``rules``), ``.summary()`` (one
row per group and phase, with a verdict), ``.plot()`` and ``.facet()``.

>>> from qoswb.spc import chart
>>> cc = chart("i", [5.0, 6, 5, 7, 6, 5, 6, 7])
>>> round(float(cc.frame.ucl[0]), 3)
8.915
"""

from .chart import ControlChart, chart
from .checks import SPCWarning
from .kinds import KINDS
from .rules import RULE_SETS, RULES

__all__ = ["chart", "ControlChart", "KINDS", "RULE_SETS", "RULES", "SPCWarning"]
