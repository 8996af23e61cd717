"""The Check of a change on a KPI series: the stable baseline, enough after-data, and a test
that allows for autocorrelation — checked against statsmodels' GLS and by simulation."""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError
from qoswb.pdca.baseline import stable_start
from qoswb.pdca.check import check_change, evidence_words
from qoswb.pdca.steptest import _t_statistics, allowed_rho, step_test

WEEKS = pd.date_range("2024-01-01", periods=80, freq="7D")  # Mondays


def ar1(n: int, phi: float, reps: int, seed: int) -> np.ndarray:
    """``reps`` stationary AR(1) series with unit marginal standard deviation."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((reps, n + 50)) * np.sqrt(1 - phi**2)
    series = np.zeros_like(noise)
    for t in range(1, n + 50):
        series[:, t] = phi * series[:, t - 1] + noise[:, t]
    return series[:, 50:]


def weekly(values, chart="i", polarity=1, **columns) -> pd.DataFrame:
    return pd.DataFrame({"period": WEEKS[:len(values)], "value": values, "chart": chart,
                         "polarity": polarity, **columns})


# ---- the test statistic against an independent implementation -----------------------------

def test_the_step_estimate_is_statsmodels_gls_with_ar1_errors():
    """Prais–Winsten with the first observation kept is exact GLS under AR(1) errors: the
    step, its standard error and t agree with statsmodels' GLS given the AR(1) covariance."""
    import statsmodels.api as sm
    from scipy.linalg import toeplitz

    values = ar1(40, 0.5, 1, seed=3)[0] + np.r_[np.zeros(28), np.full(12, 0.8)]
    rho, effect, se, t = (float(v[0]) for v in _t_statistics(values[None], 28))
    design = sm.add_constant((np.arange(40) >= 28).astype(float))
    gls = sm.GLS(values, design, sigma=toeplitz(rho ** np.arange(40))).fit()
    assert effect == pytest.approx(gls.params[1], rel=1e-9)
    assert se == pytest.approx(gls.bse[1], rel=1e-9)
    assert t == pytest.approx(gls.tvalues[1], rel=1e-9)


def test_the_autocorrelation_allowed_for_is_the_bias_corrected_lag1():
    """Each side about its own mean, lag-1 autocorrelation (as statsmodels' acf: the centred
    series has mean 0, so acf's demeaning changes nothing), + (2 + 4r)/n."""
    from statsmodels.tsa.stattools import acf

    values = ar1(60, 0.6, 1, seed=4)[0]
    centred = np.r_[values[:40] - values[:40].mean(), values[40:] - values[40:].mean()]
    raw = acf(centred, nlags=1)[1]
    assert allowed_rho(values[None], 40)[0] == pytest.approx(raw + (2 + 4 * raw) / 60)
    # no variation about either mean: only the bias correction, 2 / n
    assert allowed_rho(np.r_[np.zeros(10), np.ones(10)][None], 10)[0] == pytest.approx(0.1)


def test_step_test_is_repeatable_and_refuses_gaps():
    values = ar1(40, 0.5, 1, seed=5)[0]
    assert step_test(values, 30).p_value == step_test(values, 30).p_value
    with pytest.raises(DataError, match="gaps"):
        step_test(np.r_[values[:10], np.nan, values[11:]], 30)
    with pytest.raises(DataError, match="at least 3 periods before and 2 after"):
        step_test(values, 39)


# ---- simulation: what the verdicts mean -----------------------------------------------------

def _verdicts(series: np.ndarray, n_before: int, chart="i") -> pd.Series:
    return pd.Series([check_change(weekly(row + 80), WEEKS[n_before]).verdict for row in series])


@pytest.mark.slow
def test_a_change_that_does_nothing_is_rarely_called_improved_or_worse():
    """1,000 in-control AR(1) series (φ = 0.5), 30 weeks before a no-op change and 12 after:
    improved + worse at most alpha (5 %) plus two simulation standard errors."""
    verdicts = _verdicts(ar1(42, 0.5, 1000, seed=10), 30)
    wrong = verdicts.isin(["improved", "worse"]).mean()
    assert wrong <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 1000)
    # and the two directions share it (no bias towards one)
    assert abs((verdicts == "improved").mean() - (verdicts == "worse").mean()) < 0.03


@pytest.mark.slow
def test_a_real_one_sigma_step_with_12_weeks_after_is_found():
    """Independent weekly values (σ = 1), a year of baseline, a step of +1σ at the change:
    "improved" in at least 80 % of 400 series, "worse" never."""
    rng = np.random.default_rng(11)
    series = rng.standard_normal((400, 64)) + np.r_[np.zeros(52), np.ones(12)]
    verdicts = _verdicts(series, 52)
    assert (verdicts == "improved").mean() >= 0.80
    assert (verdicts == "worse").sum() == 0


def test_three_weeks_after_is_always_no_evidence_yet():
    """Even a 3σ step: three weekly points are not evidence; the reading says how many more."""
    series = ar1(33, 0.5, 200, seed=12) + np.r_[np.zeros(30), np.full(3, 3.0)]
    results = [check_change(weekly(row + 80), WEEKS[30]) for row in series]
    assert {r.verdict for r in results} == {"no evidence yet"}
    assert {r.more_periods_needed for r in results} == {3}
    assert results[0].reading.startswith("No evidence yet — about 3 more weeks after the change")
    assert results[0].p_value is None


# ---- the baseline: the stable stretch before the change -------------------------------------

CHANGE = "2024-12-02"


def _september_drop(seed=0, after=10, effect=0.0, change=CHANGE):
    """Weekly SLA 83 % from January, 77 % from September 2024 (an earlier shift), then a
    change that does ``effect``: the issue's workshop case."""
    rng = np.random.default_rng(seed)
    drop = int(np.flatnonzero(WEEKS >= "2024-09-02")[0])
    change = int(np.flatnonzero(WEEKS >= change)[0])
    level = np.r_[np.full(drop, 0.83), np.full(change - drop, 0.77),
                  np.full(after, 0.77 + effect)]
    return weekly(level + rng.normal(0, 0.01, level.size), chart="i", polarity=1), drop, change


def test_the_baseline_starts_at_the_last_confirmed_shift_not_at_the_start_of_history():
    table, drop, change = _september_drop()
    result = check_change(table, CHANGE)
    assert result.baseline["first"] == "2024-09-02"  # the September drop
    assert result.baseline["periods"] == change - drop
    assert "since the last confirmed shift" in result.baseline["reason"]
    # the whole history would have called it worse (0.83 -> 0.77); the stable stretch does not
    assert result.verdict == "no evidence yet"
    assert result.centre_before == pytest.approx(0.77, abs=0.01)
    # the room may move the baseline back over the drop; the test then sees a wandering
    # series (the drop inside the baseline), not a change it can vouch for
    whole = check_change(table, CHANGE, baseline_from="2024-01-01")
    assert whole.baseline["reason"] == "the periods from 2024-01-01, as chosen"
    assert whole.baseline["periods"] == change and whole.verdict != "improved"
    assert whole.rho > result.rho


def test_a_real_improvement_after_an_earlier_drop_is_improved():
    table, _, _ = _september_drop(effect=0.04)
    assert check_change(table, CHANGE).verdict == "improved"


def test_a_short_stable_stretch_after_a_shift_waits_for_more_baseline():
    table, drop, change = _september_drop(after=8, change="2024-11-04")  # 9 weeks after the drop
    result = check_change(table, "2024-11-04")
    assert result.verdict == "no evidence yet" and result.baseline["first"] == "2024-09-02"
    assert (f"the baseline has {change - drop} weeks, the check needs 12 (the room may move its "
            "start back)") in result.reading


def test_a_wandering_autocorrelated_series_keeps_its_whole_baseline_mostly():
    """Runs of 7 on one side are common in AR(1) series; without a confirming test they are
    not shifts. Over 200 in-control series, the baseline is the whole history in most."""
    starts = [stable_start(row).start for row in ar1(36, 0.5, 200, seed=13)]
    assert np.mean(np.array(starts) == 0) > 0.9


# ---- what the result says -------------------------------------------------------------------

def test_the_reading_says_which_periods_were_compared_and_the_evidence_in_words():
    rng = np.random.default_rng(2)
    values = np.r_[rng.normal(80, 2, 30), rng.normal(86, 2, 10)]
    result = check_change(weekly(values), WEEKS[30])
    assert result.verdict == "improved"
    assert result.baseline == {"first": "2024-01-01", "last": "2024-07-22", "periods": 30,
                               "reason": result.baseline["reason"]}
    assert result.after == {"first": "2024-07-29", "last": "2024-09-30", "periods": 10}
    reading = result.reading
    assert ("Compared: the 30 weeks of the baseline, 2024-01-01 to 2024-07-22 (all the periods "
            "before the change: no confirmed shift among them), with the 10 weeks from the "
            "change (2024-07-29 to 2024-09-30)") in reading
    assert "very strong evidence of a change (p = 0.001 or less)" in reading
    assert "correlation between neighbouring weeks" in reading
    assert "On the chart: " in reading and "(improving)" in reading
    assert result.ci_low < result.effect < result.ci_high
    assert result.effect == pytest.approx(values[30:].mean() - values[:30].mean(), abs=1.0)
    stored = result.to_dict()
    assert stored["verdict"] == "improved" and stored["kind"] == "i"


def test_lower_is_better_turns_a_rise_into_worse():
    rng = np.random.default_rng(2)
    values = np.r_[rng.normal(30, 2, 30), rng.normal(36, 2, 10)]
    assert check_change(weekly(values, polarity=-1), WEEKS[30]).verdict == "worse"
    assert check_change(weekly(values, polarity=0), WEEKS[30], polarity="higher").verdict \
        == "improved"


@pytest.mark.parametrize(("p", "words"), [
    (0.001, "very strong evidence of a change (p = 0.001 or less)"),
    (0.03, "evidence of a change (p = 0.03)"),
    (0.07, "a hint of a change, too weak to tell from noise (p = 0.07)"),
    (0.5, "no sign of a change beyond noise (p = 0.5)"),
])
def test_p_values_in_words(p, words):
    assert evidence_words(p) == words


def test_incomplete_periods_and_gaps_are_left_out_and_said():
    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(80, 2, 30), rng.normal(80, 2, 10)]
    values[5] = np.nan
    table = weekly(values, complete=[True] * 39 + [False])
    result = check_change(table, WEEKS[30])
    assert result.baseline["periods"] + result.after["periods"] == 38
    assert result.notes == ["1 incomplete period(s) (not fully covered by the data) left out",
                            "1 period(s) without a value left out"]


def test_proportions_use_numerator_and_denominator_on_the_chart():
    rng = np.random.default_rng(4)
    n = np.full(40, 400)
    met = rng.binomial(n, np.r_[np.full(30, 0.80), np.full(10, 0.86)])
    table = pd.DataFrame({"period": WEEKS[:40], "numerator": met, "denominator": n,
                          "chart": "p", "polarity": 1})
    result = check_change(table, WEEKS[30])
    assert result.verdict == "improved"
    assert "points" in result.reading and "%" in result.reading


def test_bad_input_names_what_is_wrong():
    table = weekly(np.arange(40.0))
    with pytest.raises(DataError, match="one team at a time"):
        check_change(table.assign(team=["a", "b"] * 20), WEEKS[30])
    with pytest.raises(DataError, match="needs a value column"):
        check_change(table.drop(columns="value"), WEEKS[30])
    with pytest.raises(ParameterError, match="changed_on='soon'"):
        check_change(table, "soon")
    with pytest.raises(ParameterError, match="baseline_from='last spring'"):
        check_change(table, WEEKS[30], baseline_from="last spring")
    with pytest.raises(ParameterError, match="polarity"):
        check_change(table.assign(polarity=0), WEEKS[30])


def test_how_many_more_periods_shrinks_as_the_effect_to_detect_grows():
    """Six weeks after a half-sigma rise on independent weeks: not yet evidence; telling
    a larger effect from noise needs fewer further weeks, a tiny one is out of reach."""
    rng = np.random.default_rng(21)
    values = np.r_[rng.normal(0, 1, 40), rng.normal(0.5, 1, 6)] + 80
    table = weekly(values)
    small, large = (check_change(table, WEEKS[40], min_effect=e) for e in (0.6, 1.2))
    assert small.verdict == large.verdict == "no evidence yet"
    assert small.more_periods_needed > large.more_periods_needed >= 1
    assert f"About {small.more_periods_needed} more weeks would be needed" in small.reading
    tiny = check_change(table, WEEKS[40], min_effect=0.01)
    assert tiny.more_periods_needed is None and "out of reach" in tiny.reading
