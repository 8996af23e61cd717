"""The canonical columns of each kind of data: one table that loaders, checks and docs read.

Each column has a type (``string``, ``timestamp``, ``integer``, ``number``,
``boolean``, ``date``), whether it is required, and for scores the allowed range.

>>> from qoswb.data.schema import SCHEMAS, required
>>> required("interactions")
['id', 'team', 'opened_at']
>>> SCHEMAS["surveys"]["csat"].range
(1, 5)
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    type: str
    required: bool = False
    range: tuple | None = None  # inclusive (low, high); None = no bound on that side


SCHEMAS = {
    "interactions": {
        "id": Column("string", True),
        "team": Column("string", True),
        "opened_at": Column("timestamp", True),
        "first_response_at": Column("timestamp"),
        "resolved_at": Column("timestamp"),
        "channel": Column("string"),
        "category": Column("string"),
        "priority": Column("string"),
        "contacts": Column("integer", range=(0, None)),
        "reopened": Column("boolean"),
        "sla_minutes": Column("number", range=(0, None)),
    },
    "surveys": {
        "id": Column("string", True),
        "answered_at": Column("timestamp", True),
        "csat": Column("integer", range=(1, 5)),
        "nps": Column("integer", range=(0, 10)),
        "ces": Column("integer", range=(1, 7)),
        "comment": Column("string"),
    },
    "aggregates": {
        "team": Column("string", True),
        "period": Column("date", True),
        "numerator": Column("number", range=(0, None)),
        "denominator": Column("number", range=(0, None)),
        "value": Column("number"),
    },
}

# (earlier, later): a row whose later timestamp comes before its earlier one is rejected
IN_ORDER = (("opened_at", "first_response_at"), ("opened_at", "resolved_at"),
            ("first_response_at", "resolved_at"))
# columns that identify a row: a repeat is rejected as a duplicate
KEYS = {"interactions": ["id"], "surveys": ["id"], "aggregates": ["team", "period"]}


def kinds() -> list[str]:
    """The kinds of data qoswb loads."""
    return list(SCHEMAS)


def required(kind: str) -> list[str]:
    """The required canonical columns of ``kind``."""
    return [name for name, col in SCHEMAS[kind].items() if col.required]
