"""The PDCA Workshop: one cycle per problem, in tabs Plan / Do / Check / Act, saved as you go.

Every edit is written to the PDCA record (:class:`qoswb.pdca.store.Store`) the
moment it is made — text as it is typed, buttons at once — so there is no save
button to forget, and the History tab shows who changed what and when.

What is on screen follows the record: the stage moves on as the steps are done
(a change recorded: do; a check run: check; a decision: act), and opening a
cycle brings the Explorer back to the cycle's team, KPI and grain.

Two at the table (:mod:`qoswb.widgets.together`): the app polls the store every two
seconds and redraws when someone else saved; every edit carries the version it was
made on, so a field changed by someone else meanwhile is shown with both values
and a choice, never silently overwritten.

Each tab is a small class with a ``title``, its widget ``ui`` and
``load(cycle)``, made with the Workshop and listed once, in :data:`TABS`.

>>> from qoswb.widgets import Workshop
>>> app = Workshop()                        # demo data, data/pdca.sqlite   # doctest: +SKIP
>>> app.new_cycle("Slow first response in Returns")                       # doctest: +SKIP
>>> app.plan.cause_text.value = "Lunch breaks overlap"                    # doctest: +SKIP
>>> app.plan.add_cause_button.click()       # now in the store             # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html
import warnings

from typing import Protocol

from qoswb.errors import QoswbError
from qoswb.pdca.history import EditConflict
from qoswb.pdca.model import CYCLE_STAGES
from qoswb.widgets import figures
from qoswb.widgets.cycle_tabs import ActTab, CheckTab, DoTab
from qoswb.widgets.explorer import Explorer, chart_title, kpi_label, kpi_unit
from qoswb.widgets.history import HistoryTab
from qoswb.widgets.plan import PlanTab
from qoswb.widgets.session import SessionBar
from qoswb.widgets.together import ConflictPanel, Watcher, others_said

TYPING_SECONDS = 60  # one history row per burst of typing in a field (see Store.update)


class Tab(Protocol):
    """What the Workshop needs of a tab: made as ``Tab(workshop)``, then shown and filled."""

    title: str
    ui: object  # the tab's widget

    def load(self, cycle: dict | None) -> None:
        """Show ``cycle`` (``Store.get_cycle``); None empties the tab."""


#: The tabs, in order: the Workshop's attribute name for each, and its class.
TABS: tuple[tuple[str, type], ...] = (("plan", PlanTab), ("do", DoTab), ("check", CheckTab),
                                      ("act", ActTab), ("history", HistoryTab))


def reached_stage(cycle: dict) -> str:
    """The stage a cycle has reached: its stored stage, moved on to the furthest step
    done (a change recorded: "do"; a check run: "check"; a decision: "act"); never
    moved back, so a stage set by hand ahead of the record stays.

    >>> reached_stage({"stage": "plan", "changes": [{}], "checks": [], "decision": None})
    'do'
    >>> reached_stage({"stage": "plan", "changes": [{}], "checks": [{}], "decision": "adapt"})
    'act'
    >>> reached_stage({"stage": "closed", "changes": [], "checks": [], "decision": None})
    'closed'
    """
    done = [cycle.get("stage") or "plan"]
    done += ["do"] if cycle.get("changes") else []
    done += ["check"] if cycle.get("checks") else []
    done += ["act"] if cycle.get("decision") else []
    return max(done, key=CYCLE_STAGES.index)


class Workshop:
    """The PDCA workshop app.

    Parameters
    ----------
    source, surveys, freq
        The data, as for :class:`qoswb.widgets.Explorer` (default the demo data).
    store : Store or URL, optional
        The PDCA record; default the SQLite file in the data folder.
    author : str, optional
        Whose edits these are; default the JupyterHub or Voila user, else asked once
        (see :mod:`qoswb.widgets.session`).
    cycle_id : int, optional
        The cycle to open; default the most recently edited one, if any.
    explorer : Explorer, optional
        An Explorer to reuse (its data and choices).

    Widgets: ``cycle_picker``, ``new_title`` + ``new_button``, ``stage``, the tabs
    of :data:`TABS` as ``plan``, ``do``, ``check``, ``act``, ``history`` (each with
    its own widgets), ``session`` (the name prompt and undo), ``conflicts`` (both values of
    a field changed meanwhile by someone else, and the choice) and ``status``; the whole
    app is ``ui``. In a kernel, ``watcher`` polls the store (:meth:`poll`) until
    :meth:`close`.
    """

    def __init__(self, source=None, surveys=None, *, store=None, cycle_id=None,
                 freq: str = "W", explorer: Explorer | None = None, author: str | None = None):
        import ipywidgets as w

        from qoswb.pdca.store import Store

        self.explorer = explorer or Explorer(source, surveys, freq=freq)
        self.store = store if isinstance(store, Store) else Store(store, author=author)
        if author is not None and isinstance(store, Store):
            self.store.author = author
        self.cycle_id = None
        self.loaded: dict | None = None  # the cycle as on screen: its rows' versions
        self.seen_revision: int | None = None
        self.loading = False
        self._figures: dict = {}
        self.cycle_picker = w.Dropdown(description="Cycle", options=[],
                                       layout=w.Layout(width="40%"))
        self.new_title = w.Text(placeholder="name the problem", layout=w.Layout(width="30%"))
        self.new_button = w.Button(description="New cycle", button_style="success")
        self.stage = w.Dropdown(options=CYCLE_STAGES, description="Stage",
                                layout=w.Layout(width="180px"))
        self.status = w.HTML()
        self.session = SessionBar(self)
        self.conflicts = ConflictPanel(self)
        made = [(name, cls(self)) for name, cls in TABS]
        for name, tab in made:
            setattr(self, name, tab)
        self._tabs = [tab for _name, tab in made]
        self.tabs = w.Tab(children=[tab.ui for tab in self._tabs],
                          titles=[tab.title for tab in self._tabs])
        self.ui = w.VBox([w.HBox([self.cycle_picker, self.new_title, self.new_button,
                                  self.stage]), self.session.ui, self.status,
                            self.conflicts.ui, self.tabs])
        self.new_button.on_click(lambda _b: self.new_cycle(self.new_title.value))
        self.cycle_picker.observe(self._picked, "value")
        self.stage.observe(self._staged, "value")
        self._refresh_picker()
        existing = self.store.list_cycles()
        if cycle_id is None and len(existing):
            cycle_id = int(existing["id"].iloc[0])
        if cycle_id is not None:
            self.open(cycle_id)
        else:
            self._load(None)
        self.watcher = Watcher(self)
        self.watcher.start()  # in Jupyter or Voila; elsewhere poll() is called by hand

    def _ipython_display_(self):
        from IPython.display import display

        display(self.ui)

    # ---- cycles ----------------------------------------------------------------------
    def new_cycle(self, title: str) -> int | None:
        """Start a cycle named ``title`` on the Explorer's current team and KPI; returns its id."""
        title = (title or "").strip()
        if not title:
            self.saved("", error="Name the problem first.")
            return None
        if not self.session.named():
            return None
        s = self.explorer.selection()
        cycle = self.store.new_cycle(title, team=s["team"], kpi=s["kpi"], grain=s["grain"])
        self.new_title.value = ""
        self.open(cycle["id"])
        self.plan.use_chart()  # the baseline comes from the chart the room is looking at
        return cycle["id"]

    def open(self, cycle_id: int) -> None:
        """Show one cycle in every tab."""
        if self.cycle_id != int(cycle_id):
            self.session.forget()  # an undo belongs to the cycle it was offered on
        self.cycle_id = int(cycle_id)
        self._refresh_picker()
        self.reload("")

    def cycle(self) -> dict:
        """The open cycle as the store holds it (see ``Store.get_cycle``)."""
        return self.store.get_cycle(self.cycle_id)

    def require_cycle(self, editing: bool = True) -> bool:
        """True when a cycle is open (and, for an edit, the editor named); else says so in
        the status line."""
        if self.cycle_id is None:
            self.saved("", error="Open a cycle or start a new one first.")
            return False
        return self.session.named() if editing else True

    def reload(self, what: str) -> None:
        """Redraw every tab from the store (after an edit named ``what``, which also
        moves the stage on to the step the record has reached)."""
        cycle = self.cycle() if self.cycle_id is not None else None
        if what and cycle is not None and reached_stage(cycle) != cycle["stage"]:
            cycle["stage"] = self.store.update_cycle(self.cycle_id,
                                                     stage=reached_stage(cycle))["stage"]
        self._load(cycle)
        if what:
            self.saved(what)

    def typed(self, field: str):
        """An observer that saves a text box's every keystroke into the cycle's ``field``
        (a burst of typing is one history row)."""
        def save(change):
            if self.loading or not self.require_cycle():
                return
            if self.edit("cycle", self.cycle_id, typing=TYPING_SECONDS,
                         **{field: change["new"]}) is not None:
                self.saved(field)
        return save

    def loaded_version(self, entity: str, entity_id: int) -> int | None:
        """The version of a row as the screen shows it (None: not on screen)."""
        cycle = self.loaded or {}
        if entity == "cycle":
            return cycle.get("version") if cycle.get("id") == entity_id else None
        rows = cycle.get(f"{entity}s") or []
        if entity == "why":
            rows = [why for cause in cycle.get("causes") or [] for why in cause["whys"]]
        return next((row["version"] for row in rows if row["id"] == entity_id), None)

    def edit(self, entity: str, entity_id: int, *, version: int | None = None,
             typing: float = 0, **fields) -> dict | None:
        """Save an edit made on what the screen shows (``version``: default the row's as
        loaded); when someone else changed one of these fields since, nothing is saved,
        the conflict panel shows both values, and None is returned."""
        if version is None:
            version = self.loaded_version(entity, entity_id)
        try:
            return self.store.update(entity, entity_id, version=version, typing=typing,
                                     **fields)
        except EditConflict as conflict:
            self.conflicts.show(conflict)
            self.saved("", error="Not saved: someone else changed this meanwhile (below).")
            return None

    def poll(self) -> bool:
        """Load the open cycle again when someone else saved an edit of it (the watcher
        calls this every two seconds); True when it did. Waits while a conflict is open."""
        if self.cycle_id is None or self.loading or self.conflicts.open:
            return False
        revision = self.store.revision(self.cycle_id)
        if revision == self.seen_revision:
            return False
        said = others_said(self.store.changes_since(self.cycle_id, self.seen_revision),
                           self.store.session)
        if not said:  # only this session's own saves: the screen shows them already
            self.seen_revision = revision
            return False
        self.reload("")
        self.status.value = f"<small>{html.escape(said)} ({dt.datetime.now():%H:%M:%S})</small>"
        return True

    def close(self) -> None:
        """Stop polling and close the app's widgets (the store stays open)."""
        self.watcher.stop()
        self.ui.close()

    def saved(self, what: str, error: str | None = None) -> None:
        """Say in the status line what was saved (and when), or what went wrong."""
        if error:
            self.status.value = f"<span style='color:#c0392b'>{html.escape(error)}</span>"
        else:
            self.status.value = (f"<small>saved {html.escape(what)} at "
                                 f"{dt.datetime.now():%H:%M:%S}</small>")

    def memo(self, key, make):
        """A figure made once per content (a reload redraws only what changed)."""
        if key not in self._figures:
            if len(self._figures) > 32:
                self._figures.pop(next(iter(self._figures)))
            self._figures[key] = make()
        return self._figures[key]

    def show_chart(self, view, cycle: dict | None) -> None:
        """Show the cycle's KPI chart in a FigureView (phases split at the latest change,
        change dates marked), or say in words why there is none."""
        cycle = cycle or {}
        if not cycle.get("team") or not cycle.get("kpi"):
            view.show(None, "Choose the team and KPI in Plan: the chart appears here.")
            return
        changes = tuple((c["changed_on"], c["what"]) for c in cycle.get("changes") or [])
        key = ("chart", cycle["team"], cycle["kpi"], changes)
        try:
            view.show(self.memo(key, lambda: figures.svg_bytes(self.chart_figure(cycle))))
        except QoswbError as exc:
            view.show(None, str(exc))

    def chart_figure(self, cycle: dict):
        """The cycle's KPI chart as a matplotlib Figure (for the screen and the A3)."""
        from qoswb.pdca.phases import kpi_chart, phase_chart

        changes = cycle.get("changes") or []
        series = self.explorer.source.series(cycle["team"], cycle["kpi"])
        kind = self.explorer.chart_plan(cycle["team"], cycle["kpi"])[0]
        with warnings.catch_warnings():  # the Explorer shows the chart's warnings
            warnings.simplefilter("ignore")
            if changes:
                chart = phase_chart(series, max(c["changed_on"] for c in changes), kind)
            else:
                chart = kpi_chart(series, kind)
        marks = [(c["changed_on"], c["what"][:30]) for c in changes]
        return figures.chart_figure(chart, chart_title(cycle["team"], cycle["kpi"]),
                                    changes=marks, unit=kpi_unit(cycle["kpi"]))

    # ---- widgets ---------------------------------------------------------------------
    def _refresh_picker(self) -> None:
        cycles = self.store.list_cycles()
        self.loading = True
        try:
            self.cycle_picker.options = [(f"#{row.id} {row.title}", int(row.id))
                                         for row in cycles.itertuples()]
            self.cycle_picker.value = self.cycle_id
        finally:
            self.loading = False

    def _picked(self, change) -> None:
        if not self.loading and change["new"] is not None and change["new"] != self.cycle_id:
            self.open(change["new"])

    def _staged(self, change) -> None:
        if self.loading or self.cycle_id is None:
            return
        if not self.session.named():
            self.reload("")  # back to the stage the record holds
            return
        if self.edit("cycle", self.cycle_id, stage=change["new"]) is None:
            self.reload("")  # theirs stays on screen until the choice is made
        else:
            self.saved("stage")

    def _load(self, cycle: dict | None) -> None:
        self.loaded = cycle
        self.seen_revision = None if cycle is None else cycle["revision"]
        self.loading = True  # filling the widgets is not an edit
        try:
            if cycle is not None:
                self.stage.value = cycle["stage"]
                if cycle.get("team") and cycle.get("kpi") and not self.explorer.show(
                        cycle["team"], cycle["kpi"], cycle.get("grain")):
                    self.saved("", error=f"The data here have no {kpi_label(cycle['kpi'])} for "
                                         f"{cycle['team']}, this cycle's team and KPI.")
            for tab in self._tabs:
                tab.load(cycle)
        finally:
            self.loading = False
