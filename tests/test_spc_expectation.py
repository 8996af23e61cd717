"""Charts that know the calendar: limits around seasonal means and an AR(1) forecast.

References: the AR(1) fit is statsmodels' ``AutoReg(y, lags=1)`` (conditional least squares) on
the same baseline; the seasonal means are pandas group means of the baseline; the residual and
moving-centre-line charts are Montgomery's (Introduction to Statistical Quality Control, 10.4).
The simulations check the false-alarm rate against the normal tail (rule 1 ARL0 = 370.4).
"""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import ParameterError
from qoswb.spc import chart

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")
WEEKDAY = np.array([0.3, 0.1, 0.0, 0.0, -0.1, -0.3, 0.0])  # ±30% weekday effects, Monday first


def daily(series, days, rng, step_at=None, step=0.0):
    """``series`` in-control daily series (level 100, weekday effects, noise sd 5) in one tidy frame."""
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    level = 100 * (1 + WEEKDAY[dates.day_of_week])
    y = level + rng.normal(0, 5, (series, days))
    if step_at is not None:
        y[:, step_at:] += step * 5
    return pd.DataFrame({"team": np.repeat(np.arange(series), days), "day": np.tile(dates, series),
                         "y": y.ravel()})


def ar1(series, length, phi, rng, step_at=None, step=0.0):
    e = rng.normal(0, 1, (series, length))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi ** 2)  # started from the stationary distribution
    for t in range(1, length):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    if step_at is not None:
        x[:, step_at:] += step
    return pd.DataFrame({"s": np.repeat(np.arange(series), length), "t": np.tile(np.arange(length), series),
                         "y": 10 + x.ravel()})


def test_seasonal_means_are_the_baseline_means_of_each_weekday_per_group_and_phase():
    rng = np.random.default_rng(7)
    df = daily(3, 120, rng)
    df["phase"] = np.where(df["day"] < "2023-03-01", "before", "after")
    cc = chart("i", df, y="y", x="day", group="team", phase="phase", model="weekday", freeze=40)
    f = cc.frame
    for (team, phase), rows in f.groupby(["group", "phase"], observed=True, sort=False):
        base = rows.iloc[:40]
        means = base.groupby(base["x"].dt.day_of_week)["y"].mean()
        np.testing.assert_allclose(rows["expected"], means.loc[rows["x"].dt.day_of_week].to_numpy(), rtol=1e-12)
        resid = (base["y"] - base["expected"]).to_numpy()
        sigma = np.abs(np.diff(resid)).mean() / 1.128
        np.testing.assert_allclose(rows["ucl"] - rows["expected"], 3 * sigma, rtol=1e-9)
        assert (rows["cl"] == rows["expected"]).all()


def test_month_and_period_models():
    days = pd.date_range("2020-01-01", periods=36, freq="MS")
    y = 50 + 10 * np.sin(np.arange(36) * np.pi / 6) + np.tile([0.3, -0.3, 0.1], 12)
    by_month = chart("i", pd.DataFrame({"m": days, "y": y}), y="y", x="m", model="month").frame
    np.testing.assert_allclose(by_month["expected"], pd.Series(y).groupby(days.month).transform("mean"))
    by_12 = chart("i", y, model=12).frame  # the same cycle, as a period of 12 points
    np.testing.assert_allclose(by_12["expected"], by_month["expected"], rtol=1e-12)
    with pytest.raises(ParameterError, match="needs dates in x="):
        chart("i", y, model="weekday")
    with pytest.raises(ParameterError, match="model='season'.*weekday, month, ar1"):
        chart("i", y, model="season")
    with pytest.raises(ParameterError, match="model=1"):
        chart("i", y, model=1)


def test_ar1_fit_agrees_with_statsmodels_on_the_same_baseline():
    from statsmodels.tsa.ar_model import AutoReg

    rng = np.random.default_rng(11)
    df = ar1(4, 150, 0.6, rng)
    cc = chart("i", df, y="y", x="t", group="s", model="ar1", freeze=100)
    for s, rows in cc.frame.groupby("group", observed=True):
        fit = AutoReg(rows["y"].to_numpy()[:100], lags=1, trend="c").fit()
        const, phi = fit.params
        assert rows["ar1_phi"].iloc[0] == pytest.approx(phi, rel=1e-9)
        y = rows["y"].to_numpy()
        np.testing.assert_allclose(rows["expected"].to_numpy()[1:], const + phi * y[:-1], rtol=1e-9)
        assert rows["expected"].iloc[0] == pytest.approx(const / (1 - phi), rel=1e-9)
        # sigma: moving ranges of the baseline's one-step residuals / 1.128
        resid = (y - rows["expected"].to_numpy())[:100]
        sigma = np.abs(np.diff(resid)).mean() / 1.128
        np.testing.assert_allclose(rows["ucl"] - rows["expected"], 3 * sigma, rtol=1e-9)
    assert not cc.summary()["autocorrelation"].any()  # the residuals are white
    residuals = chart("i", df, y="y", x="t", group="s", model="ar1_residuals", freeze=100, rules="we1").frame
    np.testing.assert_allclose(residuals["y"], cc.frame["y"] - cc.frame["expected"], rtol=1e-9, atol=1e-12)
    assert (residuals["cl"] == 0).all()
    assert residuals["signal"].tolist() == (chart("i", df, y="y", x="t", group="s", model="ar1", freeze=100,
                                                   rules="we1").frame["signal"]).tolist()


def false_alarm_rate(frame, baseline):
    after = frame.groupby("group", observed=True).cumcount() >= baseline
    return float(frame.loc[after, "signal"].mean())


@pytest.mark.parametrize("case", ["weekday", "ar1"])
def test_false_alarm_rate_of_the_adjusted_chart_is_the_normal_tail(case, capsys):
    rng = np.random.default_rng(370)
    base, monitor = 700, 1500
    if case == "weekday":
        df, x, group = daily(200, base + monitor, rng), "day", "team"
    else:
        df, x, group = ar1(200, base + monitor, 0.6, rng), "t", "s"
    plain = chart("i", df, y="y", x=x, group=group, freeze=base, rules="we1").frame
    adjusted = chart("i", df, y="y", x=x, group=group, freeze=base, rules="we1", model=case).frame
    rates = false_alarm_rate(plain, base), false_alarm_rate(adjusted, base)
    with capsys.disabled():
        print(f"\n{case}: rule 1 false-alarm rate plain {rates[0]:.4f} (ARL0 {1 / max(rates[0], 1e-9):.0f}), "
              f"adjusted {rates[1]:.4f} (ARL0 {1 / rates[1]:.0f}); normal tail 0.0027 (ARL0 370)")
    assert 370 / 1.2 <= 1 / rates[1] <= 370 * 1.2
    if case == "ar1":
        assert rates[0] > 3 * rates[1]  # the plain chart's limits are too narrow for autocorrelated data


def test_a_two_sigma_step_is_found_within_ten_points(capsys):
    rng = np.random.default_rng(2)
    base = 365
    df = daily(300, base + 20, rng, step_at=base, step=2.0)
    found = {}
    for rules in ("we", "we1"):
        f = chart("i", df, y="y", x="day", group="team", freeze=base, model="weekday", rules=rules).frame
        pos = f.groupby("group", observed=True).cumcount()
        window = f[(pos >= base) & (pos < base + 10)]
        found[rules] = window.groupby("group", observed=True)["signal"].any().mean()
    with capsys.disabled():
        print(f"\nweekday model: a 2 sigma step found within 10 points in {found['we']:.0%} of 300 series "
              f"(Western Electric 1-4), {found['we1']:.0%} (rule 1 alone; 1 - 0.841^10 = 82%)")
    assert found["we"] >= 0.8 and found["we1"] >= 0.75


def test_the_plot_is_on_the_original_scale():
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(3)
    df = daily(1, 60, rng)
    cc = chart("i", df, y="y", x="day", model="weekday")
    ax = cc.plot()
    centre = next(line for line in ax.get_lines() if len(line.get_ydata()) == 60 and
                  np.allclose(line.get_ydata(), cc.frame["expected"]))
    assert centre is not None and ax.get_ylim()[0] < df["y"].min() < df["y"].max() < ax.get_ylim()[1]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_suggest_tells_autocorrelation_from_a_shift_in_level():
    from qoswb.spc.expectation import suggest

    rng = np.random.default_rng(21)
    shifted = np.r_[rng.normal(0, 1, 60), rng.normal(4, 1, 60)]  # white noise with one step
    drifting = ar1(1, 120, 0.7, rng)["y"].to_numpy()
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    rhythm = 100 * (1 + WEEKDAY[days.day_of_week]) + rng.normal(0, 5, 120)
    df = pd.DataFrame({"s": np.repeat(["shifted", "drifting", "rhythm", "noise"], 120), "day": np.tile(days, 4),
                       "y": np.r_[shifted, drifting, rhythm, rng.normal(0, 1, 120)]})
    got = suggest(chart("i", df, y="y", x="day", group="s")).set_index("group")
    assert got["model"].to_dict() == {"shifted": "", "drifting": "ar1", "rhythm": "weekday", "noise": ""}
    assert got.loc["rhythm", "reason"].startswith("limits around weekday means")
    # the weekday F test against scipy's one-way analysis of variance
    from scipy.stats import f_oneway

    F, p = f_oneway(*[rhythm[days.day_of_week == d] for d in range(7)])
    assert f"F = {F:.1f}" in got.loc["rhythm", "reason"]


@pytest.mark.parametrize("tz", [None, "Europe/London", "America/New_York"])
def test_weekdays_are_pandas_weekdays_on_the_wall_clock(tz):
    from qoswb.spc.expectation import weekdays

    dates = pd.Series(pd.date_range("1960-03-01", periods=5000, freq="13h", tz=tz))
    assert weekdays(dates).tolist() == dates.dt.day_of_week.tolist()
    months = pd.Series(pd.period_range("2024-01-01", periods=10, freq="D"))
    assert weekdays(months).tolist() == months.dt.day_of_week.tolist()


def test_the_residual_sigma_follows_the_sigma_method():
    rng = np.random.default_rng(8)
    y = np.tile([10.0, 14.0, 12.0], 20) + rng.normal(0, 1, 60)
    mr = chart("i", y, model=3).frame
    mdc = chart("i", y, model=3, rules="mdc").frame  # Making Data Count: 2.66 x mean moving range
    resid = y - mr["expected"].to_numpy()
    amr = np.abs(np.diff(resid))
    screened = amr[amr < 3.267 * amr.mean()].mean()
    assert (mr["ucl"] - mr["expected"]).iloc[0] == pytest.approx(3 * amr.mean() / 1.128, rel=1e-12)
    assert (mdc["ucl"] - mdc["expected"]).iloc[0] == pytest.approx(2.66 * screened, rel=1e-12)
