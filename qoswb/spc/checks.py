"""Checks that tell when a chart's limits deserve less trust (warnings + summary flags).

- ``autocorrelation``: lag-1 autocorrelation of an individuals series, tested
  with the Ljung–Box statistic for lag 1 (the same r1 and Q that statsmodels'
  ``acf(x, nlags=1, qstat=True)`` reports, computed for all series at once;
  the tests check the agreement). Autocorrelated data make XmR limits too
  narrow or too wide (Montgomery 10.4).
- ``overdispersion``: for p, np and u charts, the Pearson chi-square dispersion
  of the baseline against the binomial/Poisson model; when it is significant,
  Laney's p′/u′ charts (``"pp"``, ``"up"``) are the better choice. The statistic,
  :func:`pearson_dispersion`, is the one place it is computed: ``qoswb.metrics``
  uses it too, to move a KPI's p chart to p′ (and c to XmR).
- ``weekday_seasonality``: not run in every chart (it needs dates); the
  one-way analysis of variance by weekday that ``expectation.suggest`` uses to
  switch a daily series to limits around weekday means.
- ``too_few_points``: fewer than ``MIN_BASELINE`` points behind the limits
  (NHS Making Data Count asks for 15–20; treat the limits as provisional).

>>> MIN_BASELINE
15
"""

from typing import NamedTuple

import numpy as np

from ..errors import ParameterError, warn
from .kinds import KINDS
from .limits import Points, segment_count, segment_sum

MIN_BASELINE = 15
ALPHA = 0.01
AUTOCORRELATION_KINDS = ("i", "t")
DISPERSION_KINDS = ("p", "np", "u")  # the charts checked; pearson_dispersion also takes "c"
BINOMIAL_KINDS, POISSON_KINDS = ("p", "np"), ("u", "c")
LANEY = {"p": "pp", "np": "pp", "u": "up"}  # the chart that allows for over-dispersion
MODEL_NAMES = {"binomial": "binomial", "poisson": "Poisson"}


class SPCWarning(UserWarning):
    """A chart was drawn but something about its data deserves a second look."""


def lag1_autocorrelation(p: Points):
    """Lag-1 autocorrelation r1 (statsmodels' acf definition) and its Ljung–Box p-value per segment."""
    from scipy.special import erfc

    ok = np.isfinite(p.y)
    m = segment_count(p, ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = segment_sum(p, p.y, ok) / m
        # two large buffers, reused in place: fresh allocations of this size cost page
        # faults that dominate arithmetic this cheap
        dev = p.expand(mean)
        np.subtract(p.y, dev, out=dev)
        if not ok.all():
            dev[~ok] = 0.0  # a gap contributes nothing
        work = np.multiply(dev, dev)
        den = segment_sum(p, work)
        np.multiply(dev[1:], dev[:-1], out=work[1:])
        work[p.start] = 0.0  # no product across a segment start
        num = segment_sum(p, work)
        r1 = num / den
        q = m * (m + 2) * r1 ** 2 / (m - 1)
        pvalue = erfc(np.sqrt(q / 2))  # chi-square(1) survival function
    return r1, np.where(m >= 10, pvalue, np.nan)


class Dispersion(NamedTuple):
    """Per segment: ``statistic`` Σz² and ``df`` = m - 1 over the m points that count
    (``statistic`` is NaN where m < 2: nothing to test); see :func:`pearson_dispersion`."""

    statistic: np.ndarray
    df: np.ndarray

    @property
    def ratio(self) -> np.ndarray:
        """The dispersion ratio φ = Σz² / (m - 1): about 1 under the model, above 1 when over-dispersed."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.statistic / self.df

    def p_value(self) -> np.ndarray:
        """P(χ²(m - 1) ≥ Σz²), the chi-square test of the model (NaN where not testable)."""
        # the χ² survival function from scipy.special: scipy.stats costs ~0.8 s to import
        from scipy.special import chdtrc

        return np.where(self.df >= 1, chdtrc(np.maximum(self.df, 1), self.statistic), np.nan)

    def significant(self, alpha: float = ALPHA) -> np.ndarray:
        """Whether the chi-square test rejects the model at ``alpha`` (False where not testable).

        Compares Σz² with the critical value, computed once per distinct degrees of
        freedom (series usually share their length) rather than a p-value per series:
        this check runs inside every p chart, where a thousand p-values cost more
        than the statistic itself.
        """
        from scipy.special import chdtri

        df = self.df
        if len(df) and (df == df[0]).all():  # series of one length: one critical value
            levels, where = df[:1], np.zeros(len(df), dtype=np.intp)
        else:
            levels, where = np.unique(df, return_inverse=True)
        critical = np.where(levels > 0, chdtri(np.maximum(levels, 1), alpha), np.inf)[where]
        with np.errstate(invalid="ignore"):
            return self.statistic > critical


def pearson_dispersion(y, n, segment, kind: str, use, *, centre=None, start=None) -> Dispersion:
    """Pearson over-dispersion of counts against the binomial or Poisson model, per segment.

    Each point's squared standardised residual is

    - ``z² = (y - n·c)² / (n·c·(1 - c))`` for proportions (``kind`` "p" or "np":
      ``y`` successes out of ``n``),
    - ``z² = (y - n·c)² / (n·c)`` for counts (``kind`` "u": ``y`` events over an
      exposure ``n``; "c": ``n`` is None, an exposure of 1),

    with ``c`` the segment's pooled centre Σy / Σn over the points ``use`` marks
    (or the given per-segment ``centre``: a chart passes its own centre line).
    Over the m points of a segment that ``use`` marks and whose z² is finite (a
    missing y or n, n = 0 or a centre of 0 or 1 adds nothing and is not counted),
    Σz² ~ χ² with m - 1 degrees of freedom under the model (Spiegelhalter 2005;
    Mohammed et al., BMJ Qual Saf 2013). A segment with m < 2 cannot be tested.

    ``segment`` numbers each point's series 0..k-1; ``start``, when the points are
    sorted by segment and none is empty, gives each segment's first index and
    makes the sums faster. Returns a :class:`Dispersion`: ``.ratio``,
    ``.p_value()``, ``.significant(alpha)``.

    >>> d = pearson_dispersion(y=[3, 9, 2, 10], n=[20, 20, 20, 20], segment=[0, 0, 0, 0],
    ...                        kind="p", use=[True] * 4)
    >>> d.ratio.round(3).tolist(), d.p_value().round(4).tolist(), d.significant(0.01).tolist()
    ([3.968], [0.0077], [True])
    """
    if kind not in BINOMIAL_KINDS + POISSON_KINDS:
        raise ParameterError(f"dispersion kind must be one of {', '.join(BINOMIAL_KINDS + POISSON_KINDS)}, "
                             f"got {kind!r}")
    if n is None and kind != "c":
        raise ParameterError(f"dispersion of kind {kind!r} needs the sizes n (only 'c' counts go without)")
    y, segment, use = np.asarray(y, dtype=float), np.asarray(segment), np.asarray(use, dtype=bool)
    n = None if n is None else np.asarray(n, dtype=float)
    for name, values in (("n", n), ("segment", segment), ("use", use)):
        if values is not None and len(values) != len(y):
            raise ParameterError(f"dispersion: {name} has {len(values)} values but y has {len(y)}")
    sums = _SegmentSums(segment, start, centre, y, use)
    with np.errstate(invalid="ignore", divide="ignore"):
        if centre is None:  # a point with a missing y or n adds nothing to either sum
            known = use & np.isfinite(y) if n is None else use & np.isfinite(y) & np.isfinite(n)
            centre = sums.sum(y, known) / (sums.count(known) if n is None else sums.sum(n, known))
        # few fresh point-sized arrays: in a p chart their page faults cost more than the arithmetic
        c = sums.expand(centre)
        if KINDS[kind].family == "binomial":
            expected = np.multiply(n, c)
            var = np.multiply(expected, np.subtract(1, c, out=c), out=c)
            z2 = np.subtract(y, expected, out=expected)
        else:  # Poisson: the variance is the expected count
            var = c if n is None else np.multiply(n, c)
            z2 = np.subtract(y, var, out=None if n is None else c)  # c is var itself when n is None
        np.multiply(z2, z2, out=z2)
        np.divide(z2, var, out=z2)
        statistic = sums.sum(z2, use)
        counted = use
        if not np.isfinite(statistic).all():  # rare: such points add nothing and are not counted
            finite = np.isfinite(z2)
            z2[~finite] = 0.0
            counted = use & finite
            statistic = sums.sum(z2, counted)
        m = sums.count(counted)
        statistic[m < 2] = np.nan
    return Dispersion(statistic, m - 1)


class _SegmentSums:
    """Per-segment sums over masked points: the chart's own contiguous-segment sums
    (:func:`segment_sum`, ``np.add.reduceat``) when ``start`` is known, else a weighted
    ``np.bincount`` over the codes."""

    def __init__(self, segment, start, centre, y, use):
        self.segment = segment
        self.points = None if start is None else Points(seg=segment, start=np.asarray(start), y=y, base=use)
        if self.points is not None:
            self.k = self.points.nseg
        else:
            self.k = len(centre) if centre is not None else int(segment.max()) + 1 if len(segment) else 0

    def sum(self, values, mask):
        if self.points is not None:
            return segment_sum(self.points, values, mask)
        if not mask.all():
            values = np.where(mask, values, 0.0)
        return np.bincount(self.segment, weights=values, minlength=self.k)

    def count(self, mask):
        if self.points is not None:
            return segment_count(self.points, mask)
        return np.bincount(self.segment[mask], minlength=self.k)

    def expand(self, per_segment):
        """A per-segment array onto the points (a fresh array, written in place by the caller)."""
        per_segment = np.asarray(per_segment, dtype=float)
        return per_segment[self.segment] if self.points is None else self.points.expand(per_segment)


def weekday_seasonality(p: Points, weekday, mask):
    """One-way analysis of variance of the values by weekday, per segment, over ``mask``:
    (F, its p-value, η² = the share of the variance the weekday means explain).

    >>> import numpy as np
    >>> y = np.tile([10.0, 12, 11, 11, 10, 4, 3], 8) + np.tile([0.5, -0.5], 28)
    >>> p = Points.from_segments(np.zeros(56, int), y=y)
    >>> F, pv, eta2 = weekday_seasonality(p, np.tile(np.arange(7), 8), p.base)
    >>> bool(pv[0] < 1e-10), round(float(eta2[0]), 2)
    (True, 0.98)
    """
    from scipy.special import fdtrc

    ok = mask & np.isfinite(p.y)
    key = p.seg * 7 + weekday
    count = np.bincount(key[ok], minlength=7 * p.nseg).astype(float)
    total = np.bincount(key[ok], weights=p.y[ok], minlength=7 * p.nseg)
    m = segment_count(p, ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        day_mean = total / count
        mean = segment_sum(p, p.y, ok) / m
        dev = np.where(ok, p.y - day_mean[key], 0.0)
        within = segment_sum(p, dev * dev)
        spread = np.where(count > 0, count * (day_mean - np.repeat(mean, 7)) ** 2, 0.0)
        between = spread.reshape(p.nseg, 7).sum(axis=1)
        days = (count.reshape(p.nseg, 7) > 0).sum(axis=1)
        df1, df2 = days - 1, m - days
        F = (between / df1) / (within / df2)
        pv = np.where((df1 >= 1) & (df2 >= 1), fdtrc(np.maximum(df1, 1), np.maximum(df2, 1), F), np.nan)
        return F, pv, between / (between + within)


def run_checks(p: Points, kind: str, centre) -> dict:
    """Per-segment check values and flags; warns once per kind of finding."""
    baseline = segment_count(p, p.base)
    out = {"baseline_points": baseline, "too_few_points": baseline < MIN_BASELINE}
    if kind in AUTOCORRELATION_KINDS:
        r1, pv = lag1_autocorrelation(p)
        out["lag1_autocorrelation"] = r1
        out["autocorrelation"] = np.nan_to_num(pv, nan=1.0) < ALPHA
    if kind in DISPERSION_KINDS:
        found = pearson_dispersion(p.y, p.n, p.seg, kind, p.base, centre=centre, start=p.start)
        out["dispersion_ratio"] = ratio = found.ratio
        out["overdispersion"] = found.significant(ALPHA) & (ratio > 1)
    messages = {
        "too_few_points": f"fewer than {MIN_BASELINE} points behind the limits: treat them as provisional",
        "autocorrelation": "lag-1 autocorrelation (Ljung-Box p < 0.01): individuals limits may mislead",
        "overdispersion": (f"over-dispersion against the {MODEL_NAMES.get(KINDS[kind].family)} "
                           f"model: consider the Laney chart {LANEY.get(kind)!r}"),
    }
    for key, text in messages.items():
        if key in out and out[key].any():
            k = int(out[key].sum())
            warn(f"{k} of {p.nseg} series: {text} (see ControlChart.summary())", SPCWarning)
    return out
