"""``chart_kinds()``: which control chart each group x KPI gets, and why — the one place that decides.

The kind comes from the KPI registry (``chart`` column of the table) and is
then checked against the data, series by series:

* proportions (``p``) move to Laney's p′ (``pp``) when over-dispersed, counts
  (``c``) to an individuals chart (``i``) — the Laney/prime idea for counts,
  whose u′ chart with n = 1 *is* the individuals chart.
* Over-dispersion test: the Pearson dispersion ratio φ = Σ z² / (m - 1) over
  the m complete points, with z = (p - p̄) / sqrt(p̄(1-p̄)/n) (for counts
  z = (c - c̄) / sqrt(c̄)). Under the binomial (Poisson) model Σ z² ~ χ² with
  m - 1 degrees of freedom (Spiegelhalter 2005; Mohammed et al., BMJ Qual Saf
  2013;22:362-368, which recommends p′ when limits are too narrow); the series
  moves to the prime chart when that χ² test rejects at ``dispersion_alpha``
  (default 0.01). The reason is written out, e.g. "p′: over-dispersion ratio
  14.2 (χ² p < 0.001)". The statistic is computed by
  :func:`qoswb.spc.checks.pearson_dispersion`, as in the p/np/u charts' own
  over-dispersion check. qicharts2's sigma_z (MR of the z-scores / 1.128) is
  what the p′ chart itself then uses.
* A series with fewer than ``min_points`` complete points gets kind "none"
  and the reason.

:func:`qoswb.metrics.charts` draws with exactly these kinds (it calls the same
:func:`plan_kinds`); :func:`chart_kinds` gives only the decision, without
computing any limits, for apps that need the kind before drawing one series.

>>> import pandas as pd
>>> table = pd.DataFrame({"team": ["A"] * 3, "period": pd.date_range("2026-01-05", periods=3, freq="7D"),
...                       "kpi": ["volume"] * 3, "value": [5.0, 6, 4], "chart": ["c"] * 3,
...                       "complete": [True] * 3})
>>> chart_kinds(table)[["team", "kpi", "chart"]].to_dict("records")
[{'team': 'A', 'kpi': 'volume', 'chart': 'c'}]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from qoswb.errors import DataError

_SEP = " | "
_PRIME = {"p": "pp", "c": "i"}
_PRIME_LABEL = {"pp": "p′", "i": "XmR"}


def series_table(kpi_table: pd.DataFrame, kpis=None, *, caller: str = "charts") -> tuple[pd.DataFrame, list[str]]:
    """The checked KPI table (optionally cut to ``kpis``) with a ``_series`` key per group, and the by-columns."""
    from qoswb.metrics.compute import COLUMNS

    if not isinstance(kpi_table, pd.DataFrame) or "kpi" not in kpi_table.columns:
        raise DataError(f"{caller}() takes the KPI table of qoswb.metrics.kpis()")
    if kpi_table.empty:
        raise DataError("the KPI table is empty: nothing to chart")
    by = [c for c in kpi_table.columns if c not in COLUMNS]
    table = kpi_table if kpis is None else kpi_table[kpi_table["kpi"].isin([kpis] if isinstance(kpis, str) else kpis)]
    table = table.assign(_series=table[by].astype(str).agg(_SEP.join, axis=1) if len(by) > 1
                         else table[by[0]].astype(str))
    return table, by


def plan_kinds(table: pd.DataFrame, dispersion_alpha: float, min_points: int) -> Iterator[tuple]:
    """Per KPI of a :func:`series_table`: ``(kpi, rows with a value, plan)``; the plan is indexed by
    ``_series`` with ``points``, ``chart``, ``reason``, ``dispersion``."""
    for kpi, rows in table.groupby("kpi", sort=False):
        rows = rows[rows["value"].notna()]
        if not rows.empty:
            yield kpi, rows, _plan(rows, rows["chart"].iloc[0], dispersion_alpha, min_points)


def chart_kinds(kpi_table: pd.DataFrame, *, kpis=None, dispersion_alpha: float = 0.01,
                min_points: int = 2) -> pd.DataFrame:
    """The chart kind and its reason for every group x KPI, as :func:`qoswb.metrics.charts` decides them.

    Cheap: only the over-dispersion test, no limits or signals. Returns one row
    per group x KPI: the group columns, ``kpi``, ``chart`` (``p``, ``pp``, ``c``,
    ``i``, ..., or ``none`` with too few complete points), ``reason``,
    ``dispersion`` (the Pearson ratio, NaN where not tested) and ``points``
    (complete points) — the same as those columns of ``charts(...).summary``.

    >>> chart_kinds(kpis(demo.interactions, demo.surveys), kpis="sla_response")  # doctest: +SKIP
    """
    table, by = series_table(kpi_table, kpis, caller="chart_kinds")
    plans = [(kpi, plan) for kpi, _, plan in plan_kinds(table, dispersion_alpha, min_points)]
    if not plans:
        raise DataError("the KPI table has no values to chart (every value is missing)")
    plan = pd.concat([p for _, p in plans])
    # the group columns of each series from its first row (positions, not a merge: this is the cheap path)
    codes, series = pd.factorize(table["_series"], use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]
    where = first[series.get_indexer(plan.index)]
    out = table[by].iloc[where].reset_index(drop=True)
    out["kpi"] = np.repeat([kpi for kpi, _ in plans], [len(p) for _, p in plans])
    for column in ("chart", "reason", "dispersion", "points"):
        out[column] = plan[column].to_numpy()
    return out


def _dispersion(codes: np.ndarray, rows: pd.DataFrame, use: np.ndarray, kind: str):
    """Pearson dispersion ratio and χ² p-value per series (``codes`` 0..n-1), over the complete
    points ``use``: proportions from their numerators and denominators, counts from their values."""
    from qoswb.spc.checks import pearson_dispersion
    from qoswb.spc.kinds import KINDS

    def column(name):
        return rows[name].to_numpy(dtype=float, na_value=np.nan)

    if KINDS[kind].input == "counts":  # numerators out of denominators
        found = pearson_dispersion(column("numerator"), column("denominator"), codes, kind, use)
    else:
        found = pearson_dispersion(column("value"), None, codes, kind, use)
    return found.ratio, found.p_value()


def _reason(kind: str, prime: str, ratio: float, p_value: float) -> str:
    p_text = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    if prime:
        return f"{_PRIME_LABEL[prime]}: over-dispersion ratio {ratio:.1f} (χ² {p_text})"
    if np.isnan(ratio):
        return f"{kind}: dispersion not testable (constant series)"
    return f"{kind}: no over-dispersion (ratio {ratio:.2f}, χ² {p_text})"


def _plan(rows: pd.DataFrame, kind: str, alpha: float, min_points: int) -> pd.DataFrame:
    """Per series (index: ``_series``, in order of appearance): ``points``, ``chart``, ``reason``,
    ``dispersion``."""
    codes, series = pd.factorize(rows["_series"], use_na_sentinel=False)
    # a series without a group name is listed but has no usable point (as a pandas groupby would drop it)
    complete = rows["complete"].to_numpy(dtype=bool) & rows["_series"].notna().to_numpy()
    points = np.bincount(codes[complete], minlength=len(series))
    chart = np.full(len(series), kind, dtype=object)
    reason = np.full(len(series), f"{kind}: as the KPI registry says", dtype=object)
    ratio = np.full(len(series), np.nan)
    if kind in _PRIME:
        ratio, p_value = _dispersion(codes, rows, complete, kind)
        over = (p_value < alpha) & (ratio > 1)
        chart = np.where(over, _PRIME[kind], kind).astype(object)
        reason = np.array([_reason(kind, _PRIME[kind] if o else "", r, p)
                           for o, r, p in zip(over, ratio, p_value)], dtype=object)
    few = points < min_points
    chart[few] = "none"
    reason[few] = [f"no chart: {n} complete point(s), {min_points} needed for limits" for n in points[few]]
    return pd.DataFrame({"points": points, "chart": chart, "reason": reason, "dispersion": ratio},
                        index=pd.Index(series, name="_series"))
