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
- ``mdc``: NHS Making Data Count (``mdc_beyond``, ``mdc_shift`` 7 on one side,
  ``mdc_trend`` 7 increasing or decreasing, ``mdc_two_of_three`` 2 of 3 beyond
  2 sigma); as the NHS tools colour them, every point of a shift or trend and
  both points of a 2-of-3 are flagged.

>>> resolve("we")
['we1', 'we2', 'we3', 'we4']
>>> resolve(["we1", "anhoej"])
['we1', 'anhoej_run', 'anhoej_cross']
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Context:
    """What the rules look at, on the points that are not gaps (compacted)."""

    seg: np.ndarray       # segment id per point
    stat: np.ndarray      # plotted statistic
    cl: np.ndarray        # centre line (sides, runs)
    z: np.ndarray         # (zstat - zcentre) / zsigma: distance in sigmas (NaN: no sigma)
    beyond: np.ndarray    # outside the limits
    nseg: int


# --- building blocks over flat arrays --------------------------------------------------

def _first(seg):
    """Index of the first point of each point's segment (segments contiguous)."""
    i = np.arange(len(seg))
    new = np.ones(len(seg), dtype=bool)
    new[1:] = seg[1:] != seg[:-1]
    return np.maximum.accumulate(np.where(new, i, 0))


def _window_count(b, first, w):
    """How many of the last ``w`` points (within the segment) satisfy ``b``."""
    cs = np.concatenate(([0], np.cumsum(b)))
    i = np.arange(len(b))
    return cs[i + 1] - cs[np.maximum(i - w + 1, first)]


def _run_length(b, first):
    """Length of the run of True ending at each point (0 where False)."""
    i = np.arange(len(b))
    last_false = np.maximum.accumulate(np.where(b, -1, i))
    return np.where(b, i - np.maximum(last_false, first - 1), 0)


def _whole_run(b, rl, first, min_len):
    """Flag every point of each run of True of at least ``min_len`` points."""
    n = len(b)
    i = np.arange(n)
    nxt = np.r_[b[1:], False] & np.r_[first[1:] == first[:-1], False]
    end = b & ~nxt
    end_idx = np.minimum.accumulate(np.where(end, i, n)[::-1])[::-1]
    total = np.zeros(n, dtype=np.int64)
    total[b] = rl[end_idx[b]]
    return b & (total >= min_len)


def _side_runs(ctx, min_len, whole=False):
    """Runs of ``min_len`` points on one side of the centre; on-centre points skipped."""
    side = np.sign(ctx.stat - ctx.cl)
    keep = side != 0
    idx = np.flatnonzero(keep)
    s, first = side[idx], _first(ctx.seg[idx])
    out = np.zeros(len(side), dtype=bool)
    for direction in (1, -1):
        b = s == direction
        rl = _run_length(b, first)
        hit = _whole_run(b, rl, first, min_len) if whole else rl >= min_len
        out[idx[hit]] = True
    return out


def _steps(ctx):
    """Sign of each step from the previous point of the segment (0 at the start)."""
    d = np.sign(np.diff(ctx.stat, prepend=np.nan))
    d[_first(ctx.seg) == np.arange(len(d))] = 0
    return np.nan_to_num(d)


def _trend(ctx, points, whole=False):
    """``points`` consecutive points rising (or falling): ``points - 1`` steps."""
    d, first = _steps(ctx), _first(ctx.seg)
    out = np.zeros(len(d), dtype=bool)
    for direction in (1, -1):
        b = d == direction
        rl = _run_length(b, first)
        if whole:
            hit = _whole_run(b, rl, first, points - 1)
            hit = hit | np.r_[hit[1:], False] & (np.r_[first[1:], -1] == first)
        else:
            hit = rl >= points - 1
        out |= hit
    return out


def _k_of_m(ctx, k, m, zone):
    """``k`` of the last ``m`` points beyond ``zone`` sigma on one side, this one included."""
    first = _first(ctx.seg)
    out = np.zeros(len(ctx.z), dtype=bool)
    with np.errstate(invalid="ignore"):
        for b in (ctx.z > zone, ctx.z < -zone):
            out |= b & (_window_count(b, first, m) >= k)
    return out


def _run_of(b, ctx, length):
    return _run_length(b, _first(ctx.seg)) >= length


# --- the rules ---------------------------------------------------------------------------

def _beyond(ctx):
    return ctx.beyond


def _two_of_three_whole(ctx):
    first = _first(ctx.seg)
    out = np.zeros(len(ctx.z), dtype=bool)
    with np.errstate(invalid="ignore"):
        for b in (ctx.z > 2, ctx.z < -2):
            end = _window_count(b, first, 3) >= 2
            i = np.arange(len(b))
            hit = end.copy()
            for lag in (1, 2):
                later = np.r_[end[lag:], np.zeros(lag, dtype=bool)]
                same = np.r_[first[lag:], np.full(lag, -1)] == first
                hit |= later & same & (i + lag < len(b))
            out |= b & hit
    return out


def _anhoej(ctx):
    """Anhøj runs analysis per segment: (run flags, crossing flags, per-segment table)."""
    side = np.sign(ctx.stat - ctx.cl)
    idx = np.flatnonzero(side != 0)
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
    from scipy.stats import binom

    with np.errstate(divide="ignore", invalid="ignore"):
        longest_max = np.where(useful > 0, np.round(np.log2(np.maximum(useful, 1))) + 3, np.nan)
        crossings_min = np.where(useful > 0, binom.ppf(0.05, np.maximum(useful - 1, 0), 0.5), np.nan)
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
         lambda c: _trend(c, 6)),
    Rule("n4", "14 points in a row alternating up and down", "centre",
         lambda c: _run_of((_steps(c) * np.r_[0, _steps(c)[:-1]]) < 0, c, 12)),
    Rule("n5", "2 of 3 points beyond 2 sigma on one side", "zones",
         lambda c: _k_of_m(c, 2, 3, 2.0)),
    Rule("n6", "4 of 5 points beyond 1 sigma on one side", "zones",
         lambda c: _k_of_m(c, 4, 5, 1.0)),
    Rule("n7", "15 points in a row within 1 sigma of the centre", "zones",
         lambda c: _run_of(np.abs(np.nan_to_num(c.z, nan=np.inf)) < 1, c, 15)),
    Rule("n8", "8 points in a row with none within 1 sigma", "zones",
         lambda c: _run_of(np.abs(np.nan_to_num(c.z, nan=0.0)) > 1, c, 8)),
    Rule("anhoej_run", "an unusually long run on one side of the centre (Anhøj)", "centre",
         lambda c: _anhoej(c)[0]),
    Rule("anhoej_cross", "unusually few crossings of the centre line (Anhøj)", "centre",
         lambda c: _anhoej(c)[1]),
    Rule("mdc_beyond", "a point beyond the process limits", "limits", _beyond),
    Rule("mdc_shift", "7 points in a row on one side of the mean", "centre",
         lambda c: _side_runs(c, 7, whole=True)),
    Rule("mdc_trend", "7 points in a row increasing or decreasing", "centre",
         lambda c: _trend(c, 7, whole=True)),
    Rule("mdc_two_of_three", "2 of 3 points beyond 2 sigma on one side", "zones",
         _two_of_three_whole),
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
