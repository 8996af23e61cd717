"""Run one job: papermill into a temporary notebook, HTML without code, atomic renames.

This module runs inside a worker process (never in the batch driver's threads:
papermill calls from threads of one process race on kernel start-up), which
hands it kernels from its :class:`~qoswb.reports.kernels.Kernels`.

A job's outputs appear only complete: each is written under a hidden temporary
name in the same folder and renamed into place (:mod:`qoswb.files`), the HTML last,
so a batch killed part-way leaves at worst a hidden ``.*.partial.*`` file (removed
by the next run), never a report that looks finished but is not.

>>> offline_html('<script src="https://cdn.example/x.js"></script><p onclick="go()">ok</p>')
'<p>ok</p>'
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from qoswb.errors import JobTimeout, KernelDiedError, KernelStartError, ReportError, exit_reason
from qoswb.files import partial_name, write_synced
from qoswb.reports.inert import offline_html, remote_references  # noqa: F401 - re-exported
from qoswb.reports.kernels import Kernels, exit_code, is_alive, kill

_exporter = None


def _not_unknown_parameter(record) -> bool:
    """papermill warns of each parameter a template does not declare; a batch gives every template
    all of its parameters (``sla``, ``grain`` ...) and a template uses those it needs: one line per
    report on the batch's terminal that says nothing wrong."""
    return not record.getMessage().startswith("Passed unknown parameter")


logging.getLogger("papermill").addFilter(_not_unknown_parameter)


def exporter():
    """The worker's HTML exporter: built once (templates, filters: ~0.4 s), then reused."""
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter

        # optimistic_validation: the notebook is validated once, after all preprocessors, not after each
        _exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                 exclude_output_prompt=True, embed_images=True, optimistic_validation=True)
    return _exporter


def to_html(notebook, title: str | None = None) -> str:
    """An executed notebook as a self-contained HTML report: outputs only, no code cells, no script;
    ``title`` (data text: nbconvert escapes it) names the page in the browser's tab and history."""
    if title:
        notebook.metadata["title"] = title
    body, _ = exporter().from_notebook_node(notebook)
    return offline_html(body)


def page_title(job: dict) -> str:
    """What a report's browser tab says: its team (or the portfolio), template and period.

    >>> page_title({"template_path": "t/team_report.ipynb", "parameters": {"team": "Returns", "period": "2025-05"}})
    'Returns — team report — 2025-05'
    >>> page_title({"template_path": "t/portfolio_report.ipynb", "parameters": {"teams": [], "period": "2025-05"}})
    'All teams — portfolio report — 2025-05'
    """
    p = job.get("parameters") or {}
    team = p.get("team") or ("All teams" if "teams" in p else None)
    parts = (team, Path(job["template_path"]).stem.replace("_", " "), p.get("period"))
    return " — ".join(str(x) for x in parts if x)


def headline(notebook) -> str | None:
    """The text shown by the cell tagged ``headline`` (first line), for the index page."""
    for cell in notebook.cells:
        if "headline" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                text = out.get("text") or out.get("data", {}).get("text/plain")
                if text:
                    text = "".join(text).strip().strip("'\"")
                    return text.splitlines()[0][:200] if text else None
    return None


def run_job(job: dict, output: str, timeout: float | None = None, kernels: Kernels | None = None,
            start_timeout: float = 60) -> dict:
    """Execute one job and write its notebook and HTML report atomically.

    ``job`` is a dict with ``template_path``, ``parameters``, ``notebook`` and ``html``
    (paths relative to ``output``). Returns a result dict: ``status`` ("ok" or
    "failed"), ``error`` (one line, or None), ``retryable`` (the kernel died or did
    not start), ``duration`` in seconds, ``headline`` and ``pid`` of the worker.
    """
    import papermill

    from qoswb.reports.jobs import inside

    started = time.perf_counter()
    own = kernels is None
    kernels = kernels or Kernels(prewarm=False)
    result = {"status": "failed", "error": None, "retryable": False, "headline": None,
              "outputs": [], "pid": os.getpid()}
    km, timer, timed_out = None, None, threading.Event()
    notebook_path = html_path = tmp_nb = tmp_html = None
    try:
        notebook_path = inside(Path(output), job["notebook"])
        html_path = inside(Path(output), job["html"])
        notebook_path.parent.mkdir(parents=True, exist_ok=True)
        tmp_nb, tmp_html = partial_name(notebook_path), partial_name(html_path)
        km = kernels.take()  # raises KernelStartError
        if timeout:
            def expire():
                timed_out.set()
                kill(km)
            timer = threading.Timer(timeout, expire)
            timer.daemon = True
            timer.start()
        # papermill hands back the executed notebook it wrote: no second read and validation
        executed = papermill.execute_notebook(
            job["template_path"], str(tmp_nb), parameters=job["parameters"], km=km,
            progress_bar=False, log_output=False, start_timeout=start_timeout,
            request_save_on_cell_execute=False,  # one write at the end, not one per cell
            kernel_name=kernels.kernel_name)
        write_synced(tmp_html, to_html(executed, page_title(job)))
        os.replace(tmp_nb, notebook_path)  # notebook first, HTML last: the HTML means "done"
        os.replace(tmp_html, html_path)
        failed_copy(notebook_path).unlink(missing_ok=True)
        result.update(status="ok", headline=headline(executed), outputs=[job["notebook"], job["html"]])
    except BaseException as exc:  # noqa: BLE001 - one job's failure must not end the worker
        # A stale report from an earlier run must not pass for this run's: remove it, and keep
        # the failed notebook (with its traceback) under a name that cannot be mistaken for one.
        for stale in (notebook_path, html_path):
            if stale is not None:
                stale.unlink(missing_ok=True)
        if tmp_nb is not None and tmp_nb.exists():
            os.replace(tmp_nb, failed_copy(notebook_path))
            result["outputs"] = [str(Path(job["notebook"]).with_suffix(".failed.ipynb"))]
        failure = JobTimeout(f"timed out after {timeout:g} s") if timed_out.is_set() else typed(exc, km)
        result["error"] = describe(failure)
        result["retryable"] = getattr(failure, "retryable", False)
        if isinstance(exc, KeyboardInterrupt):
            raise
    finally:
        if timer is not None:
            timer.cancel()
        if km is not None:
            kernels.release(km)
        if own:
            kernels.close()
        for leftover in (tmp_nb, tmp_html):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
        result["duration"] = round(time.perf_counter() - started, 3)
    return result


def failed_copy(notebook_path: Path) -> Path:
    """Where the executed notebook of a failed job is kept for diagnosis."""
    return notebook_path.with_suffix(".failed.ipynb")


def typed(exc: BaseException, km) -> BaseException:
    """The qoswb error a failure of the kernel's machinery stands for (``exc`` itself otherwise).

    The one place the exceptions of papermill, nbclient, jupyter_client and zmq are
    told apart: a kernel that died (its exit code and signal, read from the process,
    are in the message), one that never answered, or the notebook's own error.
    """
    import zmq
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(exc, KernelStartError) and km is not None and not is_alive(km):
        return KernelStartError(f"{exc}: {exit_reason(exit_code(km))}")  # how it died, too
    if isinstance(exc, ReportError):
        return exc
    if isinstance(exc, CellTimeoutError):
        return JobTimeout(f"a cell timed out: {str(exc).splitlines()[0] if str(exc) else ''}"[:500])
    if isinstance(exc, (DeadKernelError, zmq.ZMQError, ConnectionError)):
        return KernelDiedError.from_exit(exit_code(km)) if km is not None else KernelStartError(describe(exc))
    if isinstance(exc, (RuntimeError, TimeoutError)) and km is not None and not is_alive(km):
        return KernelDiedError.from_exit(exit_code(km))  # whatever papermill made of a dead kernel
    return exc


def describe(exc: BaseException) -> str:
    """One line saying what went wrong: for a failed cell, the notebook's own error."""
    ename = getattr(exc, "ename", None)
    if ename:  # PapermillExecutionError: the exception raised inside the notebook
        return f"cell {getattr(exc, 'exec_count', '?')}: {ename}: {getattr(exc, 'evalue', '')}"[:500]
    text = str(exc).strip().splitlines()
    if isinstance(exc, ReportError):
        return (text[0] if text else type(exc).__name__)[:500]
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]
