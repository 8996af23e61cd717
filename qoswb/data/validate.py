"""Typing columns, vectorised: each parser returns the typed array and which rows failed.

Every parser takes a pyarrow array as read (strings from CSV, or already typed
from Parquet/SQL/DataFrames) and returns a :class:`Parsed`: ``values`` (typed
pyarrow array, null where missing or bad), ``missing`` (empty or null in the
source) and ``bad`` (present but not readable) as numpy bool arrays. No Python
loop runs over rows.

Booleans: true/false, yes/no, y/n, 1/0, t/f in any case. Timestamps: ISO 8601
unless a strptime format is given; naive ones are read in the mapping's timezone
(UTC when none), the ambiguous autumn hour as its first occurrence and a time in
the spring gap as the first instant after it; ones with an offset are converted.

>>> import pyarrow as pa
>>> from qoswb.data.validate import parse
>>> p = parse(pa.array(["yes", "N", "maybe", ""]), "boolean")
>>> p.values.to_pylist(), p.bad.tolist(), p.missing.tolist()
([True, False, None, None], [False, False, True, False], [False, False, False, True])
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TRUE = ["true", "yes", "y", "1", "t"]
FALSE = ["false", "no", "n", "0", "f"]
NUMBER = r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|(?i:inf|infinity))$"  # infinities: read, then rejected
ISO_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
UNIT = "us"


@dataclass
class Parsed:
    values: pa.Array
    missing: np.ndarray
    bad: np.ndarray
    # readable but unusable: infinite, or too large for its type (1e999, an integer beyond 64 bits);
    # its values are null, so nothing downstream computes with them
    extreme: np.ndarray | None = None
    unnamed: np.ndarray | None = None  # values a recode (values:) does not name
    format: str | None = None  # the timestamp format recognised in the column's text (none given)


INT64_LIMIT = 2.0 ** 63


def _finite(values, missing, bad) -> Parsed:
    """A float column with infinities marked extreme and set to null."""
    infinite = _np(pc.fill_null(pc.is_inf(values), False))
    if infinite.any():
        values = pc.if_else(pa.array(infinite), pa.scalar(None, pa.float64()), values)
    return Parsed(values, missing, bad, infinite)


def _np(mask) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _null_where(arr, mask):
    """``arr`` with nulls where ``mask`` is true, reusing the string buffers (no copy of text)."""
    valid = pc.and_(pc.is_valid(arr), pc.invert(mask))
    if isinstance(arr, pa.ChunkedArray):
        arr, valid = arr.combine_chunks(), valid.combine_chunks() if isinstance(valid, pa.ChunkedArray) else valid
    if arr.offset or valid.offset:
        return pc.if_else(valid, arr, pa.scalar(None, arr.type))
    bitmap = pc.cast(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(arr.type, len(arr), [bitmap, *arr.buffers()[1:]])


def _has_edge_space(arr) -> bool:
    """Whether any value starts or ends with a space or tab (prefix tests: far cheaper than a regex)."""
    for ch in (" ", "\t"):
        for test in (pc.starts_with, pc.ends_with):
            if pc.any(test(arr, ch)).as_py():
                return True
    return False


def _text(arr):
    """Text with surrounding spaces trimmed and empty values as null, and the missing mask.

    Trimming copies every string, so it only happens when some value needs it."""
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    if _has_edge_space(arr):
        arr = pc.utf8_trim_whitespace(arr)
    empty = pc.fill_null(pc.equal(arr, ""), True)
    missing = _np(empty)
    if missing.any():
        arr = _null_where(arr, empty)
    return arr, missing


def parse(arr, kind: str, *, fmt: str | None = None, timezone: str | None = None,
          decimal: str | None = None) -> Parsed:
    """Type one column as ``kind`` (string, timestamp, date, integer, number, boolean)."""
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return _PARSERS[kind](arr, fmt=fmt, timezone=timezone, decimal=decimal)


def _parse_string(arr, **_):
    values, missing = _text(arr) if not pa.types.is_dictionary(arr.type) else _text(arr.cast(pa.string()))
    return Parsed(values, missing, np.zeros(len(arr), bool))


def _parse_number(arr, *, decimal=None, **_):
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
        values = pc.cast(arr, pa.float64())
        missing = _np(pc.is_null(values, nan_is_null=True))
        return _finite(values, missing, np.zeros(len(arr), bool))
    if pa.types.is_boolean(arr.type):
        return Parsed(pc.cast(arr, pa.float64()), _np(pc.is_null(arr)), np.zeros(len(arr), bool))
    text, missing = _text(arr)
    if decimal and decimal != ".":
        text = pc.replace_substring(pc.replace_substring(text, ".", ""), decimal, ".")
    ok = pc.fill_null(pc.match_substring_regex(text, NUMBER), False)
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, text.type)), pa.float64())
    return _finite(values, missing, ~_np(ok) & ~missing)


def _parse_integer(arr, **kw):
    if pa.types.is_integer(arr.type) and arr.type != pa.uint64():  # whole already: exact, no floats
        values = pc.cast(arr, pa.int64())
        return Parsed(values, _np(pc.is_null(values)), np.zeros(len(arr), bool), np.zeros(len(arr), bool))
    p = _parse_number(arr, **kw)
    floats = p.values
    too_large = _np(pc.fill_null(pc.greater_equal(pc.abs(floats), INT64_LIMIT), False))
    whole = _np(pc.fill_null(pc.equal(pc.floor(floats), floats), True))
    bad = p.bad | (~whole & ~too_large)
    clean = pc.if_else(pa.array(whole & ~too_large), floats, pa.scalar(None, pa.float64()))
    return Parsed(pc.cast(clean, pa.int64()), p.missing, bad, p.extreme | too_large)


def _parse_boolean(arr, **_):
    if pa.types.is_boolean(arr.type):
        return Parsed(arr, _np(pc.is_null(arr)), np.zeros(len(arr), bool))
    text, missing = _text(arr)
    if pa.types.is_floating(arr.type):  # 1.0/0.0 from a numeric source
        text = pc.replace_substring_regex(text, r"\.0+$", "")
    lower = pc.utf8_lower(text)
    is_true, is_false = pc.is_in(lower, pa.array(TRUE)), pc.is_in(lower, pa.array(FALSE))
    known = pc.or_(is_true, is_false)
    values = pc.if_else(known, is_true, pa.scalar(None, pa.bool_()))
    return Parsed(values, missing, ~_np(known) & ~missing)


def _hour12(parsed):
    hour = pc.hour(parsed)
    return pc.if_else(pc.equal(hour, 0), 12, pc.if_else(pc.greater(hour, 12), pc.subtract(hour, 12), hour))


_FIELDS = {"%d": pc.day, "%m": pc.month, "%Y": pc.year, "%H": pc.hour, "%M": pc.minute, "%S": pc.second,
           "%I": _hour12}


def _same_fields(text, parsed, fmt: str):
    """Whether each number in ``text`` is the one the parsed timestamp has in its place (31/02 read
    as 02/03 is not), for formats of numbers, separators and AM/PM only; None for other formats.
    Splitting at the separators and comparing numbers is several times cheaper than formatting again."""
    import re

    pieces = re.split(r"(%.)", fmt)
    directives, literals = pieces[1::2], pieces[0::2]
    if not directives or any(d not in _FIELDS and d != "%p" for d in directives) or not all(literals[1:-1]):
        return None
    mark = "\x1f"
    for literal in sorted(set(filter(None, literals)), key=len, reverse=True):
        if mark in literal:
            return None
        text = pc.replace_substring(text, literal, mark)
    tokens = pc.split_pattern(text, mark)
    skip = 1 if literals[0] else 0  # a separator before the first field leaves an empty token
    same = pc.equal(pc.list_value_length(tokens), len(directives) + skip + (1 if literals[-1] else 0))
    if not pc.all(pc.fill_null(same, True)).as_py():  # some have other fields: no element to take
        tokens = pc.if_else(same, tokens, pa.scalar(None, tokens.type))
    for i, directive in enumerate(directives):
        token = pc.list_element(tokens, i + skip)
        if directive == "%p":  # AM/PM in any case, on the side of noon the hour is
            noon = pc.if_else(pc.greater_equal(pc.hour(parsed), 12), "pm", "am")
            same = pc.and_(same, pc.equal(pc.utf8_lower(token), noon))
            continue
        digits = pc.fill_null(pc.ascii_is_decimal(token), False)
        if not pc.all(pc.or_(digits, pc.is_null(token))).as_py():
            same = pc.and_(same, digits)
            token = pc.if_else(digits, token, pa.scalar(None, token.type))
        same = pc.and_(same, pc.equal(pc.cast(token, pa.int64()), pc.cast(_FIELDS[directive](parsed), pa.int64())))
    return same


def _strptime(text, fmt: str):
    """pyarrow's strptime, made strict: it rolls 31/02 over to 02/03, so a value is kept only
    when its numbers are the parsed timestamp's (or, for other formats, when formatting it again
    gives back the text, leading zeros and case aside)."""
    parsed = pc.strptime(text, format=fmt, unit=UNIT, error_is_null=True)
    if "%z" in fmt or "%f" in fmt:
        return parsed
    same = _same_fields(text, parsed, fmt)
    if same is not None:
        return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, parsed.type))
    again = pc.strftime(parsed.cast(pa.timestamp("s")), format=fmt)

    named = any(code in fmt for code in ("%a", "%A", "%b", "%B", "%h", "%p"))  # words whose case may differ

    def canon(a):
        return pc.replace_substring_regex(pc.utf8_lower(a) if named else a, r"(^|[^0-9])0+([0-9])", r"\1\2")

    same = pc.fill_null(pc.equal(canon(again), canon(text)), False)
    return pc.if_else(same, parsed, pa.scalar(None, parsed.type))


def _on_distinct(text, parse_text):
    """``parse_text(text)``, computed once per distinct value when values repeat (an event log
    repeats its case's opening time on every event): the strict strptime is the costly part."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if len(text) < 10_000:
        return parse_text(text)
    encoded = pc.dictionary_encode(text)
    if len(encoded.dictionary) * 2 > len(text):
        return parse_text(text)
    return pc.take(parse_text(encoded.dictionary), encoded.indices)


def _one_format(text, fmt: str):
    """(naive, instants) of ``text`` read with ``fmt``: naive local times, or UTC instants for a
    format with an offset (``%z``); the other is None."""
    if "%z" in fmt:
        return None, pc.strptime(text, format=fmt, unit=UNIT, error_is_null=True).cast(pa.timestamp(UNIT, "UTC"))
    return _on_distinct(text, lambda values: _strptime(values, fmt)), None


def _by_formats(text, formats: list):
    """(naive, instants) of ``text`` read with each format in turn, each over the values the
    earlier ones left unread (vectorised per format): the first format that reads a value wins."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    naive, instants = _one_format(text, formats[0])
    if len(formats) == 1:
        return (naive if naive is not None else pa.nulls(len(text), pa.timestamp(UNIT))), instants
    got = [naive if naive is not None else pa.nulls(len(text), pa.timestamp(UNIT)),
           instants if instants is not None else pa.nulls(len(text), pa.timestamp(UNIT, "UTC"))]
    offsets = instants is not None
    for fmt in formats[1:]:
        read = pc.or_(pc.is_valid(got[0]), pc.is_valid(got[1]))
        rest = pc.fill_null(pc.and_(pc.is_valid(text), pc.invert(read)), False)
        if not pc.any(rest).as_py():
            break
        more = _one_format(text.filter(rest), fmt)
        side = 0 if more[0] is not None else 1
        offsets |= side == 1
        got[side] = pc.replace_with_mask(got[side], rest, more[side])
    return got[0], (got[1] if offsets else None)


def _iso_parse(text):
    """Naive local timestamps and UTC instants from ISO 8601 text (fast path first)."""
    try:
        return pc.cast(text, pa.timestamp(UNIT)), None
    except pa.ArrowInvalid:
        pass
    try:
        return pa.nulls(len(text), pa.timestamp(UNIT)), pc.cast(text, pa.timestamp(UNIT, "UTC"))
    except pa.ArrowInvalid:
        pass
    naive = pa.nulls(len(text), pa.timestamp(UNIT))
    for fmt in ISO_FORMATS:
        naive = pc.coalesce(naive, _strptime(text, fmt))
    rest = _np(pc.and_(pc.is_null(naive), pc.is_valid(text)))
    if not rest.any():
        return naive, None
    # the few left (fractional seconds, offsets, odd spacing): pandas, on those rows only
    import pandas as pd

    values = pd.Series(text.filter(pa.array(rest)).to_pylist(), dtype=object)
    offset = values.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    local = pd.to_datetime(values.where(~offset), format="ISO8601", errors="coerce")
    utc = pd.to_datetime(values.where(offset), format="ISO8601", errors="coerce", utc=True)
    idx = np.flatnonzero(rest)
    local_full = np.full(len(text), np.datetime64("NaT"), dtype=f"datetime64[{UNIT}]")
    local_full[idx] = local.to_numpy(dtype=f"datetime64[{UNIT}]")
    utc_full = np.full(len(text), np.datetime64("NaT"), dtype=f"datetime64[{UNIT}]")
    utc_full[idx] = utc.dt.tz_localize(None).to_numpy(dtype=f"datetime64[{UNIT}]")
    naive = pc.coalesce(naive, pa.array(local_full, pa.timestamp(UNIT)))
    instants = pa.array(utc_full, pa.timestamp(UNIT)).cast(pa.timestamp(UNIT, "UTC"))
    return naive, instants


def _localise(naive, instants, timezone: str):
    tz = timezone or "UTC"
    target = pa.timestamp(UNIT, tz)
    out = pc.assume_timezone(naive, timezone=tz, ambiguous="earliest", nonexistent="latest").cast(target)
    if instants is not None:
        out = pc.coalesce(out, instants.cast(target))
    return out


def _within_microseconds(arr):
    """Days, seconds or milliseconds beyond what microseconds hold (years past 294,000) set to
    null and marked, so the cast can neither fail nor wrap them round into plausible dates."""
    if pa.types.is_date32(arr.type):
        per, stored = 86_400 * 10 ** 6, pa.int32()  # microseconds per day
    elif pa.types.is_date64(arr.type):
        per, stored = 10 ** 3, pa.int64()
    else:
        per, stored = {"s": 10 ** 6, "ms": 10 ** 3}.get(getattr(arr.type, "unit", None)), pa.int64()
    if per is None:
        return arr, np.zeros(len(arr), bool)
    count = pc.cast(arr.view(stored) if isinstance(arr, pa.Array) else pc.cast(arr, stored), pa.int64())
    beyond = pc.greater(pc.abs(count), (2 ** 63 - 1) // per)
    return pc.if_else(beyond, pa.scalar(None, arr.type), arr), _np(pc.fill_null(beyond, False))


def _parse_timestamp(arr, *, fmt=None, timezone=None, naive_result=False, **_):
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        arr, beyond = _within_microseconds(arr)
        # to microseconds; nanoseconds are dropped, not an error (no service clock logs them)
        ts = pc.cast(arr, pa.timestamp(UNIT, arr.type.tz), safe=False) if pa.types.is_timestamp(arr.type) \
            else pc.cast(arr, pa.timestamp(UNIT))
        missing = _np(pc.is_null(ts)) & ~beyond
        if naive_result:
            values = ts if ts.type.tz is None else ts.cast(pa.timestamp(UNIT))
        elif ts.type.tz is None:
            values = _localise(ts, None, timezone)
        else:  # already aware: into the mapping's timezone, else keep its own
            values = ts.cast(pa.timestamp(UNIT, timezone or ts.type.tz))
        return Parsed(values, missing, np.zeros(len(arr), bool), beyond)
    text, missing = _text(arr)
    if fmt:
        naive, instants = _by_formats(text, [fmt] if isinstance(fmt, str) else list(fmt))
    else:
        naive, instants = _iso_parse(text)
    if naive_result:
        values = naive if instants is None else pc.coalesce(naive, instants.cast(pa.timestamp(UNIT)))
    else:
        values = _localise(naive, instants, timezone)
    bad = _np(pc.is_null(values)) & ~missing
    return Parsed(values, missing, bad)


def _parse_date(arr, **kw):
    """A period start: a naive timestamp at the start of the day (no timezone)."""
    p = _parse_timestamp(arr, naive_result=True, **kw)
    return Parsed(pc.floor_temporal(p.values, unit="day"), p.missing, p.bad, p.extreme)


_PARSERS = {
    "string": _parse_string,
    "number": _parse_number,
    "integer": _parse_integer,
    "boolean": _parse_boolean,
    "timestamp": _parse_timestamp,
    "date": _parse_date,
}
