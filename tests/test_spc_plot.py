"""Plots draw what the frame says (no recomputation) and follow the caller's Axes."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from qoswb import palette  # noqa: E402
from qoswb.errors import ParameterError  # noqa: E402
from qoswb.spc import chart  # noqa: E402
from qoswb.spc.plot import DETERIORATING, IMPROVING, LINE, draw_chart, figure_legend  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")


def points_by_key(ax):
    """{key text: (fill colour, number of points)} of the points (markers without a line) drawn on ``ax``."""
    return {line.get_label(): (matplotlib.colors.to_hex(line.get_markerfacecolor())
                               if line.get_markerfacecolor() != "none" else "none", len(line.get_xdata()))
            for line in ax.lines if line.get_marker() == "o" and line.get_linestyle() == "None"}


def test_plot_uses_the_given_axes_and_colours_points_by_verdict_with_a_key():
    y = np.r_[np.tile([10.0, 11.0], 10), [30.0, 1.0]]
    fig, ax = plt.subplots()
    out = chart("i", y, polarity=-1).plot(ax=ax)
    assert out is ax
    # lower is better: the high point is a concern (orange), the low one an improvement (blue)
    assert points_by_key(ax) == {"common cause": (palette.COMMON_CAUSE, 20),
                                 "special cause improving": (IMPROVING, 1),
                                 "special cause deteriorating": (DETERIORATING, 1)}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "common cause", "special cause improving", "special cause deteriorating"]
    plt.close(fig)


def test_a_signal_without_a_better_direction_is_purple_and_a_p_chart_reads_in_percent():
    y = np.r_[np.tile([10.0, 11.0], 10), [30.0]]
    ax = chart("i", y).plot()
    assert points_by_key(ax)["special cause higher"] == (palette.NEITHER, 1)
    plt.close(ax.figure)
    ax = chart("p", pd.DataFrame({"y": [8, 9, 7, 8, 9, 8], "n": 10}), y="y", n="n").plot()
    assert ax.yaxis.get_major_formatter()(0.8, 0) == "80%"
    plt.close(ax.figure)


def test_change_dates_are_marked_with_their_label_drawn_as_typed():
    dates = pd.date_range("2024-01-01", periods=16, freq="W-MON")
    cc = chart("i", pd.DataFrame({"x": dates, "y": np.tile([3.0, 5.0], 8)}), x="x", y="y")
    ax = cc.plot(changes=[(dates[8], "new rota $5")], unit="minutes")
    marks = [t for t in ax.texts if t.get_text() == "new rota $5"]
    assert len(marks) == 1 and not marks[0].get_parse_math()
    assert ax.get_ylabel() == "minutes"
    dotted = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and pd.Timestamp(dotted[0].get_xdata()[0]) == dates[8]
    plt.close(ax.figure)


def test_a_target_is_a_line_in_the_key_and_the_small_multiples_key_keeps_the_verdicts_order():
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.4))
    draw_chart(weekly(30), axes[0], unit="proportion", target=0.9, legend=False)
    draw_chart(weekly(30, polarity=-1), axes[1], unit="proportion", legend=False)  # the drop improves
    target = [line for line in axes[0].lines if line.get_color() == palette.TARGET]
    assert len(target) == 1 and list(target[0].get_ydata()) == [0.9, 0.9]
    assert axes[0].get_ylim()[1] >= 0.9  # the target is in view, however far from the points
    figure_legend(fig)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "common cause", "special cause improving", "special cause deteriorating", "target", "incomplete period"]
    plt.close(fig)


@pytest.mark.parametrize("target", [0.95, 0.2])  # above the points and the limits, and below them
def test_a_target_beyond_the_data_is_drawn_inside_the_axes_not_on_their_frame(target):
    _, ax = plt.subplots()
    draw_chart(weekly(30), ax, unit="proportion", target=target, legend=False)
    low, high = ax.get_ylim()
    assert low + 0.05 * (high - low) <= target <= high - 0.05 * (high - low), (low, high)
    plt.close(ax.figure)


def test_a_frame_without_the_chart_columns_is_a_clear_error():
    with pytest.raises(ParameterError, match="no column 'ucl'"):
        draw_chart(pd.DataFrame({"x": [1, 2], "y": [1.0, 2], "cl": 1.5, "lcl": 0.0, "signal": False}))


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
    assert [a.get_legend() for a in fig.axes] == [None, None]  # one key for the figure
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["common cause"]
    plt.close(fig)
    ax = cc.plot(group="b")
    assert ax.get_title().endswith(": b")
    plt.close(ax.figure)


def test_cusum_draws_both_sums():
    cc = chart("cusum", np.r_[np.zeros(20), np.ones(10) * 2.0], sd=1.0, target=0.0)
    ax = cc.plot()
    solid = [line.get_ydata() for line in ax.lines if line.get_linestyle() == "-" and line.get_color() == LINE]
    assert len(solid) == 2
    np.testing.assert_allclose(solid[0], cc.frame["cusum_upper"])
    np.testing.assert_allclose(solid[1], cc.frame["cusum_lower"])
    # the upper sum's signals are coloured; the lower sum's points are drawn too
    assert points_by_key(ax)["special cause higher"][1] == int(cc.frame["signal"].sum())
    plt.close(ax.figure)


# --------------------------------------------------------- KPI series (period, complete, polarity)
def weekly(n, start="2024-01-01", polarity=1, seed=12):
    rng = np.random.default_rng(seed)
    y = rng.normal(0.8, 0.02, n)
    y[-9:] -= 0.08  # a shift at the end: signals, deteriorating
    return pd.DataFrame({"period": pd.date_range(start, periods=n, freq="7D"), "y": y, "cl": 0.8,
                         "lcl": 0.74, "ucl": 0.86, "signal": [False] * (n - 9) + [True] * 9,
                         "complete": [True] * (n - 1) + [False], "polarity": polarity})


def tick_boxes(ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    low, high = ax.get_xlim()  # matplotlib draws only the ticks inside the view
    return [label.get_window_extent(renderer) for at, label in zip(ax.get_xticks(), ax.get_xticklabels())
            if low <= at <= high and label.get_text()]


@pytest.mark.parametrize("weeks, size", [(75, (5.5, 2.4)), (75, (2.6, 1.8)), (18, (5.5, 2.4)), (200, (3.2, 2.0))])
def test_date_tick_labels_never_overlap_nor_leave_the_figure(weeks, size):
    fig, ax = plt.subplots(figsize=size)
    draw_chart(weekly(weeks), ax=ax, unit="proportion")
    boxes = tick_boxes(ax)
    assert len(boxes) >= 2
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    width = fig.bbox.width
    assert all(0 <= box.x0 and box.x1 <= width for box in boxes)  # no "2025-0" cut at the edge
    plt.close(fig)


def test_units_and_a_key_for_every_colour_shown():
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.4))
    draw_chart(weekly(40), ax=axes[0], unit="proportion", legend=False)
    draw_chart(weekly(40).assign(y=lambda d: d["y"] * 100, cl=80, lcl=74, ucl=86), ax=axes[1],
                unit="minutes", legend=False)
    assert axes[0].yaxis.get_major_formatter()(0.8, 0) == "80%" and axes[1].get_ylabel() == "minutes"
    figure_legend(fig)
    keys = [t.get_text() for t in fig.legends[0].get_texts()]
    assert keys == ["common cause", "special cause deteriorating", "incomplete period"]
    plt.close(fig)


@pytest.mark.parametrize("low, high", [(0.75, 0.9), (0.955, 0.99), (0.001, 0.004), (0.2, 0.95)])
def test_a_percent_tick_says_exactly_where_it_is(low, high):
    # "88%" at 0.875 (matplotlib's default steps with whole-number labels) misplaces the reader by half a point
    from qoswb.spc.plot import percent_axis

    fig, ax = plt.subplots(figsize=(4, 2.4))
    ax.plot([0, 1], [low, high])
    percent_axis(ax.yaxis)
    fig.canvas.draw()
    shown = [(at, t.get_text()) for at, t in zip(ax.get_yticks(), ax.get_yticklabels()) if low <= at <= high]
    assert len(shown) >= 2
    for at, text in shown:
        assert text.endswith("%") and float(text[:-1]) == pytest.approx(100 * at), (at, text)
    plt.close(fig)


def test_a_period_the_data_does_not_fully_cover_is_drawn_hollow_and_keyed_apart():
    from qoswb.spc.plot import INCOMPLETE

    frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": [5.0, 6, 5, 2], "cl": 5.0, "lcl": 3.0, "ucl": 7.0,
                          "signal": False, "complete": [True, True, True, False]})
    ax = draw_chart(frame)
    assert points_by_key(ax) == {"common cause": (palette.COMMON_CAUSE, 3), INCOMPLETE: ("none", 1)}
    hollow = next(line for line in ax.lines if line.get_label() == INCOMPLETE)
    assert matplotlib.colors.to_hex(hollow.get_markeredgecolor()) == matplotlib.colors.to_hex(LINE)
    plt.close(ax.figure)
