"""The Plan tab of the Workshop: problem, KPI and baseline, target, fishbone, 5 whys, action plan.

Every edit goes straight to the store (text as it is typed, buttons at once);
the tab redraws from what the store holds, so what you see is what is saved.
"""

from __future__ import annotations

import html

import pandas as pd

from qoswb.pdca.model import ACTION_STATUSES, CATEGORIES
from qoswb.widgets import figures
from qoswb.widgets.explorer import kpi_label
from qoswb.widgets.inputs import close_all, text_box


def baseline_text(chart, unit: str = "") -> str:
    """The baseline of a chart in words: centre and limits of its latest phase.

    >>> class C:  # a stand-in with the summary columns of a ControlChart
    ...     kind = "p"
    ...     def summary(self):
    ...         return pd.DataFrame({"centre": [0.9], "lcl": [0.85], "ucl": [0.95],
    ...                              "points": [20]})
    >>> baseline_text(C(), "proportion")
    'centre 90.0 %, limits 85.0 % to 95.0 % (p chart, 20 periods)'
    """
    row = chart.summary().iloc[-1]

    def fmt(v):
        if pd.isna(v):
            return "none"
        return f"{v * 100:.1f} %" if unit == "proportion" else f"{v:.3g}"

    return (f"centre {fmt(row['centre'])}, limits {fmt(row['lcl'])} to {fmt(row['ucl'])} "
            f"({chart.kind} chart, {int(row['points'])} periods)")


class PlanTab:
    """Plan: the problem and its KPI, causes on a fishbone with votes, whys, root causes, actions."""

    title = "Plan"

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.problem = text_box("Problem", "What is wrong, where, since when, for whom?", area=True)
        self.kpi_html = w.HTML()
        self.use_chart_button = w.Button(description="Take KPI and baseline from the chart",
                                         layout=w.Layout(width="auto"))
        self.baseline = text_box("Baseline", "centre and limits now")
        self.target = text_box("Target", "e.g. SLA attainment 90 % by June")
        self.cause_category = w.Combobox(options=list(CATEGORIES), value="process",
                                         description="Category", ensure_option=False)
        self.cause_text = w.Text(description="Cause", placeholder="a possible cause")
        self.add_cause_button = w.Button(description="Add cause", button_style="primary")
        self.fishbone_view = figures.FigureView(css_class="qoswb-fishbone")
        self.causes_box = w.VBox()
        self.why_cause = w.Dropdown(description="Why? for", options=[])
        self.why_text = w.Text(description="Because", placeholder="the answer to 'why?'")
        self.add_why_button = w.Button(description="Add why")
        self.whys_html = w.HTML()
        self.action_text = w.Text(description="Action", placeholder="a countermeasure")
        self.action_owner = w.Text(description="Owner")
        self.action_due = w.DatePicker(description="Due")
        self.add_action_button = w.Button(description="Add action", button_style="primary")
        self.actions_box = w.VBox()
        self.ui = w.VBox([
            w.HTML("<h3>Problem and KPI</h3>"), self.problem, w.HBox([self.kpi_html,
                                                                      self.use_chart_button]),
            self.baseline, self.target,
            w.HTML("<h3>What the data show</h3>"), workshop.explorer.ui,
            w.HTML("<h3>Causes (fishbone)</h3>"),
            w.HBox([self.cause_category, self.cause_text, self.add_cause_button]),
            self.fishbone_view.ui, self.causes_box,
            w.HTML("<h3>5 whys</h3>"), w.HBox([self.why_cause, self.why_text,
                                                self.add_why_button]), self.whys_html,
            w.HTML("<h3>Action plan</h3>"),
            w.HBox([self.action_text, self.action_owner, self.action_due,
                    self.add_action_button]), self.actions_box])
        for field in ("problem", "baseline", "target"):
            getattr(self, field).observe(workshop.typed(field), "value")
        self.use_chart_button.on_click(lambda _b: self.use_chart())
        self.add_cause_button.on_click(lambda _b: self.add_cause())
        self.add_why_button.on_click(lambda _b: self.add_why())
        self.why_cause.observe(lambda _c: self._show_whys(), "value")
        self.add_action_button.on_click(lambda _b: self.add_action())
        self._cycle = None

    # ---- verbs the buttons call (and tests) --------------------------------------------
    def use_chart(self) -> None:
        """Take team, KPI, grain and baseline (centre, limits) from the Explorer's chart."""
        if not self.ws.require_cycle():
            return
        explorer = self.ws.explorer
        s = explorer.selection()
        chart = explorer.last_chart
        fields = {"team": s["team"], "kpi": s["kpi"], "grain": s["grain"]}
        if chart is not None:
            unit = explorer.series()["unit"].iloc[0] if "unit" in explorer.series() else ""
            fields["baseline"] = baseline_text(chart, unit)
        if self.ws.edit("cycle", self.ws.cycle_id, **fields) is not None:
            self.ws.reload("team and KPI")

    def add_cause(self) -> None:
        """Put the typed cause on the fishbone under the chosen category."""
        text = self.cause_text.value.strip()
        if not text or not self.ws.require_cycle():
            return
        category = self.cause_category.value.strip() or "process"
        self.ws.store.add_cause(self.ws.cycle_id, text, category=category)
        self.cause_text.value = ""
        self.ws.reload("cause")

    def vote(self, cause_id: int) -> None:
        """One more vote for a cause."""
        if not self.ws.require_cycle():
            return
        self.ws.store.vote(cause_id)
        self.ws.reload("vote")

    def set_root(self, cause_id: int, is_root: bool) -> None:
        """Mark (or unmark) a cause as a root cause."""
        if not self.ws.require_cycle():
            return
        if self.ws.edit("cause", cause_id, is_root=is_root) is not None:
            self.ws.reload("root cause")

    def remove_cause(self, cause_id: int) -> None:
        """Take a cause off the fishbone (the history keeps it; Undo puts it back)."""
        if not self.ws.require_cycle():
            return
        text = next((c["text"] for c in self._cycle.get("causes") or [] if c["id"] == cause_id),
                    "")
        self.ws.store.remove("cause", cause_id)
        self.ws.reload("cause removed")
        self.ws.session.removed("cause", cause_id, text)

    def add_why(self) -> None:
        """Append the typed answer to the chosen cause's chain of whys."""
        text = self.why_text.value.strip()
        if not text or self.why_cause.value is None or not self.ws.require_cycle():
            return
        self.ws.store.add_why(self.why_cause.value, text)
        self.why_text.value = ""
        self.ws.reload("why")

    def add_action(self) -> None:
        """Add the typed action (owner, due date) to the plan."""
        text = self.action_text.value.strip()
        if not text or not self.ws.require_cycle():
            return
        self.ws.store.add_action(self.ws.cycle_id, text, owner=self.action_owner.value.strip(),
                                 due=self.action_due.value)
        self.action_text.value = self.action_owner.value = ""
        self.action_due.value = None
        self.ws.reload("action")

    def set_status(self, action_id: int, status: str) -> None:
        """Move an action on: open, doing, done or dropped."""
        if not self.ws.require_cycle():
            return
        if self.ws.edit("action", action_id, status=status) is not None:
            self.ws.saved("action status")

    # ---- showing what the store holds ------------------------------------------------------
    def load(self, cycle: dict | None) -> None:
        """Fill the tab from a cycle (``Store.get_cycle``); None empties it."""
        import ipywidgets as w

        self._cycle = cycle or {}
        c = self._cycle
        for field in ("problem", "baseline", "target"):
            getattr(self, field).value = c.get(field) or ""
        self.kpi_html.value = (f"<b>Team</b> {html.escape(c.get('team') or '—')} · "
                               f"<b>KPI</b> {html.escape(kpi_label(c['kpi']) if c.get('kpi') else '—')}")
        causes = c.get("causes") or []
        problem = c.get("problem") or c.get("title", "")
        if causes:
            self.fishbone_view.show(self.ws.memo(
                ("fishbone", problem,
                 tuple((x["category"], x["text"], x["votes"], x["is_root"]) for x in causes)),
                lambda: figures.fishbone_svg(causes, problem)))
        else:
            self.fishbone_view.show(None, "Add a cause: the fishbone appears here.")
        close_all(self.causes_box)
        close_all(self.actions_box)
        rows = []
        for cause in causes:
            vote = w.Button(description=f"+1 ({cause['votes']})", layout=w.Layout(width="80px"))
            vote.on_click(lambda _b, i=cause["id"]: self.vote(i))
            root = w.Checkbox(value=bool(cause["is_root"]), description="root cause",
                              indent=False, layout=w.Layout(width="110px"))
            root.observe(lambda ch, i=cause["id"]: self.set_root(i, ch["new"]), "value")
            remove = w.Button(description="remove", layout=w.Layout(width="80px"))
            remove.on_click(lambda _b, i=cause["id"]: self.remove_cause(i))
            label = w.HTML(f"<b>{html.escape(cause['category'])}</b>: "
                           f"{html.escape(cause['text'])}")
            rows.append(w.HBox([vote, root, remove, label]))
        self.causes_box.children = rows
        keep = self.why_cause.value
        self.why_cause.options = [(cause["text"][:60], cause["id"]) for cause in causes]
        ids = [cause["id"] for cause in causes]
        self.why_cause.value = keep if keep in ids else (ids[0] if ids else None)
        self._show_whys()
        actions = []
        for action in c.get("actions") or []:
            status = w.Dropdown(options=ACTION_STATUSES, value=action["status"],
                                layout=w.Layout(width="100px"))
            status.observe(lambda ch, i=action["id"]: self.set_status(i, ch["new"]), "value")
            due = action["due"].isoformat() if action["due"] else "no date"
            actions.append(w.HBox([status, w.HTML(
                f"{html.escape(action['action'])} — {html.escape(action['owner'] or 'nobody')}"
                f", due {due}")]))
        self.actions_box.children = actions

    def _show_whys(self) -> None:
        causes = {cause["id"]: cause for cause in (self._cycle or {}).get("causes") or []}
        cause = causes.get(self.why_cause.value)
        if cause is None:
            self.whys_html.value = "<p>Add a cause, then ask why.</p>"
            return
        items = "".join(f"<li>why? {html.escape(why['text'])}</li>" for why in cause["whys"])
        self.whys_html.value = (f"<p><b>{html.escape(cause['text'])}</b></p>"
                                f"<ol>{items or '<li>(no whys yet)</li>'}</ol>")
