"""The Explorer, headless: set widget values, check the chart data, signals and drill-down."""

import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError

pytest.importorskip("ipywidgets")
from test_widgets_source import demo, source  # noqa: E402,F401  (shared fixtures)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SPC checks on short series


@pytest.fixture
def app(source):
    from qoswb.widgets import Explorer

    return Explorer(source, team="Accounts", kpi="volume")


def test_changing_team_and_kpi_redraws_the_chart_of_that_series(app, source):
    first_image = bytes(app.chart_view.image.value)
    assert first_image.startswith(b"<?xml") and b"<svg" in first_image  # sharp at any size
    app.team.value = "Returns"
    app.kpi.value = "first_response_median"
    chart = app.chart()
    series = source.table.query("team == 'Returns' and kpi == 'first_response_median'")
    assert chart.frame["y"].to_numpy() == pytest.approx(series["value"].to_numpy())
    assert app.chart_view.image.value != first_image
    assert app.reading_html.value.startswith("<p>First response median for Returns")


def test_the_injected_step_shows_as_deterioration_signals(app, demo):
    step = demo.special_causes.query("kind == 'step'").iloc[0]
    app.team.value, app.kpi.value = "Returns", "first_response_median"
    signals = app.signals()
    after = signals[signals["period"] >= step["start"]]
    assert len(after) >= 3 and set(after["meaning"]) == {"deterioration"}
    assert [value for _, value in app.signal_list.options] == list(signals["period"])
    assert "deterioration" in app.reading()


def test_signals_are_named_in_words_not_rule_ids(app):
    from qoswb.spc.rules import RULES

    app.team.value, app.kpi.value = "Returns", "first_response_median"
    signals = app.signals()
    ids = {r for rules in signals["rules"] for r in rules.replace(";", ",").split(",") if r}
    assert ids and ids <= set(RULES)
    shown = [label for label, _ in app.signal_list.options] + [app.reading()]
    for label in shown:
        words = [w.strip("():;,.") for w in label.split()]
        assert not ids & set(words), label
    latest = signals.iloc[0]
    assert all(RULES[r].description in latest["why"] for r in ids & set(
        latest["rules"].replace(";", ",").split(",")))
    assert latest["why"] in app.reading()


def test_show_selects_team_and_kpi_in_one_redraw_and_refuses_unknown_ones(app):
    calls = []
    original = app.chart_view.show
    app.chart_view.show = lambda *a: (calls.append(1), original(*a))  # charts drawn
    assert app.show("Returns", "first_response_median")
    assert (app.team.value, app.kpi.value, len(calls)) == ("Returns", "first_response_median", 1)
    assert app.chart().frame["y"].notna().any()
    assert not app.show("Nobody", "volume") and not app.show("Returns", "no_such_kpi")
    assert (app.team.value, app.kpi.value, len(calls)) == ("Returns", "first_response_median", 1)


def test_team_change_keeps_the_kpi_and_redraws_once(app):
    app.kpi.value = "sla_response"
    calls = []
    original = app.redraw
    app.redraw = lambda: (calls.append(1), original())
    app.team.value = "Returns"
    assert app.kpi.value == "sla_response" and len(calls) == 1


def test_period_range_and_chart_kind_change_the_chart(app, source):
    periods = source.periods()
    app.periods.value = (periods[2], periods[11])
    assert len(app.series()) == 10 and len(app.chart().frame) == 10
    assert app.periods_html.value == f"{periods[2]:%Y-%m-%d} to {periods[11]:%Y-%m-%d}"
    app.kind.value = "run"
    assert app.chart().kind == "run"
    app.kind.value = "p"  # no numerator/denominator for volume: said, not raised
    assert app.last_chart is None and "No chart" in app.reading_html.value
    assert app.signal_list.options == ()
    assert not app.chart_view.shown  # no stale or broken image under the words


def test_a_signal_opens_its_drilldown_that_adds_up_to_the_period_volume(app, source, demo):
    app.team.value, app.kpi.value = "Returns", "first_response_median"
    assert not app.pareto_view.shown  # no signal picked: no empty image, words instead
    assert "Pick a signal" in app.drill_html.value
    period = app.signal_list.options[0][1]
    app.signal_list.value = period
    assert app.pareto_view.shown and bytes(app.pareto_view.image.value).startswith(b"<?xml")
    assert "<table>" in app.drill_html.value
    table = app.drilldown(period, "category")
    volume = source.table.query("team == 'Returns' and kpi == 'volume' and period == @period")
    assert table["count"].sum() == volume["value"].iloc[0]
    assert table["count"].is_monotonic_decreasing
    assert table["expected"].sum() == pytest.approx(table["count"].sum())
    # the baseline shares are the other periods' shares, computed here by hand
    it = demo.interactions[demo.interactions["team"] == "Returns"]
    week = it["opened_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    base = it.loc[(week != period).to_numpy(), "category"].value_counts(normalize=True)
    got = table.set_index("category")["baseline_share"]
    assert got.to_dict() == pytest.approx(base.reindex(got.index).fillna(0).to_dict())


def test_drilldown_by_comment_theme_counts_tagged_comments(app, demo):
    from qoswb.metrics import tag_themes

    app.team.value, app.kpi.value = "Returns", "csat"
    period = app.source.periods()[5]
    table = app.drilldown(period, "theme")
    tags = tag_themes(demo.surveys).merge(demo.interactions[["id", "team", "opened_at"]],
                                          on="id")
    week = tags["opened_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    mine = tags[(tags["team"] == "Returns") & (week == period).to_numpy()]
    expected = mine["theme"].value_counts()
    counts = table.set_index("theme")["count"].astype(int)
    assert counts[counts > 0].to_dict() == expected.to_dict()  # (themes only in the baseline: 0)
    app.drill_by.value = "channel"
    app.signal_list.value = None
    assert "Pick a signal" in app.drill_html.value


def test_a_kpi_table_alone_charts_but_cannot_drill(source):
    from qoswb.widgets import Explorer

    app = Explorer(source.table, team="Returns", kpi="sla_response")
    assert app.last_chart is not None and app.drill_by.options == ()
    with pytest.raises(DataError, match="needs the cases"):
        app.drilldown(source.periods()[3], "category")


def test_bad_sources_and_choices_are_named(source):
    from qoswb.widgets import Explorer

    with pytest.raises(ParameterError, match="source=list"):
        Explorer([1, 2, 3])
    with pytest.raises(DataError, match="interactions need opened_at"):
        Explorer(pd.DataFrame({"x": [1]}))
    with pytest.raises(ParameterError, match="team='Nobody'"):
        source.series("Nobody", "volume")
    with pytest.raises(ParameterError, match="by='weather'"):
        source.drilldown("Returns", source.periods()[0], "weather")


def test_auto_kind_is_the_kind_charts_gives_each_series(app, source):
    import warnings

    from qoswb.metrics import charts

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = charts(source.table).summary
    for row in summary.itertuples():
        if row.chart == "none":
            continue
        assert app.chart_plan(row.team, row.kpi) == (row.chart, row.reason)
    assert {"p", "pp", "i"} <= set(summary["chart"])  # the proportions' and counts' moves are exercised
    over = summary[summary["chart"] == "pp"].iloc[0]
    app.team.value, app.kpi.value = over["team"], over["kpi"]
    assert app.chart().kind == "pp"
    note = app.notes[0]  # why, in words: no test statistic, no p-value
    assert note.startswith("The proportions vary more") and "Laney" in note
    assert "p =" not in note and "p <" not in note and "χ²" not in note
    assert f"{over['dispersion']:.1f} times" in note
