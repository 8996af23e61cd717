"""Drawing control charts: one function, :func:`draw_chart`, that every chart in qoswb goes through.

``ControlChart.plot`` and ``.facet``, the KPI charts (``KpiCharts.plot``), the
report templates and the workshop's figures all draw with it, so a chart looks
the same wherever a reader meets it: points coloured by their verdict
(:mod:`qoswb.verdicts`, NHS Making Data Count's colours from :mod:`qoswb.palette`),
a key for the colours shown, the centre line and limits stepped per phase,
incomplete periods hollow, change dates marked, the y-axis in the KPI's unit
and concise date ticks that do not overlap.

Statistics are never recomputed here: everything drawn comes from the chart's
tidy frame. matplotlib and seaborn are imported on first use. Seaborn-style:
an Axes in (made when not given), the same Axes out.

>>> import pandas as pd
>>> frame = pd.DataFrame({"x": pd.date_range("2025-01-06", periods=4, freq="7D"), "y": [5.0, 6, 5, 9],
...                       "cl": 5.5, "lcl": 2.0, "ucl": 8.5, "signal": [False, False, False, True],
...                       "direction": [0, 0, 0, 1]})
>>> ax = draw_chart(frame, polarity=-1, unit="minutes")
>>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
('minutes', ['common cause', 'special cause deteriorating'])
"""

import numpy as np

from .. import palette
from ..errors import ParameterError
from ..escape import PLAIN

# Making Data Count's colours, defined once in qoswb.palette (names kept for callers)
IMPROVING, DETERIORATING, NEUTRAL = palette.IMPROVEMENT, palette.CONCERN, palette.NEITHER
LINE, LIMIT = palette.LINE, palette.LIMIT
INCOMPLETE = "incomplete period"  # the key's words for a hollow point
TARGET = "target"  # and for the target's line


def _x_values(x):
    """Numbers or dates matplotlib can place; other labels become positions (and their labels)."""
    import pandas as pd

    s = pd.Series(x).reset_index(drop=True)
    if s.dtype.kind in "iufM" or isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.to_numpy(), None
    return np.arange(len(s)), [str(v) for v in s]


def _verdicts(f, polarity):
    """Each point's verdict: a signal's direction (the chart's, else its side of the centre) read
    through the KPI's polarity; no signal, common cause."""
    from ..verdicts import Variation

    if "direction" in f:
        direction = f["direction"].to_numpy(float)
    else:
        direction = np.sign(f["y"].to_numpy(float) - f["cl"].to_numpy(float))
    return Variation.of(direction, polarity or 0, f["signal"].to_numpy(bool))


def format_axes(ax, unit: str = "", dates: bool = True) -> None:
    """Concise date ticks that do not overlap, and the y-axis in the KPI's unit (proportions in %).

    ``unit``: the KPI registry's unit ("proportion", "minutes", "interactions" ...).

    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> _, ax = plt.subplots()
    >>> _ = ax.plot(pd.date_range("2024-01-01", periods=80, freq="7D"), range(80))
    >>> format_axes(ax, "minutes"); ax.get_ylabel()
    'minutes'
    """
    import matplotlib.dates as mdates

    if dates:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if unit == "proportion":
        percent_axis(ax.yaxis)
    elif unit:
        ax.set_ylabel(unit_words(unit), fontsize=8, **PLAIN)


def percent_axis(axis) -> None:
    """Proportions shown in %, ticked at whole steps (1, 2, 5 or 10 points), so no tick is rounded:
    a tick at 0.875 would read "88%".

    >>> import matplotlib.pyplot as plt
    >>> _, ax = plt.subplots(); _ = ax.plot([0, 1], [0.75, 0.9]); percent_axis(ax.yaxis)  # not 88% for 0.875
    >>> ax.figure.canvas.draw(); [t.get_text() for t in ax.get_yticklabels()][1:4]
    ['75%', '80%', '85%']
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{round(100 * x, 6):g}%"))  # 80%, 2.5%: no ".0"


def unit_words(unit: str) -> str:
    """A KPI unit as an axis reads it: interactions are "cases", a proportion a "%".

    >>> unit_words("interactions"), unit_words("proportion"), unit_words("minutes")
    ('cases', '%', 'minutes')
    """
    return {"interactions": "cases", "proportion": "%"}.get(unit, unit)


def draw_chart(data, ax=None, *, x=None, polarity=None, unit: str = "", title=None, changes=(),
               target=None, legend: bool = True):
    """Draw one control chart from its tidy frame on ``ax`` (made if not given); returns the Axes.

    ``data``: one series, one row per point: ``x`` (or ``period``), ``y``,
    ``cl``, ``lcl``, ``ucl``, ``signal``; optional ``direction`` (which way a
    signal points), ``phase`` (limits stepped per phase, phases named),
    ``complete`` (False: drawn hollow), ``polarity`` (when not given),
    ``cusum_upper``/``cusum_lower`` (both sums drawn).
    ``polarity``: +1 higher is better, -1 lower is better, 0/None neither.
    ``unit``: the KPI's unit on the y-axis ("proportion" in %).
    ``title``: data text, drawn as typed. ``changes``: (date, label) pairs
    marked by a dotted line. ``target``: the KPI's target, a red line (in the
    key). ``legend=False`` leaves the key out (small multiples share one:
    :func:`figure_legend`).

    >>> import pandas as pd
    >>> ax = draw_chart(pd.DataFrame({"x": [1, 2, 3], "y": [1.0, 2, 1], "cl": 1.3, "lcl": 0.0,
    ...                                "ucl": 3.0, "signal": False}), title="Calls")
    >>> ax.get_title()
    'Calls'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.4))
    x = x or ("x" if "x" in data else "period")
    missing = [c for c in (x, "y", "cl", "lcl", "ucl", "signal") if c not in data]
    if missing:
        raise ParameterError(f"draw_chart: the frame has no column {', '.join(map(repr, missing))}")
    f = data.reset_index(drop=True)
    if polarity is None and "polarity" in f and len(f):
        polarity = int(f["polarity"].iloc[0])
    xs, labels = _x_values(f[x])
    _lines(ax, f, xs)
    _points(ax, f, xs, polarity)
    _changes(ax, changes)
    if target is not None and np.isfinite(target):
        ax.axhline(target, color=palette.TARGET, lw=1, zorder=1, label=TARGET)
        _room_for(ax, target)
    if labels is not None:
        step = max(1, len(labels) // 12)
        ax.set_xticks(xs[::step], labels[::step], rotation=45, ha="right", **PLAIN)
    format_axes(ax, unit, dates=labels is None and np.issubdtype(np.asarray(xs).dtype, np.datetime64))
    ax.set_xlabel("")
    ax.margins(x=0.02)
    if title is not None:
        ax.set_title(title, fontsize=10, **PLAIN)  # data text: a "$" is a dollar sign
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, frameon=False, loc="best")
    return ax


def _room_for(ax, y: float, share: float = 0.08) -> None:
    """Keep the line at ``y`` ``share`` of the axes' height inside them: a target beyond the data
    would otherwise sit on the frame, where it reads as the frame."""
    low, high = ax.get_ylim()
    pad = share * (high - low)
    if y > high - pad:
        ax.set_ylim(low, y + pad)
    elif y < low + pad:
        ax.set_ylim(y - pad, high)


def _values(f):
    return ["cusum_upper", "cusum_lower"] if "cusum_upper" in f else ["y"]


def _lines(ax, f, xs) -> None:
    """The values joined, and the centre line and limits stepped within each phase (named when several)."""
    phase = f["phase"].astype(str).to_numpy() if "phase" in f else np.zeros(len(f), dtype=str)
    starts = np.flatnonzero(np.r_[True, phase[1:] != phase[:-1]]) if len(f) else np.array([], int)
    ends = np.r_[starts[1:], len(f)]
    for s, e in zip(starts, ends):
        sl = slice(s, e)
        for col in _values(f):
            ax.plot(xs[sl], f[col].to_numpy(float)[sl], color=LINE, lw=1, zorder=2)
        ax.step(xs[sl], f["cl"].to_numpy(float)[sl], where="mid", color="#2b2b2b", lw=1.2, zorder=1)
        for col in ("lcl", "ucl"):
            ax.step(xs[sl], f[col].to_numpy(float)[sl], where="mid", color=LIMIT, lw=1.0, ls="--", zorder=1)
        if len(starts) > 1:
            ax.annotate(phase[s], (xs[s], 1.0), xycoords=("data", "axes fraction"), va="bottom",
                        fontsize=8, color="#555555", **PLAIN)
            if s > 0:
                ax.axvline(xs[s], color="#bbbbbb", lw=0.8)


def _points(ax, f, xs, polarity) -> None:
    """Each complete point in its verdict's colour (one key entry per colour), incomplete ones hollow.

    Points are markers on lines without a line (``ax.lines``), not scatter collections: the same
    look at a fraction of the cost to build and to write as SVG (a report page has seven charts).
    """
    complete = f["complete"].astype(bool).to_numpy() if "complete" in f else np.ones(len(f), bool)
    verdicts = _verdicts(f, polarity)
    cols = _values(f)
    y = f[cols[0]].to_numpy(float)
    if len(cols) > 1:  # CUSUM: a signal marks the sum that crossed its decision interval
        low = f["cusum_lower"].to_numpy(float)
        y = np.where(low < f["lcl"].to_numpy(float), low, y)
        _markers(ax, xs, low, LINE, size=3)
    for verdict in sorted(dict.fromkeys(verdicts[complete])):
        at = complete & (verdicts == verdict)
        _markers(ax, xs[at], y[at], verdict.colour, size=4.2 if verdict.is_special else 3.5, label=verdict.label,
                 edge="white" if verdict.is_special else None)
    if (~complete).any():
        _markers(ax, xs[~complete], y[~complete], "none", size=4.2, label=INCOMPLETE, edge=LINE)


def _markers(ax, x, y, colour, size: float, label=None, edge=None):
    """Round markers of ``size`` points across, filled with ``colour`` ("none": hollow), no line."""
    ax.plot(x, y, ls="none", marker="o", ms=size, color=edge if colour == "none" else colour, mfc=colour,
            mec=edge or colour, mew=0.9 if colour == "none" else (0.4 if edge else 0), zorder=3,
            label=label or "_nolegend_")


def _changes(ax, changes) -> None:
    """A dotted line at each change date, its label (data text) along it."""
    import pandas as pd

    for when, label in changes:
        at = pd.Timestamp(when)
        ax.axvline(at, color=palette.CHANGE, lw=1.2, ls=":", zorder=1)
        ax.annotate(label, (at, 1), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right",
                    fontsize=7, color=palette.CHANGE, **PLAIN)


def figure_legend(fig, ncol: int = 5, y: float = 1.0) -> None:
    """One key above small multiples: each point colour (and hollow point) any of its axes shows,
    in the verdicts' order."""
    from ..verdicts import Variation

    seen = {}
    for ax in fig.axes:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(text, handle)
    order = [v.label for v in Variation] + [TARGET, INCOMPLETE]  # the verdicts in their order, hollow last
    seen = dict(sorted(seen.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    if seen:
        fig.legend(seen.values(), seen.keys(), loc="upper center", ncol=min(ncol, len(seen)), fontsize=8,
                   frameon=False, bbox_to_anchor=(0.5, y))


def _one_group(cc, group):
    f = cc.frame
    if "group" not in f.columns:
        return f, None
    groups = f["group"].unique()
    if group is None and len(groups) > 1:
        raise ParameterError(f"this chart has {len(groups)} groups: pass group= "
                             f"(one of {', '.join(map(str, groups[:5]))}, ...) or use .facet()")
    group = groups[0] if group is None else group
    f = f[f["group"] == group]
    if f.empty:
        raise ParameterError(f"group {group!r} is not in this chart")
    return f, group


def _unit(cc, unit):
    """A p chart's values are proportions: shown in % unless told otherwise."""
    return unit if unit is not None else ("proportion" if cc.spec.statistic == "proportion" else "")


def plot_chart(cc, ax=None, group=None, title=None, unit=None, changes=(), legend=True):
    """Draw ``cc`` (one group of it, if it has several) with :func:`draw_chart`; returns the Axes.

    >>> from qoswb.spc import chart
    >>> ax = chart("i", [3.0, 4, 3, 5, 4, 3, 9]).plot()
    >>> ax.get_title()
    'Individuals (XmR) chart'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    f, group = _one_group(cc, group)
    label = cc.spec.title if group is None else f"{cc.spec.title}: {group}"
    with sns.axes_style("whitegrid"):
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 3.6))
        return draw_chart(f, ax, polarity=cc.polarity, unit=_unit(cc, unit),
                          title=title if title is not None else label, changes=changes, legend=legend)


def facet_chart(cc, col_wrap=4, groups=None, height=2.4, aspect=1.8, sharey=False, unit=None):
    """Small multiples, one panel per group, one key for their colours; returns the matplotlib Figure.

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
        fig, axes = plt.subplots(rows, cols, figsize=(cols * height * aspect, rows * height + 0.5),
                                 squeeze=False, sharey=sharey)
        for ax, g in zip(axes.ravel(), groups):
            plot_chart(cc, ax=ax, group=g, title=str(g) if g is not None else None, unit=unit, legend=False)
        for ax in axes.ravel()[len(groups):]:
            fig.delaxes(ax)
    inches = fig.get_figheight()  # the title, then the key under it: half an inch above the panels
    fig.suptitle(cc.spec.title, y=1 - 0.03 / inches, va="top", **PLAIN)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / inches))
    figure_legend(fig, y=1 - 0.27 / inches)
    return fig
