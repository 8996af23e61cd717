"""Reading the dates people type (due dates, change dates) into one kind of value.

>>> as_timestamp("2026-03-31", "action.due").date()
datetime.date(2026, 3, 31)
"""

import pandas as pd

from qoswb.errors import ParameterError


def as_timestamp(value, where: str) -> pd.Timestamp:
    """A pandas Timestamp from a date, datetime or ISO text; ParameterError naming ``where``."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ParameterError(f"{where}={value!r}: expected a date such as '2026-03-31'")
    return stamp
