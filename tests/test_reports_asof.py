"""A period's teams charted at once (qoswb.reports.asof) give each team the rows it gets charted alone."""

import shutil

import pandas as pd
import pytest

from qoswb.reports import asof, views
from qoswb.reports import cache as rc
from qoswb.verdicts import Assurance, Variation

KPIS = ["sla_response", "first_response_median", "resolution_median", "fcr", "reopen_rate", "csat", "volume"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("asof") / "cache"
    shutil.copytree(rc.demo_cache(), folder)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("end, kpis, targets", [
    ("2025-06-01", KPIS, {"sla_response": 0.9, "fcr": 0.7}),  # late survey answers left out (June's)
    ("2025-03-01", None, {}),                                  # every KPI, no targets
    ("2024-10-01", ["csat", "volume"], None),
])
def test_every_team_gets_the_rows_it_gets_charted_alone(cache, end, kpis, targets):
    teams = rc.meta(cache)["teams"]
    assert asof.prepare(cache, end, teams, kpis, targets) == sorted(teams)
    for team in teams:
        stored = asof.stored(cache, team, end, kpis, targets)
        alone = views.charts_of(cache, [team], end, kpis=kpis, targets=targets)
        for got, expected in zip(stored, alone):
            pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
        matrix = stored[1]
        assert all(isinstance(v, Variation) for v in matrix["variation"])
        assert all(isinstance(a, Assurance) for a in matrix["assurance"])


def test_only_what_was_prepared_is_read(cache):
    teams = rc.meta(cache)["teams"]
    asof.prepare(cache, "2025-05-01", teams[:3], KPIS, {"fcr": 0.7})
    assert asof.stored(cache, teams[0], "2025-05-01", KPIS, {"fcr": 0.7}) is not None
    assert asof.stored(cache, teams[5], "2025-05-01", KPIS, {"fcr": 0.7}) is None  # not among them
    assert asof.stored(cache, teams[0], "2025-05-01", KPIS, {"fcr": 0.8}) is None  # other targets
    assert asof.stored(cache, teams[0], "2025-05-01", KPIS[:3], {"fcr": 0.7}) is None  # other KPIs
    assert asof.stored(cache, teams[0], "2025-04-01", KPIS, {"fcr": 0.7}) is None  # another period


def test_an_unfinished_store_is_never_read(cache):
    teams = rc.meta(cache)["teams"]
    asof.prepare(cache, "2025-02-01", teams[:3], KPIS, None)
    about = cache / asof.FOLDER / f"{asof.key('2025-02-01', KPIS, None)}.json"
    about.write_text('{"teams": ["' + teams[0])  # a write cut short
    assert asof.stored(cache, teams[0], "2025-02-01", KPIS, None) is None


def test_the_team_view_reads_what_was_prepared(cache, monkeypatch):
    team = rc.meta(cache)["teams"][0]
    asof.prepare(cache, "2025-06-01", [team, "x", "y"], KPIS, {"fcr": 0.7})
    monkeypatch.setattr(views, "charts_of", lambda *a, **k: pytest.fail("charted again"))
    view = views.team_view(cache, team, "2025-05-01", "2025-06-01", kpis=KPIS, targets={"fcr": 0.7})
    assert set(view.charts["team"]) == {team} and not view.matrix.empty


@pytest.mark.slow
@pytest.mark.parametrize("start, end, grain, kpis, sla", [
    ("2025-05-01", "2025-06-01", "month", KPIS, None),
    ("2025-01-01", "2025-04-01", "quarter", ["sla_response", "backlog", "csat"], None),  # a stock among them
    ("2025-04-01", "2025-05-01", "month", ["sla_response", "sla_resolution"],
     {"first_response": 240, "resolution": {"Low": 4000, "Medium": 2000, "High": 900, "Critical": 300}}),
])
def test_every_team_gets_the_figures_it_gets_alone(cache, start, end, grain, kpis, sla):
    """The period figures prepared for all teams at once (one KPI computation) are, team by team,
    those of the team's report computed alone."""
    from qoswb.reports.figures import period_figures

    teams = rc.meta(cache)["teams"]
    asof.prepare(cache, end, teams, kpis, None, start, grain, sla)
    for team in teams:
        matrix = views.charts_of(cache, [team], end, kpis=kpis)[1]
        prepared = period_figures(cache, team, start, end, grain, matrix, sla=sla)
        assert asof.stored_figures(cache, team, start, end, grain, list(matrix["kpi"]), sla) is not None
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(asof, "stored_figures", lambda *a, **k: None)
            alone = period_figures(cache, team, start, end, grain, matrix, sla=sla)
        pd.testing.assert_frame_equal(prepared, alone)
        assert prepared["value"].notna().any()


def test_figures_are_read_only_for_the_period_grain_sla_and_kpis_prepared(cache):
    teams = rc.meta(cache)["teams"]
    asof.prepare(cache, "2025-05-01", teams[:3], ["fcr", "csat"], None, "2025-04-01", "month", None)
    assert asof.stored_figures(cache, teams[0], "2025-04-01", "2025-05-01", "month", ["fcr"]) is not None
    assert asof.stored_figures(cache, teams[5], "2025-04-01", "2025-05-01", "month", ["fcr"]) is None
    assert asof.stored_figures(cache, teams[0], "2025-04-01", "2025-05-01", "month", ["volume"]) is None
    assert asof.stored_figures(cache, teams[0], "2025-04-01", "2025-05-01", "week", ["fcr"]) is None
    assert asof.stored_figures(cache, teams[0], "2025-04-01", "2025-05-01", "month", ["fcr"],
                               {"first_response": 60}) is None
