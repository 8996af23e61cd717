"""Pareto: which few categories make most of the cases — computed once (a tidy table), drawn once.

:func:`pareto_table` turns counts by category into one row per bar, largest
first: ``category``, ``count``, ``share``, ``cumulative_share`` (and
``expected``, what each would count at a baseline's shares, when given one).
:func:`draw_pareto` draws that table. The report's "behind the KPI", the PDCA
Plan step's chart and the workshop's drill-down all go through these two.

The "other" rule: the ``top`` largest categories keep their names; the rest
are pooled into one last bar, "other (N categories)", but only when that pools
two or more (one leftover category is shown by its own name: pooling it would
hide a name and save nothing). Cases with no category count as "(not recorded)".

>>> pareto_table(count(["billing", "login", "billing", None, "refund", "login", "billing"]), top=2)
          category  count     share  cumulative_share
0          billing      3  0.428571          0.428571
1            login      2  0.285714          0.714286
2  other (2 categories)      2  0.285714          1.000000
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qoswb import palette
from qoswb.errors import DataError
from qoswb.escape import PLAIN

NOT_RECORDED = "(not recorded)"


def count(values) -> pd.Series:
    """How many cases have each value (one value per case), largest first; missing values as "(not recorded)".

    >>> count(["a", "b", "a", None]).to_dict()
    {'a': 2, 'b': 1, '(not recorded)': 1}
    """
    return pd.Series(values, dtype="string").fillna(NOT_RECORDED).value_counts(sort=True)


def _counts(counts) -> pd.Series:
    """Counts by category from a Series or dict, or a frame (first column the category, second the count)."""
    if isinstance(counts, pd.DataFrame):
        if counts.shape[1] < 2:
            raise DataError("pareto: a frame needs a category column and a count column")
        counts = counts.set_index(counts.columns[0])[counts.columns[1]]
    elif isinstance(counts, dict):
        counts = pd.Series(counts, dtype=float)
    counts = pd.Series(counts)
    numbers = pd.to_numeric(counts, errors="coerce")
    bad = numbers.isna() | (numbers < 0)
    if bad.any():
        raise DataError(f"pareto: the count for {counts.index[bad.to_numpy()][0]!r} is not a count "
                        f"({counts[bad].iloc[0]!r})")
    return numbers


def pareto_table(counts, *, top: int = 8, baseline=None) -> pd.DataFrame:
    """One row per bar, largest first, the rest pooled by the "other" rule (see the module doc).

    ``counts``: counts by category (Series, dict, or a frame: category then count;
    :func:`count` makes them from one value per case). ``baseline``: what each
    category would count at a baseline's shares (a drill-down's ``expected``), by
    category; the table then has it as ``expected`` (0 where not given).

    >>> pareto_table({"login": 25, "billing": 50}, baseline={"billing": 30})["expected"].tolist()
    [30.0, 0.0]
    """
    counts = _counts(counts).sort_values(ascending=False, kind="stable")
    total = counts.sum()
    expected = None if baseline is None else _counts(baseline).reindex(counts.index).fillna(0.0)
    names = [str(c) for c in counts.index]
    if len(counts) > top + 1:  # two or more left over: pooled into one bar
        rest = len(counts) - top
        names = names[:top] + [f"other ({rest} categories)"]
        counts = pd.concat([counts.iloc[:top], pd.Series([counts.iloc[top:].sum()])])
        if expected is not None:
            expected = pd.concat([expected.iloc[:top], pd.Series([expected.iloc[top:].sum()])])
    values = counts.to_numpy()
    if np.all(np.mod(values, 1) == 0):
        values = values.astype("int64")
    out = pd.DataFrame({"category": names, "count": values})
    out["share"] = out["count"] / total if total else 0.0
    out["cumulative_share"] = out["share"].cumsum()
    if expected is not None:
        out["expected"] = expected.to_numpy(float)
    return out


def draw_pareto(table: pd.DataFrame, ax=None, *, title: str = "", label: str = "cases", wrap: int = 14):
    """Bars largest first, the cumulative share as a line (right axis, with 80% marked), and the
    baseline's expected counts as ticks when the table has them; returns the Axes (the right
    axis is ``ax.right_ax``). Category names, title and label are data text, drawn as typed.

    >>> ax = draw_pareto(pareto_table({"billing": 40, "login": 25}), title="Late cases")
    >>> [t.get_text() for t in ax.get_xticklabels()], ax.right_ax.get_ylabel()
    (['billing', 'login'], 'cumulative share')
    """
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    made = ax is None
    if made:
        _, ax = plt.subplots(figsize=(7, 3.2))
    # positions, not a categorical axis: matplotlib would sort or merge the names
    positions = np.arange(len(table))
    ax.bar(positions, table["count"], color=palette.COMMON_CAUSE)
    if "expected" in table:
        ax.scatter(positions, table["expected"], marker="_", s=600, color="black", zorder=3,
                   label="at the baseline's share")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    names = ["\n".join(textwrap.wrap(str(name), wrap)) or " " for name in table["category"]]
    ax.set_xticks(positions, names, rotation=30, ha="right", fontsize=8, **PLAIN)
    ax.set_ylabel(label, **PLAIN)
    right = ax.twinx()
    right.plot(positions, 100 * table["cumulative_share"].to_numpy(float), color=palette.LINE, marker="o", ms=3)
    right.axhline(80, color=palette.LIMIT, ls=":", lw=1)
    right.set_ylim(0, 105)
    right.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    right.set_ylabel("cumulative share")
    if title:
        ax.set_title(title, fontsize=10, **PLAIN)
    ax.right_ax = right
    if made:  # the figure is ours to lay out; a caller's Axes keeps the caller's layout
        fit_margins(ax)
    return ax


def fit_margins(ax, pad: float = 4) -> None:
    """Set the margins of the figure of a Pareto ``ax`` (from :func:`draw_pareto`) so that what is
    drawn around the axes fits with ``pad`` points to spare: the rotated category names, tick
    labels, axis labels and title.

    Measured from the texts alone: a tight crop (``bbox_inches="tight"``) or ``tight_layout``
    lays the whole figure out once more only to learn these sizes, a third of a Pareto's cost.

    >>> ax = draw_pareto(pareto_table({"a very long category name indeed": 40, "login": 25}))
    >>> box = ax.figure.get_tightbbox()
    >>> bool(0 <= box.x0 and box.x1 <= ax.figure.get_figwidth() and 0 <= box.y0)
    True
    """
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    fig, right_ax = ax.figure, ax.right_ax
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72  # pixels per point
    width, height, pad = fig.bbox.width, fig.bbox.height, pad * px

    def tick(axis: str) -> float:  # a tick's length and its gap to its label
        return (mpl.rcParams[f"{axis}tick.major.size"] + mpl.rcParams[f"{axis}tick.major.pad"]) * px

    def widest(axes) -> float:  # the y tick labels are only written at draw time: measure their strings
        font = FontProperties(size=mpl.rcParams["ytick.labelsize"])
        low, high = axes.get_ylim()
        shown = [t for t in axes.get_yticks() if low <= t <= high]
        return max((renderer.get_text_width_height_descent(s, font, ismath=False)[0]
                    for s in axes.yaxis.get_major_formatter().format_ticks(shown)), default=0)

    def label(axes) -> float:
        text = axes.yaxis.label
        return text.get_window_extent(renderer).width + axes.yaxis.labelpad * px if text.get_text() else 0

    names = [t for t in ax.get_xticklabels() if t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in names]
    right = (widest(right_ax) + tick("y") + label(right_ax) + pad) / width
    title = ax.title.get_window_extent(renderer).height + mpl.rcParams["axes.titlepad"] * px if ax.get_title() else 0
    top = 1 - (title + pad) / height
    bottom = (max((b.height for b in boxes), default=0) + tick("x") + pad) / height
    left = (widest(ax) + tick("y") + label(ax) + pad) / width
    # names are right-aligned at their bar, so one may reach further left than the y axis' labels
    low, high = ax.get_xlim()
    for name, box in zip(names, boxes):
        at = (name.get_position()[0] - low) / (high - low)  # the bar's place across the axes
        if at < 1:
            left = max(left, (box.width + pad - at * width * (1 - right)) / (width * (1 - at)))
    fig.subplots_adjust(left=left, right=1 - right, bottom=bottom, top=top)
