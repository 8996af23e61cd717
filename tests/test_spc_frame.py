"""qoswb.spc.frame.from_columns: the frame the constructor would build, without copies."""

import warnings

import numpy as np
import pandas as pd
import pytest

from qoswb.spc import chart
from qoswb.spc.frame import from_columns


def _columns():
    n = 6
    return {
        "group": pd.Categorical.from_codes(np.repeat([0, 1], 3), categories=["north", "south"]),
        "phase": np.ones(n, dtype=np.int64),
        "x": pd.array(pd.date_range("2025-01-06", periods=n, freq="W-MON")),
        "label": pd.array(list("abcdef"), dtype="str"),
        "y": np.linspace(0, 1, n),
        "signal": np.array([False, True] * 3),
        "direction": np.array([0, 1, -1, 0, 0, 1], dtype=np.int8),
        "count": pd.Series(np.arange(n, dtype=np.uint16)).array,  # a NumPy-backed extension array
    }


def test_equals_the_constructor_and_shares_the_arrays():
    cols = _columns()
    got = from_columns(cols)
    pd.testing.assert_frame_equal(got, pd.DataFrame(cols), check_exact=True)
    assert got.columns.tolist() == list(cols) and got.index.equals(pd.RangeIndex(6))
    for name in ("y", "signal", "direction", "phase"):
        assert np.shares_memory(got[name].to_numpy(), cols[name]), name
    got.columns.name = "renamed"  # each frame has its own column index
    assert from_columns(cols).columns.name is None


@pytest.mark.parametrize("odd", [np.array(["a", "b", "c", "d", "e", "f"], dtype=object),
                                 np.arange(6).astype("datetime64[D]"), list(range(6)),
                                 np.arange(6, dtype=">f8")])
def test_columns_that_need_inference_go_through_the_constructor(odd):
    cols = {"y": np.zeros(6), "odd": odd}
    pd.testing.assert_frame_equal(from_columns(cols), pd.DataFrame(cols), check_exact=True)


def test_columns_of_different_lengths_are_the_constructors_error():
    with pytest.raises(ValueError, match="same length"):
        from_columns({"y": np.zeros(3), "n": np.zeros(4)})
    assert from_columns({}).shape == (0, 0)


def test_a_chart_frame_is_what_the_constructor_gives():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"team": np.repeat(["a", "b"], 30), "day": np.tile(np.arange(30), 2),
                       "v": rng.normal(10, 2, 60)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = chart("i", df, y="v", x="day", group="team", model=7).frame
    rebuilt = pd.DataFrame({name: frame[name].array for name in frame.columns})
    pd.testing.assert_frame_equal(frame, rebuilt, check_exact=True)
    assert frame.dtypes.astype(str).tolist() == [
        "category", "int64", "int64", "float64", "float64", "float64", "float64", "bool",
        "category", "int8", "bool", "float64"]
