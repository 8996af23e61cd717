"""NHS Making Data Count XmR charts, point by point against ../shared/reference/mdc_sample.json.

The reference: NHSRplotthedots 0.2.2 (``ptd_spc``, commit 050b07d) for the limits and zones,
with the Making Data Count amendment of November 2023 (NHSRplotthedots issue #194) for the
flags and point types, on the 4-hour breach rate of NHS A&E type-1 providers (lower is better).
"""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED
from qoswb.errors import ParameterError
from qoswb.spc import chart

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")  # advice, checked elsewhere
PATH = SHARED / "reference" / "mdc_sample.json"
REFERENCE = json.loads(PATH.read_text()) if PATH.exists() else {"configs": []}
PROVIDERS = [(config["id"], provider["org"]) for config in REFERENCE["configs"]
             for provider in config["providers"]]
# MDC's rule names, without the side or way (which the point type checks)
MDC_NAMES = {"mdc_beyond": "beyond", "mdc_shift": "shift", "mdc_trend": "trend",
             "mdc_two_of_three": "two_of_three"}
POINT_TYPE = {0: "common_cause", -1: "special_cause_improvement", 1: "special_cause_concern"}


def provider(config_id, org):
    config = next(c for c in REFERENCE["configs"] if c["id"] == config_id)
    return config, next(p for p in config["providers"] if p["org"] == org)


def mdc_chart(config, ref):
    data = pd.DataFrame({"period": pd.to_datetime(ref["period"]), "value": ref["value"],
                         "phase": ref["rebase_group"]})
    assert config["screen_outliers"] and config["fix_after_n_points"] is None
    return chart("i", data, y="value", x="period", phase="phase", rules="mdc",
                 polarity=REFERENCE["polarity"])


@pytest.mark.skipif(not PROVIDERS, reason="../shared/reference is not beside this checkout")
@pytest.mark.parametrize("config_id, org", PROVIDERS)
def test_limits_flags_and_point_types_agree_with_making_data_count(config_id, org):
    config, ref = provider(config_id, org)
    frame = mdc_chart(config, ref).frame
    np.testing.assert_allclose(frame["cl"], ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(frame["lcl"], ref["lpl"], rtol=1e-12)
    np.testing.assert_allclose(frame["ucl"], ref["upl"], rtol=1e-12)
    outside = (frame["y"] > frame["ucl"]) | (frame["y"] < frame["lcl"])
    assert outside.tolist() == ref["outside_limits"]
    ours = [sorted({MDC_NAMES[r] for r in rules.split(",") if r}) for rules in frame["rules"]]
    theirs = [sorted({name.rsplit("_", 1)[0] for name in names}) for names in ref["rules"]]
    assert ours == theirs
    assert frame["signal"].tolist() == ref["special_cause_flag"]
    # direction -1 is down, an improvement when lower is better (polarity -1)
    assert [POINT_TYPE[d] for d in frame["direction"]] == ref["point_type"]
    assert POINT_TYPE[int(frame["direction"].iloc[-1])] == ref["variation_type"]


@pytest.mark.skipif(not PROVIDERS, reason="../shared/reference is not beside this checkout")
def test_zones_are_thirds_of_2_66_moving_ranges():
    config, ref = provider("default", "RCU")
    cc = mdc_chart(config, ref)
    f = cc.frame
    two_sigma = f["cl"] + (2 / 3) * (f["ucl"] - f["cl"])
    close = (f["y"] > two_sigma) & (f["y"] <= f["ucl"]) | (f["y"] < 2 * f["cl"] - two_sigma) & (f["y"] >= f["lcl"])
    assert close.tolist() == ref["close_to_limits"]
    sigma = cc.summary()["sigma"].iloc[0]
    assert (f["ucl"].iloc[0] - f["cl"].iloc[0]) == pytest.approx(3 * sigma, rel=1e-12)
    assert REFERENCE["constants"]["limits"] == 2.66


def test_sigma_method_mr_keeps_qicharts2_numbers():
    # qicharts2 0.8.1: I chart sigma = screened mean moving range / 1.128
    y = np.array([5.0, 7, 6, 8, 6, 5, 7, 9, 6, 5, 6, 7])
    amr = np.abs(np.diff(y)).mean()
    qic = chart("i", y, rules="mdc", sigma_method="mr", screen_mr=True).frame
    assert qic["ucl"].iloc[0] == pytest.approx(y.mean() + 3 * amr / 1.128, rel=1e-12)
    mdc = chart("i", y, rules="mdc").frame
    assert mdc["ucl"].iloc[0] == pytest.approx(y.mean() + 2.66 * amr, rel=1e-12)
    assert chart("i", y).frame["ucl"].iloc[0] == pytest.approx(y.mean() + 3 * amr / 1.128)
    with pytest.raises(ParameterError, match="sigma_method.*mr, mdc, sd.*'2.66'"):
        chart("i", y, sigma_method="2.66")


@pytest.mark.parametrize("z, fired", [
    ([2.5, 0.5, 2.1], [0, 2]),          # all three above the mean: both beyond 2 sigma fire
    ([2.5, -0.5, 2.1], []),             # the window crosses the mean: nothing
    ([2.5, 0.0, 2.1], []),              # a point on the mean is on neither side
    ([3.5, 2.1, 0.5], [0, 1]),          # beyond the limits counts too (MDC since November 2023)
    ([-0.5, -2.5, -2.2, 0.5], [1, 2]),  # the window before the crossing qualifies
    ([-2.5, -2.2, 0.5, 0.5], []),       # ... but here no window of 3 is all below
])
def test_two_of_three_needs_all_three_on_one_side(z, fired):
    from qoswb.spc.rules import Context, evaluate

    z = np.asarray(z, dtype=float)
    ctx = Context(seg=np.zeros(len(z), int), stat=z, cl=np.zeros(len(z)), z=z, beyond=np.abs(z) > 3,
                  nseg=1)
    assert np.flatnonzero(evaluate(["mdc_two_of_three"], ctx)["mdc_two_of_three"]).tolist() == fired


def test_no_two_point_window_at_a_phase_start():
    from qoswb.spc.rules import Context, evaluate

    z = np.array([0.5, 0.5, 0.5, 2.5, 2.4, 0.5])
    seg = np.array([0, 0, 0, 1, 1, 1])
    ctx = Context(seg=seg, stat=z, cl=np.zeros(6), z=z, beyond=np.zeros(6, bool), nseg=2)
    assert np.flatnonzero(evaluate(["mdc_two_of_three"], ctx)["mdc_two_of_three"]).tolist() == [3, 4]
    # the same points with the window cut by the phase start: 2 points, no window of 3
    ctx = Context(seg=np.array([0, 0, 0, 0, 1, 1]), stat=z, cl=np.zeros(6), z=z, beyond=np.zeros(6, bool),
                  nseg=2)
    assert not evaluate(["mdc_two_of_three"], ctx)["mdc_two_of_three"].any()


def test_a_point_on_the_mean_breaks_a_shift():
    from qoswb.spc.rules import Context, evaluate

    z = np.array([0.5] * 4 + [0.0] + [0.5] * 4 + [-0.5] + [0.5] * 7)
    ctx = Context(seg=np.zeros(len(z), int), stat=z, cl=np.zeros(len(z)), z=z,
                  beyond=np.zeros(len(z), bool), nseg=1)
    assert np.flatnonzero(evaluate(["mdc_shift"], ctx)["mdc_shift"]).tolist() == list(range(10, 17))


def test_a_falling_trend_above_the_mean_is_an_improvement_when_lower_is_better():
    y = np.r_[np.full(10, 5.0), [9.0, 8.5, 8, 7.5, 7, 6.5, 6.2, 6.5], np.full(4, 5.0)]
    y = y + np.tile([0.01, -0.01], len(y) // 2 + 1)[: len(y)]
    f = chart("i", y, rules="mdc_trend", polarity=-1).frame
    trend = f["rules"] == "mdc_trend"
    assert trend.sum() >= 7 and (f.loc[trend, "y"] > f.loc[trend, "cl"]).all()
    assert (f.loc[trend, "direction"] == -1).all()  # the way it goes, not its side
    # with higher better, the same falling trend is a concern: still pointing down
    assert (chart("i", y, rules="mdc_trend", polarity=1).frame.loc[trend, "direction"] == -1).all()


def naive_mdc(values, polarity):
    """Making Data Count written out point by point from the reference README's conventions
    (one phase, screened moving ranges, 2.66): the point types, as a plain loop."""
    x = np.asarray(values, dtype=float)
    mean = x.mean()
    mr = np.abs(np.diff(x))
    amr = mr[mr < 3.267 * mr.mean()].mean()
    upl, lpl, two = mean + 2.66 * amr, mean - 2.66 * amr, (2 / 3) * 2.66 * amr
    side = np.sign(x - mean)
    ways = [set() for _ in x]  # +1 up, -1 down per rule that fires
    for i in range(len(x)):
        if x[i] > upl or x[i] < lpl:
            ways[i].add(int(side[i]))
    for i in range(len(x)):  # shift: 7 or more on one side, every point of the run
        j = i
        while j < len(x) and side[j] == side[i] != 0:
            j += 1
        if j - i >= 7 and (i == 0 or side[i - 1] != side[i]):
            for k in range(i, j):
                ways[k].add(int(side[i]))
    for sign in (1, -1):  # trend: 7 or more each strictly beyond the one before
        i = 0
        while i < len(x) - 1:
            j = i
            while j + 1 < len(x) and np.sign(x[j + 1] - x[j]) == sign:
                j += 1
            if j - i + 1 >= 7:
                for k in range(i, j + 1):
                    ways[k].add(sign)
            i = max(j, i + 1)
    for i in range(len(x) - 2):  # 2 of 3 beyond 2 sigma, all 3 on that side
        w = range(i, i + 3)
        for s in (1, -1):
            beyond = [k for k in w if s * (x[k] - mean) > two]
            if all(side[k] == s for k in w) and len(beyond) >= 2:
                for k in beyond:
                    ways[k].add(s)
    return ["common_cause" if not w else "special_cause_improvement" if polarity in w
            else "special_cause_concern" for w in ways], (lpl, upl)


def test_every_type_1_provider_agrees_with_making_data_count_written_out(shared_data):
    """All 130 type-1 providers with 36 months (the hidden set's population): the vectorised rules
    against the conventions of ../shared/reference/README.md written out as a plain loop."""
    raw = pd.read_csv(shared_data / "nhs_ae_attendances" / "ae_attendances.csv", parse_dates=["period"],
                      dtype={"type": str})
    raw = raw[(raw["type"] == "1") & (raw["attendances"] > 0)]
    full = raw.groupby("org_code")["period"].transform("size") == 36
    rows = raw[full].assign(rate=lambda d: d["breaches"] / d["attendances"])
    assert rows["org_code"].nunique() == 130
    cc = chart("i", rows, y="rate", x="period", group="org_code", rules="mdc", polarity=-1)
    f = cc.frame
    for org, points in f.groupby("group", observed=True):
        types, (lpl, upl) = naive_mdc(points["y"].to_numpy(), polarity=-1)
        assert [POINT_TYPE[d] for d in points["direction"]] == types, org
        assert points["ucl"].iloc[0] == pytest.approx(upl, rel=1e-12)
        assert points["lcl"].iloc[0] == pytest.approx(lpl, rel=1e-12)


@pytest.mark.skipif(not PROVIDERS, reason="../shared/reference is not beside this checkout")
def test_the_written_out_conventions_reproduce_the_reference_sample():
    """The plain loop above is itself checked: it gives the sample's point types (default config)."""
    config = next(c for c in REFERENCE["configs"] if c["id"] == "default")
    for ref in config["providers"]:
        assert naive_mdc(ref["value"], polarity=-1)[0] == ref["point_type"], ref["org"]
