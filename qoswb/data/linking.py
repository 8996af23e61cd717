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
    matched = surveys["id"].astype("string").isin(ids.dropna()).to_numpy()
    linked, unmatched = surveys[matched], surveys[~matched]
    if "team" in interactions.columns:
        teams = pd.Series(interactions["team"].to_numpy(), index=ids.to_numpy())
        teams = teams[~teams.index.duplicated()]  # the loader keeps ids unique; a frame may not
        team = pd.Series(teams.reindex(linked["id"].astype("string").to_numpy()).to_numpy(), index=linked.index)
        if "team" in linked.columns:
            team = linked["team"].where(linked["team"].notna(), team)
        linked = linked.assign(team=team)
    return linked, unmatched
