"""``charts()``: every group x KPI of a KPI table on its suitable control chart, in a few vectorised calls.

The kind of each series is decided by :mod:`qoswb.metrics.kinds` (the same
decision :func:`qoswb.metrics.chart_kinds` gives on its own): the registry's
kind, moved to Laney's p′ (proportions) or XmR (counts) when the series is
over-dispersed (Pearson χ² test at ``dispersion_alpha``), with the reason
written out, e.g. "p′: over-dispersion ratio 14.2 (χ² p < 0.001)".

* Incomplete periods are drawn but never used: they are excluded from the
  limits (``exclude=``) and their signals are cleared afterwards.
* An XmR series that is never negative (times, counts) gets no lower limit
  below 0 (qicharts2's ``y.neg = FALSE``; pass ``y_neg=True`` to keep it): a
  manager reads "limits 0 – 55 min", not "-21 – 55 min"; the signals are the same.
* An XmR series with strong weekday seasonality (daily data) or persistent
  autocorrelation gets limits around its weekday means or an AR(1) forecast
  (``qoswb.spc.expectation``), with the model and its reason in the summary
  (``model``, ``model_reason``); ``calendar=False`` keeps plain XmR limits.
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

import pandas as pd

from qoswb.errors import DataError, ParameterError
from qoswb.metrics.kinds import plan_kinds, series_table

_FRAME_COLUMNS = ["_series", "kpi", "chart", "phase", "period", "y", "n", "cl", "lcl", "ucl", "signal", "rules",
                  "complete", "polarity"]
_CORE_COLUMNS = {"_series", "kpi", "chart", "phase", "period", "y", "cl", "lcl", "ucl", "signal", "rules",
                 "direction", "baseline", "complete", "polarity"}


@dataclass
class KpiCharts:
    """The result of :func:`charts`: tidy ``frame`` (one row per plotted point), ``summary``, ``charts``.

    ``frame`` columns: the group columns, ``kpi``, ``chart`` (kind used),
    ``period``, ``y``, ``n``, ``cl``, ``lcl``, ``ucl``, ``signal``, ``rules``,
    ``direction`` (which way a signal points), ``complete``, ``polarity``, and
    ``expected`` where a calendar-aware model draws the limits.
    A group column keeps its name; a chart column whose name a group column
    has is called ``chart_<name>`` (``columns`` maps the chart's names to the
    frame's). ``summary``: one row per group x KPI (x phase): ``chart``,
    ``reason``, ``dispersion``, and the ControlChart summary columns.
    ``charts``: the ``qoswb.spc`` ControlChart objects keyed by (kpi, kind), and
    (kpi, "i", model) for the series charted around a model.
    """

    frame: pd.DataFrame
    summary: pd.DataFrame
    by: list[str]
    charts: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)

    def column(self, name: str) -> str:
        """The frame's name of the chart column ``name`` (``"chart_phase"`` when a group is called phase)."""
        return self.columns.get(name, name)

    def series(self, kpi: str, **group) -> pd.DataFrame:
        """The plotted points of one KPI for one group, e.g. ``series("csat", team="Billing")``."""
        rows = self.frame[self.frame["kpi"] == kpi]
        for column, value in group.items():
            rows = rows[rows[column] == value]
        return rows

    def plot(self, kpi: str, ax=None, **group):
        """Draw one group's chart of one KPI (:func:`qoswb.spc.plot.draw_chart`): incomplete periods
        hollow, the y-axis in the KPI's unit, titled in words. Returns the Axes."""
        from qoswb.metrics.registry import kpi_label, kpi_unit
        from qoswb.spc.kinds import KINDS
        from qoswb.spc.plot import draw_chart

        rows = self.series(kpi, **group)
        if rows.empty:
            raise ParameterError(f"no chart for kpi={kpi!r} and {group}")
        own = {frame_name: name for name, frame_name in self.columns.items()}
        rows = rows.drop(columns=[c for c in self.by if c in own.values()]).rename(columns=own)
        kind = rows["chart"].iloc[0]
        title = f"{kpi_label(kpi)} — {', '.join(map(str, group.values()))} ({KINDS[kind].title})"
        return draw_chart(rows, ax, x="period", unit=kpi_unit(kpi), title=title)


def free_names(names, taken, prefix: str = "chart_") -> dict:
    """A name for each of ``names`` that is not in ``taken`` (group columns): the name itself,
    or ``<prefix><name>`` where a group column already has it.

    >>> free_names(["phase", "y"], ["team", "phase"])
    {'phase': 'chart_phase', 'y': 'y'}
    """
    out = {}
    for name in names:
        free = name
        while free in taken:
            free = f"{prefix}{free}"
        out[name] = free
    return out


def _call_spc(rows: pd.DataFrame, kind: str, spc_options: dict):
    from qoswb import spc
    from qoswb.spc.kinds import get as chart_kind

    data = rows.reset_index(drop=True)
    exclude = ~data["complete"].to_numpy(dtype=bool)
    polarity = int(data["polarity"].iloc[0]) or None
    spc_options = dict(spc_options)
    if kind == "i":  # a KPI that is never negative (times, counts) gets no lower limit below 0
        spc_options.setdefault("y_neg", False)
    else:
        spc_options.pop("y_neg", None)
    if chart_kind(kind).input == "counts":  # numerator out of denominator (p, p′, u ...)
        return spc.chart(kind, data, y="numerator", n="denominator", x="period", group="_series",
                         exclude=exclude, polarity=polarity, **spc_options)
    return spc.chart(kind, data, y="value", x="period", group="_series", exclude=exclude, polarity=polarity,
                     **spc_options)


def charts(kpi_table: pd.DataFrame, *, kpis=None, dispersion_alpha: float = 0.01, min_points: int = 2,
           calendar: bool | None = None, **spc_options) -> KpiCharts:
    """Chart every group x KPI of ``kpi_table`` with its suitable kind (see the module doc).

    ``kpis``: a subset of KPI names; ``spc_options``: passed to
    ``qoswb.spc.chart`` (``rules=``, ``sigma=``, ``freeze=``, ``screen_mr=`` ...).
    ``calendar``: an XmR series with strong weekday seasonality (daily data) or
    strong autocorrelation gets limits around weekday means or an AR(1) forecast
    (``qoswb.spc.expectation.suggest``); the summary's ``model`` names it and
    ``model_reason`` says why (``reason`` stays the kind's, as ``chart_kinds``). ``calendar=False`` (or an explicit ``model=``) keeps
    them as asked; by default it is on, except with Making Data Count's rules,
    whose users compare the charts with MDC's own XmR limits.

    >>> result = charts(table, rules="mdc")                      # doctest: +SKIP
    >>> result.summary.query("chart == 'pp'")["reason"].iloc[0]  # doctest: +SKIP
    'p′: over-dispersion ratio 14.2 (χ² p < 0.001)'
    """
    table, by = series_table(kpi_table, kpis)
    frames, plans, spc_summaries, objects = [], [], [], {}
    for kpi, rows, plan in plan_kinds(table, dispersion_alpha, min_points):
        plan = plan.assign(model="", model_reason="")
        chosen = rows["_series"].map(plan["chart"])
        for kind, part in rows.groupby(chosen, sort=False):
            if kind == "none":
                continue
            chart = _call_spc(part, kind, spc_options)
            objects[(kpi, kind)] = chart
            charted = [(chart, part)]
            if kind == "i" and _calendar(calendar, spc_options):
                charted = _with_models(chart, part, plan, spc_options, objects, kpi)
            for each, rows_of in charted:
                frames.append(_tidy(each, rows_of, kpi, kind))
                summary = each.summary().rename(columns={"group": "_series"}).assign(kpi=kpi)
                spc_summaries.append(summary[summary["_series"].isin(rows_of["_series"])])
        plans.append(plan.assign(kpi=kpi).rename_axis("_series").reset_index())
    if not plans:
        raise DataError("the KPI table has no values to chart (every value is missing)")
    # no series with enough points: an empty frame, and the summary says why for each series
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_FRAME_COLUMNS)
    # the chart's own columns in one order, then those only some kinds or models have (n, expected...)
    # by name: the same whichever series were charted together
    first = [c for c in frame.columns if c in _CORE_COLUMNS]
    frame = frame[first + sorted(c for c in frame.columns if c not in _CORE_COLUMNS)]
    if isinstance(frame["rules"].dtype, pd.CategoricalDtype):  # as when charts of other rules are concatenated
        frame["rules"] = frame["rules"].astype(str)
    summary = _summary(pd.concat(plans, ignore_index=True), spc_summaries, frame)
    keys = table[["_series", *by]].drop_duplicates("_series")
    # a group column called like a chart column (phase, y, cl, ...) keeps its name; the chart's is prefixed
    frame_names = free_names([c for c in frame.columns if c != "_series"], by)
    frame = keys.merge(frame.rename(columns=frame_names), on="_series", how="right").drop(columns="_series")
    summary_names = free_names([c for c in summary.columns if c != "_series"], by)
    summary = keys.merge(summary.rename(columns=summary_names), on="_series", how="right").drop(columns="_series")
    columns = {name: new for name, new in frame_names.items() if name != new}
    return KpiCharts(frame=frame, summary=summary, by=by, charts=objects, columns=columns)


def _calendar(asked, spc_options: dict) -> bool:
    """Whether XmR series may move to a calendar-aware model (see :func:`charts`)."""
    if "model" in spc_options:
        return False
    if asked is not None:
        return bool(asked)
    from qoswb.spc.rules import resolve

    return not any(r.startswith("mdc_") for r in resolve(spc_options.get("rules", "we")))


def _with_models(chart, part: pd.DataFrame, plan: pd.DataFrame, spc_options: dict, objects: dict, kpi: str):
    """The XmR series that call for a calendar-aware model, charted with it (the plan says why);
    the others stay on the plain ``chart``. Returns (chart, its rows) pairs."""
    from qoswb.spc.expectation import suggest

    wanted = suggest(chart).set_index("group")
    wanted = wanted[wanted["model"] != ""]
    if wanted.empty:
        return [(chart, part)]
    plan.loc[wanted.index, "model"] = wanted["model"]
    plan.loc[wanted.index, "model_reason"] = wanted["reason"]
    modelled = part["_series"].map(wanted["model"])
    out = [(chart, part[modelled.isna()])]
    for model, rows in part.groupby(modelled, sort=False):
        each = _call_spc(rows, "i", {**spc_options, "model": model})
        objects[(kpi, "i", model)] = each
        out.append((each, rows))
    return out


def _tidy(chart, part: pd.DataFrame, kpi: str, kind: str) -> pd.DataFrame:
    """The ControlChart frame with KPI, kind, completeness; incomplete points lose their signals."""
    frame = chart.frame.rename(columns={"group": "_series", "x": "period"})
    frame = frame[frame["_series"].isin(part["_series"])]  # a plain chart's series that moved to a model go
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
