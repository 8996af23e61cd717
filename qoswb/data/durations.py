"""Durations in an export (``First reply time in minutes``, Freshdesk's ``(in hrs)`` as ``hh:mm:ss``)
and the timestamps they lead to (``{after: opened_at, minutes: "First reply time in minutes"}``).

A duration cell holds a number in the column's unit (``90``, ``1.5``) or clock
text ``h:mm`` / ``h:mm:ss`` (hours may exceed 24), whatever the unit.

>>> import pyarrow as pa
>>> parsed = parse_duration(pa.array(["90", "1:30:00", "", "soon"]), "minutes")
>>> parsed.values.to_pylist()[:2], parsed.missing.tolist(), parsed.bad.tolist()
([5400.0, 5400.0], [False, False, True, False], [False, False, False, True])
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.data.mapping import DURATION_UNITS
from qoswb.data.validate import UNIT, Parsed, parse

_CLOCK = r"^(?P<h>\d+):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d(?:\.\d+)?))?$"


def parse_duration(arr, unit: str, decimal=None) -> Parsed:
    """Seconds (float) of each cell, read as a number of ``unit`` or as ``h:mm[:ss]``."""
    text = pc.utf8_trim_whitespace(pc.cast(arr, pa.string()))
    number = parse(text, "number", decimal=decimal)
    seconds = np.array(pc.multiply(number.values, float(DURATION_UNITS[unit])).to_numpy(zero_copy_only=False),
                       dtype=float)  # a copy: written to below
    clock = pc.extract_regex(text, _CLOCK)
    is_clock = np.asarray(pc.is_valid(clock).to_numpy(zero_copy_only=False), bool)
    if is_clock.any():
        def part(i):
            field = pc.struct_field(clock, [i])
            field = pc.if_else(pc.equal(field, ""), "0", field)  # no seconds given
            return np.asarray(pc.cast(field, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)

        seconds = np.where(is_clock, part(0) * 3600 + part(1) * 60 + part(2), seconds)
    bad = (number.bad & ~is_clock) | (np.nan_to_num(seconds) < 0)  # a negative wait is no duration
    seconds[bad] = np.nan
    values = pa.array(seconds, pa.float64(), from_pandas=True)
    return Parsed(values, number.missing, bad)


def after(base: Parsed, duration: Parsed) -> Parsed:
    """The timestamps ``duration`` after ``base``: missing where the duration is (an open ticket
    has no reply yet), unparseable where it is."""
    micro = pc.cast(pc.round(pc.multiply(duration.values, 1e6)), pa.int64()).cast(pa.duration(UNIT))
    return Parsed(pc.add(base.values, micro), duration.missing, duration.bad)


def unit_of(spec: dict) -> str | None:
    """The duration unit a column spec gives (``minutes`` in ``{after: ..., minutes: ...}``), or None."""
    return next((u for u in DURATION_UNITS if u in spec), None)
