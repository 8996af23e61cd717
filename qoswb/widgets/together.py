"""Two at the table: the Workshop follows what other browsers save, and never hides a conflict.

Each Workshop polls the open cycle's :meth:`~qoswb.pdca.store.Store.revision` (one small
query) every :data:`POLL_SECONDS` on the kernel's event loop; when someone else saved,
it redraws from the store and says who changed what. Every edit carries the version
of the row as it was shown; when someone else changed that field since, the store
refuses with :class:`~qoswb.pdca.history.EditConflict` and the :class:`ConflictPanel`
shows both values until the person chooses: keep mine or take theirs.

>>> from qoswb.widgets import Workshop
>>> ana, ben = Workshop(store="sqlite:///pdca.sqlite", author="Ana"), ...  # doctest: +SKIP
>>> ana.poll()           # what the timer calls: True when others' edits were loaded # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import html
import logging

from qoswb.pdca.fields import as_text

POLL_SECONDS = 2.0  # others' edits on screen within 5 seconds
CLIP = 200  # characters of a value shown in the conflict panel
log = logging.getLogger(__name__)


def clip(value) -> str:
    """A stored value as short text for the screen (escaped later).

    >>> clip("x" * 300)[-3:], clip(None)
    ('xx…', '(empty)')
    """
    text = as_text(value)
    if text is None or text == "":
        return "(empty)"
    return text if len(text) <= CLIP else text[:CLIP - 1] + "…"


def others_said(changes, session: str) -> str:
    """Who else changed what, in words, from :meth:`Store.changes_since` rows (this
    session's own edits left out); "" when nobody else did.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"session": ["b", "b", "a"], "author": ["Ben", "Ben", "Ana"],
    ...                      "entity": ["cycle", "cause", "cycle"],
    ...                      "field": ["problem", "text", "target"]})
    >>> others_said(rows, "a")
    'Ben saved the problem, a cause'
    """
    theirs = changes[changes["session"] != session]
    said = []
    for author, rows in theirs.groupby("author", sort=False):
        what = [f"the {field.replace('_', ' ')}" if entity == "cycle" else f"a {entity}"
                for entity, field in zip(rows["entity"], rows["field"])]
        said.append(f"{author or 'someone unnamed'} saved {', '.join(dict.fromkeys(what))}")
    return "; ".join(said)


class Watcher:
    """Calls ``workshop.poll()`` every ``seconds`` as an asyncio task on the running event
    loop (the kernel's, in Jupyter and Voila), until :meth:`stop` or the app's widget is
    closed. Without a running loop (a script, a test) it does nothing: call ``poll()``."""

    def __init__(self, workshop, seconds: float = POLL_SECONDS):
        self.ws, self.seconds = workshop, seconds
        self.task: asyncio.Task | None = None

    def start(self) -> bool:
        """Start polling; False when there is no running event loop to poll on."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self.stop()
        self.task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        """Stop polling (closing the app does this)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            if getattr(self.ws.ui, "comm", None) is None:  # the app was closed
                return
            try:
                self.ws.poll()
            except Exception:  # noqa: BLE001 - a lost connection must not end the polling
                log.exception("polling the PDCA store failed; trying again")


class ConflictPanel:
    """Both values of a field someone else changed since you loaded it, and the choice."""

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.message = w.HTML()
        self.keep_button = w.Button(description="Keep mine", button_style="warning")
        self.take_button = w.Button(description="Take theirs")
        self.ui = w.VBox([self.message, w.HBox([self.keep_button, self.take_button])],
                         layout=w.Layout(display="none", border="2px solid #e67e22",
                                         padding="4px 8px"))
        self.ui.add_class("qoswb-conflict")
        self.conflict = None
        self.keep_button.on_click(lambda _b: self.keep_mine())
        self.take_button.on_click(lambda _b: self.take_theirs())

    @property
    def open(self) -> bool:
        """True while a conflict waits for the person's choice."""
        return self.conflict is not None

    def show(self, conflict) -> None:
        """Show an :class:`~qoswb.pdca.history.EditConflict`: for each field who changed it
        when, their value and yours; nothing of yours is saved until you choose."""
        self.conflict = conflict
        rows = "".join(
            f"<li><b>{html.escape(c.field.replace('_', ' '))}</b> was changed by "
            f"{html.escape(c.by or 'someone unnamed')} at {c.at:%H:%M:%S} UTC since you "
            f"loaded it.<br>Theirs: <q>{html.escape(clip(c.theirs))}</q><br>"
            f"Yours: <q>{html.escape(clip(c.mine))}</q></li>" for c in conflict.conflicts)
        self.message.value = (f"<p><b>Someone else changed this {html.escape(conflict.entity)} "
                              f"too — which one stays?</b></p><ul>{rows}</ul>")
        self.ui.layout.display = None

    def keep_mine(self) -> None:
        """Save your values over theirs (against the version they saved), then redraw."""
        conflict, self.conflict = self.conflict, None
        self.ui.layout.display = "none"
        if conflict is None:
            return
        mine = {c.field: c.mine for c in conflict.conflicts}
        saved = self.ws.edit(conflict.entity, conflict.entity_id, version=conflict.version,
                             **mine)
        if saved is not None:
            self.ws.reload(f"your {', '.join(mine).replace('_', ' ')} (kept)")

    def take_theirs(self) -> None:
        """Drop your values and show what the store holds."""
        self.conflict = None
        self.ui.layout.display = "none"
        self.ws.reload("")
        self.ws.saved("their version (yours dropped)")
