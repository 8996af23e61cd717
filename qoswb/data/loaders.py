"""Load interactions, surveys or aggregates from any source into canonical, checked frames.

``load_interactions(source, mapping=None, **options)`` (and ``load_surveys``,
``load_aggregates``) read the source (see :mod:`qoswb.data.sources`), map its
columns (see :mod:`qoswb.data.mapping`), type them (see :mod:`qoswb.data.validate`),
check each row, and return a :class:`~qoswb.data.result.LoadResult`.

Row checks, in this order (a row's ``reason`` lists all that apply, joined by
"; "; ``summary["rejected_by_reason"]`` counts each rejected row once, under its
first reason, so those counts add up to ``summary["rejected"]``):

1. wrong number of cells (a CSV line that cannot be split into the header's columns);
2. missing required value (``id``, ``team``, ``opened_at`` / ``answered_at`` / ``period``);
3. unparseable timestamp, number, integer or boolean;
4. a number that is infinite or too large for its type (``inf``, ``1e999``, an integer beyond 64 bits);
5. a timestamp or period outside the plausible range: from 1990-01-01 until a year after
   today unless the mapping says otherwise (``timestamp_range: {from: 2015-01-01, until: 2030-12-31}``);
6. out of range: CSAT 1-5, NPS 0-10, CES 1-7; negative contacts, SLA, numerator or denominator;
7. first response or resolution before opening, resolution before first response;
   numerator above denominator;
8. duplicate key (``id``; ``team`` + ``period`` for aggregates): a row is rejected when an
   earlier row with the same key was accepted, so the first good one is kept.

An event log (``events: {case: number, order: sys_updated_at}`` in the mapping)
is read and typed event by event, so checks 1, 3 and 4 name the event's line and
reject its whole case (as does an empty or unreadable ``order``); its cases are
then collapsed to one row each and checks 2 and 5-7 run on those rows (see
:mod:`qoswb.data.events`). Every event of a rejected case is a rejected row.

Options (also accepted from the mapping): ``delimiter``, ``encoding``, ``decimal``
(``","`` for 1.234,5), ``sheet`` (Excel), ``table`` / ``query`` (DuckDB, SQL),
``timezone`` (of naive timestamps), ``keep_extra`` (keep the source's other
columns, as text; default True), ``multiline`` (whether quoted CSV values may
hold newlines; by default the file is first split at every line end, which is
fast, and read again allowing them when that leaves a quote unclosed or lines
unaccounted for; ``multiline: true`` also says that quoted values whose lines
look like records are meant so). A CSV record damaged by a quote left open
stops the load with a :class:`~qoswb.errors.DataError` naming the line (see
:mod:`qoswb.data.records`).

>>> import pandas as pd
>>> from qoswb.data import load_interactions
>>> raw = pd.DataFrame({"Case": ["A1", "A2"], "Team": ["North", ""],
...                     "Opened": ["2024-03-01 09:00", "2024-03-01 10:00"]})
>>> result = load_interactions(raw, {"id": "Case", "team": "Team", "opened_at": "Opened",
...                                  "timezone": "Europe/London"})
>>> result.summary["accepted"], result.summary["rejected_by_reason"]
(1, {"missing team ('Team')": 1})
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.data import columns as cols
from qoswb.data import events
from qoswb.data.mapping import READ_OPTIONS, read_mapping
from qoswb.data.result import LoadResult
from qoswb.data.schema import IN_ORDER, KEYS, SCHEMAS
from qoswb.data.sources import TypedReadFailed, is_delimited, read_csv, read_source, sniff_csv
from qoswb.data.timeformats import in_words
from qoswb.data.validate import UNIT, Parsed
from qoswb.errors import DataError, ParameterError

LOAD_OPTIONS = (*READ_OPTIONS, "timezone", "keep_extra")
# canonical values each rejected row carries as mapped (``mapped_team``...), so a report can tell
# whose row it is whatever the source calls the column (a survey answer's team comes by its id)
MAPPED = ("id", "team")
MAPPED_PREFIX = "mapped_"
_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def load_interactions(source, mapping=None, **options) -> LoadResult:
    """Load interactions (one row per case, call, chat or visit).

    Required columns: ``id``, ``team``, ``opened_at``; all others optional.

    >>> load_interactions("export.csv", "mapping.yaml").data   # doctest: +SKIP
    """
    return load(source, "interactions", mapping, **options)


def load_surveys(source, mapping=None, **options) -> LoadResult:
    """Load survey answers: ``id`` (of the interaction), ``answered_at``; CSAT, NPS, CES, comment.

    >>> load_surveys("answers.xlsx", {"id": "Ticket", "answered_at": "Date"})   # doctest: +SKIP
    """
    return load(source, "surveys", mapping, **options)


def load_aggregates(source, mapping=None, **options) -> LoadResult:
    """Load counts per team and period: ``team``, ``period``, ``numerator``/``denominator`` or ``value``.

    >>> load_aggregates("ae.csv", {"team": "org_code", "period": "period",
    ...                  "numerator": {"expr": "attendances - breaches"},
    ...                  "denominator": "attendances"})   # doctest: +SKIP
    """
    return load(source, "aggregates", mapping, **options)


def load(source, kind: str, mapping=None, **options) -> LoadResult:
    """Load ``source`` as ``kind`` (interactions, surveys or aggregates)."""
    if kind not in SCHEMAS:
        raise ParameterError(f"kind must be one of {', '.join(SCHEMAS)}, not {kind!r}")
    unknown = sorted(set(options) - set(LOAD_OPTIONS))
    if unknown:
        raise ParameterError(f"unknown option(s) {', '.join(unknown)}{cols.did_you_mean(unknown[0], LOAD_OPTIONS)}; "
                             f"expected some of {', '.join(LOAD_OPTIONS)}")
    m = read_mapping(mapping, setting="mapping=")
    if m.kind and m.kind != kind:
        raise ParameterError(f"{m.origin} is a mapping for {m.kind}, not {kind}")
    opts = {**m.options, **options}
    timezone = opts.get("timezone") or m.timezone
    _check_timezone(timezone, m.origin)
    schema = SCHEMAS[kind]
    reread = None
    if is_delimited(source):
        layout = sniff_csv(source, opts)
        found = cols.resolve(kind, layout.names, m, str(source), layout.repeated)
        types = _reader_types(found, schema, m, opts)
        try:
            raw = read_csv(source, opts, layout, types)
            if types:  # rejected rows are shown as text, as they are in the file
                reread = lambda: read_csv(source, opts, layout)  # noqa: E731
        except TypedReadFailed:
            raw = read_csv(source, opts, layout)
    else:
        raw = read_source(source, opts)
        found = cols.resolve(kind, raw.table.column_names, m, raw.name, raw.repeated)
    header = raw.table.column_names
    parsed, labels = {}, {}
    for name, spec in sorted(found.items(), key=lambda item: "after" in item[1]):  # durations count from others
        try:
            parsed[name] = cols.build(raw.table, name, spec, schema[name].type, fmt=m.format_for(name),
                                      timezone=timezone, decimal=opts.get("decimal"), missing=m.missing,
                                      built=parsed)
        except DataError as exc:  # an expression whose operands do not fit: name the mapping too
            raise DataError(f"{m.origin}: {exc} (reading {raw.name})") from None
        labels[name] = cols.label(name, spec)
    parsed = {name: parsed[name] for name in found}  # back in the schema's order, for the checks
    notes = list(raw.notes) + _notes(kind, found, raw, timezone) + _format_notes(parsed, labels) \
        + _unreadable_notes(raw.table, found, parsed, labels, schema, m)
    used = {ref for name, spec in found.items() for ref in cols.references(spec, header, name)}
    extra = [h for h in header if h not in used and h not in found] if opts.get("keep_extra", True) else []
    if m.events is not None:  # an event log: checks on each event and on each case's row (see data.events)
        log = _collapse(kind, raw, parsed, labels, found, m, opts, timezone)
        notes += log.notes
        return _assemble(kind, raw, parsed, log.checks, extra, notes, reread, log, m.missing)
    checks = _required(kind, parsed, labels) + _reading(parsed, labels) + _row_checks(kind, parsed, labels,
                                                                                      m.plausible())
    return _assemble(kind, raw, parsed, checks, extra, notes, reread, missing=m.missing)


@dataclass
class _Collapsed:
    """An event log collapsed: per-event ``checks``, the cases, and each canonical column per case."""

    checks: list
    cases: events.Cases
    values: dict
    accepted: np.ndarray  # per case
    notes: list


def _collapse(kind, raw, parsed, labels, found, m, opts, timezone) -> _Collapsed:
    """Group the events into cases, take each column's value per case, and check: each event as it
    was read (a value that cannot be read, or an empty or unreadable order, rejects its case) and
    each case's row as a row is checked; every check is given back as a mask over the events."""
    from qoswb.data.recode import blank

    log = m.events
    if "id" not in KEYS[kind] or kind not in ("interactions", "surveys"):
        raise ParameterError(f"{m.origin}: events (an event log) is for interactions or surveys, not {kind}")
    header = raw.table.column_names
    for what, ref in (("case", log.case), *(("order", o) for o in log.order)):
        if ref is not None and ref not in header:
            raise DataError(f"{raw.name}: column {ref!r} (events: {what}) is not in the header"
                            f"{cols.did_you_mean(ref, header)}")
    if log.case is None or found["id"] == {"column": log.case}:  # cases named by the id, as usual
        case, case_label = parsed["id"], labels["id"]
    else:
        case = cols.build(raw.table, "id", {"column": log.case}, "string", missing=m.missing)
        case_label = f"case ({log.case!r})"
    keys = {o: cols.operand(blank(raw.table[o], m.missing), o, opts.get("decimal"), timezone,
                            fmt=m.timestamp_format, setting="timestamp_format")[1] for o in log.order}
    cases = events.group(case.values, [p.values for p in keys.values()])
    values = {name: events.take(p.values, found[name].get("take", "last"), cases) for name, p in parsed.items()}
    collapsed = {name: Parsed(v, _mask(pc.is_null(v)), np.zeros(cases.count, bool)) for name, v in values.items()}

    def each_event(case_checks):
        return [(cases.to_events(mask), reason) for mask, reason in case_checks]

    def whole_case(event_checks):  # a problem in one event rejects its case: every event says so
        return [(cases.to_events(cases.any(mask)), f"{reason} (in an event of its case)")
                for mask, reason in event_checks]

    order = [(p.missing, f"missing order ({o!r})") for o, p in keys.items()]
    order += [(p.bad, f"unparseable order ({o!r})") for o, p in keys.items()]
    checks = [(case.missing, f"missing {case_label}")] + each_event(_required(kind, collapsed, labels)) \
        + whole_case(order + _reading(parsed, labels)) \
        + each_event(_row_checks(kind, collapsed, labels, m.plausible()))
    rejected = np.zeros(len(cases.code), bool)
    for mask, _ in checks:
        rejected |= mask
    notes = [f"order ({o!r}): read as {in_words(p.format)} (recognised)" for o, p in keys.items() if p.format]
    return _Collapsed(checks, cases, values, ~cases.any(rejected), notes)


def _reader_types(found: dict, schema: dict, mapping, opts: dict) -> dict:
    """Source columns the CSV reader may type itself (ISO timestamps, plain numbers, booleans):
    much faster and lighter than text; any value that does not fit sends us back to text."""
    if opts.get("decimal") not in (None, ".") or mapping.missing:  # "N/A" would not fit a type
        return {}
    uses = {}
    for name, spec in found.items():
        for ref in cols.references(spec, [], name):
            uses[ref] = uses.get(ref, 0) + 1
    types = {}
    for name, spec in found.items():
        kind = schema[name].type
        if "column" not in spec or uses[spec["column"]] > 1 or "values" in spec:
            continue
        if kind in ("timestamp", "date") and not mapping.format_for(name):
            types[spec["column"]] = pa.timestamp(UNIT)
        elif kind in ("number", "integer", "boolean"):
            types[spec["column"]] = {"number": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_()}[kind]
    return types


def _check_timezone(timezone, origin):
    if timezone is None:
        return
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        hint = cols.did_you_mean(str(timezone), sorted(zoneinfo.available_timezones())) or \
            " (use a name like 'Europe/London')"
        raise ParameterError(f"{origin}: unknown timezone {timezone!r}{hint}") from exc


def _outside(values, earliest, latest) -> np.ndarray:
    """Timestamps before ``earliest`` or after ``latest`` (naive UTC datetimes)."""
    if not pa.types.is_timestamp(values.type):  # periods given as numbers
        return np.zeros(len(values), bool)
    tz = "UTC" if values.type.tz else None
    bounds = [pa.scalar(b.replace(tzinfo=None), pa.timestamp(UNIT)).cast(pa.timestamp(UNIT, tz)) for b in
              (earliest, latest)]
    return _mask(pc.or_(pc.less(values, bounds[0]), pc.greater(values, bounds[1])))


def _required(kind: str, parsed: dict, labels: dict) -> list:
    """(mask, reason) pairs, masks numpy bool arrays: required values missing (check 2)."""
    return [(p.missing, f"missing {labels[name]}") for name, p in parsed.items() if SCHEMAS[kind][name].required]


def _reading(parsed: dict, labels: dict) -> list:
    """Values that cannot be read: unparseable, not named in a recode, infinite or too large (3, 4)."""
    out = [(p.bad, f"unparseable {labels[name]}") for name, p in parsed.items()]
    out += [(p.unnamed, f"{labels[name]} value not named in its recode (values:)") for name, p in parsed.items()
            if p.unnamed is not None]
    out += [(p.extreme, f"{labels[name]} infinite or too large") for name, p in parsed.items()
            if p.extreme is not None]
    return out


def _row_checks(kind: str, parsed: dict, labels: dict, plausible: tuple) -> list:
    """Values read but implausible: timestamps out of range, values out of range, out of order (5-7)."""
    schema = SCHEMAS[kind]
    out = []
    earliest, latest = plausible
    for name, p in parsed.items():
        if schema[name].type in ("timestamp", "date"):
            out.append((_outside(p.values, earliest, latest),
                        f"{labels[name]} outside {earliest:%Y-%m-%d} to {latest:%Y-%m-%d} (timestamp_range)"))
    for name, p in parsed.items():
        bounds = schema[name].range
        if bounds is None:
            continue
        low, high = bounds
        values = p.values
        outside = pc.less(values, low) if high is None else pc.or_(pc.less(values, low), pc.greater(values, high))
        reason = f"negative {labels[name]}" if high is None else f"{labels[name]} out of range {low}-{high}"
        out.append((_mask(outside), reason))
    for earlier, later in IN_ORDER:
        if earlier in parsed and later in parsed:
            out.append((_mask(pc.less(parsed[later].values, parsed[earlier].values)), f"{later} before {earlier}"))
    if "numerator" in parsed and "denominator" in parsed:
        out.append((_mask(pc.greater(parsed["numerator"].values, parsed["denominator"].values)),
                    "numerator above denominator"))
    return out


def _mask(arr) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _duplicates(kind: str, parsed: dict, rejected: np.ndarray) -> tuple[np.ndarray, str]:
    keys = [k for k in KEYS[kind] if k in parsed]
    candidates = ~rejected
    dup = np.zeros(len(rejected), bool)
    reason = f"duplicate {' and '.join(keys)}"
    if len(keys) == 1 and candidates.sum() > 1:
        ids = parsed[keys[0]].values
        ids = _combine(ids if candidates.all() else ids.filter(pa.array(candidates)))
        if pc.all(pc.less_equal(ids[:-1], ids[1:])).as_py():  # sorted: repeats are neighbours
            dup[candidates] = np.concatenate([[False], _mask(pc.equal(ids[1:], ids[:-1]))])
            return dup, reason
    frame = pd.DataFrame({k: parsed[k].values.to_pandas() for k in keys})
    dup[candidates] = frame[candidates].duplicated(keep="first").to_numpy()
    return dup, reason


def _combine(arr):
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _reasons(checks: list, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per rejected row: all reasons joined, and the first one."""
    joined = np.full(len(index), "", dtype=object)
    first = np.full(len(index), "", dtype=object)
    for mask, reason in checks:
        hit = mask[index]
        joined[hit] = np.where(joined[hit] == "", reason, joined[hit] + "; " + reason)
        first[hit & (first == "")] = reason
    return joined, first


def _assemble(kind, raw, parsed, checks, extra, notes, reread=None, log=None, missing=()) -> LoadResult:
    """Build the result; empties ``parsed`` and ``raw.table`` on the way to keep the peak low.
    ``log``: an event log's cases (the data is then one row per accepted case); ``missing``: the
    mapping's cell values meaning no value, blanked in the kept columns too (rejected rows keep them
    as read)."""
    from qoswb.data.recode import blank

    n = raw.table.num_rows
    rejected = np.zeros(n, bool)
    for mask, _ in checks:
        rejected |= mask
    if log is None:
        dup, dup_reason = _duplicates(kind, parsed, rejected)
        checks.append((dup, dup_reason))
        rejected |= dup
        values, keeping = {name: p.values for name, p in parsed.items()}, ~rejected

        def source(name):
            return raw.table[name]
    else:
        values, keeping = log.values, log.accepted

        def source(name):  # the source's other columns: the case's last event's
            return events.take(raw.table[name], "last", log.cases)
    keep = pa.array(keeping)

    def kept(values):
        return values.filter(keep) if not keeping.all() else values

    index = np.flatnonzero(rejected)
    mapped = _mapped(parsed, log, index)
    as_read = reread().table if (reread is not None and len(index)) else raw.table
    frame = _as_read(as_read.take(pa.array(index, pa.int64())))
    del as_read

    arrays = {name: kept(values[name]) for name in SCHEMAS[kind] if name in values}
    for name in extra:
        column = blank(kept(source(name)), missing)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
        arrays[name if name not in arrays else f"{name} (source)"] = column
    if log is not None:
        arrays.setdefault("events", kept(pa.array(log.cases.events())))  # events in each case
    # let go of what was read before converting, so arrow frees each column once it is in pandas
    parsed.clear()
    values.clear()
    raw.table = None
    table = pa.table(arrays) if arrays else None
    arrays.clear()
    data = table.to_pandas(types_mapper=_TYPES.get, self_destruct=True, split_blocks=True) \
        if table is not None else pd.DataFrame(index=range(0))
    del table

    joined, first = _reasons(checks, index)
    frame["source_row"] = raw.source_rows[index]
    frame["reason"] = pd.array(joined, dtype="str")
    for name, column in mapped.items():
        frame[name] = column
    counts = pd.Series(first, dtype=object).value_counts()
    if raw.bad_rows:
        bad = pd.DataFrame(raw.bad_rows, columns=["source_row", "row_text", "reason"])
        frame = pd.concat([frame, bad], ignore_index=True).sort_values("source_row", ignore_index=True)
        counts = pd.concat([counts, bad["reason"].value_counts()]).groupby(level=0).sum()
    frame["source_row"] = frame["source_row"].astype("int64")
    by_reason = {str(k): int(v) for k, v in counts.sort_values(ascending=False, kind="stable").items()}
    summary = {"source": raw.name, "kind": kind, "rows_read": n + len(raw.bad_rows), "accepted": len(data),
               "rejected": len(frame), "rejected_by_reason": by_reason}
    if log is not None:  # rows are events; the data's rows are cases
        summary["events"] = {"read": summary["rows_read"], "in_accepted_cases": int((~rejected).sum()),
                             "rejected": len(frame)}
        summary["cases"] = {"read": log.cases.count, "accepted": len(data), "rejected": log.cases.count - len(data)}
    return LoadResult(data, frame, summary, notes)


def _mapped(parsed: dict, log, index: np.ndarray) -> dict:
    """``mapped_id``, ``mapped_team`` of the rejected rows ``index``: the canonical value as mapped
    and typed (null where empty or unreadable). An event takes its case's value (the case's row
    is what is rejected), an event with no case its own."""
    out = {}
    rows = pa.array(index, pa.int64())
    for name in MAPPED:
        if name not in parsed:
            continue
        values = _combine(parsed[name].values).take(rows)
        if log is not None and name in log.values and len(index):
            code = log.cases.code[index]
            has = code >= 0
            if has.any():
                of_case = _combine(log.values[name]).take(pa.array(np.where(has, code, 0)))
                values = pc.if_else(pa.array(has), of_case, values)
        out[MAPPED_PREFIX + name] = values.to_pandas().to_numpy()
    return out


def _as_read(table: pa.Table) -> pd.DataFrame:
    """Rejected rows as pandas, each value as the source had it; a value pandas cannot hold
    (a date in the year 330,000) is shown as its text instead of failing the load."""
    try:
        return table.to_pandas()
    except (pa.ArrowException, ValueError, OverflowError):
        columns = {}
        for name, column in zip(table.column_names, table.columns):
            try:
                columns[name] = column.to_pandas()
            except (pa.ArrowException, ValueError, OverflowError):
                columns[name] = pc.cast(column, pa.string()).to_pandas()
        return pd.DataFrame(columns)


def _format_notes(parsed: dict, labels: dict) -> list:
    """One note per timestamp format recognised (no format given), naming its columns."""
    by_format = {}
    for name, p in parsed.items():
        if p.format:
            by_format.setdefault(p.format, []).append(labels[name])
    return [f"{', '.join(names)}: read as {in_words(fmt)} (recognised; give formats: in the mapping to set "
            "another)" for fmt, names in by_format.items()]


def _unreadable_notes(table, found, parsed, labels, schema, m) -> list:
    """One note per column with unparseable values: how many, an example as read and, for
    timestamps, the formats that would read them. The rows' reasons stay the same text for the same
    cause (so they group); the example is said once, here."""
    from qoswb.data.timeformats import shown, suggest

    out = []
    for name, p in parsed.items():
        count = int(p.bad.sum())
        refs = cols.references(found[name], [], name)
        if not count or len(refs) != 1:
            continue
        bad = table[refs[0]].filter(pa.array(p.bad))
        example = str(bad[0].as_py()).strip()
        line = f"unparseable {labels[name]}: {count:,} value(s), e.g. {example[:60]!r}"
        if schema[name].type in ("timestamp", "date") and "column" in found[name]:
            current = m.format_for(name) or p.format
            current = () if current is None else (current,) if isinstance(current, str) else tuple(current)
            extra = suggest(pc.unique(bad.slice(0, 20_000)).cast(pa.string()).to_pylist()[:200])
            extra = () if extra is None else (extra,) if isinstance(extra, str) else extra
            if extra or not current:  # else the others read with its format: a wrong value, not a format
                wanted = tuple(dict.fromkeys((*current, *extra)))
                advice = shown(wanted if len(wanted) > 1 else wanted[0]) if wanted else "'...'"
                line += f": give formats: {{{name}: {advice}}} in the mapping (a list is tried in turn)"
        out.append(line)
    return out


def _notes(kind: str, found: dict, raw, timezone) -> list:
    notes = []
    absent = [name for name, column in SCHEMAS[kind].items()
              if name not in found and not column.required
              and not (kind == "aggregates" and name in ("value", "numerator", "denominator"))]
    if absent:
        notes.append(f"optional columns absent: {', '.join(absent)} (what needs them, KPIs or charts, "
                     "is left out)")
    timed = [n for n, c in SCHEMAS[kind].items() if c.type == "timestamp" and n in found]
    if timed and timezone is None:
        types = [raw.table.schema.field(spec["column"]).type for n, spec in found.items()
                 if n in timed and "column" in spec]
        naive = any(pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(t, "tz", "x") is None
                    for t in types)
        if naive:
            notes.append("no timezone given: timestamps without an offset were read as UTC "
                         "(set 'timezone' in the mapping, e.g. Europe/London)")
    return notes
