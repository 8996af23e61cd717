"""manifest.json and index.html: what --resume trusts, and what a reader sees."""

import json

import pytest

from qoswb.cli import main
from qoswb.reports.index import Manifest, write_index
from qoswb.reports.testing import make_parameters, make_template


def job(team, period="2025-03", folder=None):
    folder = folder or team.lower()
    return {"id": f"r/{folder}/{period}", "template": "r", "template_path": "/t/r.ipynb", "team": team,
            "period": period, "parameters": {"team": team, "period": period},
            "notebook": f"{folder}/r-{period}.ipynb", "html": f"{folder}/r-{period}.html"}


def ok(j):
    return {"status": "ok", "duration": 1.5, "outputs": [j["notebook"], j["html"]], "error": None,
            "headline": "1 deteriorating"}


def test_the_manifest_is_written_after_each_job_and_read_back(tmp_path):
    m = Manifest(tmp_path, batch={"title": "t"})
    a, b = job("A"), job("B")
    for j in (a, b):
        (tmp_path / j["notebook"]).parent.mkdir()
        (tmp_path / j["notebook"]).write_text("{}")
        (tmp_path / j["html"]).write_text("<html>")
    m.record(a, ok(a))
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["batch"] == {"title": "t"}
    assert on_disk["jobs"][0] | {"finished_at": None} == {
        "id": "r/a/2025-03", "template": "r", "template_path": "/t/r.ipynb", "team": "A", "period": "2025-03",
        "parameters": {"team": "A", "period": "2025-03"}, "status": "ok", "duration": 1.5,
        "outputs": ["a/r-2025-03.ipynb", "a/r-2025-03.html"], "error": None, "headline": "1 deteriorating",
        "attempts": 1, "finished_at": None, "data": None, "template_hash": None}
    m.record(b, {"status": "failed", "error": "cell 3: KeyError: 'x'", "outputs": []})
    again = Manifest(tmp_path)
    assert again.ok("r/a/2025-03") and not again.ok("r/b/2025-03") and not again.ok("r/c/2025-03")
    (tmp_path / a["html"]).unlink()  # a report deleted by hand is missing, whatever the manifest says
    assert not Manifest(tmp_path).ok("r/a/2025-03")


def test_an_unreadable_manifest_means_everything_is_missing(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    assert Manifest(tmp_path).records == {}


def test_a_manifest_cannot_point_resume_outside_the_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "secret.html").write_text("x")
    record = {"id": "r/x/1", "status": "ok", "outputs": ["../secret.html"]}
    (tmp_path / "out/manifest.json").write_text(json.dumps({"jobs": [record]}))
    assert not Manifest(tmp_path / "out").ok("r/x/1")


def test_the_index_shows_links_headlines_failures_and_gaps(tmp_path):
    m = Manifest(tmp_path, batch={})
    a, b = job("North"), job("<b>South</b>", folder="south")
    m.record(a, ok(a))
    m.record(b, {"status": "failed", "error": "cell 4: ValueError: no <data>", "outputs": []})
    portfolio = dict(job("all", folder="_portfolio"), team=None)
    m.record(portfolio, ok(portfolio))
    page = write_index(m, ["North", "<b>South</b>", "West"], ["2025-03"], "Monthly <reports>").read_text()
    assert "<title>Monthly &lt;reports&gt;</title>" in page and "2 report(s) ok, 1 failed" in page
    assert 'href="north/r-2025-03.html"' in page and "1 deteriorating" in page
    assert "&lt;b&gt;South&lt;/b&gt;" in page and "<b>South</b>" not in page
    assert "no &lt;data&gt;" in page and "<h2>Failures</h2>" in page
    assert "failed notebook" not in page  # this failure left none
    assert page.index("Portfolio (all teams)") < page.index("North")
    assert '<td class="missing">not run</td>' in page  # West has no report


def test_a_failed_report_links_the_notebook_it_left_with_its_traceback(tmp_path):
    m = Manifest(tmp_path, batch={})
    a = job("<b>South</b>", folder="south\"'")
    kept = a["notebook"].replace(".ipynb", ".failed.ipynb")
    m.record(a, {"status": "failed", "error": "cell 4: ValueError: no data", "outputs": [kept]})
    page = write_index(m, ["<b>South</b>"], ["2025-03"], "Monthly").read_text()
    link = '<a href="south&quot;&#x27;/r-2025-03.failed.ipynb">the failed notebook</a>'
    assert page.count(link) == 2  # in the team's cell and in the list of failures


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers must be 1 or more"),
    (["--timeout", "-1"], "--timeout must be a number of seconds above 0"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, argv, message):
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])
    assert main(["batch", str(params), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"qoswb batch: error: {message}"


def test_a_bad_parameters_file_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("templates: [team_report]\nteams: North\nperiods: [2025-03]\noutput: out\n")
    assert main(["batch", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'teams' must be 'all' or a non-empty list of team names, got 'North'" in err[0]


def test_an_index_written_while_jobs_are_pending_says_incomplete_and_agrees_with_the_manifest(tmp_path):
    a, b, c = job("A"), job("B"), job("C")
    m = Manifest(tmp_path, batch={"pending": [a["id"], b["id"], c["id"]]})
    m.record(a, {"status": "failed", "error": "cell 2: KeyError: 'x'", "outputs": []})
    page = write_index(m, ["A", "B", "C"], ["2025-03"], "t").read_text()
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["batch"]["pending"] == [b["id"], c["id"]]
    assert "0 report(s) ok, 1 failed" in page and "Incomplete</b>: 2 report(s) not run yet" in page
    for j in (b, c):
        m.record(j, {"status": "failed", "error": "e", "outputs": []})
    page = write_index(m, ["A", "B", "C"], ["2025-03"], "t").read_text()
    assert "Incomplete" not in page and "0 report(s) ok, 3 failed" in page


def test_the_index_shows_the_data_counts_with_unmatched_answers_and_no_password(tmp_path):
    summaries = {"interactions": {"source": "postgresql://qos:hunter2@db/qos (tickets)", "rows_read": 1200,
                                  "accepted": 1190, "rejected": 10},
                 "surveys": {"rows_read": 500, "accepted": 500, "rejected": 0, "unmatched": 37}}
    m = Manifest(tmp_path, batch={"summaries": summaries})
    a = job("A")
    m.record(a, {"status": "failed", "error": "cannot open postgresql://qos:hunter2@db/qos", "outputs": []})
    page = write_index(m, ["A"], ["2025-03"], "t").read_text()
    assert "interactions 1,200 read, 1,190 accepted, 10 rejected" in page
    assert "surveys 500 read, 500 accepted, 0 rejected, 37 rate no interaction" in page
    assert "hunter2" not in page and "hunter2" not in (tmp_path / "manifest.json").read_text()
    assert "postgresql://qos:***@db/qos" in page


def test_a_changed_parameter_or_template_makes_a_different_job(tmp_path):
    a = dict(job("A"), template_hash="t1")
    m = Manifest(tmp_path)
    m.record(a, {"status": "ok", "outputs": []})
    assert m.same_job(dict(a)) and m.same_job(dict(a, parameters=dict(a["parameters"])))
    assert not m.same_job(dict(a, parameters=dict(a["parameters"], targets={"sla_response": 0.9})))
    assert not m.same_job(dict(a, template_hash="t2"))
    assert not m.same_job(dict(a, template_path="/t/other.ipynb"))
