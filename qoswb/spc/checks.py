"""Checks that tell when a chart's limits deserve less trust (warnings + summary flags).

- ``autocorrelation``: lag-1 autocorrelation of an individuals series, tested
  with the Ljung–Box statistic for lag 1 (the same r1 and Q that statsmodels'
  ``acf(x, nlags=1, qstat=True)`` reports, computed for all series at once;
  the tests check the agreement). Autocorrelated data make XmR limits too
  narrow or too wide (Montgomery 10.4).
- ``overdispersion``: for p, np and u charts, the Pearson chi-square dispersion
  of the baseline against the binomial/Poisson model; when it is significant,
  Laney's p′/u′ charts (``"pp"``, ``"up"``) are the better choice.
- ``too_few_points``: fewer than ``MIN_BASELINE`` points behind the limits
  (NHS Making Data Count asks for 15–20; treat the limits as provisional).

>>> MIN_BASELINE
15
"""

import warnings

import numpy as np

from .limits import Points, segment_count, segment_sum

MIN_BASELINE = 15
ALPHA = 0.01
AUTOCORRELATION_KINDS = ("i", "t")
DISPERSION_KINDS = ("p", "np", "u")


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


def dispersion(p: Points, kind: str, centre):
    """Pearson chi-square / (m - 1) of the baseline and whether it is significant, per segment.

    The chi-square critical value is computed once per distinct degrees of freedom
    (series usually share their length), not once per series.
    """
    from scipy.special import chdtri

    mask = p.base
    c = p.expand(centre)
    with np.errstate(invalid="ignore", divide="ignore"):
        # few fresh point-sized arrays: their page faults cost more than the arithmetic
        expected = p.n * c
        if kind == "u":
            var = expected
            resid = np.subtract(p.y, expected, out=c)
        else:
            var = np.multiply(expected, np.subtract(1, c, out=c), out=c)
            resid = np.subtract(p.y, expected, out=expected)
        np.multiply(resid, resid, out=resid)
        np.divide(resid, var, out=resid)
        stat = segment_sum(p, resid, mask)
        if not np.isfinite(stat).all():  # rare (n = 0, p = 0 or 1): such points add nothing
            resid[~np.isfinite(resid)] = 0.0
            stat = segment_sum(p, resid, mask)
        df = segment_count(p, mask) - 1
        levels, where = np.unique(df, return_inverse=True)
        critical = np.where(levels > 0, chdtri(np.maximum(levels, 1), ALPHA), np.inf)[where]
        return stat / df, stat > critical


def run_checks(p: Points, kind: str, centre) -> dict:
    """Per-segment check values and flags; warns once per kind of finding."""
    baseline = segment_count(p, p.base)
    out = {"baseline_points": baseline, "too_few_points": baseline < MIN_BASELINE}
    if kind in AUTOCORRELATION_KINDS:
        r1, pv = lag1_autocorrelation(p)
        out["lag1_autocorrelation"] = r1
        out["autocorrelation"] = np.nan_to_num(pv, nan=1.0) < ALPHA
    if kind in DISPERSION_KINDS:
        ratio, significant = dispersion(p, kind, centre)
        out["dispersion_ratio"] = ratio
        out["overdispersion"] = significant & (ratio > 1)
    messages = {
        "too_few_points": f"fewer than {MIN_BASELINE} points behind the limits: treat them as provisional",
        "autocorrelation": "lag-1 autocorrelation (Ljung-Box p < 0.01): individuals limits may mislead",
        "overdispersion": (f"over-dispersion against the {'Poisson' if kind == 'u' else 'binomial'} "
                           f"model: consider the Laney chart {'up' if kind == 'u' else 'pp'!r}"),
    }
    for key, text in messages.items():
        if key in out and out[key].any():
            k = int(out[key].sum())
            warnings.warn(f"{k} of {p.nseg} series: {text} (see ControlChart.summary())",
                          SPCWarning, stacklevel=3)
    return out
