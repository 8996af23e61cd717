"""Survey answers linked to the interactions they rate, and the answers that rate none.

An answer is linked by its ``id``: it rates the interaction with that id. Linked
answers carry the interaction's ``team`` (so a team's answers are one filter); the
others are returned apart, unchanged, so they can be counted and shown instead of
silently leaving the CSAT figures.

>>> import pandas as pd
>>> tickets = pd.DataFrame({"id": ["a", "b"], "team": ["Billing", "Returns"]})
>>> answers = pd.DataFrame({"id": ["b", "zz"], "csat": [5, 1]})
>>> linked, unmatched = link_surveys(answers, tickets)
>>> linked.to_dict("records")
[{'id': 'b', 'csat': 5, 'team': 'Returns'}]
>>> unmatched["id"].tolist()
['zz']
"""

from __future__ import annotations

import pandas as pd

from qoswb.errors import DataError


def link_surveys(surveys: pd.DataFrame, interactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(linked, unmatched): answers whose ``id`` is an interaction's id, with that
    interaction's ``team`` added (a ``team`` the answers already carry is kept where
    it is given), and the other answers as they were. ``len(linked) + len(unmatched) == len(surveys)``.

    Ids are compared as text, so ``7`` in one file matches ``"7"`` in the other.

    >>> import pandas as pd
    >>> tickets = pd.DataFrame({"id": [1, 2], "team": ["Billing", "Returns"]})
    >>> answers = pd.DataFrame({"id": ["1", "3"], "team": ["Own team", "X"]})
    >>> linked, unmatched = link_surveys(answers, tickets)
    >>> linked["team"].tolist(), len(unmatched)
    (['Own team'], 1)
    """
    for name, frame in (("surveys", surveys), ("interactions", interactions)):
        if "id" not in frame.columns:
            raise DataError(f"{name} have no 'id' column: survey answers cannot be linked to interactions")
    if "team" not in interactions.columns and "team" not in surveys.columns:
        raise DataError("interactions have no 'team' column: survey answers cannot be given a team")
    ids = interactions["id"].astype("string")
    where = positions(surveys["id"], ids)  # each answer's interaction: its first row with the id
    matched = where >= 0
    linked, unmatched = surveys[matched], surveys[~matched]
    if "team" in interactions.columns:
        team = pd.Series(interactions["team"].to_numpy()[where[matched]], index=linked.index)
        if "team" in linked.columns:
            team = linked["team"].where(linked["team"].notna(), team)
        linked = linked.assign(team=team)
    return linked, unmatched


def positions(values: pd.Series, of: pd.Series):
    """Per value (as text): the position of the first row of ``of`` holding it, -1 where none
    does (a missing value matches nothing). A hash lookup in Arrow: pandas' ``isin`` on text
    columns takes seconds where this takes a fraction of one (the cache build links every answer).

    >>> positions(pd.Series(["b", None, "zz", 7]), pd.Series(["7", "b", "b"])).tolist()
    [1, -1, -1, 0]
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(column):
        if hasattr(column.array, "__arrow_array__"):  # text in Arrow already: no trip through Python objects
            arrow = pa.array(column.array)
            if pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type):
                return arrow.cast(pa.large_string())
        return pa.array(column.astype("string").to_numpy(dtype=object, na_value=None), type=pa.large_string())

    found = pc.index_in(text(values), value_set=text(of), skip_nulls=True)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def team_by_id(interactions: pd.DataFrame, rejected: pd.DataFrame | None = None) -> pd.Series:
    """Each interaction id's team (ids as text): the accepted interactions', then the rejected rows'
    as mapped (``mapped_id``, ``mapped_team``), so an answer rating a rejected case still has a team.

    >>> tickets = pd.DataFrame({"id": ["a"], "team": ["Billing"]})
    >>> bad = pd.DataFrame({"mapped_id": ["b", "a"], "mapped_team": ["Returns", "Other"]})
    >>> team_by_id(tickets, bad).to_dict()
    {'a': 'Billing', 'b': 'Returns'}
    """
    parts = [pd.Series(interactions["team"].to_numpy(), index=interactions["id"].astype("string").to_numpy())] \
        if {"id", "team"} <= set(interactions.columns) else []
    if rejected is not None and {"mapped_id", "mapped_team"} <= set(rejected.columns):
        parts.append(pd.Series(rejected["mapped_team"].to_numpy(), index=rejected["mapped_id"].astype("string").to_numpy()))
    if not parts:
        return pd.Series(dtype=object)
    teams = pd.concat(parts)
    teams = teams[teams.index.notna()]
    return teams[~teams.index.duplicated()]


def rating_rejected(answers: pd.DataFrame, rejected: pd.DataFrame | None) -> pd.Series:
    """Per answer: whether it rates an interaction that was rejected at load (its ``id`` is a
    rejected row's ``mapped_id``), as opposed to one that is in no file at all.

    >>> rating_rejected(pd.DataFrame({"id": ["b", "zz"]}), pd.DataFrame({"mapped_id": ["b"]})).tolist()
    [True, False]
    """
    if rejected is None or "mapped_id" not in rejected.columns or "id" not in answers.columns:
        return pd.Series(False, index=answers.index)
    return pd.Series(positions(answers["id"], rejected["mapped_id"]) >= 0, index=answers.index)
