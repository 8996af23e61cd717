"""The rules on hand-made sequences whose answer is known, and ARL by simulation."""

import numpy as np
import pytest

from qoswb.errors import ParameterError
from qoswb.spc import RULE_SETS, chart
from qoswb.spc.rules import Context, evaluate, resolve


def ctx_from_z(z, seg=None):
    """A context with known centre 0 and sigma 1: z is the distance in sigmas."""
    z = np.asarray(z, dtype=float)
    seg = np.zeros(len(z), dtype=np.int64) if seg is None else np.asarray(seg)
    return Context(seg=seg, stat=z, cl=np.zeros(len(z)), z=z, beyond=np.abs(z) > 3,
                   nseg=int(seg.max()) + 1)


def fired(rule, z, seg=None):
    return np.flatnonzero(evaluate([rule], ctx_from_z(z, seg))[rule]).tolist()


def test_we1_beyond_limits():
    assert fired("we1", [0, 3.1, -3.2, 2.9, 3.0]) == [1, 2]  # strictly beyond


def test_we2_two_of_three_beyond_two_sigma_same_side():
    assert fired("we2", [2.5, 0, 2.1, 0, 0]) == [2]
    assert fired("we2", [2.5, 0, -2.1, 0, 0]) == []  # opposite sides
    assert fired("we2", [2.5, 2.6, 0.0]) == [1]  # the flagged point must itself be beyond


def test_we3_four_of_five_beyond_one_sigma():
    assert fired("we3", [1.5, 1.5, 0.2, 1.5, 1.5, 0]) == [4]
    assert fired("we3", [1.5, 1.5, 0.2, 0.2, 1.5, 1.5]) == []


def test_we4_eight_in_a_row_flags_eighth_onwards():
    z = [0.5] * 10 + [-0.5]
    assert fired("we4", z) == [7, 8, 9]


def test_we4_points_on_centre_count_for_neither_side_and_break_nothing():
    z = [0.5] * 4 + [0.0] + [0.5] * 4
    assert fired("we4", z) == [8]


def test_runs_and_windows_do_not_cross_series():
    z = [0.5] * 5 + [0.5] * 5
    seg = [0] * 5 + [1] * 5
    assert fired("we4", z, seg) == []
    assert fired("we2", [0, 0, 2.5, 2.5, 0, 0], [0, 0, 0, 1, 1, 1]) == []


def test_nelson_rules():
    assert fired("n2", [0.3] * 9) == [8]
    assert fired("n3", [1, 2, 3, 4, 5, 6, 5]) == [5]  # 6 increasing points
    assert fired("n4", [(-1) ** i for i in range(14)]) == [13]  # 14 alternating points
    assert fired("n4", [(-1) ** i for i in range(13)]) == []
    assert fired("n7", [0.5, -0.5] * 8) == [14, 15]  # 15 within 1 sigma
    assert fired("n8", [1.5, -1.5] * 4) == [7]  # 8 none within 1 sigma


def test_mdc_flags_the_whole_pattern():
    assert fired("mdc_shift", [0.5] * 7 + [-0.5]) == list(range(7))
    assert fired("mdc_trend", [0, 1, 2, 3, 4, 5, 6, 5]) == list(range(7))
    assert fired("mdc_two_of_three", [2.5, 0.5, 2.1]) == [0, 2]  # all 3 above the mean


def test_anhoej_thresholds_follow_the_published_formulae():
    from scipy.stats import binom

    # 24 useful points: longest run limit round(log2(24)) + 3 = 8, crossings >= qbinom(.05, 23, .5) = 8
    z = [1.0] * 9 + [-1.0, 1.0] * 7 + [-1.0]  # a run of 9 > 8, then 15 crossings >= 8
    out = evaluate(["anhoej_run", "anhoej_cross"], ctx_from_z(z))
    assert np.flatnonzero(out["anhoej_run"]).tolist() == list(range(9))
    assert not out["anhoej_cross"].any()
    z = [1.0] * 8 + [-1.0] * 8 + [1.0] * 8  # longest run 8 (not > 8), 2 crossings < 8
    out = evaluate(["anhoej_run", "anhoej_cross"], ctx_from_z(z))
    assert not out["anhoej_run"].any() and out["anhoej_cross"].all()
    assert binom.ppf(0.05, 23, 0.5) == 8 and round(np.log2(24)) + 3 == 8


def test_rule_sets_and_pick_and_mix():
    assert resolve("nelson") == RULE_SETS["nelson"]
    assert resolve(["mdc", "anhoej_cross"])[-1] == "anhoej_cross"
    assert resolve(None) == []
    with pytest.raises(ParameterError, match="unknown rule.*'we9'.*rule ids: we1"):
        resolve(["we1", "we9"])


@pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")
def test_gaps_are_skipped_by_the_rules():
    y = [1.0] * 4 + [np.nan] + [1.0] * 4 + [0.0] * 12
    f = chart("i", np.array(y), rules="we4").frame
    assert f.signal.tolist()[8] and not f.signal.tolist()[4]  # the gap joins the run; never signals


# --- average run length by simulation (known mean 0 and sigma 1) ------------------------

def _run_lengths(rules, n_series, length, shift=0.0, seed=1):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_series, length)) + shift
    seg = np.repeat(np.arange(n_series), length)
    flags = evaluate(rules, ctx_from_z(z.ravel(), seg))
    signal = np.zeros(z.size, dtype=bool)
    for f in flags.values():
        signal |= f
    first = np.where(signal.reshape(z.shape).any(axis=1), signal.reshape(z.shape).argmax(axis=1),
                     length)
    assert (first < length).mean() > 0.999  # (almost) no censored series
    return first + 1


def _within(rl, expected):
    # the run length is roughly geometric: sd ≈ mean, so se = mean / sqrt(m); allow 4 se
    se = rl.std(ddof=1) / np.sqrt(len(rl))
    assert abs(rl.mean() - expected) < 4 * se, (rl.mean(), expected, se)


def test_arl_rule_1_in_control_is_370():
    """ARL0 of 3-sigma limits = 1 / P(|Z| > 3) = 370.4."""
    _within(_run_lengths(["we1"], 2_000, 3_500), 370.4)


def test_arl_western_electric_1_to_4_is_91_75():
    """Champ & Woodall (1987): zero-state ARL0 of WE rules 1-4 together = 91.75."""
    _within(_run_lengths(RULE_SETS["we"], 4_000, 1_200, seed=2), 91.75)


def test_arl_rule_1_after_a_one_sigma_shift():
    """A 1-sigma shift: P(signal) = P(Z > 2) + P(Z < -4), ARL1 = 43.89 (geometric)."""
    from scipy.stats import norm

    p = norm.sf(2) + norm.cdf(-4)
    _within(_run_lengths(["we1"], 2_000, 600, shift=1.0, seed=3), 1 / p)


def test_anhoej_minimum_crossings_are_scipys_binomial_quantile():
    # qicharts2 takes qbinom(0.05, n - 1, 0.5); we compute it without importing scipy.stats
    from scipy import stats

    from qoswb.spc.rules import _binomial_quantile

    useful = np.arange(1, 3001)
    assert np.array_equal(_binomial_quantile(0.05, useful - 1), stats.binom.ppf(0.05, useful - 1, 0.5))
    # Anhøj & Olesen 2014, table 1: 10 useful points -> at least 2 crossings, 24 -> 8, 50 -> 19
    assert _binomial_quantile(0.05, np.array([9, 23, 49])).tolist() == [2, 8, 19]
