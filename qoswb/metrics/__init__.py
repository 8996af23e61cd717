"""Service KPIs per team and period, charted the right way, and teams compared fairly.

The flow: ``kpis()`` turns canonical interactions and surveys (or aggregates)
into a tidy KPI table; ``charts()`` gives every group x KPI its control chart
(p moving to Laney p' when over-dispersed), ``chart_kinds()`` only
which kind each gets and why; ``funnel()`` compares teams of
different sizes on one proportion; ``matrix()`` is the manager's overview
(variation and assurance); ``tag_themes()`` tags survey comments by theme.
``KPIS`` is the registry of KPI definitions as a table (read as ``metrics.KPIS``
it always shows the KPIs registered so far; see :mod:`qoswb.metrics.registry`).

Heavy modules (matplotlib, scipy, qoswb.spc) load inside the functions that use them.

>>> from qoswb.metrics import KPIS
>>> "sla_response" in KPIS.index
True
"""

from qoswb.metrics.calendar import BusinessCalendar
from qoswb.metrics.charting import charts
from qoswb.metrics.compute import kpis
from qoswb.metrics.funnel import funnel
from qoswb.metrics.kinds import chart_kinds
from qoswb.metrics.matrix import matrix, matrix_plot, matrix_style
from qoswb.metrics.registry import Kpi, register
from qoswb.metrics.themes import THEMES, tag_themes, theme_pareto

__all__ = ["kpis", "charts", "chart_kinds", "funnel", "matrix", "matrix_style", "matrix_plot", "KPIS",
           "Kpi", "register", "BusinessCalendar", "tag_themes", "theme_pareto", "THEMES"]


def __getattr__(name):
    # KPIS is rebuilt from the registry after each register(), so it is looked up, not bound at import
    if name == "KPIS":
        from qoswb.metrics import registry

        return registry.KPIS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
