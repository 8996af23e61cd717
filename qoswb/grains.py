"""The period lengths (grains) qoswb counts KPIs by, each defined once: day, week, month, quarter.

A :class:`Grain` carries its name as people say it ("week"), its code (``freq``,
as :func:`qoswb.metrics.kpis` takes it and the PDCA store keeps it: "D", "W",
"M", "Q"), the step from one period's start to the next (``pandas.DateOffset``
arguments), its words for a period ("the week of 3 March"), whether report
batches run by it, and the other spellings accepted for it ("weekly", "W-MON").
The KPI computation, the parameters files, the reports, the Explorer and the
PDCA store all read this table; adding a grain here is the one change to make
(its period codes in :mod:`qoswb.metrics.periods` aside).

Importing this module is cheap (no pandas): ``import qoswb.pdca`` reads it.

>>> grain("weekly").freq, grain("W").name, GRAINS["month"].step
('W', 'week', {'months': 1})
>>> FREQS
('D', 'W', 'M', 'Q')
"""

from __future__ import annotations

from dataclasses import dataclass

from qoswb.errors import ParameterError


@dataclass(frozen=True)
class Grain:
    """One period length: ``name``, ``freq`` code, ``step`` to the next period, ``plural``,
    whether report batches take it (``reports``) and the ``aliases`` accepted for it."""

    name: str
    freq: str
    step: dict
    plural: str
    reports: bool
    aliases: tuple = ()

    def period_words(self, start, year: bool = False) -> str:
        """A period (its start, a Timestamp) in words: "the week of 3 March", "March 2025", "Q1 2025";
        ``year=True`` (a report's title) gives days and weeks their year too.

        >>> import pandas as pd
        >>> [GRAINS[g].period_words(pd.Timestamp("2025-03-03")) for g in GRAINS]
        ['3 March', 'the week of 3 March', 'March 2025', 'Q1 2025']
        >>> GRAINS["week"].period_words(pd.Timestamp("2025-03-03"), year=True)
        'the week of 3 March 2025'
        """
        day = f"{start.day} {start.strftime('%B')}" + (f" {start.year}" if year else "")
        return {"D": day, "W": f"the week of {day}", "M": start.strftime("%B %Y"),
                "Q": f"Q{(start.month - 1) // 3 + 1} {start.year}"}[self.freq]


_ALL = (
    Grain("day", "D", {"days": 1}, "days", False, ("daily",)),
    Grain("week", "W", {"days": 7}, "weeks", True, ("weekly", "W-MON")),  # weeks start on Monday
    Grain("month", "M", {"months": 1}, "months", True, ("monthly", "MS", "ME")),
    Grain("quarter", "Q", {"months": 3}, "quarters", True, ("quarterly", "QS", "QE")),
)
#: The grains by name, shortest first.
GRAINS: dict[str, Grain] = {g.name: g for g in _ALL}
#: Their codes, as the PDCA store keeps a cycle's grain (migration 0003).
FREQS: tuple[str, ...] = tuple(g.freq for g in _ALL)
_BY_SPELLING = {spelling: g for g in _ALL for spelling in (g.name, g.freq, *g.aliases)}


def grain(spelling) -> Grain:
    """The grain called ``spelling`` (its name, code or an alias), or a ParameterError with a did-you-mean.

    >>> grain("Q").name
    'quarter'
    >>> grain("weeky")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: freq='weeky' is not a period length; use one of 'D', 'W' (weeks from Monday), 'M', 'Q' (or day, week, month, quarter) (did you mean 'weekly' or 'week'?)
    """
    try:
        return _BY_SPELLING[spelling]
    except (KeyError, TypeError):
        from qoswb.data.columns import did_you_mean  # the suggestion alone: the grains are listed

        hint = did_you_mean(spelling, list(_BY_SPELLING)) if isinstance(spelling, str) else ""
        raise ParameterError(
            f"freq={spelling!r} is not a period length; use one of 'D', 'W' (weeks from Monday), 'M', 'Q' "
            f"(or {', '.join(GRAINS)}){hint}") from None
