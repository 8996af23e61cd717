"""Drawing one KPI series from the tidy frame of :func:`qoswb.metrics.charts` (matplotlib, loaded on use).

Incomplete periods are drawn hollow, signals coloured by improvement (blue) or
deterioration (orange) as in NHS Making Data Count.

>>> ax = plot_series(result.series("csat", team="Billing"))   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from qoswb.escape import PLAIN


def kpi_label(kpi: str) -> str:
    """The KPI's name as a reader says it, from the KPI registry (unknown names: made readable).

    >>> kpi_label("first_response_median"), kpi_label("wait_days")
    ('First response median', 'Wait days')
    """
    from qoswb.metrics import registry

    known = registry.REGISTRY.get(kpi)  # the label is defined once, in the KPI registry
    return known.label if known else kpi.replace("_", " ").capitalize()


def format_axes(ax, unit: str = "") -> None:
    """Concise date ticks that do not overlap, and the y-axis in the KPI's unit (proportions in %).

    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> _, ax = plt.subplots()
    >>> _ = ax.plot(pd.date_range("2024-01-01", periods=80, freq="7D"), range(80))
    >>> format_axes(ax, "minutes"); ax.get_ylabel()
    'minutes'
    """
    import matplotlib.dates as mdates
    from matplotlib.ticker import PercentFormatter

    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if unit == "proportion":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif unit:
        ax.set_ylabel("cases" if unit == "interactions" else unit, fontsize=8)


def plot_series(rows, title: str = "", ax=None, legend: bool = True, unit: str = ""):
    """Points and line, centre and stepped limits, signals coloured; returns the Axes.

    Signals are coloured by their verdict (:mod:`qoswb.verdicts`, Making Data
    Count's colours), with a key of the colours shown; ``legend=False`` leaves
    the key out (small multiples whose caption says what the colours mean).
    ``unit``: the KPI's unit (the registry's), on the y-axis.
    """
    import matplotlib.pyplot as plt

    from qoswb import palette
    from qoswb.verdicts import Variation

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    rows = rows.sort_values("period")
    ax.plot(rows["period"], rows["y"], color=palette.LINE, lw=1, zorder=2)
    ax.step(rows["period"], rows["cl"], where="mid", color=palette.LINE, lw=1)
    for limit in ("lcl", "ucl"):
        ax.step(rows["period"], rows[limit], where="mid", color=palette.LIMIT, lw=1, ls="--")
    complete = rows["complete"].astype(bool).to_numpy()
    signal = rows["signal"].astype(bool).to_numpy()
    polarity = int(rows["polarity"].iloc[0]) if "polarity" in rows else 0
    side = np.sign(rows["y"] - rows["cl"]).to_numpy()
    verdicts = Variation.of(side, polarity, signal)
    for verdict in dict.fromkeys(verdicts[complete]):
        at = complete & (verdicts == verdict)
        ax.scatter(rows["period"][at], rows["y"][at], color=verdict.colour, s=18, zorder=3,
                   label=verdict.label if verdict.is_special else "common cause")
    if (~complete).any():
        ax.scatter(rows["period"][~complete], rows["y"][~complete], facecolors="none", edgecolors=palette.LINE,
                   s=18, zorder=3, label="incomplete period")
    ax.set_title(title, fontsize=10, **PLAIN)  # data text: a "$" is a dollar sign
    format_axes(ax, unit)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="best")
    return ax


def figure_legend(fig, ncol: int = 5) -> None:
    """One key above small multiples: each point colour (and hollow point) any of its axes shows."""
    seen = {}
    for ax in fig.axes:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(text, handle)
    if seen:
        fig.legend(seen.values(), seen.keys(), loc="upper center", ncol=min(ncol, len(seen)), fontsize=8,
                   frameon=False, bbox_to_anchor=(0.5, 1.0))
