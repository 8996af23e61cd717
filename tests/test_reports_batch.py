"""Whole batches of tiny templates: failure isolation, --resume, --only, hostile names,
retries, a Dask cluster of separate processes, and a driver killed part-way."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from qoswb.cli import main
from qoswb.filenames import slug
from qoswb.reports.testing import make_parameters, make_template

pytestmark = pytest.mark.slow

# The template fails for the teams listed in broken.txt beside it (the test "fixes" it by emptying it).
BREAKABLE = """from pathlib import Path
broken = Path({path!r}).read_text().split()
if team in broken:
    raise ValueError(f"{{team}} is broken")
"""


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def by_team(out: Path) -> dict:
    return {j["team"]: j for j in manifest(out)["jobs"]}


def html_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.name != "index.html")


def test_one_failing_team_fails_alone_and_resume_reruns_only_it(tmp_path, capsys):
    broken = tmp_path / "broken.txt"
    broken.write_text("Beta")
    make_template(tmp_path, body=BREAKABLE.format(path=str(broken)))
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["Alpha", "Beta", "Gamma"],
                             periods=["2025-03"], title="Weekly service")
    out = tmp_path / "out"
    assert main(["batch", str(params), "--workers", "2", "--no-progress"]) == 1
    printed = capsys.readouterr()
    assert "2 report(s) ok, 1 failed, 0 skipped" in printed.out
    assert f"index: {os.path.relpath(out / 'index.html')}" in printed.out
    assert "Beta 2025-03 tiny: cell 4: ValueError: Beta is broken" in printed.err
    jobs = by_team(out)
    assert {t: j["status"] for t, j in jobs.items()} == {"Alpha": "ok", "Beta": "failed", "Gamma": "ok"}
    assert jobs["Beta"]["error"] == "cell 4: ValueError: Beta is broken"
    assert jobs["Alpha"]["parameters"]["team"] == "Alpha" and jobs["Alpha"]["duration"] > 0
    assert jobs["Alpha"]["outputs"] == [f"{slug('Alpha')}/tiny-2025-03.ipynb",
                                        f"{slug('Alpha')}/tiny-2025-03.html"]
    index = (out / "index.html").read_text()
    assert "Weekly service" in index and "2 report(s) ok, 1 failed" in index
    assert "Beta is broken" in index and f'href="{slug("Gamma")}/tiny-2025-03.html"' in index
    assert "2025-03: all fine" in index  # the headline cell's text
    failed = f"{slug('Beta')}/tiny-2025-03.failed.ipynb"  # its traceback, a click away
    assert f'href="{failed}">the failed notebook</a>' in index and "Beta is broken" in (out / failed).read_text()
    kept = {p: p.stat().st_mtime_ns for p in html_files(out)}
    assert len(kept) == 2

    broken.write_text("")  # fixed
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 0
    assert "1 report(s) ok, 0 failed, 2 skipped" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # the good ones untouched
    again = by_team(out)
    assert all(j["status"] == "ok" for j in again.values())
    assert again["Alpha"]["finished_at"] == jobs["Alpha"]["finished_at"]
    assert not (out / slug("Beta") / "tiny-2025-03.failed.ipynb").exists()
    assert len(html_files(out)) == 3


def test_hostile_team_names_write_only_inside_the_output_folder(tmp_path):
    teams = ["../../evil", "a/b", "a b", "/tmp/abs", "..", "Ωmega ≈ ünïcødé", "<script>alert(1)</script>"]
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=teams, periods=["2025-03"],
                             output="deep/out")
    before = set(tmp_path.rglob("*"))
    assert main(["batch", str(params), "--workers", "2", "--no-progress"]) == 0
    out = (tmp_path / "deep/out").resolve()
    created = set(tmp_path.rglob("*")) - before
    outside = [p for p in created if out not in p.resolve().parents and p.resolve() != out
               and p.resolve() not in out.parents]
    assert outside == []
    assert not Path("/tmp/abs").exists() and not (tmp_path / "evil").exists()
    assert len(html_files(out)) == len(teams)  # "a/b" and "a b" did not overwrite each other
    assert {j["team"] for j in manifest(out)["jobs"]} == set(teams)
    index = (out / "index.html").read_text()
    assert "<script>alert(1)</script>" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index


def test_only_runs_the_named_teams_and_keeps_the_others_records(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_text("")
    make_template(tmp_path, body=BREAKABLE.format(path=str(broken)))
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A", "B", "C"],
                             periods=["2025-02", "2025-03"])
    out = tmp_path / "out"
    assert main(["batch", str(params), "--only", "B", "--no-progress"]) == 0
    assert {(j["team"], j["period"]) for j in manifest(out)["jobs"]} == {("B", "2025-02"), ("B", "2025-03")}
    broken.write_text("C")
    assert main(["batch", str(params), "--only", "A", "C", "--no-progress"]) == 1
    status = {(j["team"], j["period"]): j["status"] for j in manifest(out)["jobs"]}
    assert status == {(t, p): "failed" if t == "C" else "ok" for t in "ABC" for p in ("2025-02", "2025-03")}
    assert main(["batch", str(params), "--only", "Nobody"]) == 2  # a clear error, not a silent no-op


def test_only_with_a_mistyped_team_suggests_the_team(tmp_path, capsys):
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["Returns", "Billing"],
                             periods=["2025-02"])
    assert main(["batch", str(params), "--only", "Retruns", "--no-progress"]) == 2
    message = capsys.readouterr().err
    assert "--only: team 'Retruns' is not among the batch's teams (did you mean 'Returns'" in message


def test_a_kernel_that_dies_is_retried(tmp_path):
    marker = tmp_path / "died-once"
    make_template(tmp_path, body=f"""import os
from pathlib import Path
marker = Path({str(marker)!r} + team)
if not marker.exists():
    marker.write_text("x")
    os._exit(1)
""")
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A", "B"], periods=["2025-03"])
    assert main(["batch", str(params), "--no-progress"]) == 0
    assert [j["attempts"] for j in manifest(tmp_path / "out")["jobs"]] == [2, 2]
    assert main(["batch", str(params), "--retries", "0", "--no-progress"]) == 0  # markers now exist


def test_no_retries_left_is_a_failure(tmp_path):
    make_template(tmp_path, body="import os\nos._exit(1)")
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])
    assert main(["batch", str(params), "--retries", "1", "--no-progress"]) == 1
    job = manifest(tmp_path / "out")["jobs"][0]
    assert job["attempts"] == 2 and job["error"] == "kernel exited with status 1"


@pytest.mark.parametrize("fork_server", ["on", "off"])
def test_a_kernel_killed_by_a_signal_is_failed_in_the_manifest_never_ok(tmp_path, monkeypatch, fork_server):
    monkeypatch.setenv("QOSWB_FORK_SERVER", fork_server)  # the workers' kernels forked, or launched
    make_template(tmp_path, body='import os, signal\nif team == "Big": os.kill(os.getpid(), signal.SIGKILL)')
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["Big", "Small"], periods=["2025-03"])
    assert main(["batch", str(params), "--retries", "0", "--no-progress"]) == 1
    jobs = by_team(tmp_path / "out")
    assert (jobs["Big"]["status"], jobs["Big"]["error"]) == (
        "failed", "kernel killed by signal 9 (SIGKILL — out of memory?)")
    assert jobs["Small"]["status"] == "ok"
    assert not list((tmp_path / "out").rglob("big*.html"))


def test_a_worker_killed_by_a_signal_says_so_in_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("QOSWB_FORK_SERVER", "off")  # a launched kernel's parent is its worker
    make_template(tmp_path, body='import os, signal\nif team == "Big": os.kill(os.getppid(), signal.SIGKILL)')
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["Big", "Small"], periods=["2025-03"])
    assert main(["batch", str(params), "--retries", "0", "--workers", "1", "--no-progress"]) == 1
    jobs = by_team(tmp_path / "out")
    assert (jobs["Big"]["status"], jobs["Big"]["error"]) == (
        "failed", "worker process killed by signal 9 (SIGKILL — out of memory?)")
    assert jobs["Small"]["status"] == "ok"  # on the worker that replaced it


def test_a_fork_server_setting_that_is_neither_on_nor_off_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QOSWB_FORK_SERVER", "sometimes")
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])
    assert main(["batch", str(params), "--no-progress"]) == 2
    assert "QOSWB_FORK_SERVER='sometimes': expected on or off" in capsys.readouterr().err


def test_a_job_over_the_timeout_fails_and_the_others_finish(tmp_path):
    make_template(tmp_path, body='import time\nif team == "Slow": time.sleep(120)')
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["Slow", "Quick"],
                             periods=["2025-03"])
    assert main(["batch", str(params), "--timeout", "4", "--no-progress"]) == 1
    jobs = by_team(tmp_path / "out")
    assert jobs["Slow"]["error"] == "timed out after 4 s" and jobs["Quick"]["status"] == "ok"


def _outputs(out: Path) -> dict:
    """Every report's content, and the executed notebooks' outputs (timestamps aside)."""
    # papermill gives each injected-parameters cell a random id; nothing else may differ
    reports = {str(p.relative_to(out)): re.sub(r'id="cell-id=[0-9a-f-]+"', "", p.read_text())
               for p in html_files(out)}
    for p in out.rglob("*.ipynb"):
        nb = nbformat.read(p, as_version=4)
        reports[str(p.relative_to(out))] = [c.get("outputs") for c in nb.cells]
    return reports


@pytest.fixture
def dask_cluster(tmp_path):
    """A Dask scheduler and two workers on 127.0.0.1, each a process of its own, as on a cluster
    (non-daemonic workers, as the README says, so that they may fork kernels)."""
    from dask.distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask_cli = str(Path(sys.executable).parent / "dask")  # the command a cluster's admin runs
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    started = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                env=env, stdout=subprocess.DEVNULL, stderr=open(logs / "scheduler.log", "w"))]
    try:
        deadline = time.monotonic() + 60
        while True:  # the scheduler first, then the workers that join it
            try:
                client = Client(address, timeout=2, set_as_default=False)
                break
            except OSError:
                assert time.monotonic() < deadline, (logs / "scheduler.log").read_text()[-2000:]
        for i in range(2):
            started.append(subprocess.Popen(
                [dask_cli, "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(tmp_path / f"worker{i}")],
                env=env, stdout=subprocess.DEVNULL, stderr=open(logs / f"worker{i}.log", "w")))
        client.wait_for_workers(2, timeout=90)
        yield address, client
        client.close()
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_a_batch_on_a_cluster_of_separate_processes_gives_the_local_run_s_reports(tmp_path, dask_cluster):
    address, client = dask_cluster
    make_template(tmp_path, body='print(team.upper(), period)')
    make_template(tmp_path, "overview", per_team=False, body="print(sorted(teams))")
    common = dict(templates=["tiny.ipynb", "overview.ipynb"], teams=["A", "B"], periods=["2025-03"])
    local = make_parameters(tmp_path, output="local", **common)
    assert main(["batch", str(local), "--workers", "2", "--no-progress"]) == 0
    on_cluster = local.rename(tmp_path / "local.yaml").with_name("batch.yaml")
    make_parameters(tmp_path, output="cluster", **common)  # tmp_path: a folder every worker can read
    assert main(["batch", str(on_cluster), "--scheduler", address, "--no-progress"]) == 0
    a, b = _outputs(tmp_path / "local"), _outputs(tmp_path / "cluster")
    assert len(a) == 2 * (2 + 1) and a == b
    strip = lambda m: [{k: j[k] for k in ("id", "status", "parameters", "outputs", "attempts")}  # noqa: E731
                       for j in m["jobs"]]
    assert sorted(strip(manifest(tmp_path / "local")), key=str) == sorted(strip(manifest(tmp_path / "cluster")),
                                                                          key=str)
    # the reports were run by the cluster's workers, each with the batch's plugin, forking its kernels
    ran = client.run(lambda: __import__("qoswb.reports.runner", fromlist=["_worker"])._worker.kernels.fork)
    assert list(ran.values()) == [True, True]


def batch_under_way(params: Path, out: Path, stderr=subprocess.DEVNULL, listed: int = 0) -> subprocess.Popen:
    """``qoswb batch`` started in a session of its own (2 workers), once 2 of its reports are written
    and its manifest lists at least ``listed`` (the driver rewrites it at most every 2 s: waiting for
    it alone, a loaded machine may see it first at the batch's end)."""
    # started as from a terminal, where Ctrl-C is not ignored: a suite run in the background (`&`
    # without job control) ignores SIGINT, and its children would inherit that across exec
    command = [sys.executable, "-m", "qoswb", "batch", str(params), "--workers", "2", "--no-progress"]
    as_from_a_terminal = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                          "os.execv(sys.argv[1], sys.argv[1:])")
    driver = subprocess.Popen([sys.executable, "-c", as_from_a_terminal, *command], stdout=subprocess.DEVNULL,
                              stderr=stderr, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # some, not all, reports done
        written = len([p for p in out.glob("*/*.html") if not p.name.startswith(".")]) if out.exists() else 0
        listed_now = len(json.loads((out / "manifest.json").read_text())["jobs"]) \
            if listed and (out / "manifest.json").exists() else 0
        if written >= 2 and listed_now >= listed:
            break
        time.sleep(0.1)
    return driver


def test_a_batch_killed_part_way_resumes_to_complete_reports(tmp_path):
    make_template(tmp_path, body="import time\ntime.sleep(1.5)\nprint('x' * 100000)")
    teams = [f"T{i}" for i in range(8)]
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=teams, periods=["2025-03"])
    out = tmp_path / "out"
    driver = batch_under_way(params, out, listed=2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    finished_before = len(manifest(out)["jobs"])
    assert 2 <= finished_before < len(teams)
    # the index left behind agrees with the manifest and says the batch is incomplete
    left = manifest(out)
    index = (out / "index.html").read_text()
    assert f"{finished_before} report(s) ok, 0 failed" in index
    assert len(left["batch"]["pending"]) == len(teams) - finished_before
    assert f"Incomplete</b>: {len(teams) - finished_before} report(s) not run yet" in index
    time.sleep(1)  # the workers die with the driver (PDEATHSIG); their kernels follow
    assert main(["batch", str(params), "--resume", "--workers", "2", "--no-progress"]) == 0
    jobs = manifest(out)["jobs"]
    assert len(jobs) == len(teams) and all(j["status"] == "ok" for j in jobs)
    assert not list(out.rglob(".*partial*"))
    for p in html_files(out):
        assert p.read_text().rstrip().endswith("</html>") and "x" * 100000 in p.read_text()
    for p in out.rglob("*.ipynb"):
        nbformat.validate(nbformat.read(p, as_version=4))
    assert len(html_files(out)) == len(teams)
    index = (out / "index.html").read_text()
    assert "Incomplete" not in index and f"{len(teams)} report(s) ok, 0 failed" in index


def test_ctrl_c_stops_a_batch_with_one_line_and_resume_finishes_it(tmp_path):
    make_template(tmp_path, body="import time\ntime.sleep(1.5)")
    teams = [f"T{i}" for i in range(8)]
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=teams, periods=["2025-03"])
    out = tmp_path / "out"
    driver = batch_under_way(params, out, stderr=subprocess.PIPE)
    os.killpg(driver.pid, signal.SIGINT)  # as a terminal sends it: to the driver and its workers
    _, err = driver.communicate(timeout=60)
    assert driver.returncode == 130, err
    assert "Traceback" not in err, err
    assert "Passed unknown parameter" not in err  # papermill's line per report for 'sla', not declared here
    assert err.strip().splitlines()[-1] == ("qoswb batch: interrupted: the reports finished so far are kept; "
                                            "run the same command with --resume to make the rest")
    assert main(["batch", str(params), "--resume", "--workers", "2", "--no-progress"]) == 0
    assert len(manifest(out)["jobs"]) == len(teams)


def test_resume_after_the_data_changed_says_which_reports_show_the_earlier_data(tmp_path, capsys):
    from qoswb.data.synthetic import generate

    source, answers = tmp_path / "tickets.parquet", tmp_path / "answers.parquet"
    demo = generate(seed=5, weeks=6, teams=["Billing", "Returns"])
    demo.interactions.to_parquet(source, index=False)
    ghosts = demo.surveys.head(4).assign(id=[f"NOPE{i}" for i in range(4)])  # rate no interaction
    pd.concat([demo.surveys, ghosts]).to_parquet(answers, index=False)
    broken = tmp_path / "broken.txt"
    broken.write_text("Returns")
    make_template(tmp_path, body=BREAKABLE.format(path=str(broken)))
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams="all", periods=["2024-01"],
                             data={"source": str(source), "kind": "interactions",
                                   "surveys": {"source": str(answers)}})
    out = tmp_path / "out"
    assert main(["batch", str(params), "--workers", "2", "--no-progress"]) == 1
    assert manifest(out)["batch"]["summaries"]["surveys"]["unmatched"] == 4
    first = by_team(out)
    assert first["Billing"]["data"] and first["Billing"]["data"] == first["Returns"]["data"]
    # the same data: resume says nothing more
    broken.write_text("Returns")
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 1
    assert "note:" not in capsys.readouterr().err
    # new data (one more week), then resume with Returns fixed: Billing's kept report shows the old data
    generate(seed=5, weeks=7, teams=["Billing", "Returns"]).interactions.to_parquet(source, index=False)
    broken.write_text("")
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "note: the data changed since 1 kept report(s) were made" in err
    assert "note: data cache rebuilt: the source changed" in err
    now = by_team(out)
    assert now["Billing"]["data"] == first["Billing"]["data"] != now["Returns"]["data"]


# --- the batch's folder: it writes only there, and deletes only what it wrote -----------------

def snapshot(folder: Path) -> dict:
    """Every file and folder under ``folder``: content and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def victim_folder(root: Path) -> Path:
    """Someone's folder that merely looks like a batch's: an index, a _cache, partial files."""
    victim = root / "victim"
    (victim / "_cache").mkdir(parents=True)
    (victim / "index.html").write_text("<h1>my own page</h1>")
    (victim / "_cache" / "meta.json").write_text('{"not": "qoswb"}')
    (victim / "_cache" / "photos.parquet").write_bytes(b"PAR1 mine")
    (victim / ".x.partial").write_text("my draft")
    (victim / "team").mkdir()
    (victim / "team" / ".tiny-2025-03.123.partial.html").write_text("my draft too")
    return victim


@pytest.mark.parametrize("manifest_text", [None, '{"name": "my web app", "icons": []}', "{not json"])
def test_a_folder_with_content_and_no_qoswb_manifest_is_refused_untouched(tmp_path, capsys, manifest_text):
    victim = victim_folder(tmp_path)
    if manifest_text is not None:  # a manifest.json of something else
        (victim / "manifest.json").write_text(manifest_text)
    nested = tmp_path / "a" / "b" / "c"
    nested.mkdir(parents=True)
    make_template(nested)
    params = make_parameters(nested, templates=["tiny.ipynb"], teams=["team"], periods=["2025-03"],
                             output="../../../victim")
    before = snapshot(victim)
    assert main(["batch", str(params), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(victim) in err and "no qoswb manifest.json" in err
    assert snapshot(victim) == before


@pytest.mark.parametrize("output", ["a-file", "a-file/out", "/proc/qoswb-cannot-write-here"])
def test_an_output_that_is_a_file_or_cannot_be_written_is_one_line_exit_2(tmp_path, capsys, output):
    (tmp_path / "a-file").write_text("mine")
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"],
                             output=output)
    assert main(["batch", str(params), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("qoswb batch: error: output ")
    assert ("is a file" in err) if output == "a-file" else ("cannot write there" in err)
    assert (tmp_path / "a-file").read_text() == "mine"


def test_a_rerun_removes_its_own_leftovers_and_nothing_else(tmp_path):
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])
    out = tmp_path / "out"
    assert main(["batch", str(params), "--no-progress"]) == 0
    job_folder = out / slug("A")
    ours = [job_folder / ".tiny-2025-03.4242.partial.html", job_folder / ".tiny-2025-03.4242.partial.ipynb",
            out / ".index.4242.partial.html", out / ".manifest.4242.partial.json"]
    theirs = [job_folder / ".notes.partial.txt", out / ".x.partial", job_folder / "my-notes.html",
              out / "elsewhere" / ".tiny-2025-03.4242.partial.html"]  # not a folder of this batch's jobs
    for path in ours + theirs:
        path.parent.mkdir(exist_ok=True)
        path.write_text("left here")
    assert main(["batch", str(params), "--no-progress"]) == 0
    assert [p for p in ours if p.exists()] == []
    assert all(p.read_text() == "left here" for p in theirs)


def test_an_empty_folder_is_taken_and_marked_as_the_batchs_at_once(tmp_path):
    make_template(tmp_path)
    (tmp_path / "out").mkdir()
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])
    assert main(["batch", str(params), "--no-progress"]) == 0
    assert manifest(tmp_path / "out")["jobs"][0]["status"] == "ok"
    assert main(["batch", str(params), "--no-progress"]) == 0  # its own folder now: accepted again


def test_resume_reruns_every_report_whose_parameters_or_template_changed(tmp_path, capsys):
    make_template(tmp_path, body="print(targets)")
    common = dict(templates=["tiny.ipynb"], teams=["A", "B", "C"], periods=["2025-03"])
    params = make_parameters(tmp_path, targets={"sla_response": 0.8}, **common)
    out = tmp_path / "out"
    assert main(["batch", str(params), "--no-progress"]) == 0
    capsys.readouterr()
    make_parameters(tmp_path, targets={"sla_response": 0.9}, **common)  # a changed target
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert "3 report(s) ok, 0 failed, 0 skipped" in printed.out
    assert "note: 3 re-run: parameters changed" in printed.err
    assert all(j["parameters"]["targets"] == {"sla_response": 0.9} for j in manifest(out)["jobs"])
    assert all("0.9" in p.read_text() for p in html_files(out))
    # the same parameters again: nothing to do
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert "0 report(s) ok, 0 failed, 3 skipped" in printed.out and "re-run" not in printed.err
    make_template(tmp_path, body="print('new template', targets)")  # the template edited in place
    assert main(["batch", str(params), "--resume", "--only", "B", "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert "1 report(s) ok, 0 failed, 0 skipped" in printed.out and "note: 1 re-run" in printed.err
    assert "new template" in (out / slug("B") / "tiny-2025-03.html").read_text()
    assert "new template" not in (out / slug("A") / "tiny-2025-03.html").read_text()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("listener", ["none", "a web server"])
def test_a_scheduler_that_does_not_answer_is_one_line_exit_2_within_10_s_and_no_index(tmp_path, capsys, listener):
    import http.server
    import threading

    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])
    port, server = free_port(), None
    if listener == "a web server":  # accepts the connection, never speaks Dask (e.g. the dashboard's port)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        assert main(["batch", str(params), "--scheduler", f"tcp://127.0.0.1:{port}", "--no-progress"]) == 2
        assert time.monotonic() - started < 10
    finally:
        if server is not None:
            server.shutdown()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no Dask scheduler answered within 8 s" in err, err
    assert not (tmp_path / "out" / "index.html").exists()


# --- no secret in any output -------------------------------------------------------------------

CANARY = "Canary-Pa55word-7f3e"


@pytest.fixture
def postgres_tickets():
    """A table of tickets on the PostgreSQL server at 127.0.0.1:5432 (trust auth: any password works)."""
    import uuid

    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    from qoswb.data.synthetic import generate

    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    name = f"qoswb_secret_{uuid.uuid4().hex[:10]}"
    generate(seed=2, weeks=5, teams=["Billing", "Returns"]).interactions.to_sql(name, engine, index=False)
    try:
        yield name
    finally:
        with engine.begin() as con:
            con.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        engine.dispose()


def grep_folder(folder: Path, secret: str) -> list[str]:
    """Files under ``folder`` whose bytes hold ``secret`` anywhere (Parquet and notebooks included)."""
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.postgres
@pytest.mark.parametrize("url, shown", [
    (f"postgresql+psycopg://postgres:{CANARY}@127.0.0.1:5432/test", "postgresql+psycopg://postgres:***@127.0.0.1:5432/test"),
    # a secret in the query string (libpq's sslpassword) and the password both
    (f"postgresql+psycopg://postgres:{CANARY}@127.0.0.1:5432/test?sslpassword={CANARY}&application_name=qoswb",
     "postgresql+psycopg://postgres:***@127.0.0.1:5432/test?application_name=qoswb&sslpassword=***"),
])
def test_a_database_password_reaches_no_output_file_and_no_printed_line(tmp_path, capfd, postgres_tickets, url, shown):
    make_template(tmp_path, body="import json, pathlib\nprint(json.loads((pathlib.Path(cache) / 'meta.json').read_text())['source'])")
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams="all", periods=["2024-01"],
                             data={"source": url, "table": postgres_tickets, "kind": "interactions"})
    out = tmp_path / "out"
    assert main(["batch", str(params), "--workers", "1"]) == 0  # with the progress bar
    assert main(["batch", str(params), "--resume", "--workers", "1"]) == 0
    printed = capfd.readouterr()
    assert CANARY not in printed.out + printed.err
    assert "data cache rebuilt: a database source cannot be checked" in printed.err
    assert grep_folder(out, CANARY) == []
    meta = json.loads((out / "_cache" / "meta.json").read_text())
    assert meta["source"] == shown
    assert "postgres:***@" in (out / slug("Billing") / "tiny-2024-01.html").read_text()
    assert meta["summaries"]["interactions"]["accepted"] > 0


@pytest.mark.parametrize("url", [f"postgresql+psycopg://postgres:{CANARY}@127.0.0.1:1/test",
                                 f"nosuchdriver://postgres:{CANARY}@127.0.0.1/test",
                                 f"postgresql+psycopg://postgres:x@127.0.0.1:1/test?password={CANARY}"])
def test_a_database_that_fails_names_it_without_its_password(tmp_path, capfd, url):
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams="all", periods=["2024-01"],
                             data={"source": url, "table": "tickets", "kind": "interactions"})
    assert main(["batch", str(params), "--no-progress"]) == 2
    printed = capfd.readouterr()
    err = printed.err.strip()
    assert len(err.splitlines()) == 1 and "postgres:***@127.0.0.1" in err
    assert CANARY not in printed.out + printed.err and grep_folder(tmp_path / "out", CANARY) == []


# A team report that says whether the batch charted its period for it beforehand (qoswb.reports.asof).
READS_PREPARED = """from qoswb.reports import asof
print("prepared" if asof.stored(cache, team, period_end, kpis, targets) is not None else "alone")
"""


def test_a_period_of_three_team_reports_is_charted_once_before_them(tmp_path):
    # one worker: the charting is handed out first, so every report finds it done (with more
    # workers, a report that starts meanwhile charts its own team: none waits)
    make_template(tmp_path, body=READS_PREPARED)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], data="demo", teams=["Billing", "Orders", "Returns"],
                             periods=["2025-05"], kpis=["fcr", "csat"], targets={"fcr": 0.7})
    assert main(["batch", str(params), "--workers", "1", "--no-progress"]) == 0
    said = [" ".join(o.get("text", "") for c in nbformat.read(p, as_version=4).cells for o in c.get("outputs", []))
            for p in (tmp_path / "out").rglob("tiny-2025-05.ipynb")]
    assert len(said) == 3 and all("prepared" in s for s in said), said


def test_a_preparation_that_fails_is_a_note_and_costs_only_time(tmp_path, dask_cluster):
    from qoswb.reports import asof, runner

    address, _ = dask_cluster
    template = make_template(tmp_path, body="print(team)")
    jobs = [{"id": "a", "template_path": str(template), "parameters": {"team": "A"},
             "notebook": "a.ipynb", "html": "a.html"}]
    notes = []
    results = runner.run(jobs, str(tmp_path / "out"), scheduler=address, notes=notes, before=[
        ("the charts as of 2025-06-01", asof.prepare, (str(tmp_path / "no-cache"), "2025-06-01", ["A"], None, None))])
    assert results["a"]["status"] == "ok", results
    said = [n for n in notes if n.startswith("the charts as of 2025-06-01 could not be prepared (")]
    assert len(said) == 1 and "no-cache" in said[0] and said[0].endswith("each report did that work itself"), notes


def test_a_cache_with_charts_stored_in_it_is_rebuilt_when_the_data_changes(tmp_path, capsys):
    from qoswb.data.synthetic import generate

    source = tmp_path / "tickets.parquet"
    teams = ["Billing", "Returns", "Orders"]
    generate(seed=5, weeks=6, teams=teams).interactions.to_parquet(source, index=False)
    make_template(tmp_path, body=READS_PREPARED)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams="all", periods=["2024-01"],
                             data={"source": str(source), "kind": "interactions"})
    assert main(["batch", str(params), "--workers", "1", "--no-progress"]) == 0
    stored = tmp_path / "out" / "_cache" / "asof"
    # three team reports of one period: charted once, their figures computed once
    assert len(list(stored.glob("*.figures.parquet"))) == 1 and len(list(stored.glob("*.points.parquet"))) == 1
    generate(seed=5, weeks=7, teams=teams).interactions.to_parquet(source, index=False)
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 0
    assert "note: data cache rebuilt: the source changed" in capsys.readouterr().err
    stored.mkdir(exist_ok=True)  # the rebuilt cache had nothing to chart: every report was kept
    (stored / "mine.txt").write_text("not qoswb's")  # someone's file among the stored charts
    generate(seed=5, weeks=8, teams=teams).interactions.to_parquet(source, index=False)
    assert main(["batch", str(params), "--resume", "--no-progress"]) == 2
    assert "not a data cache qoswb wrote" in capsys.readouterr().err
    assert (stored / "mine.txt").read_text() == "not qoswb's"


def test_a_period_the_data_does_not_reach_is_one_line_exit_2_before_any_report(tmp_path, capsys):
    from qoswb.data.synthetic import generate

    source = tmp_path / "tickets.parquet"  # 1 January to 24 March 2024
    generate(seed=5, weeks=12, teams=["Billing"]).interactions.to_parquet(source, index=False)
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams="all", periods=["2024-03", "2024-05"],
                             data={"source": str(source), "kind": "interactions"})
    assert main(["batch", str(params), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "'periods' has 2024-05, which the data does not reach (it runs from 2024-01-01 to 2024-03-24)" in err
    assert not list((tmp_path / "out").rglob("*.html"))


def test_a_team_not_in_the_data_is_one_line_with_a_did_you_mean(tmp_path, capsys):
    from qoswb.data.synthetic import generate

    source = tmp_path / "tickets.parquet"
    generate(seed=5, weeks=6, teams=["Billing", "Returns"]).interactions.to_parquet(source, index=False)
    make_template(tmp_path)
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["Returns", "Bilings"], periods=["2024-01"],
                             data={"source": str(source), "kind": "interactions"})
    assert main(["batch", str(params), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'teams' lists ['Bilings'], not in the data (did you mean 'Billing'?)" in err
