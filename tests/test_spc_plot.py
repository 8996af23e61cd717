"""Plots draw what the frame says (no recomputation) and follow the caller's Axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from qoswb.errors import ParameterError  # noqa: E402
from qoswb.spc import chart  # noqa: E402
from qoswb.spc.plot import DETERIORATING, IMPROVING  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")


def test_plot_uses_the_given_axes_and_colours_signals_by_polarity():
    y = np.r_[np.tile([10.0, 11.0], 10), [30.0, 1.0]]
    fig, ax = plt.subplots()
    out = chart("i", y, polarity=-1).plot(ax=ax)
    assert out is ax
    colours = [tuple(c) for c in ax.collections[0].get_facecolors()]
    assert colours == [matplotlib.colors.to_rgba(DETERIORATING), matplotlib.colors.to_rgba(IMPROVING)]
    plt.close(fig)


def test_limits_are_stepped_per_phase_and_phase_labels_drawn():
    y = np.r_[np.tile([10.0, 11.0], 8), np.tile([20.0, 21.0], 8)]
    ax = chart("i", y, phase=["before"] * 16 + ["after"] * 16).plot()
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["before", "after"]
    ucl_lines = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(ucl_lines) == 4  # lcl and ucl for each phase
    plt.close(ax.figure)


def test_many_groups_need_facet():
    df = pd.DataFrame({"team": list("aaaabbbb"), "v": [1.0, 2, 1, 2, 5, 6, 5, 7]})
    cc = chart("i", df, y="v", group="team")
    with pytest.raises(ParameterError, match="2 groups"):
        cc.plot()
    fig = cc.facet()
    assert [a.get_title() for a in fig.axes] == ["a", "b"]
    plt.close(fig)
    ax = cc.plot(group="b")
    assert ax.get_title().endswith(": b")
    plt.close(ax.figure)


def test_cusum_draws_both_sums():
    ax = chart("cusum", np.r_[np.zeros(20), np.ones(10) * 2.0], sd=1.0, target=0.0).plot()
    assert len([line for line in ax.lines if line.get_marker() == "o"]) == 2
    plt.close(ax.figure)
