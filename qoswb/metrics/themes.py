"""Explainable theme tagging of survey comments: keyword lists per theme, extendable by users.

A comment gets every theme one of whose keywords it contains (whole words,
case-insensitive; a keyword may be a phrase). The result says which keyword
matched, so anyone can see why a comment was tagged — no model, no black box.
``theme_pareto`` counts the tags per team and period for a Pareto chart.

>>> import pandas as pd
>>> answers = pd.DataFrame({"id": ["1", "2"], "comment": ["Waited far too long.", "Refund arrived quickly."]})
>>> tag_themes(answers)[["id", "theme", "keyword"]].values.tolist()
[['1', 'waiting and speed', 'waited'], ['2', 'waiting and speed', 'quickly'], ['2', 'money and refunds', 'refund']]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError

#: default themes: name -> keywords (whole words or phrases, lower case). Extend with ``extra=``.
THEMES: dict[str, list[str]] = {
    "waiting and speed": ["wait", "waited", "waiting", "slow", "too long", "took a while", "took a week", "late",
                          "delay", "delayed", "quick", "quickly", "fast", "faster", "straight away",
                          "on the spot", "within the hour"],
    "ownership and chasing": ["chase", "chased", "chasing", "nobody", "passed from", "own my case",
                              "team to team", "ignored"],
    "fixed first time": ["fixed", "not fixed", "sorted", "first time", "still broken", "keeps coming back",
                         "works now", "broken", "resolved", "again"],
    "staff manner": ["friendly", "rude", "listened", "helpful", "polite", "unhelpful", "seriously", "apology"],
    "clear answers": ["explain", "explained", "clear", "clearly", "vague", "straight answer",
                      "answer my question", "information", "confusing"],
    "money and refunds": ["refund", "refunds", "charged", "bill", "billing", "payment"],
    "access and passwords": ["password", "locked out", "log in", "login", "reset"],
    "delivery": ["parcel", "courier", "delivery", "redelivery", "delivered"],
}


def _patterns(themes: dict[str, list[str]]) -> dict[str, re.Pattern]:
    out = {}
    for theme, words in themes.items():
        if isinstance(words, str) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ParameterError(f"theme {theme!r} needs a list of non-empty keywords, got {words!r}")
        # longest first, so "not fixed" wins over "fixed" as the keyword shown
        alternatives = sorted({w.strip().lower() for w in words}, key=len, reverse=True)
        out[theme] = re.compile(r"\b(" + "|".join(re.escape(w) for w in alternatives) + r")\b", re.IGNORECASE)
    return out


def tag_themes(surveys: pd.DataFrame, themes: dict | None = None, *, extra: dict | None = None,
               column: str = "comment") -> pd.DataFrame:
    """One row per (comment, theme) matched: ``id``, ``theme``, ``keyword`` (the first keyword found), ``comment``.

    ``themes`` replaces the default :data:`THEMES`; ``extra`` adds keywords or
    themes to it (``{"billing": ["invoice"]}`` extends an existing theme).
    Comments with no theme are absent from the result (count them with
    ``surveys[column].notna().sum() - result.id.nunique()``).

    >>> answers = pd.DataFrame({"id": ["9"], "comment": ["The invoice was wrong"]})
    >>> tag_themes(answers, extra={"money and refunds": ["invoice"]}).keyword.tolist()
    ['invoice']
    """
    if not isinstance(surveys, pd.DataFrame):
        raise DataError(f"surveys must be a DataFrame, not {type(surveys).__name__}")
    if column not in surveys.columns or "id" not in surveys.columns:
        raise DataError(f"surveys need the columns 'id' and {column!r}; they have {list(surveys.columns)}")
    merged = {k: v if isinstance(v, str) else list(v) for k, v in (THEMES if themes is None else themes).items()}
    for theme, words in (extra or {}).items():
        merged[theme] = list(merged.get(theme, [])) + ([words] if isinstance(words, str) else list(words))
    text = surveys[column].astype("string")
    frames = []
    for theme, pattern in _patterns(merged).items():  # one vectorised regex pass per theme, not per comment
        found = text.str.extract(pattern, expand=False)
        rows = np.flatnonzero(found.notna().to_numpy())
        if len(rows):
            frames.append(pd.DataFrame({"id": surveys["id"].to_numpy()[rows], "theme": theme,
                                        "keyword": found.to_numpy()[rows], "comment": text.to_numpy()[rows],
                                        "_row": rows}))
    if not frames:
        return pd.DataFrame({"id": pd.Series(dtype="string"), "theme": pd.Series(dtype="string"),
                             "keyword": pd.Series(dtype="string"), "comment": pd.Series(dtype="string")})
    out = pd.concat(frames, ignore_index=True)
    order = {theme: i for i, theme in enumerate(merged)}
    out["_theme"] = out["theme"].map(order)
    out["keyword"] = out["keyword"].str.lower()
    out = out.sort_values(["_row", "_theme"], kind="stable").drop(columns=["_row", "_theme"])
    return out.reset_index(drop=True).astype({"theme": "string", "keyword": "string", "comment": "string"})


def theme_pareto(tags: pd.DataFrame, interactions: pd.DataFrame | None = None, *, by="team",
                 freq: str | None = None) -> pd.DataFrame:
    """Counts of tagged comments per theme (and per ``by`` group and period when ``interactions`` is given).

    Sorted largest first within each group, with the cumulative share of a Pareto
    chart in ``cumulative_share``. Comments count in the period the rated
    interaction was opened, like the survey KPIs.

    >>> tags = pd.DataFrame({"id": ["1", "2", "3"], "theme": ["speed", "speed", "manner"]})
    >>> theme_pareto(tags)[["theme", "count"]].values.tolist()
    [['speed', 2], ['manner', 1]]
    """
    from qoswb.metrics import periods

    keys: list[str] = []
    data = tags
    if interactions is not None:
        by = [by] if isinstance(by, str) else list(by)
        cols = ["id", *by, "opened_at"] if freq else ["id", *by]
        data = tags.merge(interactions[cols].astype({"id": "string"}), on="id", how="left", validate="many_to_one")
        if data[by[0]].isna().any():
            raise DataError(f"{int(data[by[0]].isna().sum())} tagged comment(s) rate no interaction in the data")
        keys = list(by)
        if freq:
            wall = periods.wall_clock(data["opened_at"], "opened_at")
            data = data.assign(period=periods.starts(periods.codes(wall, freq), freq))
            keys.append("period")
    counts = data.groupby([*keys, "theme"], observed=True).size().rename("count").reset_index()
    counts = counts.sort_values([*keys, "count", "theme"], ascending=[True] * len(keys) + [False, True])
    totals = counts.groupby(keys)["count"].transform("sum") if keys else counts["count"].sum()
    running = counts.groupby(keys)["count"].cumsum() if keys else counts["count"].cumsum()
    counts["cumulative_share"] = running / totals
    return counts.reset_index(drop=True)
