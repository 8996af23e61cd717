"""Reading the dates people type (due dates, change dates) into one kind of value.

A date outside :data:`EARLIEST` to :data:`YEARS_AHEAD` years from today is refused:
``2062`` for ``2026`` is a typo that would otherwise sit in the record, and a change
dated before any data would make every Check compare nothing.

>>> as_timestamp("2026-03-31", "action.due").date()
datetime.date(2026, 3, 31)
>>> as_timestamp("1926-03-31", "change.changed_on")
Traceback (most recent call last):
...
qoswb.errors.ParameterError: change.changed_on='1926-03-31': expected a date from 1990-01-01 ...
"""

import pandas as pd

from qoswb.errors import ParameterError

EARLIEST = pd.Timestamp("1990-01-01")  # as the loaders' default plausible range
YEARS_AHEAD = 5  # a due date may be planned ahead; further is a typo


def latest() -> pd.Timestamp:
    """The last date accepted: :data:`YEARS_AHEAD` years from today."""
    return pd.Timestamp.today().normalize() + pd.DateOffset(years=YEARS_AHEAD)


def as_timestamp(value, where: str) -> pd.Timestamp:
    """A pandas Timestamp from a date, datetime or ISO text; ParameterError naming ``where``."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ParameterError(f"{where}={value!r}: expected a date such as '2026-03-31'")
    naive = stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    if not EARLIEST <= naive <= latest():
        raise ParameterError(f"{where}={value!r}: expected a date from {EARLIEST.date()} to "
                             f"{latest().date()} ({YEARS_AHEAD} years from today)")
    return stamp
