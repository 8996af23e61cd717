"""Experimental: report kernels forked by the standard library's ``forkserver`` context.

The same service as :class:`qoswb.reports.forkserver.ForkServer` (a process that has
imported what reports use, forking one kernel per report) from
``multiprocessing.get_context("forkserver")`` with ``set_forkserver_preload``: the
exit code, the sentinel and ``kill()`` come with ``multiprocessing.Process``, and the
server is the standard library's. ``QOSWB_FORK_SERVER=stdlib`` selects it so that
``benchmarks/bench_batch.py`` can measure it beside the home-made server; it is not
the default.

>>> server = StdlibForkServer(sys.executable, ["pandas"])    # doctest: +SKIP
>>> kernel = server.spawn(["-f", "kernel.json"], cwd="/tmp", env=dict(os.environ))  # doctest: +SKIP
>>> kernel.wait()   # its exit code, from multiprocessing   # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

from qoswb.errors import KernelStartError
from qoswb.reports.forkserver import PopenLike, die_with_parent, modules_to_preload, run_kernel


class StdlibForkServer:
    """Forks ipykernel kernels from the standard library's fork server, preloaded with ``modules``.

    The preload list is the worker's one: ``multiprocessing`` keeps one fork server per process.
    """

    def __init__(self, python: str, modules, cwd: str | None = None):
        self.python = sys.executable  # the stdlib server runs this interpreter, whatever the spec says
        self.modules = modules_to_preload(modules)
        self.timed_out = False
        # as ipykernel does, before the server imports matplotlib
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["ipykernel.kernelapp", *self.modules])
        self._kernels = []

    alive = True  # a dead stdlib server is restarted by multiprocessing at the next start

    def spawn(self, args: list[str], cwd: str, env: dict, timeout: float | None = None) -> "KernelProcess":
        """Fork a kernel running IPKernelApp with ``args``; returns its process."""
        process = self._context.Process(target=_kernel_main, args=(args, cwd, env),
                                        daemon=False, name="qoswb-kernel")
        try:
            process.start()
        except OSError as exc:
            raise KernelStartError(f"the standard library's fork server did not fork: {exc}") from exc
        return KernelProcess(process)

    def close(self) -> None:
        """Nothing to stop: the stdlib server ends with this process, and each kernel with it."""


class KernelProcess(PopenLike):
    """What jupyter_client's provisioner needs of a ``Popen``, for a ``multiprocessing.Process``."""

    def __init__(self, process: multiprocessing.Process):
        self._process, self.pid = process, process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)


def _kernel_main(args: list[str], cwd: str, env: dict) -> None:
    """In the forked child: a kernel in its own session, as a launched kernel is."""
    os.setsid()
    if sys.platform.startswith("linux"):
        die_with_parent(os.getppid())  # the stdlib server, which ends when the worker does
    run_kernel(args, cwd, env)
