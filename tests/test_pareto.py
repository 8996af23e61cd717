"""The one Pareto: a tidy table (largest first, the "other" rule, cumulative shares) and its drawing."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from qoswb.errors import DataError  # noqa: E402
from qoswb.pareto import NOT_RECORDED, count, draw_pareto, pareto_table  # noqa: E402


def test_largest_first_with_shares_that_accumulate_to_one():
    table = pareto_table(count(["b", "a", "a", "c", "a", "b", None]))
    assert table["category"].tolist() == ["a", "b", "c", NOT_RECORDED] or table["category"].tolist() == [
        "a", "b", NOT_RECORDED, "c"]  # c and "not recorded" tie on one case each
    assert table["count"].tolist() == [3, 2, 1, 1]
    assert table["share"].tolist() == pytest.approx([3 / 7, 2 / 7, 1 / 7, 1 / 7])
    assert table["cumulative_share"].tolist() == pytest.approx([3 / 7, 5 / 7, 6 / 7, 1.0])
    assert list(table.columns) == ["category", "count", "share", "cumulative_share"]


@pytest.mark.parametrize("categories, top, shown", [
    (5, 3, ["c0", "c1", "c2", "other (2 categories)"]),  # two left over: pooled
    (4, 3, ["c0", "c1", "c2", "c3"]),  # one left over keeps its own name
    (3, 3, ["c0", "c1", "c2"]),
    (12, 8, [f"c{i}" for i in range(8)] + ["other (4 categories)"]),
])
def test_the_other_rule_pools_only_two_or_more(categories, top, shown):
    counts = {f"c{i}": 100 - i for i in range(categories)}
    table = pareto_table(counts, top=top)
    assert table["category"].tolist() == shown
    assert table["count"].sum() == sum(counts.values())  # nothing dropped
    assert table["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_expected_counts_follow_their_categories_and_are_pooled_alike():
    table = pareto_table(pd.Series({"a": 10, "b": 40, "c": 5, "d": 5}), top=1,
                         baseline={"a": 20, "b": 30, "c": 10})
    assert table["category"].tolist() == ["b", "other (3 categories)"]
    assert table["expected"].tolist() == [30.0, 30.0]  # d has no baseline: 0


@pytest.mark.parametrize("counts, message", [
    ({"a": 3, "b": -1}, "count for 'b' is not a count"),
    (pd.Series({"a": 3, "b": "many"}), "count for 'b' is not a count"),
    (pd.DataFrame({"category": ["a"]}), "a category column and a count column"),
])
def test_a_bad_count_is_named(counts, message):
    with pytest.raises(DataError, match=message):
        pareto_table(counts)


def test_drawing_shows_the_table_bars_and_cumulative_line_with_baseline_ticks():
    table = pareto_table({"login": 25, "billing": 50}, baseline={"billing": 30, "login": 45})
    ax = draw_pareto(table, Figure().subplots(), title="Late $5 refunds", label="late cases")
    assert [bar.get_height() for bar in ax.patches] == [50, 25]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["billing", "login"]
    assert list(ax.right_ax.lines[0].get_ydata()) == pytest.approx([100 * 50 / 75, 100.0])
    assert ax.collections[0].get_offsets()[:, 1].tolist() == [30, 45]  # ticks in bar order
    assert ax.get_title() == "Late $5 refunds" and not ax.title.get_parse_math()
    assert ax.get_ylabel() == "late cases"


@pytest.mark.parametrize("counts, baseline", [
    ({"login": 25, "billing": 50}, None),
    ({"a category name long enough to wrap over several lines of its label": 40, "b": 3}, None),
    ({f"<b>team {i}</b> & a long-ish name": 60 - i for i in range(12)}, None),
    ({"one": 7}, {"one": 9}),
    ({"wide-but-unbreakable-category-name-with-no-space-at-all": 9, "x": 80}, {"x": 50}),
])
def test_a_pareto_drawn_alone_fits_its_figure_without_a_tight_crop(counts, baseline):
    """What draw_pareto draws around its axes (rotated names, labels, title) is inside its figure,
    measured on the drawn figure by matplotlib's own tight bounding box, and the bars keep most of it."""
    import matplotlib.pyplot as plt

    ax = draw_pareto(pareto_table(counts, top=10, baseline=baseline), title="Late cases: resolution over SLA")
    fig = ax.figure
    fig.canvas.draw()
    drawn, (width, height) = fig.get_tightbbox(), fig.get_size_inches()
    assert drawn.x0 >= 0 and drawn.y0 >= 0 and drawn.x1 <= width and drawn.y1 <= height, drawn
    axes = ax.get_position()
    assert axes.width > 0.5 and axes.height > 0.3, axes
    assert drawn.x0 < 0.2 and drawn.y0 < 0.2 and width - drawn.x1 < 0.2 and height - drawn.y1 < 0.2  # no waste
    plt.close(fig)
