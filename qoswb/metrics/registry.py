"""The KPI registry: each KPI defined once, with its computation, read by the code and by the docs.

An entry (:class:`Kpi`) carries the KPI's name, its label for readers, unit,
polarity (+1 higher is better, -1 lower is better, 0 neither), the chart kind
it should get, the interactions columns it needs (and the survey column, for
survey KPIs) and the function that computes it on the team x period grid.
:func:`qoswb.metrics.kpis` computes exactly the registered KPIs: adding one is
one :func:`register` call, and nothing else needs to know about it.

A computation takes the grid (:class:`qoswb.metrics.compute.Grid`: per-cell
counts, durations, quantiles, SLA outcomes, survey answers, all vectorised) and
returns :class:`Cells`: numerator, denominator and value arrays over the grid.

>>> from qoswb.metrics.registry import KPIS
>>> KPIS.loc["sla_response", ["label", "unit", "chart"]].tolist()
['SLA attainment (first response)', 'proportion', 'p']
>>> int(KPIS.loc["first_response_median", "polarity"])
-1
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from qoswb.errors import ParameterError, did_you_mean

_COLUMNS = ["label", "unit", "polarity", "chart", "needs", "survey_column", "description"]


class Cells(NamedTuple):
    """One KPI over the grid: arrays of one value per group x period cell (``se``: NPS only)."""

    numerator: np.ndarray | None
    denominator: np.ndarray | None
    value: np.ndarray
    se: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class Kpi:
    """One KPI: what it is for readers and charts, what it needs, and how it is computed.

    ``compute(grid) -> Cells``; ``needs``: interactions columns that must hold
    values; ``survey_column``: the survey answer it reads (survey KPIs only).

    >>> kpi_info("fcr").needs, kpi_info("fcr")["chart"]
    (('resolved_at', 'contacts'), 'p')
    """

    name: str
    label: str
    unit: str
    polarity: int
    chart: str
    compute: Callable
    needs: tuple[str, ...] = ()
    survey_column: str | None = None
    description: str = ""

    def __post_init__(self):
        if self.polarity not in (-1, 0, 1):
            raise ParameterError(f"KPI {self.name!r}: polarity must be -1, 0 or 1, not {self.polarity!r}")
        if not callable(self.compute):
            raise ParameterError(f"KPI {self.name!r}: compute must be a function of the grid")
        object.__setattr__(self, "needs", tuple(self.needs))

    def __getitem__(self, field: str):
        """``info["unit"]`` as well as ``info.unit``: read like the KPI's row of ``KPIS``."""
        return getattr(self, field)


REGISTRY: dict[str, Kpi] = {}


def register(kpi: Kpi, *, replace: bool = False) -> Kpi:
    """Add a KPI to the registry (``replace=True`` to redefine one); returns it.

    >>> k = register(Kpi("demo_share_resolved", "Resolved", "proportion", 1, "p",
    ...                  lambda g: g.share(g.done("resolved_at"), None), needs=("resolved_at",)))
    >>> "demo_share_resolved" in names()
    True
    >>> unregister("demo_share_resolved")
    """
    from qoswb.spc.kinds import KINDS

    if kpi.name in REGISTRY and not replace:
        raise ParameterError(f"KPI {kpi.name!r} is already registered (replace=True to redefine it)")
    if kpi.chart not in KINDS:
        raise ParameterError(f"KPI {kpi.name!r}: unknown chart kind {kpi.chart!r}{did_you_mean(kpi.chart, KINDS)}")
    REGISTRY[kpi.name] = kpi
    _table.cache_clear()
    return kpi


def unregister(name: str) -> None:
    """Remove a KPI from the registry (tests and notebooks that add one for a while)."""
    REGISTRY.pop(kpi_info(name).name)
    _table.cache_clear()


def kpi_info(name: str) -> Kpi:
    """The registry entry of one KPI, or a ParameterError with a did-you-mean.

    >>> kpi_info("nps").unit
    'score -100..100'
    >>> kpi_info("reopen")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: unknown KPI 'reopen' (did you mean 'reopen_rate'?)
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(f"unknown KPI {name!r}{did_you_mean(str(name), list(REGISTRY))}") from None


def kpi_label(kpi: str) -> str:
    """The KPI's name as a reader says it (its ``label``); a KPI the registry does not know, made readable.

    >>> kpi_label("first_response_median"), kpi_label("wait_days")
    ('First response median', 'Wait days')
    """
    known = REGISTRY.get(kpi)
    return known.label if known else str(kpi).replace("_", " ").capitalize()


def kpi_unit(kpi: str) -> str:
    """The KPI's unit ("proportion", "minutes" ...), "" for a KPI the registry does not know.

    >>> kpi_unit("first_response_median"), kpi_unit("wait_days")
    ('minutes', '')
    """
    known = REGISTRY.get(kpi)
    return known.unit if known else ""


def names() -> tuple[str, ...]:
    """The registered KPI names, in registry order (the order of the KPI table)."""
    return tuple(REGISTRY)


def _build_table() -> pd.DataFrame:
    rows = [[getattr(k, c) for c in _COLUMNS] for k in REGISTRY.values()]
    table = pd.DataFrame(rows, columns=_COLUMNS, index=pd.Index(list(REGISTRY), name="kpi"))
    table["polarity"] = table["polarity"].astype("int64")
    return table


_table = functools.cache(_build_table)


def __getattr__(name):
    # KPIS and KPI_NAMES are views of REGISTRY rebuilt after a register(): read them as registry.KPIS
    # (or metrics.KPIS), since a name bound by an earlier `from ... import KPIS` keeps the old table
    if name == "KPIS":
        return _table()
    if name == "KPI_NAMES":
        return names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- the built-in KPIs -------------------------------------------------------------------------------
# Definitions in words are in qoswb.metrics.compute's module doc; the grid's building blocks are there too.

def _volume(g) -> Cells:
    volume = g.count()
    return Cells(volume, None, volume)


def _sla(clock: str) -> Callable:
    return lambda g: g.share(*g.sla(clock))


def _quantile(column: str, q: float) -> Callable:
    return lambda g: Cells(None, g.count(g.done(column)), g.quantile_minutes(column, q))


def _fcr(g) -> Cells:
    contacts = g.numbers("contacts")
    known = g.done("resolved_at") & ~np.isnan(contacts)
    return g.share(known & (contacts == 1), known)


def _reopen_rate(g) -> Cells:
    flag = g.flags("reopened")
    known = g.done("resolved_at") & ~np.isnan(flag)
    return g.share(known & (flag == 1), known)


def _backlog(g) -> Cells:
    return Cells(None, None, g.open_at_period_end())


def _csat(g) -> Cells:
    score, answered = g.answers("csat")
    return g.survey_share(score >= 4, answered)


def _nps(g) -> Cells:
    score, answered = g.answers("nps")
    promoters, detractors, n = g.survey_count(score >= 9), g.survey_count(score <= 6), g.survey_count(answered)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_pro, p_det = promoters / n, detractors / n
        se = 100 * np.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n)
    return Cells(promoters - detractors, n, 100 * (p_pro - p_det), se)


def _mean(column: str) -> Callable:
    return lambda g: g.survey_mean(column)


for _kpi in [
    Kpi("volume", "Volume", "interactions", 0, "c", _volume,
        description="interactions opened in the period"),
    Kpi("sla_response", "SLA attainment (first response)", "proportion", 1, "p", _sla("first_response"),
        needs=("first_response_at",), description="share of interactions first answered within their target"),
    Kpi("sla_resolution", "SLA attainment (resolution)", "proportion", 1, "p", _sla("resolution"),
        needs=("resolved_at",), description="share of interactions resolved within their target"),
    Kpi("first_response_median", "First response median", "minutes", -1, "i",
        _quantile("first_response_at", 0.5), needs=("first_response_at",),
        description="median minutes from opening to first response (responded cases)"),
    Kpi("first_response_p90", "First response 90th percentile", "minutes", -1, "i",
        _quantile("first_response_at", 0.9), needs=("first_response_at",),
        description="90th percentile of minutes to first response (responded cases)"),
    Kpi("resolution_median", "Resolution time median", "minutes", -1, "i", _quantile("resolved_at", 0.5),
        needs=("resolved_at",), description="median minutes from opening to resolution (resolved cases)"),
    Kpi("resolution_p90", "Resolution time 90th percentile", "minutes", -1, "i", _quantile("resolved_at", 0.9),
        needs=("resolved_at",), description="90th percentile of minutes to resolution (resolved cases)"),
    Kpi("fcr", "First-contact resolution", "proportion", 1, "p", _fcr, needs=("resolved_at", "contacts"),
        description="share of resolved interactions resolved with one contact"),
    Kpi("reopen_rate", "Reopen rate", "proportion", -1, "p", _reopen_rate, needs=("resolved_at", "reopened"),
        description="share of resolved interactions reopened"),
    Kpi("backlog", "Backlog", "interactions", -1, "i", _backlog, needs=("resolved_at",),
        description="interactions open at the end of the period"),
    Kpi("csat", "CSAT (share of 4–5)", "proportion", 1, "p", _csat, survey_column="csat",
        description="share of CSAT answers that are 4 or 5"),
    Kpi("csat_mean", "CSAT mean", "rating 1-5", 1, "i", _mean("csat"), survey_column="csat",
        description="mean CSAT answer"),
    Kpi("nps", "NPS", "score -100..100", 1, "i", _nps, survey_column="nps",
        description="% promoters (9-10) minus % detractors (0-6); standard error in `se`"),
    Kpi("ces_mean", "Customer effort", "rating 1-7", -1, "i", _mean("ces"), survey_column="ces",
        description="mean customer effort (lower is less effort)"),
]:
    REGISTRY[_kpi.name] = _kpi  # (register() checks chart kinds against qoswb.spc, not imported here)
del _kpi
