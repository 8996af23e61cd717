"""``chart()``: one entry point for every control chart, and the ``ControlChart`` it returns.

>>> cc = chart("i", [10.0, 12, 11, 13, 12, 11, 12, 11, 10, 12, 11, 13, 12, 11, 12, 30])
>>> row = cc.frame.loc[15]
>>> float(row.y), bool(row.signal), row.rules
(30.0, True, 'we1')
"""

import dataclasses
import functools

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from . import kinds as kinds_mod
from . import rules as rules_mod
from .checks import run_checks
from .frame import from_columns
from .inputs import Tidy, tidy
from .limits import Points, block_lengths

_COMMON_PARAMS = ("exclude",)


def chart(kind, data=None, *, y=None, n=None, x=None, group=None, phase=None, freeze=None,
          rules="we", sigma=3.0, polarity=None, **params) -> "ControlChart":
    """Compute a control chart of ``kind`` for one series or many (``group=``) at once.

    ``kind``: one of ``KINDS`` (``"run"``, ``"i"``, ``"mr"``, ``"xbar_r"``, ``"r"``,
    ``"xbar_s"``, ``"s"``, ``"p"``, ``"np"``, ``"c"``, ``"u"``, ``"pp"``, ``"up"``,
    ``"g"``, ``"t"``, ``"cusum"``, ``"ewma"``). Tidy input: ``data`` a DataFrame,
    ``y``/``n``/``x``/``group``/``phase`` column names; array input: ``data`` the
    values (2-D rows of subgroups for X̄/R/S, and for CUSUM and EWMA of subgroup
    means; a tidy frame whose ``x`` repeats inside a series gives them subgroups
    too), or ``y=`` counts and ``n=`` sizes.
    ``freeze=k`` estimates limits from the first k points of each phase;
    ``exclude=`` (positions, a boolean array or a boolean column) keeps points on
    the chart but out of the limits; ``rules`` a rule set (``"we"``, ``"nelson"``,
    ``"anhoej"``, ``"mdc"``), rule ids, or a list of both; ``sigma`` the limit
    width; ``polarity`` +1 when higher is better, -1 when lower is better.
    Other ``params``: ``screen_mr``, ``sigma_method`` (individuals: ``"mr"``
    mR̄/1.128 as qcc and qicharts2; ``"mdc"`` 2.66/3 · mR̄ from screened moving
    ranges as NHS Making Data Count, the default with MDC rules; ``"sd"``;
    subgroup CUSUM/EWMA: qcc's ``std.dev`` methods ``"uwave-r"`` (default),
    ``"uwave-sd"``, ``"mvlue-r"``, ``"mvlue-sd"``, ``"rmsdf"``),
    ``confidence``,
    ``model`` (I charts: limits around a seasonal mean — ``"weekday"``,
    ``"month"`` or a period of k points — or an AR(1) forecast, ``"ar1"`` or
    ``"ar1_residuals"``; see ``qoswb.spc.expectation``),
    ``y_neg`` (I and X̄ charts: False draws no lower limit below 0 for a group
    whose values are never negative, as qicharts2's ``y.neg = FALSE``; signals
    are the same) and the CUSUM (``target``, ``k``, ``h``, ``head_start``,
    ``sd``) and EWMA (``target``, ``lam``, ``L``, ``sd``) settings.

    The frame is sorted by group (in order of first appearance; a categorical
    column keeps its category order) and then by ``x``; its ``group`` column
    is categorical. Without ``x`` the points keep their input order and ``x``
    is the position 0, 1, ... inside each group. A NaN value (or a count with
    n = 0) is a gap: drawn as missing, never used for limits, never a signal,
    and the rules treat its neighbours as consecutive.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"team": ["a"] * 3 + ["b"] * 3, "week": [1, 2, 3] * 2,
    ...                    "met": [45, 40, 47, 18, 20, 19], "calls": [50, 50, 52, 20, 25, 21]})
    >>> cc = chart("p", df, y="met", n="calls", x="week", group="team")
    >>> cc.summary()[["group", "centre", "points"]].round(3).values.tolist()
    [['a', 0.868, 3], ['b', 0.864, 3]]
    """
    spec = kinds_mod.get(kind)
    rule_ids = _applicable(spec, rules_mod.resolve(rules))
    if "mdc" in spec.sigma_methods and any(r.startswith("mdc_") for r in rule_ids):
        params.setdefault("sigma_method", "mdc")  # MDC's rules on MDC's limits
    options, exclude = _options(spec, sigma, params)
    if polarity not in (None, 1, -1):
        raise ParameterError(f"polarity must be 1 (higher is better), -1 (lower is better) "
                             f"or None, got {polarity!r}")
    if freeze is not None and (not isinstance(freeze, (int, np.integer)) or freeze < 2):
        raise ParameterError(f"freeze must be a whole number of points >= 2, got {freeze!r}")
    t = tidy(spec.input, data, y=y, n=n, x=x, group=group, phase=phase)
    index = data.index if isinstance(data, pd.DataFrame) else None
    _validate(spec, t, index, y if isinstance(y, str) else "y", n if isinstance(n, str) else "n")
    points = _points(spec, t, freeze, _excluded(exclude, data, t))
    _enough(points, t)
    model = options.params.get("model")
    if model is not None:
        from . import expectation

        expectation.check_model(model)
        season = expectation.seasons(model, t.x, t.group)
        if season is not None:
            points.extra["season"] = season
    result = spec.compute(points, options)
    points.extra.pop("season", None)  # read by the model only: not kept with the chart
    flags, ways = _signals(rule_ids, result, points)
    if not options.y_neg:
        _floor_at_zero(result, t)
    # checked on what the limits model: the residuals when there is an expectation
    checked = points if result.residuals is None else dataclasses.replace(points, y=result.residuals)
    result.residuals = None  # read by the checks only: not kept with the chart
    checks = run_checks(checked, spec.name, result.seg_centre)
    return ControlChart(spec, t, points, result, rule_ids, flags, checks, polarity, ways)


def _options(spec, sigma, params):
    allowed = set(_COMMON_PARAMS) | set(spec.params)
    if spec.sigma_methods:
        allowed.add("sigma_method")
    if spec.confidence:
        allowed.add("confidence")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ParameterError(f"chart kind {spec.name!r} takes no parameter {', '.join(unknown)}; "
                             f"it takes: {', '.join(sorted(allowed))}")
    if not isinstance(sigma, (int, float)) or not sigma > 0:
        raise ParameterError(f"sigma must be a positive number, got {sigma!r}")
    method = params.get("sigma_method")
    if method is not None and method not in spec.sigma_methods:
        raise ParameterError(f"sigma_method for {spec.name!r} must be one of "
                             f"{', '.join(spec.sigma_methods)}, got {method!r}")
    conf = params.get("confidence")
    if conf is not None and not (isinstance(conf, float) and 0 < conf < 1):
        raise ParameterError(f"confidence must be a probability between 0 and 1, got {conf!r}")
    y_neg = params.get("y_neg", True)
    if not isinstance(y_neg, (bool, np.bool_)):
        raise ParameterError(f"y_neg must be True or False, got {y_neg!r}")
    extra = {k: v for k, v in params.items()
             if k not in ("exclude", "sigma_method", "confidence", "screen_mr", "y_neg")}
    for key in ("k", "h", "head_start", "lam", "L", "sd"):
        if key in extra and not (isinstance(extra[key], (int, float)) and extra[key] >= 0):
            raise ParameterError(f"{key} must be a non-negative number, got {extra[key]!r}")
    if "lam" in extra and not 0 < extra["lam"] <= 1:
        raise ParameterError(f"lam must be in (0, 1], got {extra['lam']!r}")
    return (kinds_mod.Options(sigma=float(sigma), confidence=conf,
                              screen_mr=bool(params.get("screen_mr", method == "mdc")),
                              sigma_method=method, y_neg=bool(y_neg), params=extra),
            params.get("exclude"))


def _applicable(spec, ids):
    """The rules that make sense on this kind (run charts have no limits; CUSUM
    and EWMA points are autocorrelated, so only the limit crossing applies)."""
    if spec.rule_scope == "all":
        return ids
    return [r for r in ids if rules_mod.RULES[r].needs == spec.rule_scope]


def _rows(t: Tidy, mask, index):
    rows = t.input_rows(mask)
    return index[rows] if index is not None else rows


def _validate(spec, t: Tidy, index, y_name, n_name):
    from .inputs import _where

    y, n = t.y, t.n
    checks = []  # (values that must be >= low, low, column, what is wrong)
    if spec.statistic in ("proportion", "count", "rate"):  # the points count cases
        checks.append((lambda: y < 0, y, 0, y_name, "negative counts"))
    if spec.name == "t":
        checks.append((lambda: y <= 0, y, np.nextafter(0, 1), y_name,
                       "times between events must be > 0"))
    if spec.input == "either" and n is not None and t.sd is None:  # subgroup means with their sizes
        checks.append((lambda: n < 1, n, 1, n_name, "subgroup sizes must be 1 or more"))
    if spec.input == "counts":
        checks.append((lambda: n < 0, n, 0, n_name, "negative sizes"))
        checks.append((lambda: (n == 0) & (y > 0), n, np.nextafter(0, 1), n_name,
                       "size 0 with a positive count"))
        if spec.family == "binomial":  # cases out of n
            checks.append((lambda: y > n, None, None, y_name, "counts above n"))
    lowest = {}  # each array's minimum, taken once (n serves two checks)

    def least(values):
        if id(values) not in lowest:
            lowest[id(values)] = values.min()
        return lowest[id(values)]

    with np.errstate(invalid="ignore"):
        for bad, values, low, col, what in checks:
            # a minimum at or above ``low`` clears the check in one pass (a NaN
            # minimum does not: then the rows are looked at one by one)
            if values is not None and (len(values) == 0 or least(values) >= low):
                continue
            mask = bad()
            if mask.any():
                raise DataError(f"column {col!r}: {what} on rows {_where(_rows(t, mask, index))}")


def _excluded(exclude, data, t: Tidy):
    """Excluded points in sorted order: positions, a boolean array or a boolean column."""
    if exclude is None:
        return None
    n_rows = len(data) if data is not None and not isinstance(data, (list, tuple)) else None
    rows = t.input_rows(np.arange(len(t.y)))  # the input row of each sorted point
    if isinstance(exclude, str):
        if not isinstance(data, pd.DataFrame) or exclude not in data.columns:
            raise ParameterError(f"exclude={exclude!r} is not a column of data")
        mask = data[exclude].to_numpy(dtype=bool, na_value=False)
    else:
        arr = np.asarray(exclude)
        if arr.dtype == bool:
            mask = arr
        else:
            n_rows = n_rows if n_rows is not None else int(rows.max()) + 1
            if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= n_rows):
                raise ParameterError(f"exclude= must be positions 0..{n_rows - 1} or a boolean "
                                     f"array, got {exclude!r}")
            mask = np.zeros(n_rows, dtype=bool)
            mask[arr] = True
    if n_rows is not None and len(mask) != n_rows:
        raise ParameterError(f"exclude= has {len(mask)} values for {n_rows} rows")
    return mask[rows]


def _points(spec, t: Tidy, freeze, excluded) -> Points:
    base = np.isfinite(t.y)
    every_n = False  # every size positive and finite (then base needs nothing from n)
    if t.n is not None:
        with np.errstate(invalid="ignore"):
            every_n = len(t.n) > 0 and t.n.min() > 0 and t.n.max() < np.inf  # NaN fails both
        if not every_n:
            has_cases = t.n > 0  # NaN n is not > 0
            base &= has_cases
            base &= t.n < np.inf
    if freeze is not None:
        pos = np.arange(len(t.seg)) - np.repeat(t.start, block_lengths(t.start, len(t.seg)))
        base &= pos < freeze
    if excluded is not None:
        base &= ~excluded
    y = t.y
    if spec.input == "counts" and not every_n and not has_cases.all():
        y = np.where(has_cases, y, np.nan)  # a period with no cases at all is a gap
    extra = {} if excluded is None else {"excluded": excluded}
    return Points(seg=t.seg, start=t.start, y=y, base=base, n=t.n, sd=t.sd, rng=t.rng, extra=extra)


def _enough(p: Points, t: Tidy):
    from .limits import segment_count

    count = segment_count(p, p.base)
    few = np.flatnonzero(count < 2)
    if len(few):
        names = []
        for s in few[:5]:
            i = t.start[s]
            label = []
            if t.group is not None:
                label.append(f"group {t.group[i]!r}")
            if t.phase is not None:
                label.append(f"phase {t.phase[i]!r}")
            names.append(" ".join(label) or "the series")
        raise DataError(f"fewer than 2 usable points to estimate limits for {', '.join(names)}"
                        + (f" (and {len(few) - 5} more)" if len(few) > 5 else ""))


def _floor_at_zero(r: kinds_mod.Limits, t: Tidy) -> None:
    """qicharts2's ``y.neg = FALSE``, per group: a group whose plotted values are never
    negative gets no lower limit below 0. Taken after the signals, which it cannot change
    (no such value lies below 0); qicharts2 looks at all facets together, we at each group."""
    codes = np.zeros(len(r.stat), dtype=np.int64) if t.group is None else pd.factorize(np.asarray(t.group))[0]
    lowest = np.full(codes.max() + 1 if len(codes) else 0, np.inf)
    np.fmin.at(lowest, codes, r.stat)  # gaps (NaN) leave the minimum alone
    r.lcl = np.where((lowest >= 0)[codes] & (r.lcl < 0), 0.0, r.lcl)


def _side(r: kinds_mod.Limits) -> np.ndarray:
    """Which way a signal on each point points by default: the chart's own direction
    (CUSUM), else the point's side of the centre line."""
    if r.direction is not None:
        return r.direction
    with np.errstate(invalid="ignore"):
        return np.sign(r.stat - r.cl)


#: Points per block of whole segments the rules run on: the rules' temporaries (byte
#: counts and flags of 256 KB, L2-sized; the sigma distances of 2 MB) are block-sized and
#: reused, where at full size each would be fresh memory on every call. Smaller blocks
#: cost more in per-block overhead (about 0.15 ms a block of Western Electric rules) than
#: they save. A segment longer than this is one block by itself.
BLOCK_POINTS = 1 << 18


def _blocks(start, total, size):
    """(first point, end point, first segment, end segment) of consecutive blocks of whole
    segments (first points ``start``) of about ``size`` points: a block ends where the
    segment holding the next multiple of ``size`` begins (so it holds at most ``size``
    points beside its first segment).

    >>> list(_blocks(np.array([0, 4, 6, 9]), 12, 4))
    [(0, 4, 0, 1), (4, 6, 1, 2), (6, 12, 2, 4)]
    """
    if total <= size:  # most charts: one block
        yield 0, total, 0, len(start)
        return
    cut = np.unique(np.searchsorted(start, np.arange(size, total, size), side="right") - 1)
    segs = [0, *cut[cut > 0].tolist(), len(start)]
    ends = [*start[segs[1:-1]].tolist(), total]
    first = 0
    for s0, s1, end in zip(segs[:-1], segs[1:], ends):
        yield first, end, s0, s1
        first = end


def _signals(rule_ids, r: kinds_mod.Limits, p: Points):
    """Each rule's flags over all points (gaps never signal), and per point whether a
    rule firing on it points up, and whether one points down. The rules run on blocks
    of whole segments (``BLOCK_POINTS``); no rule looks past its segment, so the flags
    are the same as from one pass over everything."""
    N = len(r.stat)
    if not rule_ids:
        return {}, (np.zeros(N, dtype=bool), np.zeros(N, dtype=bool))
    valid = np.isfinite(r.stat)
    everything = valid.all()
    pick = (lambda a: a) if everything else (lambda a: a if a is None else a[valid])  # noqa: E731
    zones = (r.zsigma is not None or r.seg_zsigma is not None) and \
        any(rules_mod.RULES[rid].needs == "zones" for rid in rule_ids)
    zstat = pick(r.stat if r.zstat is None else r.zstat) if zones else None
    zcentre = pick(r.cl if r.zcentre is None else r.zcentre) if zones else None
    zsigma = None
    if zones and (r.zsigma is not None or not everything):  # else expanded block by block
        zsigma = pick(r.zsigma if r.zsigma is not None else p.expand(r.seg_zsigma))
    seg, stat, cl = pick(p.seg), pick(r.stat), pick(r.cl)
    lcl, ucl, beyond = (None, None, pick(r.beyond)) if r.beyond is not None else \
        (pick(r.lcl), pick(r.ucl), None)
    excluded, direction = pick(p.extra.get("excluded")), pick(r.direction)
    M = len(stat)
    start = p.start if everything else np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]]) if M \
        else np.zeros(0, dtype=np.int64)

    def run(lo, hi, s0, s1):  # the rules on one block: its flags and which way they point
        at = slice(lo, hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            if zones:
                z = np.subtract(zstat[at], zcentre[at])
                np.divide(z, zsigma[at] if zsigma is not None else
                          np.repeat(r.seg_zsigma[s0:s1], p.lengths[s0:s1]), out=z)
            else:
                z = np.full(hi - lo, np.nan)
            out = beyond[at] if beyond is not None else \
                np.greater(stat[at], ucl[at]) | np.less(stat[at], lcl[at])
        first = int(seg[lo])
        ctx = rules_mod.Context(seg=seg[at] - first if first else seg[at], stat=stat[at],
                                cl=cl[at], z=z, beyond=out, nseg=int(seg[hi - 1]) - first + 1,
                                start=start[s0:s1] - lo if lo else start[s0:s1],
                                lengths=p.lengths[s0:s1] if everything else None,
                                excluded=None if excluded is None else excluded[at])
        got = rules_mod.evaluate(rule_ids, ctx)
        return got, rules_mod.pointing(rule_ids, ctx, got, None if direction is None else direction[at])

    blocks = list(_blocks(start, M, BLOCK_POINTS))
    if len(blocks) == 1:  # most charts: the block's arrays are the result
        flags, (up, down) = run(*blocks[0])
    else:
        flags = {rid: np.empty(M, dtype=bool) for rid in rule_ids}
        up, down = np.empty(M, dtype=bool), np.empty(M, dtype=bool)
        for lo, hi, s0, s1 in blocks:
            got, ways = run(lo, hi, s0, s1)
            for rid, f in got.items():
                flags[rid][lo:hi] = f
            up[lo:hi], down[lo:hi] = ways

    def spread(a):
        if everything:
            return a
        full = np.zeros(N, dtype=bool)
        full[valid] = a
        return full

    return {rid: spread(f) for rid, f in flags.items()}, (spread(up), spread(down))


def _rule_labels(rule_ids, flags, N):
    """The ``rules`` column (comma-separated ids per point, a categorical), ``signal``
    and the positions of the signals."""
    signal = np.zeros(N, dtype=bool)
    for rid in rule_ids:
        signal |= flags[rid]
    hit = np.flatnonzero(signal)
    uniq = inv = ()
    if len(hit):
        code = np.zeros(len(hit), dtype=np.int64)
        for i, rid in enumerate(rule_ids):  # one bit per rule, on the signal points only
            code |= flags[rid][hit].astype(np.int64) << i
        uniq, inv = _distinct(code, 1 << len(rule_ids))
    dtype = _labels_dtype(tuple(rule_ids), tuple(np.asarray(uniq).tolist()))
    # codes in the small integer type pandas would convert them to anyway
    cat_codes = np.zeros(N, dtype=np.int8 if len(dtype.categories) < 127 else np.int32)
    cat_codes[hit] = np.add(inv, 1)
    labels = pd.Categorical.from_codes(cat_codes, dtype=dtype, validate=False)
    return labels, signal, hit


def _distinct(code, size):
    """``np.unique(code, return_inverse=True)`` for codes below ``size``: by a count of each
    code rather than a sort (a few rules give at most a few thousand codes)."""
    if size > 1 << 20:
        return np.unique(code, return_inverse=True)
    uniq = np.flatnonzero(np.bincount(code, minlength=size))
    rank = np.zeros(size, dtype=np.int64)
    rank[uniq] = np.arange(len(uniq))
    return uniq, rank[code]


@functools.lru_cache(maxsize=256)
def _labels_dtype(rule_ids: tuple, codes: tuple):
    """The categorical dtype of a ``rules`` column: "" and the rule combinations ``codes``
    (one bit per rule of ``rule_ids``) as comma-separated ids. Cached: building one checks
    its categories, which costs more than the whole column for a small chart.

    >>> list(_labels_dtype(("we1", "we2", "we4"), (1, 5)).categories)
    ['', 'we1', 'we1,we4']
    """
    names = ("",) + tuple(",".join(rid for i, rid in enumerate(rule_ids) if code >> i & 1)
                          for code in codes)
    return pd.CategoricalDtype(list(names))


class ControlChart:
    """A computed control chart: ``.frame`` (one row per point), ``.summary()``, ``.plot()``.

    Built by ``chart()``; nothing here recomputes the statistics.
    """

    def __init__(self, spec, t, points, result, rule_ids, flags, checks, polarity, ways):
        self.kind = spec.name
        self.spec = spec
        self.rules = rule_ids
        self.polarity = polarity
        self._t, self._points, self._result, self._checks = t, points, result, checks
        # the rules' flags and ways live on in the frame's columns only (not kept twice)
        self.frame = self._frame(flags, ways)

    def __repr__(self):
        groups = "" if self._t.group is None else f", {len(np.unique(self._t.seg))} series"
        return (f"<ControlChart {self.kind!r}: {len(self.frame)} points{groups}, "
                f"{int(self.frame['signal'].sum())} signals>")

    def _frame(self, flags, ways) -> pd.DataFrame:
        t, r, p = self._t, self._result, self._points
        N = len(r.stat)
        cols = {}
        if t.group is not None:
            cols["group"] = t.group
        cols["phase"] = t.phase if t.phase is not None else np.ones(N, dtype=np.int64)
        cols["x"] = t.x
        cols["y"] = r.stat
        if self.spec.has_n or (t.n is not None and self.spec.input == "either"):  # subgroup CUSUM, EWMA
            cols["n"] = t.n
        cols.update(cl=r.cl, lcl=r.lcl, ucl=r.ucl)
        labels, signal, _ = _rule_labels(self.rules, flags, N)
        cols["signal"] = signal
        cols["rules"] = labels
        cols["direction"] = self._direction(*ways)
        cols["baseline"] = p.base
        cols.update(r.extra)
        return from_columns(cols)

    def _direction(self, up, down) -> np.ndarray:
        """Which way each signal points (+1 up, -1 down; 0 no signal). When the rules on a
        point disagree (a falling trend above the mean), improvement wins, as in Making
        Data Count's tool; with no polarity, the point's side of the centre decides."""
        direction = up.view(np.int8) - down.view(np.int8)
        both = up & down
        if both.any():
            direction[both] = self.polarity if self.polarity else _side(self._result)[both]
        return direction

    def summary(self) -> pd.DataFrame:
        """One row per group and phase: centre, sigma, limits, points, signals and a verdict.

        ``verdict`` is "common cause only" or "special cause"; with ``polarity``
        the direction of the latest signal makes it "special cause: improving"
        or "special cause: deteriorating". Check flags (``too_few_points``,
        ``autocorrelation``, ``overdispersion``) and Anhøj's runs analysis
        (``longest_run``, ``longest_run_max``, ``crossings``, ``crossings_min``,
        ``runs_signal``) are columns too.
        """
        from .summary import summarise

        return summarise(self)

    def plot(self, ax=None, **kwargs):
        """Draw the chart on a matplotlib Axes (made if not given) and return the Axes.

        Drawn by :func:`qoswb.spc.plot.draw_chart`, as every chart in qoswb: ``group=``
        (one of several), ``title=``, ``unit=`` (the y-axis; p charts in % by default),
        ``changes=`` ((date, label) pairs), ``legend=False``.
        """
        from .plot import plot_chart

        return plot_chart(self, ax=ax, **kwargs)

    def facet(self, col_wrap=4, **kwargs):
        """Small multiples, one panel per group (and phase stepped inside); returns the Figure."""
        from .plot import facet_chart

        return facet_chart(self, col_wrap=col_wrap, **kwargs)
