"""Names help desks give the canonical columns, for suggestions only (never to map a column).

When a mapping leaves out a required column, the header name to suggest is
one that reads like the column's usual names (``Owner Role``, ``Queue`` or
``Assignment group`` for ``team``), else the nearest by spelling. Adding a
vendor's name is one word in :data:`SYNONYMS`.

>>> likely("team", ["Case Number", "Type", "Owner Role", "Date/Time Opened"])
['Owner Role']
>>> likely("opened_at", ["Case Number", "Date/Time Opened", "Date/Time Closed"])
['Date/Time Opened']
"""

from qoswb.data.columns import closest, normalise

# canonical column -> words a header holds when it is that column (compared as normalise() does)
SYNONYMS = {
    "id": ["id", "case number", "ticket id", "ticket number", "incident number", "number", "case", "ticket",
           "reference", "key"],
    "team": ["team", "queue", "group", "owner role", "role", "department", "assignment group", "assigned group",
             "support group", "agent group", "division", "unit", "desk"],
    "opened_at": ["opened", "created", "created at", "date opened", "date/time opened", "submitted", "open date",
                  "reported", "received"],
    "answered_at": ["answered", "survey date", "response date", "submitted", "completed", "rated at", "date"],
    "period": ["period", "month", "week", "date"],
}


def likely(name: str, header: list[str], n: int = 3) -> list[str]:
    """Header names that may be canonical column ``name``, best first: those holding one of its
    usual names (the longer the name matched, the earlier), else the nearest by spelling."""
    hits = []
    for word in sorted(SYNONYMS.get(name, []), key=len, reverse=True):
        key = normalise(word)
        hits += [h for h in header if key and key in normalise(h) and h not in hits]
    return (hits or closest(name, header, n))[:n]


def did_you_mean(name: str, header: list[str]) -> str:
    """" (did you mean 'x'?)" with :func:`likely` header names, else "".

    >>> did_you_mean("team", ["Case Number", "Type", "Owner Role"])
    " (did you mean 'Owner Role'?)"
    """
    near = likely(name, header)
    return f" (did you mean {' or '.join(repr(h) for h in near)}?)" if near else ""
