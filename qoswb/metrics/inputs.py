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

from qoswb.errors import DataError, ParameterError
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


def _spec_minutes(frame: pd.DataFrame, spec, what: str) -> np.ndarray:
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        return np.full(len(frame), float(spec))
    if isinstance(spec, dict):
        if "priority" not in frame.columns:
            raise ParameterError(f"{what} maps priorities to minutes but the interactions have no 'priority' column")
        return frame["priority"].map(spec).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
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
    raise ParameterError(f"{what} must be minutes (a number), {{priority: minutes}} or a table, not {spec!r}")


def sla_minutes(frame: pd.DataFrame, sla, clock: str) -> np.ndarray | None:
    """Target minutes per row for the ``clock`` ("response" or "resolution"); None when there is none.

    ``sla=None`` uses the rows' ``sla_minutes`` for both clocks. ``sla`` may be a
    number, ``{priority: minutes}``, a table with ``minutes`` and key columns, or
    ``{"response": spec, "resolution": spec}`` to give the two clocks apart.
    """
    if sla is None:
        return numbers_of(frame, "sla_minutes") if usable(frame, "sla_minutes") else None
    if isinstance(sla, dict) and set(sla) <= {"response", "resolution"}:
        if clock not in sla:
            return None
        sla = sla[clock]
    minutes = _spec_minutes(frame, sla, f"sla= ({clock})")
    if (minutes <= 0).any():
        raise ParameterError(f"sla= ({clock}) targets must be positive minutes")
    return minutes
