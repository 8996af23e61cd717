"""A DataFrame from column arrays, each taken as it is: no inference, no copy.

``pd.DataFrame(dict)`` looks at every column again (what array it is, which
dtype it should have, whether the lengths agree) at a cost of about 15 µs a
column: for a p chart of a thousand short series that is a tenth of the whole
call. A chart's columns are arrays whose type is already settled, so when every
one of them is a NumPy number or flag array or a pandas extension array (a
categorical, dates, strings) the frame is put together from them directly, one
block per column as the constructor would; anything else (an object array, a
list) goes through the constructor, which infers its type as it always has.

>>> import numpy as np
>>> f = from_columns({"y": np.array([1.0, 2.0]), "signal": np.array([False, True])})
>>> f.dtypes.astype(str).tolist(), f.index.tolist()
(['float64', 'bool'], [0, 1])
"""

import functools

import numpy as np
import pandas as pd

try:  # public since pandas 3.0; before it, every frame goes through the constructor
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pragma: no cover - pandas 2.x
    _from_blocks = None


def from_columns(cols: dict) -> pd.DataFrame:
    """The frame of ``cols`` (name -> 1-D array of one length), sharing their memory.

    >>> from_columns({"x": pd.Categorical(["a", "b"]), "n": np.arange(2)}).dtypes.astype(str).tolist()
    ['category', 'int64']
    """
    found = _blocks(cols) if _from_blocks is not None and cols else None
    if found is None:
        return pd.DataFrame(cols, copy=False)
    blocks, length = found
    return _from_blocks(blocks, index=pd.RangeIndex(length), columns=_columns(tuple(cols))._view())


def _blocks(cols):
    """((array, [position]) per column, their length), or None when a column needs the
    constructor's inference."""
    out = []
    length = None
    for i, values in enumerate(cols.values()):
        if isinstance(values, pd.Index):
            values = values.array
        if isinstance(values, pd.arrays.NumpyExtensionArray):
            values = values.to_numpy()
        if isinstance(values, np.ndarray):
            if values.ndim != 1 or values.dtype.kind not in "biuf" or not values.dtype.isnative:
                return None
            block = values.reshape(1, -1)
        elif isinstance(values, pd.api.extensions.ExtensionArray):
            block = values
        else:
            return None
        if length is None:
            length = len(values)
        elif len(values) != length:
            return None  # let the constructor say which column is wrong
        out.append((block, np.array([i])))
    return out, length


@functools.lru_cache(maxsize=64)
def _columns(names: tuple) -> pd.Index:
    """The column index of these names (cached; each frame gets its own view of it)."""
    return pd.Index(list(names))
