"""Whole batches of tiny templates: failure isolation, --resume, --only, hostile names,
retries, Dask LocalCluster, and a driver killed part-way."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
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
    assert job["attempts"] == 2 and "DeadKernelError" in job["error"]


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


def test_dask_local_cluster_gives_the_same_outputs_as_the_local_pool(tmp_path):
    make_template(tmp_path, body='print(team.upper(), period)')
    make_template(tmp_path, "overview", per_team=False, body="print(sorted(teams))")
    common = dict(templates=["tiny.ipynb", "overview.ipynb"], teams=["A", "B", "C"],
                  periods=["2025-02", "2025-03"])
    local = make_parameters(tmp_path, output="local", **common)
    assert main(["batch", str(local), "--workers", "2", "--no-progress"]) == 0
    dask = local.rename(tmp_path / "local.yaml").with_name("batch.yaml")
    make_parameters(tmp_path, output="dask", **common)
    assert main(["batch", str(dask), "--scheduler", "local", "--workers", "2", "--no-progress"]) == 0
    a, b = _outputs(tmp_path / "local"), _outputs(tmp_path / "dask")
    assert len(a) == 2 * (3 * 2 + 2) and a == b
    strip = lambda m: [{k: j[k] for k in ("id", "status", "parameters", "outputs")} for j in m["jobs"]]  # noqa: E731
    assert sorted(strip(manifest(tmp_path / "local")), key=str) == sorted(strip(manifest(tmp_path / "dask")), key=str)


def test_a_batch_killed_part_way_resumes_to_complete_reports(tmp_path):
    make_template(tmp_path, body="import time\ntime.sleep(1.5)\nprint('x' * 100000)")
    teams = [f"T{i}" for i in range(8)]
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams=teams, periods=["2025-03"])
    out = tmp_path / "out"
    driver = subprocess.Popen([sys.executable, "-m", "qoswb", "batch", str(params), "--workers", "2",
                               "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it once some, not all, reports are done
        done = json.loads((out / "manifest.json").read_text())["jobs"] if (out / "manifest.json").exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    finished_before = len(manifest(out)["jobs"])
    assert 2 <= finished_before < len(teams)
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


def test_resume_after_the_data_changed_says_which_reports_show_the_earlier_data(tmp_path, capsys):
    from qoswb.data.synthetic import generate

    source = tmp_path / "tickets.parquet"
    generate(seed=5, weeks=6, teams=["Billing", "Returns"]).interactions.to_parquet(source, index=False)
    broken = tmp_path / "broken.txt"
    broken.write_text("Returns")
    make_template(tmp_path, body=BREAKABLE.format(path=str(broken)))
    params = make_parameters(tmp_path, templates=["tiny.ipynb"], teams="all", periods=["2024-01"],
                             data={"source": str(source), "kind": "interactions"})
    out = tmp_path / "out"
    assert main(["batch", str(params), "--workers", "2", "--no-progress"]) == 1
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
    now = by_team(out)
    assert now["Billing"]["data"] == first["Billing"]["data"] != now["Returns"]["data"]
