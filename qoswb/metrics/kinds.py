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
  14.2 (χ² p < 0.001)". qicharts2's sigma_z (MR of the z-scores / 1.128) is
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
    plans = [plan.assign(kpi=kpi).rename_axis("_series").reset_index()
             for kpi, _, plan in plan_kinds(table, dispersion_alpha, min_points)]
    if not plans:
        raise DataError("the KPI table has no values to chart (every value is missing)")
    keys = table[["_series", *by]].drop_duplicates("_series")
    out = keys.merge(pd.concat(plans, ignore_index=True), on="_series", how="right")
    return out[[*by, "kpi", "chart", "reason", "dispersion", "points"]]


def _dispersion(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Pearson dispersion ratio and χ² p-value per series, over complete points (vectorised groupby)."""
    from scipy import stats

    use = rows[rows["complete"]]
    if kind == "p":
        totals = use.groupby("_series", observed=True)[["numerator", "denominator"]].transform("sum")
        centre = totals["numerator"] / totals["denominator"]
        variance = centre * (1 - centre) / use["denominator"]
        z2 = (use["value"] - centre) ** 2 / variance
    else:
        centre = use.groupby("_series", observed=True)["value"].transform("mean")
        z2 = (use["value"] - centre) ** 2 / centre
    z2 = z2.where(np.isfinite(z2))
    grouped = z2.groupby(use["_series"], observed=True)
    stat = pd.DataFrame({"sum": grouped.sum(min_count=1), "count": grouped.count()})
    stat.loc[stat["count"] < 2, "sum"] = np.nan  # a constant series (e.g. always 100 %) cannot be tested
    out = pd.DataFrame(index=stat.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["dispersion"] = stat["sum"] / (stat["count"] - 1)
    out["p_value"] = stats.chi2.sf(stat["sum"], stat["count"] - 1)
    return out


def _reason(kind: str, prime: str, ratio: float, p_value: float) -> str:
    p_text = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    if prime:
        return f"{_PRIME_LABEL[prime]}: over-dispersion ratio {ratio:.1f} (χ² {p_text})"
    if np.isnan(ratio):
        return f"{kind}: dispersion not testable (constant series)"
    return f"{kind}: no over-dispersion (ratio {ratio:.2f}, χ² {p_text})"


def _plan(rows: pd.DataFrame, kind: str, alpha: float, min_points: int) -> pd.DataFrame:
    """Per series: the kind to use, why, and its dispersion ratio."""
    points = rows[rows["complete"]].groupby("_series", observed=True).size()
    plan = pd.DataFrame({"points": points}).reindex(rows["_series"].unique(), fill_value=0)
    plan["chart"], plan["reason"], plan["dispersion"] = kind, f"{kind}: as the KPI registry says", np.nan
    if kind in _PRIME:
        disp = _dispersion(rows, kind).reindex(plan.index)
        over = (disp["p_value"] < alpha) & (disp["dispersion"] > 1)
        plan["dispersion"] = disp["dispersion"]
        plan["chart"] = np.where(over, _PRIME[kind], kind)
        plan["reason"] = [_reason(kind, _PRIME[kind] if o else "", r, p)
                          for o, r, p in zip(over, disp["dispersion"], disp["p_value"])]
    few = plan["points"] < min_points
    plan.loc[few, "chart"] = "none"
    plan.loc[few, "reason"] = [f"no chart: {n} complete point(s), {min_points} needed for limits"
                               for n in plan.loc[few, "points"]]
    return plan
