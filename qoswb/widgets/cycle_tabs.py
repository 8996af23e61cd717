"""The Do, Check and Act tabs of the Workshop.

Do records the changes made and their dates (drawn on the chart); Check compares
the stable baseline with the after-phase (run rules through :mod:`qoswb.spc`, a
test that allows for autocorrelation, through :func:`qoswb.pdca.check.check_change`); Act records
the decision, what is standardised, and opens the next cycle or hands the browser
the A3 report as a file.
"""

from __future__ import annotations

import datetime as dt
import html
import warnings

from qoswb.errors import QoswbError
from qoswb.widgets import figures
from qoswb.widgets.explorer import chart_title, kpi_unit
from qoswb.widgets.figures import FigureView
from qoswb.widgets.inputs import download_link, text_box

VERDICT_COLOURS = {"improved": "#1e8449", "worse": "#c0392b", "no evidence yet": "#7f8c8d"}
A3_FORMATS = {"html": ("text/html", "A3 report (HTML)"),
              "md": ("text/markdown", "A3 report (Markdown)")}


class DoTab:
    """Do: the changes made to the process, with the date each took effect."""

    title = "Do"

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.what = w.Text(description="Change", placeholder="what was changed",
                           layout=w.Layout(width="45%"))
        self.changed_on = w.DatePicker(description="From")
        self.notes = w.Text(description="Notes")
        self.add_button = w.Button(description="Record change", button_style="primary")
        self.changes_html = w.HTML()
        self.chart_view = FigureView()
        self.ui = w.VBox([w.HBox([self.what, self.changed_on, self.notes, self.add_button]),
                          self.changes_html, self.chart_view.ui])
        self.add_button.on_click(lambda _b: self.add_change())

    def add_change(self) -> None:
        """Record the typed change and its date."""
        what = self.what.value.strip()
        if not what or not self.ws.require_cycle():
            return
        if self.changed_on.value is None:
            self.ws.saved("", error="Give the date the change took effect.")
            return
        self.ws.store.add_change(self.ws.cycle_id, what, self.changed_on.value,
                                 notes=self.notes.value.strip())
        self.what.value = self.notes.value = ""
        self.ws.reload("change")

    def load(self, cycle: dict | None) -> None:
        """Show the cycle's changes and its chart with the change dates marked."""
        changes = (cycle or {}).get("changes") or []
        items = "".join(f"<li>{c['changed_on']:%Y-%m-%d}: {html.escape(c['what'])}"
                        f"{' — ' + html.escape(c['notes']) if c['notes'] else ''}</li>"
                        for c in changes)
        self.changes_html.value = f"<ul>{items}</ul>" if items else "<p>No change recorded yet.</p>"
        self.ws.show_chart(self.chart_view, cycle)


class CheckTab:
    """Check: the stable baseline before the change against the periods after it — the
    chart's run rules first, then a test that allows for autocorrelation, in plain words
    (:func:`qoswb.pdca.check.check_change`). The baseline's start is automatic (since the
    last confirmed shift) unless the room picks a date."""

    title = "Check"

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        whole = {"description_width": "initial"}  # the default width cuts "Baseline f…"
        self.baseline_from = w.DatePicker(description="Baseline from", style=whole,
                                          tooltip="empty: since the last confirmed shift")
        self.min_effect = w.FloatText(value=0.0, description="Smallest effect", style=whole,
                                      tooltip="worth detecting, in the KPI's unit; 0: the effect seen",
                                      layout=w.Layout(width="260px"))
        self.run_button = w.Button(description="Check the effect", button_style="primary")
        self.verdict_html = w.HTML()
        self.chart_view = FigureView()
        self.ui = w.VBox([w.HBox([self.baseline_from, self.min_effect, self.run_button]),
                          self.verdict_html, self.chart_view.ui])
        self.run_button.on_click(lambda _b: self.run())
        self.result = None

    def run(self):
        """Judge the periods after the latest change against the baseline; store the result."""
        from qoswb.pdca.check import check_change

        if not self.ws.require_cycle():
            return None
        cycle = self.ws.cycle()
        if not cycle["changes"] or not cycle.get("team") or not cycle.get("kpi"):
            self.ws.saved("", error="The check needs the cycle's team and KPI (Plan) "
                                    "and a recorded change (Do).")
            return None
        changed_on = max(c["changed_on"] for c in cycle["changes"])
        try:
            series = self.ws.explorer.source.series(cycle["team"], cycle["kpi"])
            kind = self.ws.explorer.chart_plan(cycle["team"], cycle["kpi"])[0]
            result = check_change(series, changed_on, kind=kind,
                                  baseline_from=self.baseline_from.value,
                                  min_effect=self.min_effect.value or None)
        except QoswbError as exc:
            self.ws.saved("", error=str(exc))
            return None
        self.result = result
        self.ws.store.record_check(self.ws.cycle_id, result)
        self.ws.reload("check")
        return result

    def load(self, cycle: dict | None) -> None:
        """Show the latest stored check: verdict, what was compared and why, and its chart."""
        checks = (cycle or {}).get("checks") or []
        if not checks:
            self.verdict_html.value = "<p>Not checked yet.</p>"
            self.ws.show_chart(self.chart_view, cycle)
            return
        last = checks[-1]
        details = last["details"]
        baseline = details.get("baseline") or {}
        chosen = str(baseline.get("reason", "")).endswith("as chosen") and baseline.get("first")
        self.baseline_from.value = dt.date.fromisoformat(chosen) if chosen else None
        self.verdict_html.value = verdict_html(last["verdict"], last["reading"] or "", details)
        self._show_chart(cycle, details)

    def _show_chart(self, cycle: dict, details: dict) -> None:
        """The chart with the baseline's start and the change marked, limits apart for each."""
        first = (details.get("baseline") or {}).get("first")
        if not first or not cycle.get("changes"):
            self.ws.show_chart(self.chart_view, cycle)
            return
        changed_on = max(c["changed_on"] for c in cycle["changes"])
        key = ("check chart", cycle["team"], cycle["kpi"], changed_on, first)
        try:
            self.chart_view.show(self.ws.memo(key, lambda: figures.svg_bytes(
                self._figure(cycle, changed_on, first))))
        except QoswbError as exc:
            self.chart_view.show(None, str(exc))

    def _figure(self, cycle: dict, changed_on, first):
        from qoswb.pdca.phases import check_chart

        series = self.ws.explorer.source.series(cycle["team"], cycle["kpi"])
        kind = self.ws.explorer.chart_plan(cycle["team"], cycle["kpi"])[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chart = check_chart(series, changed_on, first, kind)
        marks = [(first, "baseline from"), (changed_on, "change")]
        return figures.chart_figure(chart, chart_title(cycle["team"], cycle["kpi"]),
                                    changes=marks, unit=kpi_unit(cycle["kpi"]))


def verdict_html(verdict: str, reading: str, details: dict) -> str:
    """The verdict, its reading, and which periods were compared and why, as escaped HTML.

    >>> verdict_html("worse", "Worse: <b>", {"baseline": {"first": "2024-09-02",
    ...     "last": "2024-11-25", "periods": 13, "reason": "since the shift"}}).count("<b>")
    1
    """
    colour = VERDICT_COLOURS.get(verdict, "black")
    rows = []
    baseline, after = details.get("baseline") or {}, details.get("after") or {}
    if baseline.get("first"):
        rows.append(f"Baseline: {baseline['periods']} periods, {baseline['first']} to "
                    f"{baseline['last']} — {baseline.get('reason', '')}")
    if after.get("first"):
        rows.append(f"After the change: {after['periods']} periods, {after['first']} to "
                    f"{after['last']}")
    if details.get("run_rules"):
        rows.append(f"On the chart: {details['run_rules']}")
    rows += details.get("notes") or []
    items = "".join(f"<li>{html.escape(str(row))}</li>" for row in rows)
    return (f"<p style='font-size:1.2em;color:{colour}'><b>{html.escape(verdict)}</b></p>"
            f"<p>{html.escape(reading)}</p>"
            + (f"<ul style='font-size:smaller'>{items}</ul>" if items else ""))


class ActTab:
    """Act: adopt, adapt or abandon; what is standardised; the next cycle; the A3."""

    title = "Act"

    def __init__(self, workshop):
        import ipywidgets as w

        self.ws = workshop
        self.decision = w.ToggleButtons(options=[("undecided", ""), ("adopt", "adopt"),
                                                 ("adapt", "adapt"), ("abandon", "abandon")],
                                        value="", description="Decision")
        self.standardised = text_box("Standardised", "what becomes the new standard", area=True)
        self.follow_up = text_box("Follow-up", "what to watch, when to look again", area=True)
        self.next_button = w.Button(description="Open the next cycle")
        self.export_button = w.Button(description="Make the A3 report",
                                      tooltip="then download it as HTML or Markdown")
        self.export_html = w.HTML()
        self.export_html.add_class("qoswb-a3-links")
        self.ui = w.VBox([self.decision, self.standardised, self.follow_up,
                          w.HBox([self.next_button, self.export_button]), self.export_html])
        self.decision.observe(self._decided, "value")
        for field in ("standardised", "follow_up"):
            getattr(self, field).observe(workshop.typed(field), "value")
        self.next_button.on_click(lambda _b: self.next_cycle())
        self.export_button.on_click(lambda _b: self.export())

    def _decided(self, change) -> None:
        if self.ws.loading or not self.ws.require_cycle():
            return
        if self.ws.edit("cycle", self.ws.cycle_id, decision=change["new"] or None) is not None:
            self.ws.reload("decision")  # a decision moves the stage on to act

    def next_cycle(self) -> int | None:
        """Open the next cycle on the same team and KPI, linked from this one; returns its id."""
        if not self.ws.require_cycle():
            return None
        cycle = self.ws.cycle()
        new = self.ws.store.new_cycle(f"{cycle['title']} (next)", team=cycle.get("team"),
                                      kpi=cycle.get("kpi"), baseline=cycle.get("baseline"))
        self.ws.store.update_cycle(self.ws.cycle_id, next_cycle_id=new["id"])
        self.ws.open(new["id"])
        return new["id"]

    def a3_files(self) -> dict[str, str]:
        """The open cycle's A3 report as ``{file name: text}``, HTML and Markdown (named as
        ``qoswb a3`` names them); nothing is written on the server."""
        from qoswb.pdca.cli import default_path
        from qoswb.pdca.export import to_html, to_markdown

        cycle = self.ws.cycle()
        try:
            chart = self.ws.chart_figure(cycle) if cycle.get("team") and cycle.get("kpi") else None
        except QoswbError:
            chart = None  # the report says what it can without the chart
        return {default_path(cycle["title"], "html").name: to_html(cycle, chart=chart),
                default_path(cycle["title"], "md").name: to_markdown(cycle, chart=chart)}

    def export(self) -> dict[str, str] | None:
        """Make the A3 report and offer it as two downloads (the browser saves the file,
        wherever the server is); returns the files as :meth:`a3_files`."""
        if not self.ws.require_cycle(editing=False):
            return None
        files = self.a3_files()
        links = [download_link(name, text, *A3_FORMATS[name.rsplit(".", 1)[1]])
                 for name, text in files.items()]
        self.export_html.value = "<p>Download: " + " ".join(links) + "</p>"
        return files

    def load(self, cycle: dict | None) -> None:
        """Fill the tab from a cycle."""
        c = cycle or {}
        self.decision.value = c.get("decision") or ""
        self.standardised.value = c.get("standardised") or ""
        self.follow_up.value = c.get("follow_up") or ""
        self.export_html.value = ""
