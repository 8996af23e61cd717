"""Charts that know the calendar: individuals limits around a modelled expectation.

Daily service data have strong weekday patterns and period values are often
autocorrelated, so a plain XmR chart of daily volume "signals" every Monday
(Montgomery, *Introduction to Statistical Quality Control*, 10.4). With
``chart("i", ..., model=...)`` the limits are drawn around what the model
expects of each point, estimated on the baseline of each segment (group ×
phase; ``freeze`` and ``exclude`` respected), for all segments at once:

- ``"weekday"``, ``"month"``: the baseline mean of the point's weekday (month)
  — ``x`` must hold dates; an integer ``k``: of its position modulo ``k``
  inside its series (a period of k points);
- ``"ar1"``: the one-step forecast of an AR(1) model, ĉ + φ̂·y[t-1], fitted by
  conditional least squares on the baseline (statsmodels' ``AutoReg(y, 1)``);
  Montgomery's moving centre line, drawn on the original scale (the first
  point of a segment, or one after a gap, is forecast by the mean ĉ/(1 - φ̂));
- ``"ar1_residuals"``: Montgomery's residual chart of the same fit: the
  plotted statistic is y - forecast around 0.

Sigma is the I chart's own estimate (``sigma_method``, ``screen_mr``: mR̄/1.128
by default, Making Data Count's 2.66/3·mR̄ with its rules) taken on the
residuals y - expected; the limits are expected ± ``sigma``·σ. The
frame has an ``expected`` column (and ``value``, the original y, on the
residual chart).

>>> import numpy as np
>>> from qoswb.spc import chart
>>> y = np.tile([10.0, 20.0], 10) + np.tile([0.1, -0.1, 0.2, -0.2], 5)
>>> f = chart("i", y, model=2).frame
>>> f["expected"].iloc[:2].round(2).tolist(), bool(f["signal"].any())
([10.15, 19.85], False)
"""

import dataclasses

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import limits as lim
from .base import Limits, Options
from .limits import Points

MODELS = ("weekday", "month", "ar1", "ar1_residuals")  # or a whole number of points per period


def check_model(model) -> None:
    """A ``ParameterError`` unless ``model`` is one of ``MODELS`` or a period of 2 or more points."""
    if isinstance(model, (bool, np.bool_)) or not (
            model in MODELS or (isinstance(model, (int, np.integer)) and model >= 2)):
        raise ParameterError(f"model={model!r}: use one of {', '.join(MODELS)} or a whole number "
                             f"of points per period (>= 2)")


def seasons(model, x, group) -> np.ndarray | None:
    """The season of each sorted point (weekday 0-6, month 0-11, position mod k), or None for AR(1)."""
    if model in ("ar1", "ar1_residuals"):
        return None
    if model in ("weekday", "month"):
        dates = _dates(x)
        if dates is None:
            raise ParameterError(f"model={model!r} needs dates in x= (the period of each point)")
        return weekdays(dates) if model == "weekday" else np.asarray(dates.dt.month - 1, dtype=np.int64)
    codes = np.zeros(len(x), dtype=np.int64) if group is None else pd.factorize(np.asarray(group))[0]
    first = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, dtype=bool)
    idx = np.arange(len(codes))
    return (idx - np.maximum.accumulate(np.where(first, idx, 0))) % int(model)


def _dates(x) -> pd.Series | None:
    """``x`` as a Series with a ``.dt`` accessor (datetimes or periods), or None."""
    xs = pd.Series(x, copy=False) if hasattr(x, "dtype") else pd.Series(list(x), dtype=object)
    if isinstance(xs.dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(xs.dtype):
        return xs
    if xs.dtype == object and len(xs):
        try:
            return pd.to_datetime(xs)
        except (TypeError, ValueError):
            return None
    return None


def weekdays(dates: pd.Series) -> np.ndarray:
    """Monday 0 ... Sunday 6 of each date (local wall-clock time), by integer arithmetic on
    datetime64 values (several times faster than ``.dt.day_of_week`` on a million points).

    >>> weekdays(pd.Series(pd.to_datetime(["1970-01-01", "2024-01-01"]))).tolist()
    [3, 0]
    """
    if isinstance(dates.dtype, pd.PeriodDtype):
        return np.asarray(dates.dt.day_of_week, dtype=np.int64)
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)  # the wall clock of the zone
    days = dates.to_numpy().astype("datetime64[D]").view(np.int64)
    days += 3  # 1970-01-01 was a Thursday
    days %= 7
    return days


def ar1_fit(p: Points, values, mask, prev=None):
    """Conditional least squares AR(1) per segment: (constant, phi, mean) from the pairs
    (y[t-1], y[t]) of consecutive baseline points — statsmodels' ``AutoReg(y, 1).fit()``.
    ``prev``: the values shifted by one point (y[t-1]), when the caller has them."""
    pair = np.zeros(len(values), dtype=bool)
    pair[1:] = mask[1:] & mask[:-1] & (p.seg[1:] == p.seg[:-1])
    if prev is None:
        prev = _previous(values)
    pair &= np.isfinite(prev)
    pair &= np.isfinite(values)
    m = lim.segment_count(p, pair)
    # the pairs' values once, zero elsewhere: the four sums need no mask (and no copy) each
    px, py = np.where(pair, prev, 0.0), np.where(pair, values, 0.0)
    sx, sy = lim.segment_sum(p, px), lim.segment_sum(p, py)
    work = np.multiply(px, px)
    sxx = lim.segment_sum(p, work)
    sxy = lim.segment_sum(p, np.multiply(px, py, out=work))
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = (sxy - sx * sy / m) / (sxx - sx * sx / m)
        const = (sy - phi * sx) / m
        mean = const / (1 - phi)
    return const, phi, mean


def _previous(values):
    """The value one point earlier (NaN before the first)."""
    prev = np.empty(len(values))
    prev[:1] = np.nan
    prev[1:] = values[:-1]
    return prev


def compute(p: Points, o: Options, L: float) -> Limits:
    """The I chart around the expectation of ``o.params["model"]``.

    Frugal with memory as the plain I chart is (issue #16): besides the columns the
    chart keeps (``expected``, the limits, ``ar1_phi``) and the residuals the checks
    read, few point-sized temporaries, and the zone sigma stays per segment.
    """
    model = o.params["model"]
    y = p.y
    extra = {}
    if model in ("ar1", "ar1_residuals"):
        prev = _previous(y)
        prev[p.start] = np.nan  # no forecast across a segment start
        const, phi, mean = ar1_fit(p, y, p.base, prev=prev)
        extra["ar1_phi"] = slope = p.expand(phi)
        expected = np.multiply(slope, prev)
        expected += p.expand(const)
        first = np.flatnonzero(~np.isfinite(prev))  # a segment's first point, one after a gap
        expected[first] = mean[p.seg[first]]  # forecast by the mean
        centre = mean
    else:
        season = p.extra["season"]
        width = int(season.max()) + 1 if len(season) else 1
        key = np.multiply(p.seg, width)
        key += season
        ok = p.base & np.isfinite(y)
        keys, values = (key, y) if ok.all() else (key[ok], y[ok])
        total = np.bincount(keys, weights=values, minlength=p.nseg * width)
        count = np.bincount(keys, minlength=p.nseg * width)
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = (total / count)[key]  # NaN for a season with no baseline point
        centre = lim.segment_mean(p, y, ok)
    from .kinds import individual_sigma

    resid = y - expected
    sigma = individual_sigma(p, resid, o)  # the I chart's own estimate, on the residuals
    half = p.expand(L * sigma)
    extra["expected"] = expected
    if model == "ar1_residuals":
        extra["value"] = y
        return Limits(stat=resid, cl=np.zeros(len(y)), lcl=np.negative(half), ucl=half,
                      seg_centre=centre, seg_sigma=sigma, seg_zsigma=sigma, residuals=resid,
                      extra=extra)
    lcl = np.subtract(expected, half)
    return Limits(stat=y, cl=expected, lcl=lcl, ucl=np.add(expected, half, out=half),
                  seg_centre=centre, seg_sigma=sigma, seg_zsigma=sigma, residuals=resid, extra=extra)


#: When ``suggest`` calls a pattern strong: significant at ``ALPHA`` and, for the weekday,
#: means explaining at least this share of the variance; for autocorrelation, |r1| at least
#: this, and at least ``PERSISTENT`` in each half of the baseline.
STRONG_WEEKDAY, STRONG_AUTOCORRELATION, PERSISTENT = 0.3, 0.5, 0.3


def suggest(cc) -> pd.DataFrame:
    """The model a plain I chart's series call for, one row per segment: ``model``
    ("weekday", "ar1" or "" for none) and ``reason``.

    ``"weekday"`` for a daily series (x dates a day apart) whose weekday means
    explain at least 30% of its baseline's variance (analysis of variance,
    p < 0.01); else ``"ar1"`` when its lag-1 autocorrelation is at least 0.5 in
    size (Ljung–Box p < 0.01) and at least 0.3 in each half of the baseline (a
    single shift in level makes a series look autocorrelated; an AR(1) forecast
    would follow it and hide it). Both need 21 baseline points or more.

    >>> from qoswb.spc import chart
    >>> import numpy as np, pandas as pd
    >>> days = pd.date_range("2024-01-01", periods=56, freq="D")
    >>> y = np.tile([10.0, 12, 11, 11, 10, 4, 3], 8) + np.tile([0.5, -0.5], 28)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the plain chart warns about the autocorrelation
    ...     cc = chart("i", pd.DataFrame({"d": days, "y": y}), y="y", x="d")
    >>> suggest(cc)["model"].tolist()
    ['weekday']
    """
    from .checks import ALPHA, lag1_autocorrelation, weekday_seasonality

    if cc.kind != "i":
        raise ParameterError(f"suggest() reads individuals charts, not {cc.kind!r}")
    p, t = cc._points, cc._t
    enough = lim.segment_count(p, p.base) >= 21
    model = np.full(p.nseg, "", dtype=object)
    reason = np.full(p.nseg, "", dtype=object)
    dates = _dates(t.x) if len(t.x) else None
    if dates is not None and not isinstance(dates.dtype, pd.PeriodDtype):
        step = dates.diff().dt.total_seconds().to_numpy() / 86400
        step[p.start] = np.nan
        daily = ~(np.abs(lim.segment_mean(p, step, np.isfinite(step)) - 1) > 1e-9)
        weekday = weekdays(dates)
        F, pv, eta2 = weekday_seasonality(p, weekday, p.base)
        strong = enough & daily & (pv < ALPHA) & (eta2 >= STRONG_WEEKDAY)
        for s in np.flatnonzero(strong):
            model[s] = "weekday"
            reason[s] = (f"limits around weekday means: the weekday explains {eta2[s]:.0%} of the variation "
                         f"(F = {F[s]:.1f}, p {_p(pv[s])})")
    base = np.where(p.base, p.y, np.nan)
    r1, pv = lag1_autocorrelation(dataclasses.replace(p, y=base))
    # persistent: present in each half of the baseline, so that one shift in level (which
    # makes the whole series look autocorrelated) does not pass for it
    half = p.seg * 2 + (p.pos >= p.expand(p.lengths) / 2)
    r1_half = lag1_autocorrelation(Points.from_segments(half, y=base))[0].reshape(p.nseg, 2)
    persistent = (np.sign(r1_half) == np.sign(r1)[:, None]).all(axis=1) & (
        np.abs(r1_half).min(axis=1) >= PERSISTENT)
    strong = enough & (pv < ALPHA) & (np.abs(r1) >= STRONG_AUTOCORRELATION) & persistent & (model == "")
    for s in np.flatnonzero(strong):
        model[s] = "ar1"
        reason[s] = (f"limits around an AR(1) forecast: lag-1 autocorrelation {r1[s]:.2f} "
                     f"(Ljung-Box p {_p(pv[s])})")
    out = pd.DataFrame({"model": model, "reason": reason})
    if t.group is not None:
        out.insert(0, "group", np.asarray(t.group)[t.start])
    return out


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"
