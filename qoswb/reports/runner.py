"""Run jobs in parallel: a pool of worker processes, or a Dask distributed cluster.

Each job runs in a worker *process* (papermill calls from threads of one
process race on kernel start-up). A local worker lives for the whole batch,
runs one job at a time and pre-starts its next kernel while the current job
runs. The driver hands out jobs, keeps every job to its deadline, retries a job
whose kernel (or worker) died or failed to start up to ``retries`` times, and
reports each result through ``on_result`` as soon as it arrives, so one failing
team never stops the others and a killed batch keeps what it finished.

Setting ``QOSWB_FORK_SERVER=off`` in the environment launches every kernel afresh
(with the preload imported in the background) instead of forking it from a warm
server: the benchmark measures one path against the other with it, and it is the
way out should forking misbehave on a machine (``stdlib``: the standard library's
fork server instead of qoswb's, experimental).

>>> results = run(jobs, "/tmp/out", workers=2)       # doctest: +SKIP
>>> results = run(jobs, "/tmp/out", scheduler="local")  # doctest: +SKIP
>>> fork_server_setting({"QOSWB_FORK_SERVER": "off"})
False
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import wait

from qoswb.errors import exit_reason

GRACE = 30.0  # seconds past the job's own timeout before the driver kills the whole worker
FORK_SERVER = "QOSWB_FORK_SERVER"


def fork_server_setting(environ=os.environ) -> bool | str:
    """How kernels are started, from ``QOSWB_FORK_SERVER``: forked from a warm server
    (on, the default: True), launched afresh (off: False), or forked by the standard
    library's fork server ("stdlib", experimental); the ``fork`` of :class:`Kernels`.

    >>> fork_server_setting({}), fork_server_setting({"QOSWB_FORK_SERVER": "0"})
    (True, False)
    """
    value = environ.get(FORK_SERVER, "on").strip().lower()
    settings = {"on": True, "1": True, "yes": True, "true": True, "": True,
                "off": False, "0": False, "no": False, "false": False, "stdlib": "stdlib"}
    if value not in settings:
        from qoswb.errors import ParameterError

        raise ParameterError(f"{FORK_SERVER}={value!r}: expected on, off or stdlib")
    return settings[value]


def _worker_main(conn, output: str, timeout, prewarm: bool, preload=()) -> None:
    """A local worker: receive jobs, run them one at a time, send results back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _die_with_parent()
    from qoswb.reports.execute import exporter, run_job
    from qoswb.reports.kernels import Kernels

    kernels = Kernels(prewarm=prewarm, cwd=output, preload=preload, fork=fork_server_setting())
    try:
        kernels.warm()  # the first kernel boots while this worker imports papermill and nbconvert
        import papermill  # noqa: F401

        exporter()
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):  # the driver is gone
                break
            if job is None:
                break
            result = run_job(job, output, timeout, kernels)
            try:
                conn.send(result)
            except (BrokenPipeError, OSError):
                break
    finally:
        kernels.close()


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the driver dies (even by SIGKILL),
    so no orphan keeps writing reports after the batch is gone. Elsewhere a worker stops
    at its next job, when it finds the driver's end of the pipe closed."""
    if sys.platform.startswith("linux"):
        from qoswb.reports.forkserver import die_with_parent

        die_with_parent(multiprocessing.parent_process().pid)


class _Worker:
    def __init__(self, ctx, output, timeout, prewarm, preload=()):
        self.conn, child = ctx.Pipe()
        # multiprocessing lets no daemonic process start children: the stdlib fork server's kernels
        # need a worker that is not one (it is stopped in run_local's finally, and dies with the driver)
        self.process = ctx.Process(target=_worker_main, args=(child, output, timeout, prewarm, preload),
                                   daemon=fork_server_setting() != "stdlib", name="qoswb-report-worker")
        self.process.start()
        child.close()
        self.job, self.deadline = None, None

    def give(self, job: dict, timeout) -> None:
        self.job = job
        self.deadline = time.monotonic() + timeout + GRACE if timeout else None
        self.conn.send(job)

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            os.kill(self.process.pid, signal.SIGKILL)
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(5)
        if self.process.is_alive():
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.join()
        self.conn.close()


def _failed(error: str, retryable: bool) -> dict:
    return {"status": "failed", "error": error, "retryable": retryable, "headline": None,
            "outputs": [], "duration": None}


class _Retries:
    """Counts attempts per job and decides whether a failed one goes back in the queue."""

    def __init__(self, retries: int):
        self.retries, self.attempts = retries, collections.Counter()

    def start(self, job: dict) -> None:
        self.attempts[job["id"]] += 1

    def again(self, job: dict, result: dict) -> bool:
        result["attempts"] = self.attempts[job["id"]]
        return bool(result.get("retryable")) and self.attempts[job["id"]] <= self.retries


def run_local(jobs, output, workers=2, timeout=None, retries=2, on_result=None, prewarm=True,
              preload=()):
    """Run ``jobs`` (dicts with an ``id``) on ``workers`` local processes; returns the results."""
    fork_server_setting()  # a bad setting is the driver's one error, not every worker's
    ctx = multiprocessing.get_context("spawn")  # no fork: the driver may hold threads and data
    pending = collections.deque(jobs)
    tries = _Retries(retries)
    results = {}
    pool = [_Worker(ctx, str(output), timeout, prewarm, preload) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        while pending or any(w.job for w in pool):
            for worker in pool:
                if worker.job is None and pending:
                    job = pending.popleft()
                    tries.start(job)
                    worker.give(job, timeout)
            busy = [w for w in pool if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            for i, worker in enumerate(pool):
                if worker.job is None:
                    continue
                result = None
                if worker.conn in ready or worker.conn.poll():
                    try:
                        result = worker.conn.recv()
                    except (EOFError, OSError):
                        result = None
                if result is None and (worker.process.sentinel in ready or not worker.process.is_alive()):
                    worker.process.join(1)  # its exit code, once it is reaped
                    result = _failed(exit_reason(worker.process.exitcode, "worker process"), True)
                elif result is None and worker.deadline and time.monotonic() > worker.deadline:
                    result = _failed(f"timed out after {timeout:g} s (worker stopped)", False)
                if result is None:
                    continue
                job, worker.job = worker.job, None
                if result.get("pid") is None:  # the worker is gone or stuck: replace it
                    worker.stop(kill=True)
                    pool[i] = _Worker(ctx, str(output), timeout, prewarm, preload)
                if tries.again(job, result):
                    pending.appendleft(job)
                    continue
                results[job["id"]] = result
                if on_result:
                    on_result(job, result)
    finally:
        for worker in pool:
            worker.stop(kill=worker.job is not None)
    return results


_dask_kernels = None


def _dask_task(job, output, timeout, prewarm, preload=()):
    """Runs on a Dask worker: one kernel pool per worker process, kept between tasks."""
    global _dask_kernels
    from qoswb.reports.execute import run_job
    from qoswb.reports.kernels import Kernels

    if _dask_kernels is None:
        import atexit

        _dask_kernels = Kernels(prewarm=prewarm, cwd=output, preload=preload, fork=fork_server_setting())
        atexit.register(_dask_kernels.close)
        _dask_kernels.warm()
    return run_job(job, output, timeout, _dask_kernels)


CONNECT_TIMEOUT = 10.0  # seconds a Dask scheduler has to answer


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise a :class:`~qoswb.errors.ParameterError` unless a Dask scheduler answers at
    ``address`` within ``timeout`` seconds.

    >>> check_scheduler("tcp://127.0.0.1:9", timeout=1)     # doctest: +SKIP
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: --scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s ...
    """
    from qoswb.errors import ParameterError

    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise ParameterError(f"--scheduler needs dask.distributed ({exc})") from None
    try:
        client = Client(address, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - whatever answered (or did not), it is no scheduler
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s "
                             f"({detail})") from None
    client.close()


def run_dask(jobs, output, scheduler="local", workers=2, timeout=None, retries=2,
             on_result=None, prewarm=True, preload=()):
    """Run ``jobs`` on a Dask cluster: ``scheduler`` an address, or "local" for a LocalCluster.

    The output folder must be reachable at the same path from every Dask worker
    (a shared file system), since workers write the reports themselves.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    fork_server_setting()
    cluster = None
    if scheduler == "local":
        # one thread per worker process: each job drives its kernel from its own process
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
    client = Client(cluster if cluster is not None else scheduler, timeout=CONNECT_TIMEOUT)
    tries = _Retries(retries)
    results = {}
    try:
        def submit(job):
            tries.start(job)
            future = client.submit(_dask_task, job, str(output), timeout, prewarm, preload, pure=False,
                                   key=f"qoswb-report-{job['id']}-{tries.attempts[job['id']]}")
            by_future[future.key] = job
            return future

        by_future = {}
        queue = as_completed([submit(job) for job in jobs])
        for future in queue:
            job = by_future.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # KilledWorker and the like: the job itself never ran
                result = _failed(f"{type(exc).__name__}: {exc}"[:500], True)
            if tries.again(job, result):
                queue.add(submit(job))
                continue
            results[job["id"]] = result
            if on_result:
                on_result(job, result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def progress(total: int, enabled: bool = True):
    """A tqdm progress bar on stderr showing done/total, failures and the ETA."""
    from tqdm import tqdm

    return tqdm(total=total, unit="report", desc="reports", file=sys.stderr,
                disable=not enabled, dynamic_ncols=True, postfix={"failed": 0})
