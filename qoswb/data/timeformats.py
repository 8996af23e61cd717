"""Recognising a timestamp column's format when the mapping gives none.

ISO 8601 (``2024-03-01 09:00``, ``2024-03-01T09:00:00+01:00``) is read as it is.
Otherwise the column's values are tried as day-first and as month-first dates
(``/``, ``-`` or ``.`` between the parts, a four-digit year, with or without
``HH:MM`` or ``HH:MM:SS``, 24-hour or 12-hour with AM/PM: ``10/14/2026 03:19 PM``),
each strictly: the order that reads more values wins, if it reads more than ISO
does (else the odd values are rejected rows). Within that order a column may mix
formats (a Salesforce export writes most times with AM/PM and a few in 24-hour
time): the formats that between them read its values are all kept, best first,
as a mapping may list them (``formats: {opened_at: ['%m/%d/%Y %I:%M %p',
'%m/%d/%Y %H:%M']}``: each value takes the first that reads it). A column where
both orders read every value alike (no day above 12) is ambiguous: a
:class:`~qoswb.errors.DataError` asks for its format.

>>> import pyarrow as pa
>>> guess_format(pa.array(["25/03/2024 09:00", "01/04/2024 10:30"]), "opened_at")
'%d/%m/%Y %H:%M'
>>> guess_format(pa.array(["03-25-2024", "04-01-2024"]), "opened_at")
'%m-%d-%Y'
>>> guess_format(pa.array(["10/14/2026 03:19 PM", "10/15/2026 9:02 am", "10/15/2026 17:40"]), "opened_at")
('%m/%d/%Y %I:%M %p', '%m/%d/%Y %H:%M')
>>> guess_format(pa.array(["2024-03-25 09:00:00"]), "opened_at") is None
True
>>> guess_format(pa.array(["03/04/2024"]), "opened_at")
Traceback (most recent call last):
...
qoswb.errors.DataError: column opened_at: its dates (e.g. '03/04/2024') read as day/month and as month/day alike; give its format in the mapping, e.g. formats: {opened_at: '%d/%m/%Y'}
"""

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.errors import DataError, ParameterError

SAMPLE = 5_000  # distinct values tried, half from the start and half from across the column
_ISO = r"^\s*\d{4}-\d{1,2}-\d{1,2}"
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
ORDERS = {"day/month": "%d{0}%m{0}%Y", "month/day": "%m{0}%d{0}%Y"}
# strptime directives the reader takes (pyarrow's strptime); a format without a year reads no date
DIRECTIVES = ("%a", "%A", "%b", "%B", "%h", "%d", "%e", "%j", "%m", "%y", "%Y", "%H", "%I", "%M", "%S", "%p",
              "%f", "%z", "%F", "%D", "%T", "%R", "%%")
_DATED = ("%Y", "%y", "%F", "%D")


def candidates(order: str) -> list[str]:
    """The formats tried for one order of day and month (``day/month`` or ``month/day``), in order of preference.

    >>> candidates("month/day")[:2]
    ['%m/%d/%Y', '%m/%d/%Y %H:%M']
    """
    return [ORDERS[order].format(sep) + time for sep in "/-." for time in _TIMES]


def _sample(arr):
    """Distinct non-empty values from the column's start and from evenly spaced rows across it (a
    slice and a stride: the column may be long). Not the start alone: the first 5,000 distinct times
    of a busy desk's export, in the order it was opened, can all fall in its first few days, with
    no day above 12 among them."""
    spread = np.linspace(0, len(arr) - 1, min(len(arr), SAMPLE // 2)).astype(np.int64)  # not capped below
    parts = []
    for part in (arr.slice(0, SAMPLE * 2), arr.take(pa.array(spread))):
        text = pc.utf8_trim_whitespace(pc.cast(part, pa.string()))
        text = text.filter(pc.fill_null(pc.not_equal(text, ""), False))
        parts.append(pc.unique(text)[:SAMPLE // 2])
    return pc.unique(pa.concat_arrays(parts))


def _cover(sample, formats) -> tuple[list, int]:
    """The formats that between them read most of ``sample``, chosen greedily (the one reading most
    of what is left first, ties to the earlier), and how many values they read."""
    from qoswb.data.validate import _strptime

    reads = {fmt: np.asarray(pc.is_valid(_strptime(sample, fmt))) for fmt in formats}
    unread = np.ones(len(sample), bool)
    chosen = []
    while True:
        gain, fmt = max(((int((mask & unread).sum()), fmt) for fmt, mask in reads.items()), key=lambda x: x[0])
        if gain == 0:
            return chosen, int((~unread).sum())
        chosen.append(fmt)
        unread &= ~reads[fmt]


def _one_or_all(formats):
    return formats[0] if len(formats) == 1 else tuple(formats)


def guess_format(arr, label: str, name: str | None = None, setting: str | None = None):
    """The strptime format of text column ``arr`` (a tuple of them, best first, when its values mix
    formats of one order), or None when it is ISO 8601 (or unrecognised: its values are then rejected
    as unparseable). ``label`` names the column in the error; ``setting``, the mapping key that would
    give its format (default ``formats: {name: ...}``)."""
    from qoswb.data.validate import _strptime

    sample = _sample(arr)
    iso = int(np.asarray(pc.match_substring_regex(sample, _ISO)).sum())
    if iso == len(sample):
        return None
    best = {order: _cover(sample, candidates(order)) for order in ORDERS}
    if max(read for _, read in best.values()) <= iso:  # mostly ISO: the others are bad rows
        return None
    (_, (formats, read)), *rest = sorted(best.items(), key=lambda item: -item[1][1])
    if rest and rest[0][1][1] == read:
        example = sample.filter(pc.is_valid(_strptime(sample, formats[0])))[0].as_py()
        fmt = _one_or_all(formats)
        shown = repr(fmt if isinstance(fmt, str) else list(fmt))
        setting = f"{setting}: {shown}" if setting else f"formats: {{{name or label}: {shown}}}"
        raise DataError(f"column {label}: its dates (e.g. {example!r}) read as day/month and as month/day "
                        f"alike; give its format in the mapping, e.g. {setting}")
    return _one_or_all(formats)


def suggest(values) -> str | tuple | None:
    """A format (or formats) that reads most of ``values`` (text that did not parse), for a hint; None
    when none reads any, or when day/month and month/day read them alike.

    >>> suggest(["10/14/2026 03:19 PM"])
    '%m/%d/%Y %I:%M %p'
    >>> suggest(["soon"]) is None
    True
    """
    sample = _sample(pa.array(values, pa.string()))
    best = {order: _cover(sample, candidates(order)) for order in ORDERS}
    reads = sorted((read for _, read in best.values()), reverse=True)
    if reads[0] == 0 or reads[0] == reads[1]:
        return None
    return _one_or_all(max(best.values(), key=lambda b: b[1])[0])


def shown(fmt) -> str:
    """A format, or a list of them, as a mapping writes it (YAML).

    >>> shown(("%d/%m/%Y", "%d/%m/%Y %H:%M"))
    "['%d/%m/%Y', '%d/%m/%Y %H:%M']"
    """
    return repr(fmt if isinstance(fmt, str) else list(fmt))


def check_format(value, where: str):
    """A mapping's format, checked: a strptime format, or a list of them tried in turn (a tuple is
    returned); ``number`` (periods given as numbers) as it is. A directive strptime does not know, or a
    format with no year in it, is a ParameterError naming ``where`` (the column) and the format.

    >>> check_format(["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M"], "formats: opened_at")
    ('%m/%d/%Y %I:%M %p', '%m/%d/%Y %H:%M')
    >>> check_format("%m/%d/%Y %I:%M %P", "formats: resolved_at")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: formats: resolved_at: '%m/%d/%Y %I:%M %P' has %P, which strptime does not know (did you mean '%p'?); use %d %m %Y %H %M %S, %I with %p for AM/PM, %b for a month's name
    """
    from qoswb.data.columns import did_you_mean

    formats = [value] if isinstance(value, str) else value
    if not isinstance(formats, (list, tuple)) or not formats or not all(isinstance(f, str) and f for f in formats):
        raise ParameterError(f"{where}: a format is a strptime text such as '%d/%m/%Y %H:%M', or a list of "
                             f"them tried in turn, not {value!r}")
    if value == "number":
        return value
    for fmt in formats:
        for code in re.findall(r"%.?", fmt):
            if code not in DIRECTIVES:
                near = [d for d in DIRECTIVES if d.lower() == code.lower()]
                hint = did_you_mean(code, near) if near else ""
                raise ParameterError(f"{where}: {fmt!r} has {code}, which strptime does not know{hint}; use "
                                     "%d %m %Y %H %M %S, %I with %p for AM/PM, %b for a month's name")
        if not any(code in fmt for code in _DATED):
            raise ParameterError(f"{where}: {fmt!r} has no year (%Y), so it reads no date; a timestamp "
                                 "format looks like '%d/%m/%Y %H:%M'")
    return formats[0] if isinstance(value, str) else tuple(formats)


_WORDS = {"%d": "dd", "%m": "mm", "%Y": "yyyy", "%H": "HH", "%I": "hh", "%M": "MM", "%S": "SS", "%p": "AM/PM"}


def in_words(fmt) -> str:
    """A strptime format (or several, tried in turn) as a person writes it.

    >>> in_words("%d/%m/%Y %H:%M")
    'dd/mm/yyyy HH:MM'
    >>> in_words(("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M"))
    'mm/dd/yyyy hh:MM AM/PM or mm/dd/yyyy HH:MM'
    """
    if not isinstance(fmt, str):
        return " or ".join(in_words(f) for f in fmt)
    for code, word in _WORDS.items():
        fmt = fmt.replace(code, word)
    return fmt
