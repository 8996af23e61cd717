"""What a report says about the data it was made from: rows read, accepted and rejected, and why.

A team's report counts the team's own rows; the portfolio report lists the
rejected rows no team can claim (their team unreadable or unknown); both say
how many survey answers rate no interaction. Sources are shown as a reader may
see them (a database password hidden).

>>> print(load_lines({"surveys": {"source": "s.csv", "rows_read": 5, "accepted": 5, "rejected": 0,
...                               "unmatched": 2}})[0])
surveys from s.csv: 5 rows read, 5 accepted, 0 rejected at load. 2 survey answer(s) in the file match no interaction and are in no team's figures.
"""

from __future__ import annotations

from pathlib import Path

from qoswb.redact import safe_url
from qoswb.reports import cache as rc


def columns(cache, table: str) -> list[str]:
    """The columns of a cached table ([] when the cache has no such table), read from its schema."""
    import pyarrow.parquet as pq

    return pq.read_schema(Path(cache) / f"{table}.parquet").names if rc.has(cache, table) else []


def _rejected(cache):
    import pandas as pd

    frame = rc.read(cache, "rejected") if rc.has(cache, "rejected") else pd.DataFrame()
    return frame.reindex(columns=list(dict.fromkeys(["table", "team", "source_row", "reason", *frame])))


def data_quality(cache, team=None):
    """(load summaries, rejected rows by table and reason): the team's own when ``team`` is given.

    A team's summaries count its own rows: ``accepted`` the rows in the cache,
    ``rejected`` the rejected rows that carry its team, ``rows_read`` their sum
    (rejected rows whose team could not be read are in no team's counts: the
    portfolio report lists them, :func:`unknown_team_rows`). ``unmatched``
    (survey answers rating no interaction in the file) and ``rate_rejected``
    (answers rating an interaction rejected at load), counted when the cache links
    them, are the whole file's.

    >>> summaries, by_reason = data_quality(cache, "Billing")       # doctest: +SKIP
    """
    summaries, rejected = rc.meta(cache)["summaries"], _rejected(cache)
    if team is not None:
        rejected = rejected[rejected["team"] == team]
        summaries = {name: _team_counts(cache, name, team, s, rejected) for name, s in summaries.items()}
    counts = rejected.groupby(["table", "reason"], dropna=False).size()
    return summaries, counts.rename("rows").reset_index().sort_values("rows", ascending=False)


def _team_counts(cache, table, team, summary, rejected) -> dict:
    event_log = "cases" in summary and "events" in columns(cache, table)  # rows read are events
    wanted = ["team", "events"] if event_log else ["team"]
    rows = rc.read(cache, table, team=team, columns=wanted) if rc.has(cache, table) else None
    accepted = 0 if rows is None else len(rows)
    reasons = rejected.loc[rejected["table"] == table, "reason"].value_counts()
    inside = int(rows["events"].sum()) if event_log and rows is not None else accepted
    mine = {"rows_read": inside + int(reasons.sum()), "accepted": accepted,
            "rejected": int(reasons.sum()), "rejected_by_reason": reasons.to_dict()}
    if event_log:
        mine.update(events={"read": mine["rows_read"], "in_accepted_cases": inside, "rejected": mine["rejected"]},
                    cases={"accepted": accepted})
    elif "cases" in summary:  # a cache without the count of events per case: say rows, not events
        summary = {k: v for k, v in summary.items() if k not in ("cases", "events")}
    return {**summary, **mine, "team_only": True}


def unknown_team_rows(cache, teams=None):
    """Rejected rows whose team is unknown (empty, unreadable or not one of ``teams``), for the portfolio.

    >>> unknown_team_rows(cache)[["table", "source_row", "reason"]]   # doctest: +SKIP
    """
    rejected = _rejected(cache)
    known = set(teams or rc.meta(cache)["teams"])
    unknown = rejected[~rejected["team"].isin(known)].reset_index(drop=True)
    # said in words, not as a NaN: the row's team was empty or could not be read
    return unknown.assign(team=unknown["team"].astype(object).where(unknown["team"].notna(), "(none)"))


def load_lines(summaries) -> list[str]:
    """One plain sentence per loaded table: where from, rows read, accepted, rejected (and unmatched).

    >>> load_lines({"interactions": {"source": "t.csv", "rows_read": 3, "accepted": 2, "rejected": 1}})
    ['interactions from t.csv: 3 rows read, 2 accepted, 1 rejected at load.']
    """
    from qoswb.data.result import counts

    out = []
    for table, s in summaries.items():
        whose = "this team's " if s.get("team_only") else ""
        line = f"{table} from {safe_url(str(s.get('source')))}: {whose}{counts(s)} at load."
        if s.get("rate_rejected"):  # their case is in the file but was rejected: fix the case, not the answer
            line += (f" {s['rate_rejected']:,} survey answer(s) rate an interaction rejected at load and are "
                     "in no team's figures.")
        if s.get("unmatched"):
            line += (f" {s['unmatched']:,} survey answer(s) in the file match no interaction and are in "
                     "no team's figures.")
        out.append(line)
    return out
