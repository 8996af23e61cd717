"""Montgomery's worked examples, *Introduction to Statistical Quality Control*.

Published figures are printed to 3-4 decimals (and the book rounds R̄ to 0.023
before multiplying), so the tolerances below are the printed rounding.
"""

import numpy as np
import pytest

from qoswb.spc import chart

# the out-of-control samples also make the data over-dispersed: the check rightly warns
pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")

# Example 6.1 / Table 6.3: inside diameters of forged piston rings (mm), 25 samples of 5
# (these are the first 25 samples of qcc's `pistonrings`; 188 of the 200 values are
# also checked against the qcc 3.0 reference case `qcc_pistonrings_varn_r` below).
PISTON_RINGS = [
    (74.030, 74.002, 74.019, 73.992, 74.008), (73.995, 73.992, 74.001, 74.011, 74.004),
    (73.988, 74.024, 74.021, 74.005, 74.002), (74.002, 73.996, 73.993, 74.015, 74.009),
    (73.992, 74.007, 74.015, 73.989, 74.014), (74.009, 73.994, 73.997, 73.985, 73.993),
    (73.995, 74.006, 73.994, 74.000, 74.005), (73.985, 74.003, 73.993, 74.015, 73.988),
    (74.008, 73.995, 74.009, 74.005, 74.004), (73.998, 74.000, 73.990, 74.007, 73.995),
    (73.994, 73.998, 73.994, 73.995, 73.990), (74.004, 74.000, 74.007, 74.000, 73.996),
    (73.983, 74.002, 73.998, 73.997, 74.012), (74.006, 73.967, 73.994, 74.000, 73.984),
    (74.012, 74.014, 73.998, 73.999, 74.007), (74.000, 73.984, 74.005, 73.998, 73.996),
    (73.994, 74.012, 73.986, 74.005, 74.007), (74.006, 74.010, 74.018, 74.003, 74.000),
    (73.984, 74.002, 74.003, 74.005, 73.997), (74.000, 74.010, 74.013, 74.020, 74.003),
    (73.988, 74.001, 74.009, 74.005, 73.996), (74.004, 73.999, 73.990, 74.006, 74.009),
    (74.010, 73.989, 73.990, 74.009, 74.014), (74.015, 74.008, 73.993, 74.000, 74.010),
    (73.982, 73.984, 73.995, 74.017, 74.013),
]

# Example 7.1 / Table 7.1: orange-juice cans, 30 samples of n = 50, nonconforming counts.
ORANGE_JUICE = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
                8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]


def test_piston_ring_data_match_qcc(spc_reference):
    """Our transcription agrees with the qcc 3.0 data behind reference case qcc_pistonrings_varn_r."""
    removed = np.array([9, 10, 30, 35, 45, 64, 65, 74, 75, 85, 99, 100]) - 1
    ours = np.array(PISTON_RINGS).ravel()
    keep = np.setdiff1d(np.arange(len(ours)), removed)
    theirs = np.concatenate(spc_reference["qcc_pistonrings_varn_r"]["input"]["subgroups"])
    np.testing.assert_array_equal(ours[keep], theirs[:len(keep)])


def test_piston_ring_xbar_r_example_6_1():
    """Montgomery Ex. 6.1: x̿ = 74.001, R̄ = 0.023; X̄ limits 73.988 / 74.014; R limits 0 / 0.049."""
    xbar = chart("xbar_r", PISTON_RINGS).frame
    r = chart("r", PISTON_RINGS).frame
    assert xbar.cl[0] == pytest.approx(74.001, abs=5e-4)
    assert xbar.ucl[0] == pytest.approx(74.014, abs=5e-4)
    assert xbar.lcl[0] == pytest.approx(73.988, abs=5e-4)
    assert r.cl[0] == pytest.approx(0.023, abs=5e-4)
    # the book multiplies the rounded R̄ = 0.023 by D4 = 2.114: 0.0486 -> 0.049
    assert r.ucl[0] == pytest.approx(2.114 * 0.023, abs=1e-3)
    assert r.lcl[0] == 0
    assert not xbar.signal.any() and not r.signal.any()  # "the process is in control"


def test_orange_juice_p_chart_example_7_1():
    """Montgomery Ex. 7.1: p̄ = 0.2313, UCL 0.4102, LCL 0.0524; samples 15 and 23 out."""
    f = chart("p", y=ORANGE_JUICE, n=[50] * 30, rules="we1").frame
    assert f.cl[0] == pytest.approx(0.2313, abs=5e-5)
    assert f.ucl[0] == pytest.approx(0.4102, abs=5e-5)
    assert f.lcl[0] == pytest.approx(0.0524, abs=5e-5)
    assert (np.flatnonzero(f.signal) + 1).tolist() == [15, 23]


def test_orange_juice_revised_limits_exclude_15_and_23():
    """Ex. 7.1 revised: samples 15 and 23 (assignable causes) left out: p̄ = 0.2150,
    UCL 0.3893, LCL 0.0407, and sample 21 (0.40) is now above the UCL."""
    f = chart("p", y=ORANGE_JUICE, n=[50] * 30, rules="we1", exclude=[14, 22]).frame
    assert f.cl[0] == pytest.approx(0.2150, abs=5e-5)
    assert f.ucl[0] == pytest.approx(0.3893, abs=5e-5)
    assert f.lcl[0] == pytest.approx(0.0407, abs=5e-5)
    assert (np.flatnonzero(f.signal) + 1).tolist() == [15, 21, 23]
    assert not f.baseline[14] and not f.baseline[22] and f.baseline[20]
