"""From the source's header to canonical columns: find each one, then build and type it.

A canonical column comes from the mapping (a column, several columns joined, an
expression on numeric columns, or a constant) or, when the mapping does not name
it, from a header name equal to it ignoring case, spaces and punctuation
(``Opened At`` and ``opened_at`` both match ``opened_at``).

>>> from qoswb.data.columns import normalise
>>> normalise("Opened At"), normalise("opened_at")
('openedat', 'openedat')
"""

import difflib
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.data import durations
from qoswb.data.durations import unit_of
from qoswb.data.expressions import Value
from qoswb.data.expressions import parse as parse_expression
from qoswb.data.mapping import TOP_KEYS
from qoswb.data.recode import blank, recode
from qoswb.data.schema import SCHEMAS
from qoswb.data.timeformats import guess_format
from qoswb.data.validate import UNIT, Parsed, parse
from qoswb.errors import DataError, ParameterError


def normalise(name: str) -> str:
    """A header name reduced to lowercase letters and digits, for forgiving matches."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def closest(name: str, header: list[str], n: int = 3) -> list[str]:
    """Header names most like ``name`` (compared loosely), best first.

    >>> closest("opened_at", ["Case", "Opened Date", "Closed Date"])
    ['Opened Date', 'Closed Date']
    """
    by_norm = {}
    for h in header:
        by_norm.setdefault(normalise(h), h)
    hits = difflib.get_close_matches(normalise(name), list(by_norm), n=n, cutoff=0.5)
    return [by_norm[h] for h in hits]


def _short(name: str, limit: int = 40) -> str:
    """A header name as a message shows it: on one line, cut when long."""
    name = " ".join(str(name).split())
    return name if len(name) <= limit else name[: limit - 3] + "..."


def did_you_mean(name: str, choices) -> str:
    """" (did you mean 'x'?)" for the names in ``choices`` most like ``name``, else "".

    >>> did_you_mean("timestamp_rang", ["timezone", "timestamp_range"])
    " (did you mean 'timestamp_range'?)"
    """
    near = closest(name, list(choices))
    return f" (did you mean {' or '.join(repr(h) for h in near)}?)" if near else ""


def references(spec: dict, header: list[str], name: str = "expression") -> list[str]:
    """The source columns a spec reads (of canonical column ``name``, for messages)."""
    if "column" in spec:
        return [spec["column"]]
    if "columns" in spec:
        return list(spec["columns"])
    if "expr" in spec:
        return parse_expression(spec["expr"], name).columns
    if unit_of(spec):
        return [spec[unit_of(spec)]]
    return []


def resolve(kind: str, header: list[str], mapping, source: str, repeated=()) -> dict:
    """Canonical name -> spec for every canonical column present; errors name what is wrong.

    A missing required column raises :class:`DataError` listing what is missing and the
    closest header names.
    """
    schema = SCHEMAS[kind]
    unknown = sorted(set(mapping.columns) - set(schema))
    if unknown:
        hint = did_you_mean(unknown[0], [*schema, *TOP_KEYS])
        raise ParameterError(f"{mapping.origin}: {', '.join(unknown)}{hint} not canonical {kind} column(s); "
                             f"a mapping goes canonical name: your column, with canonical names "
                             f"{', '.join(schema)}")
    timed = [n for n, c in schema.items() if c.type in ("timestamp", "date")]
    for name in mapping.formats:
        if name not in timed:  # a misspelt key would leave its column to be guessed, or rejected
            raise ParameterError(f"{mapping.origin}: formats: {name} is not a timestamp column of {kind}"
                                 f"{did_you_mean(str(name), timed)}; its timestamps: {', '.join(timed)}")
    by_norm = {}
    for h in header:
        by_norm.setdefault(normalise(h), h)
    found, missing = {}, []
    for name, column in schema.items():
        spec = mapping.columns.get(name)
        if spec is None:
            match = name if name in header else by_norm.get(normalise(name))
            if match is not None:
                found[name] = {"column": match}
            elif column.required:
                missing.append(name)
            continue
        refs = references(spec, header, name)
        if (name in mapping.from_preset and not column.required
                and any(ref not in header for ref in refs)):
            continue  # a preset's optional column this export lacks: left out, listed as absent
        for ref in refs:
            if ref not in header:
                raise DataError(f"{source}: column {ref!r} (mapped to {name}) is not in the header"
                                f"{did_you_mean(ref, header)}")
            if ref in repeated:
                raise DataError(f"{source}: column {ref!r} (mapped to {name}) appears more than once "
                                "in the header; rename one of them")
        if "after" in spec and (spec["after"] not in schema or schema[spec["after"]].type != "timestamp"
                                or schema[name].type != "timestamp"):
            raise ParameterError(f"{mapping.origin}: column {name!r}: after should name the canonical "
                                 f"timestamp the duration counts from (e.g. opened_at), not "
                                 f"{spec['after']!r}" + ("" if schema[name].type == "timestamp" else
                                                         f"; and {name} is not a timestamp"))
        found[name] = spec
    for name, spec in found.items():
        if "after" in spec and spec["after"] not in found:
            raise DataError(f"{source}: column {name!r} counts from {spec['after']}, which is not mapped")
    if kind == "aggregates" and "value" not in found and not {"numerator", "denominator"} <= set(found):
        missing += [n for n in ("numerator", "denominator") if n not in found] + ["(or value)"]
    if missing:
        from qoswb.data import synonyms
        from qoswb.data.presets import matching

        listed = ", ".join(f"{m}{synonyms.did_you_mean(m, header) if not m.startswith('(') else ''}"
                           for m in missing)
        fits = matching(header) if kind == "interactions" else []
        advice = (f"The header is that of a {' or '.join(fits)} export: give mapping={fits[0]!r} "
                  f"(--mapping {fits[0]})" if fits else _mapping_example(missing, header))
        raise DataError(f"{source}: required {kind} column(s) missing: {listed}. "
                        f"Header: {', '.join(_short(h) for h in header[:20])}{' ...' if len(header) > 20 else ''}. "
                        + advice)
    return found


def _mapping_example(missing: list, header: list) -> str:
    """How to name the missing columns: a YAML mapping file (what a CLI user writes), and the dict
    a Python caller gives, with the header names most likely meant."""
    import json

    from qoswb.data.synonyms import likely

    pairs = [(m, (likely(m, header, 1) or ["Your column"])[0]) for m in missing if not m.startswith("(")][:3]

    def plain(text):  # as YAML reads it in a {flow} mapping: quoted when it holds YAML's marks
        return json.dumps(text, ensure_ascii=False) if re.search(r"[,:{}\[\]#&*!|>'\"%@`]", text) else text

    flow = ", ".join(f"{m}: {plain(h)}" for m, h in pairs)
    return (f"Name them in a mapping file (YAML) holding e.g. 'columns: {{{flow}}}' and give it as "
            f"--mapping FILE (in Python, mapping={dict(pairs)!r})")


def label(name: str, spec: dict) -> str:
    """How a reason names a column: canonical, with the source column when it differs."""
    if "column" in spec and spec["column"] != name:
        return f"{name} ({spec['column']!r})"
    if "expr" in spec:
        return f"{name} ({spec['expr']})"
    if "columns" in spec:
        return f"{name} ({' + '.join(spec['columns'])})"
    if unit_of(spec):
        return f"{name} ({spec['after']} + {spec[unit_of(spec)]!r} {unit_of(spec)})"
    return name


def build(table: pa.Table, name: str, spec: dict, ctype: str, *, fmt=None, timezone=None,
          decimal=None, missing=(), built=None) -> Parsed:
    """One canonical column, typed, with its missing and bad masks. ``missing``: cell values
    meaning no value; ``built``: the canonical columns built so far (a duration counts from one)."""
    n = table.num_rows
    if missing:
        table = pa.table({c: blank(table[c], missing) for c in references(spec, [], name)}) \
            if references(spec, [], name) else table
    if unit_of(spec):
        return durations.after(built[spec["after"]],
                               durations.parse_duration(table[spec[unit_of(spec)]], unit_of(spec), decimal))
    if "values" in spec:
        text, unnamed = recode(table[spec["column"]], spec["values"])
        parsed = parse(text, ctype, fmt=fmt, timezone=timezone, decimal=decimal)
        parsed.unnamed = unnamed
        return parsed
    if fmt == "number" and ctype in ("date", "timestamp"):
        ctype, fmt = "integer", None  # periods given as numbers (week 1, 2, ...), kept as numbers
    if "column" in spec:
        source = table[spec["column"]]
    elif "columns" in spec:
        parts = [parse(table[c], "string").values.cast(pa.large_string()) for c in spec["columns"]]
        sep = pa.scalar(spec.get("sep", " "), pa.large_string())
        source = pc.binary_join_element_wise(*parts, sep, null_handling="skip")
        source = pc.if_else(pc.equal(source, ""), pa.scalar(None, source.type), source)
    elif "value" in spec:
        source = pa.array(np.full(n, spec["value"], dtype=object if isinstance(spec["value"], str) else None))
    else:
        return _expression(table, name, spec["expr"], ctype, decimal, timezone)
    guessed = None
    if ctype in ("timestamp", "date") and fmt is None and _is_text(source):  # dd/mm/yyyy, mm/dd/yyyy...
        fmt = guessed = guess_format(source, label(name, spec), name)
    parsed = parse(source, ctype, fmt=fmt, timezone=timezone, decimal=decimal)
    parsed.format = guessed
    return parsed


def operand(column, ref: str, decimal, timezone, fmt=None, setting=None):
    """(kind, Parsed) of one source column an expression (or an event log's order) reads: numbers,
    or timestamps (as float seconds since 1970) when more of its values read as timestamps than as
    numbers. ``fmt``: their format, else recognised; ``setting``: where a format is given (for messages)."""
    number = parse(column, "number", decimal=decimal)
    as_number = (number.values.to_numpy(zero_copy_only=False), number.missing, number.bad)
    if not number.bad.any() and not pa.types.is_timestamp(column.type):
        return "number", Parsed(*as_number)
    guessed = None
    if fmt is None and _is_text(column):
        fmt = guessed = guess_format(column, repr(ref), setting=setting)
    stamp = parse(column, "timestamp", fmt=fmt, timezone=timezone)
    if stamp.bad.sum() >= number.bad.sum() and not pa.types.is_timestamp(column.type):
        return "number", Parsed(*as_number)
    micros = pc.cast(pc.cast(stamp.values, pa.timestamp(UNIT, "UTC")), pa.int64())
    seconds = np.asarray(pc.divide(pc.cast(micros, pa.float64()), 1e6).to_numpy(zero_copy_only=False), float)
    return "timestamp", Parsed(seconds, stamp.missing, stamp.bad, format=guessed)


def _timestamps(seconds, missing, bad) -> Parsed:
    """An expression's timestamps (float seconds since 1970, UTC) as a timestamp column."""
    seconds = np.where(missing | bad, np.nan, seconds)
    bad = bad | (~np.isfinite(seconds) & ~missing)
    micros = pa.array(np.round(np.nan_to_num(seconds, nan=0, posinf=0, neginf=0) * 1e6).astype(np.int64),
                      mask=missing | bad)
    return Parsed(micros.cast(pa.timestamp(UNIT, "UTC")), missing, bad)


def _is_text(arr) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def _expression(table, name, expr, ctype, decimal, timezone=None) -> Parsed:
    """A column computed by a mapping expression (see :mod:`qoswb.data.expressions`): a row
    missing or unreadable in a column it reads is missing or unreadable in the result. A source
    column is read as numbers, or as timestamps when more of its values read so; a duration given
    to a number column counts minutes."""
    expression = parse_expression(expr, name)
    operands = {r: operand(table[r], r, decimal, timezone) for r in expression.columns}
    missing = np.zeros(table.num_rows, bool)
    bad = np.zeros(table.num_rows, bool)
    for _, p in operands.values():
        missing |= p.missing
        bad |= p.bad
    result = expression.evaluate({r: Value(kind, p.values) for r, (kind, p) in operands.items()})
    wanted = "boolean" if ctype == "boolean" else "number" if ctype in ("number", "integer") else ctype
    if result.kind == "boolean" and wanted == "number":
        result.data = result.data.astype(float)  # a condition counts as 1 or 0
    elif result.kind == "duration" and wanted == "number":
        result.data = result.data / 60  # minutes, as sla_minutes and the KPIs count them
    elif result.kind == "timestamp" and wanted == "timestamp":
        return _timestamps(result.data, missing, bad)
    elif result.kind != wanted:
        hint = (" (to count a duration column from a timestamp, write {after: opened_at, minutes: COLUMN})"
                if wanted == "timestamp" and result.kind == "number" else "")
        raise DataError(f"column {name!r}: expression {expr!r} gives a {result.kind}, but {name} is a {ctype}"
                        + hint)
    if wanted == "boolean":
        return Parsed(pa.array(result.data, pa.bool_(), mask=missing | bad), missing, bad)
    values = np.where(missing | bad, np.nan, result.data)
    extreme = np.isinf(values) | (np.abs(np.nan_to_num(values, posinf=0, neginf=0)) >= 2.0 ** 63)
    bad |= np.isnan(values) & ~missing  # 0/0
    values[extreme | bad] = np.nan
    arr = pa.array(values, pa.float64(), from_pandas=True)
    if ctype == "integer":
        arr = pc.cast(pc.round(arr), pa.int64())
    return Parsed(arr, missing, bad, extreme)
