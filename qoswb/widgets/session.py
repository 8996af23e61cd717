"""Who is at the keyboard, and the undo of what they just removed: the Workshop's session bar.

The history says who changed what, so an edit needs a name. The store takes it
from the JupyterHub or Voila user when there is one
(:func:`qoswb.pdca.authors.session_user`); when the server cannot tell, the bar
asks once per session, and edits wait until it has an answer. A removal can be
undone at once from the bar (and later from the History tab), through
:meth:`qoswb.pdca.store.Store.restore`.

>>> from qoswb.widgets import Workshop
>>> app = Workshop(store="sqlite://")           # in Voila, no user known  # doctest: +SKIP
>>> app.session.name.value = "Ana"; app.session.name_button.click()      # doctest: +SKIP
>>> app.store.author                                                     # doctest: +SKIP
'Ana'
"""

from __future__ import annotations

import html

from qoswb.errors import ParameterError

CLIP = 40  # characters of a removed item's text on the undo button


class SessionBar:
    """The name prompt (only while the store has no author) and the undo button."""

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.name = w.Text(placeholder="your name, for the history",
                           layout=w.Layout(width="220px"))
        self.name_button = w.Button(description="That's me", button_style="info")
        self.asking = w.HBox([w.HTML("<b>Who is editing?</b>&nbsp;"), self.name,
                              self.name_button])
        self.undo_button = w.Button(description="Undo", icon="undo",
                                    layout=w.Layout(width="auto", display="none"))
        self.ui = w.HBox([self.asking, self.undo_button])
        self.last_removed: tuple[str, int] | None = None
        self.name_button.on_click(lambda _b: self.set_name())
        self.undo_button.on_click(lambda _b: self.undo())
        self._show_asking()

    def _show_asking(self) -> None:
        self.asking.layout.display = "none" if self.ws.store.author else None

    def named(self) -> bool:
        """True when edits have an author; else asks for the name in the status line."""
        if self.ws.store.author:
            return True
        self.ws.saved("", error="Type your name first (above the tabs): the history says "
                                "who changed what.")
        return False

    def set_name(self) -> None:
        """Write this session's edits under the typed name."""
        try:
            self.ws.store.author = self.name.value
        except ParameterError as exc:
            self.ws.saved("", error=str(exc))
            return
        self._show_asking()
        self.ws.saved(f"your name ({self.ws.store.author})")

    def removed(self, entity: str, entity_id: int, text: str) -> None:
        """Offer to undo the removal just made."""
        self.last_removed = (entity, int(entity_id))
        short = text if len(text) <= CLIP else text[:CLIP - 1] + "…"
        self.undo_button.description = f"Undo: remove {entity} “{short}”"
        self.undo_button.layout.display = None

    def forget(self) -> None:
        """No undo on offer (another cycle was opened, or it was used)."""
        self.last_removed = None
        self.undo_button.layout.display = "none"

    def undo(self) -> None:
        """Put the last removed item back (a cause with its whys)."""
        if self.last_removed is None:
            return
        entity, entity_id = self.last_removed
        self.forget()
        self.restore(entity, entity_id)

    def restore(self, entity: str, entity_id: int) -> None:
        """Put a removed item back on the record and redraw."""
        try:
            self.ws.store.restore(entity, entity_id)
        except ParameterError as exc:  # e.g. restored already, in another browser
            self.ws.saved("", error=str(exc))
            return
        self.ws.reload(f"{html.unescape(entity)} restored")
