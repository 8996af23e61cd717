"""Statistical process control: control charts that agree with qcc and qicharts2.

One entry point, ``chart(kind, data, ...)``, for every kind in ``KINDS`` and
for one series or thousands (``group=``) at once; rules from ``RULE_SETS`` or
picked by id. The result, a ``ControlChart``, has ``.frame`` (one row per
point: ``cl``, ``lcl``, ``ucl``, ``signal``, ``rules``), ``.summary()`` (one
row per group and phase, with a verdict), ``.plot()`` and ``.facet()``.
Signals point the way their rules do (``direction``: a trend the way it goes);
``rules="mdc"`` on an individuals chart draws Making Data Count's own limits
(``sigma_method="mdc"``); ``model=`` draws an individuals chart's limits around
weekday means or an AR(1) forecast (``expectation``); CUSUM and EWMA take
rational subgroups as qcc does.

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
