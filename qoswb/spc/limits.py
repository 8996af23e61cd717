"""Vectorised estimators over segments (one segment = one group × phase).

Every chart is computed on flat arrays sorted by (group, phase, x): a segment
id per point says which series it belongs to, and sums, means, medians and
moving ranges are taken per segment with ``np.bincount`` and index arithmetic,
never with a Python loop over groups. ``Points`` carries those arrays; the
chart kinds in ``kinds.py`` combine the helpers below.

>>> import numpy as np
>>> p = Points.from_segments(np.array([0, 0, 0, 1, 1]), y=np.array([1., 2, 4, 10, 10]))
>>> segment_mean(p, p.y, p.base).tolist()
[2.3333333333333335, 10.0]
"""

import functools
from dataclasses import dataclass, field

import numpy as np

from .constants import MR_SCREEN, c4, d2, d3


@dataclass
class Points:
    """One row per plotted point, sorted so that each segment is contiguous.

    ``seg`` segment id (0..nseg-1), ``start`` first index of each segment,
    ``pos`` position of the point inside its segment, ``y`` the value (or count,
    or subgroup mean), ``n`` the size or denominator, ``base`` the points the
    limits are estimated from (baseline, not excluded, not a gap). Subgroup
    charts also fill ``sd`` and ``rng`` (standard deviation and range).
    """

    seg: np.ndarray
    start: np.ndarray
    y: np.ndarray
    base: np.ndarray
    n: np.ndarray | None = None
    sd: np.ndarray | None = None
    rng: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def nseg(self) -> int:
        return len(self.start)

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        """Points per segment (computed once: every segment helper needs it; read-only)."""
        out = block_lengths(self.start, len(self.seg))
        out.flags.writeable = False
        return out

    @property
    def pos(self) -> np.ndarray:
        return np.arange(len(self.seg)) - np.repeat(self.start, self.lengths)

    def expand(self, per_segment) -> np.ndarray:
        """A per-segment array repeated onto the points (faster than fancy indexing)."""
        return np.repeat(per_segment, self.lengths)

    @classmethod
    def from_segments(cls, seg, y, n=None, base=None):
        """Points from a sorted segment-id array (used by tests and doctests)."""
        seg = np.asarray(seg, dtype=np.int64)
        start = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
        y = np.asarray(y, dtype=float)
        if base is None:
            base = np.isfinite(y)
        return cls(seg=seg, start=start, y=y, base=base, n=n)


def block_lengths(start, total) -> np.ndarray:
    """Length of each block of consecutive rows, from the blocks' first rows and the number
    of rows: ``np.diff(start, append=total)`` without its Python overhead (a chart takes a
    few of these, and for a small chart the overhead is what counts).

    >>> block_lengths(np.array([0, 3, 4]), 6).tolist()
    [3, 1, 2]
    """
    out = np.empty(len(start), dtype=np.int64)
    np.subtract(start[1:], start[:-1], out=out[:-1])
    if len(out):
        out[-1] = total - start[-1]
    return out


def segment_sum(p: Points, values, mask=None) -> np.ndarray:
    """Sum of ``values`` over the points of each segment where ``mask`` holds.

    ``np.add.reduceat`` over the segment starts (every segment has at least one
    point), several times faster than a weighted ``bincount``.
    """
    if mask is not None and not mask.all():
        values = np.where(mask, values, 0.0)
    if len(values) == 0:
        return np.zeros(p.nseg)
    return np.add.reduceat(values, p.start)


def segment_count(p: Points, mask) -> np.ndarray:
    """Number of points of each segment where ``mask`` holds."""
    if len(mask) == 0:
        return np.zeros(p.nseg, dtype=np.int64)
    if mask.all():
        return p.lengths
    return np.add.reduceat(mask.astype(np.int64), p.start)


def segment_mean(p: Points, values, mask) -> np.ndarray:
    """Mean per segment over ``mask`` (NaN for a segment with no such point)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return segment_sum(p, values, mask) / segment_count(p, mask)


def segment_ratio(p: Points, num, den, mask) -> np.ndarray:
    """sum(num) / sum(den) per segment: the pooled proportion or rate."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return segment_sum(p, num, mask) / segment_sum(p, den, mask)


def segment_median(p: Points, values, mask) -> np.ndarray:
    """Median per segment over ``mask``, by one sort of (segment, value)."""
    idx = np.flatnonzero(mask)
    seg, val = p.seg[idx], values[idx]
    order = np.lexsort((val, seg))
    val = val[order]
    count = np.bincount(seg, minlength=p.nseg)
    first = np.r_[0, np.cumsum(count)[:-1]]
    out = np.full(p.nseg, np.nan)
    has = count > 0
    lo = first[has] + (count[has] - 1) // 2
    hi = first[has] + count[has] // 2
    out[has] = (val[lo] + val[hi]) / 2
    return out


def moving_ranges(p: Points, values, mask):
    """Moving ranges |v[i] - v[j]| between consecutive ``mask`` points of a segment.

    Points outside ``mask`` are skipped (their neighbours are joined, as
    qicharts2 does with excluded points); a NaN value breaks the chain (both
    of its moving ranges are missing), so a gap is never bridged.
    Returns (moving ranges, their segment ids), valid ones only.
    """
    if mask.all():  # the common case: no baseline cut, no exclusions, no gaps
        same = p.seg[1:] == p.seg[:-1]
        mr = np.abs(values[1:] - values[:-1])
        return mr[same], p.seg[1:][same]
    idx = np.flatnonzero(mask | ~np.isfinite(values))
    a, b = idx[:-1], idx[1:]
    keep = (p.seg[a] == p.seg[b]) & mask[a] & mask[b]
    mr = np.abs(values[b[keep]] - values[a[keep]])
    ok = np.isfinite(mr)
    return mr[ok], p.seg[b[keep]][ok]


def _mr_all(p: Points, values):
    """Average moving range per segment when every point counts (no mask, no gap)."""
    mr = np.empty(len(values))
    np.subtract(values[1:], values[:-1], out=mr[1:])  # in place: no full-size temporaries
    np.abs(mr[1:], out=mr[1:])
    mr[p.start] = 0.0  # no moving range across a segment start
    with np.errstate(invalid="ignore", divide="ignore"):
        return mr, np.add.reduceat(mr, p.start) / (p.lengths - 1)


def mr_sigma(p: Points, values, mask, screen: bool = False):
    """Sigma per segment from the average moving range / d2(2).

    ``screen`` drops moving ranges at or above 3.267 × their average first
    (Nelson 1982; Provost & Murray; qicharts2 and NHS Making Data Count).
    Returns (sigma, average moving range used).
    """
    if mask.all() and np.isfinite(values).all():
        mr, amr = _mr_all(p, values)
        if screen:
            keep = mr < MR_SCREEN * p.expand(amr)
            keep[p.start] = False
            with np.errstate(invalid="ignore", divide="ignore"):
                amr = segment_sum(p, mr, keep) / segment_count(p, keep)
        return amr / d2(2), amr
    mr, seg = moving_ranges(p, values, mask)
    with np.errstate(invalid="ignore", divide="ignore"):
        amr = np.bincount(seg, weights=mr, minlength=p.nseg) / np.bincount(seg, minlength=p.nseg)
        if screen:
            keep = mr < MR_SCREEN * amr[seg]
            amr = (np.bincount(seg[keep], weights=mr[keep], minlength=p.nseg)
                   / np.bincount(seg[keep], minlength=p.nseg))
    return amr / d2(2), amr


#: qcc's ``std.dev`` methods for subgroups (``sd.xbar``), in qoswb's lower case.
SUBGROUP_SIGMAS = ("uwave-r", "uwave-sd", "mvlue-r", "mvlue-sd", "rmsdf")


def subgroup_sigma(p: Points, method: str, mask) -> np.ndarray:
    """Within-subgroup sigma per segment from the subgroups where ``mask`` holds, as qcc's ``sd.xbar``.

    ``uwave-r``: mean of R/d2(n); ``uwave-sd``: mean of S/c4(n); ``mvlue-r`` and
    ``mvlue-sd``: the same weighted by (d2/d3)² and c4²/(1 - c4²) (minimum variance
    linear unbiased); ``rmsdf``: sqrt(Σ(n-1)S² / Σ(n-1)) / c4(Σ(n-1) + 1).

    >>> p = Points.from_segments([0, 0], y=[1.0, 2.0], n=np.array([2.0, 2.0]))
    >>> p.rng, p.sd = np.array([1.0, 3.0]), np.array([0.5, 2.0])
    >>> round(float(subgroup_sigma(p, "uwave-r", p.base)[0]), 4)
    1.773
    """
    n = p.n
    if method in ("uwave-r", "mvlue-r"):
        unbiased = p.rng / d2(n)
        weight = np.ones(len(n)) if method == "uwave-r" else (d2(n) / d3(n)) ** 2
    elif method in ("uwave-sd", "mvlue-sd"):
        unbiased = p.sd / c4(n)
        weight = np.ones(len(n)) if method == "uwave-sd" else c4(n) ** 2 / (1 - c4(n) ** 2)
    elif method == "rmsdf":
        ok = mask & np.isfinite(p.sd)
        df = segment_sum(p, n - 1, ok)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(segment_sum(p, (n - 1) * p.sd ** 2, ok) / df) / c4(df + 1)
    else:
        raise ValueError(f"unknown subgroup sigma method {method!r}")
    ok = mask & np.isfinite(unbiased)
    return segment_ratio(p, unbiased * weight, weight, ok)


def sd_sigma(p: Points, values, mask) -> np.ndarray:
    """Sigma per segment from the sample standard deviation / c4(m) (qcc ``std.dev="SD"``)."""
    m = segment_count(p, mask)
    mean = segment_mean(p, values, mask)
    dev = np.where(mask, values - p.expand(mean), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.bincount(p.seg, weights=dev * dev, minlength=p.nseg) / (m - 1))
        return sd / c4(m)


def cap(values, low=None, high=None, inplace=False):
    """Limits truncated to the range the statistic can take (NaN stays NaN).

    ``inplace=True`` overwrites ``values`` (a fresh array the caller owns).
    """
    out = values if inplace else values.copy()
    with np.errstate(invalid="ignore"):
        if low is not None:
            np.copyto(out, low, where=out < low)
        if high is not None:
            np.copyto(out, high, where=out > high)
    return out
