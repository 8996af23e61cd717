"""qoswb's own exception types, so a caller (or the CLI) can react to each kind.

>>> from qoswb.errors import DataError
>>> issubclass(DataError, ValueError)
True
"""

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class QoswbError(Exception):
    """Base of every error qoswb raises on purpose; the CLI prints it as one line."""


class DataError(QoswbError, ValueError):
    """Input data that cannot be used: names the file and, where it applies, row and column."""


class ParameterError(QoswbError, ValueError):
    """A bad parameter file or argument: names the key (or argument) and what was expected."""


class ReportError(QoswbError):
    """A report job that could not run to the end for a reason outside the notebook's code.

    ``retryable`` says whether another attempt may succeed; the batch retries only these.

    >>> KernelDiedError.from_exit(-9).args[0]
    'kernel killed by signal 9 (SIGKILL — out of memory?)'
    >>> KernelDiedError.from_exit(3).retryable, JobTimeout("timed out after 3 s").retryable
    (True, False)
    """

    retryable = False


class KernelStartError(ReportError, RuntimeError):
    """The report's kernel did not start, or did not answer in time (its spec, its imports, ports)."""

    retryable = True


class KernelDiedError(ReportError, RuntimeError):
    """The report's kernel ended while the report ran: ``returncode`` as in ``subprocess``
    (minus the signal for a kernel killed by one, None if not known)."""

    retryable = True

    def __init__(self, message: str, returncode: int | None = None):
        super().__init__(message)
        self.returncode = returncode

    @classmethod
    def from_exit(cls, returncode: int | None) -> "KernelDiedError":
        """The error for a kernel that ended with ``returncode``, saying how in words."""
        return cls(exit_reason(returncode), returncode)


class WorkerDiedError(ReportError, RuntimeError):
    """The worker process running the report died (out of memory, killed), or left its cluster."""

    retryable = True


class JobTimeout(ReportError, TimeoutError):
    """A report ran past its time limit and was stopped (not retried: it would run as long again)."""


# Signals a kernel dies of, and what they usually mean for a report.
_SIGNAL_HINTS = {"SIGKILL": "out of memory?", "SIGSEGV": "a crash", "SIGBUS": "a crash",
                 "SIGABRT": "a crash", "SIGTERM": "stopped from outside"}


def exit_reason(returncode: int | None, process: str = "kernel") -> str:
    """How a ``process`` ended, in words, from its ``subprocess``-style return code.

    >>> exit_reason(-11), exit_reason(2, "worker process")
    ('kernel killed by signal 11 (SIGSEGV — a crash)', 'worker process exited with status 2')
    """
    import signal

    if returncode is None:
        return f"{process} died (exit status unknown)"
    if returncode >= 0:
        return f"{process} exited with status {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        return f"{process} killed by signal {-returncode}"
    hint = _SIGNAL_HINTS.get(name)
    return f"{process} killed by signal {-returncode} ({name}{' — ' + hint if hint else ''})"


def did_you_mean(name: str, choices, known: bool = True) -> str:
    """' (did you mean ...?)' naming the closest of ``choices``, or '; known: ...' when none is close.

    The suggestions are the loaders' column-name suggestions
    (:func:`qoswb.data.columns.did_you_mean`), so every unknown name reads alike.

    >>> did_you_mean("kpi", ["kpis", "targets"])
    " (did you mean 'kpis'?)"
    >>> did_you_mean("colour", ["kpis", "targets"])
    '; known: kpis, targets'
    >>> did_you_mean("colour", ["kpis", "targets"], known=False)   # too many choices to list
    ''
    """
    from qoswb.data.columns import did_you_mean as suggestion

    choices = [str(c) for c in choices]
    return suggestion(str(name), choices) or (f"; known: {', '.join(choices)}" if choices and known else "")


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn with the caller's own line as the place: the first frame outside qoswb.

    However deep inside qoswb the warning is raised, it points at the notebook cell or
    script line that called qoswb (Python 3.12's ``skip_file_prefixes``, by hand).

    >>> warn("2 survey answer(s) rate no interaction")   # doctest: +SKIP
    <stdin>:1: UserWarning: 2 survey answer(s) rate no interaction
    """
    # the caller of the outermost qoswb frame: frames of other libraries (functools, pandas)
    # between qoswb's own are skipped too
    level, outermost, frame = 1, 1, sys._getframe(0)
    while frame is not None:
        if frame.f_code.co_filename.startswith(_PACKAGE):
            outermost = level
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=outermost + 1)
