"""LoadResult: what a loader returns — the canonical data, the rejected rows and the counts.

>>> import pandas as pd
>>> from qoswb.data.result import LoadResult
>>> r = LoadResult(pd.DataFrame({"id": ["a"]}), pd.DataFrame(columns=["source_row", "reason"]),
...                {"source": "x.csv", "rows_read": 1, "accepted": 1, "rejected": 0,
...                 "rejected_by_reason": {}}, [])
>>> r.ok
True
"""

import re
from dataclasses import dataclass, field

import pandas as pd

# control characters (a line break or a terminal escape from a header name) are shown escaped
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(line: str) -> str:
    r"""One line of a report, with data text's control characters escaped.

    >>> _printable("team\x1b[2J\nX")
    'team\\x1b[2J\\nX'
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)


def counts(summary: dict) -> str:
    """Rows read, accepted and rejected in words; for an event log, events and cases.

    >>> counts({"rows_read": 3, "accepted": 2, "rejected": 1})
    '3 rows read, 2 accepted, 1 rejected'
    >>> counts({"rows_read": 1, "accepted": 1, "rejected": 0})
    '1 row read, 1 accepted, 0 rejected'
    >>> counts({"rows_read": 9, "accepted": 2, "rejected": 4, "events": {"in_accepted_cases": 5},
    ...         "cases": {"read": 3, "accepted": 2, "rejected": 1}})
    '9 events read in 3 cases: 2 cases accepted (5 events), 1 case rejected; 4 events rejected'
    """
    s = summary
    def many(count, word):
        return f"{count:,} {word}{'' if count == 1 else 's'}"

    if "cases" not in s:
        return f"{many(s.get('rows_read', 0), 'row')} read, {s.get('accepted', 0):,} accepted, {s.get('rejected', 0):,} rejected"
    cases, inside = s["cases"], s["events"]["in_accepted_cases"]

    # a team's own counts know its accepted cases, not which rejected events were its cases
    read = f" in {many(cases['read'], 'case')}" if "read" in cases else ""
    rejected = f", {many(cases['rejected'], 'case')} rejected" if "rejected" in cases else ""
    return (f"{many(s['rows_read'], 'event')} read{read}: {many(cases['accepted'], 'case')} accepted "
            f"({many(inside, 'event')}){rejected}; {many(s['rejected'], 'event')} rejected")


@dataclass
class LoadResult:
    """The outcome of a load.

    ``data``: the canonical frame (accepted rows, typed). ``rejected``: each rejected
    input row as it was read, plus ``source_row`` and ``reason`` (all of the row's
    problems joined by "; "), and ``mapped_id`` and ``mapped_team`` (the row's id and
    team as mapped and typed, null where empty or unreadable, an event's its case's:
    whose row it is, whatever the source calls the columns); a CSV line that could
    not be split into cells has its text in ``row_text``. ``source_row`` counts as a spreadsheet does for CSV and
    Excel (header = row 1, first data row = row 2: the line number unless a quoted
    value spans lines) and from 1 for Parquet, DuckDB, SQL and DataFrames. ``summary``: ``source``, ``kind``, ``rows_read``,
    ``accepted``, ``rejected`` and ``rejected_by_reason`` (each rejected row counted
    once, under its first reason, so the counts add up to ``rejected``). ``notes``:
    what the reader should know (optional columns absent, encoding guessed...).
    Always ``rows_read == accepted + rejected``, except for an event log
    (``events:`` in the mapping, see :mod:`qoswb.data.events`): there a row read
    is an event, ``data`` holds one row per accepted case (with ``events``, its
    count of events), ``rejected`` the rejected events, and ``summary`` adds
    ``events`` (``read``, ``in_accepted_cases``, ``rejected``) and ``cases``
    (``read``, ``accepted``, ``rejected``): events read = events in accepted
    cases + events rejected, cases read = accepted + rejected.
    """

    data: pd.DataFrame
    rejected: pd.DataFrame
    summary: dict
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.summary["rejected"] == 0

    def report(self) -> str:
        """The summary as a few lines of text (what ``qoswb validate`` prints).

        >>> print(LoadResult(pd.DataFrame(), pd.DataFrame(), {"source": "f.csv", "rows_read": 2,
        ...       "accepted": 1, "rejected": 1, "rejected_by_reason": {"missing id": 1}}).report())
        f.csv: 2 rows read, 1 accepted, 1 rejected
          missing id: 1
        """
        s = self.summary
        lines = [f"{s['source']}: {counts(s)}"]
        lines += [f"  {reason}: {count:,}" for reason, count in s["rejected_by_reason"].items()]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(_printable(line) for line in lines)

    def __repr__(self) -> str:
        return f"<LoadResult {self.report()}>"

    def _repr_html_(self) -> str:  # a short, readable cell output in Jupyter
        import html

        return "<pre>" + html.escape(self.report()) + "</pre>"
