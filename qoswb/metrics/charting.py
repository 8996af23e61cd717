"""``charts()``: every group x KPI of a KPI table on its suitable control chart, in a few vectorised calls.

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
* Incomplete periods are drawn but never used: they are excluded from the
  limits (``exclude=``) and their signals are cleared afterwards.
* Points without data (denominator 0, no survey answers) are not plotted.
  A series with fewer than ``min_points`` complete points gets no chart; it is
  listed in the summary with kind "none" and the reason (when no series has
  enough points, ``frame`` is empty and ``charts`` too; only an empty table or
  one with no values at all is an error).

One ``qoswb.spc.chart(kind, ..., group=...)`` call per KPI and kind: a thousand
teams cost a handful of calls.

>>> result = charts(kpis(demo.interactions, demo.surveys))        # doctest: +SKIP
>>> result.summary[["team", "kpi", "chart", "reason"]].head()      # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError
from qoswb.metrics.registry import PROPORTION_CHARTS

_SEP = " | "
_PRIME = {"p": "pp", "c": "i"}
_PRIME_LABEL = {"pp": "p′", "i": "XmR"}
_FRAME_COLUMNS = ["_series", "kpi", "chart", "phase", "period", "y", "n", "cl", "lcl", "ucl", "signal", "rules",
                  "complete", "polarity"]


@dataclass
class KpiCharts:
    """The result of :func:`charts`: tidy ``frame`` (one row per plotted point), ``summary``, ``charts``.

    ``frame`` columns: the group columns, ``kpi``, ``chart`` (kind used),
    ``period``, ``y``, ``n``, ``cl``, ``lcl``, ``ucl``, ``signal``, ``rules``,
    ``complete``, ``polarity``. ``summary``: one row per group x KPI (x phase):
    ``chart``, ``reason``, ``dispersion``, and the ControlChart summary columns.
    ``charts``: the ``qoswb.spc`` ControlChart objects keyed by (kpi, kind).
    """

    frame: pd.DataFrame
    summary: pd.DataFrame
    by: list[str]
    charts: dict = field(default_factory=dict)

    def series(self, kpi: str, **group) -> pd.DataFrame:
        """The plotted points of one KPI for one group, e.g. ``series("csat", team="Billing")``."""
        rows = self.frame[self.frame["kpi"] == kpi]
        for column, value in group.items():
            rows = rows[rows[column] == value]
        return rows

    def plot(self, kpi: str, ax=None, **group):
        """Draw one group's chart of one KPI; incomplete periods hollow. Returns the Axes."""
        from qoswb.metrics.plotting import plot_series

        rows = self.series(kpi, **group)
        if rows.empty:
            raise ParameterError(f"no chart for kpi={kpi!r} and {group}")
        return plot_series(rows, title=f"{kpi} — {', '.join(map(str, group.values()))} ({rows['chart'].iloc[0]})",
                           ax=ax)


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


def _call_spc(rows: pd.DataFrame, kind: str, spc_options: dict):
    from qoswb import spc

    data = rows.reset_index(drop=True)
    exclude = ~data["complete"].to_numpy(dtype=bool)
    polarity = int(data["polarity"].iloc[0]) or None
    if kind in PROPORTION_CHARTS:
        return spc.chart(kind, data, y="numerator", n="denominator", x="period", group="_series",
                         exclude=exclude, polarity=polarity, **spc_options)
    return spc.chart(kind, data, y="value", x="period", group="_series", exclude=exclude, polarity=polarity,
                     **spc_options)


def charts(kpi_table: pd.DataFrame, *, kpis=None, dispersion_alpha: float = 0.01, min_points: int = 2,
           **spc_options) -> KpiCharts:
    """Chart every group x KPI of ``kpi_table`` with its suitable kind (see the module doc).

    ``kpis``: a subset of KPI names; ``spc_options``: passed to
    ``qoswb.spc.chart`` (``rules=``, ``sigma=``, ``freeze=``, ``screen_mr=`` ...).

    >>> result = charts(table, rules="mdc")                      # doctest: +SKIP
    >>> result.summary.query("chart == 'pp'")["reason"].iloc[0]  # doctest: +SKIP
    'p′: over-dispersion ratio 14.2 (χ² p < 0.001)'
    """
    from qoswb.metrics.compute import COLUMNS

    if not isinstance(kpi_table, pd.DataFrame) or "kpi" not in kpi_table.columns:
        raise DataError("charts() takes the KPI table of qoswb.metrics.kpis()")
    if kpi_table.empty:
        raise DataError("the KPI table is empty: nothing to chart")
    by = [c for c in kpi_table.columns if c not in COLUMNS]
    table = kpi_table if kpis is None else kpi_table[kpi_table["kpi"].isin([kpis] if isinstance(kpis, str) else kpis)]
    table = table.assign(_series=table[by].astype(str).agg(_SEP.join, axis=1) if len(by) > 1
                         else table[by[0]].astype(str))
    frames, plans, spc_summaries, objects = [], [], [], {}
    for kpi, rows in table.groupby("kpi", sort=False):
        rows = rows[rows["value"].notna()]
        if rows.empty:
            continue
        plan = _plan(rows, rows["chart"].iloc[0], dispersion_alpha, min_points)
        plans.append(plan.assign(kpi=kpi).rename_axis("_series").reset_index())
        chosen = rows["_series"].map(plan["chart"])
        for kind, part in rows.groupby(chosen, sort=False):
            if kind == "none":
                continue
            chart = _call_spc(part, kind, spc_options)
            objects[(kpi, kind)] = chart
            frames.append(_tidy(chart, part, kpi, kind))
            spc_summaries.append(chart.summary().rename(columns={"group": "_series"}).assign(kpi=kpi))
    if not plans:
        raise DataError("the KPI table has no values to chart (every value is missing)")
    # no series with enough points: an empty frame, and the summary says why for each series
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_FRAME_COLUMNS)
    summary = _summary(pd.concat(plans, ignore_index=True), spc_summaries, frame)
    keys = table[["_series", *by]].drop_duplicates("_series")
    frame = keys.merge(frame, on="_series", how="right").drop(columns="_series")
    summary = keys.merge(summary, on="_series", how="right").drop(columns="_series")
    return KpiCharts(frame=frame, summary=summary, by=by, charts=objects)


def _tidy(chart, part: pd.DataFrame, kpi: str, kind: str) -> pd.DataFrame:
    """The ControlChart frame with KPI, kind, completeness; incomplete points lose their signals."""
    frame = chart.frame.rename(columns={"group": "_series", "x": "period"})
    info = part[["_series", "period", "complete", "polarity"]]
    frame = frame.merge(info, on=["_series", "period"], how="left", validate="one_to_one")
    incomplete = ~frame["complete"].astype(bool)
    frame.loc[incomplete, "signal"] = False
    frame.loc[incomplete, "rules"] = ""
    frame.insert(1, "kpi", kpi)
    frame.insert(2, "chart", kind)
    return frame


def _summary(plan: pd.DataFrame, spc_summaries: list, frame: pd.DataFrame) -> pd.DataFrame:
    """Plan (kind used and why) + ControlChart summaries; signals recounted over complete points only."""
    spc_part = pd.concat(spc_summaries, ignore_index=True) if spc_summaries else pd.DataFrame(
        columns=["_series", "kpi"])
    # the kind and the dispersion test are already in the plan (same Pearson statistic as qoswb.spc's check)
    spc_part = spc_part.drop(columns=[c for c in ("chart", "kind", "reason", "dispersion", "points", "overdispersion",
                                                  "dispersion_ratio") if c in spc_part])
    summary = plan.merge(spc_part, on=["_series", "kpi"], how="left")
    keys = ["_series", "kpi", "phase"] if "phase" in summary.columns and "phase" in frame.columns else ["_series", "kpi"]
    counted = frame.groupby(keys, observed=True)["signal"].sum().rename("signals").reset_index()
    summary = summary.drop(columns=[c for c in ("signals",) if c in summary]).merge(counted, on=keys, how="left")
    summary["signals"] = summary["signals"].fillna(0).astype("int64")
    first = ["kpi", "chart", "reason", "dispersion", "points"]
    return summary[["_series", *first, *[c for c in summary.columns if c not in ("_series", *first)]]]
