"""Assign timestamps to periods in their own local time, and judge which periods are complete.

Weeks and days are counted on the organisation's wall clock, so an interaction
opened at 00:30 on Monday in London belongs to that Monday's week whatever the
UTC offset; the DST changes (Europe/London: last Sunday of March and of October)
make a week 167 or 169 hours long but change nothing else. Periods are kept as
integer codes while computing (days since 1970-01-01, Monday-weeks, months,
quarters) and turned into dates only at the end.

Period labels are *naive* datetimes: the local date on which the period starts,
like the ``period`` column of aggregates.

A period is **complete** when the data covers all of it. The data covers from
the start of the local day of its earliest ``opened_at`` to ``as_of``: by default
the end of the local day of its latest timestamp (so data exported on a
Wednesday afternoon makes that Wednesday's week incomplete, and a day with data
counts as a whole day); pass ``as_of=`` (a timestamp) when you know up to when
the export is complete.

>>> import pandas as pd
>>> t = pd.Series(pd.to_datetime(["2024-03-31 00:30", "2024-03-31 23:30"])).dt.tz_localize("Europe/London")
>>> starts(codes(wall_clock(t, "opened_at"), "W"), "W").strftime("%Y-%m-%d").tolist()
['2024-03-25', '2024-03-25']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qoswb.errors import DataError
from qoswb.grains import grain

# 1970-01-01 was a Thursday: shifting by 3 days makes week codes start on Mondays.
_MONDAY_SHIFT = 3
_DAY_NS = 86_400_000_000_000


def normalise_freq(freq: str) -> str:
    """One of "D", "W" (weeks starting Monday), "M", "Q" for the accepted spellings (:mod:`qoswb.grains`).

    >>> normalise_freq("weekly")
    'W'
    """
    return grain(freq).freq


def check_tz(values: pd.Series, column: str) -> None:
    """Raise a DataError unless ``values`` is a timezone-aware datetime column."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return
    if pd.api.types.is_datetime64_dtype(dtype):
        raise DataError(
            f"column {column!r} holds naive timestamps; qoswb counts periods in local time, so "
            f"give it a timezone (e.g. .dt.tz_localize('Europe/London') or the loader mapping's timezone)"
        )
    if dtype == object:
        zones = {getattr(v, "tzinfo", None) and str(v.tzinfo) for v in values.dropna().head(10_000)}
        if len(zones) > 1:
            raise DataError(
                f"column {column!r} mixes timezones ({', '.join(sorted(map(str, zones)))}); "
                f"convert it to the organisation's one timezone with .dt.tz_convert first"
            )
    raise DataError(f"column {column!r} must hold timezone-aware timestamps, not {dtype}")


def wall_clock(values: pd.Series, column: str) -> np.ndarray:
    """Local wall-clock times as naive datetime64[ns] (NaT kept), after checking the timezone."""
    check_tz(values, column)
    return values.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def codes(wall: np.ndarray, freq: str) -> np.ndarray:
    """Integer period codes (int64; NaT gives the minimum int64) of naive wall-clock times."""
    freq = normalise_freq(freq)
    nat = np.isnat(wall)
    if freq in ("M", "Q"):
        out = wall.astype("datetime64[M]").view(np.int64)
        if freq == "Q":
            out //= 3
    else:  # one new array, then in place: days since 1970-01-01, or Monday weeks
        out = np.floor_divide(np.asarray(wall, dtype="datetime64[ns]").view(np.int64), _DAY_NS)
        if freq == "W":
            out += _MONDAY_SHIFT
            out //= 7
    out[nat] = np.iinfo(np.int64).min
    return out


def starts(period_codes: np.ndarray, freq: str) -> pd.DatetimeIndex:
    """The local start date (naive, midnight) of each period code.

    >>> starts(np.array([0]), "M")[0]
    Timestamp('1970-01-01 00:00:00')
    """
    freq = normalise_freq(freq)
    c = np.asarray(period_codes, dtype=np.int64)
    if freq == "D":
        days = c.astype("datetime64[D]")
    elif freq == "W":
        days = (c * 7 - _MONDAY_SHIFT).astype("datetime64[D]")
    elif freq == "M":
        days = c.astype("datetime64[M]").astype("datetime64[D]")
    else:
        days = (c * 3).astype("datetime64[M]").astype("datetime64[D]")
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def label_codes(labels, freq: str) -> np.ndarray:
    """Period codes of period labels or any naive local timestamps (inverse of ``starts``)."""
    return codes(pd.DatetimeIndex(labels).to_numpy(dtype="datetime64[ns]"), freq)


def coverage_end(latest_wall: np.datetime64, as_of, tz) -> np.datetime64:
    """The naive local instant up to which the data is complete (see the module doc)."""
    if as_of is None:
        return (latest_wall.astype("datetime64[D]") + np.timedelta64(1, "D")).astype("datetime64[ns]")
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)
    return np.datetime64(stamp.tz_convert(tz).tz_localize(None).as_unit("ns").to_datetime64())


def completeness(period_codes: np.ndarray, freq: str, first_wall, end_wall) -> np.ndarray:
    """True where the period [start, next start) lies within [day of first_wall, end_wall]."""
    begin = np.datetime64(first_wall, "D").astype("datetime64[ns]")
    period_start = starts(period_codes, freq).to_numpy()
    period_end = starts(np.asarray(period_codes) + 1, freq).to_numpy()
    return (period_start >= begin) & (period_end <= np.datetime64(end_wall, "ns"))
