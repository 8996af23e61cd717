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

import numpy as np
import pandas as pd

from qoswb.errors import DataError
from qoswb.pdca.model import CATEGORIES

ROOT_COLOUR = "#c0392b"  # root causes stand out in red
BONE_COLOUR = "#34495e"


def _plain(text, width: int) -> str:
    """User text made safe for matplotlib ("$" would start mathtext) and wrapped."""
    text = " ".join(str(text).split()).replace("$", r"\$")
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
    max_causes : int
        Causes drawn per bone, most voted first (the rest are counted, "+2 more").

    Returns the Axes. Root causes are drawn bold and red, votes in brackets.

    >>> ax = fishbone([{"category": "people", "text": "Rota gaps"}], "Waits")  # doctest: +SKIP
    """
    frame = _causes_frame(causes)
    bones = list(categories) if categories is not None else list(CATEGORIES)
    bones += [c for c in dict.fromkeys(frame["category"]) if c not in bones]
    ax = _new_axes(ax, (13, 6.5))
    half = (len(bones) + 1) // 2
    length, bone_dx, bone_dy = 10.0, 1.6, 2.6
    ax.annotate("", xy=(length, 0), xytext=(0, 0),
                arrowprops={"arrowstyle": "-|>", "lw": 2.5, "color": BONE_COLOUR})
    ax.text(length + 0.2, 0, _plain(problem or "Problem", 22), va="center", ha="left",
            fontsize=11, fontweight="bold",
            bbox={"boxstyle": "round", "fc": "#fdebd0", "ec": BONE_COLOUR})
    spacing = (length - 1.5) / max(half, 1)
    for i, bone in enumerate(bones):
        side = 1 if i % 2 == 0 else -1
        x_end = 1.0 + spacing * (i // 2 + 0.8)
        x_start, y_start = x_end - bone_dx, side * bone_dy
        ax.plot([x_start, x_end], [y_start, 0], color=BONE_COLOUR, lw=1.8)
        ax.text(x_start, y_start + side * 0.25, _plain(bone, 18).upper(), ha="center",
                va="bottom" if side > 0 else "top", fontsize=9.5, fontweight="bold",
                color=BONE_COLOUR)
        mine = frame[frame["category"] == bone].sort_values("votes", ascending=False,
                                                            kind="stable")
        shown = mine.head(max_causes)
        for j, cause in enumerate(shown.itertuples()):
            t = (j + 0.5) / len(shown) * 0.85  # spread along the bone from its outer end
            x, y = x_start + t * bone_dx, y_start * (1 - t)
            ax.plot([x - 0.35, x], [y, y], color=BONE_COLOUR, lw=0.8)
            label = _plain(cause.text, 26) + (f" ({int(cause.votes)})" if cause.votes else "")
            ax.text(x - 0.4, y, label, ha="right", va="center", fontsize=7.5,
                    color=ROOT_COLOUR if cause.is_root else "black",
                    fontweight="bold" if cause.is_root else "normal")
        if len(mine) > len(shown):
            ax.text(x_end - 0.1, side * 0.2, f"+{len(mine) - len(shown)} more", fontsize=7,
                    ha="right", va="center", style="italic")
    ax.set_xlim(-1.5, length + 3.2)
    ax.set_ylim(-bone_dy - 0.6, bone_dy + 0.6)
    ax.set_axis_off()
    return ax


def pareto(counts, *, baseline=None, ax=None, top: int = 10, title: str = "",
           label: str = "cases"):
    """Draw a Pareto chart: bars largest first and the cumulative share as a line.

    Parameters
    ----------
    counts : Series, dict or DataFrame
        Counts by category (a Series or dict), or a frame whose first column is the
        category and second the count.
    baseline : Series or dict, optional
        What each category would count if it kept its baseline share (drawn as a
        black tick on its bar), to see what grew.
    top : int
        Categories shown; the rest are summed into "other".
    title, label : str
        Axes title and the count axis label.

    Returns the Axes (the cumulative line is on ``ax.right_ax``).

    >>> ax = pareto(pd.Series({"billing": 40, "login": 25}))   # doctest: +SKIP
    """
    if isinstance(counts, dict):
        counts = pd.Series(counts, dtype=float)
    elif isinstance(counts, pd.DataFrame):
        if counts.shape[1] < 2:
            raise DataError("pareto: a frame needs a category column and a count column")
        counts = counts.set_index(counts.columns[0])[counts.columns[1]]
    counts = pd.to_numeric(pd.Series(counts), errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = counts.index[(counts.isna() | (counts < 0)).to_numpy()][0]
        raise DataError(f"pareto: the count for {bad!r} is not a count")
    counts = counts.sort_values(ascending=False, kind="stable")
    expected = None if baseline is None else pd.Series(baseline, dtype=float).reindex(
        counts.index).fillna(0.0)
    if len(counts) > top:
        counts = pd.concat([counts.iloc[:top], pd.Series({"other": counts.iloc[top:].sum()})])
        if expected is not None:
            expected = pd.concat([expected.iloc[:top],
                                  pd.Series({"other": expected.iloc[top:].sum()})])
    ax = _new_axes(ax, (8, 4.5))
    positions = np.arange(len(counts))
    ax.bar(positions, counts.to_numpy(), color="#5d8aa8")
    if expected is not None:
        ax.scatter(positions, expected.to_numpy(), marker="_", s=600, color="black", zorder=3,
                   label="at baseline share")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xticks(positions, [_plain(name, 14) for name in counts.index], rotation=30,
                  ha="right", fontsize=8)
    ax.set_ylabel(_plain(label, 30))
    total = counts.sum()
    right = ax.twinx()
    if total > 0:
        right.plot(positions, counts.cumsum().to_numpy() / total * 100, color=ROOT_COLOUR,
                   marker="o")
    right.axhline(80, color="grey", ls=":", lw=1)
    right.set_ylim(0, 105)
    right.set_ylabel("cumulative %")
    if title:
        ax.set_title(_plain(title, 60))
    ax.right_ax = right
    return ax
