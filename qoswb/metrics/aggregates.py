"""KPI tables from aggregates (counts per team and period, as public-service statistics publish them).

Rows with a ``numerator`` and a ``denominator`` become a proportion (chart
``p``); rows with only a ``value`` stay a value (chart ``i``). Several rows for
the same group, period and KPI (e.g. an NHS trust's type 1, 2 and other A&E
departments when ``by="team"``) are summed before dividing, which is the right
way to pool a proportion. The KPI name comes from a ``kpi`` column, else from
``kpis=`` (one name), else "proportion" / "value"; polarity from the registry
for known names, else a ``polarity`` column, else +1.

The period length is read from the labels (all first-of-month: "M"; all
Mondays: "W"; otherwise "D"). Every period is complete unless ``as_of=`` says
the data stops before the period ends.

>>> import pandas as pd
>>> agg = pd.DataFrame({"team": ["a", "a"], "period": pd.to_datetime(["2024-01-01", "2024-02-01"]),
...                     "numerator": [9, 8], "denominator": [10, 10]})
>>> aggregate_kpis(agg, by=["team"], kpis="within_4h")[["kpi", "value", "chart"]].values.tolist()
[['within_4h', 0.9, 'p'], ['within_4h', 0.8, 'p']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError
from qoswb.metrics import periods
from qoswb.metrics.compute import COLUMNS
from qoswb.metrics.inputs import check_frame, numbers_of
from qoswb.metrics import registry


def _infer_freq(labels: pd.DatetimeIndex) -> str:
    if (labels.day == 1).all():
        return "M"
    if (labels.dayofweek == 0).all():
        return "W"
    return "D"


def _kpi_name(frame: pd.DataFrame, kpis, default: str) -> pd.Series:
    if "kpi" in frame.columns:
        return frame["kpi"].astype("string")
    if kpis is None:
        name = default
    else:
        names = [kpis] if isinstance(kpis, str) else list(kpis)
        if len(names) != 1:
            raise ParameterError(f"aggregates without a 'kpi' column take one KPI name in kpis=, got {names}")
        name = names[0]
    return pd.Series(name, index=frame.index, dtype="string")


def aggregate_kpis(frame, *, by, freq=None, kpis=None, as_of=None) -> pd.DataFrame:
    """The KPI table of aggregates (see the module doc); same columns as :func:`qoswb.metrics.kpis`."""
    check_frame(frame, "aggregates", required=[*by, "period"])
    proportion = "numerator" in frame.columns and "denominator" in frame.columns
    if not proportion and "value" not in frame.columns:
        raise DataError("aggregates need 'numerator' and 'denominator' columns, or a 'value' column")
    period = frame["period"]
    if isinstance(period.dtype, pd.DatetimeTZDtype):
        period = period.dt.tz_localize(None)
    try:
        period = pd.to_datetime(period)
    except (TypeError, ValueError) as exc:
        raise DataError(f"aggregates column 'period' must hold dates: {exc}") from None
    if period.isna().any():
        raise DataError(f"aggregates column 'period' is empty in row {int(np.flatnonzero(period.isna())[0])}")
    work = frame[by].copy()
    work["period"] = period.astype("datetime64[ns]")
    work["kpi"] = _kpi_name(frame, kpis, "proportion" if proportion else "value")
    if proportion:
        num, den = numbers_of(frame, "numerator"), numbers_of(frame, "denominator")
        for bad, what in ((num > den, "numerator is larger than denominator"), (den < 0, "denominator is negative"),
                          (num < 0, "numerator is negative")):
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DataError(f"aggregates: {what} in {int(bad.sum())} row(s), first at row {row}")
        work["numerator"], work["denominator"] = num, den
        keys = [*by, "period", "kpi"]
        work = work.groupby(keys, sort=True, observed=True, dropna=False)[["numerator", "denominator"]] \
            .sum(min_count=1).reset_index()
        with np.errstate(invalid="ignore", divide="ignore"):
            work["value"] = np.where(work["denominator"] > 0, work["numerator"] / work["denominator"], np.nan)
        work["unit"], work["chart"] = "proportion", "p"
    else:
        work["value"] = numbers_of(frame, "value")
        if work.duplicated([*by, "period", "kpi"]).any():
            raise DataError("aggregates with a 'value' have several rows for the same group, period and KPI")
        work = work.sort_values([*by, "period", "kpi"], ignore_index=True)
        work["numerator"], work["denominator"], work["unit"], work["chart"] = np.nan, np.nan, "value", "i"
    work["se"] = np.nan
    work["polarity"] = _polarity(frame, work)
    labels = pd.DatetimeIndex(work["period"])
    freq = periods.normalise_freq(freq) if freq is not None else _infer_freq(labels)
    if as_of is None:
        work["complete"] = True
    else:
        ends = periods.starts(periods.label_codes(labels, freq) + 1, freq)
        work["complete"] = ends <= pd.Timestamp(as_of).tz_localize(None) if pd.Timestamp(as_of).tzinfo \
            else ends <= pd.Timestamp(as_of)
    table = work[[*by, *COLUMNS]].reset_index(drop=True)
    table.attrs["notes"] = []
    return table


def _polarity(frame, work) -> np.ndarray:
    known = work["kpi"].map(registry.KPIS["polarity"]).astype("Float64")
    fallback = 1
    if "polarity" in frame.columns:
        values = frame["polarity"].dropna().unique()
        if len(values) == 1:
            fallback = int(values[0])
    return known.fillna(fallback).astype("int64").to_numpy()
