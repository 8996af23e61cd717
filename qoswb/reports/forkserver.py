"""Start report kernels as forks of a process that has already imported what reports use.

A fresh ``python -m ipykernel_launcher`` spends most of its start-up importing:
IPython, then pandas, pyarrow and matplotlib once the report begins. A batch
worker instead starts one *fork server*: a process that does those imports once,
then forks a child per kernel, and the child runs ipykernel's own start-up with
the connection file the kernel manager wrote. Each report still gets a new
process of its own, with its own memory, so reports stay as isolated from each
other as with a fresh kernel; only the imports are shared (copy-on-write).

A forked kernel differs from a fresh one in what the fork cannot give it: it
starts in its own session (so a kill reaches the whole process group), dies with
the server (which dies with its worker), and gets fresh random seeds (Python's
``random`` reseeds itself after a fork; NumPy's legacy global generator is
reseeded here). Modules that hook into a live IPython shell when imported
(``matplotlib_inline.backend_inline``) are left for the kernel to import itself.

>>> kernel_args(["/venv/bin/python", "-m", "ipykernel_launcher", "-f", "k.json"])
['-f', 'k.json']
>>> kernel_args(["R", "--slave", "-e", "IRkernel::main()", "k.json"]) is None
True
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from qoswb.errors import KernelStartError

# What a preloaded module loads lazily on its first use in a report (pyplot's first figure
# resolves the inline backend; read_parquet(filters=...) goes through pyarrow.dataset; a
# Styler brings jinja2; a report view's first chart, the KPI and SPC code and scipy.special):
# importing these too takes that cost off the report's clock.
COMPANIONS = {"matplotlib.pyplot": ["matplotlib.backends.backend_agg", "IPython.core.pylabtools",
                                    "matplotlib_inline.backend_inline"],
              "pyarrow.parquet": ["pyarrow.dataset"],
              "pandas": ["pandas.io.formats.style"],
              "qoswb.reports.views": ["qoswb.metrics", "qoswb.spc", "scipy.special"]}
# The first kernel waits for the server's imports (matplotlib may build its font cache first).
SPAWN_TIMEOUT = 300.0
# Hooks itself into the live IPython shell when imported: imported by the kernel, never the server.
NEEDS_SHELL = ("matplotlib_inline.backend_inline",)
# Seconds a kernel's exit code may take to follow its end (the server reaps it at once).
EXIT_CODE_WAIT = 5.0


def available() -> bool:
    """Whether kernels can be forked here (Linux: fork and pidfd; not macOS or Windows)."""
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open")


def kernel_args(cmd: list[str]) -> list[str] | None:
    """The IPKernelApp arguments of an ipykernel launch command, or None for any other kernel."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return list(cmd[3:])
    return None


def modules_to_preload(names, shell: bool = False) -> list[str]:
    """``names`` with their companions; without a live ``shell``, minus modules that need one.

    >>> modules_to_preload(["pandas"])
    ['pandas', 'pandas.io.formats.style']
    """
    wanted = [m for name in names for m in [name, *COMPANIONS.get(name, [])]]
    return [m for m in dict.fromkeys(wanted) if shell or m not in NEEDS_SHELL]


def kernel_python(argv: list[str]) -> str:
    """The interpreter a kernel spec's ``argv`` runs (``python`` means this one, as in jupyter_client)."""
    names = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    return sys.executable if argv and argv[0] in names else (argv[0] if argv else "")


class ForkServer:
    """A process with the kernel's imports done, forking one kernel per :meth:`spawn`.

    >>> server = ForkServer(sys.executable, ["pandas"])    # doctest: +SKIP
    >>> kernel = server.spawn(["-f", "kernel.json"], cwd="/tmp", env=dict(os.environ))  # doctest: +SKIP
    >>> kernel.wait()   # its exit code, as the server reaped it   # doctest: +SKIP
    """

    def __init__(self, python: str, modules, cwd: str | None = None):
        self.python = python
        self.modules = modules_to_preload(modules)
        self.timed_out = False
        self._lock = threading.Lock()
        self._answers = queue.Queue()  # answers to spawn requests, in order
        self._exits = {}  # pid -> Future of its exit code, for each kernel not yet reported gone
        self._process = subprocess.Popen(
            [python, "-m", "qoswb.reports.forkserver", *self.modules], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True, name="qoswb-fork-server-reader").start()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def _read(self) -> None:
        """Sort the server's lines: answers to spawn requests, and kernels' exit codes."""
        for line in self._process.stdout:
            kind, _, rest = line.strip().partition(" ")
            if kind == "exit":
                pid, code = (int(x) for x in rest.split())
                future = self._exits.pop(pid, None)
                if future is not None:
                    future.set_result(code)
            elif kind == "pid":
                self._exits[int(rest)] = future = Future()
                self._answers.put((int(rest), future))
            else:
                self._answers.put((None, line.strip()))
        # The server is gone, and its kernels with it (PR_SET_PDEATHSIG: SIGKILL).
        for future in self._exits.values():
            future.set_result(-signal.SIGKILL)
        self._exits.clear()
        self._answers.put((None, "it exited"))

    def spawn(self, args: list[str], cwd: str, env: dict, timeout: float = SPAWN_TIMEOUT) -> ForkedProcess:
        """Fork a kernel running IPKernelApp with ``args``; returns its process.

        The first answer waits for the server's imports; a server that gives none
        within ``timeout`` seconds is stopped (a KernelStartError, which the batch retries).
        """
        with self._lock:  # one request and its answer at a time
            if not self.alive:
                raise KernelStartError("the kernel fork server is not running")
            try:
                self._process.stdin.write(json.dumps({"args": args, "cwd": cwd, "env": env}) + "\n")
                self._process.stdin.flush()
            except OSError as exc:  # it died since the check above
                raise KernelStartError(f"the kernel fork server is not running ({exc})") from None
            try:
                pid, answer = self._answers.get(timeout=timeout)
            except queue.Empty:
                self.timed_out = True
                self.close()
                raise KernelStartError(f"the kernel fork server gave no kernel within {timeout:g} s "
                                       f"(importing {', '.join(self.modules) or 'ipykernel'})") from None
        if pid is None:
            raise KernelStartError(f"the kernel fork server did not fork: {answer or 'it exited'}")
        return ForkedProcess(pid, answer)

    def close(self) -> None:
        if self.alive:
            self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class PopenLike:
    """The part of ``Popen`` jupyter_client uses that follows from ``send_signal``."""

    stdin = stdout = stderr = None

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkedProcess(PopenLike):
    """What the kernel manager needs of a ``Popen`` for a kernel forked by the server.

    The kernel is the server's child, not ours: it is watched through a pidfd (no pid
    reuse races), and its exit code (as ``Popen.returncode``: minus the signal that
    killed it) is the one the server reaped, sent back through ``exit_code``.
    """

    def __init__(self, pid: int, exit_code: Future):
        self.pid, self.returncode, self._exit_code = pid, None, exit_code
        try:
            self._fd = os.pidfd_open(pid)
        except ProcessLookupError:  # gone already
            self._fd = None
            self._closed()

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._fd], [], [], 0)[0]:
            self._closed()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            self._closed()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._fd, signum)

    def _closed(self) -> None:
        """The process has ended: take the exit code the server reaped (it follows at once)."""
        try:
            self.returncode = self._exit_code.result(timeout=EXIT_CODE_WAIT)
        except FutureTimeout:  # a server too busy to say: dead all the same, how unknown
            self.returncode, self.exit_known = 1, False
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    exit_known = True  # False when the code above is a stand-in for one the server never sent

    def __del__(self):
        if self.returncode is None and getattr(self, "_fd", None) is not None:
            os.close(self._fd)


def provisioner(km, server: ForkServer):
    """A provisioner for ``km`` that forks ipykernel kernels from ``server`` (others as usual)."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkedProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            args = kernel_args(cmd)
            if args is None or cmd[0] != server.python or not server.alive:
                return await super().launch_kernel(cmd, **kwargs)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            self.process = server.spawn(args, cwd, dict(kwargs.get("env") or os.environ))
            self.pid = self.pgid = self.process.pid
            self.cwd = cwd
            return self.connection_info

    return ForkedProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


# ---- the server process ---------------------------------------------------------------------

def die_with_parent(parent: int) -> None:
    """Have Linux kill this process when ``parent``, its parent, dies (even by SIGKILL)."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def run_kernel(args: list[str], cwd: str, env: dict) -> None:
    """In a forked child: start as a launched kernel would (no stdio, its cwd and env, new
    random seeds), then run IPKernelApp with ``args`` until the kernel ends."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the kernel's own chatter is not the report's business
        os.dup2(devnull, fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()  # the legacy global generator, else shared by all kernels
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=args)


def _become_kernel(request: dict, server: int) -> None:
    """In the forked child: turn into a fresh kernel process, run it, and exit."""
    code = 1
    try:
        os.setsid()  # its own process group, as a launched kernel has
        die_with_parent(server)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        run_kernel(request["args"], request["cwd"], request["env"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - nothing may return into the server's loop
        code = 1
    finally:
        os._exit(code)


def serve(modules: list[str]) -> None:
    """The server's main loop: import ``modules``, then fork a kernel per request line.

    It answers each request with ``pid N`` and, when a kernel ends, reaps it and
    sends ``exit N CODE`` (CODE as ``Popen.returncode``: minus the signal that killed
    it), so a kernel killed by the OOM killer is not taken for one that finished.
    It ends when its worker closes the pipe (or dies), and its kernels end with it.
    """
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a stray print while importing must not garble the answers
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the batch driver
    # A kernel's end wakes the loop below through this pipe (no polling, no thread before a fork).
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    if sys.path and Path(sys.path[0] or ".").resolve() == Path.cwd():
        del sys.path[0]  # as ipykernel_launcher does; the kernel puts the cwd back itself
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel does
    import importlib

    import ipykernel.kernelapp  # noqa: F401

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # a module that cannot load is the report's to report
            pass
    import gc

    gc.collect()
    gc.freeze()  # keep the imported objects' pages shared with the kernels (no refcount-GC writes)
    pending = b""
    while True:
        try:
            ready = select.select([0, wake_read], [], [])[0]
        except InterruptedError:
            continue
        if wake_read in ready:
            _drain(wake_read)
        _report_exits(replies)
        if 0 not in ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            break  # the worker closed the pipe
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            try:
                request = json.loads(line)
            except ValueError:
                replies.write("bad request\n")
                continue
            server = os.getpid()
            pid = os.fork()
            if pid == 0:
                replies.close()
                signal.set_wakeup_fd(-1)
                for fd in (wake_read, wake_write):
                    os.close(fd)
                _become_kernel(request, server)
            replies.write(f"pid {pid}\n")


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _report_exits(replies) -> None:
    """Reap every ended kernel and send its exit code (``exit PID CODE``)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        replies.write(f"exit {pid} {os.waitstatus_to_exitcode(status)}\n")


if __name__ == "__main__":
    serve(sys.argv[1:])
