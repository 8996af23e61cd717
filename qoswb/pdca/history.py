"""The PDCA change log: one history row per edit, and a burst of typing kept as one row.

Every row says when, by whom, which entity and field of which cycle, and the old
and new value as text. An app that saves every keystroke would write a row per
key; with ``typing`` seconds, an edit of the same field by the same author, with
no other edit of the cycle in between, updates the cycle's latest row instead
(its old value stays the one from before the burst; its new value and time move).

>>> from sqlalchemy import create_engine
>>> from sqlalchemy.orm import Session
>>> from qoswb.pdca.model import Base
>>> engine = create_engine("sqlite://")
>>> Base.metadata.create_all(engine)
>>> with Session(engine) as s:
...     for old, new in [("", "W"), ("W", "Wa"), ("Wa", "Wait")]:
...         log_edit(s, "ana", 1, "cycle", 1, "title", old, new, typing=60)
...     history_frame(s, 1)[["old", "new"]].values.tolist()
[['', 'Wait']]
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from qoswb.pdca.fields import as_text
from qoswb.pdca.model import History, utcnow
from qoswb.pdca.records import as_dict, as_frame


def log_edit(s: Session, author: str, cycle_id: int, entity: str, entity_id: int, field: str,
           old, new, *, typing: float = 0) -> None:
    """Log one edit; within ``typing`` seconds of the same field's last edit, merge into it."""
    last = _burst_row(s, author, cycle_id, entity, entity_id, field, typing)
    if last is None:
        s.add(History(at=utcnow(), author=author, cycle_id=cycle_id, entity=entity,
                      entity_id=entity_id, field=field, old=as_text(old), new=as_text(new)))
    else:
        last.new, last.at = as_text(new), utcnow()


def log_removal(s: Session, author: str, cycle_id: int, entity: str, item) -> None:
    """Log that a row was taken off the record, keeping all its columns as JSON."""
    log_edit(s, author, cycle_id, entity, item.id, "removed",
           json.dumps(as_dict(item), default=as_text), None)


def _burst_row(s: Session, author, cycle_id, entity, entity_id, field, seconds):
    """The cycle's latest history row if it is this same field typed just now, else None."""
    if not seconds:
        return None
    last = s.scalars(select(History).where(History.cycle_id == cycle_id)
                     .order_by(History.id.desc()).limit(1)).first()
    recent = last is not None and (utcnow() - last.at).total_seconds() <= seconds
    same = last is not None and (last.entity, last.entity_id, last.field, last.author) == (
        entity, entity_id, field, author)
    return last if recent and same else None


def history_frame(s: Session, cycle_id: int | None = None) -> pd.DataFrame:
    """Every edit (of one cycle, or of all), oldest first (see :meth:`Store.history`)."""
    stmt = select(History).order_by(History.id)
    if cycle_id is not None:
        stmt = stmt.where(History.cycle_id == int(cycle_id))
    frame = as_frame(History, s.scalars(stmt))
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame
