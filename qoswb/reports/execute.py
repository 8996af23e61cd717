"""Run one job: papermill into a temporary notebook, HTML without code, atomic renames.

This module runs inside a worker process (never in the batch driver's threads:
papermill calls from threads of one process race on kernel start-up). A worker
keeps a :class:`Kernels` object that starts the *next* kernel while the current
job runs, so kernel start-up, which dominates short reports, overlaps useful work.

A job's outputs appear only complete: each is written under a hidden temporary
name in the same folder and renamed into place, the HTML last, so a batch killed
part-way leaves at worst a hidden ``.*.partial.*`` file (removed by the next run),
never a report that looks finished but is not.

>>> html = '<script src="https://cdn.example/x.js"></script><p>ok</p>'
>>> offline_html(html)
'<p>ok</p>'
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

PARTIAL = ".partial"
# Errors worth another try: the kernel died or never came up (not the notebook's own error).
RETRYABLE = ("DeadKernelError", "TimeoutError", "RuntimeError", "ConnectionError", "ZMQError")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_REMOTE = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//|import\s*\(\s*["'](https?:)?//"""
                     r"""|@import\s+(url\()?\s*["']?(https?:)?//|Url\s*=\s*["']https?://""", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
# What a preloaded module loads lazily on its first use in a report: importing these
# too takes that cost off the job's clock (e.g. pyplot's first figure resolves the
# inline backend; read_parquet(filters=...) goes through pyarrow.dataset; a Styler
# brings jinja2). Measured on the team report: ~0.5 s less per job in its cells.
COMPANIONS = {"matplotlib.pyplot": ["matplotlib_inline.backend_inline"],
              "pyarrow.parquet": ["pyarrow.dataset"],
              "pandas": ["pandas.io.formats.style"]}


def offline_html(html: str) -> str:
    """Drop every ``<script>`` or ``<link>`` that would fetch from the network.

    nbconvert's templates load require.js, MathJax and mermaid from a CDN; a
    report opened on an intranet or offline needs none of them (figures are
    embedded as data URIs), and a page that fetches nothing cannot leak or hang.
    """
    html = _SCRIPT.sub(lambda m: "" if _REMOTE.search(m.group(0)) else m.group(0), html)
    return _LINK.sub(lambda m: "" if _REMOTE.search(m.group(0)) else m.group(0), html)


def remote_references(html: str) -> list[str]:
    """Tags or CSS rules in ``html`` that would fetch something from the network (should be [])."""
    tags = [m.group(0)[:120] for m in _SCRIPT.finditer(html) if _REMOTE.search(m.group(0))]
    tags += [m.group(0)[:120] for m in _LINK.finditer(html) if _REMOTE.search(m.group(0))]
    tags += re.findall(r"<img\b[^>]*\bsrc\s*=\s*[\"']?https?://[^>]*>", html, re.I)
    tags += re.findall(r"@import\s+(?:url\()?\s*[\"']?https?://[^;]*", html, re.I)
    return tags


_exporter = None


def exporter():
    """The worker's HTML exporter: built once (templates, filters: ~0.4 s), then reused."""
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter

        _exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                 exclude_output_prompt=True, embed_images=True)
    return _exporter


def to_html(notebook) -> str:
    """An executed notebook as a self-contained HTML report: outputs only, no code cells."""
    body, _ = exporter().from_notebook_node(notebook)
    return offline_html(body)


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


def partial_name(path: Path) -> Path:
    """The hidden temporary name under which ``path`` is written before its rename."""
    # the real suffix last, so tools that check it (papermill does) are content
    return path.with_name(f".{path.stem}.{os.getpid()}{PARTIAL}{path.suffix}")


def write_synced(path: Path, text: str) -> None:
    """Write ``text`` and flush it to disk, so a rename afterwards publishes whole content."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a hidden temporary file and a rename."""
    tmp = partial_name(path)
    write_synced(tmp, text)
    os.replace(tmp, path)


def remove_partials(folder: Path) -> int:
    """Delete temporary files left by a killed batch; returns how many were removed."""
    count = 0
    for tmp in Path(folder).rglob(f".*{PARTIAL}*"):
        tmp.unlink(missing_ok=True)
        count += 1
    return count


class Kernels:
    """Hands out started Jupyter kernels, starting the next one ahead of time (pre-warming).

    >>> kernels = Kernels(prewarm=False)  # doctest: +SKIP
    >>> km = kernels.take(); ...; kernels.release(km); kernels.close()  # doctest: +SKIP
    """

    def __init__(self, kernel_name: str = "python3", prewarm: bool = True, cwd: str | None = None,
                 preload: list[str] | tuple = ()):
        self.kernel_name, self.prewarm, self.cwd = kernel_name, prewarm, cwd
        named = [m for m in preload if re.fullmatch(r"[A-Za-z_][\w.]*", m)]
        self.preload = list(dict.fromkeys(
            [m for name in named for m in [name, *COMPANIONS.get(name, [])]]))
        self._next = None

    def _start(self):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        # The kernel's own chatter (e.g. its TCP warning) is not the report's business.
        run_sync(km.start_kernel)(cwd=self.cwd or os.getcwd(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if self.preload:
            threading.Thread(target=_preload, args=(km.get_connection_info(), self.preload),
                             daemon=True, name="qoswb-kernel-preload").start()
        return km

    def warm(self) -> None:
        """Start a kernel now (at worker start-up), so the first job finds one booted."""
        if self._next is None:
            self._next = self._start()

    def take(self):
        """A started kernel manager; also starts the next kernel when pre-warming."""
        km, self._next = self._next, None
        if km is None or not _alive(km):
            if km is not None:
                self.release(km)
            km = self._start()
        if self.prewarm:
            try:
                self._next = self._start()
            except Exception:  # a failed warm start is retried by the next take()
                self._next = None
        return km

    def release(self, km) -> None:
        """Shut a kernel down (quietly if it is already dead)."""
        from jupyter_core.utils import run_sync

        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            kill(km)

    def close(self) -> None:
        if self._next is not None:
            self.release(self._next)
            self._next = None


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


def _alive(km) -> bool:
    from jupyter_core.utils import run_sync

    try:
        return bool(run_sync(km.is_alive)())
    except Exception:
        return False


def kill(km) -> None:
    """Kill a kernel's process outright (used when a job runs out of time)."""
    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


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
        km = kernels.take()
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
        write_synced(tmp_html, to_html(executed))
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
        if timed_out.is_set():
            result["error"] = f"timed out after {timeout:g} s"
        else:
            result["error"] = describe(exc)
            result["retryable"] = type(exc).__name__ in RETRYABLE
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


def describe(exc: BaseException) -> str:
    """One line saying what went wrong: for a failed cell, the notebook's own error."""
    ename = getattr(exc, "ename", None)
    if ename:  # PapermillExecutionError: the exception raised inside the notebook
        return f"cell {getattr(exc, 'exec_count', '?')}: {ename}: {getattr(exc, 'evalue', '')}"[:500]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]
