"""Event logs: one row per change of a case, collapsed to one row per case.

A mapping says a source is an event log with ``events: {case: number, order: sys_updated_at}``
(``order`` may list several columns, compared in turn: ``[sys_updated_at, sys_mod_count]``;
``case`` defaults to the column mapped to ``id``). Each canonical column takes its
case's last event's value, by ``order``, unless its spec says ``take: first``,
``min`` or ``max`` (min and max skip empty values; first and last take the event's
value as it is, empty or not: a reopened incident's cleared ``resolved_at`` stays
cleared). Events that tie on ``order`` keep the file's order.

Where it sits in a load (see :mod:`qoswb.data.loaders`): every event is read and
typed as a row would be, so a value that cannot be read names its file line;
a case with such an event, or with an event whose ``order`` is empty or
unreadable, is rejected whole. The case's row is then checked as a row is
(required values, ranges, timestamps in order). A rejected case's events are
all rejected rows, each with its own line and the case's reasons; an event with
no case is rejected alone. So events read = events in accepted cases + events
rejected, and cases read = cases accepted + cases rejected.

Vectorised: one stable sort of the events by case and order, then a take per
column; no Python loop runs per case.

>>> import numpy as np, pyarrow as pa
>>> cases = group(pa.array(["A", "B", "A", None]), [np.array([2.0, 1.0, 1.0, 5.0])])
>>> cases.count, cases.code.tolist()
(2, [0, 1, 0, -1])
>>> take(pa.array(["late", "b", "early", "x"]), "last", cases).to_pylist()
['late', 'b']
>>> take(pa.array(["late", "b", "early", "x"]), "first", cases).to_pylist()
['early', 'b']
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.errors import ParameterError

TAKES = ("last", "first", "min", "max")
EVENTS_KEYS = ("case", "order")


@dataclass(frozen=True)
class EventLog:
    """An event log's ``case`` column (None: the one mapped to ``id``) and ``order`` columns."""

    case: str | None
    order: tuple


def check_take(value, where: str) -> str:
    """``take:`` of a column spec, checked: one of last, first, min, max."""
    from qoswb.data.columns import did_you_mean

    if value not in TAKES:
        raise ParameterError(f"{where}: take should be one of {', '.join(TAKES)}, not {value!r}"
                             f"{did_you_mean(str(value), TAKES)}")
    return value


def read_events(value, origin: str) -> EventLog:
    """The mapping's ``events:`` as an :class:`EventLog`; a ParameterError names what is wrong.

    >>> read_events({"case": "number", "order": ["sys_updated_at", "sys_mod_count"]}, "m.yaml")
    EventLog(case='number', order=('sys_updated_at', 'sys_mod_count'))
    >>> read_events({"case": "number", "ordr": "x"}, "m.yaml")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: m.yaml: events: unknown key(s) ordr (did you mean 'order'?); events takes case (the column naming each case) and order (the column, or list of columns, that orders its events)
    """
    from qoswb.data.columns import did_you_mean

    example = "e.g. events: {case: number, order: sys_updated_at}"
    if not isinstance(value, dict):
        raise ParameterError(f"{origin}: events should be a mapping with case and order, {example}, not {value!r}")
    unknown = sorted(map(str, set(value) - set(EVENTS_KEYS)))
    if unknown:
        raise ParameterError(f"{origin}: events: unknown key(s) {', '.join(unknown)}"
                             f"{did_you_mean(unknown[0], EVENTS_KEYS)}; events takes case (the column naming "
                             "each case) and order (the column, or list of columns, that orders its events)")
    order = value.get("order")
    order = [order] if isinstance(order, str) else order
    if not order or not isinstance(order, list) or not all(isinstance(o, str) and o for o in order):
        raise ParameterError(f"{origin}: events: order should name the column (or a list of columns) that "
                             f"orders a case's events, {example}, not {value.get('order')!r}")
    case = value.get("case")
    if case is not None and (not isinstance(case, str) or not case):
        raise ParameterError(f"{origin}: events: case should name the column that says which case an event "
                             f"belongs to, {example}, not {case!r}")
    return EventLog(case, tuple(order))


@dataclass
class Cases:
    """Events grouped into cases: ``code`` (the case of each event, -1 for none), ``count``
    (cases), ``first`` and ``last`` (per case, the index of its first and last event by order)."""

    code: np.ndarray
    count: int
    first: np.ndarray
    last: np.ndarray

    @property
    def has_case(self) -> np.ndarray:
        return self.code >= 0

    def events(self) -> np.ndarray:
        """Events per case."""
        return np.bincount(self.code[self.has_case], minlength=self.count)

    def any(self, event_mask: np.ndarray) -> np.ndarray:
        """Per case: whether any of its events is in ``event_mask``."""
        hit = np.zeros(self.count, bool)
        hit[self.code[event_mask & self.has_case]] = True
        return hit

    def to_events(self, case_mask: np.ndarray, alone: np.ndarray | None = None) -> np.ndarray:
        """Per event: its case's value in ``case_mask``; events with no case take ``alone`` (else False)."""
        out = np.zeros(len(self.code), bool) if alone is None else alone.copy()
        out[self.has_case] = case_mask[self.code[self.has_case]]
        return out


def group(case, keys: list) -> Cases:
    """Group events by ``case`` (a pyarrow array of text; null: no case) and sort each case's events
    by ``keys`` (float arrays, compared in turn), ties in the file's order. Cases are numbered in
    the order they first appear."""
    encoded = pc.dictionary_encode(case.combine_chunks() if isinstance(case, pa.ChunkedArray) else case)
    code = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), np.int64)
    count = len(encoded.dictionary)
    position = np.arange(len(code))
    # np.lexsort sorts by its last key first; NaN orders last (such a case is rejected anyway)
    order = np.lexsort((position, *reversed([np.asarray(k, float) for k in keys]), code))
    order = order[code[order] >= 0]
    sorted_codes = code[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) if len(order) else \
        np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(order)].astype(np.int64)[: len(starts)] - 1
    first = np.empty(count, np.int64)
    last = np.empty(count, np.int64)
    first[sorted_codes[starts]] = order[starts]
    last[sorted_codes[starts]] = order[ends]
    return Cases(code, count, first, last)


def take(values, how: str, cases: Cases):
    """Per case, the value of ``values`` (one per event) its events give by ``how`` (see TAKES)."""
    if how in ("first", "last"):
        return values.take(pa.array(cases.first if how == "first" else cases.last))
    has = cases.has_case
    table = pa.table({"case": pa.array(cases.code[has]), "value": values.filter(pa.array(has))})
    grouped = table.group_by("case").aggregate([("value", how)]).sort_by("case")
    return grouped[f"value_{how}"].combine_chunks()
