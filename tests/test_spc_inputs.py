"""Sorting and checking the points (qoswb.spc.inputs): the fast path for groups already
together must find exactly what the general path finds."""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError
from qoswb.spc import chart
from qoswb.spc.inputs import tidy


def _frame(order=None):
    team = np.repeat(["b", "a", "c"], [4, 1, 3])  # "a" has a single row
    x = np.array([1.0, 2, 3, 4, 1, 1, 2, 3])
    df = pd.DataFrame({"team": team, "x": x, "y": np.arange(8.0)})
    return df if order is None else df.iloc[order].reset_index(drop=True)


@pytest.mark.parametrize("kind", ["float", "datetime"])
@pytest.mark.parametrize("row", [0, 2, 3, 4, 5, 7])  # first, middle, last of a group; the lone row
@pytest.mark.parametrize("shuffled", [False, True])
def test_a_missing_x_is_named_wherever_it_is(kind, row, shuffled):
    df = _frame()
    if kind == "datetime":
        df["x"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["x"], unit="D")
    df.loc[row, "x"] = np.nan if kind == "float" else pd.NaT
    order = np.array([7, 0, 5, 1, 4, 2, 6, 3]) if shuffled else np.arange(8)
    df = df.iloc[order].reset_index(drop=True)
    at = int(np.flatnonzero(order == row)[0])
    with pytest.raises(DataError, match=rf"column 'x' is missing on rows {at}$"):
        chart("i", df, y="y", x="x", group="team")


@pytest.mark.parametrize("dtype", ["str", "object", "category", "int"])
def test_groups_together_or_mixed_give_the_same_segments(dtype):
    df = _frame()
    if dtype == "int":
        df["team"] = df["team"].map({"b": 20, "a": 10, "c": 30})
    else:
        df["team"] = df["team"].astype(dtype)
    mixed = df.iloc[[0, 4, 5, 2, 1, 6, 3, 7]]  # groups first seen in the same order: b, a, c
    a = tidy("values", df, y="y", n=None, x="x", group="team", phase=None)
    b = tidy("values", mixed, y="y", n=None, x="x", group="team", phase=None)
    assert a.seg.tolist() == b.seg.tolist() and a.start.tolist() == b.start.tolist()
    assert a.y.tolist() == b.y.tolist() and a.seg.dtype == b.seg.dtype == np.int64
    if dtype == "category":  # the categories' order (a, b, c), not the order of appearance
        assert a.seg.tolist() == [0, 1, 1, 1, 1, 2, 2, 2] and a.start.tolist() == [0, 1, 5]
        assert a.y.tolist() == [4, 0, 1, 2, 3, 5, 6, 7]
    else:
        assert a.seg.tolist() == [0, 0, 0, 0, 1, 2, 2, 2] and a.start.tolist() == [0, 4, 5]
        assert a.y.tolist() == list(range(8))


def test_x_that_does_not_rise_inside_a_group_is_sorted_or_named():
    df = _frame()
    df.loc[[1, 2], "x"] = [3.0, 2.0]  # unsorted inside group "b": sorted, same chart
    t = tidy("values", df, y="y", n=None, x="x", group="team", phase=None)
    assert list(t.x) == [1.0, 2, 3, 4, 1, 1, 2, 3] and t.y.tolist() == [0, 2, 1, 3, 4, 5, 6, 7]
    assert t.row.tolist() == [0, 2, 1, 3, 4, 5, 6, 7] and t.start.tolist() == [0, 4, 5]
    df.loc[2, "x"] = 3.0  # a repeat inside a group: named by its input row
    with pytest.raises(DataError, match=r"x repeats inside a series .* on rows 2;"):
        tidy("values", df, y="y", n=None, x="x", group="team", phase=None)


@pytest.mark.parametrize("labels", [
    ["t01", "t01", "t02", "t02", "u02", "u02", "u03"],  # one width: differences in first and last byte
    ["a", "a", "bb", "bb", "c", "ccc", "ccc"],  # widths differ
    ["é1", "é1", "é2", "e2", "e2", "e3", "e3"],  # several bytes a letter
    ["", "", "x", "x", "", "y", "y"],  # empty labels
])
@pytest.mark.parametrize("form", ["string", "large_string", "sliced", "chunked"])
def test_label_changes_are_arrows_comparison(labels, form):
    import pyarrow as pa
    import pyarrow.compute as pc

    from qoswb.spc.inputs import _changes

    kind = pa.string() if form == "string" else pa.large_string()
    if form == "sliced":  # offsets that do not start at 0
        a = pa.chunked_array([pa.array(["zz", "zzz"] + labels, type=kind).slice(2)])
    elif form == "chunked":
        a = pa.chunked_array([pa.array(labels[:3], type=kind), pa.array(labels[3:], type=kind)])
    else:
        a = pa.chunked_array([pa.array(labels, type=kind)])
    want = np.asarray(pc.indices_nonzero(pc.not_equal(a.slice(1), a.slice(0, len(a) - 1))))
    from qoswb.spc.inputs import _one_width

    expected = [i for i in range(6) if labels[i + 1] != labels[i]]
    assert _changes(a, _one_width(a)).tolist() == _changes(a).tolist() == want.tolist() == expected


@pytest.mark.parametrize("dtype", ["str", "string"])
def test_labels_of_one_width_are_each_charts_own(dtype):
    def groups(names):
        df = pd.DataFrame({"team": pd.array(np.repeat(names, 3), dtype=dtype), "x": np.tile([1, 2, 3], 2),
                           "y": np.arange(6.0)})
        return tidy("values", df, y="y", n=None, x="x", group="team", phase=None).group

    first, again, other = groups(["ab", "cd"]), groups(["ab", "cd"]), groups(["ab", "ce"])
    assert list(first.categories) == list(again.categories) == ["ab", "cd"]
    assert list(other.categories) == ["ab", "ce"] and list(other) == ["ab"] * 3 + ["ce"] * 3
    assert first.categories.dtype == pd.array(["a"], dtype=dtype).dtype
    first.categories.name = "renamed"
    assert again.categories.name is None
