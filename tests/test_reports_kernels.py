"""Report kernels: forked from a warm server yet as fresh as launched ones, ready quickly,
replaced when their server dies, and never outliving their worker."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync

from qoswb.reports import forkserver
from qoswb.reports.execute import run_job
from qoswb.reports.kernels import Kernels, kill
from qoswb.reports.testing import make_template

REPO = Path(__file__).resolve().parents[1]
needs_fork = pytest.mark.skipif(not forkserver.available(), reason="kernels are forked on Linux only")

# What a report could notice about the process it runs in.
PROBE = """import json, os, sys
import matplotlib.pyplot as plt
import numpy as np
fig, ax = plt.subplots(figsize=(2, 1))
ax.plot([1, 3, 2])
print(json.dumps({"cwd": os.getcwd(), "path": sys.path, "backend": plt.get_backend(),
                  "shell": type(get_ipython()).__name__, "pid": os.getpid(), "pgid": os.getpgid(0),
                  "random": np.random.rand(), "pandas": "pandas" in sys.modules,
                  "stdout": type(sys.stdout).__name__, "hook": "flush_figures" in repr(get_ipython().events.callbacks)}))
"""


def probe(tmp_path, kernels, name):
    template = make_template(tmp_path, name="probe", body=PROBE)
    out = tmp_path / "out"
    job = {"template_path": str(template), "parameters": {"team": "North"},
           "notebook": f"{name}.ipynb", "html": f"{name}.html"}
    result = run_job(job, str(out), kernels=kernels)
    assert result["status"] == "ok", result
    cells = nbformat.read(out / f"{name}.ipynb", as_version=4).cells
    outputs = [o for c in cells for o in c.get("outputs", [])]
    facts = json.loads([o["text"] for o in outputs if o.get("name") == "stdout"][-1])
    facts["figures"] = sum("image/png" in o.get("data", {}) for o in outputs)
    return facts


def test_preload_names_gain_what_they_load_on_first_use_and_drop_odd_names():
    kernels = Kernels(prewarm=False, preload=["pandas", "matplotlib.pyplot", "pandas", "os; rm"])
    assert kernels.preload == ["pandas", "matplotlib.pyplot"]
    # a live shell (a launched kernel) may import the inline backend; the fork server may not,
    # since the backend hooks itself into the shell that exists when it is imported
    assert forkserver.modules_to_preload(kernels.preload, shell=True) == [
        "pandas", "pandas.io.formats.style", "matplotlib.pyplot", "matplotlib.backends.backend_agg",
        "IPython.core.pylabtools", "matplotlib_inline.backend_inline"]
    assert "matplotlib_inline.backend_inline" not in forkserver.modules_to_preload(kernels.preload)


def test_only_ipykernel_launches_are_forked():
    assert forkserver.kernel_args([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-f", "c.json"]
    assert forkserver.kernel_args(["julia", "-i", "kernel.jl", "c.json"]) is None
    assert forkserver.kernel_python(["python", "-m", "ipykernel_launcher"]) == sys.executable
    assert forkserver.kernel_python(["/opt/py/bin/python3.12", "-m", "ipykernel_launcher"]) == "/opt/py/bin/python3.12"


@needs_fork
@pytest.mark.slow
def test_a_forked_kernel_looks_to_a_report_like_a_launched_one(tmp_path):
    forked = Kernels(prewarm=True, cwd=str(tmp_path / "out"), preload=["pandas", "matplotlib.pyplot"])
    launched = Kernels(prewarm=False, cwd=str(tmp_path / "out"), fork=False)
    (tmp_path / "out").mkdir()
    try:
        a, b = probe(tmp_path, forked, "a"), probe(tmp_path, forked, "b")
        fresh = probe(tmp_path, launched, "fresh")
        server = forked._server._process.pid
    finally:
        forked.close()
        launched.close()
    for key in ("cwd", "path", "backend", "shell", "stdout", "hook", "figures"):
        assert a[key] == b[key] == fresh[key], key
    assert a["figures"] == 1 and a["hook"]  # figures still shown by the inline backend
    assert a["pandas"] and not fresh["pandas"]  # the server's imports are what a fork saves
    assert len({a["pid"], b["pid"], server}) == 3  # a new process per report
    assert a["pgid"] == a["pid"]  # its own process group, as a launched kernel has
    assert a["random"] != b["random"]  # NumPy's global generator reseeded in every fork


@needs_fork
@pytest.mark.slow
def test_a_team_report_is_the_same_from_a_forked_and_a_launched_kernel(tmp_path):
    from qoswb.reports import cache as rc

    template = REPO / "templates" / "team_report.ipynb"
    cache = str(rc.demo_cache())
    teams = rc.meta(cache)["teams"]
    job = {"template_path": str(template), "parameters": {"team": teams[1], "cache": cache}}
    preload = ["pandas", "pyarrow.parquet", "matplotlib.pyplot", "qoswb.reports.views"]
    outputs = {}
    for name, fork in (("forked", True), ("launched", False)):
        kernels = Kernels(prewarm=False, cwd=str(tmp_path), preload=preload, fork=fork)
        try:
            result = run_job(dict(job, notebook=f"{name}.ipynb", html=f"{name}.html"), str(tmp_path),
                             kernels=kernels)
        finally:
            kernels.close()
        assert result["status"] == "ok", result
        cells = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4).cells
        # what differs between any two processes: a Styler's random table id, object addresses
        outputs[name] = [re.sub(r"T_[0-9a-f]{5}| at 0x[0-9a-f]+", "", json.dumps([o.get("text"), o.get("data")]))
                         for c in cells for o in c.get("outputs", [])]
    pngs = [o for o in outputs["forked"] if "image/png" in o]
    assert len(pngs) >= 2  # the KPI charts and the Pareto
    assert outputs["forked"] == outputs["launched"]  # every text, table and PNG byte


@needs_fork
def test_a_dead_fork_server_is_replaced_and_a_dead_kernel_is_reported(tmp_path):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path))
    try:
        km = kernels.take()
        first = kernels._server._process.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while run_sync(km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not run_sync(km.is_alive)()  # its kernels die with it
        client = km.client()
        client.start_channels()
        with pytest.raises(RuntimeError, match="died|respond"):
            run_sync(client.wait_for_ready)(timeout=5)
        client.stop_channels()
        kernels.release(km)
        km = kernels.take()  # a new server, and a kernel that answers
        assert kernels._server._process.pid != first
        client = km.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=30)
        reply = run_sync(client.execute_interactive)("x = 6 * 7", timeout=30)
        assert reply["content"]["status"] == "ok"
        client.stop_channels()
        kernels.release(km)
    finally:
        kernels.close()


WORKER = """
import sys, time
from qoswb.reports.kernels import Kernels
kernels = Kernels(prewarm=True, cwd=sys.argv[1])
km = kernels.take()
print(kernels._server._process.pid, km.provisioner.pid, kernels._next.provisioner.pid, flush=True)
time.sleep(600)
"""


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" in status.read_text()


@needs_fork
def test_a_killed_worker_leaves_no_server_or_kernel_behind(tmp_path):
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in worker.stdout.readline().split()]
    assert len(pids) == 3 and not any(gone(p) for p in pids)
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 15
    while not all(gone(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in pids if not gone(p)] == []


@needs_fork
def test_release_kills_the_kernel_and_what_it_started(tmp_path):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path))
    try:
        km = kernels.take()
        client = km.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=30)
        code = textwrap.dedent("""
            import subprocess, sys
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            print(child.pid)""")
        said = []
        run_sync(client.execute_interactive)(code, timeout=30,
                                             output_hook=lambda m: said.append(m["content"].get("text", "")))
        child = int("".join(said).split()[0])
        client.stop_channels()
        kernel = km.provisioner.pid
        kernels.release(km)
        deadline = time.monotonic() + 10
        while not (gone(kernel) and gone(child)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(kernel) and gone(child)
    finally:
        kernels.close()
    assert kernels._dying == [] and kernels._server is None


def test_kill_is_quiet_for_a_kernel_already_gone(tmp_path):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path), fork=False)
    km = kernels.take()
    kill(km)
    kill(km)  # no error the second time
    kernels.release(km)
    kernels.close()
    assert kernels._dying == []


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts /proc/self entries (Linux)")
def test_a_worker_holds_no_more_threads_or_files_after_many_jobs(tmp_path):
    # papermill never closes its client for a kernel it was handed: each would keep a zmq
    # context (an I/O thread) and a dozen file descriptors, until a big batch's worker runs out
    def held():
        return len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))

    template = make_template(tmp_path, body="x = 1")
    kernels = Kernels(prewarm=True, cwd=str(tmp_path))
    counts = []
    try:
        for i in range(10):
            job = {"template_path": str(template), "parameters": {"team": "N"},
                   "notebook": f"r{i}.ipynb", "html": f"r{i}.html"}
            assert run_job(job, str(tmp_path), kernels=kernels)["status"] == "ok"
            counts.append(held())
    finally:
        kernels.close()
    (threads_early, files_early), (threads_late, files_late) = counts[2], counts[-1]
    assert threads_late <= threads_early + 6 and files_late <= files_early + 25, counts


@needs_fork
def test_a_fork_server_that_never_answers_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "hangs_on_import.py").write_text("import time\ntime.sleep(600)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    server = forkserver.ForkServer(sys.executable, ["hangs_on_import"], cwd=str(tmp_path))
    try:
        with pytest.raises(RuntimeError, match=r"no kernel within 2 s \(importing hangs_on_import"):
            server.spawn(["-f", str(tmp_path / "k.json")], str(tmp_path), dict(os.environ), timeout=2)
        assert not server.alive
    finally:
        server.close()


@needs_fork
def test_after_a_fork_server_hangs_kernels_are_launched_the_ordinary_way(tmp_path):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path))
    try:
        km = kernels.take()  # a forked kernel
        hung = kernels._server
        hung.timed_out = True  # as spawn() leaves a server that never answered
        kernels.release(km)
        km = kernels.take()
        assert not kernels.fork and kernels._server is hung
        assert forkserver.kernel_args(km.kernel_spec.argv) is not None
        assert not isinstance(km.provisioner.process, forkserver.ForkedProcess)
        assert run_sync(km.is_alive)()
        kernels.release(km)
    finally:
        kernels.close()


# A kernel that ends mid-report, as the OOM killer or a crash would end it, or with a status of its own.
ENDINGS = [("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
            "kernel killed by signal 9 (SIGKILL — out of memory?)"),
           ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)",
            "kernel killed by signal 11 (SIGSEGV — a crash)"),
           ("import os\nos._exit(3)", "kernel exited with status 3")]


@pytest.mark.parametrize("fork", [pytest.param(True, marks=needs_fork), False, "stdlib"],
                         ids=["forked", "launched", "stdlib-forked"])
def test_how_a_kernel_ended_is_the_report_s_error(tmp_path, fork):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path), fork=fork)
    try:
        for i, (body, error) in enumerate(ENDINGS):
            template = make_template(tmp_path, name=f"ends{i}", body=body)
            job = {"template_path": str(template), "parameters": {"team": "North"},
                   "notebook": f"r{i}.ipynb", "html": f"r{i}.html"}
            result = run_job(job, str(tmp_path / "out"), kernels=kernels)
            assert (result["status"], result["error"], result["retryable"]) == ("failed", error, True)
            assert not (tmp_path / "out" / f"r{i}.html").exists()
        km = kernels.take()
        forked = type(km.provisioner.process).__name__ in {"ForkedProcess", "KernelProcess"}
        kernels.release(km)
        assert forked == bool(fork)  # the path under test, no fallback to launching
    finally:
        kernels.close()


@needs_fork
def test_the_fork_server_reports_each_kernel_s_exit_code(tmp_path):
    server = forkserver.ForkServer(sys.executable, [], cwd=str(tmp_path))
    try:
        first = server.spawn(["-f", str(tmp_path / "a.json")], str(tmp_path), dict(os.environ))
        second = server.spawn(["-f", str(tmp_path / "b.json")], str(tmp_path), dict(os.environ))
        os.kill(second.pid, signal.SIGKILL)  # from outside, as the OOM killer does
        first.terminate()
        assert (first.wait(timeout=30), second.wait(timeout=30)) == (-signal.SIGTERM, -signal.SIGKILL)
        assert server._exits == {}  # every kernel's code delivered, none left waiting
        assert server.alive
    finally:
        server.close()


def test_a_kernel_that_cannot_start_is_a_kernel_start_error(tmp_path):
    from qoswb.errors import KernelStartError

    kernels = Kernels(kernel_name="no_such_kernel_spec", prewarm=False, cwd=str(tmp_path))
    with pytest.raises(KernelStartError, match="no_such_kernel_spec kernel did not start: NoSuchKernel"):
        kernels.take()
    template = make_template(tmp_path)
    job = {"template_path": str(template), "parameters": {"team": "North"}, "notebook": "r.ipynb",
           "html": "r.html"}
    result = run_job(job, str(tmp_path / "out"), kernels=kernels)
    assert result["status"] == "failed" and result["retryable"]
    assert result["error"].startswith("no_such_kernel_spec kernel did not start")


def test_a_kernel_that_dies_before_answering_says_how_it_ended(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / "dies_at_once"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", "import sys; sys.exit(7)", "{connection_file}"],
        "display_name": "dies at once", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernels = Kernels(kernel_name="dies_at_once", prewarm=False, cwd=str(tmp_path))
    template = make_template(tmp_path)
    job = {"template_path": str(template), "parameters": {"team": "North"}, "notebook": "r.ipynb",
           "html": "r.html"}
    try:
        result = run_job(job, str(tmp_path / "out"), kernels=kernels, start_timeout=20)
    finally:
        kernels.close()
    assert (result["status"], result["retryable"]) == ("failed", True)
    assert result["error"] == "the kernel died before replying to kernel_info: kernel exited with status 7"
