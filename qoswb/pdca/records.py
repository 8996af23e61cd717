"""Finding and reading rows of the PDCA tables inside a session, as plain dicts.

The store's verbs share these: look a row up by id with a clear error, find the
cycle an entity belongs to, mark a cycle edited, and read a whole cycle (causes
with their whys, actions, changes, checks) in one go.

>>> from sqlalchemy import create_engine
>>> from sqlalchemy.orm import Session
>>> from qoswb.pdca.model import Base, Cycle
>>> engine = create_engine("sqlite://")
>>> Base.metadata.create_all(engine)
>>> with Session(engine) as s:
...     s.add(Cycle(title="Waits", stage="plan")); s.flush()
...     read_cycle(s, 1, where="sqlite://")["title"]
'Waits'
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qoswb.errors import ParameterError
from qoswb.pdca.model import ENTITIES, Action, Cause, Change, Check, Cycle, Why, utcnow


def as_dict(obj) -> dict:
    """One ORM row as a dict of its columns."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def as_frame(cls, rows) -> pd.DataFrame:
    """ORM rows of table ``cls`` as a DataFrame with its columns (also when there are none)."""
    return pd.DataFrame([as_dict(o) for o in rows], columns=[c.key for c in cls.__table__.columns])


def fetch(s: Session, entity: str, entity_id, *, where: str, lock: bool = False,
          removed: bool = False):
    """The ``entity`` row with this id; ``where`` (the store's URL) names it in the error.

    A removed row is refused (restore it first) unless ``removed`` is True.
    """
    cls = ENTITIES[entity]
    try:  # numpy integers (an id taken from a DataFrame) are fine; text is not
        entity_id = int(entity_id)
    except (TypeError, ValueError):
        raise ParameterError(f"{entity}_id={entity_id!r}: expected a whole number") from None
    stmt = select(cls).where(cls.id == entity_id)
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL row lock; SQLite is locked already
    obj = s.scalars(stmt).first()
    if obj is None:
        raise ParameterError(f"{entity}_id={entity_id!r}: no such {entity} in {where}")
    if getattr(obj, "deleted_at", None) is not None and not removed:
        raise ParameterError(f"{entity}_id={entity_id!r}: this {entity} was removed "
                             f"({obj.deleted_at:%Y-%m-%d %H:%M} UTC); restore it first")
    return obj


def cycle_of(s: Session, entity: str, obj) -> int:
    """The id of the cycle a cycle, cause, why, action or change row belongs to."""
    if entity == "cycle":
        return obj.id
    if entity == "why":
        return s.get(Cause, obj.cause_id).cycle_id
    return obj.cycle_id


def touch(s: Session, cycle_id: int) -> int:
    """Mark the cycle edited now and move its revision on; returns the new revision.

    Every verb calls it once, so an app that polls the revision sees every edit."""
    s.execute(update(Cycle).where(Cycle.id == cycle_id)
              .values(updated_at=utcnow(), revision=Cycle.revision + 1))
    return s.scalar(select(Cycle.revision).where(Cycle.id == cycle_id))


def read_cycle(s: Session, cycle_id, *, where: str) -> dict:
    """A cycle with ``causes`` (each with its ``whys``), ``actions``, ``changes`` and
    ``checks`` as lists of dicts, oldest first, removed rows left out (see
    :meth:`Store.get_cycle`). Six queries, however many rows the cycle has."""
    cycle = as_dict(fetch(s, "cycle", cycle_id, where=where))
    cycle_id = cycle["id"]

    def rows(cls):
        stmt = select(cls).where(cls.cycle_id == cycle_id).order_by(cls.id)
        if hasattr(cls, "deleted_at"):
            stmt = stmt.where(cls.deleted_at.is_(None))
        return [as_dict(o) for o in s.scalars(stmt)]

    cycle["causes"] = rows(Cause)
    whys = {cause["id"]: [] for cause in cycle["causes"]}
    found = s.scalars(select(Why).join(Cause, Why.cause_id == Cause.id)
                      .where(Cause.cycle_id == cycle_id, Why.deleted_at.is_(None))
                      .order_by(Why.cause_id, Why.position))
    for why in found:
        if why.cause_id in whys:  # whys of a removed cause stay with it
            whys[why.cause_id].append(as_dict(why))
    for cause in cycle["causes"]:
        cause["whys"] = whys[cause["id"]]
    cycle["actions"] = rows(Action)
    cycle["changes"] = rows(Change)
    cycle["checks"] = rows(Check)
    for check in cycle["checks"]:
        check["details"] = json.loads(check["details"] or "{}")
    return cycle


def cycles_frame(s: Session) -> pd.DataFrame:
    """All cycles, most recently edited first, one row each (see :meth:`Store.list_cycles`)."""
    return as_frame(Cycle, s.scalars(select(Cycle).order_by(Cycle.updated_at.desc(), Cycle.id.desc())))
