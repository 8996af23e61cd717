"""Figures as SVG, for the reports and the apps alike.

SVG is sharp at whatever size and pixel density it is shown (a PNG is as
sharp as its pixels), smaller than a PNG sharp enough for a high-density
screen, and quicker to write: no rasterising, no compression of millions of
pixels. Text is drawn as paths, so a label is exactly as wide in the browser as
when the layout measured it (no font substitution), and no data text reaches
the page as text; with no date stamp and a fixed hash salt, the same figure
gives the same bytes.

>>> from matplotlib.figure import Figure
>>> svg = svg_bytes(Figure(figsize=(2, 1)))
>>> svg.startswith(b"<?xml") and b"<svg" in svg, svg == svg_bytes(Figure(figsize=(2, 1)))
(True, True)
"""

from __future__ import annotations

import io


def svg_bytes(figure, tight: bool = True, pad_inches: float = 0.05) -> bytes:
    """A matplotlib Figure as SVG bytes (text as paths, no date stamp: same figure, same bytes).

    ``tight`` crops the figure to what is drawn (a second layout pass: a last date label
    or a long rotated category is not cut off); a figure laid out with ``subplots_adjust``
    can do without it.
    """
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.fonttype": "path", "svg.hashsalt": "qoswb"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None},
                       bbox_inches="tight" if tight else None, pad_inches=pad_inches)
    return buffer.getvalue()
