"""The manager's overview: teams x KPIs with variation and assurance (NHS "Making Data Count" summary).

Variation (from the latest ``recent`` complete points of each chart and the KPI's polarity):

* "common cause" — none of them is a signal;
* "special cause improving" / "special cause deteriorating" — a signal among
  them, pointing the good / bad way (for volume, polarity 0: "special cause
  higher" / "special cause lower"); ``direction`` says which way the signal
  points: "higher" or "lower" (a point's side of the centre line, or the way a
  trend goes; when its rules disagree, improvement wins, as in Making Data Count).

Assurance (only where a target is given), from where the target lies against
the process limits at the latest complete point, as Making Data Count defines it
(NHS England / NHS Improvement, "Making Data Count: Getting started", 2019):

* "consistently met" — the target is beyond the limit on the bad side (e.g.
  target 90% below a lower limit of 92% when higher is better): the process
  will pass without change;
* "consistently missed" — the target is beyond the limit on the good side:
  the process will fail without change;
* "hit and miss" — the target lies between the limits: it will pass or fail at random.

>>> m = matrix(result, targets={"sla_response": 0.9})              # doctest: +SKIP
>>> matrix_style(m)                                                # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qoswb import escape
from qoswb.errors import DataError, ParameterError
from qoswb.escape import PLAIN
from qoswb.metrics.registry import kpi_label
from qoswb.palette import tint
from qoswb.verdicts import Assurance, Variation, colour_of


def _targets(targets, rows: pd.DataFrame, by: list[str]) -> pd.Series:
    if targets is None:
        return pd.Series(np.nan, index=rows.index)
    if isinstance(targets, dict):
        return rows["kpi"].map(targets).astype("Float64").astype(float)
    if isinstance(targets, pd.DataFrame) and {"kpi", "target"} <= set(targets.columns):
        keys = ["kpi", *[c for c in by if c in targets.columns]]
        merged = rows[keys].merge(targets[[*keys, "target"]], on=keys, how="left", validate="many_to_one")
        return pd.Series(merged["target"].to_numpy(dtype=float), index=rows.index)
    raise ParameterError("targets= must be {kpi: target} or a table with 'kpi', 'target' (and group columns)")


def matrix(charts, targets=None, *, recent: int = 1) -> pd.DataFrame:
    """One row per group x KPI: latest value and limits, ``variation``, ``assurance``, ``target``.

    ``variation`` is a :class:`qoswb.verdicts.Variation`, ``assurance`` an
    :class:`qoswb.verdicts.Assurance` (``NO_TARGET`` where no target is given).

    Rows come group by group (sorted), the KPIs of each in the order of the charts.

    ``charts``: the result of :func:`qoswb.metrics.charts`; ``targets``:
    ``{kpi: target}`` or a table with ``kpi``, ``target`` and optionally group
    columns; ``recent``: how many of the latest complete points to read for
    variation (Making Data Count reads the latest one).

    >>> matrix(result, {"sla_response": 0.8})[["team", "kpi", "variation", "assurance"]]  # doctest: +SKIP
    """
    frame, by = getattr(charts, "frame", None), getattr(charts, "by", None)
    if frame is None or by is None:
        raise DataError("matrix() takes the result of qoswb.metrics.charts()")
    if recent < 1:
        raise ParameterError(f"recent={recent} must be at least 1")
    from qoswb.metrics.charting import free_names

    # groups under private names, the chart's columns under their own (a group may be called y, cl, ...)
    groups = {name: f"_group{i}" for i, name in enumerate(by)}
    own = {charts.column(c): c for c in ("y", "cl", "lcl", "ucl", "signal", "rules", "direction")
           if charts.column(c) in frame}
    frame = frame.rename(columns={**groups, **own})
    names, by = by, list(groups.values())
    # groups in sorted order; KPIs in the charts' own order (the KPI table's: registry or as asked)
    kpi_order = pd.Index(pd.unique(frame["kpi"]))
    done = frame[frame["complete"].astype(bool) & frame["y"].notna()]
    done = done.assign(_kpi=kpi_order.get_indexer(done["kpi"])).sort_values([*by, "_kpi", "period"], kind="stable")
    keys = [*by, "kpi"]
    tail = done.groupby(keys, observed=True, sort=False).tail(recent)
    latest = tail.groupby(keys, observed=True, sort=False).tail(1).set_index(keys)
    signalled = tail[tail["signal"].astype(bool)].groupby(keys, observed=True, sort=False).tail(1).set_index(keys)
    out = latest[["chart", "period", "y", "cl", "lcl", "ucl", "polarity"]].rename(
        columns={"period": "latest_period", "y": "latest_value"})
    # the way the signal points: its rules' (a trend the way it goes), else its side of the centre
    way = signalled["direction"] if "direction" in signalled else np.sign(signalled["y"] - signalled["cl"])
    side = way.astype(float).reindex(out.index)
    out["variation"] = Variation.of(side.fillna(0), out["polarity"], side.notna())
    out["direction"] = np.select([side.gt(0), side.lt(0)], ["higher", "lower"], default="")
    out["signal_rules"] = signalled["rules"].reindex(out.index).fillna("")
    keys_named = out.index.to_frame(index=False).rename(columns=dict(zip(by, names)))
    out["target"] = _targets(targets, keys_named, names).to_numpy()
    out["assurance"] = Assurance.of(out["target"], out["lcl"], out["ucl"], out["polarity"])
    out = out.rename(columns=free_names(out.columns, names)).reset_index()
    return out.rename(columns=dict(zip(by, names)))


def _background(colour) -> str:
    # the variation on one line, the assurance under it: narrow columns that never break a verdict
    colour = f"background-color: {tint(colour, 0.6)}; " if isinstance(colour, str) and colour else ""
    return colour + "white-space: pre"


def matrix_style(m: pd.DataFrame):
    """A pandas Styler: groups as rows, KPIs as columns, cells "variation" over "assurance" (where a
    target is set) coloured as in MDC.

    Blue is improvement, orange concern, grey common cause (Making Data Count colours); a target
    consistently missed is painted as a concern too (:func:`qoswb.verdicts.colour_of`).
    """
    by = list(m.columns[: list(m.columns).index("kpi")])
    text = [v.short if a is Assurance.NO_TARGET else f"{v.short}\n{a}"
            for v, a in zip(m["variation"], m["assurance"])]
    m = m.assign(kpi=m["kpi"].map(kpi_label))  # people read the KPIs' names, not their codes
    wide = m.assign(cell=text).pivot_table(index=by, columns="kpi", values="cell", aggfunc="first", sort=False)
    m = m.assign(_colour=[colour_of(v, a) for v, a in zip(m["variation"], m["assurance"])])
    colours = m.pivot_table(index=by, columns="kpi", values="_colour", aggfunc="first", sort=False)
    colours = colours.map(_background).reindex(index=wide.index, columns=wide.columns).fillna("")
    # a team whose data gives no chart of a KPI (a team with 1 case): said, never a literal "nan"
    wide = wide.fillna(Variation.TOO_FEW_POINTS.label)
    wide.columns.name = None
    # team names and KPI names are data text: escaped in the cells' index and header
    return escape.table(wide, index=True).apply(lambda _: colours, axis=None).set_caption(
        "Variation, and under it assurance where a target is set (latest complete period)")


def matrix_plot(m: pd.DataFrame, ax=None):
    """The matrix as a figure: coloured tiles, V (variation) and A (assurance) letters. Returns the Axes."""
    import matplotlib.pyplot as plt

    by = list(m.columns[: list(m.columns).index("kpi")])
    labels = m[by].astype(str).agg(" / ".join, axis=1)
    m = m.assign(kpi=m["kpi"].map(kpi_label))
    rows, cols = list(dict.fromkeys(labels)), list(dict.fromkeys(m["kpi"]))
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(cols) + 2.5, 0.45 * len(rows) + 1.5))
    arrow = {"higher": "▲", "lower": "▼", "": "~"}
    verdict = {Variation.IMPROVING: " good", Variation.DETERIORATING: " bad"}
    mark = {Assurance.PASS: "P", Assurance.FAIL: "F", Assurance.HIT_AND_MISS: "?"}
    for label, (_, row) in zip(labels, m.iterrows()):
        i, j = rows.index(label), cols.index(row["kpi"])
        colour = colour_of(row["variation"], row["assurance"])
        colour = tint(colour, 0.6) if colour else "white"
        ax.add_patch(plt.Rectangle((j, i), 0.95, 0.9, color=colour))
        label = arrow[row["direction"]] + verdict.get(row["variation"], "")
        ax.text(j + 0.47, i + 0.45, f"{label} {mark.get(row['assurance'], '')}",
                ha="center", va="center", fontsize=8)
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(np.arange(len(cols)) + 0.47, cols, rotation=45, ha="right", fontsize=8, **PLAIN)
    ax.set_yticks(np.arange(len(rows)) + 0.45, rows, fontsize=8, **PLAIN)
    ax.set_title("Variation (▲▼ special cause, ~ common) · assurance (P met, F missed, ? hit and miss)", fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax
