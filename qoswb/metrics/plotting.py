"""Drawing one KPI series from the tidy frame of :func:`qoswb.metrics.charts` (matplotlib, loaded on use).

Incomplete periods are drawn hollow, signals coloured by improvement (blue) or
deterioration (orange) as in NHS Making Data Count.

>>> ax = plot_series(result.series("csat", team="Billing"))   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from qoswb.escape import PLAIN


def plot_series(rows, title: str = "", ax=None, legend: bool = True):
    """Points and line, centre and stepped limits, signals coloured; returns the Axes.

    ``legend=False`` leaves out the "incomplete period" key (small multiples whose
    caption says what hollow points are).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    rows = rows.sort_values("period")
    ax.plot(rows["period"], rows["y"], color="0.35", lw=1, zorder=2)
    ax.step(rows["period"], rows["cl"], where="mid", color="0.2", lw=1)
    for limit in ("lcl", "ucl"):
        ax.step(rows["period"], rows[limit], where="mid", color="0.45", lw=1, ls="--")
    complete = rows["complete"].astype(bool).to_numpy()
    signal = rows["signal"].astype(bool).to_numpy()
    polarity = int(rows["polarity"].iloc[0]) if "polarity" in rows else 0
    good = np.sign(rows["y"] - rows["cl"]).to_numpy() * polarity > 0
    colours = np.where(signal & good, "tab:blue", np.where(signal & (polarity != 0), "tab:orange",
                                                           np.where(signal, "tab:purple", "0.35")))
    ax.scatter(rows["period"][complete], rows["y"][complete], c=colours[complete], s=18, zorder=3)
    ax.scatter(rows["period"][~complete], rows["y"][~complete], facecolors="none", edgecolors="0.35", s=18,
               zorder=3, label="incomplete period")
    ax.set_title(title, fontsize=10, **PLAIN)  # data text: a "$" is a dollar sign
    if legend and (~complete).any():
        ax.legend(fontsize=8, frameon=False)
    return ax
