"""Rules that tell special-cause signals from common-cause noise, vectorised.

Every rule works on flat arrays of all series at once: windows and runs are
counted with cumulative sums and running maxima over the flat array, and a
window or run never crosses into the previous segment (group × phase). Gaps
(NaN points) are skipped: the points either side are consecutive for the rules.

Rule ids (``RULES``) and sets (``RULE_SETS``):

- ``we``: Western Electric 1–4 (``we1`` beyond 3 sigma; ``we2`` 2 of 3 beyond
  2 sigma on one side; ``we3`` 4 of 5 beyond 1 sigma on one side; ``we4`` 8 in a
  row on one side). As qcc: the flagged point itself is beyond the zone, runs
  flag their 8th point onwards, points on the centre line count for neither
  side and break nothing.
- ``nelson``: Nelson 1–8 (``n1`` beyond 3 sigma, ``n2`` 9 on one side, ``n3`` 6
  increasing or decreasing, ``n4`` 14 alternating, ``n5`` 2 of 3 beyond 2
  sigma, ``n6`` 4 of 5 beyond 1 sigma, ``n7`` 15 within 1 sigma, ``n8`` 8 with
  none within 1 sigma).
- ``anhoej``: Anhøj's runs analysis as qicharts2 (``anhoej_run``: a run longer
  than round(log2(n)) + 3; ``anhoej_cross``: fewer crossings than the 5th
  percentile of Binomial(n - 1, 0.5)), n = useful points (not on the centre).
- ``mdc``: NHS Making Data Count as current MDC defines it (``mdc_beyond``;
  ``mdc_shift`` 7 on one side, a point on the mean breaking the run;
  ``mdc_trend`` 7 increasing or decreasing; ``mdc_two_of_three`` 2 of 3 beyond
  2 sigma, limits included, with all 3 on that side of the mean, inside one
  phase). As the NHS tools colour them, every point of a shift or trend and the
  points of a 2-of-3 beyond 2 sigma are flagged. A trend points the way it goes
  (``pointing``), other rules to their point's side of the centre.

>>> resolve("we")
['we1', 'we2', 'we3', 'we4']
>>> resolve(["we1", "anhoej"])
['we1', 'anhoej_run', 'anhoej_cross']
"""

from dataclasses import dataclass

import numpy as np

from .limits import block_lengths


@dataclass
class Context:
    """What the rules look at, on the points that are not gaps (compacted)."""

    seg: np.ndarray       # segment id per point (segments contiguous)
    stat: np.ndarray      # plotted statistic
    cl: np.ndarray        # centre line (sides, runs)
    z: np.ndarray         # (zstat - zcentre) / zsigma: distance in sigmas (NaN: no sigma)
    beyond: np.ndarray    # outside the limits
    nseg: int

    start: np.ndarray | None = None  # first index of each segment (computed if not given)
    excluded: np.ndarray | None = None  # left out of Anhøj's runs analysis, as qicharts2
    lengths: np.ndarray | None = None  # points of each segment (computed if not given)

    def __post_init__(self):
        n = len(self.seg)
        if self.start is None:
            self.start = np.flatnonzero(np.r_[True, self.seg[1:] != self.seg[:-1]]) if n else \
                np.zeros(0, dtype=np.int64)
        if self.lengths is None:
            self.lengths = block_lengths(self.start, n)
        self.new = np.zeros(n, dtype=bool)  # first point of a segment
        self.new[self.start] = True
        self.cache = {}

    @property
    def i(self):
        if "i" not in self.cache:
            self.cache["i"] = np.arange(len(self.seg))
        return self.cache["i"]

    @property
    def first(self):
        if "first" not in self.cache:
            self.cache["first"] = np.repeat(self.start, self.lengths)
        return self.cache["first"]

    @property
    def pos(self):
        if "pos" not in self.cache:
            self.cache["pos"] = self.i - self.first
        return self.cache["pos"]

    def head(self, k):
        """Indices of the first ``k`` points of every segment (k × segments) and which
        exist (``None`` when every segment has at least ``k`` points, the usual case)."""
        key = ("head", k)
        if key not in self.cache:
            at = np.arange(k)[:, None] + self.start[None, :]
            if "shortest" not in self.cache:  # the usual case is told by one pass over the segments
                self.cache["shortest"] = int(self.lengths.min()) if len(self.lengths) else 0
            if self.cache["shortest"] >= k:
                self.cache[key] = (at, None)
            else:
                ok = np.arange(k)[:, None] < self.lengths[None, :]
                self.cache[key] = (np.where(ok, at, 0), ok)
        return self.cache[key]

    def side(self):
        """+1 above the centre line, -1 below, 0 on it."""
        if "side" not in self.cache:
            up, down = self.above_below()
            self.cache["side"] = up.view(np.int8) - down.view(np.int8)
        return self.cache["side"]

    def above_below(self):
        """Boolean arrays: strictly above, strictly below the centre line."""
        if "ab" not in self.cache:
            with np.errstate(invalid="ignore"):
                self.cache["ab"] = (self.stat > self.cl, self.stat < self.cl)
        return self.cache["ab"]

    def steps(self):
        """Sign of each step from the previous point of the segment (0 at its start)."""
        if "steps" not in self.cache:
            d = np.zeros(len(self.stat), dtype=np.int8)
            d[1:] = np.sign(self.stat[1:] - self.stat[:-1])
            d[self.new] = 0
            self.cache["steps"] = d
        return self.cache["steps"]


# --- building blocks over flat arrays (windows and runs never cross a segment start) ---

def _first_of_new(new, i):
    return np.maximum.accumulate(np.where(new, i, 0))


def _window_count(b, ctx, w):
    """How many of the last ``w`` points (within the segment) satisfy ``b``.

    Shifted adds of small integers (w passes over a byte array) beat a
    cumulative sum; contributions that leaked across a segment start are then
    taken back, touching only the first w - 1 points of each segment.
    """
    n = len(b)
    # bytes added to bytes: no bool-to-int cast on every pass
    bits = b.view(np.int8) if w < 128 else b.astype(np.int32)
    c = bits.copy()
    for lag in range(1, min(w, n)):
        c[lag:] += bits[:-lag]
    if w > 1 and n:
        at, ok = ctx.head(w - 1)
        heads = bits[at] if ok is None else np.where(ok, bits[at], 0).astype(c.dtype)
        for j in range(1, len(heads)):  # running count from the segment start, row by row
            heads[j] += heads[j - 1]  # (faster than np.cumsum along a short axis)
        if ok is None:
            c[at] = heads
        else:
            c[at[ok]] = heads[ok]
    return c


def _all_of_last(b, ctx, w):
    """``b`` holds for each of the last ``w`` points of the segment (a run of at least w).

    By doubling: ANDs of shifted copies make runs of 2, 4, 8, ... (log2(w)
    passes); then the first w - 1 points of each segment, too early to end a
    run of w inside it, are cleared (which also drops runs leaking across a start).
    """
    run = b.copy()
    span = 1
    while span < w:
        step = min(span, w - span)
        run[step:] &= run[:-step]  # numpy buffers the overlap: reads the old values
        span += step
    if w > 1 and len(run):
        at, ok = ctx.head(w - 1)
        run[at if ok is None else at[ok]] = False
    return run


def _equal_run(key, ctx, new=None):
    """Length of the run of equal ``key`` values ending at each point, inside its segment."""
    brk = ctx.new.copy() if new is None else new.copy()
    brk[1:] |= key[1:] != key[:-1]
    return ctx.i - _first_of_new(brk, ctx.i) + 1


def _whole_run(hit_end, rl, ctx):
    """Extend flags at the end points of runs back over the whole run (rl points each)."""
    idx = np.flatnonzero(hit_end)
    out = np.zeros(len(rl), dtype=bool)
    if len(idx):
        # the last qualifying point of each run carries the run start
        starts = idx - rl[idx] + 1
        marks = np.zeros(len(rl) + 1, dtype=np.int32)
        np.add.at(marks, starts, 1)
        np.add.at(marks, idx + 1, -1)
        out = np.cumsum(marks[:-1]) > 0
    return out


def _side_runs(ctx, min_len):
    """Runs of ``min_len`` points on one side of the centre; on-centre points skipped."""
    up, down = ctx.above_below()
    if len(up) == 0 or (up | down).all():
        return _all_of_last(up, ctx, min_len) | _all_of_last(down, ctx, min_len)
    keep = np.flatnonzero(up | down)  # rare: points exactly on the centre line
    sub = Context(seg=ctx.seg[keep], stat=ctx.stat[keep], cl=ctx.cl[keep], z=ctx.z[keep],
                  beyond=ctx.beyond[keep], nseg=ctx.nseg)
    out = np.zeros(len(up), dtype=bool)
    out[keep] = _side_runs(sub, min_len)
    return out


def _trend(ctx, points, whole=False):
    """``points`` consecutive points rising (or falling): ``points - 1`` equal steps
    (``whole``: every point of the trend, else its last points)."""
    if whole:
        rising, falling = _trend_ways(ctx, points)
        return rising | falling
    return _step_runs(ctx) >= points - 1


def _step_runs(ctx):
    """How many steps the same way (up or down) end at each point (0 after an equal step)."""
    if "step_runs" not in ctx.cache:
        d = ctx.steps()
        ctx.cache["step_runs"] = np.where(d != 0, _equal_run(d, ctx), 0)
    return ctx.cache["step_runs"]


def _trend_ways(ctx, points):
    """Every point of a rising and of a falling trend of ``points`` (the point a trend
    starts from belongs to it, so a peak can end one trend and start the other)."""
    key = ("trend_ways", points)
    if key not in ctx.cache:
        d, rl = ctx.steps(), _step_runs(ctx)
        ways = []
        for sign in (1, -1):
            steps = _whole_run((rl >= points - 1) & (d == sign), rl, ctx)
            steps[:-1] |= steps[1:] & ~ctx.new[1:]
            ways.append(steps)
        ctx.cache[key] = tuple(ways)
    return ctx.cache[key]


def _broken_side_runs(ctx, min_len):
    """Every point of a run of ``min_len`` or more on one side of the centre, where a
    point on the centre line breaks the run (Making Data Count's shift)."""
    side = ctx.side()
    rl = _equal_run(side, ctx)
    return _whole_run((rl >= min_len) & (side != 0), rl, ctx)


def _trend_ends(ctx, points):
    """The last points of rising and of falling trends of ``points`` (Nelson's flags)."""
    d = ctx.steps()
    hit = _trend(ctx, points)
    return hit & (d > 0), hit & (d < 0)


def _k_of_m(ctx, k, m, zone):
    """``k`` of the last ``m`` points beyond ``zone`` sigma on one side, this one included."""
    out = np.zeros(len(ctx.z), dtype=bool)
    with np.errstate(invalid="ignore"):
        for b in (ctx.z > zone, ctx.z < -zone):
            out |= b & (_window_count(b, ctx, m) >= k)
    return out


def _run_of(b, ctx, length):
    """``length`` points in a row satisfying ``b``."""
    return _all_of_last(b, ctx, length)


# --- the rules ---------------------------------------------------------------------------

def _beyond(ctx):
    return ctx.beyond


def _alternating(ctx):
    """A step opposite in sign to the previous step (zigzag)."""
    d = ctx.steps()
    alt = np.zeros(len(d), dtype=bool)
    alt[1:] = (d[1:] * d[:-1]) < 0
    return alt


def _two_of_three_one_side(ctx):
    """Making Data Count's 2-of-3: 3 consecutive points of one phase, all on one side of
    the mean (none on it), 2 or more of them beyond 2 sigma on that side (beyond the
    limits counts too); the window's points beyond 2 sigma fire, the third does not."""
    out = np.zeros(len(ctx.z), dtype=bool)
    up, down = ctx.above_below()
    with np.errstate(invalid="ignore"):
        for side, b in ((up, ctx.z > 2), (down, ctx.z < -2)):
            # a window ends here: 3 points of the segment on this side (so none at a phase
            # start has fewer than 3), 2 of them beyond 2 sigma
            end = _all_of_last(side, ctx, 3) & (_window_count(b, ctx, 3) >= 2)
            hit = end.copy()
            for lag in (1, 2):  # the earlier points of the window (same segment: end needs 3)
                hit[:-lag] |= end[lag:]
            out |= b & hit
    return out


def _anhoej(ctx):
    """Anhøj runs analysis per segment: (run flags, crossing flags, per-segment table)."""
    if "anhoej" not in ctx.cache:
        ctx.cache["anhoej"] = _anhoej_runs(ctx)
    return ctx.cache["anhoej"]


def _binomial_quantile(q: float, trials):
    """``scipy.stats.binom.ppf(q, trials, 0.5)``, computed as scipy.stats does it but with
    scipy.special alone (scipy.stats costs ~0.8 s to import, in every report kernel).

    >>> _binomial_quantile(0.05, np.array([0, 9, 23])).tolist()
    [0.0, 2.0, 8.0]
    """
    from scipy.special import bdtr, bdtrik

    trials = np.asarray(trials, dtype=np.int64)
    out = np.zeros(trials.shape)
    some = trials > 0
    upper = np.ceil(bdtrik(q, trials[some], 0.5))
    lower = np.maximum(upper - 1, 0)
    out[some] = np.where(bdtr(lower.astype(np.int64), trials[some], 0.5) >= q, lower, upper)
    return out


def _anhoej_runs(ctx):
    side = ctx.side()
    useful = side != 0
    if ctx.excluded is not None:
        useful &= ~ctx.excluded
    idx = np.flatnonzero(useful)
    s, seg = side[idx], ctx.seg[idx]
    useful = np.bincount(seg, minlength=ctx.nseg)
    newrun = np.ones(len(s), dtype=bool)
    newrun[1:] = (s[1:] != s[:-1]) | (seg[1:] != seg[:-1])
    run_id = np.cumsum(newrun) - 1
    run_len = np.bincount(run_id)
    run_seg = seg[newrun]
    longest = np.zeros(ctx.nseg, dtype=np.int64)
    np.maximum.at(longest, run_seg, run_len)
    crossings = np.maximum(np.bincount(run_seg, minlength=ctx.nseg) - 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        longest_max = np.where(useful > 0, np.round(np.log2(np.maximum(useful, 1))) + 3, np.nan)
        crossings_min = np.where(useful > 0, _binomial_quantile(0.05, np.maximum(useful - 1, 0)), np.nan)
    run_signal = (useful > 0) & (longest > longest_max)
    cross_signal = (useful > 0) & (crossings < crossings_min)
    long_run = np.zeros(len(side), dtype=bool)
    long_run[idx] = run_len[run_id] > longest_max[seg]
    table = {"useful_points": useful, "longest_run": longest, "longest_run_max": longest_max,
             "crossings": crossings, "crossings_min": crossings_min,
             "runs_signal": run_signal | cross_signal}
    return long_run, cross_signal[ctx.seg], table


@dataclass
class Rule:
    """One rule: its id, what it looks for, what it needs from the chart, and its test."""

    id: str
    description: str
    needs: str  # "limits", "zones" (a sigma) or "centre"
    test: object
    #: which way a flag points: None, its point's side of the centre line (or the
    #: chart's own direction); else ``ways(ctx) -> (up, down)`` (a trend: the way it goes)
    ways: object = None


RULES: dict[str, Rule] = {r.id: r for r in [
    Rule("we1", "a point beyond the control limits", "limits", _beyond),
    Rule("we2", "2 of 3 points beyond 2 sigma on one side", "zones",
         lambda c: _k_of_m(c, 2, 3, 2.0)),
    Rule("we3", "4 of 5 points beyond 1 sigma on one side", "zones",
         lambda c: _k_of_m(c, 4, 5, 1.0)),
    Rule("we4", "8 points in a row on one side of the centre", "centre",
         lambda c: _side_runs(c, 8)),
    Rule("n1", "a point beyond the control limits", "limits", _beyond),
    Rule("n2", "9 points in a row on one side of the centre", "centre",
         lambda c: _side_runs(c, 9)),
    Rule("n3", "6 points in a row increasing or decreasing", "centre",
         lambda c: _trend(c, 6), ways=lambda c: _trend_ends(c, 6)),
    Rule("n4", "14 points in a row alternating up and down", "centre",
         lambda c: _run_of(_alternating(c), c, 12)),
    Rule("n5", "2 of 3 points beyond 2 sigma on one side", "zones",
         lambda c: _k_of_m(c, 2, 3, 2.0)),
    Rule("n6", "4 of 5 points beyond 1 sigma on one side", "zones",
         lambda c: _k_of_m(c, 4, 5, 1.0)),
    Rule("n7", "15 points in a row within 1 sigma of the centre", "zones",
         lambda c: _run_of(np.abs(c.z) < 1, c, 15)),
    Rule("n8", "8 points in a row with none within 1 sigma", "zones",
         lambda c: _run_of(np.abs(c.z) > 1, c, 8)),
    Rule("anhoej_run", "an unusually long run on one side of the centre (Anhøj)", "centre",
         lambda c: _anhoej(c)[0]),
    Rule("anhoej_cross", "unusually few crossings of the centre line (Anhøj)", "centre",
         lambda c: _anhoej(c)[1]),
    Rule("mdc_beyond", "a point beyond the process limits", "limits", _beyond),
    Rule("mdc_shift", "7 points in a row on one side of the mean", "centre",
         lambda c: _broken_side_runs(c, 7)),
    Rule("mdc_trend", "7 points in a row increasing or decreasing", "centre",
         lambda c: _trend(c, 7, whole=True), ways=lambda c: _trend_ways(c, 7)),
    Rule("mdc_two_of_three", "2 of 3 points beyond 2 sigma, all 3 on one side of the mean",
         "zones", _two_of_three_one_side),
]}

#: Named rule sets; a list of ids and set names may be mixed in ``rules=``.
RULE_SETS: dict[str, list[str]] = {
    "we": ["we1", "we2", "we3", "we4"],
    "nelson": [f"n{i}" for i in range(1, 9)],
    "anhoej": ["anhoej_run", "anhoej_cross"],
    "mdc": ["mdc_beyond", "mdc_shift", "mdc_trend", "mdc_two_of_three"],
}


def resolve(rules) -> list[str]:
    """Rule ids from a set name, an id, or a list of both (``None`` or ``[]``: no rules).

    >>> resolve(["n1", "n2"])
    ['n1', 'n2']
    """
    from ..errors import ParameterError

    if rules is None:
        return []
    items = [rules] if isinstance(rules, str) else list(rules)
    out: list[str] = []
    for item in items:
        if item in RULE_SETS:
            ids = RULE_SETS[item]
        elif item in RULES:
            ids = [item]
        else:
            raise ParameterError(
                f"rules: unknown rule or rule set {item!r}; sets: {', '.join(RULE_SETS)}; "
                f"rule ids: {', '.join(RULES)}")
        out.extend(i for i in ids if i not in out)
    return out


def evaluate(ids, ctx: Context) -> dict[str, np.ndarray]:
    """Each rule's flags (one bool per point of ``ctx``).

    >>> import numpy as np
    >>> ctx = Context(seg=np.zeros(9, int), stat=np.ones(9), cl=np.zeros(9),
    ...               z=np.full(9, 0.5), beyond=np.zeros(9, bool), nseg=1)
    >>> evaluate(["we4"], ctx)["we4"].nonzero()[0].tolist()
    [7, 8]
    """
    return {rid: np.asarray(RULES[rid].test(ctx), dtype=bool) for rid in ids}


def pointing(ids, ctx: Context, flags: dict, side=None) -> tuple[np.ndarray, np.ndarray]:
    """Per point: does a rule that fires on it point up, does one point down?

    A rule without its own ``ways`` points to ``side`` (+1/-1/0 per point: the
    chart's own direction, as CUSUM's) or, by default, to its point's side of
    the centre line. A trend points the way it goes, whichever side it lies.

    >>> import numpy as np
    >>> z = np.array([6.0, 5, 4, 3, 2, 1, 0.5])   # falling, all above the centre
    >>> ctx = Context(seg=np.zeros(7, int), stat=z, cl=np.zeros(7), z=z / 3,
    ...               beyond=z > 5.5, nseg=1)
    >>> ids = ["mdc_beyond", "mdc_trend"]
    >>> up, down = pointing(ids, ctx, evaluate(ids, ctx))
    >>> up.nonzero()[0].tolist(), down.nonzero()[0].tolist()
    ([0], [0, 1, 2, 3, 4, 5, 6])
    """
    by_side = np.zeros(len(ctx.seg), dtype=bool)
    up = np.zeros(len(ctx.seg), dtype=bool)
    down = np.zeros(len(ctx.seg), dtype=bool)
    for rid in ids:
        rule = RULES[rid]
        if rule.ways is None:
            by_side |= flags[rid]
        else:
            rising, falling = rule.ways(ctx)
            up |= flags[rid] & rising
            down |= flags[rid] & falling
    above, below = ctx.above_below() if side is None else (side > 0, side < 0)
    up |= by_side & above
    down |= by_side & below
    return up, down
