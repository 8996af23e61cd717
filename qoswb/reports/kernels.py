"""Kernels for report jobs: started ahead of need, forked warm, quickly ready, killed at once.

A batch worker keeps one :class:`Kernels`. It hands out a started kernel per job
and starts the *next* one while the current job runs (pre-warming), so kernel
start-up, which dominates short reports, overlaps useful work. Where the standard
library's forkserver start method exists (Linux, macOS), each kernel is a fork of a
server that has already imported what the reports use, started through a kernel
provisioner registered with jupyter_client (:mod:`qoswb.reports.provisioner`):
still a new process per report. Only jupyter_client's public API is used.

>>> kernels = Kernels(prewarm=True, preload=["pandas"])   # doctest: +SKIP
>>> km = kernels.take()        # a started kernel; the next one is starting   # doctest: +SKIP
>>> kernels.release(km); kernels.close()                                       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import re
import subprocess
import threading
import time

from qoswb.errors import KernelStartError
from qoswb.reports import stdlibfork


class Kernels:
    """Hands out started Jupyter kernels, starting the next one ahead of time (pre-warming).

    ``preload`` names modules every report imports (e.g. pandas): where kernels can be
    forked, the worker's fork server imports them once and each kernel is a fork of it;
    with ``fork=False`` (or where forking is not possible) each kernel is launched afresh
    and imports them in the background while the current job runs. What went wrong
    while preloading is in :meth:`notes`.

    >>> kernels = Kernels(prewarm=False)  # doctest: +SKIP
    >>> km = kernels.take(); ...; kernels.release(km); kernels.close()  # doctest: +SKIP
    """

    def __init__(self, kernel_name: str = "python3", prewarm: bool = True, cwd: str | None = None,
                 preload: list[str] | tuple = (), fork: bool = True):
        self.kernel_name, self.prewarm, self.cwd = kernel_name, prewarm, cwd
        self.preload = [m for m in dict.fromkeys(preload) if re.fullmatch(r"[A-Za-z_][\w.]*", m)]
        self._notes: list[str] = []
        self.fork = bool(fork) and stdlibfork.available()
        if self.fork and multiprocessing.current_process().daemon:
            # multiprocessing lets no daemonic process start children (Dask workers are daemonic
            # unless distributed.worker.daemon is False): launched kernels, and a note saying why
            self.fork = False
            self._notes.append("kernels launched afresh, not forked: this worker is a daemonic process "
                               "(start Dask workers with DASK_DISTRIBUTED__WORKER__DAEMON=False)")
        if self.fork and not provisioner_installed():
            self.fork = False
            self._notes.append("kernels launched afresh, not forked: jupyter_client does not find qoswb's "
                               "kernel provisioner (reinstall qoswb, e.g. pip install -e .)")
        self._specs = None
        if self.fork:
            from qoswb.reports.provisioner import ForkingKernelSpecs

            self._specs = ForkingKernelSpecs(preload=self.preload)
        self._next, self._dying, self._tidier = None, [], None  # _dying: futures of kernels being tidied
        self._out: set = set()  # kernels taken and not released yet

    def _start(self):
        from jupyter_core.utils import run_sync

        options = {} if self._specs is None else {"kernel_spec_manager": self._specs}
        km = kernel_manager_class()(kernel_name=self.kernel_name, client_class=QUICK_CLIENT, **options)
        # The kernel's own chatter (e.g. its TCP warning) is not the report's business.
        run_sync(km.start_kernel)(cwd=self.cwd or os.getcwd(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if self.preload and not self.forked(km):
            modules = stdlibfork.modules_to_preload(self.preload, shell=True)
            threading.Thread(target=_preload, args=(km.get_connection_info(), modules),
                             daemon=True, name="qoswb-kernel-preload").start()
        return km

    @staticmethod
    def forked(km) -> bool:
        """Whether ``km``'s kernel was forked from the fork server (not launched afresh)."""
        from qoswb.reports.provisioner import ForkedProvisioner

        return isinstance(km.provisioner, ForkedProvisioner)

    def notes(self) -> list[str]:
        """What went wrong while preloading (modules the fork server could not import, its
        stderr), one line each, for the batch's notes."""
        server = stdlibfork.ForkServer._instance
        return self._notes + ([] if server is None or not self.fork else server.problems())

    def start(self):
        """A newly started kernel manager; a :class:`~qoswb.errors.KernelStartError` if
        jupyter_client (its kernelspec, ports, zmq) or the fork server could not start one."""
        try:
            return self._start()
        except KernelStartError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever jupyter_client raises, the kernel is not there
            raise KernelStartError(f"{self.kernel_name} kernel did not start: "
                                   f"{type(exc).__name__}: {exc}"[:500]) from exc

    def warm(self) -> None:
        """Start a kernel now (at worker start-up), so the first job finds one booted."""
        if self._next is None:
            self._next = self.start()

    def take(self):
        """A started kernel manager; also starts the next kernel when pre-warming."""
        self._reap()
        km, self._next = self._next, None
        if km is None or not is_alive(km):
            if km is not None:
                self.release(km)
            km = self.start()
        self._out.add(km)
        if self.prewarm:
            try:
                self._next = self._start()
            except Exception:  # noqa: BLE001 - a failed warm start is retried by the next take()
                self._next = None
        return km

    def release(self, km) -> None:
        """Kill a kernel (and what it started) now; its manager is tidied up in the background
        once the process is gone (closing a client to a dead kernel waits out a zmq linger:
        not on the next job's clock)."""
        import concurrent.futures

        self._out.discard(km)
        kill(km)
        if self._tidier is None:
            self._tidier = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="qoswb-tidy-kernels")
        self._dying.append(self._tidier.submit(_tidy, km))

    def _reap(self, wait: bool = False) -> None:
        """Forget the killed kernels tidied up by now (wait for all of them if ``wait``)."""
        if wait:
            for future in self._dying:
                future.exception()
        self._dying = [f for f in self._dying if not f.done()]

    def close(self) -> None:
        """Kill the pre-warmed kernel and any taken and not released (a caller that failed between
        take and release: multiprocessing would wait for such a kernel at interpreter exit)."""
        for km in list(self._out):
            self.release(km)
        if self._next is not None:
            self.release(self._next)
            self._next = None
        self._reap(wait=True)
        if self._tidier is not None:
            self._tidier.shutdown(wait=True)
            self._tidier = None


def _tidy(km, wait: float = 10.0) -> None:
    """Finish shutting down a killed kernel once its process is gone (a large process takes a
    moment to exit): its clients' sockets, then its ports, connection file and manager."""
    from jupyter_core.utils import run_sync

    deadline = time.monotonic() + wait
    while is_alive(km) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        km.close_clients()
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - whatever is left of it goes
        kill(km)


@functools.cache
def provisioner_installed() -> bool:
    """Whether qoswb's kernel provisioner is registered (its entry point is installed)."""
    from importlib.metadata import entry_points

    from qoswb.reports.provisioner import NAME

    return bool(entry_points(group="jupyter_client.kernel_provisioners", name=NAME))


def _preload(connection: dict, modules: list[str], timeout: float = 120) -> None:
    """Import ``modules`` in a fresh kernel while the worker's current job runs.

    A silent execution: no output, no execution count, nothing in the notebook;
    the report's own ``import pandas`` then finds the module loaded. The notebook's
    first cell simply queues behind this request if it comes early.
    """
    from jupyter_client.blocking import BlockingKernelClient

    client = BlockingKernelClient()
    client.load_connection_info(connection)
    try:
        client.start_channels()
        client.wait_for_ready(timeout=timeout)
        imports = "\n".join(f"try:\n    import {m}\nexcept Exception:\n    pass" for m in modules)
        msg_id = client.execute(imports, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    except Exception:  # a kernel that dies or is taken down meanwhile: nothing to warm
        pass
    finally:
        try:
            client.stop_channels()
        except Exception:
            pass


def is_alive(km) -> bool:
    """Whether ``km``'s kernel process is running (False if its manager cannot tell)."""
    from jupyter_core.utils import run_sync

    try:
        return bool(run_sync(km.is_alive)())
    except Exception:
        return False


def kill(km) -> None:
    """Kill a kernel's process group outright (its provisioner signals the group the kernel
    leads, so what the report started goes too); quiet for a kernel already gone."""
    from jupyter_core.utils import run_sync

    if km.provisioner is None:
        return
    try:
        run_sync(km.provisioner.kill)()
    except (OSError, ValueError):  # gone already (jupyter_client's words for it vary)
        pass


def exit_code(km, wait: float = 2.0) -> int | None:
    """How a dead kernel ended, as ``Popen.returncode`` (minus the signal that killed it),
    waiting up to ``wait`` seconds for the process to be gone; None if not known."""
    from jupyter_core.utils import run_sync

    if km.provisioner is None or not km.provisioner.has_process:
        return None  # already reaped by jupyter_client: how it ended is no longer known

    async def ended():
        return await asyncio.wait_for(km.provisioner.wait(), timeout=wait)

    try:
        return run_sync(ended)()
    except (asyncio.TimeoutError, TimeoutError):
        return None


@functools.cache
def kernel_manager_class():
    """jupyter_client's async kernel manager, remembering the clients it makes.

    papermill's client for a kernel it was handed (not one it started) is never
    closed, and each holds a zmq context with an I/O thread, its sockets and their
    file descriptors: a few threads and a dozen descriptors per report, until a
    worker of a large batch runs out. ``close_clients`` closes them when the kernel goes.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.report_clients = []

        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.report_clients.append(made)
            return made

        def close_clients(self) -> None:
            while self.report_clients:
                self.report_clients.pop().stop_channels()

    return ReportKernelManager


QUICK_CLIENT = "qoswb.reports.quickclient.QuickKernelClient"
