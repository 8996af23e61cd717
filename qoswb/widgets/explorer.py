"""The Explorer: pick a team, a KPI and periods; read the control chart; open a signal.

The logic lives in plain methods (``series``, ``chart``, ``signals``, ``reading``,
``drilldown``) that the widgets call and tests call directly; the widgets only
hold the choices and show the results (SVG images, sharp at any size, the same in
JupyterLab, Voila and a headless test). Signals are named in words (the rule's
description, not its id).

>>> from qoswb.widgets import Explorer
>>> app = Explorer()                       # the demo data          # doctest: +SKIP
>>> app.team.value = "Returns"             # the chart redraws      # doctest: +SKIP
>>> app.signals().head()                                           # doctest: +SKIP
"""

from __future__ import annotations

import html
import re
import warnings

import numpy as np
import pandas as pd

from qoswb import grains
from qoswb.errors import QoswbError
from qoswb.metrics.registry import kpi_label, kpi_unit  # (the workshop's and plan's too)
from qoswb.widgets import figures
from qoswb.widgets.source import DRILL_BY, Source

CHART_KINDS = ("auto", "i", "run", "p", "pp", "c", "u", "ewma", "cusum")
GRAINS = tuple((g.name, g.freq) for g in grains.GRAINS.values())  # the grain menu: words, codes
DRILL_ROWS = 8  # rows of the drill-down table shown under the Pareto


def chart_title(team: str, kpi: str) -> str:
    """The title of a team × KPI chart, in readers' words.

    >>> chart_title("Returns", "first_response_median")
    'First response median — Returns'
    """
    return f"{kpi_label(kpi)} — {team}"


def _kpi_options(kpis) -> list[tuple[str, str]]:
    return [(kpi_label(k), k) for k in kpis]


def rule_words(rules: str) -> str:
    """A signal's rule ids (as a chart's frame lists them) in plain words.

    >>> rule_words("we1,we4")
    'a point beyond the control limits; 8 points in a row on one side of the centre'
    """
    from qoswb.spc.rules import RULES

    ids = [r for r in re.split(r"[,;\s]+", str(rules or "")) if r]
    words = dict.fromkeys(RULES[r].description if r in RULES else r for r in ids)
    return "; ".join(words)


def kind_words(kind: str, dispersion: float) -> str:
    """Why a series got a widened chart, in words; "" when its chart is the ordinary one.

    >>> kind_words("pp", 3.2)
    'The proportions vary more from period to period than chance alone explains (about 3.2 times), so the limits allow for it (Laney p′ chart).'
    >>> kind_words("p", 0.9)
    ''
    """
    if not np.isfinite(dispersion):
        return ""
    if kind == "pp":
        return ("The proportions vary more from period to period than chance alone explains "
                f"(about {dispersion:.1f} times), so the limits allow for it (Laney p′ chart).")
    if kind == "i":
        return ("The counts vary more from period to period than chance alone explains "
                f"(about {dispersion:.1f} times), so their limits come from their own "
                "variation (XmR chart).")
    return ""


def _direction_word(direction: int, polarity) -> str:
    if not direction:
        return "signal"
    if not polarity:
        return "up" if direction > 0 else "down"
    return "improvement" if direction * polarity > 0 else "deterioration"


class Explorer:
    """Control charts of a KPI table with their signals and what lies behind them.

    Parameters
    ----------
    source
        Demo data (default), interactions (and ``surveys``), or a KPI table; see
        :class:`qoswb.widgets.source.Source`.
    freq : str
        Period of the KPI table when it is computed here ("D", "W", "M", "Q").
    team, kpi : str, optional
        The first selection.

    The widgets: ``team``, ``kpi``, ``grain`` (the period length, when the cases are
    there to count again), ``periods`` (range), ``kind`` (chart kind or "auto"), ``signal_list``, ``drill_by``; the outputs ``chart_view`` and
    ``pareto_view`` (:class:`~qoswb.widgets.figures.FigureView`), ``reading_html``,
    ``drill_html``; the whole app is ``ui``.
    """

    def __init__(self, source=None, surveys=None, *, freq: str = "W", team=None, kpi=None):
        import ipywidgets as w

        self.source = source if isinstance(source, Source) else Source(source, surveys, freq=freq)
        teams = self.source.teams()
        team = team if team in teams else teams[0]
        kpis = self.source.kpis(team)
        periods = self.source.periods()
        self._holding = False
        self._cache: dict = {}
        self._plans: dict = {}
        self.last_chart, self.notes = None, []
        self.team = w.Dropdown(options=teams, value=team, description="Team")
        self.kpi = w.Dropdown(options=_kpi_options(kpis), value=kpi if kpi in kpis else kpis[0],
                              description="KPI")
        self.periods = w.SelectionRangeSlider(
            options=[(f"{p:%Y-%m-%d}", p) for p in periods], index=(0, len(periods) - 1),
            description="Periods", continuous_update=False, layout=w.Layout(width="70%"),
            readout=False)  # its readout box cuts "2024-01-01–2025-06-0…": said beside it
        self.periods_html = w.HTML()
        self.kind = w.Dropdown(options=CHART_KINDS, value="auto", description="Chart")
        self.grain = w.Dropdown(options=GRAINS, value=self.source.grain, description="Grain",
                                disabled=self.source.grain is None,
                                layout=w.Layout(width="200px"))
        self.signal_list = w.Select(options=[], description="Signals", rows=6,
                                    layout=w.Layout(width="45%"))
        drill = DRILL_BY if self.source.interactions is not None else ()
        self.drill_by = w.ToggleButtons(options=drill, description="Behind it",
                                        value=drill[0] if drill else None)
        self.chart_view = figures.FigureView(css_class="qoswb-explorer-chart")
        self.reading_html = w.HTML()
        self.pareto_view = figures.FigureView(width="100%")
        self.pareto_view.ui.layout.width = "60%"
        self.drill_html = w.HTML()
        self.ui = w.VBox([
            w.HBox([self.team, self.kpi, self.grain, self.kind]),
            w.HBox([self.periods, self.periods_html]), self.chart_view.ui,
            self.reading_html, w.HBox([self.signal_list, self.drill_by]),
            w.HBox([self.pareto_view.ui, self.drill_html])])
        self.team.observe(self._team_changed, "value")
        self.grain.observe(self._grain_changed, "value")
        for widget in (self.kpi, self.periods, self.kind):
            widget.observe(lambda _change: self.redraw(), "value")
        self.signal_list.observe(lambda _change: self.show_signal(), "value")
        self.drill_by.observe(lambda _change: self.show_signal(), "value")
        self.redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.ui)

    # ---- the logic ---------------------------------------------------------------
    def selection(self) -> dict:
        """The current choices: team, kpi, grain (None for a KPI table handed in), first
        and last period, chart kind."""
        start, end = self.periods.value
        return {"team": self.team.value, "kpi": self.kpi.value, "grain": self.source.grain,
                "start": start, "end": end, "kind": self.kind.value}

    def series(self) -> pd.DataFrame:
        """The selected team × KPI series of the KPI table, cut to the selected periods."""
        s = self.selection()
        return self.source.series(s["team"], s["kpi"], s["start"], s["end"])

    def chart(self):
        """The ControlChart of the selection (cached): with kind "auto" the kind
        :func:`qoswb.metrics.chart_kinds` chooses (p′ when over-dispersed), else that kind."""
        s = self.selection()
        key = tuple(s.values())
        if key not in self._cache:
            series = self.series()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                kind = (self.chart_plan(s["team"], s["kpi"])[0] if s["kind"] == "auto"
                        else s["kind"])
                from qoswb.pdca.phases import kpi_chart

                chart = kpi_chart(series, kind)
            words = self._plans.get((s["team"], s["kpi"]), (None, None, ""))[2]
            notes = [words] if words and s["kind"] == "auto" else []
            self._cache[key] = (chart, notes + [str(c.message) for c in caught])
            if len(self._cache) > 64:  # keep memory bounded in a long workshop
                self._cache.pop(next(iter(self._cache)))
        chart, self.notes = self._cache[key]
        return chart

    def chart_plan(self, team: str, kpi: str) -> tuple[str, str]:
        """The chart kind :func:`qoswb.metrics.charts` gives this team × KPI over all its
        periods (p′ when over-dispersed…), and why, from :func:`qoswb.metrics.chart_kinds`
        (the same decision, without drawing every chart). Decided for every team of the
        KPI in one vectorised call on its first use, then cached: a team or range change
        does not pay for it again."""
        if (team, kpi) not in self._plans:
            from qoswb.metrics import chart_kinds

            rows = self.source.table[(self.source.table["kpi"] == kpi).to_numpy()]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the chart of the selection warns, not this
                kinds = chart_kinds(rows)
            for row in kinds.itertuples():
                self._plans[(row.team, kpi)] = (str(row.chart), str(row.reason or ""),
                                                kind_words(str(row.chart), float(row.dispersion)))
            self._plans.setdefault((team, kpi), ("none", "no data for this team and KPI", ""))
        kind, reason, _words = self._plans[(team, kpi)]
        if kind == "none":
            raise QoswbError(f"no chart for this series: {reason}")
        return kind, reason

    def signals(self) -> pd.DataFrame:
        """The signals of the chart: ``period``, ``value``, ``rules`` (ids), ``why`` (the
        rules in words), ``meaning`` (improvement / deterioration, from the KPI's
        polarity), latest first."""
        chart = self.chart()
        frame = chart.frame
        hits = frame.loc[frame["signal"].to_numpy(bool)]
        meaning = [_direction_word(int(d), chart.polarity) for d in hits["direction"]]
        out = pd.DataFrame({"period": pd.to_datetime(hits["x"]).to_numpy(),
                            "value": hits["y"].to_numpy(), "rules": hits["rules"].to_numpy(),
                            "why": [rule_words(r) for r in hits["rules"]], "meaning": meaning})
        return out.iloc[::-1].reset_index(drop=True)

    def reading(self) -> str:
        """A plain-language reading of the chart: what it says and its latest signal."""
        s = self.selection()
        chart = self.chart()
        summary = chart.summary().iloc[-1]
        signals = self.signals()
        text = (f"{kpi_label(s['kpi'])} for {s['team']} ({chart.kind} chart, centre "
                f"{summary['centre']:.3g}): {summary['verdict']}.")
        if len(signals):
            latest = signals.iloc[0]
            text += (f" {len(signals)} signal(s); the latest, {latest['period']:%Y-%m-%d}, "
                     f"reads as {latest['meaning']}: {latest['why']}.")
        else:
            text += " No signal: the variation is what this process usually shows."
        return text

    def drilldown(self, period=None, by: str | None = None) -> pd.DataFrame:
        """What lies behind a signal's period (default: the one selected): its cases
        counted by ``by`` against the other periods of the selection."""
        period = self.signal_list.value if period is None else period
        by = by or self.drill_by.value
        s = self.selection()
        baseline = [p for p in self.series()["period"] if p != pd.Timestamp(period)]
        return self.source.drilldown(s["team"], period, by, baseline=baseline)

    def show(self, team: str, kpi: str, grain: str | None = None) -> bool:
        """Select ``team``, ``kpi`` and (when the cases are there to count again) ``grain``,
        with one redraw; False when the data have no such series (team and KPI stay)."""
        regrain = (grain is not None and self.source.grain is not None
                   and grain != self.source.grain)
        source = self.source.at_grain(grain) if regrain else self.source
        if team not in self.team.options or kpi not in source.kpis(team):
            return False
        if (team, kpi) == (self.team.value, self.kpi.value) and not regrain:
            return True
        self._holding = True
        try:
            if regrain:
                self._count_by(source)
            self.team.value = team
            self.kpi.options = _kpi_options(self.source.kpis(team))
            self.kpi.value = kpi
        finally:
            self._holding = False
        self.redraw()
        return True

    def _count_by(self, source: Source) -> None:
        """Show ``source`` (the cases counted by another grain): its periods, charts anew."""
        self.source = source
        self._cache.clear()
        self._plans.clear()
        self.grain.value = self.source.grain
        periods = self.source.periods()
        self.periods.options = [(f"{p:%Y-%m-%d}", p) for p in periods]
        self.periods.index = (0, len(periods) - 1)

    # ---- the widgets ---------------------------------------------------------------
    def _grain_changed(self, change) -> None:
        if not self._holding and not self.show(self.team.value, self.kpi.value, change["new"]):
            self.grain.value = self.source.grain  # that KPI is not counted at that grain
    def _team_changed(self, _change):
        if self._holding:  # show() sets team and KPI together
            return
        kpis = self.source.kpis(self.team.value)
        self._holding = True  # one redraw for the team change, not one per option update
        try:
            current = self.kpi.value
            self.kpi.options = _kpi_options(kpis)
            self.kpi.value = current if current in kpis else kpis[0]
        finally:
            self._holding = False
        self.redraw()

    def redraw(self) -> None:
        """Recompute the chart of the current selection and show it, its reading and signals."""
        if self._holding:
            return
        s = self.selection()
        self.periods_html.value = f"{s['start']:%Y-%m-%d} to {s['end']:%Y-%m-%d}"
        try:
            chart = self.chart()
            signals = self.signals()
        except QoswbError as exc:  # bad choice of kind, too few points: say it, don't crash
            self.last_chart = None
            self.chart_view.show(None)
            self.reading_html.value = f"<p><b>No chart:</b> {html.escape(str(exc))}</p>"
            self.signal_list.options = []
            return
        self.last_chart = chart
        self.chart_view.show(figures.chart_svg(chart, chart_title(s["team"], s["kpi"]), unit=kpi_unit(s["kpi"])))
        notes = "".join(f"<br><small>{html.escape(n)}</small>" for n in self.notes)
        self.reading_html.value = f"<p>{html.escape(self.reading())}{notes}</p>"
        self.signal_list.options = [
            (f"{row.period:%Y-%m-%d} {row.meaning}: {row.why}", row.period)
            for row in signals.itertuples()]
        self.signal_list.value = None
        self.show_signal()

    def show_signal(self) -> None:
        """Show the Pareto of the selected signal's period against the baseline."""
        period, by = self.signal_list.value, self.drill_by.value
        if period is None or by is None:
            self.pareto_view.show(None)
            self.drill_html.value = ("<p>Pick a signal to see what lies behind it.</p>"
                                     if by else "<p>(no cases to drill into)</p>")
            return
        try:
            table = self.drilldown(period, by)
        except QoswbError as exc:
            self.pareto_view.show(None)
            self.drill_html.value = f"<p>{html.escape(str(exc))}</p>"
            return
        title = f"{self.team.value}, {pd.Timestamp(period):%Y-%m-%d}, by {by}"
        self.pareto_view.show(figures.pareto_svg(table, by, title) if len(table) else None,
                              "" if len(table) else "No cases in this period.")
        rows = "".join(
            f"<tr><td>{html.escape(str(r[0]))}</td><td>{int(r[1])}</td><td>{r[3]:.1f}</td>"
            f"<td>{r[4]:+.1f}</td></tr>" for r in table.head(DRILL_ROWS).itertuples(index=False))
        self.drill_html.value = (f"<table><tr><th>{html.escape(by)}</th><th>cases</th>"
                                 f"<th>at baseline share</th><th>excess</th></tr>{rows}</table>")
