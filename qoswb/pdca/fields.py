"""What a user may set on each PDCA entity, checked and cleaned before it reaches the store.

>>> clean("action", {"due": "2026-03-31", "status": "done"})
{'due': datetime.date(2026, 3, 31), 'status': 'done'}
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String

from qoswb.errors import ParameterError
from qoswb.pdca.dates import as_timestamp
from qoswb.pdca.model import ACTION_STATUSES, CYCLE_STAGES, DECISIONS, ENTITIES, GRAINS

# The fields a user may set, per entity (ids, votes and timestamps are the store's job).
EDITABLE = {
    "cycle": ("title", "problem", "team", "kpi", "grain", "baseline", "target", "stage", "decision",
              "standardised", "follow_up", "notes", "next_cycle_id"),
    "cause": ("category", "text", "is_root"),
    "why": ("text",),
    "action": ("action", "owner", "due", "status", "notes"),
    "change": ("what", "changed_on", "notes"),
}
CHOICES = {("cycle", "stage"): CYCLE_STAGES, ("cycle", "decision"): DECISIONS,
           ("cycle", "grain"): GRAINS, ("action", "status"): ACTION_STATUSES}
# Texts a row cannot do without: refused when missing or only spaces.
REQUIRED = {("cycle", "title"), ("cause", "text"), ("why", "text"), ("action", "action"),
            ("change", "what")}
MAX_VOTES = 1_000  # a room of people, not a ballot stuffed by a stuck key


def whole_number(value, where: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, refused unless it is a whole number within [low, high].

    >>> whole_number(3.0, "cause.votes", 0, 1000)
    3
    >>> whole_number(2.5, "cause.votes")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: cause.votes=2.5: expected a whole number
    """
    try:
        number = int(value)
        whole = not isinstance(value, bool) and number == float(value)
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ParameterError(f"{where}={value!r}: expected a whole number")
    if (low is not None and number < low) or (high is not None and number > high):
        raise ParameterError(f"{where}={number}: expected a whole number from {low} to {high}")
    return number


def as_text(value) -> str | None:
    """How a value is written into the history table."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def as_date(value, where: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return as_timestamp(value, where).date()




def clean(entity: str, fields: dict) -> dict:
    """Check each field against :data:`EDITABLE` and its type, choices and length."""
    cls = ENTITIES[entity]
    allowed = EDITABLE[entity]
    out = {}
    for name, value in fields.items():
        where = f"{entity}.{name}"
        if name not in allowed:
            raise ParameterError(f"{where}: not an editable field; choose from {', '.join(allowed)}")
        if name in ("due", "changed_on"):
            value = as_date(value, where)
        elif name == "is_root":
            if value not in (True, False):  # bool("false") would be True
                raise ParameterError(f"{where}={value!r}: expected True or False")
            value = bool(value)
        elif name == "next_cycle_id":
            value = None if value is None else whole_number(value, where, 1)
        elif value is not None:
            value = str(value)
        if (entity, name) in REQUIRED and (value is None or not value.strip()):
            raise ParameterError(f"{where}={value!r}: a text is needed "
                                 "(not empty, not only spaces)")
        choices = CHOICES.get((entity, name))
        if choices and value is not None and value not in choices:
            raise ParameterError(f"{where}={value!r}: expected one of {', '.join(choices)}")
        column_type = cls.__table__.columns[name].type
        if isinstance(column_type, String) and column_type.length and value is not None \
                and len(value) > column_type.length:
            raise ParameterError(f"{where}: longer than {column_type.length} characters")
        out[name] = value
    return out
