"""Figures as SVG, for the reports and the apps alike.

SVG is sharp at whatever size and pixel density it is shown (a PNG is as
sharp as its pixels), smaller than a PNG sharp enough for a high-density
screen, and quicker to write: no rasterising, no compression of millions of
pixels. Text stays text (``svg.fonttype: none``), escaped as XML by matplotlib:
writing every glyph as a path took a fifth of a report page's drawing time.
Its font is the one the layout measured (DejaVu Sans), then metric look-alikes
(Verdana, Arial...) where a browser lacks it; the figures are shown as images
(``<img>``, ``ipywidgets.Image``), where an SVG runs no script and loads
nothing. With no date stamp and a fixed hash salt, the same figure gives the
same bytes.

>>> from matplotlib.figure import Figure
>>> svg = svg_bytes(Figure(figsize=(2, 1)))
>>> svg.startswith(b"<?xml") and b"<svg" in svg, svg == svg_bytes(Figure(figsize=(2, 1)))
(True, True)
"""

from __future__ import annotations

import io


def svg_bytes(figure, tight: bool = True, pad_inches: float = 0.05) -> bytes:
    """A matplotlib Figure as SVG bytes (text as escaped text, no date stamp: same figure, same bytes).

    ``tight`` crops the figure to what is drawn (a second layout pass: a last date label
    or a long rotated category is not cut off); a figure laid out with ``subplots_adjust``
    can do without it.
    """
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "qoswb"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None},
                       bbox_inches="tight" if tight else None, pad_inches=pad_inches)
    return buffer.getvalue()
