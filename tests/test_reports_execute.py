"""One job: papermill, HTML without code, embedded figures, nothing fetched, atomic outputs."""

import re

import nbformat
import pytest

from qoswb.files import remove_partials
from qoswb.reports.execute import offline_html, remote_references, run_job
from qoswb.reports.kernels import Kernels
from qoswb.reports.testing import make_template

FIGURE = """import matplotlib.pyplot as plt
from IPython.display import display
fig, ax = plt.subplots(figsize=(2, 1))
SECRET_CODE_MARKER = 41 + 1
ax.plot([1, 2, 3], [SECRET_CODE_MARKER, 2, 5])
display(fig)
plt.close(fig)
print("median rose from the week of 10 March")
"""


def job(template, team="North", name="north"):
    return {"template_path": str(template), "parameters": {"team": team, "period": "2025-03"},
            "notebook": f"{name}/r-2025-03.ipynb", "html": f"{name}/r-2025-03.html"}


@pytest.fixture(scope="module")
def kernels():
    k = Kernels(prewarm=True)
    yield k
    k.close()


def test_a_job_writes_notebook_and_self_contained_html_without_code(tmp_path, kernels):
    template = make_template(tmp_path, body=FIGURE, headline='print(f"{team}: 2 signals")')
    result = run_job(job(template), str(tmp_path / "out"), kernels=kernels)
    assert result["status"] == "ok", result
    assert result["headline"] == "North: 2 signals"
    assert result["outputs"] == ["north/r-2025-03.ipynb", "north/r-2025-03.html"]
    executed = nbformat.read(tmp_path / "out/north/r-2025-03.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'team = "North"' in injected[0].source
    page = (tmp_path / "out/north/r-2025-03.html").read_text()
    assert "SECRET_CODE_MARKER" not in page  # code cells left out
    assert "median rose from the week of 10 March" in page
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page)  # figure embedded
    assert remote_references(page) == []
    assert not list((tmp_path / "out").rglob(".*partial*"))


def test_a_failing_notebook_keeps_its_traceback_and_leaves_no_report(tmp_path, kernels):
    template = make_template(tmp_path, body='raise ValueError("no data for " + team)')
    out = tmp_path / "out"
    (out / "north").mkdir(parents=True)
    (out / "north/r-2025-03.html").write_text("an old report from an earlier run")
    result = run_job(job(template), str(out), kernels=kernels)
    assert result["status"] == "failed" and not result["retryable"]
    assert result["error"] == "cell 4: ValueError: no data for North"
    assert not (out / "north/r-2025-03.html").exists()  # a stale report must not pass for new
    failed = nbformat.read(out / "north/r-2025-03.failed.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in failed.cells for o in c.get("outputs", []))
    assert result["outputs"] == ["north/r-2025-03.failed.ipynb"]


def test_a_job_past_its_timeout_is_stopped(tmp_path, kernels):
    template = make_template(tmp_path, body="import time\ntime.sleep(60)")
    result = run_job(job(template), str(tmp_path / "out"), timeout=3, kernels=kernels)
    assert result["status"] == "failed" and result["error"] == "timed out after 3 s"
    assert result["duration"] < 30
    assert not result["retryable"]


def test_a_dead_kernel_is_reported_as_retryable(tmp_path, kernels):
    template = make_template(tmp_path, body="import os\nos._exit(1)")
    result = run_job(job(template), str(tmp_path / "out"), kernels=kernels)
    assert result["status"] == "failed" and result["retryable"]
    assert result["error"] == "kernel exited with status 1"


def test_team_names_cannot_steer_the_output_path(tmp_path, kernels):
    template = make_template(tmp_path)
    bad = dict(job(template), html="../../escape.html")
    result = run_job(bad, str(tmp_path / "out"), kernels=kernels)
    assert result["status"] == "failed" and "refusing to write outside" in result["error"]
    assert not (tmp_path.parent / "escape.html").exists()


def test_offline_html_removes_what_nbconvert_fetches_from_cdns_and_every_script():
    page = ('<script src="https://cdnjs.cloudflare.com/require.min.js"></script>'
            '<script type="text/x-mathjax-config">MathJax.Hub.Config({})</script>'
            '<script type="module">const m = (await import("https://cdn/x.mjs")).default;</script>'
            '<link rel="stylesheet" href="http://fonts.example/css"><link rel="icon" href="data:,">'
            '<p>report</p>')
    clean = offline_html(page)
    assert remote_references(page) and remote_references(clean) == []
    assert "<p>report</p>" in clean and 'href="data:,"' in clean
    assert "<script" not in clean  # a report runs nothing, nbconvert's MathJax configuration neither


def test_partials_of_a_killed_run_are_removed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/.r-2025-03.123.partial.html").write_text("<half")
    (tmp_path / "a/r-2025-02.html").write_text("whole")
    (tmp_path / "a/.notes.partial.txt").write_text("the user's own")  # no output of the batch
    (tmp_path / "a/.r-2025-03.backup.partial.html").write_text("not a name qoswb gives")
    assert remove_partials(tmp_path, ["a/r-2025-03.html", "a/r-2025-03.ipynb", "b/none.html"]) == 1
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        ".notes.partial.txt", ".r-2025-03.backup.partial.html", "r-2025-02.html"]



def test_partials_behind_a_link_out_of_the_folder_are_left_alone(tmp_path):
    outside = tmp_path / "someone-else"
    outside.mkdir()
    (outside / ".r-2025-03.123.partial.html").write_text("theirs")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a").symlink_to(outside)
    (tmp_path / "out" / ".manifest.9.partial.json").write_text("ours")
    assert remove_partials(tmp_path / "out", ["a/r-2025-03.html", "manifest.json"]) == 1
    assert (outside / ".r-2025-03.123.partial.html").read_text() == "theirs"
    assert not (tmp_path / "out" / ".manifest.9.partial.json").exists()
