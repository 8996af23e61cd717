"""Drawing a ``ControlChart``: one Axes (``plot``) or small multiples per group (``facet``).

Statistics are never recomputed here: everything drawn comes from
``ControlChart.frame``. matplotlib and seaborn are imported on first use.
Signals are coloured as NHS Making Data Count does: blue for improvement,
orange for concern (when ``polarity`` says which way is better), purple when
the direction is unknown.
"""

import numpy as np

from .. import palette
from ..errors import ParameterError
from ..escape import PLAIN

# Making Data Count's colours, defined once in qoswb.palette
IMPROVING, DETERIORATING, NEUTRAL = palette.IMPROVEMENT, palette.CONCERN, palette.NEITHER
LINE, LIMIT = palette.LINE, palette.LIMIT


def _x_values(x):
    """Numbers or dates matplotlib can place; other labels become positions."""
    import pandas as pd

    s = pd.Series(x)
    if s.dtype.kind in "iufM" or str(s.dtype).startswith("datetime64"):
        return s.to_numpy(), None
    return np.arange(len(s)), [str(v) for v in s]


def _signal_colours(f, polarity):
    if polarity is None:
        return np.full(len(f), NEUTRAL, dtype=object)
    better = f["direction"].to_numpy() * polarity
    return np.where(better > 0, IMPROVING, np.where(better < 0, DETERIORATING, NEUTRAL))


def plot_chart(cc, ax=None, group=None, title=None):
    """Draw ``cc`` (one group of it, if it has several) and return the matplotlib Axes.

    >>> from qoswb.spc import chart
    >>> ax = chart("i", [3.0, 4, 3, 5, 4, 3, 9]).plot()
    >>> ax.get_title()
    'Individuals (XmR) chart'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    f = cc.frame
    if "group" in f.columns:
        groups = f["group"].unique()
        if group is None and len(groups) > 1:
            raise ParameterError(f"this chart has {len(groups)} groups: pass group= "
                                 f"(one of {', '.join(map(str, groups[:5]))}, ...) or use .facet()")
        group = groups[0] if group is None else group
        f = f[f["group"] == group]
        if f.empty:
            raise ParameterError(f"group {group!r} is not in this chart")
    with sns.axes_style("whitegrid"):
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 3.6))
        _draw(ax, f.reset_index(drop=True), cc)
    label = cc.spec.title if group is None else f"{cc.spec.title}: {group}"
    ax.set_title(title if title is not None else label, **PLAIN)
    return ax


def _draw(ax, f, cc):
    xs, labels = _x_values(f["x"])
    value_cols = (["cusum_upper", "cusum_lower"] if cc.kind == "cusum" else ["y"])
    phase = f["phase"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, phase[1:] != phase[:-1]])
    ends = np.r_[starts[1:], len(f)]
    for s, e in zip(starts, ends):
        sl = slice(s, e)
        for col in value_cols:
            ax.plot(xs[sl], f[col].to_numpy(float)[sl], color=LINE, lw=1.2, marker="o", ms=3.5,
                    zorder=2)
        ax.step(xs[sl], f["cl"].to_numpy(float)[sl], where="mid", color="#2b2b2b", lw=1.3, zorder=1)
        for col in ("lcl", "ucl"):
            ax.step(xs[sl], f[col].to_numpy(float)[sl], where="mid", color=LIMIT, lw=1.0,
                    ls="--", zorder=1)
        if len(starts) > 1:
            ax.annotate(phase[s], (xs[s], 1.0), xycoords=("data", "axes fraction"),
                        va="bottom", fontsize=8, color="#555555", **PLAIN)
            if s > 0:
                ax.axvline(xs[s], color="#bbbbbb", lw=0.8)
    sig = f["signal"].to_numpy()
    if sig.any():
        colours = _signal_colours(f, cc.polarity)[sig]
        y = f[value_cols[0]].to_numpy(float)
        if cc.kind == "cusum":  # mark the sum that crossed its decision interval
            low = f["cusum_lower"].to_numpy(float)
            y = np.where(low < f["lcl"].to_numpy(float), low, y)
        ax.scatter(xs[sig], y[sig], c=list(colours), s=36, zorder=3, edgecolor="white", lw=0.6)
    if labels is not None:
        step = max(1, len(labels) // 12)
        ax.set_xticks(xs[::step], labels[::step], rotation=45, ha="right", **PLAIN)
    ax.set_xlabel("")
    ax.margins(x=0.02)


def facet_chart(cc, col_wrap=4, groups=None, height=2.4, aspect=1.8, sharey=False):
    """Small multiples, one panel per group; returns the matplotlib Figure.

    >>> import pandas as pd
    >>> from qoswb.spc import chart
    >>> df = pd.DataFrame({"team": list("aaaabbbb"), "v": [1.0, 2, 1, 2, 5, 6, 5, 7]})
    >>> len(chart("i", df, y="v", group="team").facet().axes)
    2
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    f = cc.frame
    if "group" not in f.columns:
        groups = [None]
    elif groups is None:
        groups = list(f["group"].unique())
    cols = max(1, min(col_wrap, len(groups)))
    rows = int(np.ceil(len(groups) / cols))
    with sns.axes_style("whitegrid"):
        fig, axes = plt.subplots(rows, cols, figsize=(cols * height * aspect, rows * height),
                                 squeeze=False, sharey=sharey)
        for ax, g in zip(axes.ravel(), groups):
            plot_chart(cc, ax=ax, group=g, title=str(g) if g is not None else None)
        for ax in axes.ravel()[len(groups):]:
            fig.delaxes(ax)
    fig.suptitle(cc.spec.title, **PLAIN)
    fig.tight_layout()
    return fig
