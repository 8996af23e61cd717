"""Report kernels: forked from the standard library's fork server (through qoswb's registered
kernel provisioner) yet as fresh as launched ones, ready quickly, replaced when their server
dies, never outliving their worker, and saying how they ended."""

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
import psutil
import pytest
from jupyter_core.utils import run_sync

from qoswb.reports import stdlibfork
from qoswb.reports.execute import run_job
from qoswb.reports.kernels import Kernels, kill
from qoswb.reports.testing import make_template

REPO = Path(__file__).resolve().parents[1]
needs_fork = pytest.mark.skipif(not stdlibfork.available(), reason="no forkserver start method here (Windows)")


def kernel_pid(km) -> int:
    """The pid of a kernel, forked (a multiprocessing.Process) or launched (a Popen)."""
    return km.provisioner.kernel.pid if Kernels.forked(km) else km.provisioner.pid


def ended(process) -> bool:
    """Whether a psutil process is gone or a zombie (dead, waiting for a parent to reap it)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def printed(km, *codes: str) -> str:
    """What the kernel of ``km`` prints running ``codes`` one after the other (a client of its own)."""
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=30)
        said = []
        for code in codes:
            run_sync(client.execute_interactive)(code, timeout=30,
                                                 output_hook=lambda m: said.append(m["content"].get("text", "")))
        return "".join(said)
    finally:
        client.stop_channels()


def fork_server_pid(km) -> int:
    """The fork server a forked kernel came from: its parent."""
    import psutil

    return psutil.Process(kernel_pid(km)).ppid()


def in_a_fresh_process(code: str, cwd) -> str:
    """Run ``code`` in a new interpreter (one fork server per process: its preload list is the
    first one asked for, so a test of what is preloaded needs a process of its own); its stdout."""
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout

# What a report could notice about the process it runs in.
PROBE = """import json, os, sys
import matplotlib.pyplot as plt
import numpy as np
fig, ax = plt.subplots(figsize=(2, 1))
ax.plot([1, 3, 2])
print(json.dumps({"cwd": os.getcwd(), "path": sys.path, "backend": plt.get_backend(),
                  "shell": type(get_ipython()).__name__, "pid": os.getpid(), "pgid": os.getpgid(0), "ppid": os.getppid(),
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
    assert stdlibfork.modules_to_preload(kernels.preload, shell=True) == [
        "pandas", "pandas.io.formats.style", "matplotlib.pyplot", "matplotlib.backends.backend_agg",
        "IPython.core.pylabtools", "matplotlib_inline.backend_inline", "PIL.BmpImagePlugin",
        "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin"]
    assert "matplotlib_inline.backend_inline" not in stdlibfork.modules_to_preload(kernels.preload)


def test_only_ipykernel_launches_are_forked():
    assert stdlibfork.kernel_args([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-f", "c.json"]
    assert stdlibfork.kernel_args(["julia", "-i", "kernel.jl", "c.json"]) is None
    assert stdlibfork.forkable(["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    assert stdlibfork.forkable([sys.executable, "-m", "ipykernel_launcher"])
    # another interpreter's kernel cannot be a fork of this one: it is launched
    assert not stdlibfork.forkable(["/opt/py/bin/python3.12", "-m", "ipykernel_launcher"])
    assert not stdlibfork.forkable(["julia", "-i", "kernel.jl", "c.json"])


def test_the_provisioner_is_registered_through_jupyter_client_s_entry_point(tmp_path):
    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    from qoswb.reports.provisioner import NAME, ForkedProvisioner, ForkingKernelSpecs

    assert KernelProvisionerFactory.instance().get_provisioner_entries()[NAME] == \
        "qoswb.reports.provisioner:ForkedProvisioner"
    spec = ForkingKernelSpecs(preload=["pandas"]).get_kernel_spec("python3")
    assert spec.metadata["kernel_provisioner"] == {"provisioner_name": NAME, "config": {"preload": ["pandas"]}}
    kernels = Kernels(prewarm=False, cwd=str(tmp_path))
    try:
        km = kernels.take()
        assert type(km.provisioner) is ForkedProvisioner and km.provisioner.preload == []
        assert run_sync(km.is_alive)()
        kernels.release(km)
    finally:
        kernels.close()


LOOKS_ALIKE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_reports_kernels import probe
from qoswb.reports.kernels import Kernels
tmp = Path({tmp!r})
forked = Kernels(prewarm=True, cwd=str(tmp / "out"), preload=["pandas", "matplotlib.pyplot"])
launched = Kernels(prewarm=False, cwd=str(tmp / "out"), fork=False)
(tmp / "out").mkdir()
try:
    facts = [probe(tmp, forked, "a"), probe(tmp, forked, "b"), probe(tmp, launched, "fresh")]
finally:
    forked.close()
    launched.close()
print(json.dumps(facts))
"""


@needs_fork
@pytest.mark.slow
def test_a_forked_kernel_looks_to_a_report_like_a_launched_one(tmp_path):
    said = in_a_fresh_process(LOOKS_ALIKE.format(tests=str(Path(__file__).parent), tmp=str(tmp_path)), tmp_path)
    a, b, fresh = json.loads(said.strip().splitlines()[-1])
    for key in ("cwd", "path", "backend", "shell", "stdout", "hook", "figures"):
        assert a[key] == b[key] == fresh[key], key
    assert a["figures"] == 1 and a["hook"]  # figures still shown by the inline backend
    assert a["pandas"] and not fresh["pandas"]  # the server's imports are what a fork saves
    assert a["pid"] != b["pid"] and a["ppid"] == b["ppid"] != fresh["ppid"]  # a new fork per report
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
    figures = [o for o in outputs["forked"] if "image/svg+xml" in o]
    assert len(figures) >= 2  # the KPI charts and the Pareto
    assert outputs["forked"] == outputs["launched"]  # every text, table and figure byte


@needs_fork
def test_a_dead_fork_server_is_replaced_and_a_dead_kernel_is_reported(tmp_path):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path))
    try:
        km = kernels.take()
        first, kernel = fork_server_pid(km), psutil.Process(kernel_pid(km))
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while run_sync(km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not run_sync(km.is_alive)()  # the server's end is the end of its kernels' record
        # the kernel itself ends within a second: ipykernel's parent poller sees its parent gone
        # (until then it may still answer, so wait for the process, not only for the record)
        deadline = time.monotonic() + 10  # gone, or a zombie no one reaps (its parent, the server, is dead)
        while not ended(kernel) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ended(kernel)
        client = km.client()
        client.start_channels()
        with pytest.raises(RuntimeError, match="died|respond"):
            run_sync(client.wait_for_ready)(timeout=5)
        client.stop_channels()
        kernels.release(km)
        km = kernels.take()  # multiprocessing starts a new server, and the kernel answers
        assert Kernels.forked(km) and fork_server_pid(km) != first
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
import psutil
from qoswb.reports.kernels import Kernels
if __name__ == "__main__":
    kernels = Kernels(prewarm=True, cwd=sys.argv[1])
    km = kernels.take()
    kernel, following = km.provisioner.kernel.pid, kernels._next.provisioner.kernel.pid
    print(psutil.Process(kernel).ppid(), kernel, following, flush=True)
    time.sleep(600)
"""


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (:func:`ended`: gone, or a zombie)."""
    try:
        return ended(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return True


@needs_fork
def test_a_killed_worker_leaves_no_server_or_kernel_behind(tmp_path):
    (tmp_path / "worker.py").write_text(WORKER)  # a file: the fork server's children import the main module
    worker = subprocess.Popen([sys.executable, str(tmp_path / "worker.py"), str(tmp_path)], stdout=subprocess.PIPE,
                              text=True)
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
        child = int(printed(km, textwrap.dedent("""
            import subprocess, sys
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
            print(child.pid)""")).split()[0])
        kernel = kernel_pid(km)
        kernels.release(km)
        deadline = time.monotonic() + 10
        while not (gone(kernel) and gone(child)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(kernel) and gone(child)
    finally:
        kernels.close()
    assert kernels._dying == []


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
            # the job's killed kernel tidied up first (the worker does it at the next take), so every
            # sample is taken at the same point: a kernel still exiting is not counted as a leak
            kernels._reap(wait=True)
            counts.append(held())
    finally:
        kernels.close()
    (threads_early, files_early), (threads_late, files_late) = counts[2], counts[-1]
    assert threads_late <= threads_early + 6 and files_late <= files_early + 25, counts


PRELOAD_PROBLEMS = """
import json
from pathlib import Path
from qoswb.reports.execute import run_job
from qoswb.reports.kernels import Kernels
from qoswb.reports.testing import make_template
if __name__ == "__main__":
    tmp = Path({tmp!r})
    template = make_template(tmp, body="x = 1")
    kernels = Kernels(prewarm=False, cwd=str(tmp), preload=["hangs_on_import", "breaks_on_import", "json"])
    try:
        job = dict(template_path=str(template), parameters=dict(team="N"), notebook="r.ipynb", html="r.html")
        result = run_job(job, str(tmp), kernels=kernels)
        print(json.dumps([result["status"], kernels.notes()]))
    finally:
        kernels.close()
"""


@needs_fork
def test_a_preload_that_hangs_or_fails_is_given_up_and_said_not_swallowed(tmp_path, monkeypatch):
    (tmp_path / "hangs_on_import.py").write_text("import time\ntime.sleep(600)\n")
    (tmp_path / "breaks_on_import.py").write_text("import warnings\nwarnings.warn('odd')\nraise ValueError('no luck')\n")
    monkeypatch.setenv("QOSWB_PRELOAD_TIMEOUT", "2")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    (tmp_path / "main.py").write_text(PRELOAD_PROBLEMS.format(tmp=str(tmp_path)))
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(tmp_path / "main.py")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    status, notes = json.loads(done.stdout.strip().splitlines()[-1])
    assert time.monotonic() - started < 60
    assert status == "ok"  # the report ran all the same (and imports what it needs itself)
    assert notes == ["preload: importing hangs_on_import took more than 2 s: left to the reports",
                     "preload: cannot import breaks_on_import: ValueError: no luck",
                     "preload: importing breaks_on_import: UserWarning: odd"]


# A kernel that ends mid-report, as the OOM killer or a crash would end it, or with a status of its own.
ENDINGS = [("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
            "kernel killed by signal 9 (SIGKILL — out of memory?)"),
           ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)",
            "kernel killed by signal 11 (SIGSEGV — a crash)"),
           ("import os\nos._exit(3)", "kernel exited with status 3")]


@pytest.mark.parametrize("fork", [pytest.param(True, marks=needs_fork), False], ids=["forked", "launched"])
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
        forked = Kernels.forked(km)
        kernels.release(km)
        assert forked == bool(fork)  # the path under test, no fallback to launching
    finally:
        kernels.close()


@needs_fork
def test_the_fork_server_gives_each_kernel_s_exit_code(tmp_path):
    server = stdlibfork.ForkServer.get([])
    first = server.spawn(["-f", str(tmp_path / "a.json")], str(tmp_path), dict(os.environ))
    second = server.spawn(["-f", str(tmp_path / "b.json")], str(tmp_path), dict(os.environ))
    os.kill(second.pid, signal.SIGKILL)  # from outside, as the OOM killer does
    first.terminate()
    first.join(30)
    second.join(30)
    assert (first.exitcode, second.exitcode) == (-signal.SIGTERM, -signal.SIGKILL)


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


def test_close_kills_a_kernel_taken_and_never_released(tmp_path):
    """A caller that fails between take() and release() leaves a kernel behind; close() ends it
    (multiprocessing would otherwise wait for it at interpreter exit, for ever)."""
    kernels = Kernels(prewarm=True, cwd=str(tmp_path))
    km = kernels.take()
    taken, warm = psutil.Process(kernel_pid(km)), kernels._next
    kernels.close()
    taken.wait(timeout=15)  # gone: psutil raises TimeoutExpired otherwise
    assert not run_sync(km.is_alive)() and (warm is None or not run_sync(warm.is_alive)())


@needs_fork
def test_a_forked_kernel_keeps_no_sqlite_history_and_still_numbers_its_cells(tmp_path):
    kernels = Kernels(prewarm=False, cwd=str(tmp_path))
    try:
        km = kernels.take()
        said = printed(km, "x = 6 * 7",
                       "h = get_ipython().history_manager; print(h.enabled, h.save_thread, len(In), x)")
        assert said.split() == ["False", "None", "3", "42"]  # no saving thread; In still counts
        kernels.release(km)
    finally:
        kernels.close()
