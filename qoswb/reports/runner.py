"""Run report jobs on Dask: a LocalCluster of worker processes, or a cluster at an address.

One backend for a laptop and a cluster alike. Each job runs in a Dask worker
*process* with one thread (papermill calls from threads of one process race on
kernel start-up); each worker keeps a :class:`~qoswb.reports.kernels.Kernels` for
the whole batch (set up by the :class:`ReportWorker` plugin, which boots the first
kernel while the worker waits for its first job), so it pre-starts its next kernel
while the current job runs. Results come back one by one through ``on_result``, so
one failing team never stops the others and a killed batch keeps what it finished.
What is retried is decided by the failure's type (:class:`~qoswb.errors.ReportError`
``retryable``: a kernel that died or did not start, a worker that died), up to
``retries`` more attempts; Dask's own retries of a task whose worker died are off
on a LocalCluster (``allowed-failures: 0``), so the count is qoswb's.

Setting ``QOSWB_FORK_SERVER=off`` in the environment launches every kernel afresh
(with the preload imported in the background) instead of forking it from the
worker's fork server: the benchmark measures one path against the other with it,
and it is the way out should forking misbehave on a machine.

>>> results = run(jobs, "/tmp/out", workers=2)                       # doctest: +SKIP
>>> results = run(jobs, "/shared/out", scheduler="tcp://10.0.0.5:8786")  # doctest: +SKIP
>>> fork_server_setting({"QOSWB_FORK_SERVER": "off"})
False
"""

from __future__ import annotations

import collections
import logging
import os
import re
import sys
import threading
import time

from distributed.diagnostics.plugin import WorkerPlugin

from qoswb.errors import ReportError, WorkerDiedError, exit_reason
from qoswb.reports.stdlibfork import end_when_gone

FORK_SERVER = "QOSWB_FORK_SERVER"
CONNECT_TIMEOUT = 8.0  # seconds a Dask scheduler has to answer: the batch ends within 10 s if none does
PLUGIN = "qoswb-reports"


def fork_server_setting(environ=os.environ) -> bool:
    """Whether kernels are forked from the worker's fork server (on, the default) or launched
    afresh (off), from ``QOSWB_FORK_SERVER``; the ``fork`` of :class:`Kernels`.

    >>> fork_server_setting({}), fork_server_setting({"QOSWB_FORK_SERVER": "0"})
    (True, False)
    """
    value = environ.get(FORK_SERVER, "on").strip().lower()
    settings = {"on": True, "1": True, "yes": True, "true": True, "": True,
                "stdlib": True,  # the name of the standard library's fork server, before it was the only one
                "off": False, "0": False, "no": False, "false": False}
    if value not in settings:
        from qoswb.errors import ParameterError

        raise ParameterError(f"{FORK_SERVER}={value!r}: expected on or off")
    return settings[value]


# ---- on each worker ---------------------------------------------------------------------------

class ReportWorker(WorkerPlugin):
    """A Dask worker plugin: the worker's kernels for this batch, warmed as soon as it joins.

    Registered by :func:`run` on every worker (and on workers that join or restart later);
    a batch registering it again replaces the previous batch's kernels.
    """

    name = PLUGIN

    def __init__(self, output: str, prewarm: bool = True, preload=(), fork: bool = True, local: bool = False):
        self.output, self.prewarm, self.preload, self.fork = output, prewarm, list(preload), fork
        self.local = local  # a worker of the batch's own LocalCluster (not one an admin started)

    def setup(self, worker=None) -> None:
        global _worker
        _worker = self
        self.ready = threading.Event()
        self.kernels, self.failure = None, None
        # the first kernel boots, and papermill and nbconvert load, before the first job arrives
        threading.Thread(target=self._warm, daemon=True, name="qoswb-warm-kernels").start()
        # no orphan keeps writing reports after its batch: a worker whose driver (LocalCluster) or
        # nanny was killed outright ends too
        end_when_gone(os.getppid())
        if self.local and threading.current_thread() is threading.main_thread():
            # Ctrl-C reaches the terminal's whole process group: the driver stops the batch and its
            # cluster, and the workers end with it instead of each printing a traceback
            import signal

            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _warm(self) -> None:
        # jsonschema (imported by nbformat) compiles an IRI grammar with lark as it is imported, when the
        # optional rfc3987-syntax is installed (jupyter-events brings it): about 2 s of each worker's
        # start, for a format check no notebook schema has. Marked absent, jsonschema leaves it out.
        sys.modules.setdefault("rfc3987_syntax", None)
        from qoswb.reports.execute import exporter
        from qoswb.reports.kernels import Kernels

        try:
            self.kernels = Kernels(prewarm=self.prewarm, cwd=self.output, preload=self.preload, fork=self.fork)
            import papermill  # noqa: F401

            exporter()
            self.kernels.warm()
        except Exception as exc:  # noqa: BLE001 - the first job retries the start and reports it
            self.failure = exc
        finally:
            self.ready.set()

    def teardown(self, worker=None) -> None:
        self.ready.wait()
        if self.kernels is not None:
            self.kernels.close()


_worker: ReportWorker | None = None


def _run_report(job: dict, output: str, timeout: float | None) -> dict:
    """A Dask task: one report on this worker's kernels; the result says what went wrong."""
    from qoswb.reports.execute import run_job

    plugin = _worker
    if plugin is None:
        raise ReportError("this Dask worker has no qoswb plugin (was the batch's registration lost?)")
    plugin.ready.wait()
    if plugin.kernels is None:  # the warm-up failed even to make the pool
        raise plugin.failure
    result = run_job(job, output, timeout, plugin.kernels)
    result["notes"] = plugin.kernels.notes()
    return result


# ---- the driver -------------------------------------------------------------------------------

class WorkerDeaths(logging.Handler):
    """How worker processes ended, as their nannies logged it (pid -> return code).

    A nanny knows its worker's exit code but tells the scheduler only that it left; on a
    LocalCluster the nannies run in the driver, so their log lines say how a worker died.
    """

    PATTERN = re.compile(r"Worker process (\d+) (?:was killed by signal (\d+)|exited with status (\d+))")

    def __init__(self):
        super().__init__(logging.INFO)
        self.codes: dict[int, int] = {}

    def emit(self, record) -> None:
        found = self.PATTERN.search(record.getMessage())
        if found:
            pid, signum, status = found.groups()
            self.codes[int(pid)] = -int(signum) if signum else int(status)

    def error(self, exc: BaseException) -> ReportError:
        """The qoswb error a task's Dask-level failure stands for (its type decides a retry)."""
        from distributed import KilledWorker

        if isinstance(exc, KilledWorker):
            pid = getattr(exc.last_worker, "pid", None)
            for _ in range(20):  # the nanny's line may trail the scheduler's news by a moment
                if pid in self.codes:
                    return WorkerDiedError(exit_reason(self.codes[pid], "worker process"))
                time.sleep(0.05)
            return WorkerDiedError(f"worker process died while running the report "
                                   f"({exc.last_worker.address}; how: see that worker's log)")
        if isinstance(exc, ReportError):
            return exc
        return ReportError(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:500])


def _failed(error: ReportError) -> dict:
    return {"status": "failed", "error": str(error), "retryable": error.retryable, "headline": None,
            "outputs": [], "duration": None}


class _Retries:
    """Counts attempts per job and decides whether a failed one goes back in the queue."""

    def __init__(self, retries: int):
        self.retries, self.attempts = retries, collections.Counter()

    def start(self, job: dict) -> int:
        self.attempts[job["id"]] += 1
        return self.attempts[job["id"]]

    def again(self, job: dict, result: dict) -> bool:
        result["attempts"] = self.attempts[job["id"]]
        return bool(result.get("retryable")) and self.attempts[job["id"]] <= self.retries


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise a :class:`~qoswb.errors.ParameterError` unless a Dask scheduler answers at
    ``address`` within ``timeout`` seconds.

    The whole handshake has that long: something else listening there (a web server, Dask's
    dashboard port) accepts the connection and then never speaks Dask's protocol, which
    Dask's own connect timeout does not cover.

    >>> check_scheduler("tcp://127.0.0.1:9", timeout=1)     # doctest: +SKIP
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: --scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s ...
    """
    from qoswb.errors import ParameterError

    said: dict = {}

    def connect():
        try:  # Dask's own timeout a little shorter, so that a closed port gives its own reason
            said["client"] = _client(address, max(0.5, timeout - 1))
        except BaseException as exc:  # noqa: BLE001 - whatever answered (or did not), it is no scheduler
            said["error"] = exc

    # a daemon thread: one stuck on a listener that never answers is left behind as the batch ends
    attempt = threading.Thread(target=connect, daemon=True, name="qoswb-check-scheduler")
    attempt.start()
    attempt.join(timeout)
    if "client" in said:
        said["client"].close()
        return
    exc = said.get("error")
    if exc is None or isinstance(exc, (MemoryError, ValueError, TypeError)):  # stuck, or garbage read
        detail = "something there accepts connections but does not speak Dask's protocol"
    else:
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    raise ParameterError(f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s "
                         f"({detail})") from None


def _client(address, timeout: float = CONNECT_TIMEOUT):
    from dask.distributed import Client

    return Client(address, timeout=timeout, set_as_default=False)


class Cluster:
    """The batch's Dask cluster, started (a LocalCluster of ``workers`` processes) or joined (the
    scheduler at ``scheduler``) in a background thread, the qoswb plugin registered on it, so its
    workers boot their fork servers and first kernels while the driver does other work (the
    batch builds its data cache meanwhile). :meth:`wait` gives the client once it is up (or
    raises what went wrong); :meth:`close` ends it all.

    >>> cluster = Cluster("/tmp/out", workers=2, preload=["pandas"])   # doctest: +SKIP
    >>> results = run(jobs, "/tmp/out", cluster=cluster); cluster.close()  # doctest: +SKIP
    """

    def __init__(self, output, scheduler: str | None = None, workers: int = 2, prewarm: bool = True, preload=()):
        import dask

        fork = fork_server_setting()  # a bad setting is the driver's one error, not every worker's
        self.deaths = WorkerDeaths()
        self._nanny_log = logging.getLogger("distributed.nanny")
        self._nanny_log.addHandler(self.deaths)
        # A worker that dies is retried by qoswb (its count in the manifest), not by the scheduler;
        # workers that are not daemonic processes may fork kernels (multiprocessing's rule); the
        # statistical profiler (a stack sample of every thread each 10 ms) would take the GIL from
        # the report's own work, and nobody reads its profiles here.
        self._settings = dask.config.set({"distributed.scheduler.allowed-failures": 0,
                                          "distributed.worker.daemon": False,
                                          "distributed.worker.profile.enabled": False})
        self.cluster = self.client = self._error = None
        plugin = ReportWorker(str(output), prewarm, preload, fork, local=scheduler in (None, "local"))
        self._thread = threading.Thread(target=self._start, args=(scheduler, workers, plugin), daemon=True,
                                        name="qoswb-start-cluster")
        self._thread.start()

    def _start(self, scheduler, workers: int, plugin) -> None:
        try:
            if scheduler in (None, "local"):
                from dask.distributed import LocalCluster

                self.cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = _client(self.cluster if self.cluster is not None else scheduler)
            self.client.register_plugin(plugin, name=PLUGIN)
        except BaseException as exc:  # noqa: BLE001 - raised in the driver's thread by wait()
            self._error = exc

    def wait(self):
        """The client of the started cluster (raises what stopped it from starting)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.client

    def close(self) -> None:
        """Close the client and the LocalCluster (once they are up), and restore Dask's settings."""
        self._thread.join()
        try:
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self.client = self.cluster = None
            self._settings.__exit__(None, None, None)
            self._nanny_log.removeHandler(self.deaths)


def run(jobs, output, scheduler: str | None = None, workers: int = 2, timeout=None, retries: int = 2,
        on_result=None, prewarm: bool = True, preload=(), notes: list | None = None,
        cluster: Cluster | None = None, before=()) -> dict:
    """Run ``jobs`` (dicts with an ``id``) on Dask; returns the results by job id.

    ``scheduler`` is an address (``tcp://HOST:PORT``), or None (or "local") for a
    LocalCluster of ``workers`` processes with one thread each. On a cluster, the
    output folder (and the data cache in it) must be at the same path on every
    worker: a shared folder. What the workers noted (modules the fork server could
    not import) is added to ``notes``. ``cluster``: a :class:`Cluster` started earlier
    (the caller closes it); without it, one is started and closed here. ``before``: work the
    reports can use but do not need, as (what, function, args), handed out before them
    (see :func:`_collect`).
    """
    own = cluster is None
    if own:
        cluster = Cluster(output, scheduler, min(workers, len(jobs)), prewarm, preload)
    try:
        client = cluster.wait()
        return _collect(client, jobs, str(output), timeout, _Retries(retries), cluster.deaths, on_result, notes,
                        before)
    finally:
        if own:
            cluster.close()


def _collect(client, jobs, output, timeout, tries: _Retries, deaths: WorkerDeaths, on_result, notes,
             before=()) -> dict:
    """Hand out jobs as workers free up, and take each result as it comes.

    No more jobs are out than the cluster has threads, so a worker holds only the job it
    runs: a worker's death then fails that job alone, not one merely queued behind it, and
    a large batch keeps few futures in the driver. ``before`` (what, function, args) is
    handed out first: work each report would otherwise do for itself (charting a period's
    teams, :mod:`qoswb.reports.asof`), so one that fails costs only time, and a note says so.
    No report waits for it: a report that starts first does the work itself.
    """
    from dask.distributed import as_completed

    from qoswb.reports.execute import describe

    calls, pending = collections.deque(before), collections.deque(jobs)
    by_key, results, noted = {}, {}, set()
    queue = as_completed([], loop=client.loop)

    def top_up():
        room = max(1, sum(client.nthreads().values())) - len(by_key)
        while (calls or pending) and room > 0:
            if calls:
                what, function, args = calls.popleft()
                future = client.submit(function, *args, pure=False, key=f"qoswb-prepare-{len(calls)}-{what}")
                by_key[future.key] = what
            else:
                job = pending.popleft()
                attempt = tries.start(job)
                future = client.submit(_run_report, job, output, timeout, pure=False,
                                       key=f"qoswb-report-{job['id']}-{attempt}")
                by_key[future.key] = job
            queue.add(future)
            room -= 1

    top_up()
    for future in queue:
        job = by_key.pop(future.key)
        if isinstance(job, str):  # a preparation: its result is in the cache, only its failure is news
            if future.status == "error" and notes is not None:
                notes.append(f"{job} could not be prepared ({describe(future.exception())}); "
                             "each report did that work itself")
            future.release()
            top_up()
            continue
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - the job itself never finished: its worker died, or worse
            result = _failed(deaths.error(exc))
        future.release()
        for note in result.pop("notes", None) or ():
            if note not in noted and notes is not None:
                noted.add(note)
                notes.append(note)
        if tries.again(job, result):
            pending.appendleft(job)
        else:
            results[job["id"]] = result
            if on_result:
                on_result(job, result)
        top_up()
    return results


def progress(total: int, enabled: bool = True):
    """A tqdm progress bar on stderr showing done/total, failures and the ETA."""
    from tqdm import tqdm

    return tqdm(total=total, unit="report", desc="reports", file=sys.stderr,
                disable=not enabled, dynamic_ncols=True, postfix={"failed": 0})
