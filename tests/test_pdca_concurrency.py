"""Two at the table: two Store objects (two kernels) on one SQLite file or one PostgreSQL
database — conflicts instead of silent overwrites, a cheap poll, bursts that never merge
across authors — plus authors, undoable removal and the cost of reading a cycle."""

import datetime as dt

import pytest
from sqlalchemy import event

from qoswb.errors import ParameterError
from qoswb.pdca.authors import session_user
from qoswb.pdca.history import EditConflict
from qoswb.pdca.store import Store
from test_pdca_store import store_url  # noqa: F401  (SQLite file and PostgreSQL database)


@pytest.fixture
def two(store_url):  # noqa: F811
    ana, ben = Store(store_url, author="ana"), Store(store_url, author="ben")
    yield ana, ben
    ana.close()
    ben.close()


def test_an_edit_of_a_field_changed_since_loading_is_a_conflict_with_both_values(two):
    ana, ben = two
    cid = ana.new_cycle("Slow replies", problem="Replies take a day")["id"]
    seen_by_ana = ana.get_cycle(cid)["version"]
    seen_by_ben = ben.get_cycle(cid)["version"]
    saved = ana.update_cycle(cid, version=seen_by_ana, problem="Replies take two days")
    assert saved["version"] == seen_by_ana + 1
    with pytest.raises(EditConflict) as info:
        ben.update_cycle(cid, version=seen_by_ben, problem="Replies are slow on Mondays")
    conflict = info.value
    assert (conflict.entity, conflict.entity_id, conflict.loaded, conflict.version) == (
        "cycle", cid, seen_by_ben, seen_by_ana + 1)
    [field] = conflict.conflicts
    assert (field.field, field.base, field.theirs, field.mine, field.by) == (
        "problem", "Replies take a day", "Replies take two days",
        "Replies are slow on Mondays", "ana")
    assert "problem was changed by ana" in str(conflict) and "nothing was saved" in str(conflict)
    # nothing was overwritten, and no history row claims otherwise
    assert ana.get_cycle(cid)["problem"] == "Replies take two days"
    assert "Replies are slow on Mondays" not in set(ana.history(cid)["new"].dropna())
    # Ben chose his: saving again against the version he has now seen goes through
    again = ben.update_cycle(cid, version=conflict.version, problem="Replies are slow on Mondays")
    assert again["problem"] == "Replies are slow on Mondays"


@pytest.mark.parametrize(("entity", "make", "field", "mine", "theirs"), [
    ("cause", lambda s, c: s.add_cause(c, "Rota gaps"), "text", "Lunch gaps", "Rota holes"),
    ("action", lambda s, c: s.add_action(c, "Stagger lunch"), "status", "done", "dropped"),
    ("why", lambda s, c: s.add_why(s.add_cause(c, "Rota")["id"], "Breaks overlap"), "text",
     "Everyone at 12", "Nobody plans"),
])
def test_every_editable_row_has_a_version(two, entity, make, field, mine, theirs):
    ana, ben = two
    row = make(ana, ana.new_cycle("Queue")["id"])
    ana.update(entity, row["id"], version=row["version"], **{field: theirs})
    with pytest.raises(EditConflict) as info:
        ben.update(entity, row["id"], version=row["version"], **{field: mine})
    assert info.value.conflicts[0].theirs == theirs and info.value.conflicts[0].mine == mine


def test_other_fields_own_saves_and_the_same_value_are_no_conflict(two):
    ana, ben = two
    cid = ana.new_cycle("Queue")["id"]
    loaded = ben.get_cycle(cid)["version"]
    ana.update_cycle(cid, version=loaded, target="2 h")
    ben.update_cycle(cid, version=loaded, problem="Long waits")  # another field: merged
    ben.update_cycle(cid, version=loaded, problem="Long waits at lunch")  # his own save since
    ana.update_cycle(cid, version=loaded, problem="Long waits at lunch")  # the same text
    got = ana.get_cycle(cid)
    assert (got["target"], got["problem"]) == ("2 h", "Long waits at lunch")


def test_a_poll_sees_the_others_edits_by_revision_or_time(two):
    ana, ben = two
    cid = ana.new_cycle("Queue")["id"]
    seen = ben.revision(cid)
    since = dt.datetime.now(dt.timezone.utc)
    assert ben.changes_since(cid, seen).empty
    cause = ana.add_cause(cid, "Rota gaps")
    ana.vote(cause["id"], 2)
    assert ben.revision(cid) == seen + 2
    changes = ben.changes_since(cid, seen)
    assert changes[["author", "entity", "field", "new"]].values.tolist() == [
        ["ana", "cause", "category", "process"], ["ana", "cause", "text", "Rota gaps"],
        ["ana", "cause", "is_root", "False"], ["ana", "cause", "votes", "2"]]
    assert changes["revision"].tolist() == [seen + 1] * 3 + [seen + 2]
    assert len(ben.changes_since(cid, since)) == 4
    assert ben.changes_since(cid, ben.revision(cid)).empty
    with pytest.raises(ParameterError, match="cycle_id=999: no such cycle"):
        ben.revision(999)


def test_a_poll_that_costs_one_query(two):
    ana, _ = two
    cid = ana.new_cycle("Queue")["id"]
    statements = _count_statements(ana, lambda: ana.revision(cid))
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")] == statements[-1:]


def test_typing_bursts_never_merge_across_authors_or_sessions(two):
    ana, ben = two
    cid = ana.new_cycle("Queue", problem="W")["id"]
    ana_again = Store(ana.engine.url, author="ana")  # the same person in a second browser
    ana.update_cycle(cid, problem="Wa", typing=60)
    ana.update_cycle(cid, problem="Wai", typing=60)  # her burst: one row
    ben.update_cycle(cid, problem="Wait", typing=60)  # his: a row of his own
    ana_again.update_cycle(cid, problem="Waits", typing=60)  # her other session: its own
    rows = ana.history(cid).query("field == 'problem'")
    assert rows[["author", "old", "new"]].fillna("-").values.tolist() == [
        ["ana", "-", "W"], ["ana", "W", "Wai"], ["ben", "Wai", "Wait"], ["ana", "Wait", "Waits"]]
    assert rows["session"].iloc[1] != rows["session"].iloc[3]


# ---- authors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "expected"), [
    ({"JUPYTERHUB_USER": "ana", "USER": "root"}, "ana"),
    ({"SERVER_SOFTWARE": "voila/0.5.13", "HTTP_X_FORWARDED_USER": "ben", "USER": "root"}, "ben"),
    ({"SERVER_SOFTWARE": "voila/0.5.13", "USER": "jovyan"}, None),  # every kernel one OS user
    ({"VOILA_KERNEL_ID": "abc", "USER": "ana"}, None),
    ({"USER": "root"}, None),  # never silently root
    ({"QOSWB_AUTHOR": " Cleo ", "USER": "root"}, "Cleo"),
    ({"USER": "dana"}, "dana"),  # one's own JupyterLab: the OS user is the person
])
def test_the_author_is_the_hub_or_voila_user_never_silently_root(environ, expected):
    assert session_user(environ) == expected


def test_no_name_means_asked_once_per_session(tmp_path, monkeypatch):
    for variable in ("JUPYTERHUB_USER", "QOSWB_AUTHOR", "HTTP_X_FORWARDED_USER"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    store = Store(tmp_path / "pdca.sqlite")
    assert store.author is None
    cid = store.new_cycle("Queue")["id"]
    with pytest.raises(ParameterError, match="author='  ': give the name"):
        store.author = "  "
    store.author = "Ana"
    store.update_cycle(cid, target="2 h")
    assert store.history(cid)["author"].tolist() == ["", "", "Ana"]
    assert "root" not in store.history(cid)["author"].tolist()
    monkeypatch.setenv("JUPYTERHUB_USER", "ben")
    assert Store(tmp_path / "pdca.sqlite").author == "ben"


# ---- remove can be undone -----------------------------------------------------------------

def test_remove_is_undone_by_restore_with_the_whys_removed_along(two):
    ana, ben = two
    cid = ana.new_cycle("Queue")["id"]
    cause = ana.add_cause(cid, "Rota gaps")
    kept, dropped = (ana.add_why(cause["id"], text) for text in ("Breaks overlap", "typo"))
    ana.remove("why", dropped["id"])  # removed on its own, before the cause
    ben.remove("cause", cause["id"])
    assert ana.get_cycle(cid)["causes"] == []
    listed = ana.removed(cid)
    assert listed[["entity", "text", "removed_by"]].values.tolist() == [
        ["cause", "Rota gaps", "ben"], ["why", "Breaks overlap", "ben"], ["why", "typo", "ana"]]
    with pytest.raises(ParameterError, match="was removed .* restore it first"):
        ana.update_cause(cause["id"], text="Rota holes")
    with pytest.raises(ParameterError, match="restore it first"):
        ana.restore("why", kept["id"])  # its cause is still removed
    back = ana.restore("cause", cause["id"])
    assert back["text"] == "Rota gaps"
    [restored] = ana.get_cycle(cid)["causes"]
    assert [w["text"] for w in restored["whys"]] == ["Breaks overlap"]  # not the typo
    assert ana.removed(cid)["text"].tolist() == ["typo"]
    with pytest.raises(ParameterError, match="is not removed"):
        ana.restore("cause", cause["id"])
    history = ana.history(cid)
    assert history.query("field == 'restored'")[["author", "entity"]].values.tolist() == [
        ["ana", "cause"], ["ana", "why"]]
    with pytest.raises(ParameterError, match="entity='cycle'"):
        ana.remove("cycle", cid)


# ---- reading a cycle: a constant number of queries -----------------------------------------

def _count_statements(store, call) -> list[str]:
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return statements


def test_reading_a_cycle_takes_the_same_few_queries_however_big_it_is(two):
    ana, _ = two
    small = ana.new_cycle("Small")["id"]
    big = ana.new_cycle("Big")["id"]
    for i in range(12):
        cause = ana.add_cause(big, f"cause {i}")
        for j in range(3):
            ana.add_why(cause["id"], f"why {i}.{j}")
        ana.add_action(big, f"action {i}")
        ana.add_change(big, f"change {i}", "2026-04-01")
    ana.remove("cause", cause["id"])
    few = _count_statements(ana, lambda: ana.get_cycle(small))
    many = _count_statements(ana, lambda: ana.get_cycle(big))
    assert len(few) == len(many) <= 8
    got = ana.get_cycle(big)
    assert len(got["causes"]) == 11 and all(len(c["whys"]) == 3 for c in got["causes"])
