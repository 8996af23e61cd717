"""The two figures of the Plan step: an Ishikawa (fishbone) diagram and a Pareto chart.

Both take plain data (a cycle's causes; counts by category) and draw on a
matplotlib Axes the caller may pass; matplotlib is imported inside the
functions, so ``import qoswb.pdca`` stays light.

>>> causes = [{"category": "people", "text": "Lunch breaks overlap", "votes": 3, "is_root": True},
...           {"category": "process", "text": "Unclear triage", "votes": 1, "is_root": False}]
>>> ax = fishbone(causes, problem="Slow first response")       # doctest: +SKIP
>>> ax = pareto({"billing": 40, "login": 25, "delivery": 10})    # doctest: +SKIP
"""

from __future__ import annotations

import textwrap

import pandas as pd

from qoswb.errors import DataError
from qoswb.escape import PLAIN
from qoswb.pdca.model import CATEGORIES

ROOT_COLOUR = "#c0392b"  # root causes stand out in red
BONE_COLOUR = "#34495e"


def _plain(text, width: int) -> str:
    """User text on one line per ``width`` characters (drawn as typed: PLAIN, no mathtext)."""
    text = " ".join(str(text).split())
    return "\n".join(textwrap.wrap(text, width)) or " "


def _causes_frame(causes) -> pd.DataFrame:
    frame = pd.DataFrame(list(causes) if not isinstance(causes, pd.DataFrame) else causes)
    if frame.empty:
        return pd.DataFrame({"category": [], "text": [], "votes": [], "is_root": []})
    missing = {"category", "text"} - set(frame.columns)
    if missing:
        raise DataError(f"fishbone: each cause needs {', '.join(sorted(missing))}")
    if "votes" not in frame:
        frame["votes"] = 0
    if "is_root" not in frame:
        frame["is_root"] = False
    return frame


def _new_axes(ax, size):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


# Label sizes tried in turn, largest first, until a label clears every bone and
# every label already placed (see _fit): (font size, characters per line).
LABEL_FITS = [(size, width) for size in (7.5, 6.5, 5.5) for width in (26, 20, 15, 11)]
BONE_FITS = [(size, width) for size in (9.5, 8, 6.5) for width in (18, 13, 9)]


def _renderer(figure):
    canvas = figure.canvas
    return canvas.get_renderer() if hasattr(canvas, "get_renderer") else figure._get_renderer()


def _fit(ax, renderer, obstacles, placed, x, y, text, fits, **style):
    """Place ``text`` at (x, y) at the first size in ``fits`` whose box (in data
    units) clears every segment in ``obstacles`` and every box in ``placed``, and
    lies inside the axes, shortened with an ellipsis if no size fits. Returns the
    Text and adds its box to ``placed``; None (nothing drawn) when even a few
    letters do not fit."""
    from matplotlib.path import Path

    inverse = ax.transData.inverted()
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    lines = [Path(segment) for segment in obstacles]

    def box_of(artist):
        return artist.get_window_extent(renderer).transformed(inverse)

    def clear(box):
        inside = x0 <= box.x0 and box.x1 <= x1 and y0 <= box.y0 and box.y1 <= y1
        return (inside and not any(line.intersects_bbox(box, filled=False) for line in lines)
                and not any(box.overlaps(other) for other in placed))

    artist = ax.text(x, y, " ", **style, **PLAIN)
    words = " ".join(str(text).split())
    candidates = [(size, _plain(words, width)) for size, width in fits]
    size, width = fits[-1]
    candidates += [(size, _plain(words[:n].rstrip() + "…", width))  # the last resort
                   for n in range(min(len(words), 2 * width) - 1, 0, -max(1, width // 3))]
    for size, wrapped in candidates:
        artist.set_text(wrapped)
        artist.set_fontsize(size)
        box = box_of(artist)
        if clear(box):
            placed.append(box)
            return artist
    artist.remove()
    return None


def fishbone(causes, problem: str = "", categories=None, *, ax=None, max_causes: int = 6):
    """Draw an Ishikawa diagram: the problem at the head, one bone per category.

    Parameters
    ----------
    causes : list of dicts or DataFrame
        With ``category`` and ``text``, optionally ``votes`` and ``is_root`` (as
        :meth:`qoswb.pdca.store.Store.get_cycle` gives them under ``"causes"``).
    problem : str
        The effect at the fish's head.
    categories : list of str, optional
        The bones, in order; default the service categories
        (:data:`qoswb.pdca.model.CATEGORIES`) plus any other category used.
    ax : matplotlib Axes, optional
        Size it before drawing: labels are measured to fit the space they get.
    max_causes : int
        Causes drawn per bone, most voted first (the rest are counted, "+2 more").

    Returns the Axes. Root causes are drawn bold and red, votes in brackets. Every
    label is measured as drawn and made smaller, wrapped narrower or shortened
    until it crosses no bone and no other label (bones have gid "bone", cause
    labels gid "cause").

    >>> ax = fishbone([{"category": "people", "text": "Rota gaps"}], "Waits")  # doctest: +SKIP
    """
    frame = _causes_frame(causes)
    bones = list(categories) if categories is not None else list(CATEGORIES)
    bones += [c for c in dict.fromkeys(frame["category"]) if c not in bones]
    ax = _new_axes(ax, (13, 6.5))
    half = (len(bones) + 1) // 2
    length, bone_dx, bone_dy = 10.0, 1.6, 2.6
    ax.set_xlim(-1.5, length + 3.2)
    ax.set_ylim(-bone_dy - 0.9, bone_dy + 0.9)
    ax.set_axis_off()
    renderer = _renderer(ax.figure)
    ax.annotate("", xy=(length, 0), xytext=(0, 0),
                arrowprops={"arrowstyle": "-|>", "lw": 2.5, "color": BONE_COLOUR})
    ax.text(length + 0.2, 0, _plain(problem or "Problem", 22), va="center", ha="left",
            fontsize=11, fontweight="bold",
            bbox={"boxstyle": "round", "fc": "#fdebd0", "ec": BONE_COLOUR}, **PLAIN)
    spacing = (length - 1.5) / max(half, 1)
    ends = [1.0 + spacing * (i // 2 + 0.8) for i in range(len(bones))]
    segments = [[(0.0, 0.0), (length, 0.0)]] + [
        [(x_end - bone_dx, (1 if i % 2 == 0 else -1) * bone_dy), (x_end, 0.0)]
        for i, x_end in enumerate(ends)]
    for segment in segments[1:]:
        ax.plot(*zip(*segment), color=BONE_COLOUR, lw=1.8, gid="bone")
    placed: list = []
    for i, (bone, x_end) in enumerate(zip(bones, ends)):
        side = 1 if i % 2 == 0 else -1
        x_start, y_start = x_end - bone_dx, side * bone_dy
        _fit(ax, renderer, segments, placed, x_start, y_start + side * 0.2, str(bone).upper(),
             BONE_FITS, ha="center", va="bottom" if side > 0 else "top", fontweight="bold",
             color=BONE_COLOUR, gid="category")
    for i, (bone, x_end) in enumerate(zip(bones, ends)):
        side = 1 if i % 2 == 0 else -1
        x_start, y_start = x_end - bone_dx, side * bone_dy
        mine = frame[frame["category"] == bone].sort_values("votes", ascending=False,
                                                            kind="stable")
        shown = mine.head(max_causes)
        drawn = 0
        for j, cause in enumerate(shown.itertuples()):
            t = (j + 0.5) / len(shown) * 0.85  # spread along the bone from its outer end
            x, y = x_start + t * bone_dx, y_start * (1 - t)
            label = str(cause.text) + (f" ({int(cause.votes)})" if cause.votes else "")
            if _fit(ax, renderer, segments, placed, x - 0.4, y, label, LABEL_FITS, ha="right",
                    va="center", color=ROOT_COLOUR if cause.is_root else "black",
                    fontweight="bold" if cause.is_root else "normal", gid="cause"):
                ax.plot([x - 0.35, x], [y, y], color=BONE_COLOUR, lw=0.8)
                drawn += 1
        if len(mine) > drawn:  # counted where they could not be drawn
            _fit(ax, renderer, segments, placed, x_end - 0.4, side * 0.22,
                 f"+{len(mine) - drawn} more", [(7, 20), (6, 20)], ha="right", va="center",
                 style="italic", gid="more")
    return ax


def pareto(counts, *, baseline=None, ax=None, top: int = 10, title: str = "",
           label: str = "cases"):
    """Draw a Pareto chart of ``counts`` by category: :func:`qoswb.pareto.pareto_table` drawn by
    :func:`qoswb.pareto.draw_pareto` (``baseline``: expected counts, drawn as ticks; ``top``
    categories named, the rest pooled). Returns the Axes (the cumulative line on ``ax.right_ax``).

    >>> ax = pareto(pd.Series({"billing": 40, "login": 25}))   # doctest: +SKIP
    """
    from qoswb.pareto import draw_pareto, pareto_table

    table = pareto_table(counts, top=top, baseline=baseline)
    return draw_pareto(table, _new_axes(ax, (8, 4.5)), title=title, label=label)
