"""The History tab of the Workshop: who changed what in the cycle, and when, newest first.

It reads :meth:`qoswb.pdca.store.Store.history` and says each edit in words,
naming a cause, why, action or change by its text rather than its row id.

>>> row = {"entity": "cause", "entity_id": 3, "field": "votes", "old": "1", "new": "2"}
>>> edit_words(row, "Rota gaps")
'cause “Rota gaps”: votes 1 → 2'
>>> edit_words(row | {"field": "is_root", "old": None, "new": "True"})
'cause 3: root cause set to True'
"""

from __future__ import annotations

import html
import json

import pandas as pd

SHOWN = 60  # edits listed; the rest are counted
FIELD_WORDS = {"is_root": "root cause", "changed_on": "date", "follow_up": "follow-up",
               "next_cycle_id": "next cycle", "kpi": "KPI"}
NAME_FIELDS = ("text", "action", "what")  # the field that names a cause/why, action, change
ROW_EVENTS = {"removed": "old", "restored": "new"}  # the whole row, as JSON, is in this column
CLIP = 80  # characters of a value shown


def _clip(value, width: int = CLIP) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or value == ""


def _row_name(row) -> str:
    """The name a removed or restored row carried (from its JSON), else ""."""
    try:
        whole = json.loads(row[ROW_EVENTS[row["field"]]] or "{}")
    except (ValueError, TypeError):
        return ""
    return next((str(whole[f]) for f in NAME_FIELDS if whole.get(f)), "")


def names(history: pd.DataFrame) -> dict:
    """``{(entity, entity_id): latest name}`` from a cycle's history (oldest first)."""
    found = {}
    for row in history.to_dict("records"):
        key = (row["entity"], row["entity_id"])
        if row["field"] in NAME_FIELDS and not _missing(row["new"]):
            found[key] = str(row["new"])
        elif row["field"] in ROW_EVENTS and _row_name(row):
            found[key] = _row_name(row)
    return found


def edit_words(row, name: str = "") -> str:
    """One history row (``entity``, ``entity_id``, ``field``, ``old``, ``new``) in words;
    ``name`` (e.g. a cause's text) says which row it was."""
    what = (f"{row['entity']} “{_clip(name, 40)}”" if name
            else f"{row['entity']} {int(row['entity_id'])}")
    if row["field"] in ROW_EVENTS:
        return f"{what} {row['field']}"
    old, new = row["old"], row["new"]
    field = FIELD_WORDS.get(row["field"], str(row["field"]).replace("_", " "))
    if _missing(old):
        return f"{what}: {field} set to {_clip(new)}"
    return f"{what}: {field} {_clip(old)} → {_clip('' if _missing(new) else new)}"


class HistoryTab:
    """History: what was removed (each with a restore button), then every edit of the open
    cycle, newest first, with its author and time."""

    title = "History"

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.removed_box = w.VBox()
        self.table_html = w.HTML()
        self.table_html.add_class("qoswb-history")
        self.ui = w.VBox([self.removed_box, self.table_html])

    def _show_removed(self, cycle_id: int) -> None:
        import ipywidgets as w

        from qoswb.widgets.inputs import close_all

        close_all(self.removed_box)
        rows = []
        for item in self.ws.store.removed(cycle_id).to_dict("records"):
            button = w.Button(description="restore", layout=w.Layout(width="80px"))
            button.on_click(lambda _b, e=item["entity"], i=item["id"]:
                            self.ws.session.restore(e, i))
            by = f" by {item['removed_by']}" if item["removed_by"] else ""
            rows.append(w.HBox([button, w.HTML(
                f"{html.escape(item['entity'])} “{html.escape(_clip(item['text']))}”, removed "
                f"{item['removed_at']:%Y-%m-%d %H:%M} UTC{html.escape(by)}")]))
        self.removed_box.children = ([w.HTML("<b>Removed</b> (can be put back)")] + rows
                                     if rows else [])

    def load(self, cycle: dict | None) -> None:
        """List the cycle's removed items and its edits (nothing without a cycle)."""
        if cycle is None:
            self.removed_box.children = []
            self.table_html.value = "<p>Open a cycle to see its history.</p>"
            return
        self._show_removed(cycle["id"])
        history = self.ws.store.history(cycle["id"])
        called = names(history)
        called.pop(("cycle", cycle["id"]), None)  # "cycle 1" is plain enough
        newest = history.iloc[::-1].head(SHOWN).to_dict("records")
        rows = "".join(
            f"<tr><td>{row['at']:%Y-%m-%d %H:%M} UTC</td>"
            f"<td>{html.escape(str(row['author'] or 'someone'))}</td>"
            f"<td>{html.escape(edit_words(row, called.get((row['entity'], row['entity_id']), '')))}"
            "</td></tr>" for row in newest)
        more = len(history) - SHOWN
        self.table_html.value = (
            "<table><tr><th>when</th><th>who</th><th>what</th></tr>" + rows + "</table>"
            + (f"<p>and {more} earlier edits</p>" if more > 0 else ""))
