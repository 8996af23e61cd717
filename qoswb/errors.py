"""qoswb's own exception types, so a caller (or the CLI) can react to each kind.

>>> from qoswb.errors import DataError
>>> issubclass(DataError, ValueError)
True
"""


class QoswbError(Exception):
    """Base of every error qoswb raises on purpose; the CLI prints it as one line."""


class DataError(QoswbError, ValueError):
    """Input data that cannot be used: names the file and, where it applies, row and column."""


class ParameterError(QoswbError, ValueError):
    """A bad parameter file or argument: names the key (or argument) and what was expected."""


def did_you_mean(name: str, choices) -> str:
    """' (did you mean ...?)' naming the closest of ``choices``, or '; known: ...' when none is close.

    The suggestions are the loaders' column-name suggestions
    (:func:`qoswb.data.columns.closest`), so every unknown name reads alike.

    >>> did_you_mean("kpi", ["kpis", "targets"])
    " (did you mean 'kpis'?)"
    >>> did_you_mean("colour", ["kpis", "targets"])
    '; known: kpis, targets'
    """
    from qoswb.data.columns import closest

    choices = [str(c) for c in choices]
    near = closest(str(name), choices)
    if near:
        return f" (did you mean {' or '.join(repr(c) for c in near)}?)"
    return f"; known: {', '.join(choices)}" if choices else ""
