"""Opening the PDCA database: the default SQLite file, WAL and busy timeout, or PostgreSQL.

SQLite is set up so that two kernels can write at once and a committed edit
survives a crash: WAL journal, a 30 s busy timeout, ``synchronous=FULL``, foreign
keys on, and BEGIN IMMEDIATE so a writer waits its turn instead of failing.

>>> make_engine("sqlite://").dialect.name
'sqlite'
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url

from qoswb.config import data_dir
from qoswb.errors import ParameterError
from qoswb.redact import safe_url

SQLITE_BUSY_TIMEOUT_MS = 30_000



def default_url() -> str:
    """The SQLite file ``pdca.sqlite`` in :func:`qoswb.config.data_dir`.

    >>> default_url().endswith("pdca.sqlite")
    True
    """
    return f"sqlite:///{data_dir() / 'pdca.sqlite'}"


def store_url(url) -> str:
    """``url`` as a database URL: a path (a ``Path``, or text without ``://``) is an SQLite file.

    >>> store_url("pdca.sqlite"), store_url("postgresql://host/db")
    ('sqlite:///pdca.sqlite', 'postgresql://host/db')
    """
    if isinstance(url, str) and "://" not in url:
        url = Path(url)
    return f"sqlite:///{url}" if isinstance(url, Path) else url


def make_engine(url):
    """A SQLAlchemy engine for a URL or an SQLite file path, set up as the module says."""
    url = store_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError, but say it our way
        raise ParameterError(f"url={url!r}: not a database URL ({exc})") from None
    if parsed.drivername == "postgresql":  # psycopg 3 is what qoswb[postgres] installs
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except Exception as exc:  # no driver for this kind of database
            raise ParameterError(f"url={safe_url(parsed)!r}: "
                                 f"cannot use this database ({exc})") from None
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's late, implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed edit survives a power cut too
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        # Take the write lock at BEGIN: a deferred transaction that reads and then writes
        # fails at once with "database is locked" when another kernel wrote in between,
        # whereas BEGIN IMMEDIATE simply waits its turn (up to the busy timeout).
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


