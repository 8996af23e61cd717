"""Bringing a PDCA store's schema up to this version of qoswb with Alembic, in place.

:func:`upgrade` runs when a :class:`~qoswb.pdca.store.Store` opens: an empty
database gets every revision of :mod:`qoswb.pdca.migrations`; a store of qoswb
0.1.0 (tables but no ``alembic_version``) is stamped with revision 0001, its
schema, and upgraded; a store already at the head costs one query. A store written
by a newer qoswb is refused rather than touched. On PostgreSQL an advisory lock
lets one process upgrade at a time.

>>> from sqlalchemy import create_engine, inspect
>>> engine = create_engine("sqlite://")
>>> upgrade(engine)
'0003'
>>> "version" in {c["name"] for c in inspect(engine).get_columns("causes")}
True
"""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import inspect, text

from qoswb.errors import QoswbError

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST = "0001"  # the schema of qoswb 0.1.0, which had no alembic_version table
PG_UPGRADE_LOCK = 7_301_955  # advisory lock id: one process upgrades a store at a time


@functools.cache
def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    """The revision this qoswb writes.

    >>> head()
    '0003'
    """
    return _scripts().get_current_head()


def upgrade(engine) -> str:
    """Bring the store behind ``engine`` to :func:`head`; returns the revision it is at."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_UPGRADE_LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head():
            return current
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        if current is None and "cycles" in inspect(conn).get_table_names():
            command.stamp(config, FIRST)  # written by 0.1.0
        elif current is not None and current not in {
                script.revision for script in _scripts().walk_revisions()}:
            raise QoswbError(f"this PDCA store is at schema revision {current!r}, written by a "
                             f"newer qoswb than this one (which knows up to {head()!r}); "
                             "upgrade qoswb to open it")
        command.upgrade(config, "head")
    return head()
