"""Benchmark: control charts for 1,000 teams in one ``chart()`` call vs plain NumPy.

Run: ``.venv/bin/python benchmarks/bench_spc.py`` (prints a table; not a test).

Three ways to get the same numbers, side by side in one run:

1. ``qoswb``: ``chart("i", df, y=..., x=..., group="team")`` on a tidy frame —
   input checks, sorting, limits, Western Electric rules 1–4 and the tidy
   ``.frame`` included.
2. ``numpy``: the hand-written baseline below, on a ready (teams × days)
   matrix: the same limits and the same four rules, nothing else (no input
   checks, no frame). The target is qoswb ≤ 3 × this.
3. ``loop``: what a user would otherwise write, one ``chart()`` per team.

The same for p charts with varying n (1,000 teams × 52 weeks). The script also
checks that qoswb and the baseline flag the same points. Last, the cost of the
calendar-aware charts (``model="weekday"`` and ``"ar1"``) on the same 1,000
daily series, beside the plain I chart's.
"""

import sys
import time
import warnings

import numpy as np
import pandas as pd

from qoswb.spc import chart

GROUPS, DAYS, WEEKS = 1_000, 365, 52
REPEAT = 15


def best_of(fn, repeat=REPEAT):
    """Best wall time of ``repeat`` runs, in milliseconds (after one warm-up)."""
    return side_by_side([fn], repeat)[0]


def side_by_side(fns, repeat=REPEAT):
    """Best wall times (ms) of several functions, runs interleaved so that a busy
    machine (2 cores shared by many) slows them alike and the ratio stays fair."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [1000 * b for b in best]


def _rules_2d(z, above, below, beyond):
    """Western Electric 1-4 on (series × time) matrices, one flag matrix per rule."""
    flags = {"we1": beyond}
    for rid, k, m, zone in (("we2", 2, 3, 2.0), ("we3", 4, 5, 1.0)):
        hit = np.zeros(z.shape, dtype=bool)
        for b in (z > zone, z < -zone):
            c = np.cumsum(b, axis=1, dtype=np.int32)
            c[:, m:] -= c[:, :-m].copy()
            hit |= b & (c >= k)
        flags[rid] = hit
    hit = np.zeros(z.shape, dtype=bool)
    for b in (above, below):  # 8 in a row on one side: all of the last 8
        c = np.cumsum(b, axis=1, dtype=np.int32)
        c[:, 8:] -= c[:, :-8].copy()
        hit |= c >= 8
    flags["we4"] = hit
    return flags


def numpy_individuals(Y):
    """Baseline: XmR limits per point (mean, average moving range / 1.128) and WE 1-4."""
    cl = Y.mean(axis=1)
    sigma = np.abs(np.diff(Y, axis=1)).mean(axis=1) / 1.128
    CL = np.broadcast_to(cl[:, None], Y.shape)
    LCL, UCL = CL - 3 * sigma[:, None], CL + 3 * sigma[:, None]
    z = (Y - CL) / sigma[:, None]
    flags = _rules_2d(z, Y > CL, Y < CL, (Y > UCL) | (Y < LCL))
    return CL, LCL, UCL, flags


def numpy_p(D, N):
    """Baseline: p chart limits per point (pbar ± 3 se_i, truncated) and WE 1-4."""
    pbar = D.sum(axis=1) / N.sum(axis=1)
    P = D / N
    CL = np.broadcast_to(pbar[:, None], P.shape)
    se = np.sqrt(CL * (1 - CL) / N)
    LCL = np.maximum(CL - 3 * se, 0)
    UCL = np.minimum(CL + 3 * se, 1)
    z = (P - CL) / se
    flags = _rules_2d(z, P > CL, P < CL, (P > UCL) | (P < LCL))
    return CL, LCL, UCL, flags


def _agree(cc, flags, name):
    """qoswb's frame flags the same points, rule by rule, as the baseline."""
    fired = cc.frame["rules"].astype(str).str.split(",")
    for rid, want in flags.items():
        got = fired.apply(lambda ids, rid=rid: rid in ids).to_numpy()
        assert (got == want.ravel()).all(), f"{name}: qoswb and numpy disagree on {rid}"


def make_data(seed=20240601):
    rng = np.random.default_rng(seed)
    teams = np.array([f"team {i:04d}" for i in range(GROUPS)])
    days = pd.date_range("2025-01-01", periods=DAYS, freq="D")
    Y = rng.normal(100, 10, (GROUPS, DAYS))
    Y[:, 300:] += rng.choice([0, 15], GROUPS)[:, None]  # some teams shift late in the year
    daily = pd.DataFrame({"team": np.repeat(teams, DAYS), "day": np.tile(days, GROUPS),
                          "minutes": Y.ravel()})
    N = rng.integers(200, 2_000, (GROUPS, WEEKS)).astype(float)
    D = rng.binomial(N.astype(int), 0.85).astype(float)
    weeks = pd.date_range("2025-01-06", periods=WEEKS, freq="W-MON")
    weekly = pd.DataFrame({"team": np.repeat(teams, WEEKS), "week": np.tile(weeks, GROUPS),
                           "met": D.ravel(), "calls": N.ravel()})
    return daily, Y, weekly, D, N


def main(loop_teams=100):
    warnings.simplefilter("ignore")  # the checks warn about autocorrelation on some teams
    daily, Y, weekly, D, N = make_data()
    rows = []

    def qoswb_i():
        return chart("i", daily, y="minutes", x="day", group="team")

    def qoswb_p():
        return chart("p", weekly, y="met", n="calls", x="week", group="team")

    _agree(qoswb_i(), numpy_individuals(Y)[3], "i chart")
    _agree(qoswb_p(), numpy_p(D, N)[3], "p chart")

    for label, fn, base, per_team, frame in (
        (f"i chart, WE 1-4, {GROUPS} teams x {DAYS} days", qoswb_i,
         lambda: numpy_individuals(Y), "day", daily),
        (f"p chart (varying n), WE 1-4, {GROUPS} teams x {WEEKS} weeks", qoswb_p,
         lambda: numpy_p(D, N), "week", weekly),
    ):
        # the p chart call is 7x shorter: best of as many more rounds, so that both
        # charts get a similar share of quiet moments on a busy machine
        t_q, t_n = side_by_side([fn, base], REPEAT if per_team == "day" else 7 * REPEAT)
        teams = frame["team"].unique()[:loop_teams]
        parts = [frame[frame["team"] == t] for t in teams]
        kind, kw = (("i", dict(y="minutes", x="day")) if per_team == "day"
                    else ("p", dict(y="met", n="calls", x="week")))
        t_loop = best_of(lambda: [chart(kind, part, **kw) for part in parts], repeat=2)
        t_loop *= GROUPS / len(teams)
        rows.append((label, t_q, t_n, t_q / t_n, t_loop))

    print(f"{'chart':58s} {'qoswb':>9s} {'numpy':>9s} {'ratio':>6s} {'target':>7s} "
          f"{'loop/team':>10s}")
    ok = True
    for label, t_q, t_n, ratio, t_loop in rows:
        ok &= ratio <= 3
        print(f"{label:58s} {t_q:7.1f}ms {t_n:7.1f}ms {ratio:5.2f}x {'<= 3x':>7s} "
              f"{t_loop:8.0f}ms")
    print("(loop/team: one chart() call per team, extrapolated from "
          f"{loop_teams} teams to {GROUPS})")
    models = [lambda m=m: chart("i", daily, y="minutes", x="day", group="team", model=m)
              for m in ("weekday", "ar1")]
    t_plain, t_weekday, t_ar1 = side_by_side([qoswb_i, *models])
    print(f"calendar-aware i chart, {GROUPS} daily series: plain {t_plain:.1f}ms, "
          f"model='weekday' {t_weekday:.1f}ms ({t_weekday / t_plain:.2f}x), "
          f"model='ar1' {t_ar1:.1f}ms ({t_ar1 / t_plain:.2f}x)")
    print("target reached" if ok else "TARGET NOT REACHED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
