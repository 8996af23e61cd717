"""Recoding a column's values (``{column: "Satisfaction Score", values: {Good: 5, Bad: 1, Offered: null}}``)
and blanking the cell values a mapping says mean no value (``missing: ["?", "N/A", "-"]``).

Recoded values match regardless of case and surrounding spaces. A value the recode
does not name is not silently missing: the row is rejected with that reason.

>>> import pyarrow as pa
>>> values = check_values({"Good": 5, "Bad": 1, "Offered": None}, "mapping")
>>> out, unnamed = recode(pa.array([" good", "BAD", "offered", None, "Great"]), values)
>>> out.to_pylist(), unnamed.tolist()
(['5', '1', None, None, None], [False, False, False, False, True])
>>> blank(pa.array(["N/A", "3", " - "]), ("N/A", "-")).to_pylist()
[None, '3', None]
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qoswb.errors import ParameterError


def _key(text) -> str:
    return str(text).strip().casefold()


def check_values(values, where: str) -> dict:
    """The recode as {normalised source value: text of the new value, or None}."""
    if not isinstance(values, dict) or not values:
        raise ParameterError(f"{where}: values should map the column's values to new ones, "
                             f"e.g. {{Good: 5, Bad: 1, Offered: null}}, not {values!r}")
    out = {}
    for source, target in values.items():
        if target is not None and not isinstance(target, (str, int, float, bool)):
            raise ParameterError(f"{where}: values: {source!r} should become a number, a text or null, "
                                 f"not {target!r}")
        key = _key(source)
        if key in out and out[key] != target:
            raise ParameterError(f"{where}: values: {source!r} is given twice (case and spaces do not count)")
        out[key] = None if target is None else str(target)
    return out


def recode(arr, values: dict):
    """(recoded text, mask of values the recode does not name); empty cells stay missing."""
    text = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(arr, pa.string())))
    keys = list(values)
    index = pc.index_in(text, value_set=pa.array(keys, pa.string()))
    given = np.asarray(pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False), bool)
    named = np.asarray(pc.is_valid(index).to_numpy(zero_copy_only=False), bool)
    targets = pa.array([values[k] for k in keys], pa.string())
    out = pc.take(targets, index) if len(keys) else pa.nulls(len(arr), pa.string())
    return out, given & ~named


def blank(arr, missing: tuple):
    """``arr`` with the cells whose text (without surrounding spaces) is in ``missing`` as null."""
    if not missing or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    hit = pc.is_in(pc.utf8_trim_whitespace(arr), value_set=pa.array(list(missing), arr.type))
    return pc.if_else(pc.fill_null(hit, False), pa.scalar(None, arr.type), arr)
