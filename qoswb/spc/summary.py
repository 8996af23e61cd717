"""``ControlChart.summary()``: one row per group and phase, for reports and dashboards.

>>> import numpy as np
>>> from qoswb.spc import chart
>>> chart("c", np.array([3, 4, 2, 5, 4, 3, 4, 2, 5, 3, 4, 17]), rules="we1").summary()[
...     ["centre", "signals", "verdict"]].values.tolist()
[[4.666666666666667, 1, <Variation.HIGHER: 'special_cause_neither_high'>]]

``verdict`` is a :class:`qoswb.verdicts.Variation`: of the latest signal of the
segment (its direction read with ``polarity``), common cause when there is none,
or too few points to judge when no signal and fewer points than the limits need.
"""

import numpy as np
import pandas as pd

from . import rules as rules_mod
from ..verdicts import Variation


def _segment_mean(seg, values, nseg):
    ok = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.bincount(seg[ok], weights=values[ok], minlength=nseg)
                / np.bincount(seg[ok], minlength=nseg))


def _last_index(seg, mask, nseg):
    """Index of the last point of each segment where ``mask`` holds (-1 if none)."""
    out = np.full(nseg, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    out[seg[idx]] = idx  # later indices overwrite earlier ones
    return out


def summarise(cc) -> pd.DataFrame:
    """The summary table of a ``ControlChart`` (see ``ControlChart.summary``)."""
    t, p, r, f = cc._t, cc._points, cc._result, cc.frame
    nseg, seg = p.nseg, p.seg
    first = t.start
    cols = {}
    if t.group is not None:
        cols["group"] = t.group[first]
    cols["phase"] = f["phase"].to_numpy()[first]
    cols["kind"] = cc.kind
    cols["centre"] = r.seg_centre
    cols["sigma"] = r.seg_sigma
    cols["lcl"] = _segment_mean(seg, r.lcl, nseg)
    cols["ucl"] = _segment_mean(seg, r.ucl, nseg)
    cols["points"] = np.bincount(seg[np.isfinite(r.stat)], minlength=nseg)
    cols["baseline_points"] = cc._checks["baseline_points"]
    signal = f["signal"].to_numpy()
    cols["signals"] = np.bincount(seg[signal], minlength=nseg)
    last = _last_index(seg, signal, nseg)
    xs = f["x"].to_numpy()
    has = last >= 0
    last_x = pd.Series([None] * nseg, dtype=object)
    if has.any():
        last_x[has] = list(xs[last[has]])
    cols["last_signal_x"] = last_x.to_numpy()
    direction = np.where(has, f["direction"].to_numpy()[np.maximum(last, 0)], 0)
    verdict = Variation.of(direction, cc.polarity, has)
    too_few = np.asarray(cc._checks.get("too_few_points", False), dtype=bool) & ~has
    verdict[np.broadcast_to(too_few, verdict.shape)] = Variation.TOO_FEW_POINTS
    cols["verdict"] = verdict
    for key in ("too_few_points", "autocorrelation", "lag1_autocorrelation",
                "overdispersion", "dispersion_ratio"):
        if key in cc._checks:
            cols[key] = cc._checks[key]
    if cc.spec.rule_scope != "limits":
        cols.update(_runs(cc))
    return pd.DataFrame(cols)


def _runs(cc):
    """Anhøj runs analysis per segment (always reported; it costs one pass)."""
    r, p = cc._result, cc._points
    valid = np.isfinite(r.stat)
    ctx = rules_mod.Context(seg=p.seg[valid], stat=r.stat[valid], cl=r.cl[valid],
                            z=np.full(valid.sum(), np.nan),
                            beyond=np.zeros(valid.sum(), dtype=bool), nseg=p.nseg,
                            excluded=p.extra["excluded"][valid] if "excluded" in p.extra else None)
    return rules_mod._anhoej(ctx)[2]
