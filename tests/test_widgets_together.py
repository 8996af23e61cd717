"""Two at the table, headless: two Workshops (two browsers' kernels) on one SQLite file.

Each sees the other's saves after a poll; an edit of a field the other changed since it
was loaded is refused by the store and shown with both values until one is chosen.
"""

import asyncio

import pytest

pytest.importorskip("ipywidgets")
from test_widgets_source import demo, source  # noqa: E402,F401  (shared fixtures)
from test_widgets_workshop import pytestmark, url  # noqa: E402,F401  (one SQLite file)


@pytest.fixture
def pair(source, url):
    """Ana starts a cycle; Ben opens the same store (so the same cycle) in his own kernel."""
    from qoswb.widgets import Workshop

    ana = Workshop(source, store=url, author="Ana")
    ana.explorer.team.value = "Returns"
    cid = ana.new_cycle("Slow first response")
    ben = Workshop(source, store=url, author="Ben")
    assert ben.cycle_id == cid
    yield ana, ben
    ana.close(), ben.close()


def test_each_sees_the_others_edits_after_a_poll(pair):
    ana, ben = pair
    assert not ana.poll()  # nothing new
    ben.plan.problem.value = "Waits <script>alert(1)</script>"
    ben.plan.cause_text.value = "Lunch breaks overlap"
    ben.plan.add_cause_button.click()
    assert ana.plan.problem.value == "" and not ana.plan.causes_box.children
    assert ana.poll()
    assert ana.plan.problem.value == "Waits <script>alert(1)</script>"
    assert "Lunch breaks overlap" in ana.plan.causes_box.children[0].children[3].value
    assert "Ben saved the problem, a cause" in ana.status.value
    assert not ana.poll()  # loaded: nothing new until the next save
    assert not ben.poll()  # his own saves are on his screen already


def test_own_saves_do_not_reload_and_never_conflict_with_themselves(pair):
    ana, _ben = pair
    for text in ("M", "Me", "Median doubled"):
        ana.plan.problem.value = text
    assert not ana.poll() and not ana.conflicts.open
    assert ana.cycle()["problem"] == "Median doubled"


def test_different_fields_edited_at_once_are_both_kept(pair):
    ana, ben = pair
    ben.plan.target.value = "under 4 minutes"
    ana.plan.problem.value = "Median doubled"  # before her poll: a different field
    assert not ana.conflicts.open
    cycle = ana.cycle()
    assert (cycle["problem"], cycle["target"]) == ("Median doubled", "under 4 minutes")


def _conflicted(pair):
    """Ben saves the problem; Ana, before her screen showed it, types her own."""
    ana, ben = pair
    ben.plan.problem.value = "Theirs: <b>rota</b>"
    ana.plan.problem.value = "Mine: lunch"
    return ana, ben


def test_a_field_changed_meanwhile_is_not_overwritten_and_both_are_shown(pair):
    ana, ben = _conflicted(pair)
    assert ana.cycle()["problem"] == "Theirs: <b>rota</b>"  # Ana's keystroke saved nothing
    assert ana.conflicts.open and ana.conflicts.ui.layout.display is None
    shown = ana.conflicts.message.value
    assert "Theirs: &lt;b&gt;rota&lt;/b&gt;" in shown and "<b>rota</b>" not in shown
    assert "Mine: lunch" in shown and "Ben" in shown
    assert "Not saved" in ana.status.value
    assert not ana.poll()  # her choice comes first: the screen does not move under her


def test_keep_mine_saves_over_theirs_and_the_history_keeps_both(pair):
    ana, ben = _conflicted(pair)
    ana.conflicts.keep_button.click()
    assert not ana.conflicts.open and ana.conflicts.ui.layout.display == "none"
    assert ana.cycle()["problem"] == "Mine: lunch"
    rows = ana.store.history(ana.cycle_id).query("field == 'problem'")
    assert rows[["author", "new"]].values.tolist() == [["Ben", "Theirs: <b>rota</b>"],
                                                      ["Ana", "Mine: lunch"]]
    assert ben.poll() and ben.plan.problem.value == "Mine: lunch"


def test_take_theirs_shows_their_value_and_saves_nothing(pair):
    ana, ben = _conflicted(pair)
    before = len(ana.store.history())
    ana.conflicts.take_button.click()
    assert not ana.conflicts.open
    assert ana.plan.problem.value == "Theirs: <b>rota</b>"
    assert len(ana.store.history()) == before
    ana.plan.problem.value = "Theirs: <b>rota</b> and lunch"  # now on their version: saved
    assert ana.cycle()["problem"] == "Theirs: <b>rota</b> and lunch" and not ana.conflicts.open


def test_a_button_edit_of_a_row_changed_meanwhile_is_a_conflict_too(pair):
    ana, ben = pair
    ana.plan.action_text.value = "Stagger lunch"
    ana.plan.add_action_button.click()
    assert ben.poll()
    action_id = ana.cycle()["actions"][0]["id"]
    ben.plan.set_status(action_id, "done")
    ana.plan.set_status(action_id, "dropped")  # on the row as loaded, before the poll
    assert ana.store.get_cycle(ana.cycle_id)["actions"][0]["status"] == "done"
    assert ana.conflicts.conflict.entity == "action" and "dropped" in ana.conflicts.message.value


def test_the_watcher_polls_on_the_kernels_loop_and_stops_when_closed(source, url):
    from qoswb.pdca.store import Store
    from qoswb.widgets import Workshop

    async def session():
        ana = Workshop(source, store=url, author="Ana")
        cid = ana.new_cycle("Queue")
        assert ana.watcher.running
        ana.watcher.seconds = 0.05
        ben = Store(url, author="Ben")
        ben.update_cycle(cid, target="2 h")
        for _ in range(100):  # on screen within a few polls, with no call from the test
            await asyncio.sleep(0.05)
            if ana.plan.target.value == "2 h":
                break
        assert ana.plan.target.value == "2 h"
        ana.close()
        await asyncio.sleep(0.1)
        assert not ana.watcher.running
        ben.update_cycle(cid, target="3 h")
        await asyncio.sleep(0.2)
        assert ana.plan.target.value == "2 h"  # closed: no more polling

        closed_by_hand = Workshop(source, store=url, author="Ana")
        closed_by_hand.watcher.seconds = 0.05
        closed_by_hand.ui.close()  # the widget gone (e.g. the output cleared)
        await asyncio.sleep(0.3)
        assert not closed_by_hand.watcher.running
        ben.close()

    asyncio.run(session())


def test_without_an_event_loop_there_is_no_timer(pair):
    ana, _ben = pair
    assert not ana.watcher.running  # a script polls by hand
