"""Per-priority SLA targets (``sla: {resolution: {Critical: 240, High: 480}}``) matched to the data's priorities.

Help desks write priorities as a code, a label, or both: ServiceNow's
``1 - Critical``, Zendesk's ``High``, a ``P1``. A target's key names a priority
when, case and surrounding spaces aside, it is the priority's whole text, or,
for a text written ``code - label``, its code or its label: ``Critical``,
``1`` and ``1 - Critical`` all name ``1 - Critical``. Every key must name a
priority present in the data (else a ParameterError with a did-you-mean,
naming the parameter); two keys naming one priority with different minutes
are an error too.

>>> import pandas as pd
>>> priority = pd.Series(["1 - Critical", "2 - High", "3 - Moderate", None])
>>> minutes_by_priority(priority, {"Critical": 240, "2": 480}, "sla (resolution)").tolist()
[240.0, 480.0, nan, nan]
>>> minutes_by_priority(priority, {"Hihg": 480}, "sla (resolution)")
Traceback (most recent call last):
...
qoswb.errors.ParameterError: sla (resolution): no interaction has priority 'Hihg' (did you mean 'High' or '2 - High'?); the data's priorities: '1 - Critical', '2 - High', '3 - Moderate'
"""

import re

import numpy as np
import pandas as pd

from qoswb.data.columns import did_you_mean
from qoswb.errors import ParameterError

_CODED = re.compile(r"^\s*(?P<code>[^\s-][^-]*?)\s+-\s+(?P<label>\S.*?)\s*$")  # "1 - Critical"


def _key(text) -> str:
    return " ".join(str(text).split()).casefold()


def names_of(priority: str) -> list[str]:
    """The names a priority goes by: its whole text, and its code and label when written ``code - label``.

    >>> names_of("1 - Critical"), names_of("High")
    (['1 - Critical', '1', 'Critical'], ['High'])
    """
    coded = _CODED.match(priority)
    return [priority, coded["code"], coded["label"]] if coded else [priority]


def present_in(sla: dict | None, interactions: pd.DataFrame) -> dict | None:
    """``sla`` (``{clock: minutes, column or {priority: minutes}}``) with each table of priorities
    cut to those the ``interactions`` have (unchanged without a priority column): for a part of
    data whose whole was checked already (one team's month may have no 'Lowest' case that the
    whole data has).

    >>> present_in({"resolution": {"Critical": 240, "Low": 2880}, "first_response": 60},
    ...            pd.DataFrame({"priority": ["1 - Critical", "2 - High"]}))
    {'resolution': {'Critical': 240}, 'first_response': 60}
    """
    if not sla or "priority" not in interactions:
        return sla
    text = interactions["priority"].astype("string").str.strip().dropna().unique().tolist()
    named = {_key(name) for p in text if p for name in names_of(p)}
    return {clock: {k: v for k, v in spec.items() if _key(k) in named} if isinstance(spec, dict) else spec
            for clock, spec in sla.items()}


def minutes_by_priority(priority: pd.Series, targets: dict, what: str, also=()) -> np.ndarray:
    """Target minutes per row from ``{priority: minutes}``; NaN where the row's priority has none.
    ``also``: other names a key may have meant, offered in the did-you-mean (the SLA clocks)."""
    text = priority.astype("string").str.strip()
    present = [p for p in text.dropna().unique().tolist() if p]
    named = {}  # key as compared -> the data's priorities it names
    for p in present:
        for name in names_of(p):
            named.setdefault(_key(name), set()).add(p)
    minutes = {}
    for key, value in targets.items():
        hits = named.get(_key(key))
        if not hits:
            choices = [*also, *dict.fromkeys(n for p in present for n in names_of(p)[::-1])]
            listed = ", ".join(repr(p) for p in sorted(present)[:12]) or "none"
            raise ParameterError(f"{what}: no interaction has priority {str(key)!r}"
                                 f"{did_you_mean(str(key), choices)}; the data's priorities: {listed}")
        for p in hits:
            if p in minutes and minutes[p] != float(value):
                raise ParameterError(f"{what}: priority {p!r} is given two targets ({minutes[p]:g} and "
                                     f"{float(value):g} minutes)")
            minutes[p] = float(value)
    return text.map(minutes).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
