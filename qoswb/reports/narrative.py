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
    'First response median rose from the week of 17 February: 6 weeks above the centre line (5.0 min) — special cause deteriorating.'

A chart's signals are told as *episodes* (consecutive signalled points on one
side, :func:`episodes`): the one at the latest complete point is the chart's
reading now (the matrix's variation), those before it are told as earlier,
with their dates (:func:`earlier`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from qoswb.grains import GRAINS
from qoswb.metrics.registry import kpi_label
from qoswb.verdicts import Assurance, Variation


def label(kpi: str) -> str:
    """The KPI's name as a reader says it (the registry's label).

    >>> label("fcr")
    'First-contact resolution'
    """
    return kpi_label(kpi)


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
    if unit == "interactions":  # counts are whole: a manager reads limits "616 – 876 around 746"
        return f"{math.floor(value + 0.5):,}"  # half up: an upper limit of 8.5 reads 9, not 8
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _when(ts, grain: str) -> str:
    return GRAINS[grain].period_words(ts)


def _run_start(side: np.ndarray, end: int) -> int:
    """Index where the run of equal, non-zero ``side`` values ending at ``end`` starts."""
    start = end
    while start > 0 and side[start - 1] == side[end] and side[end] != 0:
        start -= 1
    return start


PLURAL = {"week": "weeks", "month": "months", "quarter": "quarters", "day": "days"}


class Episode(NamedTuple):
    """Consecutive signalled points of one chart on one side of its centre line.

    ``first``/``last``: periods of its first and last signalled point; ``start``:
    where the run on that side began (at or before ``first``), ``run`` its length
    up to ``last``; ``side`` +1 above, -1 below; ``direction`` the way the rules
    point (``side`` when they do not say); ``rules`` the rule ids that fired;
    ``y``, ``cl``, ``lcl``, ``ucl`` at ``last``; ``at`` its index among the complete points.
    """

    first: object
    last: object
    start: object
    run: int
    signals: int
    side: int
    direction: int
    rules: tuple
    y: float
    cl: float
    lcl: float
    ucl: float
    at: int


def _complete(rows):
    """The complete points with a value, in time order (as given when they are so already: a
    reading takes them several times over)."""
    keep = rows["complete"].astype(bool) & rows["y"].notna()
    if keep.all() and rows["period"].is_monotonic_increasing:
        return rows
    return rows[keep].sort_values("period")


# limits from fewer points are little more than guesses; a count chart averaging under one case a
# period (a team with 1 case in a month) has a centre near 0 and "signals" in every empty week
MIN_POINTS = 12
MIN_COUNT = 1.0


def too_few(rows, unit: str = "", grain: str = "week") -> str | None:
    """Why one chart's complete points are too few for its limits to mean anything (None: enough).

    >>> rows = pd.DataFrame({"period": pd.date_range("2025-03-03", periods=20, freq="7D"),
    ...     "y": [0.0] * 19 + [1.0], "complete": True})
    >>> too_few(rows, "interactions")
    '1 in 20 weeks, fewer than one a week'
    >>> too_few(rows.head(5), "proportion")
    'only 5 weeks with a value, at least 12 needed'
    """
    done, plural = _complete(rows), PLURAL.get(grain, "periods")
    if len(done) < MIN_POINTS:
        return f"only {len(done)} {plural} with a value, at least {MIN_POINTS} needed"
    if unit == "interactions" and done["y"].mean() < MIN_COUNT:
        return f"{fmt(done['y'].sum(), unit)} in {len(done)} {plural}, fewer than one a {grain}"
    return None


def episodes(rows) -> list[Episode]:
    """The episodes of one chart's complete points (see :class:`Episode`), oldest first.

    >>> rows = pd.DataFrame({"period": pd.date_range("2025-03-03", periods=8, freq="7D"),
    ...     "y": [9.0, 9, 5, 5, 5, 1, 1, 5], "cl": 5.0, "lcl": 2.0, "ucl": 8.0, "complete": True,
    ...     "signal": [True, True, False, False, False, True, True, False], "rules": "we2"})
    >>> [(e.first.day, e.signals, e.side) for e in episodes(rows)]
    [(3, 2, 1), (7, 2, -1)]
    """
    rows = _complete(rows)
    if rows.empty:
        return []
    y, cl = rows["y"].to_numpy(float), rows["cl"].to_numpy(float)
    side = np.sign(np.round(y - cl, 12)).astype(int)
    signal = rows["signal"].astype(bool).to_numpy()
    way = rows["direction"].to_numpy(float) if "direction" in rows else np.zeros(len(rows))
    way = np.where(np.nan_to_num(way) != 0, np.sign(np.nan_to_num(way)), side).astype(int)
    # a new episode where a signal follows a non-signal, or turns to the other way
    new = signal & ~(np.r_[False, signal[:-1]] & (np.r_[0, way[:-1]] == way))
    ids = np.cumsum(new)
    periods, rules = rows["period"].to_numpy(), rows["rules"].fillna("").astype(str).to_numpy()
    out = []
    for i in np.unique(ids[signal]):
        idx = np.flatnonzero(signal & (ids == i))
        first, last = int(idx[0]), int(idx[-1])
        start = _run_start(side, last)
        fired = tuple(dict.fromkeys(r for text in rules[idx] for r in text.split(",") if r))
        point = rows.iloc[last]
        out.append(Episode(pd.Timestamp(periods[first]), pd.Timestamp(periods[last]),
                           pd.Timestamp(periods[min(start, first)]), last - min(start, first) + 1, len(idx),
                           int(side[last]), int(way[last]), fired, float(point["y"]), float(point["cl"]),
                           float(point["lcl"]), float(point["ucl"]), last))
    return out


def rule_words(rules) -> str:
    """Rule ids in words (the rule table of :mod:`qoswb.spc.rules`), e.g. for a reading.

    >>> rule_words(("we2", "we4"))
    '2 of 3 points beyond 2 sigma on one side; 8 points in a row on one side of the centre'
    """
    from qoswb.spc.rules import RULES

    return "; ".join(RULES[r].description if r in RULES else r for r in rules)


def tell(episode: Episode, kpi: str, unit: str = "", grain: str = "week", verdict=None, earlier=False) -> str:
    """One episode in a sentence: a sustained run, a point beyond a limit, or an unusual pattern.

    ``verdict`` (a :class:`qoswb.verdicts.Variation`, default: read from the
    episode's direction with no better direction) ends the sentence; ``earlier``
    tells it as past, from its first to its last week.
    """
    name, plural = label(kpi), PLURAL.get(grain, "periods")
    verdict = verdict if verdict is not None else Variation.of(episode.direction, 0)
    above = episode.side > 0
    verb, where = ("rose", "above") if above else ("fell", "below")
    head = f"Earlier, {_in_sentence(name)}" if earlier else name
    until = f" to {_when(episode.last, grain)}" if earlier and episode.last != episode.start else ""
    if episode.run >= 6:
        return (f"{head} {verb} from {_when(episode.start, grain)}{until}: {episode.run} {plural} "
                f"{where} the centre line ({fmt(episode.cl, unit)}) — {verdict}.")
    if episode.y > episode.ucl or episode.y < episode.lcl:
        limit, bound = ("upper", episode.ucl) if episode.y > episode.ucl else ("lower", episode.lcl)
        return (f"{head} {'rose' if limit == 'upper' else 'fell'} to {fmt(episode.y, unit)} in "
                f"{_when(episode.last, grain)}, beyond the {limit} limit ({fmt(bound, unit)}) — {verdict}.")
    rules = rule_words(episode.rules) or "a run rule"
    return (f"{head}: an unusual pattern {where} the centre line in {_when(episode.last, grain)} "
            f"({rules}) — {verdict}.")


def _in_sentence(name: str) -> str:
    """A name inside a sentence: "First response median" → "first response median", "SLA …" kept."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _polarity(rows) -> int:
    return int(rows["polarity"].iloc[-1]) if "polarity" in rows and len(rows) else 0


def reading(rows, kpi: str, unit: str = "", grain: str = "week", recent: int = 1, verdict=None) -> str:
    """One sentence on what one team's chart of one KPI says now: its latest complete points.

    A signal among the latest ``recent`` complete points (as :func:`qoswb.metrics.matrix`
    reads them) is told as its episode: a sustained shift ("rose from the week of
    …: 9 weeks above the centre line"), a point beyond a limit, or an unusual
    pattern (its rules in words); else common-cause variation, with the limits, so
    the reader knows the range to expect. ``verdict``: the matrix's variation,
    so that both say the same (default: read from the points and their polarity).
    """
    rows = _complete(rows)
    name, plural = label(kpi), PLURAL.get(grain, "periods")
    if rows.empty:
        return f"{name}: no complete {plural} to read yet."
    if verdict is Variation.TOO_FEW_POINTS:
        why = too_few(rows, unit, grain) or "fewer points than the limits need"
        return f"{name}: too few data to judge ({why}); no limits or signals are read from it."
    found = [e for e in episodes(rows) if e.at >= len(rows) - recent]
    now = found[-1] if found else None
    if verdict is None:
        verdict = Variation.of(now.direction, _polarity(rows)) if now else Variation.COMMON_CAUSE
    if now is None or not verdict.is_special:
        latest = rows.iloc[-1]
        return (f"{name} shows common-cause variation only: {fmt(latest['y'], unit)} in "
                f"{_when(latest['period'], grain)}, within the limits {fmt(latest['lcl'], unit)}"
                f" – {fmt(latest['ucl'], unit)} around a centre of {fmt(latest['cl'], unit)}.")
    return tell(now, kpi, unit, grain, verdict)


def earlier(rows, kpi: str, unit: str = "", grain: str = "week", recent: int = 1, since=None) -> list[str]:
    """Sentences on the chart's episodes before its reading now (ended before the latest ``recent``
    complete points), newest first; ``since``: only those that ended on or after it.

    >>> rows = pd.DataFrame({"period": pd.date_range("2025-03-03", periods=8, freq="7D"),
    ...     "y": [9.0, 9, 5, 5, 5, 5, 5, 5], "cl": 5.0, "lcl": 2.0, "ucl": 8.0, "complete": True,
    ...     "signal": [True, True] + [False] * 6, "rules": "we1", "polarity": -1})
    >>> earlier(rows, "first_response_median", "minutes")
    ['Earlier, first response median rose to 9.0 min in the week of 10 March, beyond the upper limit (8.0 min) — special cause deteriorating.']
    """
    rows = _complete(rows)
    polarity = _polarity(rows)
    found = [e for e in episodes(rows) if e.at < len(rows) - recent]
    if since is not None:
        since = pd.Timestamp(since)
        since = since.tz_localize(found[0].last.tz) if found and since.tz is None else since
        found = [e for e in found if e.last >= since]
    return [tell(e, kpi, unit, grain, Variation.of(e.direction, polarity), earlier=True) for e in found[::-1]]


def evidence(p: float) -> str:
    """A p-value in words, the number beside (conventional bands; a report reader's wording).

    >>> evidence(8.12e-11), evidence(0.03), evidence(0.4)
    ('very strong evidence, p-value < 0.001', 'some evidence, p-value 0.03', 'no real evidence, p-value 0.4')
    """
    if p is None or not np.isfinite(p):
        return "no test possible"
    words = ("very strong evidence" if p < 0.001 else "strong evidence" if p < 0.01 else
             "some evidence" if p < 0.05 else "weak evidence" if p < 0.1 else "no real evidence")
    return f"{words}, p-value {'< 0.001' if p < 0.001 else f'{p:.2g}'}"


TERMS = {
    "Centre line": "the process's usual level (mean or median of its points).",
    "Process limits": "the range a stable process stays within about 997 times in 1,000 (3 sigma).",
    "Common cause": "variation the process always shows: no single cause to look for.",
    "Special cause": "a pattern chance rarely makes: something changed, worth finding out what.",
    "Assurance": "whether the target lies outside the limits (consistently met or missed) or between them "
                 "(hit and miss: met in some periods, missed in others, by chance).",
}
_WHY = {"limits": "a single point this far out happens by chance about 3 times in 1,000.",
        "zones": "points this far from the centre, this often, rarely happen by chance: the level has probably moved.",
        "centre": "a run or trend this long rarely happens by chance: the level has probably moved."}


def glossary(texts) -> list[str]:
    """Glossary lines for a report: its terms, and each rule (by its words) named in ``texts``.

    >>> glossary(["… (2 of 3 points beyond 2 sigma on one side) — special cause improving."])[-1]
    '2 of 3 points beyond 2 sigma on one side: points this far from the centre, this often, rarely happen by chance: the level has probably moved.'
    """
    from qoswb.spc.rules import RULES

    said = " ".join(texts)
    rules = {r.description: _WHY.get(r.needs, "a pattern chance rarely makes.") for r in RULES.values()
             if r.description in said}
    return [f"{term}: {text}" for term, text in (*TERMS.items(), *rules.items())]


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
    # volume (no better direction) is never worst, nor a chart with too few data to judge
    rows = matrix_rows[(matrix_rows["polarity"] != 0) & matrix_rows["variation"].ne(Variation.TOO_FEW_POINTS)]
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


def _late(tickets, column, targets):
    # a case with no target for its priority is in no SLA's count: never a breach either
    minutes = (tickets[column] - tickets["opened_at"]).dt.total_seconds() / 60
    has = ~np.isnan(targets)
    return has & ((minutes.to_numpy(float) > targets) | tickets[column].isna().to_numpy())


def behind(kpi: str, tickets, answers=None, centre: float | None = None, period_end=None, sla=None):
    """What lies behind ``kpi`` in one team's period: (what is counted, cases to count by category).

    The "bad" cases for each KPI — SLA missed, slower than the usual (``centre``)
    time, more than one contact, reopened, still open at the period end — or,
    for survey KPIs, the low-scoring answers (their comments are then grouped by
    theme). Returns ``(description, frame)``; the frame has a ``category``
    column (or ``comment`` for survey KPIs). ``sla``: the batch's SLA targets (as
    :func:`qoswb.metrics.kpis` takes them; None: each case's ``sla_minutes``).
    """
    import pandas as pd

    if kpi in _SURVEY_BAD:
        column, bad = _SURVEY_BAD[kpi]
        if answers is None or column not in answers:
            return "low-scoring survey answers (no survey data)", answers.iloc[0:0] if answers is not None else None
        scores = answers[column].astype("Float64")
        low = answers[bad(scores).fillna(False).astype(bool)]
        return f"comments of low {column.upper()} answers", low
    if kpi in ("sla_response", "sla_resolution"):
        from qoswb.metrics.inputs import sla_targets
        from qoswb.metrics.priorities import present_in

        column, clock = (("first_response_at", "first_response") if kpi == "sla_response"
                         else ("resolved_at", "resolution"))
        sla = present_in(sla, tickets)  # one team's period: the whole data's priorities were checked at its load
        targets = sla_targets(tickets, sla, clock) if column in tickets else None
        if targets is not None:
            which = "first response" if clock == "first_response" else "resolution"
            return f"cases that missed their {which} SLA", tickets[_late(tickets, column, np.asarray(targets, float))]
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
