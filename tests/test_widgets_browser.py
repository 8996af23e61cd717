"""The workshop notebook in a real browser: Voila on a free localhost port, headless Chromium.

Pick another team and see the chart change; type a cause into the fishbone and find it in
the store, read from this process.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "pdca_workshop.ipynb"
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
