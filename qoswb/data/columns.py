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

from qoswb.data.schema import SCHEMAS
from qoswb.data.validate import Parsed, parse
from qoswb.errors import DataError, ParameterError

_IDENT = re.compile(r"`([^`]+)`|([A-Za-z_][A-Za-z0-9_.]*)")


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


def _did_you_mean(name: str, header: list[str]) -> str:
    near = closest(name, header)
    return f" (did you mean {' or '.join(repr(h) for h in near)}?)" if near else ""


def references(spec: dict, header: list[str]) -> list[str]:
    """The source columns a spec reads (for an expression: the names in it that are columns)."""
    if "column" in spec:
        return [spec["column"]]
    if "columns" in spec:
        return list(spec["columns"])
    if "expr" in spec:
        names = [a or b for a, b in _IDENT.findall(spec["expr"])]
        return [n for n in names if n in header or not n.replace(".", "").isdigit()]
    return []


def resolve(kind: str, header: list[str], mapping, source: str, repeated=()) -> dict:
    """Canonical name -> spec for every canonical column present; errors name what is wrong.

    A missing required column raises :class:`DataError` listing what is missing and the
    closest header names.
    """
    schema = SCHEMAS[kind]
    unknown = sorted(set(mapping.columns) - set(schema))
    if unknown:
        raise ParameterError(f"{mapping.origin}: {', '.join(unknown)} not canonical {kind} column(s); "
                             f"a mapping goes canonical name: your column, with canonical names "
                             f"{', '.join(schema)}")
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
        for ref in references(spec, header):
            if ref not in header:
                raise DataError(f"{source}: column {ref!r} (mapped to {name}) is not in the header"
                                f"{_did_you_mean(ref, header)}")
            if ref in repeated:
                raise DataError(f"{source}: column {ref!r} (mapped to {name}) appears more than once "
                                "in the header; rename one of them")
        found[name] = spec
    if kind == "aggregates" and "value" not in found and not {"numerator", "denominator"} <= set(found):
        missing += [n for n in ("numerator", "denominator") if n not in found] + ["(or value)"]
    if missing:
        listed = ", ".join(f"{m}{_did_you_mean(m, header) if not m.startswith('(') else ''}" for m in missing)
        raise DataError(f"{source}: required {kind} column(s) missing: {listed}. "
                        f"Header: {', '.join(header[:20])}{' ...' if len(header) > 20 else ''}. "
                        "Name them in a mapping, e.g. mapping={'opened_at': 'Opened Date'}")
    return found


def label(name: str, spec: dict) -> str:
    """How a reason names a column: canonical, with the source column when it differs."""
    if "column" in spec and spec["column"] != name:
        return f"{name} ({spec['column']!r})"
    if "expr" in spec:
        return f"{name} ({spec['expr']})"
    if "columns" in spec:
        return f"{name} ({' + '.join(spec['columns'])})"
    return name


def build(table: pa.Table, name: str, spec: dict, ctype: str, *, fmt=None, timezone=None,
          decimal=None) -> Parsed:
    """One canonical column, typed, with its missing and bad masks."""
    n = table.num_rows
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
        return _expression(table, name, spec["expr"], ctype, decimal)
    return parse(source, ctype, fmt=fmt, timezone=timezone, decimal=decimal)


def _expression(table, name, expr, ctype, decimal) -> Parsed:
    import pandas as pd

    refs = [r for r in references({"expr": expr}, table.column_names) if r in table.column_names]
    numbers = {r: parse(table[r], "number", decimal=decimal) for r in refs}
    missing = np.zeros(table.num_rows, bool)
    bad = np.zeros(table.num_rows, bool)
    for p in numbers.values():
        missing |= p.missing
        bad |= p.bad
    frame = pd.DataFrame({r: p.values.to_numpy(zero_copy_only=False) for r, p in numbers.items()})
    try:
        result = np.asarray(frame.eval(expr), dtype=float)
    except Exception as exc:  # pandas raises many kinds for a bad expression
        raise ParameterError(f"the expression for {name} ({expr!r}) cannot be computed: {exc}") from exc
    values = pa.array(result, pa.float64(), from_pandas=True)
    if ctype == "integer":
        values = pc.cast(pc.round(values), pa.int64())
    return Parsed(values, missing, bad)
