"""The Check step against published examples, and on synthetic data with a known step change."""

import math

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError
from qoswb.pdca.compare import evaluate
from qoswb.pdca.phases import split_at

# ---- published references ------------------------------------------------------------


def test_two_proportions_agree_with_agresti_aspirin_example():
    """Agresti, *Categorical Data Analysis* (2nd ed., 2002), Table 2.3 and §2.2.3 / §2.4.2:
    Physicians' Health Study, myocardial infarction 189/11034 on placebo, 104/11037 on
    aspirin; difference of proportions 0.0077 with 95 % Wald CI (0.005, 0.011), and
    Pearson X² = 25.01 (the square of the pooled two-proportion z)."""
    result = evaluate((189, 11034), (104, 11037), kind="proportion", polarity="lower",
                      ci_method="wald")
    assert result.effect == pytest.approx(-0.0077, abs=5e-5)
    assert (round(-result.ci_high, 3), round(-result.ci_low, 3)) == (0.005, 0.011)
    assert result.statistic ** 2 == pytest.approx(25.01, abs=0.005)
    assert result.p_value < 1e-5
    assert result.verdict == "improved"  # fewer heart attacks, lower is better
    assert result.test == "two-proportion z-test"


@pytest.mark.parametrize(("after", "before", "method", "published"), [
    # Newcombe (1998), Stat Med 17:873-890, Table II example (a) 56/70 - 48/80:
    # method 10 (hybrid score) 0.0524 to 0.3339; method 1 (Wald) 0.0575 to 0.3425.
    ((56, 70), (48, 80), "newcomb", (0.0524, 0.3339)),
    ((56, 70), (48, 80), "wald", (0.0575, 0.3425)),
    # Fagerland, Lydersen & Laake (2015), Stat Methods Med Res 24:224-254, 7/34 - 1/34:
    # Newcombe hybrid score 0.019 to 0.34.
    ((7, 34), (1, 34), "newcomb", (0.019, 0.340)),
])
def test_ci_of_difference_agrees_with_published_intervals(after, before, method, published):
    result = evaluate(before, after, kind="proportion", ci_method=method)
    decimals = 4 if published[0] > 0.05 else 3
    assert (round(result.ci_low, decimals), round(result.ci_high, decimals)) == published


@pytest.mark.parametrize(("a1", "a2", "t", "df_p"), [
    # Wikipedia, "Welch's t-test", Examples 1 and 2 (values quoted there:
    # t = -2.46, p = 0.021 and t = -1.57, p = 0.149).
    ([27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4],
     [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4],
     -2.46, 0.021),
    ([17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8],
     [21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5,
      23.6, 21.5, 22.5, 23.5, 21.5, 21.8],
     -1.57, 0.149),
])
def test_welch_agrees_with_published_example(a1, a2, t, df_p):
    # our statistic is after minus before, so before=a2, after=a1 gives Wikipedia's sign
    result = evaluate(a2, a1, kind="score", polarity=1)
    assert result.test == "Welch t-test"
    assert round(result.statistic, 2) == t
    assert round(result.p_value, 3) == df_p
    assert result.effect == pytest.approx(np.mean(a1) - np.mean(a2))
    sd = math.sqrt(((len(a1) - 1) * np.var(a1, ddof=1) + (len(a2) - 1) * np.var(a2, ddof=1))
                   / (len(a1) + len(a2) - 2))
    assert result.effect_size == pytest.approx(result.effect / sd)  # Cohen's d, pooled sd
    assert result.ci_low < result.effect < result.ci_high


def test_mann_whitney_and_hodges_lehmann_computed_directly():
    from scipy.stats import mannwhitneyu, norm

    before = np.array([12.0, 15.5, 9.0, 30.0, 22.0, 18.0, 41.0, 16.0, 25.0, 14.0])
    after = np.array([8.0, 11.0, 7.5, 20.0, 9.5, 13.0, 6.0, 10.0, 12.5])
    result = evaluate(before, after, kind="time", polarity=-1)
    direct = mannwhitneyu(after, before, alternative="two-sided")
    assert result.test == "Mann-Whitney U"
    assert result.statistic == direct.statistic and result.p_value == pytest.approx(direct.pvalue)
    diffs = np.sort([a - b for a in after for b in before])
    assert result.effect == pytest.approx(np.median(diffs))  # Hodges-Lehmann shift
    # Moses' interval: the k-th smallest and largest pairwise differences
    n1, n2 = before.size, after.size
    k = int(np.floor(n1 * n2 / 2 - norm.ppf(0.975) * math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)))
    assert (result.ci_low, result.ci_high) == (diffs[k - 1], diffs[-k])
    assert result.effect_size == pytest.approx(2 * direct.statistic / (n1 * n2) - 1)
    assert result.verdict == "improved"  # times fell, lower is better


# ---- synthetic data with a known step ----------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    from qoswb.data.synthetic import generate

    return generate(seed=11, weeks=20, teams=["Returns", "Billing"])


def _weekly(demo, team):
    """Weekly first-response median (minutes) and SLA attainment of one team, by hand."""
    it = demo.interactions
    it = it[(it["team"] == team) & it["first_response_at"].notna()]
    minutes = (it["first_response_at"] - it["opened_at"]).dt.total_seconds() / 60
    week = it["opened_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    frame = pd.DataFrame({"period": week, "minutes": minutes,
                          "met": minutes <= it["sla_minutes"]})
    return frame.groupby("period").agg(value=("minutes", "median"), numerator=("met", "sum"),
                                       denominator=("met", "size")).reset_index()


def test_injected_step_is_judged_worse_and_an_unchanged_team_no_evidence(demo):
    step = demo.special_causes.query("kind == 'step'").iloc[0]
    assert (step["team"], step["kpi"], step["direction"]) == (
        "Returns", "first_response_median", "up")
    before, after = split_at(_weekly(demo, "Returns"), step["start"])
    times = evaluate(before, after, kind="time", polarity=-1)
    assert times.verdict == "worse" and times.effect > 0
    assert (times.before["periods"], times.after["periods"]) == (len(before), len(after))
    sla = evaluate(before, after, kind="proportion", polarity=1)
    assert sla.verdict == "worse" and sla.effect < 0

    calm_before, calm_after = split_at(_weekly(demo, "Billing"), step["start"])
    for kind, polarity in (("time", -1), ("score", -1), ("proportion", 1)):
        assert evaluate(calm_before, calm_after, kind=kind, polarity=polarity).verdict \
            == "no evidence yet"


@pytest.mark.slow
def test_the_demo_stores_injected_step_is_judged_worse():
    """The same on the embedded demo data (78 weeks, 12 teams; made on first use)."""
    from qoswb.data import demo_data

    demo = demo_data()
    step = demo.special_causes.query("kind == 'step'").iloc[0]
    before, after = split_at(_weekly(demo, step["team"]), step["start"])
    result = evaluate(before, after, kind="time", polarity=-1)
    assert result.verdict == "worse" and result.effect > 0
    unchanged = sorted(set(demo.interactions["team"].unique()) - set(demo.special_causes["team"]))
    before, after = split_at(_weekly(demo, unchanged[0]), step["start"])
    assert evaluate(before, after, kind="time", polarity=-1).verdict == "no evidence yet"


def test_the_step_reads_improved_when_undone(demo):
    """The same step seen the other way round (after -> before) is an improvement."""
    step = demo.special_causes.query("kind == 'step'").iloc[0]
    before, after = split_at(_weekly(demo, "Returns"), step["start"])
    assert evaluate(after, before, kind="time", polarity="lower").verdict == "improved"


# ---- too few data: how many more periods --------------------------------------------------

def _periods(rate, periods, size=20):
    return pd.DataFrame({"numerator": [round(rate * size)] * periods,
                         "denominator": [size] * periods})


def test_too_few_periods_says_how_many_more_and_that_is_enough():
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    before, after = _periods(0.70, 12), _periods(0.85, 2)
    result = evaluate(before, after, kind="proportion", polarity=1)
    assert result.verdict == "no evidence yet"
    h = proportion_effectsize(0.85, 0.70)
    ratio = NormalIndPower().solve_power(effect_size=h, nobs1=240, alpha=0.05, power=0.8,
                                         ratio=None)
    needed = math.ceil(ratio * 240)
    assert result.more_observations_needed == needed - 40
    assert result.more_periods_needed == math.ceil((needed - 40) / 20)
    assert f"{result.more_periods_needed} more period" in result.reading
    # with that many more periods at the same rate the test does find the effect
    longer = _periods(0.85, 2 + result.more_periods_needed)
    assert evaluate(before, longer, kind="proportion", polarity=1).verdict == "improved"


def test_min_effect_sets_the_effect_planned_for():
    before, after = _periods(0.70, 12), _periods(0.72, 2)
    small = evaluate(before, after, min_effect=0.10)
    smaller = evaluate(before, after, min_effect=0.15)
    assert small.more_periods_needed > smaller.more_periods_needed > 0


def test_an_effect_out_of_reach_is_said_plainly():
    result = evaluate(_periods(0.70, 2, size=100), _periods(0.72, 2, size=100))
    assert result.more_periods_needed is None
    assert "Out of reach" in result.reading


def test_too_few_values_gives_no_evidence_without_a_test():
    result = evaluate([5.0], [3.0, 4.0], kind="score", polarity=-1)
    assert result.verdict == "no evidence yet" and result.p_value is None
    assert "Too few data" in result.reading


def test_result_is_plain_data_for_the_store():
    import json

    result = evaluate((160, 200), (185, 200))
    data = result.to_dict()
    assert json.loads(json.dumps(data))["verdict"] == "improved"
    assert data["before"]["proportion"] == 0.8 and data["after"]["n"] == 200


# ---- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"kind": "ratio"}, ParameterError, "kind='ratio'"),
    ({"kind": "time", "test": "z"}, ParameterError, "does not fit"),
    ({"polarity": "sideways"}, ParameterError, "polarity='sideways'"),
    ({"alpha": 1.5}, ParameterError, "alpha=1.5"),
])
def test_bad_parameters_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        evaluate((1, 10), (2, 10), **kwargs)


def test_bad_data_names_the_side_row_and_columns():
    with pytest.raises(DataError, match=r"after: row 1 has numerator/denominator 12/10"):
        evaluate(_periods(0.5, 3, 10), pd.DataFrame({"numerator": [5, 12],
                                                     "denominator": [10, 10]}))
    with pytest.raises(DataError, match="needs the column.*value.*it has minutes"):
        evaluate(pd.DataFrame({"minutes": [1.0, 2.0]}), [1.0, 2.0], kind="time")
    with pytest.raises(DataError, match="before: for kind='proportion' give 0/1"):
        evaluate([0.2, 0.5], [1, 0])
    with pytest.raises(DataError, match="before: expected numbers"):
        evaluate(["fast", "slow"], [1.0, 2.0], kind="time")


def test_split_at_reads_a_plain_date_in_the_periods_time_zone():
    kpi = pd.DataFrame({"period": pd.date_range("2026-03-23", periods=4, freq="W-MON",
                                                tz="Europe/London"), "value": [1, 2, 3, 4]})
    before, after = split_at(kpi, "2026-04-06")
    assert before["value"].tolist() == [1, 2] and after["value"].tolist() == [3, 4]
    naive = kpi.assign(period=kpi["period"].dt.tz_localize(None))
    aware = pd.Timestamp("2026-04-06", tz="Europe/London")
    assert split_at(naive, aware)[1]["value"].tolist() == [3, 4]
    with pytest.raises(ParameterError, match="changed_on='soon'"):
        split_at(kpi, "soon")
    with pytest.raises(DataError, match="no column 'week'"):
        split_at(kpi, "2026-04-06", x="week")


# ---- on the KPI table, and the run-rule view through qoswb.spc ------------------------------

@pytest.fixture(scope="module")
def kpi_table(demo):
    from qoswb.metrics import kpis

    return kpis(demo.interactions, demo.surveys)


def test_check_kpi_takes_kind_and_polarity_from_the_kpi_table(demo, kpi_table):
    from qoswb.pdca.phases import check_kpi

    step = demo.special_causes.query("kind == 'step'").iloc[0]
    returns = kpi_table.query("team == 'Returns'")
    times = check_kpi(returns.query("kpi == 'first_response_median'"), step["start"])
    assert (times.kind, times.polarity, times.verdict) == ("time", -1, "worse")
    sla = check_kpi(returns.query("kpi == 'sla_response'"), step["start"])
    assert (sla.kind, sla.polarity, sla.verdict) == ("proportion", 1, "worse")
    calm = check_kpi(kpi_table.query("team == 'Billing' and kpi == 'first_response_median'"),
                     step["start"])
    assert calm.verdict == "no evidence yet"
    with pytest.raises(ParameterError, match="no better direction"):
        check_kpi(returns.query("kpi == 'volume'"), step["start"])
    with pytest.raises(DataError, match="one KPI at a time"):
        check_kpi(returns, step["start"])


@pytest.mark.filterwarnings("ignore:.*fewer than 15 points")
def test_phase_chart_recomputes_limits_on_each_side_of_the_change(demo, kpi_table):
    from qoswb import spc
    from qoswb.pdca.phases import phase_chart, phase_reading

    step = demo.special_causes.query("kind == 'step'").iloc[0]
    series = kpi_table.query("team == 'Returns' and kpi == 'first_response_median'")
    cc = phase_chart(series, step["start"])
    frame = cc.frame
    assert list(dict.fromkeys(frame["phase"])) == ["before", "after"]
    before, after = split_at(series, step["start"])
    assert (frame["phase"] == "before").sum() == len(before)
    # each phase's limits are those of that phase charted alone (I chart: centre = mean)
    for name, part in (("before", before), ("after", after)):
        alone = spc.chart("i", part, y="value", x="period").frame
        mine = frame[frame["phase"] == name]
        assert mine["cl"].to_numpy() == pytest.approx(alone["cl"].to_numpy())
        assert mine["ucl"].to_numpy() == pytest.approx(alone["ucl"].to_numpy())
        assert mine["cl"].iloc[0] == pytest.approx(part["value"].mean())
    assert frame.loc[frame["phase"] == "after", "cl"].iloc[0] > frame["cl"].iloc[0]

    sla = phase_chart(kpi_table.query("team == 'Returns' and kpi == 'sla_response'"),
                      step["start"])
    assert set(sla.frame["phase"]) == {"before", "after"}  # p chart on numerator/denominator
    before_centre = frame.loc[frame["phase"] == "before", "cl"].iloc[0]
    assert phase_reading(cc).endswith(f"centre {before_centre:.3g} before, "
                                      f"{after['value'].mean():.3g} after.")


@pytest.mark.filterwarnings("ignore:.*fewer than 15 points")
def test_an_incomplete_period_is_drawn_but_kept_out_of_the_limits():
    from qoswb.pdca.phases import kpi_chart

    kpi = pd.DataFrame({"period": pd.date_range("2026-01-05", periods=8, freq="7D"),
                        "value": [5.0, 6, 5, 7, 6, 5, 6, 30], "chart": "i", "polarity": -1,
                        "complete": [True] * 7 + [False]})
    frame = kpi_chart(kpi).frame
    assert len(frame) == 8  # drawn
    assert frame["cl"].iloc[0] == pytest.approx(np.mean([5.0, 6, 5, 7, 6, 5, 6]))  # not in cl


def test_overdispersed_proportions_are_judged_on_period_values():
    """Periods swinging 70 %/90 % around 80 %, then four at 82 % on average: pooled counts
    make a 2-point rise look certain (z-test), the period values show it is noise."""
    from scipy.stats import ttest_ind

    from qoswb.pdca.phases import check_kpi

    rates = [0.70, 0.90] * 5 + [0.90, 0.74, 0.88, 0.76]
    kpi = pd.DataFrame({"period": pd.date_range("2026-01-05", periods=14, freq="7D"),
                        "numerator": [r * 1000 for r in rates], "denominator": 1000.0,
                        "value": rates, "chart": "p", "polarity": 1, "unit": "proportion"})
    change = kpi["period"].iloc[10]
    pooled = check_kpi(kpi, change)
    assert pooled.test == "two-proportion z-test" and pooled.verdict == "improved"
    robust = check_kpi(kpi, change, overdispersed=True)
    assert robust.test == "Welch t-test" and robust.verdict == "no evidence yet"
    assert robust.p_value == pytest.approx(ttest_ind(rates[10:], rates[:10],
                                                     equal_var=False).pvalue)
    assert "binomial model" in robust.notes[0]
