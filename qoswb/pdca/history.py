"""The PDCA change log: one history row per edit, a burst of typing kept as one row, and
the conflicts an edit would cause, found from it.

Every row says when, by whom (and from which session: one Store object), which
entity and field of which cycle, the old and new value as text, the row's version
and the cycle's revision after the edit. An app that saves every keystroke would
write a row per key; with ``typing`` seconds, an edit of the same field by the same
author in the same session, with no other edit of the cycle in between, updates the
cycle's latest row instead (its old value stays the one from before the burst; its
new value, time, version and revision move). Two people — even two browsers of one
person — never share a burst.

>>> from sqlalchemy import create_engine
>>> from sqlalchemy.orm import Session
>>> from qoswb.pdca.model import Base
>>> engine = create_engine("sqlite://")
>>> Base.metadata.create_all(engine)
>>> with Session(engine) as s:
...     for old, new in [("", "W"), ("W", "Wa"), ("Wa", "Wait")]:
...         log_edit(s, "ana", 1, "cycle", 1, "title", old, new, typing=60, session="a1")
...     log_edit(s, "ben", 1, "cycle", 1, "title", "Wait", "Waits", typing=60, session="b1")
...     history_frame(s, 1)[["author", "old", "new"]].values.tolist()
[['ana', '', 'Wait'], ['ben', 'Wait', 'Waits']]
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from qoswb.errors import QoswbError
from qoswb.pdca.fields import as_text
from qoswb.pdca.model import History, utcnow
from qoswb.pdca.records import as_dict, as_frame


def log_edit(s: Session, author: str, cycle_id: int, entity: str, entity_id: int, field: str,
             old, new, *, typing: float = 0, session: str | None = None,
             version: int | None = None, revision: int | None = None) -> None:
    """Log one edit; within ``typing`` seconds of the same field's last edit by the same
    author and session, merge into it."""
    last = _burst_row(s, author, session, cycle_id, entity, entity_id, field, typing)
    if last is None:
        s.add(History(at=utcnow(), author=author, cycle_id=cycle_id, entity=entity,
                      entity_id=entity_id, field=field, old=as_text(old), new=as_text(new),
                      session=session, version=version, revision=revision))
    else:
        last.new, last.at, last.version, last.revision = as_text(new), utcnow(), version, revision


def row_json(item) -> str:
    """All columns of a row as JSON: what a removal keeps in the history."""
    return json.dumps(as_dict(item), default=as_text)


def _burst_row(s: Session, author, session, cycle_id, entity, entity_id, field, seconds):
    """The cycle's latest history row if it is this same field typed just now, by the same
    author in the same session, else None."""
    if not seconds:
        return None
    last = s.scalars(select(History).where(History.cycle_id == cycle_id)
                     .order_by(History.id.desc()).limit(1)).first()
    recent = last is not None and (utcnow() - last.at).total_seconds() <= seconds
    same = last is not None and (last.entity, last.entity_id, last.field, last.author,
                                 last.session) == (entity, entity_id, field, author, session)
    return last if recent and same else None


def history_frame(s: Session, cycle_id: int | None = None, since=None) -> pd.DataFrame:
    """Every edit (of one cycle, or of all), oldest first (see :meth:`Store.history`);
    ``since`` a cycle revision (int: edits after it) or a time (edits after it)."""
    stmt = select(History).order_by(History.id)
    if cycle_id is not None:
        stmt = stmt.where(History.cycle_id == int(cycle_id))
    if isinstance(since, (dt.datetime, pd.Timestamp)):
        stamp = pd.Timestamp(since)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        stmt = stmt.where(History.at > stamp.to_pydatetime())
    elif since is not None:
        stmt = stmt.where(History.revision > int(since))
    frame = as_frame(History, s.scalars(stmt))
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


@dataclass
class FieldConflict:
    """One field someone else changed since you loaded the row: the value you loaded
    (``base``), theirs now, yours, and who changed it when."""

    field: str
    base: str | None
    theirs: object
    mine: object
    by: str
    at: dt.datetime


class EditConflict(QoswbError):
    """An edit of fields that someone else changed since you loaded them: nothing was saved.

    ``conflicts`` (:class:`FieldConflict`, one per field) carry both values, so an app
    can show them and let the person choose: to keep theirs, reload; to keep yours,
    save again with the row's current ``version`` (also carried).
    """

    def __init__(self, entity: str, entity_id: int, loaded: int, version: int,
                 conflicts: list[FieldConflict]):
        self.entity, self.entity_id, self.loaded, self.version = entity, entity_id, loaded, version
        self.conflicts = conflicts
        said = "; ".join(f"{c.field} was changed by {c.by or 'someone unnamed'} at "
                         f"{c.at:%H:%M:%S} UTC to {as_text(c.theirs)!r} (yours: "
                         f"{as_text(c.mine)!r})" for c in conflicts)
        super().__init__(f"{entity} {entity_id}: edited since you loaded it (version {loaded}, "
                         f"now {version}): {said}; nothing was saved")


def conflicts_since(s: Session, entity: str, obj, loaded: int, values: dict,
                    session: str | None = None) -> list:
    """The fields of ``values`` that edits after version ``loaded`` of ``obj``, from other
    sessions than ``session``, changed to something else than the value now asked for."""
    if obj.version == loaded:
        return []
    stmt = select(History).where(
        History.entity == entity, History.entity_id == obj.id,
        History.field.in_(list(values)), History.version > loaded).order_by(History.id)
    if session is not None:  # your own saves since (a keystroke each) are no conflict
        stmt = stmt.where((History.session != session) | History.session.is_(None))
    rows = s.scalars(stmt)
    first = {}
    for row in rows:
        first.setdefault(row.field, row)  # the oldest edit after yours: its old is your base
    return [FieldConflict(name, row.old, getattr(obj, name), values[name], row.author, row.at)
            for name, row in first.items() if getattr(obj, name) != values[name]]
