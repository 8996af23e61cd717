"""Kernels for report jobs: started ahead of need, forked warm, quickly ready, killed at once.

A batch worker keeps one :class:`Kernels`. It hands out a started kernel per job
and starts the *next* one while the current job runs (pre-warming), so kernel
start-up, which dominates short reports, overlaps useful work. Where kernels can
be forked (Linux), each is a fork of a server that has already imported what the
reports use (:mod:`qoswb.reports.forkserver`): still a new process per report.

>>> kernels = Kernels(prewarm=True, preload=["pandas"])   # doctest: +SKIP
>>> km = kernels.take()        # a started kernel; the next one is starting   # doctest: +SKIP
>>> kernels.release(km); kernels.close()                                       # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import threading
import time
import uuid

from qoswb.errors import KernelStartError
from qoswb.reports import forkserver


class Kernels:
    """Hands out started Jupyter kernels, starting the next one ahead of time (pre-warming).

    ``preload`` names modules every report imports (e.g. pandas): where kernels can be
    forked (Linux), a fork server imports them once and each kernel is a fork of it
    (see :mod:`qoswb.reports.forkserver`); elsewhere each new kernel imports them
    while the current job runs. ``fork=False`` always launches kernels afresh;
    ``fork="stdlib"`` forks them from the standard library's fork server instead
    (:mod:`qoswb.reports.stdlibfork`, experimental).

    >>> kernels = Kernels(prewarm=False)  # doctest: +SKIP
    >>> km = kernels.take(); ...; kernels.release(km); kernels.close()  # doctest: +SKIP
    """

    def __init__(self, kernel_name: str = "python3", prewarm: bool = True, cwd: str | None = None,
                 preload: list[str] | tuple = (), fork: bool | str = True):
        self.kernel_name, self.prewarm, self.cwd = kernel_name, prewarm, cwd
        self.preload = [m for m in dict.fromkeys(preload) if re.fullmatch(r"[A-Za-z_][\w.]*", m)]
        self.fork = bool(fork) and forkserver.available()
        self._server_class = forkserver.ForkServer
        if fork == "stdlib":  # experimental: the standard library's forkserver context, benchmarked beside
            from qoswb.reports.stdlibfork import StdlibForkServer

            self._server_class = StdlibForkServer
        self._next, self._server, self._dying = None, None, []

    def _start(self):
        from jupyter_core.utils import run_sync

        km = kernel_manager_class()(kernel_name=self.kernel_name, client_factory=quick_client())
        server = self._fork_server(km.kernel_spec.argv) if self.fork else None
        if server is not None:
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = forkserver.provisioner(km, server)
        # The kernel's own chatter (e.g. its TCP warning) is not the report's business.
        run_sync(km.start_kernel)(cwd=self.cwd or os.getcwd(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if self.preload and server is None:
            modules = forkserver.modules_to_preload(self.preload, shell=True)
            threading.Thread(target=_preload, args=(km.get_connection_info(), modules),
                             daemon=True, name="qoswb-kernel-preload").start()
        return km

    def _fork_server(self, argv: list[str]):
        """This worker's fork server for kernels like ``argv`` (started on first use), or None."""
        if forkserver.kernel_args(argv) is None:
            return None  # not an ipykernel: launched the ordinary way
        if self._server is not None and self._server.timed_out:
            self.fork = False  # its imports hang: later kernels are launched the ordinary way
            return None
        if self._server is None or not self._server.alive:
            if self._server is not None:
                self._server.close()
            self._server = self._server_class(forkserver.kernel_python(argv), self.preload, self.cwd)
        return self._server

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
        if self.prewarm:
            try:
                self._next = self._start()
            except Exception:  # noqa: BLE001 - a failed warm start is retried by the next take()
                self._next = None
        return km

    def release(self, km) -> None:
        """Kill a kernel (and what it started) now; its manager is tidied up at the next
        :meth:`take` or :meth:`close`, by when the process is gone (no waiting on the job's clock)."""
        kill(km)
        self._dying.append(km)

    def _reap(self, wait: bool = False) -> None:
        """Finish shutting down killed kernels whose process is gone (all of them if ``wait``)."""
        from jupyter_core.utils import run_sync

        still = []
        for km in self._dying:
            if not wait and is_alive(km):
                still.append(km)  # a large process takes a moment to exit: next time
                continue
            try:
                km.close_clients()
                run_sync(km.shutdown_kernel)(now=True)  # ports, connection file, sockets
            except Exception:
                kill(km)
        self._dying = still

    def close(self) -> None:
        if self._next is not None:
            self.release(self._next)
            self._next = None
        self._reap(wait=True)
        if self._server is not None:
            self._server.close()
            self._server = None


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
    """Kill a kernel's process group outright (or its process, if it has no group of its own)."""
    provisioner = getattr(km, "provisioner", None)
    pid, pgid = getattr(provisioner, "pid", None), getattr(provisioner, "pgid", None)
    try:
        if pgid and pgid == pid:  # the kernel leads its own group: its children go too
            os.killpg(pgid, signal.SIGKILL)
        elif pid:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def exit_code(km, wait: float = 2.0) -> int | None:
    """How a dead kernel ended, as ``Popen.returncode`` (minus the signal that killed it),
    waiting up to ``wait`` seconds for the process to be gone; None if not known."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None:
        return None
    try:
        code = process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        return None
    return code if getattr(process, "exit_known", True) else None


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
            self._clients = []

        def client(self, **kwargs):
            made = super().client(**kwargs)
            self._clients.append(made)
            return made

        def close_clients(self) -> None:
            while self._clients:
                self._clients.pop().stop_channels()

    return ReportKernelManager


@functools.cache
def quick_client():
    """jupyter_client's async kernel client, ready as soon as the kernel has answered.

    Its ``wait_for_ready`` returns once the kernel's reply to ``kernel_info`` has come
    on the shell channel and the matching "idle" on IOPub (which proves IOPub is
    connected), instead of also listening 0.2 s for stray IOPub messages as
    jupyter_client's does: a fifth of a second per report, on the job's clock.
    """
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    from qoswb.errors import KernelStartError

    class QuickKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while time.monotonic() < deadline:
                msg_id = self.kernel_info()
                try:
                    reply = await self._recv_reply(msg_id, timeout=1)
                    while True:  # IOPub may not be connected yet: then its status is lost
                        msg = await self._async_get_iopub_msg(timeout=1)
                        if (msg["parent_header"].get("msg_id") == msg_id
                                and msg["content"].get("execution_state") == "idle"):
                            self._handle_kernel_info_reply(reply)
                            return
                except (Empty, TimeoutError):
                    pass
                if not await self._async_is_alive():
                    raise KernelStartError("the kernel died before replying to kernel_info")
            raise KernelStartError(f"the kernel did not respond in {timeout:g} seconds")

    return QuickKernelClient
