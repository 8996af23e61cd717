"""The one table of KPI definitions, read by the code and by the docs.

Each KPI is a row: its name, unit, polarity (+1 higher is better, -1 lower is
better), the chart kind it should get, the family that computes it (one
vectorised pass per family) and the canonical columns it needs. Adding a KPI
is one row here and, if it is of a new family, one function in ``compute``.

>>> from qoswb.metrics.registry import KPIS
>>> KPIS.loc["sla_response", ["unit", "chart"]].tolist(), int(KPIS.loc["sla_response", "polarity"])
(['proportion', 'p'], 1)
"""

from __future__ import annotations

import pandas as pd

# name, unit, polarity, chart, family, needs (interactions columns), survey column, description
_ROWS = [
    ("volume", "interactions", 0, "c", "count", (), None,
     "interactions opened in the period"),
    ("sla_response", "proportion", 1, "p", "sla", ("first_response_at",), None,
     "share of interactions first answered within their SLA target"),
    ("sla_resolution", "proportion", 1, "p", "sla", ("resolved_at",), None,
     "share of interactions resolved within their SLA target"),
    ("first_response_median", "minutes", -1, "i", "duration", ("first_response_at",), None,
     "median minutes from opening to first response (responded cases)"),
    ("first_response_p90", "minutes", -1, "i", "duration", ("first_response_at",), None,
     "90th percentile of minutes to first response (responded cases)"),
    ("resolution_median", "minutes", -1, "i", "duration", ("resolved_at",), None,
     "median minutes from opening to resolution (resolved cases)"),
    ("resolution_p90", "minutes", -1, "i", "duration", ("resolved_at",), None,
     "90th percentile of minutes to resolution (resolved cases)"),
    ("fcr", "proportion", 1, "p", "share", ("resolved_at", "contacts"), None,
     "share of resolved interactions resolved with one contact"),
    ("reopen_rate", "proportion", -1, "p", "share", ("resolved_at", "reopened"), None,
     "share of resolved interactions reopened"),
    ("backlog", "interactions", -1, "i", "backlog", ("resolved_at",), None,
     "interactions open at the end of the period"),
    ("csat", "proportion", 1, "p", "survey", (), "csat",
     "share of CSAT answers that are 4 or 5"),
    ("csat_mean", "rating 1-5", 1, "i", "survey", (), "csat",
     "mean CSAT answer"),
    ("nps", "score -100..100", 1, "i", "survey", (), "nps",
     "% promoters (9-10) minus % detractors (0-6); standard error in `se`"),
    ("ces_mean", "rating 1-7", -1, "i", "survey", (), "ces",
     "mean customer effort (lower is less effort)"),
]

KPIS = pd.DataFrame(
    _ROWS,
    columns=["kpi", "unit", "polarity", "chart", "family", "needs", "survey_column", "description"],
).set_index("kpi")
# polarity 0: volume has no "better" direction (more demand is neither good nor bad).
KPIS["polarity"] = KPIS["polarity"].astype("int64")

KPI_NAMES: tuple[str, ...] = tuple(KPIS.index)

#: kinds of chart that take a numerator and a denominator (proportions)
PROPORTION_CHARTS = frozenset({"p", "pp", "np"})


def kpi_info(name: str) -> pd.Series:
    """The registry row of one KPI, or a ParameterError listing the valid names.

    >>> kpi_info("nps")["unit"]
    'score -100..100'
    """
    from qoswb.errors import ParameterError

    if name not in KPIS.index:
        raise ParameterError(f"unknown KPI {name!r}; valid KPIs: {', '.join(KPI_NAMES)}")
    return KPIS.loc[name]
