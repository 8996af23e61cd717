"""The durable PDCA record: small verbs that each save at once, with a history of every edit.

A workshop has no save button to forget: every verb (``new_cycle``, ``add_cause``,
``vote``…) runs in its own short transaction and is on disk when it returns, its
history rows committed in the same transaction. The default store is an SQLite
file in the project's data folder (WAL mode and a busy timeout, so two kernels
can write at once); teams that share one store pass a PostgreSQL URL.

Two at the table: every editable row has a ``version``; :meth:`Store.update` given the
``version`` you loaded raises :class:`~qoswb.pdca.history.EditConflict` (with both
values) instead of overwriting a field someone else changed since; an app polls
:meth:`Store.revision` (one small query) and reads :meth:`Store.changes_since` when
it moved. Authors come from :func:`qoswb.pdca.authors.session_user` (the JupyterHub
or Voila user), else ``store.author = name`` once per session; "remove" is a soft
delete that :meth:`Store.restore` undoes.

The change log and its merging of typing bursts live in :mod:`qoswb.pdca.history`;
looking rows up and reading a whole cycle, in :mod:`qoswb.pdca.records`; the schema
and its Alembic migrations, in :mod:`qoswb.pdca.schema`.

>>> store = Store("sqlite://")                     # in memory, for the example
>>> cycle = store.new_cycle("Slow first response", team="Desk A", kpi="first_response")
>>> cause = store.add_cause(cycle["id"], "Nobody watches the queue at lunch", category="people")
>>> store.vote(cause["id"])
1
>>> [c["text"] for c in store.get_cycle(cycle["id"])["causes"]]
['Nobody watches the queue at lunch']
"""

from __future__ import annotations

import json
import os
import uuid

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from qoswb.errors import ParameterError, QoswbError
from qoswb.pdca import model, schema
from qoswb.pdca.database import default_url, make_engine
from qoswb.pdca.authors import author_name, session_user
from qoswb.pdca.fields import EDITABLE, MAX_VOTES, as_text, clean, whole_number
from qoswb.pdca.history import EditConflict, conflicts_since, history_frame, log_edit, row_json
from qoswb.pdca.model import ENTITIES, Cause, Why, utcnow
from qoswb.pdca.records import as_dict, cycle_of, cycles_frame, fetch, read_cycle, touch
from qoswb.redact import safe_url


class Store:
    """The PDCA record in SQLite (default: ``data_dir()/pdca.sqlite``) or PostgreSQL.

    Parameters
    ----------
    url : str or Path, optional
        A SQLAlchemy URL (``"postgresql://user@host/db"``, ``"sqlite:///path"``) or
        the path of an SQLite file. Default: :func:`default_url`.
    author : str, optional
        Written into every history row; default :func:`qoswb.pdca.authors.session_user`
        (the JupyterHub or Voila user). When no one can be named, :attr:`author` is
        None (the history says "" then) and the app asks once: ``store.author = "Ana"``.

    Every verb saves at once in its own transaction and returns plain dicts
    (one record) or DataFrames (many records).

    >>> store = Store("sqlite://")
    >>> store.new_cycle("Too many reopened tickets")["stage"]
    'plan'
    """

    def __init__(self, url=None, *, author: str | None = None):
        self.engine = make_engine(default_url() if url is None else url)
        self.url = safe_url(self.engine.url)
        self._author = session_user() if author is None else author_name(author)
        # One Store object is one editing session (one kernel, one browser): typing bursts
        # merge only within it, and its own saves are never a conflict with itself.
        self.session = uuid.uuid4().hex[:12]
        self._pid = os.getpid()
        try:
            self._create_tables()
        except OperationalError as exc:  # no server, no such folder, not a database file
            raise QoswbError(f"cannot open the PDCA store {self.url}: "
                             f"{str(exc.orig).splitlines()[0]}") from None

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def author(self) -> str | None:
        """Who this session's edits are written as; set it once when it is None.

        >>> store = Store("sqlite://", author="Ana")
        >>> store.author = "  Ben "
        >>> store.author
        'Ben'
        """
        return self._author

    @author.setter
    def author(self, name) -> None:
        self._author = author_name(name)

    # ---- plumbing -------------------------------------------------------------
    def _create_tables(self) -> None:
        schema.upgrade(self.engine)  # Alembic: a new store, or one of an older qoswb, in place

    def _session(self) -> Session:
        if os.getpid() != self._pid:
            # A forked process must not share the parent's pooled connections.
            self.engine.dispose(close=False)
            self._pid = os.getpid()
        return Session(self.engine, expire_on_commit=False)

    def _get(self, s: Session, entity: str, entity_id, *, lock: bool = False,
             removed: bool = False):
        return fetch(s, entity, entity_id, where=self.url, lock=lock, removed=removed)

    def _log(self, s: Session, cycle_id: int, revision: int, entity: str, obj, field: str,
             old, new, typing: float = 0) -> None:
        log_edit(s, self._author or "", cycle_id, entity, obj.id, field, old, new,
                 typing=typing, session=self.session, version=getattr(obj, "version", None),
                 revision=revision)

    def _check_link(self, s: Session, entity: str, entity_id: int, values: dict) -> None:
        """A cycle's ``next_cycle_id`` must name another cycle of this store."""
        target = values.get("next_cycle_id") if entity == "cycle" else None
        if target is None:
            return
        if target == entity_id:
            raise ParameterError(f"cycle.next_cycle_id={target}: a cycle cannot follow itself")
        if s.get(model.Cycle, target) is None:
            raise ParameterError(f"cycle.next_cycle_id={target}: no such cycle in {self.url}")

    def _create(self, entity: str, fields: dict, **keys) -> dict:
        values = clean(entity, fields)
        with self._session() as s, s.begin():
            if "cycle_id" in keys:
                keys["cycle_id"] = self._get(s, "cycle", keys["cycle_id"], lock=True).id
            if "cause_id" in keys:
                cause = self._get(s, "cause", keys["cause_id"], lock=True)
                keys["cause_id"] = cause.id
            if entity == "why":  # next place in the chain; the cause row lock serialises this
                last = s.scalar(select(func.max(Why.position)).where(Why.cause_id == cause.id))
                keys["position"] = (last or 0) + 1
            obj = ENTITIES[entity](**keys, **values)
            s.add(obj)
            s.flush()  # assigns obj.id
            self._check_link(s, entity, obj.id, values)
            cycle_id = cycle_of(s, entity, obj)
            revision = touch(s, cycle_id)
            for name in EDITABLE[entity]:  # the whole initial state, defaults included
                value = getattr(obj, name)
                if value is not None and value != "":
                    self._log(s, cycle_id, revision, entity, obj, name, None, value)
            if entity == "cycle":
                s.refresh(obj)  # its revision moved in the database
            return as_dict(obj)

    def update(self, entity: str, entity_id: int, *, version: int | None = None,
               typing: float = 0, **fields) -> dict:
        """Change fields of one cycle, cause, why, action or change; history keeps old and new.

        ``version``: the row's ``version`` as you loaded it (every dict the store
        returns has it). When another session has since changed one of these fields
        to something else, nothing is saved and :class:`~qoswb.pdca.history.EditConflict`
        is raised with both values; fields changed by others that you do not touch
        are no conflict. Without ``version`` the edit simply applies (last writer wins).
        The returned dict has the new ``version``.

        ``typing`` (seconds): an app saving every keystroke passes e.g. 60, so that
        a burst of typing in one field by one author, with no other edit of the
        cycle in between, stays one history row (its old value from before the
        burst, its new value and time the latest) instead of one row per key.

        >>> store = Store("sqlite://")
        >>> cid = store.new_cycle("Queue")["id"]
        >>> store.update("cycle", cid, stage="do")["stage"]
        'do'
        """
        if entity not in EDITABLE:
            raise ParameterError(f"entity={entity!r}: expected one of {', '.join(EDITABLE)}")
        values = clean(entity, fields)
        with self._session() as s, s.begin():
            obj = self._get(s, entity, entity_id, lock=True)
            if version is not None:
                loaded = whole_number(version, f"{entity}.version", 1)
                found = conflicts_since(s, entity, obj, loaded, values, self.session)
                if found:
                    raise EditConflict(entity, obj.id, loaded, obj.version, found)
            self._check_link(s, entity, obj.id, values)
            cycle_id = cycle_of(s, entity, obj)
            changed = {name: value for name, value in values.items()
                       if getattr(obj, name) != value}
            if not changed:
                return as_dict(obj)
            obj.version += 1
            revision = touch(s, cycle_id)
            for name, value in changed.items():
                old = getattr(obj, name)
                setattr(obj, name, value)
                self._log(s, cycle_id, revision, entity, obj, name, old, value, typing)
            s.flush()
            if entity == "cycle":
                s.refresh(obj)  # its revision moved in the database
            return as_dict(obj)

    # ---- the verbs ------------------------------------------------------------
    def new_cycle(self, title: str, **fields) -> dict:
        """Open a PDCA cycle (stage "plan"); ``fields`` as in :meth:`update_cycle`.

        >>> Store("sqlite://").new_cycle("Long waits", team="Desk B")["team"]
        'Desk B'
        """
        return self._create("cycle", {"title": title, **fields})

    def update_cycle(self, cycle_id: int, *, version: int | None = None, typing: float = 0,
                     **fields) -> dict:
        """Set title, problem, team, kpi, grain, baseline, target, stage, decision, standardised,
        follow_up, notes or next_cycle_id of a cycle.

        >>> store = Store("sqlite://")
        >>> store.update_cycle(store.new_cycle("Waits")["id"], decision="adopt")["decision"]
        'adopt'
        """
        return self.update("cycle", cycle_id, version=version, typing=typing, **fields)

    def add_cause(self, cycle_id: int, text: str, category: str = "process",
                  is_root: bool = False) -> dict:
        """Put a cause on the fishbone under ``category`` (any text; defaults in
        :data:`qoswb.pdca.model.CATEGORIES`).

        >>> store = Store("sqlite://")
        >>> store.add_cause(store.new_cycle("Waits")["id"], "Rota gaps", "people")["votes"]
        0
        """
        return self._create("cause", {"text": text, "category": category, "is_root": is_root},
                            cycle_id=cycle_id, votes=0)

    def update_cause(self, cause_id: int, *, version: int | None = None, **fields) -> dict:
        """Change a cause's text or category, or mark it a root cause (``is_root=True``).

        >>> store = Store("sqlite://")
        >>> cause = store.add_cause(store.new_cycle("Waits")["id"], "Rota gaps")
        >>> store.update_cause(cause["id"], is_root=True)["is_root"]
        True
        """
        return self.update("cause", cause_id, version=version, **fields)

    def vote(self, cause_id: int, by: int = 1) -> int:
        """Add ``by`` votes (negative to take back) to a cause; returns the new count.

        The increment happens in the database, so two kernels voting at once both count.
        ``by`` is a whole number, and the count stays within 0 to 1,000.

        >>> store = Store("sqlite://")
        >>> cause = store.add_cause(store.new_cycle("Waits")["id"], "Rota gaps")
        >>> store.vote(cause["id"], 3)
        3
        """
        by = whole_number(by, "vote.by")
        with self._session() as s, s.begin():
            cause = self._get(s, "cause", cause_id, lock=True)
            old = cause.votes
            whole_number(old + by, f"cause {cause.id} votes ({old} {by:+d})", 0, MAX_VOTES)
            s.execute(update(Cause).where(Cause.id == cause.id)
                      .values(votes=Cause.votes + by, version=Cause.version + 1))
            s.refresh(cause)
            revision = touch(s, cause.cycle_id)
            self._log(s, cause.cycle_id, revision, "cause", cause, "votes", old, cause.votes)
            return cause.votes

    def add_why(self, cause_id: int, text: str) -> dict:
        """Append the next "why?" to a cause's chain (positions 1, 2, 3…).

        >>> store = Store("sqlite://")
        >>> cause = store.add_cause(store.new_cycle("Waits")["id"], "Rota gaps")
        >>> store.add_why(cause["id"], "Lunch breaks overlap")["position"]
        1
        """
        return self._create("why", {"text": text}, cause_id=cause_id)

    def add_action(self, cycle_id: int, action: str, owner: str = "", due=None,
                   status: str = "open", notes: str = "") -> dict:
        """Add a countermeasure to the plan; ``due`` a date or ISO string.

        >>> store = Store("sqlite://")
        >>> store.add_action(store.new_cycle("Waits")["id"], "Stagger lunch", "Ana",
        ...                  "2026-03-31")["due"]
        datetime.date(2026, 3, 31)
        """
        return self._create("action", {"action": action, "owner": owner, "due": due,
                                       "status": status, "notes": notes}, cycle_id=cycle_id)

    def update_action(self, action_id: int, *, version: int | None = None, **fields) -> dict:
        """Change an action's text, owner, due date, status (open/doing/done/dropped) or notes.

        >>> store = Store("sqlite://")
        >>> act = store.add_action(store.new_cycle("Waits")["id"], "Stagger lunch")
        >>> store.update_action(act["id"], status="done")["status"]
        'done'
        """
        return self.update("action", action_id, version=version, **fields)

    def add_change(self, cycle_id: int, what: str, changed_on, notes: str = "") -> dict:
        """Record the Do step: what was changed and the date it took effect.

        >>> store = Store("sqlite://")
        >>> store.add_change(store.new_cycle("Waits")["id"], "New rota", "2026-04-01")["what"]
        'New rota'
        """
        if changed_on is None:
            raise ParameterError("change.changed_on: the date the change took effect is needed")
        return self._create("change", {"what": what, "changed_on": changed_on, "notes": notes},
                            cycle_id=cycle_id)

    def remove(self, entity: str, entity_id: int) -> None:
        """Take a cause (with its whys), why, action or change off the record; :meth:`restore`
        puts it back, and the history keeps who removed what.

        >>> store = Store("sqlite://")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> store.remove("cause", store.add_cause(cid, "typo")["id"])
        >>> store.get_cycle(cid)["causes"]
        []
        """
        self._removable(entity)
        with self._session() as s, s.begin():
            obj = self._get(s, entity, entity_id, lock=True)
            cycle_id = cycle_of(s, entity, obj)
            revision = touch(s, cycle_id)
            gone = [obj]
            if entity == "cause":  # its whys go with it, and come back with it
                gone = [*s.scalars(select(Why).where(Why.cause_id == obj.id,
                                                     Why.deleted_at.is_(None))), obj]
            now = utcnow()
            for item in gone:
                item.deleted_at, item.version = now, item.version + 1
                name = "why" if isinstance(item, Why) else entity
                self._log(s, cycle_id, revision, name, item, "removed", row_json(item), None)

    def restore(self, entity: str, entity_id: int) -> dict:
        """Undo :meth:`remove`: the row (a cause with the whys removed with it) is back.

        >>> store = Store("sqlite://")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> cause = store.add_cause(cid, "Rota gaps")
        >>> store.remove("cause", cause["id"])
        >>> store.restore("cause", cause["id"])["text"]
        'Rota gaps'
        """
        self._removable(entity)
        with self._session() as s, s.begin():
            obj = self._get(s, entity, entity_id, lock=True, removed=True)
            if obj.deleted_at is None:
                raise ParameterError(f"{entity}_id={obj.id}: this {entity} is not removed")
            if entity == "why":
                self._get(s, "cause", obj.cause_id)  # refused while its cause is removed
            cycle_id = cycle_of(s, entity, obj)
            revision = touch(s, cycle_id)
            back = [obj]
            if entity == "cause":
                back += s.scalars(select(Why).where(Why.cause_id == obj.id,
                                                    Why.deleted_at == obj.deleted_at))
            for item in back:
                item.deleted_at, item.version = None, item.version + 1
                name = "why" if isinstance(item, Why) else entity
                self._log(s, cycle_id, revision, name, item, "restored", None, row_json(item))
            s.flush()
            return as_dict(obj)

    def removed(self, cycle_id: int) -> pd.DataFrame:
        """What was taken off a cycle and can be restored, latest first: ``entity``, ``id``,
        ``text``, ``removed_at``, ``removed_by``.

        >>> store = Store("sqlite://", author="Ana")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> store.remove("action", store.add_action(cid, "Call the courier")["id"])
        >>> store.removed(cid)[["entity", "text", "removed_by"]].values.tolist()
        [['action', 'Call the courier', 'Ana']]
        """
        history = self.history(cycle_id).query("field == 'removed'")
        rows = []
        with self._session() as s:
            for name, label in (("cause", "text"), ("why", "text"), ("action", "action"),
                                ("change", "what")):
                cls = ENTITIES[name]
                stmt = select(cls).where(cls.deleted_at.is_not(None))
                stmt = (stmt.join(Cause, cls.cause_id == Cause.id).where(Cause.cycle_id == cycle_id)
                        if name == "why" else stmt.where(cls.cycle_id == cycle_id))
                for obj in s.scalars(stmt):
                    by = history[(history["entity"] == name) & (history["entity_id"] == obj.id)]
                    rows.append({"entity": name, "id": obj.id, "text": getattr(obj, label),
                                 "removed_at": obj.deleted_at,
                                 "removed_by": by["author"].iloc[-1] if len(by) else ""})
        frame = pd.DataFrame(rows, columns=["entity", "id", "text", "removed_at", "removed_by"])
        return frame.sort_values("removed_at", ascending=False, ignore_index=True)

    @staticmethod
    def _removable(entity: str) -> None:
        if entity not in ("cause", "why", "action", "change"):
            raise ParameterError(f"entity={entity!r}: expected cause, why, action or change")

    def record_check(self, cycle_id: int, result) -> dict:
        """Store a Check-step result (a :class:`~qoswb.pdca.compare.CheckResult` or its dict).

        >>> store = Store("sqlite://")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> store.record_check(cid, {"kind": "time", "test": "Mann-Whitney U",
        ...                          "verdict": "improved", "p_value": 0.01})["verdict"]
        'improved'
        """
        data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        missing = [k for k in ("kind", "test", "verdict") if not data.get(k)]
        if missing:
            raise ParameterError(f"record_check: the result lacks {', '.join(missing)}")
        columns = {c.key for c in model.Check.__table__.columns} - {"id", "cycle_id",
                                                                   "created_at", "details"}
        values = {k: data.get(k) for k in columns if data.get(k) is not None}
        with self._session() as s, s.begin():
            cycle_id = self._get(s, "cycle", cycle_id, lock=True).id
            obj = model.Check(cycle_id=cycle_id, details=json.dumps(data, default=as_text),
                              **values)
            s.add(obj)
            s.flush()
            revision = touch(s, cycle_id)
            self._log(s, cycle_id, revision, "check", obj, "verdict", None, obj.verdict)
            return as_dict(obj)

    # ---- reading --------------------------------------------------------------
    def get_cycle(self, cycle_id: int) -> dict:
        """One cycle as a dict, with ``causes`` (each with its ``whys``), ``actions``,
        ``changes`` and ``checks`` as lists of dicts, oldest first.

        >>> store = Store("sqlite://")
        >>> sorted(store.get_cycle(store.new_cycle("Waits")["id"]))[:3]
        ['actions', 'baseline', 'causes']
        """
        with self._session() as s:
            return read_cycle(s, cycle_id, where=self.url)

    def list_cycles(self) -> pd.DataFrame:
        """All cycles, most recently edited first (one row each, no children).

        >>> Store("sqlite://").list_cycles().columns[:3].tolist()
        ['id', 'title', 'problem']
        """
        with self._session() as s:
            return cycles_frame(s)

    def history(self, cycle_id: int | None = None) -> pd.DataFrame:
        """Who changed what and when: every edit (of one cycle, or of all), oldest first —
        ``at``, ``author``, ``cycle_id``, ``entity``, ``entity_id``, ``field``, ``old``,
        ``new``, and the row's ``version``, the cycle's ``revision`` and the ``session``.
        A removal is a row with field "removed" (old: the row as JSON), an undo "restored".

        >>> store = Store("sqlite://", author="Ana")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> store.history(cid)[["author", "entity", "field", "new"]].values.tolist()
        [['Ana', 'cycle', 'title', 'Waits'], ['Ana', 'cycle', 'stage', 'plan']]
        """
        with self._session() as s:
            return history_frame(s, cycle_id)

    def revision(self, cycle_id: int) -> int:
        """The cycle's revision: one more with every edit of it or anything on it. One small
        query, for an app to poll every few seconds; when it moved, read the cycle again
        and :meth:`changes_since` the revision you had.

        >>> store = Store("sqlite://")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> before = store.revision(cid)
        >>> _ = store.add_cause(cid, "Rota gaps")
        >>> store.revision(cid) - before
        1
        """
        with self._session() as s:
            found = s.scalar(select(model.Cycle.revision).where(
                model.Cycle.id == whole_number(cycle_id, "cycle_id")))
        if found is None:
            raise ParameterError(f"cycle_id={cycle_id!r}: no such cycle in {self.url}")
        return found

    def changes_since(self, cycle_id: int, since) -> pd.DataFrame:
        """The edits of a cycle after revision ``since`` (an int from :meth:`revision`) or
        after a time (a datetime), as :meth:`history` gives them; a typing burst that went
        on is there again with its latest value.

        >>> store = Store("sqlite://", author="Ana")
        >>> cid = store.new_cycle("Waits")["id"]
        >>> seen = store.revision(cid)
        >>> _ = store.update_cycle(cid, target="2 h")
        >>> store.changes_since(cid, seen)[["field", "new"]].values.tolist()
        [['target', '2 h']]
        """
        with self._session() as s:
            return history_frame(s, cycle_id, since=since)

    def close(self) -> None:
        """Release the database connections (the file stays)."""
        self.engine.dispose()


__all__ = ["Store", "default_url", "EDITABLE"]  # default_url and EDITABLE re-exported
