"""chart(): groups, phases, baselines, exclusions, gaps, bad input, summary and checks."""

import warnings

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError
from qoswb.spc import KINDS, SPCWarning, chart

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")

FRAME_COLUMNS = ["phase", "x", "y", "cl", "lcl", "ucl", "signal", "rules", "direction", "baseline"]


@pytest.fixture
def teams():
    rng = np.random.default_rng(7)
    rows = []
    for team, mean in (("north", 10.0), ("south", 20.0), ("east", 30.0)):
        y = rng.normal(mean, 1.0, 40)
        y[35] += 8  # one obvious special cause per team
        rows.append(pd.DataFrame({"team": team, "week": np.arange(40), "minutes": y,
                                  "met": rng.binomial(200, 0.8, 40), "calls": 200}))
    return pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=3)  # shuffled


@pytest.mark.parametrize("kind", ["i", "mr", "run", "c", "g", "t", "cusum", "ewma"])
def test_one_call_for_many_groups_equals_one_call_per_group(teams, kind):
    data = teams.assign(minutes=teams.minutes.abs().round())
    together = chart(kind, data, y="minutes", x="week", group="team").frame
    for team, part in data.groupby("team"):
        alone = chart(kind, part, y="minutes", x="week").frame
        mine = together[together.group == team].reset_index(drop=True)
        for col in ("y", "cl", "lcl", "ucl", "signal"):
            np.testing.assert_allclose(mine[col].to_numpy(float), alone[col].to_numpy(float),
                                       equal_nan=True, err_msg=f"{kind} {team} {col}")
        assert mine.rules.astype(str).tolist() == alone.rules.astype(str).tolist()


@pytest.mark.parametrize("kind", ["p", "np", "u", "pp", "up"])
def test_groups_for_count_charts(teams, kind):
    together = chart(kind, teams, y="met", n="calls", x="week", group="team").frame
    part = teams[teams.team == "south"]
    alone = chart(kind, part, y="met", n="calls", x="week").frame
    mine = together[together.group == "south"].reset_index(drop=True)
    np.testing.assert_allclose(mine[["cl", "lcl", "ucl"]].to_numpy(float),
                               alone[["cl", "lcl", "ucl"]].to_numpy(float))


def test_frame_is_sorted_by_group_and_x_with_the_documented_columns(teams):
    f = chart("i", teams, y="minutes", x="week", group="team").frame
    assert list(f.columns) == ["group"] + FRAME_COLUMNS
    assert f.groupby("group", observed=True).x.apply(lambda s: s.is_monotonic_increasing).all()
    assert f.signal.dtype == bool and set(f.direction.unique()) <= {-1, 0, 1}
    assert (f.rules.astype(str) == "").eq(~f.signal).all()


def test_phases_have_their_own_limits():
    y = np.r_[np.full(20, 10.0) + np.tile([0, 1], 10), np.full(20, 20.0) + np.tile([0, 1], 10)]
    phase = ["before"] * 20 + ["after"] * 20
    cc = chart("i", y, phase=phase)
    s = cc.summary()
    assert s.phase.tolist() == ["before", "after"]
    assert s.centre.tolist() == [10.5, 20.5]
    assert cc.frame.cl.iloc[0] == 10.5 and cc.frame.cl.iloc[-1] == 20.5


def test_freeze_uses_the_first_k_points_per_phase():
    y = np.r_[np.tile([9.0, 11.0], 10), np.full(10, 30.0)]
    f = chart("i", y, freeze=20).frame
    assert f.cl.iloc[-1] == 10.0 and f.baseline.sum() == 20
    assert f.signal.iloc[20:].all()
    phase = [1] * 15 + [2] * 15
    s = chart("i", y, phase=phase, freeze=4).summary()
    assert s.baseline_points.tolist() == [4, 4]


def test_exclude_by_position_boolean_array_or_column():
    y = np.array([10.0, 12, 11, 13, 50, 12, 11, 10, 12, 11])
    by_pos = chart("i", y, exclude=[4]).frame
    by_mask = chart("i", y, exclude=np.arange(10) == 4).frame
    df = pd.DataFrame({"v": y, "odd": np.arange(10) == 4})
    by_col = chart("i", df, y="v", exclude="odd").frame
    kept = np.delete(y, 4)
    assert by_pos.cl[0] == pytest.approx(kept.mean())
    assert by_mask.cl[0] == by_col.cl[0] == by_pos.cl[0]
    assert not by_pos.baseline[4] and by_pos.signal[4]  # kept on the chart, flagged


def test_nan_is_a_gap_not_used_for_limits():
    y = np.array([10.0, 12, np.nan, 11, 13, 12, 11, 10])
    f = chart("i", y).frame
    assert len(f) == 8 and np.isnan(f.y[2]) and not f.signal[2] and f.rules[2] == ""
    assert f.cl[0] == pytest.approx(np.nanmean(y))
    # moving ranges next to the gap are missing: (12-10), (12-11)... without |11-12| across it
    mrs = [2, 2, 1, 1, 1]
    assert f.ucl[0] == pytest.approx(np.nanmean(y) + 3 * np.mean(mrs) / 1.128)


def test_tidy_subgroups_equal_the_matrix_form():
    rng = np.random.default_rng(1)
    m = rng.normal(5, 1, (12, 4))
    df = pd.DataFrame({"sample": np.repeat(np.arange(12), 4), "v": m.ravel()}).sample(frac=1, random_state=1)
    a = chart("xbar_s", m).frame
    b = chart("xbar_s", df, y="v", x="sample").frame
    np.testing.assert_allclose(a[["y", "n", "cl", "ucl"]], b[["y", "n", "cl", "ucl"]])


def test_summary_verdict_reads_with_polarity():
    from qoswb.verdicts import Variation

    y = np.r_[np.tile([10.0, 11.0], 10), [30.0]]
    assert chart("i", y).summary().verdict[0] is Variation.HIGHER
    assert chart("i", y, polarity=1).summary().verdict[0] is Variation.IMPROVING
    assert chart("i", y, polarity=-1).summary().verdict[0] is Variation.DETERIORATING
    calm = chart("i", np.tile([10.0, 11.0, 10.5], 7), polarity=1).summary()
    assert calm.verdict[0] is Variation.COMMON_CAUSE and calm.signals[0] == 0
    few = chart("i", [10.0, 11.0, 10.5, 10.0, 11.0], polarity=1).summary()
    assert bool(few.too_few_points[0]) and few.verdict[0] is Variation.TOO_FEW_POINTS


def test_unknown_kind_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown chart kind 'xbar'.*run, i, mr, xbar_r"):
        chart("xbar", [1.0, 2.0, 3.0])
    assert len(KINDS) == 17


def test_unknown_rule_and_parameter():
    with pytest.raises(ParameterError, match="'wx1'"):
        chart("i", [1.0, 2, 3], rules=["wx1"])
    with pytest.raises(ParameterError, match="takes no parameter lam"):
        chart("i", [1.0, 2, 3], lam=0.2)


@pytest.mark.parametrize("y, n, match", [
    ([1, 2, 3], [10, 0, 10], "size 0 with a positive count"),
    ([1, 2, 3], [10, -5, 10], "negative sizes"),
    ([1, 12, 3], [10, 10, 10], "counts above n on rows 1"),
    ([1, -2, 3], [10, 10, 10], "negative counts"),
])
def test_bad_counts_are_data_errors(y, n, match):
    with pytest.raises(DataError, match=match):
        chart("p", y=y, n=n)


def test_zero_of_zero_is_a_gap():
    f = chart("p", y=[1, 0, 3, 2], n=[10, 0, 10, 10]).frame
    assert np.isnan(f.y[1]) and not f.baseline[1]


def test_fewer_than_two_points_names_the_group():
    df = pd.DataFrame({"team": ["a", "a", "a", "b"], "v": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match="fewer than 2 usable points.*group 'b'"):
        chart("i", df, y="v", group="team")


def test_mixed_types_name_the_column_and_rows():
    df = pd.DataFrame({"v": [1.0, "n/a", 3.0, "x"]}, dtype=object)
    with pytest.raises(DataError, match=r"column 'v' must be numeric; rows 1, 3"):
        chart("i", df, y="v")


def test_duplicate_x_in_a_series_is_an_error():
    df = pd.DataFrame({"week": [1, 2, 2, 3], "v": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DataError, match="x repeats"):
        chart("i", df, y="v", x="week")


def test_t_chart_needs_positive_times():
    with pytest.raises(DataError, match="must be > 0"):
        chart("t", [3.0, 0.0, 5.0])


def test_autocorrelation_check_agrees_with_statsmodels():
    from statsmodels.tsa.stattools import acf

    rng = np.random.default_rng(5)
    e = rng.normal(size=60)
    y = np.empty(60)
    y[0] = e[0]
    for i in range(1, 60):
        y[i] = 0.8 * y[i - 1] + e[i]  # AR(1): strongly autocorrelated
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = chart("i", y).summary()
    r, q, p = acf(y, nlags=1, qstat=True, result_object=False)
    assert s.lag1_autocorrelation[0] == pytest.approx(r[1])
    assert p[0] < 0.01 and bool(s.autocorrelation[0])
    assert any(issubclass(w.category, SPCWarning) and "autocorrelation" in str(w.message)
               for w in caught)


def test_overdispersion_check_suggests_laney(spc_reference):
    case = spc_reference["qic_syn_od_p"]  # qicharts2 example built to be over-dispersed
    with pytest.warns(SPCWarning, match="consider the Laney chart 'pp'"):
        cc = chart("p", y=case["input"]["counts"], n=case["input"]["sizes"])
    assert cc.summary().overdispersion[0]


def test_too_few_points_is_flagged():
    s = chart("i", [1.0, 2.0, 1.5, 2.5, 1.0]).summary()
    assert s.too_few_points[0] and s.baseline_points[0] == 5


def test_confidence_gives_probability_limits():
    y = np.tile([10.0, 11.0, 10.5, 9.5], 5)
    three = chart("i", y).frame
    prob = chart("i", y, confidence=0.9973).frame  # normal quantile 2.99998
    assert prob.ucl[0] == pytest.approx(three.ucl[0], rel=1e-5)
    with pytest.raises(ParameterError, match="takes no parameter confidence"):
        chart("p", y=[1, 2], n=[5, 5], confidence=0.99)


def test_sigma_method_sd_uses_sample_sd_over_c4():
    from qoswb.spc.constants import c4

    y = np.array([3.0, 7, 4, 8, 5, 9, 4, 6, 5, 7])
    s = chart("i", y, sigma_method="sd").summary()
    assert s.sigma[0] == pytest.approx(np.std(y, ddof=1) / float(c4(len(y))))


def test_screen_mr_drops_large_moving_ranges():
    y = np.r_[np.tile([10.0, 11.0], 10), [40.0], np.tile([10.0, 11.0], 5)]
    plain = chart("i", y).summary().sigma[0]
    screened = chart("i", y, screen_mr=True).summary().sigma[0]
    assert screened == pytest.approx(1 / 1.128) and plain > screened


def test_cusum_lower_side_signals_downward_shift():
    y = np.r_[np.full(20, 10.0), np.full(15, 8.5)]  # direction from the sum, not from y vs 0
    f = chart("cusum", y, target=10.0, sd=1.0, polarity=1).frame
    assert f.signal.iloc[20:].any() and not f.signal.iloc[:20].any()
    first = int(np.flatnonzero(f.signal)[0])
    assert f.cusum_lower[first] < -5 and f.direction[first] == -1


def test_excluded_points_leave_the_runs_analysis_as_in_qicharts2():
    y = np.array([1, 5, 2, 6, 1.5, 5.5, 2.5, 6.5, 1.2, 5.2, 2.2, 5.8, 9, 9.5, 9.2, 9.7])
    every = chart("run", y, rules="anhoej").summary()
    fewer = chart("run", y, rules="anhoej", exclude=[12, 13, 14, 15]).summary()
    assert every.useful_points[0] == 16 and fewer.useful_points[0] == 12  # no ties with the medians


@pytest.mark.parametrize("tz", [None, "Europe/London"])
def test_datetime_periods_as_x_naive_or_aware(tz):
    # periods are the usual x: numpy datetime64 (naive) and pandas tz-aware both work,
    # and a missing period is named, not a crash from deep inside NumPy
    when = pd.date_range("2024-01-01", periods=12, freq="W-MON", tz=tz)
    values = np.arange(12.0) % 5
    frame = pd.DataFrame({"week": when, "y": values})
    out = chart("i", frame, y="y", x="week").frame
    assert list(out["x"]) == list(when)
    assert out["cl"].iloc[0] == pytest.approx(values.mean())
    frame.loc[3, "week"] = pd.NaT
    with pytest.raises(DataError, match="column 'x' is missing on rows"):
        chart("i", frame, y="y", x="week")


def test_y_neg_false_floors_the_lower_limit_of_a_never_negative_series_as_qicharts2():
    # qicharts2 0.8.1, qic(): if (!y.neg & min(d$y) >= 0) d$lcl[d$lcl < 0] <- 0 (after the signals)
    waits = np.array([5, 3, 40, 4, 2, 6, 3, 35, 4, 5, 3, 2, 4, 6, 3, 5], dtype=float)
    df = pd.DataFrame({"team": ["a"] * 16 + ["b"] * 16, "v": np.r_[waits, waits - 10]})
    kept = chart("i", df, y="v", group="team")
    floored = chart("i", df, y="v", group="team", y_neg=False)
    a_kept, a = kept.frame[kept.frame["group"] == "a"], floored.frame[floored.frame["group"] == "a"]
    assert (a_kept["lcl"] < 0).all() and (a["lcl"] == 0).all()
    assert np.allclose(a["ucl"], a_kept["ucl"]) and np.allclose(a["cl"], a_kept["cl"])
    # a group with a negative value keeps its negative limit, and no signal changes anywhere
    b_kept, b = kept.frame[kept.frame["group"] == "b"], floored.frame[floored.frame["group"] == "b"]
    assert np.allclose(b["lcl"], b_kept["lcl"]) and (b["lcl"] < 0).all()
    assert kept.frame["signal"].tolist() == floored.frame["signal"].tolist()
    assert floored.summary().set_index("group").loc["a", "lcl"] == 0
    with pytest.raises(ParameterError, match="takes no parameter y_neg"):
        chart("p", y=[1, 2, 3], n=[5, 5, 5], y_neg=False)
    with pytest.raises(ParameterError, match="y_neg must be True or False"):
        chart("i", waits, y_neg="no")
