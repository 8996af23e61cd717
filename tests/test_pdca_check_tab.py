"""The Check tab of the Workshop, headless: the stable baseline, the verdict in words, and a
baseline the room moves (40 weeks of demo data with a known step in Returns' first response)."""

import datetime as dt
import re

import pytest

pytest.importorskip("ipywidgets")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SPC checks on short series


@pytest.fixture(scope="module")
def demo():
    from qoswb.data.synthetic import generate

    return generate(seed=11, weeks=40, teams=["Returns", "Accounts"])


@pytest.fixture
def app(demo, tmp_path):
    from qoswb.widgets import Workshop
    from qoswb.widgets.source import Source

    app = Workshop(Source(demo), store=tmp_path / "pdca.sqlite", author="Ana")
    app.explorer.team.value = "Returns"
    app.explorer.kpi.value = "first_response_median"
    return app


def test_the_check_tab_compares_the_stable_baseline_and_lets_the_room_move_it(app, demo):
    step = demo.special_causes.query("kind == 'step'").iloc[0]  # first response x1.7
    cid = app.new_cycle("Returns responses")
    app.do.what.value = "New rota"
    app.do.changed_on.value = step["start"].date()
    app.do.add_button.click()
    app.check.run_button.click()
    check = app.cycle()["checks"][-1]
    assert check["verdict"] == "worse"  # lower is better: the x1.7 step is a deterioration
    baseline = check["details"]["baseline"]
    assert (baseline["first"], baseline["periods"]) == ("2024-01-01", 18)
    shown = app.check.verdict_html.value
    assert "worse" in shown and "Baseline: 18 periods, 2024-01-01 to 2024-04-29" in shown
    # the p-value in words, the number beside them, never bare or as a symbol
    assert re.search(r"very strong evidence of a change \(p = 0\.001 or less\)", shown)
    assert "≤" not in shown and not re.search(r"(?<!\()p [=<]", shown)
    assert "On the chart: " in shown and "(deteriorating)" in shown
    assert b"<svg" in bytes(app.check.chart_view.image.value) and app.check.chart_view.image.layout.display is None
    assert app.check.baseline_from.value is None  # automatic

    app.check.baseline_from.value = dt.date(2024, 3, 4)  # the room moves it: 9 weeks left
    app.check.run_button.click()
    moved = app.cycle()["checks"][-1]
    assert moved["verdict"] == "no evidence yet"
    assert moved["details"]["baseline"]["reason"] == "the periods from 2024-03-04, as chosen"
    assert "the baseline has 9 weeks, the check needs 12" in app.check.verdict_html.value
    app.open(cid)  # a reload keeps the moved baseline
    assert app.check.baseline_from.value == dt.date(2024, 3, 4)
