"""The History tab of the Workshop: who changed what in the cycle, and when, newest first.

It reads :meth:`qoswb.pdca.store.Store.history` and says each edit in words.

>>> row = {"entity": "cause", "entity_id": 3, "field": "votes", "old": "1", "new": "2"}
>>> edit_words(row)
'cause 3: votes 1 → 2'
>>> edit_words(row | {"field": "is_root", "old": None, "new": "True"})
'cause 3: root cause set to True'
"""

from __future__ import annotations

import html
import json

import pandas as pd

SHOWN = 60  # edits listed; the rest are counted
FIELD_WORDS = {"is_root": "root cause", "changed_on": "from", "follow_up": "follow-up",
               "next_cycle_id": "next cycle", "kpi": "KPI"}
CLIP = 80  # characters of a value shown


def _clip(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= CLIP else text[:CLIP - 1] + "…"


def edit_words(row) -> str:
    """One history row (``entity``, ``entity_id``, ``field``, ``old``, ``new``) in words."""
    what = f"{row['entity']} {int(row['entity_id'])}"
    if row["field"] == "removed":
        try:
            gone = json.loads(row["old"] or "{}")
        except ValueError:
            gone = {}
        said = gone.get("text") or gone.get("action") or gone.get("what") or ""
        return f"{what} removed" + (f": {_clip(said)}" if said else "")
    old, new = row["old"], row["new"]
    field = FIELD_WORDS.get(row["field"], str(row["field"]).replace("_", " "))
    if old is None or pd.isna(old) or old == "":
        return f"{what}: {field} set to {_clip(new)}"
    return f"{what}: {field} {_clip(old)} → {_clip(new if new is not None else '')}"


class HistoryTab:
    """History: every edit of the open cycle, newest first, with its author and time."""

    title = "History"

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.table_html = w.HTML()
        self.table_html.add_class("qoswb-history")
        self.ui = w.VBox([self.table_html])

    def load(self, cycle: dict | None) -> None:
        """List the cycle's edits (none without a cycle)."""
        if cycle is None:
            self.table_html.value = "<p>Open a cycle to see its history.</p>"
            return
        history = self.ws.store.history(cycle["id"]).iloc[::-1]
        rows = "".join(
            f"<tr><td>{row['at']:%Y-%m-%d %H:%M} UTC</td>"
            f"<td>{html.escape(str(row['author'] or 'someone'))}</td>"
            f"<td>{html.escape(edit_words(row))}</td></tr>"
            for _, row in history.head(SHOWN).iterrows())
        more = len(history) - SHOWN
        self.table_html.value = (
            "<table><tr><th>when</th><th>who</th><th>what</th></tr>" + rows + "</table>"
            + (f"<p>and {more} earlier edits</p>" if more > 0 else ""))
