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


# --- FunnelPlotR 0.6.0 (funnel_plot(data_type = "PR"), commit 9020d49) on 20 NHS A&E providers, 2019-03:
# ../shared/reference/funnel_sample.json; its README explains every field and convention.

def _funnel_reference():
    import json

    from conftest import SHARED

    path = SHARED / "reference" / "funnel_sample.json"
    if not path.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    ref = json.loads(path.read_text())
    table = pd.DataFrame({"org": ref["org"], "period": pd.Timestamp(ref["period"]), "kpi": "breach_rate",
                          "numerator": ref["numerator"], "denominator": ref["denominator"], "polarity": -1,
                          "complete": True})
    return ref, table


def _outliers(points, level):
    return ((points["value"] > points[f"upper_{level}"]) | (points["value"] < points[f"lower_{level}"])).tolist()


@pytest.mark.parametrize("method, adjustment, key", [
    ("arcsine", None, "unadjusted"), ("arcsine", "additive", "adjusted"),
    ("exact", "additive", "adjusted"),  # exact limits are adjusted on the arcsine scale
])
def test_arcsine_limits_agree_with_funnelplotr_for_every_provider(method, adjustment, key):
    ref, table = _funnel_reference()
    f = funnel(table, "breach_rate", method=method, overdispersion=adjustment)
    points = f.points.set_index("org").loc[ref["org"]]
    assert f.centre == pytest.approx(ref["target"], rel=1e-12)
    assert f.phi == pytest.approx(ref["phi"], rel=1e-9) and f.tau2 == pytest.approx(ref["tau2"], rel=1e-9)
    # FunnelPlotR rounds z to 6 decimals (1.959964, 3.090232), qoswb uses the exact normal quantiles:
    # the README bounds the difference at 1e-8 (unadjusted) and 3e-6 (adjusted 99.8% lower) relative
    for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
        np.testing.assert_allclose(points[column], ref[key][column], rtol=5e-6, err_msg=f"{key} {column}")
    assert _outliers(points, "95") == ref[key]["outlier_95"]
    assert _outliers(points, "998") == ref[key]["outlier_998"]
    assert f.adjusted == adjustment


def test_the_adjusted_funnel_flags_rxn_above_and_rcu_below():
    ref, table = _funnel_reference()
    f = funnel(table, "breach_rate", method="arcsine", overdispersion="auto")
    assert f.adjusted == "additive" and "over-dispersed" in f.why and "τ²" in f.why
    band = f.points.set_index("org")["band"]
    assert band["RXN"].startswith("above 95") and band["RCU"].startswith("below 95")
    # higher breach rates are worse (polarity -1); 95%-99.8% is flagged in the band, not the verdict
    assert set(band[band != "within 95%"].index) == {"RXN", "RCU"}


def test_auto_keeps_the_plain_funnel_when_units_agree():
    rng = np.random.default_rng(5)
    n = rng.integers(200, 5000, 30)
    table = pd.DataFrame({"team": [f"t{i}" for i in range(30)], "period": pd.Timestamp("2024-01-01"),
                          "kpi": "fcr", "numerator": rng.binomial(n, 0.7), "denominator": n, "polarity": 1,
                          "complete": True})
    f = funnel(table, "fcr", overdispersion="auto")
    assert f.adjusted is None and f.why.startswith("no significant over-dispersion")
    # binomial data: k·phi is about chi-square(k - 1), so phi is about 1
    assert 0.3 < f.phi < 2 and f.p_value > 0.05
    plain = funnel(table, "fcr")
    pd.testing.assert_frame_equal(f.points, plain.points)


def test_multiplicative_adjustment_inflates_the_variance_by_phi():
    ref, table = _funnel_reference()
    f = funnel(table, "breach_rate", method="normal", overdispersion="multiplicative")
    theta, n = ref["target"], np.asarray(ref["denominator"], dtype=float)
    # Spiegelhalter (2005), section 4.1: theta ± z sqrt(phi theta (1 - theta) / n), phi from the
    # winsorised z-scores on the same (here the proportion) scale
    z = (np.asarray(ref["value"]) - theta) / np.sqrt(theta * (1 - theta) / n)
    lo, hi = np.quantile(z, [0.1, 0.9])
    phi = np.mean(np.clip(z, lo, hi) ** 2)
    assert f.phi == pytest.approx(phi, rel=1e-12)
    upper = np.clip(theta + stats.norm.ppf(0.999) * np.sqrt(phi * theta * (1 - theta) / n), 0, 1)
    np.testing.assert_allclose(f.points.set_index("org").loc[ref["org"], "upper_998"], upper, rtol=1e-12)
    assert f.adjusted == "multiplicative" and "φ" in f.why


def test_arcsine_angle_is_kept_inside_zero_to_a_right_angle():
    got = limits(0.01, [10], "arcsine").iloc[0]
    assert got["lower_998"] == 0.0 and got["lower_95"] == 0.0  # the angle would be negative
    assert limits(0.99, [10], "arcsine").iloc[0]["upper_998"] == 1.0


def test_bad_options_are_named():
    _, table = _funnel_reference()
    with pytest.raises(ParameterError, match="overdispersion='random'"):
        funnel(table, "breach_rate", overdispersion="random")
    with pytest.raises(ParameterError, match="method='logit'.*exact, normal, arcsine"):
        funnel(table, "breach_rate", method="logit")
    with pytest.raises(ParameterError, match="by=.*'trust'"):
        funnel(table, "breach_rate", by="trust")


@pytest.mark.parametrize("name", ["value", "band", "z", "lower_95", "label"])
def test_a_group_column_may_have_any_name(name):
    _, table = _funnel_reference()
    plain = funnel(table, "breach_rate", overdispersion="additive")
    f = funnel(table.rename(columns={"org": name}), "breach_rate", overdispersion="additive")
    assert f.points[name].tolist() == plain.points["org"].tolist()
    assert f.points[f"funnel_{name}"].tolist() == plain.points[name].tolist()
    assert f.phi == plain.phi
    pd.testing.assert_frame_equal(f.own(), plain.own())
    assert len(f.plot().collections) == len(plain.plot().collections)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plotted_points_take_making_data_counts_colours_and_a_key_in_words():
    import matplotlib.colors
    import matplotlib.pyplot as plt

    from qoswb import palette

    table = pd.DataFrame({"team": list("abcd"), "period": pd.Timestamp("2024-01-01"), "kpi": "fcr",
                          "numerator": [80, 480, 300, 240], "denominator": [100, 500, 500, 300],
                          "polarity": 1, "complete": True})
    f = funnel(table, "fcr")
    ax = f.plot()
    drawn = {c.get_label(): matplotlib.colors.to_hex(c.get_facecolors()[0]) for c in ax.collections}
    expected = {"within": palette.COMMON_CAUSE, "better": palette.IMPROVEMENT, "worse": palette.CONCERN}
    words = {"within": "within the limits", "better": "better than expected", "worse": "worse than expected"}
    assert drawn == {words[v]: expected[v] for v in dict.fromkeys(f.points["verdict"])}
    assert {"better", "worse"} <= set(f.points["verdict"])  # the case shows both colours
    assert ax.get_title() == "First-contact resolution: teams against their volume"
    assert ax.yaxis.get_major_formatter()(0.8, 0) == "80%"
    plt.close("all")
