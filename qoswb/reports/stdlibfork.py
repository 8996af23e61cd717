"""Report kernels forked by the standard library's ``forkserver`` context, preloaded once.

A fresh ``python -m ipykernel_launcher`` spends most of its start-up importing:
IPython, then pandas, pyarrow and matplotlib once the report begins. A batch
worker instead asks ``multiprocessing.get_context("forkserver")`` for each kernel:
the standard library's fork server has imported what reports use once (through
:mod:`qoswb.reports.preloading`, given to ``set_forkserver_preload``), and each
kernel is a fork of it running ipykernel's own start-up with the connection file
the kernel manager wrote. Each report still gets a process of its own, with its
own memory; only the imports are shared (copy-on-write). The exit code (minus the
signal that killed it), the sentinel and ``kill()`` are ``multiprocessing.Process``'s.

A forked kernel differs from a launched one in what the fork cannot give it: its
libraries were imported before its kernelspec's ``env`` was applied (``os.environ``
is the spec's, but numpy's thread count is the server's), it starts in its own
session (so a kill reaches what it started too), it ends when its worker ends (a
thread watches it), and it gets fresh
random seeds (NumPy's legacy global generator is reseeded here).

>>> kernel_args(["/venv/bin/python", "-m", "ipykernel_launcher", "-f", "k.json"])
['-f', 'k.json']
>>> kernel_args(["R", "--slave", "-e", "IRkernel::main()", "k.json"]) is None
True
>>> modules_to_preload(["pandas"])
['pandas', 'pandas.io.formats.style']
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time

from qoswb.errors import KernelStartError

# What a preloaded module loads lazily on its first use in a report (pyplot's first figure
# resolves the inline backend, and its first PNG runs PIL's preinit, which imports the image
# plugins below; read_parquet(filters=...) goes through pyarrow.dataset; a Styler brings jinja2;
# a report view's first chart, the KPI and SPC code, scipy.special, and the control chart's
# expectation and summary): importing these too takes that cost off the report's clock
# (benchmarks/profile_report.py lists what each cell still imports).
COMPANIONS = {"matplotlib.pyplot": ["matplotlib.backends.backend_agg", "IPython.core.pylabtools",
                                    "matplotlib_inline.backend_inline", "PIL.BmpImagePlugin",
                                    "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin"],
              "pyarrow.parquet": ["pyarrow.dataset"],
              "pandas": ["pandas.io.formats.style"],
              "qoswb.reports.views": ["qoswb.metrics", "qoswb.spc", "scipy.special", "qoswb.spc.expectation",
                                      "qoswb.spc.summary"]}
# Hooks itself into the live IPython shell when imported: imported by the kernel, never the server.
NEEDS_SHELL = ("matplotlib_inline.backend_inline",)
# How the fork server learns what to import, and where to say what went wrong (it inherits
# the worker's environment when multiprocessing starts it).
PRELOAD_ENV, LOG_ENV = "QOSWB_PRELOAD", "QOSWB_PRELOAD_LOG"


def available() -> bool:
    """Whether kernels can be forked here (the forkserver start method: Linux, macOS; not Windows)."""
    return "forkserver" in multiprocessing.get_all_start_methods()


def kernel_args(cmd: list[str]) -> list[str] | None:
    """The IPKernelApp arguments of an ipykernel launch command, or None for any other kernel."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return list(cmd[3:])
    return None


def forkable(argv: list[str]) -> bool:
    """Whether a kernelspec's ``argv`` can be forked from this process's fork server: an
    ipykernel run by this interpreter (``python`` means this one, as in jupyter_client)."""
    names = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    python = sys.executable if argv and argv[0] in names else (argv[0] if argv else "")
    return kernel_args(argv) is not None and os.path.realpath(python) == os.path.realpath(sys.executable)


def modules_to_preload(names, shell: bool = False) -> list[str]:
    """``names`` with their companions; without a live ``shell``, minus modules that need one."""
    wanted = [m for name in names for m in [name, *COMPANIONS.get(name, [])]]
    return [m for m in dict.fromkeys(wanted) if shell or m not in NEEDS_SHELL]


class ForkServer:
    """This process's fork server for kernels (one per process: multiprocessing keeps one).

    >>> server = ForkServer.get(["pandas"])                                      # doctest: +SKIP
    >>> kernel = server.spawn(["-f", "kernel.json"], cwd="/tmp", env=dict(os.environ))  # doctest: +SKIP
    >>> kernel.join(); kernel.exitcode   # e.g. -9: killed by SIGKILL             # doctest: +SKIP
    """

    _instance = None

    def __init__(self, modules):
        self.modules = modules_to_preload(modules)
        self.other_lists = set()  # preload lists asked for since (a later batch on the same worker)
        fd, self.log = tempfile.mkstemp(prefix="qoswb-fork-server-", suffix=".log")
        os.close(fd)
        # What the server finds in the environment it inherits when multiprocessing starts it
        self.server_env = {PRELOAD_ENV: json.dumps(self.modules), LOG_ENV: self.log}
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel does
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["qoswb.reports.preloading"])

    @classmethod
    def get(cls, modules) -> "ForkServer":
        """The process's server; the first call's ``modules`` are the ones it preloads."""
        if cls._instance is None:
            cls._instance = cls(modules)
        elif modules_to_preload(modules) != cls._instance.modules:
            cls._instance.other_lists.add(", ".join(modules_to_preload(modules)) or "nothing")
        return cls._instance

    def spawn(self, args: list[str], cwd: str, env: dict) -> multiprocessing.Process:
        """Fork a kernel running IPKernelApp with ``args``; returns its (started) process."""
        if multiprocessing.current_process().daemon:
            raise KernelStartError("kernels cannot be forked in a daemonic process (a Dask worker: "
                                   "set DASK_DISTRIBUTED__WORKER__DAEMON=False)")
        process = self.context.Process(target=_kernel_main, args=(args, cwd, env, os.getpid()), name="qoswb-kernel")
        # the server starts (or restarts, if it died) within start(): only it sees these variables
        os.environ.update(self.server_env)
        try:
            process.start()
        except OSError as exc:
            raise KernelStartError(f"the fork server did not fork a kernel: {exc}") from exc
        finally:
            for name in self.server_env:
                os.environ.pop(name, None)
        return process

    def problems(self) -> list[str]:
        """What the server said went wrong (modules it could not import, its stderr), one line each."""
        kept = [f"preload: this worker's fork server imported {', '.join(self.modules) or 'nothing'} for an "
                f"earlier batch (one server per worker process); {other} will load in each report"
                for other in sorted(self.other_lists)]
        try:
            with open(self.log, encoding="utf-8", errors="replace") as fh:
                return kept + [line.rstrip() for line in fh if line.strip()]
        except OSError:
            return kept


def _kernel_main(args: list[str], cwd: str, env: dict, worker: int) -> None:
    """In the forked child: a kernel in its own session, ending when its worker (or the fork
    server) ends. The server alone would not do: multiprocessing hands each child a pipe that
    keeps the server alive while any child lives."""
    os.setsid()
    end_when_gone(worker)
    # no SQLite history: a report's kernel is never asked for it, and saving it costs a
    # thread's millisecond a cell
    run_kernel([*args, f"--IPKernelApp.parent_handle={os.getppid()}", "--HistoryManager.enabled=False"], cwd, env)


def end_when_gone(pid: int, every: float = 1.0) -> None:
    """End this process (at once, no clean-up) once process ``pid`` is gone: a thread checks
    every ``every`` seconds, as ipykernel's parent poller does (any system, no signal needed)."""
    import threading

    def watch():
        while True:
            time.sleep(every)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # there, though not ours to signal
                pass

    threading.Thread(target=watch, daemon=True, name=f"qoswb-end-with-{pid}").start()


def run_kernel(args: list[str], cwd: str, env: dict) -> None:
    """Start as a launched kernel would (no stdio, its cwd and env, new random seeds), then run
    IPKernelApp with ``args`` until the kernel ends."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the kernel's own chatter is not the report's business
        os.dup2(devnull, fd)
    for signum in (signal.SIGTERM, signal.SIGPIPE):  # the fork server's own handlers are not a kernel's
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    preloaded = sys.modules.get("qoswb.reports.preloading")
    if preloaded is not None and preloaded.KERNEL_PATH is not None:
        sys.path[:] = preloaded.KERNEL_PATH  # multiprocessing gave the child its worker's path
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()  # the legacy global generator, else shared by all kernels
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=args)
