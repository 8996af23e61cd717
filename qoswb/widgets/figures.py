"""Figures for the apps, drawn off-screen (no pyplot, no backend) and handed over as SVG.

SVG (:func:`qoswb.svg.svg_bytes`, as in the reports) is sharp at whatever size the
browser shows it, and an ``ipywidgets.Image`` shows it the same in JupyterLab,
Voila and a headless test. Drawing on a bare
``matplotlib.figure.Figure`` leaves the notebook's own figures alone.

Where there is nothing to draw yet, :class:`FigureView` hides its image and
shows a line of text instead of an empty (broken-looking) image.

>>> svg = svg_bytes(_figure((2, 1)))
>>> svg.startswith(b"<?xml") and b"<svg" in svg
True
"""

from __future__ import annotations

import html

import pandas as pd

from qoswb.svg import svg_bytes  # noqa: F401 - the apps' figures, as the reports'


def _figure(size):
    from matplotlib.figure import Figure

    return Figure(figsize=size)


class FigureView:
    """An image that is only there when there is a figure; otherwise a line of text.

    >>> view = FigureView()                                      # doctest: +SKIP
    >>> view.show(None, "Choose the team and KPI in Plan.")      # doctest: +SKIP
    >>> view.image.layout.display                                # doctest: +SKIP
    'none'
    """

    def __init__(self, width: str = "100%", css_class: str | None = None,
                 max_width: str = "1100px"):
        import ipywidgets as w

        # a figure grows with the screen up to max_width: wider only makes its text shout
        self.image = w.Image(format="svg+xml", layout=w.Layout(width=width, max_width=max_width,
                                                               display="none"))
        if css_class:
            self.image.add_class(css_class)  # a handle for browser tests and CSS
        self.note = w.HTML()
        self.ui = w.VBox([self.image, self.note])

    def show(self, svg: bytes | None, note: str = "") -> None:
        """Show ``svg`` (hidden when empty) and, under it, ``note`` as plain text."""
        if svg:
            self.image.value = svg
            self.image.layout.display = None
        else:
            self.image.layout.display = "none"
        self.note.value = f"<p>{html.escape(note)}</p>" if note else ""

    @property
    def shown(self) -> bool:
        """True when an image is on screen."""
        return self.image.layout.display != "none"


def chart_figure(cc, title: str = "", changes=(), size=(9, 3.4), unit=None):
    """The control chart on a new Figure, drawn by ``ControlChart.plot`` (qoswb's one chart drawing):
    ``changes`` (date, label) pairs marked by dotted lines, the y-axis in ``unit`` (the KPI's)."""
    figure = _figure(size)
    ax = figure.subplots()
    figure.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.14)  # no second draw
    cc.plot(ax=ax, title=title or None, changes=changes, unit=unit)
    return figure


def chart_svg(cc, title: str = "", changes=(), unit=None) -> bytes:
    """The control chart as SVG (see :func:`chart_figure`)."""
    return svg_bytes(chart_figure(cc, title, changes, unit=unit))


def fishbone_svg(causes, problem: str) -> bytes:
    """The fishbone of a cycle's causes as SVG."""
    from qoswb.pdca.fishbone import fishbone

    figure = _figure((11, 5.5))
    figure.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    fishbone(causes, problem, ax=figure.subplots())
    return svg_bytes(figure)


def pareto_svg(table: pd.DataFrame, by: str, title: str = "") -> bytes:
    """A drill-down table (:meth:`Source.drilldown`) as a Pareto chart with baseline ticks."""
    from qoswb.pareto import draw_pareto, pareto_table

    figure = _figure((7, 3.6))
    rows = table.set_index(by)
    draw_pareto(pareto_table(rows["count"], top=10, baseline=rows["expected"]), figure.subplots(),
                title=title, label="cases")
    figure.set_layout_engine("tight")
    return svg_bytes(figure)
