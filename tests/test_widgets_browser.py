"""The workshop notebook in a real browser: Voila on a free localhost port, headless Chromium.

Pick another team and see the chart change; type a cause into the fishbone and find it in
the store, read from this process.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "pdca_workshop.ipynb"
SHOTS = Path(os.environ.get("QOSWB_SCREENSHOTS", "/nonexistent"))  # where to keep screenshots
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"voila did not answer at {url} within {seconds} s")


@pytest.fixture
def voila(tmp_path):
    """Voila serving the workshop notebook, its data folder in tmp_path (demo store linked)."""
    from qoswb.data import demo_data
    from qoswb.data.demo import demo_path

    demo_data()  # the embedded demo store, made once, shared through a link
    (tmp_path / "demo").symlink_to(demo_path(), target_is_directory=True)
    port = _free_port()
    env = dict(os.environ, QOSWB_DATA_DIR=str(tmp_path))
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("voila")), str(NOTEBOOK), "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1", "--show_tracebacks=True"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", process)
        yield f"http://127.0.0.1:{port}/", tmp_path
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _store_causes(path: Path) -> list[str]:
    from qoswb.pdca.store import Store

    store = Store(path / "pdca.sqlite")
    cycles = store.list_cycles()
    texts = [c["text"] for cid in cycles["id"] for c in store.get_cycle(cid)["causes"]]
    store.close()
    return texts


def test_workshop_in_voila_changes_team_and_saves_a_typed_cause(voila, browser):
    url, data = voila
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url, timeout=120_000)
        chart = page.locator(".qoswb-explorer-chart")
        chart.wait_for(timeout=120_000)
        page.wait_for_function("document.querySelector('.qoswb-explorer-chart').src !== ''",
                               timeout=60_000)
        before = chart.get_attribute("src")

        _say_who(page, "Ana")
        page.get_by_placeholder("name the problem").fill("Browser workshop")
        page.get_by_role("button", name="New cycle").click()
        team = page.locator(".widget-dropdown", has=page.locator("label", has_text="Team"))
        team.locator("select").select_option("Billing")
        page.wait_for_function(
            "src => document.querySelector('.qoswb-explorer-chart').src !== src", arg=before,
            timeout=60_000)
        assert "Billing" in page.locator(".widget-html", has_text="for Billing").first.inner_text()

        page.get_by_placeholder("a possible cause").fill("Printer jams <b>daily</b>")
        page.get_by_role("button", name="Add cause").click()
        deadline = time.monotonic() + 30
        while "Printer jams <b>daily</b>" not in _store_causes(data):
            assert time.monotonic() < deadline, "the typed cause never reached the store"
            time.sleep(0.5)
        shown = page.locator(".widget-html-content", has_text="Printer jams <b>daily</b>")
        shown.first.wait_for(timeout=30_000)  # the cause row, its text shown as typed
        assert page.locator("b", has_text=re.compile(r"^daily$")).count() == 0  # not markup
    finally:
        page.close()


def _say_who(page, name: str) -> None:
    """Answer the Voila session's "who is editing?" (no user is known to a bare Voila)."""
    page.get_by_placeholder("your name, for the history").fill(name)
    page.get_by_role("button", name="That's me").click()
    page.get_by_text(f"saved your name ({name})").wait_for()


def _dropdown(page, label: str):
    return page.locator(".widget-dropdown", has=page.locator("label", has_text=label)).locator(
        "select").first


def _shot(page, data: Path, name: str) -> int:
    """Keep a screenshot, and check the calm-screen promises on what is shown: every
    visible image has loaded (no broken-image icon) and is SVG (sharp at any density)."""
    page.screenshot(path=str(data / f"{name}.png"), full_page=True)
    images = page.evaluate("""async () => Promise.all([...document.querySelectorAll('img')]
        .filter(img => img.offsetParent !== null)
        .map(async img => ({loaded: img.complete && img.naturalWidth > 0,
                            type: (await (await fetch(img.src)).blob()).type})))""")
    assert all(i["loaded"] and i["type"] == "image/svg+xml" for i in images), images
    cut = page.evaluate("""() => [...document.querySelectorAll('.widget-label, .widget-readout')]
        .filter(l => l.offsetParent !== null && l.scrollWidth > l.clientWidth + 1)
        .map(l => l.textContent)""")
    assert cut == [], f"labels cut short on screen: {cut}"
    return len(images)


def test_a_whole_cycle_in_voila_survives_a_reload_stage_included(voila, browser):
    """signal → cycle → causes → whys → action → change → Check → decision → A3 download →
    reload → everything there, stage included."""
    from qoswb.data import demo_data

    url, data = voila
    step = demo_data().special_causes.query("kind == 'step'").iloc[0]
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page.goto(url, timeout=120_000)
        page.locator(".qoswb-explorer-chart").wait_for(timeout=120_000)
        _dropdown(page, "Team").select_option(step["team"])
        _dropdown(page, "KPI").select_option(label="First response median")
        page.get_by_role("option", name=re.compile("deterioration")).first.wait_for(
            timeout=60_000)  # the signal list of the step
        _say_who(page, "Ana")
        page.get_by_placeholder("name the problem").fill("Slow first replies")
        page.get_by_role("button", name="New cycle").click()
        page.locator(".widget-html", has_text="KPI First response median").first.wait_for()

        page.get_by_placeholder("a possible cause").fill("Lunch breaks overlap")
        page.get_by_role("button", name="Add cause").click()
        page.locator(".qoswb-fishbone").wait_for(state="visible", timeout=60_000)
        page.get_by_placeholder("a possible cause").fill("Printer jams")
        page.get_by_role("button", name="Add cause").click()
        page.get_by_text("process: Printer jams").wait_for()
        page.locator(".widget-hbox", has_text="process: Printer jams").get_by_role(
            "button", name="remove").click()
        page.get_by_text("process: Printer jams").wait_for(state="detached")
        page.get_by_role("button", name=re.compile("Undo: remove cause “Printer jams”")).click()
        page.get_by_text("process: Printer jams").wait_for()  # back, from the undo button
        page.get_by_placeholder("the answer to 'why?'").fill("Everyone eats at 12")
        page.get_by_role("button", name="Add why").click()
        page.get_by_text("why? Everyone eats at 12").wait_for()
        page.get_by_placeholder("a countermeasure").fill("Stagger lunch")
        page.get_by_role("button", name="Add action").click()
        page.get_by_text("Stagger lunch — nobody").wait_for()
        assert _shot(page, data, "1-plan") == 2  # the Explorer's chart and the fishbone

        page.get_by_role("tab", name="Do").click()
        page.get_by_placeholder("what was changed").fill("New rota")
        page.locator("input[type=date]:visible").first.fill(f"{step['start']:%Y-%m-%d}")
        page.get_by_role("button", name="Record change").click()
        page.get_by_text(f"{step['start']:%Y-%m-%d}: New rota").wait_for()
        assert _dropdown(page, "Stage").input_value() == "do"

        page.get_by_role("tab", name="Check").click()
        page.get_by_role("button", name="Check the effect").click()
        verdict = page.locator(".widget-html", has_text="Baseline:").first
        verdict.wait_for(timeout=60_000)
        assert _dropdown(page, "Stage").input_value() == "check"
        assert _shot(page, data, "2-check") == 1  # the chart of the check

        page.get_by_role("tab", name="Act").click()
        page.get_by_role("button", name="adapt", exact=True).click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-dropdown select')]"
            ".some(s => s.value === 'act')", timeout=30_000)
        page.get_by_role("button", name="Make the A3 report").click()
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("link", name="A3 report (HTML)").click()
        received = Path(download.value.path()).read_text(encoding="utf-8")
        assert download.value.suggested_filename.startswith("a3-slow-first-replies-")
        for said in ("Slow first replies", "Lunch breaks overlap", "Stagger lunch", "New rota",
                     "adapt"):
            assert said in received
        _shot(page, data, "3-act")

        page.reload()
        page.locator(".qoswb-explorer-chart").wait_for(state="visible", timeout=120_000)
        assert _dropdown(page, "Stage").input_value() == "act"
        assert _dropdown(page, "Team").input_value() == step["team"]
        assert _dropdown(page, "KPI").input_value() == "First response median"
        assert _dropdown(page, "Grain").input_value() == "week"  # as the cycle was made
        page.get_by_text("Lunch breaks overlap").first.wait_for()
        page.get_by_text("Stagger lunch — nobody").wait_for()
        page.get_by_role("tab", name="Do").click()
        page.get_by_text(f"{step['start']:%Y-%m-%d}: New rota").wait_for()
        page.get_by_role("tab", name="Check").click()
        page.locator(".widget-html", has_text="Baseline:").first.wait_for()
        page.get_by_role("tab", name="Act").click()
        assert page.get_by_role("button", name="adapt", exact=True).get_attribute(
            "class").count("mod-active") == 1
        page.get_by_role("tab", name="History").click()
        page.locator(".qoswb-history", has_text="Lunch breaks overlap").wait_for()
        assert page.locator(".qoswb-history td", has_text=re.compile("^Ana$")).count() > 10
        _shot(page, data, "4-after-reload")
        # the images are SVG: sharp at the size and density they are shown at
        src = page.locator(".qoswb-explorer-chart").get_attribute("src")
        kind = page.evaluate("src => fetch(src).then(r => r.blob()).then(b => b.type)", src)
        assert kind == "image/svg+xml"
    finally:
        for shot in data.glob("*.png"):
            shutil.copy(shot, SHOTS / shot.name) if SHOTS.is_dir() else None
        page.close()


def _problem_box(page):
    return page.get_by_placeholder("What is wrong, where, since when, for whom?")


def test_two_browsers_on_one_cycle_see_each_others_edits_and_a_conflict_shown(voila, browser):
    """Two browser contexts (two people, two kernels, one SQLite file): each sees the other's
    edit within 5 seconds, and two edits of one field are shown side by side, not lost."""
    url, data = voila
    ana = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    ben = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        ana.goto(url, timeout=120_000)
        ana.locator(".qoswb-explorer-chart").wait_for(timeout=120_000)
        _say_who(ana, "Ana")
        ana.get_by_placeholder("name the problem").fill("Shared cycle")
        ana.get_by_role("button", name="New cycle").click()
        _dropdown(ana, "Cycle").locator("option", has_text="Shared cycle").wait_for(
            state="attached")
        ben.goto(url, timeout=120_000)
        ben.locator(".qoswb-explorer-chart").wait_for(timeout=120_000)
        picked = _dropdown(ben, "Cycle").locator("option:checked").inner_text()
        assert "Shared cycle" in picked.replace("\xa0", " ")  # the cycle Ana just opened
        _say_who(ben, "Ben")

        _problem_box(ben).fill("Waits double at lunch")
        ben.get_by_text("saved problem").wait_for()
        start = time.monotonic()
        ana.wait_for_function(
            "() => [...document.querySelectorAll('textarea')]"
            ".some(t => t.value === 'Waits double at lunch')", timeout=5_000)
        seen_after = time.monotonic() - start
        ana.get_by_text(re.compile("Ben saved the problem")).wait_for(timeout=5_000)
        ben.get_by_placeholder("a possible cause").fill("Lunch breaks overlap")
        ben.get_by_role("button", name="Add cause").click()
        ana.get_by_text("process: Lunch breaks overlap").wait_for(timeout=5_000)
        assert seen_after < 5

        # Both type into the one field at once: whoever saves second is shown both values.
        for attempt in range(5):
            _problem_box(ana).fill(f"Ana's wording {attempt}")
            _problem_box(ben).fill(f"Ben's wording {attempt}")
            conflict = next((page for page in (ben, ana) if _conflict_shown(page)), None)
            if conflict is not None:
                break
        assert conflict is not None, "five tries, never a conflict: did a save go unchecked?"
        other = ana if conflict is ben else ben
        panel = conflict.locator(".qoswb-conflict")
        shown = panel.inner_text()
        assert f"Ana's wording {attempt}" in shown and f"Ben's wording {attempt}" in shown
        panel.scroll_into_view_if_needed()
        _shot(conflict, data, "5-conflict")
        mine = f"{'Ben' if conflict is ben else 'Ana'}'s wording {attempt}"
        panel.get_by_role("button", name="Keep mine").click()
        panel.wait_for(state="hidden")
        other.wait_for_function(
            "text => [...document.querySelectorAll('textarea')].some(t => t.value === text)",
            arg=mine, timeout=5_000)
        _shot(other, data, "6-after-keep-mine")
    finally:
        for shot in data.glob("*.png"):
            shutil.copy(shot, SHOTS / shot.name) if SHOTS.is_dir() else None
        ana.context.close()
        ben.context.close()


def _conflict_shown(page, seconds: float = 3) -> bool:
    try:
        page.locator(".qoswb-conflict").wait_for(state="visible", timeout=seconds * 1000)
        return True
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: not shown here
        return False
