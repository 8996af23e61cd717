"""Checks and conversions of the canonical input frames for ``kpis()``: groups, timestamps, SLA targets.

Every problem is a DataError or ParameterError naming the column or argument.

>>> import pandas as pd
>>> codes, groups = group_codes(pd.DataFrame({"team": ["b", "a", "b"]}), ["team"])
>>> codes.tolist(), groups["team"].tolist()
([1, 0, 1], ['a', 'b'])
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError, did_you_mean
from qoswb.metrics.periods import check_tz

NAT = np.iinfo(np.int64).min


def check_frame(frame, name: str, required=()) -> None:
    """A non-empty DataFrame holding the ``required`` columns, else a DataError saying what is wrong."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{name} lacks the column(s) {missing}; it has {list(frame.columns)}")
    if len(frame) == 0:
        raise DataError(f"{name} is empty (0 rows): there is nothing to compute KPIs from")


def usable(frame: pd.DataFrame, column: str) -> bool:
    """True when the column exists and holds at least one value (an all-empty column counts as absent)."""
    return column in frame.columns and bool(frame[column].notna().any())


def group_codes(frame: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes 0..G-1 of the ``by`` groups (sorted by value) and the table of groups in code order.

    Categorical columns use their codes directly (no hashing of strings), which
    is what makes 10 million rows cheap.
    """
    parts, uniques = [], []
    for column in by:
        values = frame[column]
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise DataError(f"column {column!r} is empty in {int(values.isna().sum())} row(s), first at row {row}")
        if isinstance(values.dtype, pd.CategoricalDtype):
            parts.append(values.cat.codes.to_numpy())  # small ints, no copy
            uniques.append(pd.Series(values.cat.categories, name=column))
        else:
            code, unique = pd.factorize(values, sort=True)
            parts.append(code)
            uniques.append(pd.Series(unique, name=column))
    if len(by) == 1:
        # keep only the groups present, renumbered through a small lookup table (no sort of the rows)
        seen = np.bincount(parts[0], minlength=len(uniques[0])) > 0
        lookup = (np.cumsum(seen) - 1).astype(np.int32)
        groups = pd.DataFrame({by[0]: uniques[0].to_numpy()[seen]})
        return lookup[parts[0]], groups
    combined = parts[0].astype(np.int64)
    for code, unique in zip(parts[1:], uniques[1:]):
        combined = combined * len(unique) + code
    present, codes = np.unique(combined, return_inverse=True)
    table = {}
    for column, unique in zip(reversed(by), reversed(uniques)):
        table[column] = unique.to_numpy()[present % len(unique)]
        present = present // len(unique)
    groups = pd.DataFrame({c: table[c] for c in by})
    return codes.astype(np.int64), groups


def utc_ns(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Absolute times as int64 nanoseconds since the epoch (UTC), NaT as ``NAT``; a view when already in ns."""
    values = frame[column]
    check_tz(values, column)
    times = values.array
    return (times if times.unit == "ns" else times.as_unit("ns")).asi8


def numbers_of(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as a new float64 array with NaN for missing, or a DataError naming it."""
    values = frame[column]
    if values.dtype == np.float64:
        return values.to_numpy(dtype=np.float64, copy=True)
    try:
        return pd.to_numeric(values).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"column {column!r} must be numeric: {exc}") from None


#: the two SLA clocks and the timestamp that stops each
SLA_CLOCKS = {"first_response": "first_response_at", "resolution": "resolved_at"}
_CLOCK_ALIASES = {"response": "first_response"}  # the older spelling of the first-response clock


def _spec_minutes(frame: pd.DataFrame, spec, what: str, notes: list | None) -> np.ndarray:
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return np.full(len(frame), float(spec))
    if isinstance(spec, str):  # a column of the interactions holding minutes per row
        if spec not in frame.columns:
            raise ParameterError(f"{what}: the interactions have no column {spec!r}"
                                 f"{did_you_mean(spec, list(frame.columns))}")
        return numbers_of(frame, spec)
    if isinstance(spec, dict):
        if "priority" not in frame.columns:
            raise ParameterError(f"{what} maps priorities to minutes but the interactions have no 'priority' column")
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec.values()):
            raise ParameterError(f"{what}: every priority needs minutes (a number), got {spec!r}")
        from qoswb.metrics.priorities import minutes_by_priority

        # keys compared as text (YAML reads `1: 240` as the number 1), by the priority's text, code or label
        minutes = minutes_by_priority(frame["priority"], spec, what, also=SLA_CLOCKS)
        priority = frame["priority"].astype("string").str.strip()
        without = np.isnan(minutes)
        if without.any() and notes is not None:
            names = ", ".join(repr(p) for p in priority[without].dropna().unique()[:5].tolist())
            notes.append(f"{what}: {int(without.sum())} interaction(s) have no target for their priority "
                         f"({names or 'priority empty'}) and are not counted in that SLA")
        return minutes
    if isinstance(spec, pd.DataFrame):
        keys = [c for c in spec.columns if c != "minutes"]
        if "minutes" not in spec.columns or not keys or any(k not in frame.columns for k in keys):
            raise ParameterError(
                f"{what} as a table needs a 'minutes' column and key columns of the interactions "
                f"(e.g. team, priority); got {list(spec.columns)}"
            )
        if spec.duplicated(keys).any():
            raise ParameterError(f"{what} has duplicate rows for the same {keys}")
        index = pd.MultiIndex.from_frame(spec[keys])
        rows = index.get_indexer(pd.MultiIndex.from_frame(frame[keys]))
        minutes = spec["minutes"].to_numpy(dtype=np.float64)
        return np.where(rows >= 0, minutes[np.maximum(rows, 0)], np.nan)
    raise ParameterError(f"{what} must be minutes (a number), {{priority: minutes}}, a table or a column name, "
                         f"not {spec!r}")


def split_sla(sla) -> dict | None:
    """``sla=`` as ``{clock: spec}`` for the clocks it sets, or None for the rows' ``sla_minutes``.

    A dict keyed by clock names (``first_response``, ``resolution``) sets each
    clock apart; any other spec (minutes, ``{priority: minutes}``, a table, a
    column name) sets both. A dict mixing clock names with other keys is an
    error with a did-you-mean, so a misspelt clock is never read as a priority.

    >>> split_sla({"first_response": 60, "resolution": {"P1": 240}})
    {'first_response': 60, 'resolution': {'P1': 240}}
    >>> split_sla(90)
    {'first_response': 90, 'resolution': 90}
    """
    if sla is None:
        return None
    if isinstance(sla, dict):
        keys = {_CLOCK_ALIASES.get(k, k): v for k, v in sla.items()}
        clocks = [k for k in keys if k in SLA_CLOCKS]
        if clocks:
            others = [k for k in keys if k not in SLA_CLOCKS]
            if others:
                    raise ParameterError(f"sla: unknown clock {others[0]!r}"
                                     f"{did_you_mean(str(others[0]), list(SLA_CLOCKS))}; give "
                                     "sla={first_response: ..., resolution: ...} or one target for both")
            return keys
    return dict.fromkeys(SLA_CLOCKS, sla)


def sla_targets(frame: pd.DataFrame, sla, clock: str, notes: list | None = None) -> np.ndarray | None:
    """Target minutes per row for the ``clock`` ("first_response" or "resolution"); None when there is none.

    ``sla=None`` uses the rows' ``sla_minutes`` for both clocks. Otherwise see
    :func:`split_sla`: per clock, a number, ``{priority: minutes}``, a table
    with ``minutes`` and key columns (e.g. team, priority), or the name of a
    column holding minutes per row (``"sla_minutes"``). A clock that ``sla``
    does not set has no target. Rows a priority map gives no target to are
    counted in ``notes``.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"priority": ["P1", "P2"]})
    >>> sla_targets(rows, {"first_response": 60, "resolution": {"P1": 240, "P2": 480}}, "resolution").tolist()
    [240.0, 480.0]
    """
    clocks = split_sla(sla)
    if clocks is None:
        return numbers_of(frame, "sla_minutes") if usable(frame, "sla_minutes") else None
    if clocks.get(clock) is None:
        return None
    minutes = _spec_minutes(frame, clocks[clock], f"sla ({clock.replace('_', ' ')})", notes)
    if (minutes <= 0).any():
        raise ParameterError(f"sla ({clock.replace('_', ' ')}): targets must be positive minutes")
    return minutes


def sla_text(sla) -> str:
    """The SLA targets in words, for a report to state the targets it used.

    >>> sla_text({"first_response": 60, "resolution": {"P1": 240, "P2": 480}})
    'first response: 60 min; resolution: P1 240 min, P2 480 min'
    >>> sla_text(None)
    "each interaction's own target (sla_minutes), for first response and resolution alike"
    """
    clocks = split_sla(sla)
    if clocks is None:
        return "each interaction's own target (sla_minutes), for first response and resolution alike"

    def minutes(value) -> str:
        return f"{value:g} min" if isinstance(value, numbers.Real) else str(value)

    def text(spec) -> str:
        if spec is None:
            return "no target"
        if isinstance(spec, dict):
            return ", ".join(f"{k} {minutes(v)}" for k, v in spec.items())
        if isinstance(spec, pd.DataFrame):
            return f"a table of targets by {', '.join(c for c in spec.columns if c != 'minutes')}"
        if isinstance(spec, str):
            return f"each interaction's {spec}"
        return minutes(spec)

    return "; ".join(f"{clock.replace('_', ' ')}: {text(clocks.get(clock))}" for clock in SLA_CLOCKS)
