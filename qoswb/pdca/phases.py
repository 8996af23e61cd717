"""The Check on the KPI table: cut at the change date, limits per phase, the test per KPI.

:func:`split_at` cuts one team × KPI series at the date a change took effect;
:func:`kpi_chart` and :func:`phase_chart` put it on a control chart through
:func:`qoswb.spc.chart` (limits recomputed before and after the change: the
run-rule view), :func:`phase_reading` says what that chart shows, and
:func:`check_kpi` runs :func:`qoswb.pdca.compare.evaluate` with the kind and
polarity the KPI table gives.

>>> kpi = pd.DataFrame({"period": pd.date_range("2026-01-05", periods=4, freq="W-MON"),
...                     "value": [5, 6, 3, 2]})
>>> [len(part) for part in split_at(kpi, "2026-01-19")]
[2, 2]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError
from qoswb.pdca.compare import CheckResult, evaluate
from qoswb.pdca.dates import as_timestamp


def split_at(kpi: pd.DataFrame, changed_on, x: str = "period") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut a KPI table at the change date: rows before it, rows from it on.

    >>> kpi = pd.DataFrame({"period": pd.date_range("2026-01-05", periods=4, freq="W-MON"),
    ...                     "value": [5, 6, 3, 2]})
    >>> [len(part) for part in split_at(kpi, "2026-01-19")]
    [2, 2]
    """
    after = _after(kpi, changed_on, x)
    return kpi.loc[~after], kpi.loc[after]


def _after(kpi: pd.DataFrame, changed_on, x: str, where: str = "changed_on") -> np.ndarray:
    """True for the rows of periods starting on or after the date (``where`` names it)."""
    if x not in kpi.columns:
        raise DataError(f"the KPI table has no column {x!r} (its periods)")
    stamp = as_timestamp(changed_on, where)
    periods = pd.to_datetime(kpi[x])
    tz = getattr(periods.dt, "tz", None)
    if tz is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)  # the change date is meant in the organisation's time
    elif tz is None and stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)  # periods are local wall-clock dates: compare as such
    return (periods >= stamp).to_numpy()


def kpi_chart(kpi: pd.DataFrame, kind: str | None = None, *, x: str = "period",
              phase: str | None = None, polarity=None, **params):
    """One team × KPI series of the KPI table on a control chart, through :func:`qoswb.spc.chart`.

    ``kind`` defaults to the table's ``chart`` column; ``y``/``n`` are the
    numerator/denominator for proportion and rate charts, else ``value``; the
    polarity comes from the table (0, as for volume, means no direction). Rows
    without a value (no data in that period) are left off the chart.
    Example: ``kpi_chart(table.query("team == 'A' and kpi == 'sla_response'"), "pp")``.
    """
    from qoswb import spc

    if kind is None:
        if "chart" not in kpi.columns or kpi["chart"].nunique() != 1:
            raise ParameterError("kind: give the chart kind (the table has no single 'chart')")
        kind = str(kpi["chart"].iloc[0])
    if polarity is None:
        polarity = _table_polarity(kpi) or None
    counts = kind in ("p", "np", "u", "pp", "up")
    y, n = ("numerator", "denominator") if counts else ("value", None)
    if "value" in kpi.columns:
        kpi = kpi.loc[kpi["value"].notna().to_numpy()]
    if "complete" in kpi.columns and "exclude" not in params and not kpi["complete"].all():
        # a period the data do not fully cover is drawn but kept out of the limits
        params["exclude"] = ~kpi["complete"].to_numpy(bool)
    return spc.chart(kind, kpi, y=y, n=n, x=x, phase=phase, polarity=polarity, **params)


def phase_chart(kpi: pd.DataFrame, changed_on, kind: str | None = None, *, x: str = "period",
                polarity=None, **params):
    """The run-rule view of the Check: control limits recomputed before and after the change.

    :func:`kpi_chart` with a ``phase`` column ("before" / "after") split at ``changed_on``.
    Example: ``phase_chart(kpis.query("team == 'A' and kpi == 'sla_response'"), "2026-04-01")``.
    """
    frame = kpi.assign(phase=np.where(_after(kpi, changed_on, x), "after", "before"))
    return kpi_chart(frame, kind, x=x, phase="phase", polarity=polarity, **params)


def check_chart(kpi: pd.DataFrame, changed_on, baseline_first, kind: str | None = None, *,
                x: str = "period", polarity=None, **params):
    """The Check's chart: limits computed apart for the periods before the baseline
    ("earlier"), the baseline, and the periods from the change ("after").

    ``baseline_first``: the first period of the baseline (as :func:`qoswb.pdca.check.check_change`
    reports it). Example: ``check_chart(series, "2024-11-04", result.baseline["first"])``.
    """
    after = _after(kpi, changed_on, x)
    in_baseline = _after(kpi, baseline_first, x, where="baseline_first") & ~after
    phase = np.select([after, in_baseline], ["after", "baseline"], "earlier")
    return kpi_chart(kpi.assign(phase=phase), kind, x=x, phase="phase", polarity=polarity,
                     **params)


def one_series(kpi: pd.DataFrame, where: str) -> None:
    """Refuse a KPI table slice holding more than one team or KPI (``where`` names the caller)."""
    for column, what in (("kpi", "KPI"), ("team", "team")):
        if column in kpi.columns and kpi[column].nunique() > 1:
            raise DataError(f"{where}: one {what} at a time, got "
                            f"{', '.join(map(str, kpi[column].unique()))}")


def _table_polarity(kpi: pd.DataFrame) -> int | None:
    if "polarity" in kpi.columns and kpi["polarity"].nunique() == 1:
        return int(kpi["polarity"].iloc[0])
    return None


def check_kind(kpi: pd.DataFrame) -> str:
    """The Check kind a KPI table slice calls for: proportion charts → "proportion",
    durations (unit minutes) → "time", anything else → "score".

    >>> check_kind(pd.DataFrame({"chart": ["p"], "unit": ["proportion"]}))
    'proportion'
    """
    chart = set(kpi["chart"]) if "chart" in kpi.columns else set()
    if chart and chart <= {"p", "np", "pp"}:
        return "proportion"
    if "unit" in kpi.columns and set(kpi["unit"]) == {"minutes"}:
        return "time"
    return "score"


def check_kpi(kpi: pd.DataFrame, changed_on, *, x: str = "period", polarity=None,
              complete_only: bool = True, overdispersed: bool = False,
              **options) -> CheckResult:
    """Before against after on pooled observations for one team × KPI series, split at the date.

    For the Check of a change use :func:`qoswb.pdca.check.check_change`: it takes the
    stable baseline, waits for enough after-periods and allows for autocorrelation;
    this function compares everything before with everything after.

    The kind comes from the table (:func:`check_kind`), the polarity from its
    ``polarity`` column unless given. Periods the data do not fully cover
    (``complete`` False, e.g. the current week) are left out, and a note says so.
    ``overdispersed=True`` (a proportion whose chart is Laney's p′, as
    :func:`qoswb.metrics.charts` decides): the periods vary more than the binomial
    model allows, so the z-test on pooled counts would be too sure of itself; the
    period values are compared with Welch's t-test instead, and a note says so.
    ``options`` go to :func:`evaluate`.
    Example: ``check_kpi(table.query("team == 'Returns' and kpi == 'sla_response'"), "2025-03-03")``.
    """
    one_series(kpi, "check_kpi")
    if polarity is None:
        polarity = _table_polarity(kpi)
        if not polarity:
            raise ParameterError("polarity: this KPI has no better direction in the table "
                                 "(e.g. volume); give polarity=+1 or -1")
    notes = []
    if complete_only and "complete" in kpi.columns and not kpi["complete"].all():
        notes.append(f"{int((~kpi['complete']).sum())} incomplete period(s) left out")
        kpi = kpi.loc[kpi["complete"].to_numpy(bool)]
    before, after = split_at(kpi, changed_on, x)
    kind = check_kind(kpi)
    if kind == "proportion" and overdispersed:
        kind = "score"
        notes.append("The proportion varies between periods more than the binomial model "
                     "allows (p′ chart): judged on the period values with Welch's t-test, "
                     "not the z-test on pooled counts.")
        before, after = before[["value"]], after[["value"]]
    result = evaluate(before, after, kind=kind, polarity=polarity, **options)
    result.notes = notes + result.notes
    return result


def phase_reading(chart) -> str:
    """The run-rule view of a phase chart in words: centre before and after, signals after.

    ``chart`` from :func:`phase_chart` (phases "before" and "after").
    Example: ``phase_reading(phase_chart(series, "2026-04-01"))`` →
    "Run rules after the change: common cause only (0 signals); centre 4.1 before, 3.2 after."
    """
    summary = chart.summary().set_index("phase")
    if "after" not in summary.index:
        return "Run rules: no periods after the change yet."
    after = summary.loc["after"]
    text = (f"Run rules after the change: {after['verdict']} ({int(after['signals'])} "
            f"signal(s)); centre")
    if "before" in summary.index:
        text += f" {summary.loc['before', 'centre']:.3g} before,"
    return text + f" {after['centre']:.3g} after."
