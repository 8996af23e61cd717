"""The PDCA record: every verb saves at once, history keeps every edit, on SQLite and PostgreSQL.

Concurrency and crash tests run real processes: two writers on different cycles
lose nothing; a writer killed with SIGKILL keeps every edit it had reported as
committed.
"""

import datetime as dt
import multiprocessing as mp
import os
import signal
import sqlite3
import uuid

import pytest

from qoswb.errors import ParameterError
from qoswb.pdca.store import Store

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A fresh, empty store: an SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pdca.sqlite'}"
        return
    sqlalchemy = pytest.importorskip("sqlalchemy")
    name = f"qoswb_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not reachable: {exc}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_every_verb_saves_and_reads_back(store_url):
    store = Store(store_url, author="facilitator")
    cycle = store.new_cycle("Slow first response", team="Desk A", kpi="first_response",
                            problem="Median first response doubled since March")
    cid = cycle["id"]
    store.update_cycle(cid, target="median under 2 h", stage="do")
    cause = store.add_cause(cid, "Lunch breaks overlap", category="people")
    other = store.add_cause(cid, "Triage rules unclear", category="process")
    assert store.vote(cause["id"]) == 1
    assert store.vote(cause["id"], 2) == 3
    store.add_why(cause["id"], "Everyone takes lunch at 12")
    store.add_why(cause["id"], "The rota was never staggered")
    store.update_cause(cause["id"], is_root=True)
    action = store.add_action(cid, "Stagger lunch", owner="Ana", due="2026-03-31")
    store.update_action(action["id"], status="done")
    store.add_change(cid, "Staggered rota", dt.date(2026, 4, 1), notes="two shifts")
    store.record_check(cid, {"kind": "time", "test": "Mann-Whitney U", "verdict": "improved",
                             "p_value": 0.004, "effect": -35.0, "ci_low": -50.0,
                             "ci_high": -20.0, "extra": [1, 2]})
    got = store.get_cycle(cid)

    assert got["title"] == "Slow first response" and got["stage"] == "do"
    assert got["target"] == "median under 2 h"
    assert [c["text"] for c in got["causes"]] == ["Lunch breaks overlap", "Triage rules unclear"]
    first = got["causes"][0]
    assert (first["votes"], first["is_root"], first["category"]) == (3, True, "people")
    assert [(w["position"], w["text"]) for w in first["whys"]] == [
        (1, "Everyone takes lunch at 12"), (2, "The rota was never staggered")]
    assert got["causes"][1]["whys"] == [] and got["causes"][1]["id"] == other["id"]
    assert got["actions"][0]["due"] == dt.date(2026, 3, 31)
    assert got["actions"][0]["status"] == "done" and got["actions"][0]["owner"] == "Ana"
    assert got["changes"][0]["changed_on"] == dt.date(2026, 4, 1)
    check = got["checks"][0]
    assert check["verdict"] == "improved" and check["p_value"] == pytest.approx(0.004)
    assert check["details"]["extra"] == [1, 2]
    assert got["updated_at"] >= got["created_at"]
    assert got["created_at"].tzinfo is not None

    history = store.history(cid)
    assert (history["author"] == "facilitator").all()
    assert history["at"].is_monotonic_increasing
    stage = history.query("entity == 'cycle' and field == 'stage'")
    assert stage["old"].isna().tolist() == [True, False]  # created as "plan", then moved on
    assert stage["new"].tolist() == ["plan", "do"] and stage["old"].iloc[1] == "plan"
    votes = history.query("field == 'votes'")[["old", "new"]].values.tolist()
    assert votes == [["0", "1"], ["1", "3"]]  # the increments, not a rewrite
    status = history.query("entity == 'action' and field == 'status'")
    assert status["new"].tolist() == ["open", "done"]

    listed = store.list_cycles()
    assert listed["id"].tolist() == [cid] and listed.loc[0, "team"] == "Desk A"
    store.close()


@pytest.mark.parametrize(("votes", "message"), [
    (2.5, "vote.by=2.5: expected a whole number"),
    ("3", None), ("many", "vote.by='many'"), (True, "vote.by=True"),
    (1001, "votes (0 +1001)=1001: expected a whole number from 0 to 1000"),
    (-1, "votes (0 -1)=-1: expected a whole number from 0 to 1000"),
])
def test_votes_are_whole_numbers_from_0_to_1000(tmp_path, votes, message):
    store = Store(tmp_path / "pdca.sqlite")
    cause = store.add_cause(store.new_cycle("Queue")["id"], "Rota gaps")
    if message is None:  # a whole number given as text is fine
        assert store.vote(cause["id"], votes) == 3
        return
    with pytest.raises(ParameterError) as info:
        store.vote(cause["id"], votes)
    assert message in str(info.value)
    assert store.get_cycle(cause["cycle_id"])["causes"][0]["votes"] == 0


def test_votes_stop_at_1000_and_next_cycle_links_another(tmp_path):
    store = Store(tmp_path / "pdca.sqlite")
    first, second = (store.new_cycle(t)["id"] for t in ("Queue", "Queue again"))
    cause = store.add_cause(first, "Rota gaps")
    assert store.vote(cause["id"], 1000) == 1000
    with pytest.raises(ParameterError, match="from 0 to 1000"):
        store.vote(cause["id"])
    assert store.vote(cause["id"], -1000) == 0
    assert store.update_cycle(first, next_cycle_id=second)["next_cycle_id"] == second
    assert store.update_cycle(first, next_cycle_id=None)["next_cycle_id"] is None


def test_an_update_that_changes_nothing_writes_no_history(tmp_path):
    store = Store(tmp_path / "pdca.sqlite")
    cid = store.new_cycle("Queue", team="A")["id"]
    before = len(store.history(cid))
    store.update_cycle(cid, team="A")
    assert len(store.history(cid)) == before


def test_remove_keeps_the_removed_row_in_history(tmp_path):
    store = Store(tmp_path / "pdca.sqlite")
    cid = store.new_cycle("Queue")["id"]
    cause = store.add_cause(cid, "typo cause")
    store.add_why(cause["id"], "because")
    store.remove("cause", cause["id"])
    assert store.get_cycle(cid)["causes"] == []
    removed = store.history(cid).query("field == 'removed'")
    assert removed["entity"].tolist() == ["why", "cause"]
    assert "typo cause" in removed["old"].iloc[1]


@pytest.mark.parametrize(("call", "message"), [
    (lambda s, c: s.update_cycle(c, colour="red"), "cycle.colour: not an editable field"),
    (lambda s, c: s.update_cycle(c, stage="done"), "cycle.stage='done': expected one of plan"),
    (lambda s, c: s.add_action(c, "x", status="later"), "action.status='later'"),
    (lambda s, c: s.add_action(c, "x", due="next Tuesday"), "action.due='next Tuesday'"),
    (lambda s, c: s.add_action(c, "x", owner="o" * 201), "action.owner: longer than 200"),
    (lambda s, c: s.add_cause(c + 99, "x"), f"cycle_id="),
    (lambda s, c: s.vote(12345), "cause_id=12345: no such cause"),
    (lambda s, c: s.add_change(c, "x", None), "change.changed_on"),
    (lambda s, c: s.record_check(c, {"kind": "time"}), "lacks test, verdict"),
    (lambda s, c: s.update("cycles", c, title="x"), "entity='cycles'"),
    # issue 10: PDCA fields are validated
    (lambda s, c: s.new_cycle(None), "cycle.title=None: a text is needed"),
    (lambda s, c: s.new_cycle("   "), "cycle.title='   ': a text is needed"),
    (lambda s, c: s.update_cycle(c, title=" \t "), "cycle.title"),
    (lambda s, c: s.add_cause(c, ""), "cause.text='': a text is needed"),
    (lambda s, c: s.add_action(c, None), "action.action=None"),
    (lambda s, c: s.add_change(c, "  ", "2026-04-01"), "change.what"),
    (lambda s, c: s.update_cycle(c, next_cycle_id=c), "cannot follow itself"),
    (lambda s, c: s.update_cycle(c, next_cycle_id=c + 7), f"next_cycle_id={8}: no such cycle"),
    (lambda s, c: s.new_cycle("Next", next_cycle_id=99), "next_cycle_id=99: no such cycle"),
    (lambda s, c: s.update_cycle(c, next_cycle_id="two"), "next_cycle_id='two': expected a whole"),
    (lambda s, c: s.update_cycle(c, next_cycle_id=1.5), "expected a whole number"),
    (lambda s, c: s.add_cause(c, "x", is_root="false"), "cause.is_root='false': expected True"),
    # hostile values: invisible-only titles, control characters (PostgreSQL refuses NUL), containers
    (lambda s, c: s.new_cycle("\u200b\u00a0\u2003"), r"cycle.title='\u200b\xa0\u2003': a text is needed"),
    (lambda s, c: s.add_cause(c, "\ufeff\u2060"), "cause.text"),
    (lambda s, c: s.new_cycle("Queue\x00 at lunch"), "cycle.title: holds a control character ('\\x00')"),
    (lambda s, c: s.update_cycle(c, notes="bell\x07"), "cycle.notes: holds a control character"),
    (lambda s, c: s.new_cycle("Queue", team=["A", "B"]), "cycle.team=['A', 'B']: expected text, not a list"),
    # dates outside 1990 .. five years from today are typos ("2062" for "2026"), not plans
    (lambda s, c: s.add_action(c, "x", due="2062-03-31"), "action.due='2062-03-31': expected a date from 1990-01-01"),
    (lambda s, c: s.add_change(c, "x", "1926-04-01"), "change.changed_on='1926-04-01': expected a date from"),
    (lambda s, c: s.add_change(c, "x", "20226-04-01"), "change.changed_on='20226-04-01': expected a date"),
])
def test_bad_input_is_refused_with_the_field_named(tmp_path, call, message):
    store = Store(tmp_path / "pdca.sqlite")
    cid = store.new_cycle("Queue")["id"]
    with pytest.raises(ParameterError, match=None) as info:
        call(store, cid)
    assert message in str(info.value)
    # nothing half-written: only the cycle's own creation is in the history
    assert store.history()["entity"].unique().tolist() == ["cycle"]


def test_a_plain_path_string_is_an_sqlite_file_like_a_path(tmp_path):
    cid = Store(str(tmp_path / "pdca.sqlite")).new_cycle("Queue", team="A")["id"]
    assert Store(tmp_path / "pdca.sqlite").get_cycle(cid)["title"] == "Queue"
    with sqlite3.connect(tmp_path / "pdca.sqlite") as db:
        assert db.execute("select count(*) from cycles").fetchone() == (1,)


def test_bad_url_is_a_parameter_error():
    with pytest.raises(ParameterError, match="not a database URL"):
        Store("no such thing://")
    with pytest.raises(ParameterError, match="cannot use this database"):
        Store("nosuchdb://host/db")


def test_a_store_that_cannot_be_opened_says_where(tmp_path):
    from qoswb.errors import QoswbError

    with pytest.raises(QoswbError, match="cannot open the PDCA store sqlite:///.*missing"):
        Store(tmp_path / "missing" / "pdca.sqlite")
    with pytest.raises(QoswbError, match=r"cannot open the PDCA store .*:1/nothing: .*"):
        Store("postgresql://postgres@127.0.0.1:1/nothing")


def test_default_store_is_a_wal_sqlite_file_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("QOSWB_DATA_DIR", str(tmp_path))
    store = Store()
    store.new_cycle("Queue")
    assert (tmp_path / "pdca.sqlite").exists()
    with sqlite3.connect(tmp_path / "pdca.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


# ---- processes ------------------------------------------------------------------------
EDITS_PER_WRITER = 12


def _writer(url, name, shared_cause, start, done):
    """One kernel: its own cycle, a stream of edits, and votes on a cause both share."""
    store = Store(url, author=name)
    start.wait()
    cid = store.new_cycle(f"cycle of {name}", team=name)["id"]
    for i in range(EDITS_PER_WRITER):
        cause = store.add_cause(cid, f"{name} cause {i}", category="process")
        store.add_why(cause["id"], f"{name} why {i}")
        store.vote(shared_cause)
        store.update_cycle(cid, notes=f"{name} note {i}")
    done.put((name, cid))


def test_two_processes_writing_at_once_lose_nothing(store_url):
    store = Store(store_url)
    shared = store.add_cause(store.new_cycle("shared")["id"], "both vote here")["id"]
    ctx = mp.get_context("fork")
    start, done = ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(store_url, name, shared, start, done))
               for name in ("kernel-1", "kernel-2")]
    for w in writers:
        w.start()
    start.set()
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    cycles = dict(done.get(timeout=5) for _ in writers)

    for name, cid in sorted(cycles.items()):
        got = store.get_cycle(cid)
        assert [c["text"] for c in got["causes"]] == [
            f"{name} cause {i}" for i in range(EDITS_PER_WRITER)]
        assert all(len(c["whys"]) == 1 for c in got["causes"])
        assert got["notes"] == f"{name} note {EDITS_PER_WRITER - 1}"
        history = store.history(cid)
        # title, team, stage; then per edit: cause (category, text, is_root), why, a note
        assert len(history) == 3 + EDITS_PER_WRITER * 5
        assert set(history["author"]) == {name}
    shared_cycle = store.list_cycles().query("title == 'shared'")["id"].iloc[0]  # numpy int
    shared_cause = store.get_cycle(shared_cycle)
    assert shared_cause["causes"][0]["votes"] == 2 * EDITS_PER_WRITER
    assert len(store.history().query("field == 'votes'")) == 2 * EDITS_PER_WRITER


def _doomed_writer(url, cycle_id, conn):
    """Writes edits as fast as it can, reporting each one only after it is committed."""
    store = Store(url, author="doomed")
    i = 0
    while True:
        cause = store.add_cause(cycle_id, f"cause {i}")
        conn.send(("cause", cause["id"], f"cause {i}"))
        action = store.add_action(cycle_id, f"action {i}", owner="me")
        conn.send(("action", action["id"], f"action {i}"))
        i += 1


def test_a_killed_writer_keeps_every_committed_edit(store_url):
    store = Store(store_url)
    cid = store.new_cycle("crash test")["id"]
    ctx = mp.get_context("fork")
    parent_end, child_end = ctx.Pipe(duplex=False)
    writer = ctx.Process(target=_doomed_writer, args=(store_url, cid, child_end))
    writer.start()
    child_end.close()
    committed = [parent_end.recv() for _ in range(25)]
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    assert writer.exitcode == -signal.SIGKILL
    while parent_end.poll(0.2):  # reports that were already on their way
        try:
            committed.append(parent_end.recv())
        except EOFError:
            break

    store.close()
    reopened = Store(store_url)
    got = reopened.get_cycle(cid)
    stored = {("cause", c["id"], c["text"]) for c in got["causes"]}
    stored |= {("action", a["id"], a["action"]) for a in got["actions"]}
    assert set(committed) <= stored
    assert len(stored) - len(committed) <= 1  # at most the edit in flight, never half of one
    history = reopened.history(cid)
    for entity, entity_id, text in committed:
        field = "text" if entity == "cause" else "action"
        rows = history.query("entity == @entity and entity_id == @entity_id and field == @field")
        assert rows["new"].tolist() == [text]
    # the store opens cleanly and takes new edits
    reopened.add_cause(cid, "after the crash")
    if store_url.startswith("sqlite"):
        path = store_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened.close()


def test_a_burst_of_typing_is_one_history_row(tmp_path):
    store = Store(tmp_path / "pdca.sqlite", author="ana")
    cid = store.new_cycle("Queue", problem="Wa")["id"]
    for text in ("Wai", "Wait", "Waits"):  # an app saving every keystroke
        store.update_cycle(cid, problem=text, typing=60)
    store.update_cycle(cid, target="2 h", typing=60)  # another field: a new row
    store.update_cycle(cid, problem="Waits are long", typing=60)
    store.update_cycle(cid, problem="Waits are long!")  # not typing: its own row
    rows = store.history(cid).query("field == 'problem'")[["old", "new"]].values.tolist()
    assert rows[1:] == [["Wa", "Waits"], ["Waits", "Waits are long"],
                        ["Waits are long", "Waits are long!"]]
    assert store.get_cycle(cid)["problem"] == "Waits are long!"


def test_a_nul_in_a_field_is_refused_before_it_reaches_the_database(store_url):
    # PostgreSQL stores no NUL in text: once a raw psycopg DataError from deep in SQLAlchemy
    store = Store(store_url)
    cid = store.new_cycle("Queue")["id"]
    with pytest.raises(ParameterError, match=r"cause.text: holds a control character"):
        store.add_cause(cid, "lunch\x00break")
    assert store.get_cycle(cid)["causes"] == []
    store.close()


def test_a_cycles_grain_is_one_of_the_period_lengths(tmp_path):
    store = Store(tmp_path / "pdca.sqlite")
    cid = store.new_cycle("Queue", team="Desk A", kpi="volume", grain="M")["id"]
    assert store.get_cycle(cid)["grain"] == "M"
    with pytest.raises(ParameterError, match=r"cycle.grain='fortnight': expected one of D, W, M, Q"):
        store.update_cycle(cid, grain="fortnight")
    assert store.get_cycle(cid)["grain"] == "M"
