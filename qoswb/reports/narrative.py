"""Plain-language readings of control charts, and what lies behind a KPI, for report templates.

Templates stay thin: they read the cached chart frame (see
:func:`qoswb.metrics.charts`: one row per point with ``period``, ``y``, ``cl``,
``lcl``, ``ucl``, ``signal``, ``rules``, ``complete``, ``polarity``) and ask
this module what to say::

    >>> import pandas as pd
    >>> weeks = pd.date_range("2025-01-06", periods=12, freq="7D")
    >>> rows = pd.DataFrame({"period": weeks, "y": [5, 4, 5, 6, 5, 4, 7, 7, 8, 7, 8, 7.0],
    ...     "cl": 5.0, "lcl": 2.0, "ucl": 8.5, "complete": True, "polarity": -1,
    ...     "signal": [False] * 9 + [True] * 3, "rules": [""] * 9 + ["we4"] * 3})
    >>> reading(rows, "first_response_median", unit="minutes", grain="week")
    'First response median rose from the week of 17 February: 6 weeks above the centre line (5.0 min) — special cause, deteriorating.'
"""

from __future__ import annotations

import math

import numpy as np

from qoswb.escape import PLAIN
from qoswb.verdicts import Assurance, Variation


def label(kpi: str) -> str:
    """The KPI's name as a reader says it.

    >>> label("fcr")
    'First-contact resolution'
    """
    from qoswb.metrics import registry

    known = registry.REGISTRY.get(kpi)  # the label is defined once, in the KPI registry
    return known.label if known else kpi.replace("_", " ").capitalize()


def fmt(value: float, unit: str = "") -> str:
    """A value as a reader wants it: proportions in %, minutes rounded, counts whole.

    >>> fmt(0.8734, "proportion"), fmt(95.26, "minutes"), fmt(1234.0, "interactions")
    ('87.3%', '95 min', '1,234')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "proportion":
        return f"{100 * value:.1f}%"
    if unit == "minutes":
        return f"{value:,.0f} min" if abs(value) >= 10 else f"{value:.1f} min"
    if float(value).is_integer():
        return f"{value:,.0f}"
    if unit == "interactions":  # counts are whole; their limits and centres are not
        return f"{value:,.1f}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _day(ts) -> str:
    return f"{ts.day} {ts.strftime('%B')}"


def _when(ts, grain: str) -> str:
    if grain == "week":
        return f"the week of {_day(ts)}"
    if grain == "quarter":
        return f"Q{ts.quarter} {ts.year}"
    if grain == "day":
        return _day(ts)
    return ts.strftime("%B %Y")


def _run_start(side: np.ndarray, end: int) -> int:
    """Index where the run of equal, non-zero ``side`` values ending at ``end`` starts."""
    start = end
    while start > 0 and side[start - 1] == side[end] and side[end] != 0:
        start -= 1
    return start


def _judgement(direction: float, polarity: int) -> str:
    if not polarity:
        return "special cause"
    return "special cause, improving" if direction * polarity > 0 else "special cause, deteriorating"


def reading(rows, kpi: str, unit: str = "", grain: str = "week", recent: int = 3) -> str:
    """One or two sentences on what one team's chart of one KPI says now.

    Reads the latest ``recent`` complete points: a sustained shift ("rose from
    the week of …: 9 weeks above the centre line"), a point beyond a limit, or
    common-cause variation only (with the limits, so the reader knows the
    range to expect).
    """
    rows = rows[rows["complete"].astype(bool) & rows["y"].notna()].sort_values("period")
    name = label(kpi)
    plural = {"week": "weeks", "month": "months", "quarter": "quarters", "day": "days"}.get(grain, "periods")
    if rows.empty:
        return f"{name}: no complete {plural} to read yet."
    y, cl = rows["y"].to_numpy(float), rows["cl"].to_numpy(float)
    signal = rows["signal"].astype(bool).to_numpy()
    polarity = int(rows["polarity"].iloc[-1]) if "polarity" in rows else 0
    last = len(rows) - 1
    recent_signals = np.flatnonzero(signal[max(0, last - recent + 1):]) + max(0, last - recent + 1)
    latest = rows.iloc[-1]
    if not len(recent_signals):
        return (f"{name} shows common-cause variation only: {fmt(latest['y'], unit)} in "
                f"{_when(latest['period'], grain)}, within the limits {fmt(latest['lcl'], unit)}"
                f" – {fmt(latest['ucl'], unit)} around a centre of {fmt(latest['cl'], unit)}.")
    at = int(recent_signals[-1])
    side = np.sign(np.round(y - cl, 12))
    start = _run_start(side, at)
    run = at - start + 1
    direction = side[at]
    verb = "rose" if direction > 0 else "fell"
    where = "above" if direction > 0 else "below"
    judgement = _judgement(direction, polarity)
    point = rows.iloc[at]
    beyond = (point["y"] > point["ucl"]) or (point["y"] < point["lcl"])
    if run >= 6:
        return (f"{name} {verb} from {_when(rows['period'].iloc[start], grain)}: {run} {plural} "
                f"{where} the centre line ({fmt(point['cl'], unit)}) — {judgement}.")
    if beyond:
        limit = "upper" if direction > 0 else "lower"
        bound = point["ucl"] if direction > 0 else point["lcl"]
        return (f"{name} {verb} to {fmt(point['y'], unit)} in {_when(point['period'], grain)}, beyond "
                f"the {limit} limit ({fmt(bound, unit)}) — {judgement}.")
    rules = point.get("rules", "") or "a run rule"
    return (f"{name}: an unusual pattern {where} the centre line in {_when(point['period'], grain)} "
            f"({rules}) — {judgement}.")


def worst(matrix_rows):
    """The KPI most in need of attention in a team's matrix rows (or None).

    Order: a deteriorating special cause first, then a target consistently
    missed, then hit and miss, then the latest value furthest on the bad side
    of its centre line (in sigmas). Volume (no better direction) is never worst.

    >>> import pandas as pd
    >>> from qoswb.verdicts import Assurance, Variation
    >>> m = pd.DataFrame({"kpi": ["fcr", "csat"], "variation": [Variation.COMMON_CAUSE,
    ...     Variation.DETERIORATING], "assurance": Assurance.NO_TARGET, "latest_value": [0.7, 0.6],
    ...     "cl": [0.7, 0.7], "ucl": [0.8, 0.8], "polarity": [1, 1]})
    >>> worst(m)
    'csat'
    """
    rows = matrix_rows[matrix_rows["polarity"] != 0]
    if rows.empty:
        return None
    sigma = (rows["ucl"] - rows["cl"]).abs() / 3
    badness = -(rows["latest_value"] - rows["cl"]) * rows["polarity"] / sigma.where(sigma > 0)
    rank = (rows["variation"].eq(Variation.DETERIORATING) * 4
            + rows["assurance"].eq(Assurance.FAIL) * 2 + rows["assurance"].eq(Assurance.HIT_AND_MISS) * 1)
    order = rows.assign(_rank=rank, _bad=badness.fillna(-np.inf)).sort_values(
        ["_rank", "_bad"], ascending=False)
    return str(order["kpi"].iloc[0])


_SURVEY_BAD = {"csat": ("csat", lambda s: s <= 3), "csat_mean": ("csat", lambda s: s <= 3),
               "nps": ("nps", lambda s: s <= 6), "ces_mean": ("ces", lambda s: s >= 5)}
SURVEY_KPIS = frozenset(_SURVEY_BAD)  # KPIs read from survey answers: their cases are answers


def _late(tickets, column):
    minutes = (tickets[column] - tickets["opened_at"]).dt.total_seconds() / 60
    return (minutes > tickets["sla_minutes"]) | tickets[column].isna()


def behind(kpi: str, tickets, answers=None, centre: float | None = None, period_end=None):
    """What lies behind ``kpi`` in one team's period: (what is counted, cases to count by category).

    The "bad" cases for each KPI — SLA missed, slower than the usual (``centre``)
    time, more than one contact, reopened, still open at the period end — or,
    for survey KPIs, the low-scoring answers (their comments are then grouped by
    theme). Returns ``(description, frame)``; the frame has a ``category``
    column (or ``comment`` for survey KPIs).
    """
    import pandas as pd

    if kpi in _SURVEY_BAD:
        column, bad = _SURVEY_BAD[kpi]
        if answers is None or column not in answers:
            return "low-scoring survey answers (no survey data)", answers.iloc[0:0] if answers is not None else None
        scores = answers[column].astype("Float64")
        low = answers[bad(scores).fillna(False).astype(bool)]
        return f"comments of low {column.upper()} answers", low
    if kpi in ("sla_response", "sla_resolution") and "sla_minutes" in tickets:
        column = "first_response_at" if kpi == "sla_response" else "resolved_at"
        return "cases that missed their SLA", tickets[_late(tickets, column)]
    if kpi.startswith("first_response") and centre is not None:
        minutes = (tickets["first_response_at"] - tickets["opened_at"]).dt.total_seconds() / 60
        return f"cases first answered after more than {fmt(centre, 'minutes')}", tickets[minutes > centre]
    if kpi.startswith("resolution") and centre is not None:
        minutes = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 60
        return f"cases resolved after more than {fmt(centre, 'minutes')}", tickets[minutes > centre]
    if kpi == "fcr" and "contacts" in tickets:
        return "cases needing more than one contact", tickets[tickets["contacts"].fillna(1) > 1]
    if kpi == "reopen_rate" and "reopened" in tickets:
        return "reopened cases", tickets[tickets["reopened"].fillna(False).astype(bool)]
    if kpi == "backlog" and period_end is not None:
        end = pd.Timestamp(period_end)
        resolved = tickets["resolved_at"]
        end = end.tz_localize(resolved.dt.tz) if resolved.dt.tz is not None else end
        return "cases still open at the end of the period", tickets[resolved.isna() | (resolved >= end)]
    return "cases opened", tickets


def pareto(values, top: int = 8):
    """Counts of ``values`` largest first, the rest pooled as "other", with cumulative shares.

    >>> pareto(["a", "b", "a", "c", "a", "b"], top=2)["label"].tolist()
    ['a', 'b', 'other']
    """
    import pandas as pd

    counts = pd.Series(values, dtype="string").fillna("(none)").value_counts()
    if len(counts) > top:
        counts = pd.concat([counts.iloc[:top], pd.Series({"other": counts.iloc[top:].sum()})])
    out = pd.DataFrame({"label": counts.index.astype(str), "count": counts.to_numpy()})
    total = out["count"].sum()
    out["share"] = out["count"] / total if total else 0.0
    out["cumulative_share"] = out["share"].cumsum()
    return out


def pareto_plot(table, title: str = "", ax=None):
    """Bars largest first and the cumulative share line (right axis); returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    # positions, not a categorical axis: its labels are data text, drawn as typed (PLAIN)
    positions = np.arange(len(table))
    ax.bar(positions, table["count"], color="#4b9cd3")
    ax.set_ylabel("cases")
    ax.set_xticks(positions, table["label"].astype(str), rotation=30, ha="right", fontsize=8, **PLAIN)
    twin = ax.twinx()
    twin.plot(positions, 100 * table["cumulative_share"], color="0.3", marker="o", ms=3)
    twin.set_ylim(0, 105)
    twin.set_ylabel("cumulative %")
    ax.set_title(title, fontsize=10, **PLAIN)
    return ax
