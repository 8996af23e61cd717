"""Imported once, in the standard library's fork server, before it forks any kernel.

``multiprocessing``'s fork server imports the modules given to
``set_forkserver_preload`` and silently skips any that fails; qoswb gives it
only this module, which imports the batch's ``preload`` list (from the
environment the server inherits, see :mod:`qoswb.reports.stdlibfork`) and writes
every failure, warning and the server's own stderr to a log the worker reads,
so that a module that cannot load (or hangs: each import has ``PRELOAD_TIMEOUT``
seconds), or a fork made risky by threads, reaches the batch's notes instead of
/dev/null.

It also keeps the server single-threaded unless the user set otherwise (BLAS and
OpenMP pools of one thread, no jemalloc background thread for pyarrow): numpy and
pyarrow would otherwise start threads here, and forking a process with threads
may deadlock the child (Python 3.12 warns of it). One BLAS thread per kernel also
suits a batch, which already runs one report per core. A server left with threads
says so in the notes.
"""

import json
import os
import signal
import sys
import warnings

# The server's settings (unless the user set them): libraries that would start threads when imported
# here, and what stops them (BLAS and OpenMP pools of one thread, pyarrow's jemalloc without its
# background purging thread); debugpy without its note on frozen modules at import.
SERVER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "JE_ARROW_MALLOC_CONF": "background_thread:false", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
# Seconds one import may take (matplotlib may build its font cache first) before it is given up.
PRELOAD_TIMEOUT = 300.0
# What ipykernel imports when a kernel starts rather than when it is imported (its debugger and
# debugpy, IPython's history in SQLite, its debugger and completer, psutil): a tenth of a second
# of every report's kernel start, done once here instead.
KERNEL_START = ("ipykernel.debugger", "sqlite3", "IPython.core.history", "IPython.core.debugger",
                "IPython.core.completerlib", "IPython.extensions.storemagic", "psutil")
KERNEL_PATH = None  # sys.path of a launched kernel, set by preload()


class TookTooLong(BaseException):
    """Raised by the alarm in an import that hangs (a BaseException: no library catches it)."""


def _too_long(signum, frame):
    raise TookTooLong


def _threads() -> int:
    """Threads of this process (native ones too, where the system tells: Linux)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def preload() -> None:
    """Import the batch's preload list, as the fork server (and only it) is asked to."""
    if "QOSWB_PRELOAD" not in os.environ:
        return  # imported anywhere else (a doctest run, a curious user): nothing to do
    log = os.environ.get("QOSWB_PRELOAD_LOG")
    if log:  # anything the server prints from now on (a traceback, a warning at fork) is kept
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
    for name, value in SERVER_ENV.items():
        os.environ.setdefault(name, value)
    global KERNEL_PATH
    # modules found as a launched kernel finds them, not as the worker does (multiprocessing gives the
    # server, and each child again, the worker's path; stdlibfork.run_kernel puts this one back)
    KERNEL_PATH = fresh_path()
    sys.path[:] = KERNEL_PATH
    import importlib

    import ipykernel.kernelapp  # noqa: F401 - what every kernel runs

    for name in KERNEL_START:  # what a kernel imports as it starts, whatever the report
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - optional parts of ipykernel; the kernel does without
            _say(f"preload: cannot import {name} (kernels import it as they start): {type(exc).__name__}: {exc}")

    limit = float(os.environ.get("QOSWB_PRELOAD_TIMEOUT") or PRELOAD_TIMEOUT)
    signal.signal(signal.SIGALRM, _too_long)
    for name in json.loads(os.environ.get("QOSWB_PRELOAD") or "[]"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            signal.setitimer(signal.ITIMER_REAL, limit)  # no kernel starts until the imports are done
            try:
                importlib.import_module(name)
            except TookTooLong:
                _say(f"preload: importing {name} took more than {limit:g} s: left to the reports")
            except Exception as exc:  # noqa: BLE001 - the report that imports it will fail with it too
                _say(f"preload: cannot import {name}: {type(exc).__name__}: {exc}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        for warning in caught:
            if issubclass(warning.category, (DeprecationWarning, PendingDeprecationWarning)):
                continue  # a library's deprecations are not the batch's business
            _say(f"preload: importing {name}: {warning.category.__name__}: {warning.message}")
    if _threads() > 1:
        _say(f"preload: the fork server runs {_threads()} threads after its imports; forking it may "
             "deadlock a kernel (run with QOSWB_FORK_SERVER=off if reports hang)")
    import gc

    gc.collect()
    gc.freeze()  # keep the imported objects' pages shared with the kernels (no refcount-GC writes)


def fresh_path() -> list[str]:
    """``sys.path`` of a kernel launched with ``python -m ipykernel_launcher`` (which drops
    the folder it was started in): multiprocessing gives the server its worker's path instead."""
    import subprocess

    try:
        said = subprocess.run([sys.executable, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
        return json.loads(said)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        _say(f"preload: kept the worker's module path ({type(exc).__name__}: {exc})")
        return list(sys.path)


def _say(line: str) -> None:
    print(line.replace("\n", " ")[:500], file=sys.stderr, flush=True)


preload()
