"""The PDCA Workshop: one cycle per problem, in tabs Plan / Do / Check / Act, saved as you go.

Every edit is written to the PDCA record (:class:`qoswb.pdca.store.Store`) the
moment it is made — text as it is typed, buttons at once — so there is no save
button to forget, and the history keeps who changed what and when.

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

from qoswb.errors import QoswbError
from qoswb.pdca.model import CYCLE_STAGES
from qoswb.widgets import figures
from qoswb.widgets.cycle_tabs import ActTab, CheckTab, DoTab, close_all
from qoswb.widgets.explorer import Explorer
from qoswb.widgets.plan import PlanTab

TAB_TITLES = ("Plan", "Do", "Check", "Act")


class Workshop:
    """The PDCA workshop app.

    Parameters
    ----------
    source, surveys, freq
        The data, as for :class:`qoswb.widgets.Explorer` (default the demo data).
    store : Store or URL, optional
        The PDCA record; default the SQLite file in the data folder.
    cycle_id : int, optional
        The cycle to open; default the most recently edited one, if any.
    explorer : Explorer, optional
        An Explorer to reuse (its data and choices).

    Widgets: ``cycle_picker``, ``new_title`` + ``new_button``, ``stage``, the tabs
    ``plan``, ``do``, ``check``, ``act`` (each with its own widgets) and ``status``;
    the whole app is ``ui``.
    """

    def __init__(self, source=None, surveys=None, *, store=None, cycle_id=None,
                 freq: str = "W", explorer: Explorer | None = None):
        import ipywidgets as w

        from qoswb.pdca.store import Store

        self.explorer = explorer or Explorer(source, surveys, freq=freq)
        self.store = store if isinstance(store, Store) else Store(store)
        self.cycle_id = None
        self.loading = False
        self._figures: dict = {}
        self.cycle_picker = w.Dropdown(description="Cycle", options=[],
                                       layout=w.Layout(width="40%"))
        self.new_title = w.Text(placeholder="name the problem", layout=w.Layout(width="30%"))
        self.new_button = w.Button(description="New cycle", button_style="success")
        self.stage = w.Dropdown(options=CYCLE_STAGES, description="Stage",
                                layout=w.Layout(width="180px"))
        self.status = w.HTML()
        self.plan = PlanTab(self)
        self.do = DoTab(self)
        self.check = CheckTab(self)
        self.act = ActTab(self)
        self.tabs = w.Tab(children=[self.plan.ui, self.do.ui, self.check.ui, self.act.ui],
                          titles=TAB_TITLES)
        self.ui = w.VBox([w.HBox([self.cycle_picker, self.new_title, self.new_button,
                                  self.stage]), self.status, self.tabs])
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
        s = self.explorer.selection()
        cycle = self.store.new_cycle(title, team=s["team"], kpi=s["kpi"])
        self.new_title.value = ""
        self.open(cycle["id"])
        self.plan.use_chart()  # the baseline comes from the chart the room is looking at
        return cycle["id"]

    def open(self, cycle_id: int) -> None:
        """Show one cycle in every tab."""
        self.cycle_id = int(cycle_id)
        self._refresh_picker()
        self.reload("")

    def cycle(self) -> dict:
        """The open cycle as the store holds it (see ``Store.get_cycle``)."""
        return self.store.get_cycle(self.cycle_id)

    def require_cycle(self) -> bool:
        """True when a cycle is open; else says so in the status line."""
        if self.cycle_id is None:
            self.saved("", error="Open a cycle or start a new one first.")
            return False
        return True

    def reload(self, what: str) -> None:
        """Redraw every tab from the store (after an edit named ``what``)."""
        self._load(self.cycle() if self.cycle_id is not None else None)
        if what:
            self.saved(what)

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

    def chart_png(self, cycle: dict | None, blank: bool = True) -> bytes:
        """The cycle's KPI chart: phases split at the latest change, change dates marked."""
        cycle = cycle or {}
        if not cycle.get("team") or not cycle.get("kpi"):
            return figures.empty_png("Choose the team and KPI in Plan.") if blank else b""
        changes = tuple((c["changed_on"], c["what"]) for c in cycle.get("changes") or [])
        key = ("chart", cycle["team"], cycle["kpi"], changes, blank)
        return self.memo(key, lambda: self._draw_chart(cycle, blank))

    def _draw_chart(self, cycle: dict, blank: bool) -> bytes:
        from qoswb.pdca.phases import kpi_chart, phase_chart

        changes = cycle.get("changes") or []
        try:
            series = self.explorer.source.series(cycle["team"], cycle["kpi"])
            kind = self.explorer.chart_plan(cycle["team"], cycle["kpi"])[0]
            with warnings.catch_warnings():  # the Explorer shows the chart's warnings
                warnings.simplefilter("ignore")
                if changes:
                    chart = phase_chart(series, max(c["changed_on"] for c in changes), kind)
                else:
                    chart = kpi_chart(series, kind)
        except QoswbError as exc:
            return figures.empty_png(str(exc)) if blank else b""
        marks = [(c["changed_on"], c["what"][:30]) for c in changes]
        return figures.chart_png(chart, f"{cycle['kpi']} — {cycle['team']}", changes=marks)

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
        if not self.loading and self.cycle_id is not None:
            self.store.update_cycle(self.cycle_id, stage=change["new"])
            self.saved("stage")

    def _load(self, cycle: dict | None) -> None:
        self.loading = True  # filling the widgets is not an edit
        try:
            close_all(self.plan.causes_box)
            close_all(self.plan.actions_box)
            if cycle is not None:
                self.stage.value = cycle["stage"]
            for tab in (self.plan, self.do, self.check, self.act):
                tab.load(cycle)
        finally:
            self.loading = False
