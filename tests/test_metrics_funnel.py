"""funnel(): exact binomial limits (Spiegelhalter 2005, appendix A.1.1) and the normal approximation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qoswb.errors import ParameterError
from qoswb.metrics import funnel
from qoswb.metrics.funnel import limits


def spiegelhalter(p, n, theta):
    """The interpolated binomial limit written out with scipy: (r_p - alpha) / n."""
    r = stats.binom.ppf(p, n, theta)
    f_r, f_below = stats.binom.cdf(r, n, theta), stats.binom.cdf(r - 1, n, theta)
    return (r - (f_r - p) / (f_r - f_below)) / n


def test_exact_limits_match_a_direct_scipy_computation():
    got = limits(0.8, [100]).iloc[0]
    for column, p in (("lower_998", 0.001), ("lower_95", 0.025), ("upper_95", 0.975), ("upper_998", 0.999)):
        assert got[column] == pytest.approx(spiegelhalter(p, 100, 0.8))
    # the same numbers, written out: r_0.975 = 88, F(88) = 0.987425, F(87) = 0.974671 -> 0.870258
    assert got[["lower_998", "lower_95", "upper_95", "upper_998"]].tolist() == pytest.approx(
        [0.663234, 0.713524, 0.870258, 0.909022], abs=1e-6)


def test_exact_limits_by_hand_for_one_trial():
    # n = 1, theta = 0.5: r_0.975 = 1, F(1) = 1, F(0) = 0.5, alpha = 0.025 / 0.5 = 0.05 -> 0.95;
    # the lower limit (0 - 0.95) / 1 is below 0 and is cut at 0
    got = limits(0.5, [1]).iloc[0]
    assert (got["upper_95"], got["lower_95"], got["upper_998"]) == pytest.approx((0.95, 0.0, 0.998))


def test_normal_limits_and_agreement_for_large_n():
    normal = limits(0.5, [100], "normal").iloc[0]
    assert normal["upper_95"] == pytest.approx(0.5 + 1.959964 * 0.05, abs=1e-6)
    assert normal["lower_998"] == pytest.approx(0.5 - 3.090232 * 0.05, abs=1e-6)
    exact = limits(0.3, [10**6]).iloc[0]
    np.testing.assert_allclose(exact.to_numpy(), limits(0.3, [10**6], "normal").iloc[0].to_numpy(), rtol=2e-5)
    with pytest.raises(ParameterError):
        limits(0.3, [10], "poisson")


def test_funnel_pools_periods_and_flags_teams_by_polarity():
    table = pd.DataFrame({
        "team": ["a", "a", "b", "b", "c", "c"],
        "period": pd.to_datetime(["2024-01-01", "2024-01-08"] * 3),
        "kpi": "reopen_rate", "numerator": [5, 5, 20, 30, 15, 15], "denominator": [100, 100, 500, 500, 50, 50],
        "polarity": -1, "complete": [True, True, True, True, True, False],
    })
    f = funnel(table, "reopen_rate")  # only complete periods: c has 15 / 50
    points = f.points.set_index("team")
    assert points["denominator"].tolist() == [200, 1000, 50]
    assert f.centre == pytest.approx((10 + 50 + 15) / 1250)
    assert points.loc["c", "band"] == "above 99.8%" and points.loc["c", "verdict"] == "worse"
    assert points.loc["a", "verdict"] == "within"
    assert points.loc["c", "z"] == pytest.approx((0.3 - 0.06) / np.sqrt(0.06 * 0.94 / 50))
    one_week = funnel(table, "reopen_rate", period="2024-01-08")
    assert one_week.points["denominator"].tolist() == [100, 500, 50]
    assert (f.limits["upper_95"] > f.centre).all() and (f.limits["lower_998"] <= f.limits["lower_95"]).all()
