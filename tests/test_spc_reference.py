"""Every reference case from R qcc 3.0 and qicharts2 0.8.1 (../shared/reference/spc_cases.json).

Each case is a published computation of the package on its own example data
or a seeded series; we rebuild the same chart with ``chart()`` and compare the
centre line, limits, plotted statistic and signals point by point.

Tolerances (relative, on cl/lcl/ucl/stat):
- 1e-9 by default: we use the same tabulated constants as qcc (d2 to 3
  decimals, d3 to 7, c4 exact) and the same formulae, so only floating-point
  rounding differs.
- 1e-4 where qicharts2 rounds a constant: its MR chart's UCL is 3.267 × CL,
  ours D4 = 1 + 3·d3(2)/d2(2) = 3.26729 (9e-5 relative).
"""

import warnings

import numpy as np
import pytest

from qoswb.spc import chart

CASES = [
    "qcc_syn_c", "qic_cdi_c_part24", "qcc_syn_cusum_fir", "qcc_syn_ewma_shift",
    "qcc_syn_g_conf", "qic_cabg_fatalities_g", "qcc_syn_i_shift_we1to4", "qic_nhs_i",
    "qcc_viscosity_mr_pairs", "qic_cabg_age_mr", "qcc_syn_np_varn", "qcc_syn_p_shift",
    "qic_syn_od_p", "qic_syn_od_pp", "qcc_pistonrings_varn_r", "qic_syn_run_freeze40",
    "qcc_syn_s", "qic_syn_s_freeze20", "qcc_syn_u_shift", "qic_syn_u_freeze20",
    "qic_hai_bac_up", "qcc_syn_xbar_r", "qcc_syn_varn_xbar_s", "qic_syn_varn_xbar",
]

LOOSE = {"qic_cabg_age_mr": 1e-4}  # qicharts2: UCL = 3.267 × CL (rounded D4)


def _nan(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def build(case):
    """The ``chart()`` call that reproduces a reference case."""
    kind, inp, prm = case["kind"], case["input"], case["params"]
    qic = case["source"].startswith("qicharts2")
    kw = {}
    if "values" in inp:
        kw["data"] = _nan(inp["values"])
        length = len(inp["values"])
    elif "subgroups" in inp:
        kw["data"] = inp["subgroups"]
        length = len(inp["subgroups"])
    elif kind == "c":
        kw["data"] = _nan(inp["counts"])
        length = len(inp["counts"])
    else:
        kw["y"], kw["n"] = _nan(inp["counts"]), _nan(inp["sizes"])
        length = len(inp["counts"])
    k = prm.get("calibration_n")
    if kind == "mr" and not qic:
        k = k + 1 if k is not None else None  # qcc charts k pairs = k + 1 points
    if k is not None and k < length:
        kw["freeze"] = k
    if "phase_starts" in prm:
        kw["phase"] = np.searchsorted(prm["phase_starts"], np.arange(length), side="right")
    if "exclude" in prm:
        kw["exclude"] = prm["exclude"]
    if qic:
        kw["rules"] = ["we1", "anhoej"]  # qicharts2: points beyond limits + Anhøj runs
        if prm.get("screened_mr") and kind in ("i", "pp", "up", "t"):
            kw["screen_mr"] = True
        if kind == "xbar_s":
            kw["sigma_method"] = "pooled"
    else:
        kw["rules"] = [f"we{r}" for r in prm.get("rules", [1])]
    if "nsigmas" in prm and kind != "ewma" and "confidence_level" not in prm:
        kw["sigma"] = prm["nsigmas"]
    if "confidence_level" in prm:
        kw["confidence"] = prm["confidence_level"]
    if kind == "cusum":
        kw.update(target=prm["center"], sd=prm["std_dev"], h=prm["decision_interval"],
                  k=prm["se_shift"] / 2, head_start=prm["head_start"])
    if kind == "ewma":
        kw.update(lam=prm["lambda"], L=prm["nsigmas"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checks' warnings are not under test here
        return chart(kind, **kw)


def _frame(case):
    f = build(case).frame
    if case["kind"] == "mr" and case["source"].startswith("qcc"):
        f = f.iloc[1:].reset_index(drop=True)  # qcc has no point for the first value
    return f


@pytest.mark.parametrize("case_id", CASES)
def test_limits_and_statistic(spc_reference, case_id):
    """cl, lcl, ucl and the plotted statistic agree with the package, point by point."""
    case = spc_reference[case_id]
    f, e = _frame(case), case["expect"]
    rtol = LOOSE.get(case_id, 1e-9)
    for col in ("cl", "lcl", "ucl", "stat"):
        want = _nan(e[col])
        got = f["y" if col == "stat" else col].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12, equal_nan=True,
                                   err_msg=f"{case_id} ({case['source']}): {col}")


@pytest.mark.parametrize("case_id", CASES)
def test_signals(spc_reference, case_id):
    """The flagged points (and for qcc the rule number) agree with the package."""
    case = spc_reference[case_id]
    f, e = _frame(case), case["expect"]
    if case["kind"] in ("cusum", "ewma") or case["source"].startswith("qcc"):
        got = np.flatnonzero(f["signal"].to_numpy()).tolist()
        assert got == e["signals"], f"{case_id} ({case['source']})"
        if "signal_rules" in e:
            first_rule = [int(str(f["rules"][i]).split(",")[0][2:]) for i in got]
            assert first_rule == e["signal_rules"], f"{case_id} ({case['source']})"
    else:
        beyond = f["rules"].astype(str).str.split(",").apply(lambda r: "we1" in r)
        assert np.flatnonzero(beyond.to_numpy()).tolist() == e["signals"], case_id


# qicharts2 runs no runs analysis on MR charts, so qic_cabg_age_mr has nothing to compare
@pytest.mark.parametrize("case_id", [c for c in CASES if c.startswith("qic") and c != "qic_cabg_age_mr"])
def test_runs_analysis(spc_reference, case_id):
    """Anhøj runs analysis per phase agrees with qicharts2 (longest run, crossings, limits)."""
    case = spc_reference[case_id]
    s = build(case).summary()
    for part, want in zip(s.itertuples(), case["expect"]["runs"]):
        assert part.useful_points == want["n_useful"], case_id
        assert part.longest_run == want["longest_run"], case_id
        assert part.longest_run_max == want["longest_run_max"], case_id
        assert part.crossings == want["n_crossings"], case_id
        assert part.crossings_min == want["n_crossings_min"], case_id
        assert bool(part.runs_signal) == want["runs_signal"], case_id


@pytest.mark.parametrize("case_id, column, key", [
    ("qcc_syn_cusum_fir", "cusum_upper", "cusum_upper"),
    ("qcc_syn_cusum_fir", "cusum_lower", "cusum_lower"),  # qcc reports the lower sum negated
    ("qcc_syn_ewma_shift", "value", "data_stat"),
])
def test_time_weighted_extras(spc_reference, case_id, column, key):
    """CUSUM sums and the EWMA's raw values agree with qcc 3.0."""
    case = spc_reference[case_id]
    got = build(case).frame[column].to_numpy(dtype=float)
    np.testing.assert_allclose(got, _nan(case["expect"][key]), rtol=1e-9, atol=1e-12)


def test_ewma_sigma_and_point_limits(spc_reference):
    """qcc_syn_ewma_shift (qcc 3.0): sigma from the first 40 moving ranges and the exact
    time-varying half-widths L·sigma·sqrt(lam/(2-lam)·(1-(1-lam)^(2i)))."""
    case = spc_reference["qcc_syn_ewma_shift"]
    cc = build(case)
    assert cc.summary().sigma[0] == pytest.approx(case["expect"]["sigma"], rel=1e-12)
    half = (cc.frame.ucl - cc.frame.cl).to_numpy() / 3
    np.testing.assert_allclose(half, case["expect"]["ewma_sigma"], rtol=1e-9)
