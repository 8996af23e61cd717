"""Recognising a timestamp column's format when the mapping gives none.

ISO 8601 (``2024-03-01 09:00``, ``2024-03-01T09:00:00+01:00``) is read as it is.
Otherwise the column's values are tried as day-first and as month-first dates
(``/``, ``-`` or ``.`` between the parts, a four-digit year, with or without
``HH:MM`` or ``HH:MM:SS``), each strictly: the order that reads more values
wins, if it reads more than ISO does (else the odd values are rejected rows).
A column where both orders read every value alike (no day above 12) is
ambiguous: a :class:`~qoswb.errors.DataError` asks for its format.

>>> import pyarrow as pa
>>> guess_format(pa.array(["25/03/2024 09:00", "01/04/2024 10:30"]), "opened_at")
'%d/%m/%Y %H:%M'
>>> guess_format(pa.array(["03-25-2024", "04-01-2024"]), "opened_at")
'%m-%d-%Y'
>>> guess_format(pa.array(["2024-03-25 09:00:00"]), "opened_at") is None
True
>>> guess_format(pa.array(["03/04/2024"]), "opened_at")
Traceback (most recent call last):
...
qoswb.errors.DataError: column opened_at: its dates (e.g. '03/04/2024') read as day/month and as month/day alike; give its format in the mapping, e.g. formats: {opened_at: '%d/%m/%Y'}
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.errors import DataError

SAMPLE = 5_000  # distinct values tried: enough to meet a day above 12 in any real export
_ISO = r"^\s*\d{4}-\d{1,2}-\d{1,2}"
_TIMES = ("", " %H:%M", " %H:%M:%S")
ORDERS = {"day/month": "%d{0}%m{0}%Y", "month/day": "%m{0}%d{0}%Y"}


def _sample(arr):
    """Distinct non-empty values from the column's start (a slice first: the column may be long)."""
    text = pc.utf8_trim_whitespace(pc.cast(arr.slice(0, SAMPLE * 4), pa.string()))
    text = text.filter(pc.fill_null(pc.not_equal(text, ""), False))
    return pc.unique(text)[:SAMPLE]


def guess_format(arr, label: str, name: str | None = None, setting: str | None = None) -> str | None:
    """The strptime format of text column ``arr``, or None when it is ISO 8601 (or unrecognised:
    its values are then rejected as unparseable). ``label`` names the column in the error;
    ``setting``, the mapping key that would give its format (default ``formats: {name: ...}``)."""
    from qoswb.data.validate import _strptime

    sample = _sample(arr)
    iso = int(np.asarray(pc.match_substring_regex(sample, _ISO)).sum())
    if iso == len(sample):
        return None
    best = {}
    for sep in "/-.":
        for order, date in ORDERS.items():
            for time in _TIMES:
                fmt = date.format(sep) + time
                read = int(np.asarray(pc.is_valid(_strptime(sample, fmt))).sum())
                if read > best.get(order, (0, None))[0]:
                    best[order] = (read, fmt)
    if not best or max(read for read, _ in best.values()) <= iso:  # mostly ISO: the others are bad rows
        return None
    (first, (read, fmt)), *rest = sorted(best.items(), key=lambda item: -item[1][0])
    if rest and rest[0][1][0] == read:
        example = sample.filter(pc.is_valid(_strptime(sample, fmt)))[0].as_py()
        setting = f"{setting}: {fmt!r}" if setting else f"formats: {{{name or label}: {fmt!r}}}"
        raise DataError(f"column {label}: its dates (e.g. {example!r}) read as day/month and as month/day "
                        f"alike; give its format in the mapping, e.g. {setting}")
    return fmt


_WORDS = {"%d": "dd", "%m": "mm", "%Y": "yyyy", "%H": "HH", "%M": "MM", "%S": "SS"}


def in_words(fmt: str) -> str:
    """A strptime format as a person writes it.

    >>> in_words("%d/%m/%Y %H:%M")
    'dd/mm/yyyy HH:MM'
    """
    for code, word in _WORDS.items():
        fmt = fmt.replace(code, word)
    return fmt
