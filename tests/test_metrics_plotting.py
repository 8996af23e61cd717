"""Drawing a KPI series: date ticks that never overlap or clip, units on the y-axis, a key for the colours."""

import itertools

import matplotlib
import numpy as np
import pandas as pd
import pytest

from qoswb.metrics.plotting import figure_legend, plot_series

matplotlib.use("Agg")


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
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size)
    plot_series(weekly(weeks), ax=ax, unit="proportion")
    boxes = tick_boxes(ax)
    assert len(boxes) >= 2
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    width = fig.bbox.width
    assert all(0 <= box.x0 and box.x1 <= width for box in boxes)  # no "2025-0" cut at the edge
    plt.close(fig)


def test_units_and_a_key_for_every_colour_shown():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 2.4))
    plot_series(weekly(40), ax=axes[0], unit="proportion", legend=False)
    plot_series(weekly(40).assign(y=lambda d: d["y"] * 100, cl=80, lcl=74, ucl=86), ax=axes[1],
                unit="minutes", legend=False)
    assert axes[0].yaxis.get_major_formatter()(0.8, 0) == "80%" and axes[1].get_ylabel() == "minutes"
    figure_legend(fig)
    keys = [t.get_text() for t in fig.legends[0].get_texts()]
    assert keys == ["common cause", "special cause deteriorating", "incomplete period"]
    plt.close(fig)
