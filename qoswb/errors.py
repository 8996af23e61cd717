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
