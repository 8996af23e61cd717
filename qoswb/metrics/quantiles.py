"""Exact quantiles per group in one sort: the medians and p90s of the KPI table.

Quantile definition: linear interpolation between order statistics, Hyndman &
Fan (1996) type 7 — the default of R's ``quantile()``, ``numpy.quantile`` and
pandas. For n sorted values x[0..n-1] and probability q, h = (n - 1) q and
Q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). So the median of
an even count is the mean of the two middle values, and the p90 of
[1, 2, ..., 10] is 9.1.

Durations are whole multiples of the timestamps' resolution, so they are sorted
as integers packed with the group key into one int64 (key in the high bits):
one ``np.sort`` orders every group at once, exactly. When the packed value would
not fit in 63 bits, a pandas groupby quantile (same type 7) is used instead.

>>> import numpy as np
>>> key = np.array([0, 0, 0, 0, 1, 1, 1])
>>> ns = np.array([4, 1, 3, 2, 10, 30, 20]) * 60_000_000_000
>>> [m.tolist() for m in group_quantiles(key, ns, 3, (0.5,))]
[[150000000000.0, 1200000000000.0, nan]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd


_CHUNK = 1 << 20


def _common_step(values: np.ndarray) -> int:
    """The largest of 1 s, 1 ms, 1 us dividing every value (1 when none), to shrink the packed width."""
    for step in (1_000_000_000, 1_000_000, 1_000):
        # chunk by chunk, so the check costs no array as large as the input
        if not any((values[i:i + _CHUNK] % step).any() for i in range(0, len(values), _CHUNK)):
            return step
    return 1


def group_quantiles(key: np.ndarray, values: np.ndarray, size: int, probs, *, overwrite: bool = False) -> list:
    """Type-7 quantiles of non-negative int64 ``values`` per ``key`` in [0, size): one float array per prob.

    Groups with no values get NaN. ``values`` must not hold missing markers.
    ``overwrite=True`` lets the function reuse ``key`` and ``values`` as scratch
    space (int64 arrays the caller no longer needs), which saves two row-sized arrays.
    """
    ordered = SortedGroups(key, values, size, overwrite=overwrite)
    return [ordered.quantile(q) for q in probs]


class SortedGroups:
    """``values`` ordered within each ``key`` group by one sort, from which any type-7 quantile is cheap.

    Built once per duration column, so a median and a p90 of the same column share the sort.

    >>> s = SortedGroups(np.array([0, 0, 1]), np.array([5, 1, 7]), 2)
    >>> s.quantile(0.5).tolist()
    [3.0, 7.0]
    """

    def __init__(self, key: np.ndarray, values: np.ndarray, size: int, *, overwrite: bool = False):
        key = np.asarray(key, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        self.size, self.counts = size, np.bincount(key, minlength=size)
        self.ordered = self.grouped = None
        if len(values) == 0:
            return
        step = _common_step(values)
        value_bits = max(int(values.max() // step).bit_length(), 1)
        key_bits = max(int(size - 1).bit_length(), 1)
        if value_bits + key_bits > 62:  # too wide to pack exactly: order by (key, value) with pandas (same type 7)
            self.grouped = pd.Series(values.astype(np.float64)).groupby(key)
            return
        if not overwrite:
            key, values = key.copy(), values.copy()
        # packed = key << value_bits | value / step, built in place, then one sort orders every group
        if step > 1:
            values //= step
        ordered = np.left_shift(key, value_bits, out=key)
        ordered |= values
        del values
        ordered.sort()
        ordered &= (1 << value_bits) - 1
        self.ordered, self.step = ordered, step

    def quantile(self, q: float) -> np.ndarray:
        """The type-7 ``q`` quantile of every group (NaN where a group has no values)."""
        if self.grouped is not None:
            return _pandas_quantiles(self.grouped, self.size, q)
        result = np.full(self.size, np.nan)
        if self.ordered is None:
            return result
        counts = self.counts
        has = counts > 0
        first = (np.cumsum(counts) - counts)[has]
        h = (counts[has] - 1) * q
        low = np.floor(h).astype(np.int64)
        high = np.minimum(low + 1, counts[has] - 1)
        lo_val = self.ordered[first + low].astype(np.float64) * self.step
        hi_val = self.ordered[first + high].astype(np.float64) * self.step
        result[has] = lo_val + (h - low) * (hi_val - lo_val)
        return result


def _pandas_quantiles(grouped, size, q) -> np.ndarray:
    result = np.full(size, np.nan)
    got = grouped.quantile(q, interpolation="linear")
    result[got.index.to_numpy()] = got.to_numpy()
    return result
