"""A store written by qoswb 0.1.0 opens in this version and is upgraded in place (Alembic),
on SQLite (tests/fixtures/pdca-0.1.0.sqlite) and PostgreSQL (…postgresql.sql, a pg_dump)."""

import datetime as dt
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from qoswb.errors import QoswbError
from qoswb.pdca import schema
from qoswb.pdca.model import Base
from qoswb.pdca.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _pg_database(request):
    """A throwaway PostgreSQL database for one test; its URL."""
    name = f"qoswb_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not reachable: {exc}")

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    request.addfinalizer(drop)
    return f"{PG_SERVER}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_store(request, tmp_path):
    """The URL of a copy of the 0.1.0 fixture store."""
    if request.param == "sqlite":
        path = tmp_path / "pdca.sqlite"
        shutil.copy(FIXTURES / "pdca-0.1.0.sqlite", path)
        return f"sqlite:///{path}"
    url = _pg_database(request)
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute((FIXTURES / "pdca-0.1.0.postgresql.sql").read_text())  # no parameters
    return url


def _columns(url, table):
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_a_0_1_0_store_opens_upgraded_in_place_with_everything_in_it(old_store):
    assert "version" not in _columns(old_store, "causes")  # really the old schema
    store = Store(old_store, author="ben")
    assert {"version", "deleted_at"} <= _columns(old_store, "causes")
    assert {"version", "revision", "grain"} <= _columns(old_store, "cycles")
    cycles = store.list_cycles()
    assert sorted(cycles["title"]) == ["Reopened tickets", "Slow first response"]
    first = store.get_cycle(int(cycles.query("title == 'Slow first response'")["id"].iloc[0]))
    assert (first["team"], first["kpi"], first["stage"], first["decision"]) == (
        "Returns", "sla_response", "act", "adopt")
    lunch = first["causes"][0]
    assert (lunch["text"], lunch["votes"], lunch["version"]) == (
        "Nobody watches the queue at lunch", 3, 1)
    assert [w["text"] for w in lunch["whys"]] == ["Lunch breaks overlap",
                                                 "The rota is made by hand"]
    assert [c["text"] for c in first["causes"]] == ["Nobody watches the queue at lunch",
                                                    "Triage rules unclear"]  # typo removed
    assert first["actions"][0]["due"] == dt.date(2024, 10, 15)
    assert first["changes"][0]["changed_on"] == dt.date(2024, 10, 21)
    assert first["checks"][0]["verdict"] == "improved"
    assert first["next_cycle_id"] == int(cycles.query("title == 'Reopened tickets'")["id"].iloc[0])
    history = store.history(first["id"])
    assert len(history) >= 20 and set(history["author"]) == {"ana"}
    # and it works as a store of this version: edits, versions, a new author
    store.update_cause(lunch["id"], text="Nobody watches the queue at noon")
    again = store.get_cycle(first["id"])["causes"][0]
    assert (again["text"], again["version"]) == ("Nobody watches the queue at noon", 2)
    assert store.history(first["id"])["author"].iloc[-1] == "ben"
    assert first["grain"] is None  # 0.1.0 did not record it
    store.update_cycle(first["id"], grain="M")  # revision 0003's column, written and read back
    assert store.get_cycle(first["id"])["grain"] == "M"
    store.close()
    # a second open finds it at the head and changes nothing
    assert schema.upgrade(Store(old_store).engine) == schema.head()


def test_the_sqlite_fixture_stays_untouched_by_the_tests():
    """The fixture itself is the 0.1.0 schema: no alembic_version, no version column."""
    with sqlite3.connect(f"file:{FIXTURES / 'pdca-0.1.0.sqlite'}?mode=ro", uri=True) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in conn.execute("PRAGMA table_info(causes)")}
    assert "alembic_version" not in tables and "cycles" in tables
    assert "version" not in columns


@pytest.mark.parametrize("backend", ["sqlite",
                                     pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_revisions_build_exactly_the_model(backend, tmp_path, request):
    """From an empty database and from 0.1.0 alike, Alembic's comparison of the upgraded
    schema with the ORM model finds nothing missing or extra."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = (f"sqlite:///{tmp_path / 'new.sqlite'}" if backend == "sqlite"
           else _pg_database(request))
    engine = create_engine(url)
    assert schema.upgrade(engine) == schema.head()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_store_from_a_newer_qoswb_is_refused_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(QoswbError, match="revision '0099', written by a newer qoswb"):
        Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0099",)


def test_the_downgrade_of_the_latest_revision_returns_to_0_1_0s_schema(tmp_path):
    """Each revision can be undone, so a bad release can be rolled back."""
    from alembic import command
    from alembic.config import Config

    path = tmp_path / "pdca.sqlite"
    shutil.copy(FIXTURES / "pdca-0.1.0.sqlite", path)
    engine = create_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, schema.FIRST)
        assert "version" not in {c["name"] for c in inspect(conn).get_columns("causes")}
        assert "grain" not in {c["name"] for c in inspect(conn).get_columns("cycles")}
        assert conn.execute(text("SELECT count(*) FROM causes")).scalar() == 2
    engine.dispose()
