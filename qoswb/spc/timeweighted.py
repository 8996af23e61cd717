"""Time-weighted charts, CUSUM and EWMA: recursions over time, all segments side by side.

>>> import numpy as np
>>> from qoswb.spc import chart
>>> f = chart("cusum", np.r_[np.zeros(10), np.full(10, 2.0)], target=0.0, sd=1.0).frame
>>> int(f.signal.to_numpy().argmax())
13
"""

import numpy as np

from ..errors import ParameterError
from . import limits as lim
from .base import Limits


def _target_and_sd(p, o):
    """Centre and process sigma per segment, and each point's standard error.

    Single values (qcc's ``xbar.one``): the mean and mR̄/1.128 (``sigma_method="mr"``)
    or s/c4 (``"sd"``). Rational subgroups (qcc's ``xbar``): the statistic is the
    subgroup mean, the centre the size-weighted mean of the means, sigma from
    within the subgroups (``"uwave-r"``, qcc's default, or ``"rmsdf"`` when a
    subgroup has more than 25 values; ``"uwave-sd"``, ``"mvlue-r"``,
    ``"mvlue-sd"``) and the standard error sigma/√n. Subgroup means given as
    values with their sizes ``n=`` need ``sd=``, as in qcc. ``target`` and ``sd``
    fix the centre and sigma; both are estimated from the baseline (``freeze``).
    """
    subgroups = p.sd is not None
    if not subgroups and p.n is not None and o.params.get("sd") is None:
        raise ParameterError("subgroup means with sizes (n=) need sd= (the process sigma), as qcc asks: "
                             "the values alone cannot give a within-subgroup sigma")
    method = o.sigma_method or (("rmsdf" if np.nanmax(p.n, initial=0) > 25 else "uwave-r")
                                if subgroups else "mr")
    allowed = lim.SUBGROUP_SIGMAS if subgroups else ("mr", "sd")
    if method not in allowed:
        raise ParameterError(f"sigma_method={method!r} is not for {'subgroups' if subgroups else 'single values'}; "
                             f"use one of {', '.join(allowed)}")
    target = o.params.get("target")
    if target is not None:
        centre = np.full(p.nseg, float(target))
    elif p.n is not None:  # subgroup means: weighted by their sizes (qcc stats.xbar)
        centre = lim.segment_ratio(p, p.n * p.y, p.n, p.base & np.isfinite(p.y))
    else:
        centre = lim.segment_mean(p, p.y, p.base)
    sd = o.params.get("sd")
    if sd is not None:
        sigma = np.full(p.nseg, float(sd))
    elif subgroups:
        sigma = lim.subgroup_sigma(p, method, p.base)
    elif method == "sd":
        sigma = lim.sd_sigma(p, p.y, p.base)
    else:
        sigma = lim.mr_sigma(p, p.y, p.base, screen=o.screen_mr)[0]
    se = p.expand(sigma) / np.sqrt(p.n) if p.n is not None else p.expand(sigma)
    return centre, sigma, se


def _padded(p, values):
    """Values as a (segments × longest) matrix, NaN-padded, with the flat index map."""
    pos = p.pos
    width = int(pos.max()) + 1 if len(pos) else 0
    mat = np.full((p.nseg, width), np.nan)
    mat[p.seg, pos] = values
    return mat, pos


def _cusum(p, o):
    # Tabular CUSUM on standardised values (Montgomery 9.1; qcc's cusum):
    # C+ = max(0, C+ + z - k), C- = max(0, C- - z - k), started at head_start;
    # a signal when either exceeds h. The recursion runs over time with all
    # segments side by side (one NumPy step per position, not per group).
    k = float(o.params.get("k", 0.5))
    h = float(o.params.get("h", 5.0))
    start = float(o.params.get("head_start", 0.0))
    centre, sigma, se = _target_and_sd(p, o)
    z, pos = _padded(p, (p.y - p.expand(centre)) / se)
    upper = np.empty_like(z)
    lower = np.empty_like(z)
    cu = np.full(p.nseg, start)
    cl_ = np.full(p.nseg, start)
    for j in range(z.shape[1]):
        zj = z[:, j]
        ok = np.isfinite(zj)  # a gap carries the sums over unchanged
        cu = np.where(ok, np.maximum(0.0, cu + zj - k), cu)
        cl_ = np.where(ok, np.maximum(0.0, cl_ - zj - k), cl_)
        upper[:, j], lower[:, j] = cu, cl_
    up, low = upper[p.seg, pos], -lower[p.seg, pos]
    gap = ~np.isfinite(p.y)
    up[gap], low[gap] = np.nan, np.nan
    N = len(p.y)
    return Limits(stat=p.y, cl=np.zeros(N), lcl=np.full(N, -h), ucl=np.full(N, h),
                  seg_centre=centre, seg_sigma=sigma, beyond=(up > h) | (low < -h),
                  direction=(up > h).astype(np.int8) - (low < -h).astype(np.int8),
                  extra={"cusum_upper": up, "cusum_lower": low})


def _ewma(p, o):
    # EWMA (Montgomery 9.2; qcc's ewma): z_i = lam x_i + (1 - lam) z_{i-1},
    # z_0 = target, exact time-varying limits.
    lam = float(o.params.get("lam", 0.2))
    L = float(o.params.get("L", 3.0))
    centre, sigma, se = _target_and_sd(p, o)
    x, pos = _padded(p, p.y)
    z = np.empty_like(x)
    cur = centre.copy()
    for j in range(x.shape[1]):
        xj = x[:, j]
        cur = np.where(np.isfinite(xj), lam * xj + (1 - lam) * cur, cur)
        z[:, j] = cur
    stat = z[p.seg, pos]
    stat[~np.isfinite(p.y)] = np.nan
    width = L * se * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * (pos + 1))))
    cl = p.expand(centre)
    return Limits(stat=stat, cl=cl, lcl=cl - width, ucl=cl + width, seg_centre=centre,
                  seg_sigma=sigma, extra={"value": p.y})
