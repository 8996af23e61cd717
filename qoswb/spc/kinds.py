"""The chart kinds: one registry entry per kind, its statistic, centre, sigma and limits.

Each kind is a ``Kind`` in ``KINDS``: what input it takes (single ``values``,
``counts`` with sizes, or ``subgroups``), which parameters it accepts, which
rules make sense on it, and a ``compute(points, options) -> Limits`` function
vectorised over all segments at once. Conventions follow Montgomery and qcc
unless the docstring of a kind says otherwise; truncation of limits at the
edge of what the statistic can take (counts >= 0, proportions in [0, 1], np at
most n) follows qcc and qicharts2: never for individuals or X̄.

>>> sorted(KINDS)[:4]
['c', 'cusum', 'ewma', 'g']
>>> KINDS["p"].input, KINDS["p"].statistic, KINDS["u"].family
('counts', 'proportion', 'poisson')
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import limits as lim
from .base import Limits, Options
from .constants import MDC_LIMIT, c4, d2, d3
from .limits import Points
from .timeweighted import _cusum, _ewma


@dataclass
class Kind:
    """One chart kind: its name, input shape, parameters and computation."""

    name: str
    title: str
    input: str  # "values", "counts", "subgroups" or "either" (values, or subgroups when given them)
    compute: Callable[[Points, Options], Limits]
    params: tuple = ()
    rule_scope: str = "all"  # "all", "centre" (run chart), "limits" (CUSUM, EWMA)
    sigma_methods: tuple = ()
    has_n: bool = False
    confidence: bool = False
    when: str = ""
    # what a point is, for people and for checks: "proportion", "count", "rate", "time" or "value"
    statistic: str = "value"
    family: str = ""  # the counts' model: "binomial" (cases with a property out of n), "poisson", ""


def _symmetric(p, stat, cl, sigma_pt, L, low=None, high=None, seg_centre=None, seg_sigma=None):
    """Limits cl ± L·sigma, truncated to [low, high] where given."""
    half = L * sigma_pt
    lcl = np.subtract(cl, half)
    ucl = np.add(cl, half, out=half)
    return Limits(stat=stat, cl=cl, lcl=lim.cap(lcl, low=low, inplace=True),
                  ucl=lim.cap(ucl, high=high, inplace=True),
                  seg_centre=seg_centre, seg_sigma=seg_sigma, zsigma=sigma_pt)


def _constant(p, stat, centre, sigma, L, low=None, high=None, seg_sigma=None):
    """Limits constant within each segment: computed per segment, then repeated onto
    the points (cheaper than arithmetic on every point); the zone sigma stays per
    segment (``seg_zsigma``), nothing needs it per point."""
    lcl, ucl = centre - L * sigma, centre + L * sigma
    if low is not None:
        lcl = np.maximum(lcl, low)
    if high is not None:
        ucl = np.minimum(ucl, high)
    return Limits(stat=stat, cl=p.expand(centre), lcl=p.expand(lcl), ucl=p.expand(ucl),
                  seg_centre=centre, seg_sigma=sigma if seg_sigma is None else seg_sigma,
                  seg_zsigma=sigma)


def _multiple(o: Options) -> float:
    """The limit width: ``sigma`` multiples, or the normal quantile of ``confidence``."""
    if o.confidence is None:
        return o.sigma
    from scipy.stats import norm

    return float(norm.ppf((1 + o.confidence) / 2))


def individual_sigma(p: Points, values, o: Options):
    """``"mr"``: mR̄/1.128 (qcc, qicharts2); ``"mdc"``: 2.66/3 · mR̄ (Making Data Count);
    ``"sd"``: the sample standard deviation / c4."""
    if o.sigma_method == "sd":
        return lim.sd_sigma(p, values, p.base)
    sigma, amr = lim.mr_sigma(p, values, p.base, screen=o.screen_mr)
    return amr * (MDC_LIMIT / 3) if o.sigma_method == "mdc" else sigma


# --- continuous, one value per point ----------------------------------------------------

def _run(p, o):
    centre = lim.segment_median(p, p.y, p.base)
    nan = np.full(len(p.y), np.nan)
    return Limits(stat=p.y, cl=p.expand(centre), lcl=nan, ucl=nan, seg_centre=centre,
                  seg_sigma=np.full(p.nseg, np.nan))


def _i(p, o):
    if o.params.get("model") is not None:  # limits around a seasonal or AR(1) expectation
        from .expectation import compute

        return compute(p, o, _multiple(o))
    centre = lim.segment_mean(p, p.y, p.base)
    sigma = individual_sigma(p, p.y, o)
    return _constant(p, p.y, centre, sigma, _multiple(o))


def _mr(p, o):
    prev = np.r_[np.nan, p.y[:-1]]
    mr = np.abs(p.y - prev)
    mr[p.start] = np.nan  # the first point of a segment has no moving range
    ok = p.base & np.isfinite(mr)
    centre = lim.segment_mean(p, mr, ok)
    sigma = centre / d2(2)
    return _constant(p, mr, centre, d3(2) * sigma, o.sigma, low=0.0, seg_sigma=sigma)


def _t(p, o):
    # Time between events: an I chart of y^(1/3.6) (Nelson 1994: makes
    # exponential/Weibull times near-normal), limits back-transformed and a
    # negative lower limit set to 0, as qicharts2 does. Zone rules run on the
    # transformed scale, where the zones are symmetric.
    yt = p.y ** (1 / 3.6)
    centre = lim.segment_mean(p, yt, p.base)
    sigma = individual_sigma(p, yt, o)
    L = _multiple(o)
    low = p.expand(centre - L * sigma)
    return Limits(stat=p.y, cl=p.expand(centre) ** 3.6, lcl=np.where(low > 0, low, 0.0) ** 3.6,
                  ucl=p.expand(centre + L * sigma) ** 3.6, seg_centre=centre ** 3.6,
                  seg_sigma=sigma, zstat=yt, zcentre=p.expand(centre), zsigma=p.expand(sigma))


# --- attributes: counts with sizes ------------------------------------------------------

def _rate(p):
    with np.errstate(invalid="ignore", divide="ignore"):
        return p.y / p.n


def _p(p, o):
    stat = _rate(p)
    pbar = lim.segment_ratio(p, p.y, p.n, p.base)
    cl = p.expand(pbar)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = p.expand(pbar * (1 - pbar))
        np.divide(se, p.n, out=se)
        np.sqrt(se, out=se)
    return _symmetric(p, stat, cl, se, o.sigma, low=0.0, high=1.0,
                      seg_centre=pbar, seg_sigma=np.full(p.nseg, np.nan))


def _np(p, o):
    pbar = lim.segment_ratio(p, p.y, p.n, p.base)
    cl = p.n * p.expand(pbar)
    se = np.sqrt(cl * (1 - p.expand(pbar)))
    return _symmetric(p, p.y, cl, se, o.sigma, low=0.0, high=p.n,
                      seg_centre=pbar, seg_sigma=np.full(p.nseg, np.nan))


def _c(p, o):
    centre = lim.segment_mean(p, p.y, p.base)
    return _constant(p, p.y, centre, np.sqrt(centre), o.sigma, low=0.0)


def _u(p, o):
    stat = _rate(p)
    ubar = lim.segment_ratio(p, p.y, p.n, p.base)
    cl = p.expand(ubar)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(cl / p.n)
    return _symmetric(p, stat, cl, se, o.sigma, low=0.0,
                      seg_centre=ubar, seg_sigma=np.full(p.nseg, np.nan))


def _laney(p, o, base_chart):
    # Laney (2002): the binomial/Poisson standard error times sigma_z, the
    # moving-range sigma of the z-scores, which absorbs between-period
    # variation when denominators are large (over-dispersion).
    out = base_chart(p, o)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (out.stat - out.cl) / out.zsigma
    sigma_z = lim.mr_sigma(p, z, p.base & np.isfinite(z), screen=o.screen_mr)[0]
    se = out.zsigma * p.expand(sigma_z)
    high = 1.0 if base_chart is _p else None
    res = _symmetric(p, out.stat, out.cl, se, o.sigma, low=0.0, high=high,
                     seg_centre=out.seg_centre, seg_sigma=sigma_z)
    return res


def _pp(p, o):
    return _laney(p, o, _p)


def _up(p, o):
    return _laney(p, o, _u)


def _g(p, o):
    # Cases (or days) between events. Default: qicharts2 (Benneyan 2001):
    # limits mean ± L·sqrt(mean(mean+1)), LCL truncated at 0, centre line the
    # median. With ``confidence``: qcc's probability limits, the geometric
    # quantiles around the mean (p = 1/mean), centre the mean.
    mean = lim.segment_mean(p, p.y, p.base)
    sd = np.sqrt(mean * (mean + 1))
    if o.confidence is not None:
        prob = 1 / mean
        tail = (1 - o.confidence) / 2
        lcl, ucl = _qgeom(tail, prob), _qgeom(1 - tail, prob)
        return Limits(stat=p.y, cl=p.expand(mean), lcl=p.expand(lcl), ucl=p.expand(ucl),
                      seg_centre=mean, seg_sigma=np.sqrt(1 - prob) / prob,
                      zcentre=p.expand(mean), zsigma=p.expand(sd))
    median = lim.segment_median(p, p.y, p.base)
    out = _symmetric(p, p.y, p.expand(mean), p.expand(sd), o.sigma, low=0.0,
                     seg_centre=median, seg_sigma=sd)
    out.zcentre = out.cl
    out.cl = p.expand(median)
    return out


def _qgeom(q, prob):
    """R's qgeom (failures before the first success): ceil(log1p(-q)/log1p(-prob) - 1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.maximum(np.ceil(np.log1p(-q) / np.log1p(-prob) - 1 - 1e-12), 0.0)


# --- subgroups --------------------------------------------------------------------------

def _weighted_centre(p, values):
    return lim.segment_ratio(p, p.n * values, p.n, p.base & np.isfinite(values))


def _pooled_sd(p):
    ok = p.base & np.isfinite(p.sd)
    var = lim.segment_ratio(p, (p.n - 1) * p.sd ** 2, p.n - 1, ok)
    return np.sqrt(var)


def _within_sigma(p, o, by):
    """Process sigma: mean of R/d2(n) or S/c4(n) over baseline subgroups (qcc),
    per point (``pooled``: pooled s / c4(n_i), as qicharts2)."""
    if o.sigma_method == "pooled":
        sp = _pooled_sd(p)
        return (p.expand(sp) / c4(p.n)), sp
    sigma = lim.subgroup_sigma(p, "uwave-r" if by == "range" else "uwave-sd", p.base)
    return p.expand(sigma), sigma


def _xbar(by):
    def compute(p, o):
        centre = _weighted_centre(p, p.y)
        sig_pt, sigma = _within_sigma(p, o, by)
        return _symmetric(p, p.y, p.expand(centre), sig_pt / np.sqrt(p.n), _multiple(o),
                          seg_centre=centre, seg_sigma=sigma)
    return compute


def _r(p, o):
    # qcc: a constant centre (size-weighted mean range) and limits that vary with n_i.
    centre = _weighted_centre(p, p.rng)
    sig_pt, sigma = _within_sigma(p, o, "range")
    return _symmetric(p, p.rng, p.expand(centre), d3(p.n) * sig_pt, o.sigma, low=0.0,
                      seg_centre=centre, seg_sigma=sigma)


def _s(p, o):
    sig_pt, sigma = _within_sigma(p, o, "sd")
    if o.sigma_method == "pooled":
        # qicharts2 with unequal sizes: centre = pooled s, limits B3/B4(n_i) × centre.
        centre = sigma
        sig_pt = p.expand(centre) / c4(p.n)
    else:
        centre = _weighted_centre(p, p.sd)
    se = sig_pt * np.sqrt(1 - c4(p.n) ** 2)
    return _symmetric(p, p.sd, p.expand(centre), se, o.sigma, low=0.0,
                      seg_centre=centre, seg_sigma=sigma)


# --- the registry -----------------------------------------------------------------------

_SUBGROUP_METHODS = ("mean", "pooled")
_TIME_WEIGHTED = ("mr", "sd", *lim.SUBGROUP_SIGMAS)  # single values; subgroups as qcc's sd.xbar
_ALL = [
    Kind("run", "Run chart", "values", _run, rule_scope="centre",
         when="any measure, few points or no wish for limits: runs around the median"),
    Kind("i", "Individuals (XmR) chart", "values", _i, params=("screen_mr", "y_neg", "model"),
         sigma_methods=("mr", "mdc", "sd"), confidence=True,
         when="one value per period: times, scores, rates computed elsewhere"),
    Kind("mr", "Moving range chart", "values", _mr,
         when="beside an I chart: is the period-to-period variation stable?"),
    Kind("xbar_r", "X-bar chart (sigma from ranges)", "subgroups", _xbar("range"), params=("y_neg",),
         has_n=True, confidence=True, when="small subgroups (n <= 10) of measurements"),
    Kind("r", "R chart", "subgroups", _r, has_n=True,
         when="spread of small subgroups, beside X-bar"),
    Kind("xbar_s", "X-bar chart (sigma from standard deviations)", "subgroups", _xbar("sd"),
         params=("y_neg",), has_n=True, sigma_methods=_SUBGROUP_METHODS, confidence=True,
         when="subgroups of measurements, larger or of unequal size"),
    Kind("s", "S chart", "subgroups", _s, has_n=True, sigma_methods=_SUBGROUP_METHODS,
         when="spread of subgroups, beside X-bar (S)"),
    Kind("p", "P chart", "counts", _p, has_n=True,
         statistic="proportion", family="binomial",
         when="share of cases with a property (SLA met, reopened) out of n"),
    Kind("np", "NP chart", "counts", _np, has_n=True,
         statistic="count", family="binomial",
         when="number of cases with a property when n is (nearly) constant"),
    Kind("c", "C chart", "values", _c,
         statistic="count", family="poisson",
         when="count of events in equal areas of opportunity (complaints per week)"),
    Kind("u", "U chart", "counts", _u, has_n=True,
         statistic="rate", family="poisson",
         when="events per unit when the exposure varies (incidents per 1,000 calls)"),
    Kind("pp", "Laney P' chart", "counts", _pp, params=("screen_mr",), has_n=True,
         statistic="proportion", family="binomial",
         when="a P chart whose limits are too narrow because n is large (over-dispersion)"),
    Kind("up", "Laney U' chart", "counts", _up, params=("screen_mr",), has_n=True,
         statistic="rate", family="poisson",
         when="a U chart over-dispersed because exposures are large"),
    Kind("g", "G chart", "values", _g, confidence=True,
         statistic="count",
         when="rare events: cases between consecutive events"),
    Kind("t", "T chart", "values", _t, params=("screen_mr",), confidence=True,
         statistic="time",
         when="rare events: time between consecutive events"),
    Kind("cusum", "CUSUM chart", "either", _cusum, rule_scope="limits",
         params=("target", "k", "h", "head_start", "sd", "screen_mr"), sigma_methods=_TIME_WEIGHTED,
         when="small sustained shifts (about 1 sigma) in individual values or subgroup means"),
    Kind("ewma", "EWMA chart", "either", _ewma, rule_scope="limits",
         params=("target", "lam", "L", "sd", "screen_mr"), sigma_methods=_TIME_WEIGHTED,
         when="small shifts, weighting recent periods more (values or subgroup means)"),
]

#: The chart kinds by name, in the order the documentation lists them.
KINDS: dict[str, Kind] = {k.name: k for k in _ALL}


def get(kind) -> Kind:
    """The ``Kind`` called ``kind``; a ``ParameterError`` (a ValueError) listing the valid ones.

    >>> get("xbar_r").input
    'subgroups'
    """
    from ..errors import ParameterError

    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        raise ParameterError(
            f"unknown chart kind {kind!r}; valid kinds: {', '.join(KINDS)}") from None
