"""The PDCA record as SQLAlchemy 2 tables: cycles and what hangs off them, plus a history.

One cycle per problem. Causes sit on the fishbone (a category, a text, votes, and
whether the room chose it as a root cause); each cause may carry a 5-whys chain
(ordered). Actions are the countermeasure plan; changes are the Do step (what was
changed, and when: the date splits the chart into phases); checks keep the Check
step's results. ``history`` holds every edit: when, by whom, which entity and
field, old and new value, so nothing the room said is lost.

Each editable row has a ``version`` (one more per saved edit: optimistic
concurrency), causes, whys, actions and changes a ``deleted_at`` (a removal can be
undone), and a cycle a ``revision`` that every edit on it moves on. The schema is
made and upgraded by the Alembic revisions in :mod:`qoswb.pdca.migrations`, never
by ``create_all``, so a store of an older release opens in this one.

Times are stored as naive UTC (SQLite has no time zones) and read back as
tz-aware UTC through :class:`UTCDateTime`.

>>> from qoswb.pdca.model import Base
>>> sorted(Base.metadata.tables)
['actions', 'causes', 'changes', 'checks', 'cycles', 'history', 'whys']
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The values the workshop offers; the store refuses others so that reports and
# filters can rely on them.
CYCLE_STAGES = ("plan", "do", "check", "act", "closed")
DECISIONS = ("adopt", "adapt", "abandon")
# The period a cycle's KPI is counted in (as qoswb.metrics.kpis' freq): day, week, month, quarter.
GRAINS = ("D", "W", "M", "Q")
ACTION_STATUSES = ("open", "doing", "done", "dropped")
# Service flavour of Ishikawa's 6M: the default bones of a fishbone.
CATEGORIES = ("people", "process", "policy", "place", "technology", "customer")


def utcnow() -> dt.datetime:
    """Now, tz-aware UTC (the one clock every history row uses)."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp kept as naive UTC in the database and returned tz-aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:  # a naive time is taken to be UTC already
            return value
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the PDCA tables."""


def _version():
    """One more per saved edit of the row: an edit made against an older one is a conflict."""
    return mapped_column(Integer, nullable=False, default=1, server_default="1")


def _deleted_at():
    """When the row was removed (None: on the record); "remove" can be undone."""
    return mapped_column(UTCDateTime, nullable=True)


class Cycle(Base):
    """One PDCA cycle: a problem, its KPI and baseline, a target, and how it ended."""

    __tablename__ = "cycles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str | None] = mapped_column(String(200))
    kpi: Mapped[str | None] = mapped_column(String(100))
    grain: Mapped[str | None] = mapped_column(String(10))  # one of GRAINS; None: not recorded
    baseline: Mapped[str | None] = mapped_column(Text)  # e.g. "centre 82 %, limits 74–90 %"
    target: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(10), default="plan")
    decision: Mapped[str | None] = mapped_column(String(10))  # adopt / adapt / abandon
    standardised: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    next_cycle_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = _version()
    # One more with every edit of the cycle or anything on it: what an app polls.
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class Cause(Base):
    """A cause on the fishbone: its bone (category), text, votes and root-cause flag."""

    __tablename__ = "causes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    category: Mapped[str] = mapped_column(String(100), default="process")
    text: Mapped[str] = mapped_column(Text)
    votes: Mapped[int] = mapped_column(Integer, default=0)
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = _version()
    deleted_at: Mapped[dt.datetime | None] = _deleted_at()


class Why(Base):
    """One step of a cause's 5-whys chain; ``position`` 1, 2, 3… orders the chain."""

    __tablename__ = "whys"
    __table_args__ = (UniqueConstraint("cause_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("causes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = _version()
    deleted_at: Mapped[dt.datetime | None] = _deleted_at()


class Action(Base):
    """A countermeasure in the action plan: what, who, by when, how far."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = _version()
    deleted_at: Mapped[dt.datetime | None] = _deleted_at()


class Change(Base):
    """The Do step: a change made to the process and the date it took effect."""

    __tablename__ = "changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    changed_on: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = _version()
    deleted_at: Mapped[dt.datetime | None] = _deleted_at()


class Check(Base):
    """A stored Check-step result (see :func:`qoswb.pdca.compare.evaluate`)."""

    __tablename__ = "checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    test: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))
    effect: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    effect_size: Mapped[float | None] = mapped_column(Float)
    more_periods_needed: Mapped[int | None] = mapped_column(Integer)
    reading: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # the full result as JSON
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class History(Base):
    """Every edit: time, author, entity (table) and id, field, old and new value as text."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    author: Mapped[str] = mapped_column(String(200), default="")
    cycle_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(50))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)  # the row's version after the edit
    revision: Mapped[int | None] = mapped_column(Integer)  # the cycle's revision after it
    session: Mapped[str | None] = mapped_column(String(40))  # which Store object wrote it
    __table_args__ = (Index("ix_history_cycle_revision", "cycle_id", "revision"),)


# entity name (as used in history and by the store's verbs) -> ORM class
ENTITIES = {"cycle": Cycle, "cause": Cause, "why": Why, "action": Action,
            "change": Change, "check": Check}
