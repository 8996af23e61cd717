"""Figures for the apps, drawn off-screen (no pyplot, no backend) and handed over as PNG bytes.

An ``ipywidgets.Image`` shows PNG bytes the same in JupyterLab, Voila and a
headless test, and drawing on a bare ``matplotlib.figure.Figure`` leaves the
notebook's own figures alone.

>>> png = chart_png(None)      # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from qoswb.escape import PLAIN
from qoswb.pdca.export import png_bytes


def _figure(size):
    from matplotlib.figure import Figure

    return Figure(figsize=size)


def draw_chart(cc, ax, changes=()) -> None:
    """A control chart on ``ax`` through ``ControlChart.plot``, with change dates marked.

    Until :mod:`qoswb.spc` has its plotting module, a plain drawing of the chart's
    frame stands in (points, centre, limits, signals in red): no statistic is
    recomputed here.
    """
    try:
        cc.plot(ax=ax)
    except ImportError:
        frame = cc.frame
        x = frame["x"]
        ax.plot(x, frame["y"], marker="o", ms=3, lw=1, color="#34495e")
        ax.step(x, frame["cl"], where="mid", color="#1e8449", lw=1)
        for limit in ("lcl", "ucl"):
            ax.step(x, frame[limit], where="mid", color="#c0392b", lw=1, ls="--")
        signal = frame["signal"].to_numpy(bool)
        ax.scatter(x[signal], frame["y"][signal], color="#c0392b", zorder=3, s=25)
        if pd.api.types.is_datetime64_any_dtype(x):
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

            locator = AutoDateLocator(maxticks=8)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    for when, label in changes:
        ax.axvline(pd.Timestamp(when), color="#8e44ad", lw=1.5, ls=":")
        ax.annotate(label, (pd.Timestamp(when), 1), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", ha="right", fontsize=7, color="#8e44ad", **PLAIN)


def chart_png(cc, title: str = "", changes=(), size=(9, 3.4)) -> bytes:
    """The control chart as PNG bytes; ``changes`` (date, label) pairs drawn as lines."""
    figure = _figure(size)
    ax = figure.subplots()
    figure.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.14)  # no second draw
    draw_chart(cc, ax, changes)
    if title:
        ax.set_title(title, fontsize=10, **PLAIN)
    return png_bytes(figure, dpi=72, tight=False)


def fishbone_png(causes, problem: str) -> bytes:
    """The fishbone of a cycle's causes as PNG bytes."""
    from qoswb.pdca.fishbone import fishbone

    figure = _figure((11, 5.5))
    fishbone(causes, problem, ax=figure.subplots())
    return png_bytes(figure, dpi=70)


def pareto_png(table: pd.DataFrame, by: str, title: str = "") -> bytes:
    """A drill-down table (:meth:`Source.drilldown`) as a Pareto chart with baseline ticks."""
    from qoswb.pdca.fishbone import pareto

    figure = _figure((7, 3.6))
    counts = table.set_index(by)["count"]
    pareto(counts, baseline=table.set_index(by)["expected"], ax=figure.subplots(),
           title=title, label="cases")
    return png_bytes(figure, dpi=75)


def empty_png(message: str, size=(9, 1.2)) -> bytes:
    """A small image carrying a message, where a chart cannot be drawn."""
    figure = _figure(size)
    ax = figure.subplots()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, **PLAIN)
    ax.set_axis_off()
    return png_bytes(figure, dpi=70)
