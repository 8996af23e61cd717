"""CUSUM and EWMA on rational subgroups, as qcc 3.0 charts them (``cusum``/``ewma`` on a data matrix).

qcc (R/cusum.R, R/ewma.R, R/qcc.R ``stats.xbar``/``sd.xbar``): the statistic is the subgroup mean,
the centre the size-weighted mean of the means, sigma from within the subgroups (default
"UWAVE-R", "RMSDF" when a subgroup has more than 25 values; ``std.dev`` picks another), each
point standardised by sigma/sqrt(n_i); with ``newdata`` the estimates come from the calibration
subgroups only (qoswb's ``freeze``). The centres and sigmas below are qcc's own published numbers
from ../shared/reference/spc_cases.json (``package_std_dev``, ``cl``, ``stat``); the sums and
limits are qcc's documented recursions written out on them.
"""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import ParameterError
from qoswb.spc import chart

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")


def qcc_cusum(stat, centre, sigma, n, k=0.5, h=5.0, head_start=0.0):
    """qcc's cusum(): z = (stat - centre) / (sigma / sqrt(n)); C+ = max(0, C+ + z - k), C- likewise."""
    z = (np.asarray(stat) - centre) / (sigma / np.sqrt(n))
    up, low, cu, cl = [], [], head_start, head_start
    for zi in z:
        cu, cl = max(0.0, cu + zi - k), max(0.0, cl - zi - k)
        up.append(cu)
        low.append(-cl)
    return np.array(up), np.array(low)


def qcc_ewma(stat, centre, sigma, n, lam=0.2, L=3.0):
    """qcc's ewma(): z_i = lam x_i + (1 - lam) z_{i-1} from the centre; sigma^2/n_i times the exact factor."""
    z, cur = [], centre
    for x in stat:
        cur = lam * x + (1 - lam) * cur
        z.append(cur)
    i = np.arange(1, len(stat) + 1)
    half = L * np.sqrt(sigma ** 2 / np.asarray(n) * lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)))
    return np.array(z), centre - half, centre + half


def subgroups(spc_reference, case_id):
    case = spc_reference[case_id]
    groups = case["input"]["subgroups"]
    width = max(map(len, groups))
    matrix = np.full((len(groups), width), np.nan)
    for i, g in enumerate(groups):
        matrix[i, :len(g)] = g
    return case, matrix, np.array([len(g) for g in groups], dtype=float)


def test_subgroup_cusum_uses_qcc_centre_and_within_sigma(spc_reference):
    case, data, n = subgroups(spc_reference, "qcc_syn_xbar_r")  # 30 x 5, calibration on the first 20
    e = case["expect"]
    cc = chart("cusum", data, freeze=case["params"]["calibration_n"])
    s = cc.summary().iloc[0]
    assert s["centre"] == pytest.approx(e["cl"][0], rel=1e-12)
    assert s["sigma"] == pytest.approx(e["package_std_dev"], rel=1e-12)  # qcc's UWAVE-R
    f = cc.frame
    np.testing.assert_allclose(f["y"], e["stat"], rtol=1e-12)  # the subgroup means
    up, low = qcc_cusum(e["stat"], e["cl"][0], e["package_std_dev"], n)
    np.testing.assert_allclose(f["cusum_upper"], up, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(f["cusum_lower"], low, rtol=1e-9, atol=1e-12)
    assert f["signal"].tolist() == ((up > 5) | (low < -5)).tolist() and f["signal"].iloc[-1]
    assert (f["n"] == 5).all()


def test_subgroup_ewma_with_unequal_sizes_uses_sigma_over_root_n(spc_reference):
    # piston rings with 12 values removed (sizes 3-5); qcc's UWAVE-R sigma over the first 25
    case, data, n = subgroups(spc_reference, "qcc_pistonrings_varn_r")
    sigma = case["expect"]["package_std_dev"]
    means = np.nanmean(data, axis=1)
    centre = (n[:25] * means[:25]).sum() / n[:25].sum()  # qcc stats.xbar: size-weighted
    f = chart("ewma", data, freeze=25).frame
    z, lcl, ucl = qcc_ewma(means, centre, sigma, n)
    np.testing.assert_allclose(f["y"], z, rtol=1e-12)
    np.testing.assert_allclose(f["lcl"], lcl, rtol=1e-12)
    np.testing.assert_allclose(f["ucl"], ucl, rtol=1e-12)
    np.testing.assert_allclose(f["value"], means, rtol=1e-12)
    assert f["signal"].tolist() == ((z > ucl) | (z < lcl)).tolist()


def test_std_dev_options_as_qcc(spc_reference):
    case, data, n = subgroups(spc_reference, "qcc_syn_varn_xbar_s")  # sizes 3-8, qcc UWAVE-SD
    assert chart("ewma", data, sigma_method="uwave-sd").summary()["sigma"].iloc[0] == pytest.approx(
        case["expect"]["package_std_dev"], rel=1e-12)
    # qcc sd.xbar, written out with its constants (d2, d3 tabulated; c4 exact)
    from scipy.special import gammaln

    def c4(m):
        return np.sqrt(2 / (m - 1)) * np.exp(gammaln(m / 2) - gammaln((m - 1) / 2))

    d2 = {3: 1.693, 4: 2.059, 5: 2.326, 6: 2.534, 7: 2.704, 8: 2.847}
    d3 = {3: 0.8883697, 4: 0.8798108, 5: 0.8640855, 6: 0.8480442, 7: 0.8332108, 8: 0.8198378}
    R = np.nanmax(data, axis=1) - np.nanmin(data, axis=1)
    S = np.nanstd(data, axis=1, ddof=1)
    D2, D3 = np.array([d2[int(m)] for m in n]), np.array([d3[int(m)] for m in n])
    w_r, w_s = (D2 / D3) ** 2, c4(n) ** 2 / (1 - c4(n) ** 2)
    expected = {
        "uwave-r": np.mean(R / D2),
        "mvlue-r": np.sum(R / D2 * w_r) / w_r.sum(),
        "mvlue-sd": np.sum(S / c4(n) * w_s) / w_s.sum(),
        "rmsdf": np.sqrt(np.sum(S ** 2 * (n - 1)) / np.sum(n - 1)) / c4(np.sum(n - 1) + 1),
    }
    for method, sigma in expected.items():
        got = chart("cusum", data, sigma_method=method).summary()["sigma"].iloc[0]
        assert got == pytest.approx(sigma, rel=1e-12), method
    assert chart("cusum", data).summary()["sigma"].iloc[0] == pytest.approx(expected["uwave-r"])
    with pytest.raises(ParameterError, match="sigma_method='mr' is not for subgroups.*uwave-r"):
        chart("cusum", data, sigma_method="mr")
    with pytest.raises(ParameterError, match="not for single values"):
        chart("ewma", np.arange(10.0), sigma_method="rmsdf")


def test_more_than_25_per_subgroup_defaults_to_rmsdf():
    rng = np.random.default_rng(25)
    data = rng.normal(0, 2, (20, 30))
    S = data.std(axis=1, ddof=1)
    from scipy.special import gammaln

    df = 20 * 29
    c4 = np.sqrt(2 / df) * np.exp(gammaln((df + 1) / 2) - gammaln(df / 2))
    assert chart("ewma", data).summary()["sigma"].iloc[0] == pytest.approx(np.sqrt(np.mean(S ** 2)) / c4)


def test_tidy_rows_with_a_repeated_subgroup_column_are_subgroups(spc_reference):
    case, data, n = subgroups(spc_reference, "qcc_syn_xbar_r")
    rows = [(team, i, v) for team in ("a", "b") for i, g in enumerate(data) for v in g]
    tidy = pd.DataFrame(rows, columns=["team", "sample", "value"]).sample(frac=1, random_state=1)
    cc = chart("cusum", tidy, y="value", x="sample", group="team", freeze=20)
    matrix = chart("cusum", data, freeze=20)
    for team in ("a", "b"):
        f = cc.frame[cc.frame["group"] == team]
        np.testing.assert_allclose(f["cusum_upper"], matrix.frame["cusum_upper"], rtol=1e-9, atol=1e-12)
        assert f["x"].tolist() == list(range(30))
    assert cc.summary()["sigma"].tolist() == pytest.approx([case["expect"]["package_std_dev"]] * 2, rel=1e-12)


def test_single_values_keep_their_moving_range_sigma(spc_reference):
    case = spc_reference["qcc_syn_ewma_shift"]  # qcc 3.0 ewma on single values, std.dev "MR"
    y = np.asarray(case["input"]["values"], dtype=float)
    f = chart("ewma", y, freeze=case["params"]["calibration_n"], lam=case["params"]["lambda"]).frame
    np.testing.assert_allclose(f["y"], case["expect"]["stat"], rtol=1e-9)
    assert "n" not in f.columns


def test_subgroup_means_with_their_sizes_need_a_sigma_as_in_qcc(spc_reference):
    case, data, n = subgroups(spc_reference, "qcc_pistonrings_varn_r")
    means, sigma = np.nanmean(data, axis=1), case["expect"]["package_std_dev"]
    from_means = chart("cusum", y=means, n=n, sd=sigma, freeze=25).frame
    from_values = chart("cusum", data, freeze=25).frame
    np.testing.assert_allclose(from_means["cusum_upper"], from_values["cusum_upper"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(from_means["cusum_lower"], from_values["cusum_lower"], rtol=1e-9, atol=1e-12)
    with pytest.raises(ParameterError, match="need sd="):
        chart("ewma", y=means, n=n)
    from qoswb.errors import DataError

    with pytest.raises(DataError, match="column 'n': subgroup sizes must be 1 or more on rows 3"):
        chart("ewma", y=means, n=np.where(np.arange(len(n)) == 3, 0, n), sd=sigma)
