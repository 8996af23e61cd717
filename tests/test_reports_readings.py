"""One reading per team × KPI × period: the portfolio's lists, its matrix, each team's report and the
index headline say the same thing (issue 12), on the demo data."""

import re

import pytest

from qoswb.reports import cache as rc
from qoswb.reports import views
from qoswb.verdicts import Variation

KPIS = ["sla_response", "first_response_median", "resolution_median", "fcr", "reopen_rate", "csat", "volume"]
TARGETS = {"sla_response": 0.9, "fcr": 0.7}
PERIODS = [("2025-05-01", "2025-06-01"), ("2025-02-01", "2025-03-01")]


@pytest.fixture(scope="module")
def demo():
    return rc.demo_cache()


def _counts(headline: str) -> dict:
    status = headline.split(" · ")[0]
    return {} if status == "common cause only" else {
        words: int(n) for n, words in re.findall(r"(\d+) KPIs? ([a-z ]+?)(?:,|$)", status)}


@pytest.mark.slow
@pytest.mark.parametrize("start, end", PERIODS)
def test_lists_matrix_team_reports_and_headlines_agree_for_every_team_and_kpi(demo, start, end):
    portfolio = views.portfolio_view(demo, start, end, kpis=KPIS, targets=TARGETS)
    now = views.signals(portfolio)
    special = portfolio.matrix[[v.is_special for v in portfolio.matrix["variation"]]]
    assert set(zip(now["team"], now["kpi"])) == set(zip(special["team"], special["kpi"]))
    assert len(now) == len(now[["team", "kpi"]].drop_duplicates())  # one entry per series, not per week
    earlier = views.earlier_signals(portfolio)
    assert all(text.startswith("Earlier, ") for text in earlier["reading"])
    for team in portfolio.teams:
        view = views.team_view(demo, team, start, end, kpis=KPIS, targets=TARGETS)
        mine = view.matrix.set_index("kpi")
        theirs = portfolio.matrix[portfolio.matrix["team"] == team].set_index("kpi")
        assert mine.index.tolist() == theirs.index.tolist(), team
        assert mine["variation"].tolist() == theirs["variation"].tolist(), team
        assert mine["assurance"].tolist() == theirs["assurance"].tolist(), team
        # the team report's sentences are the portfolio's, and each ends with the matrix's verdict
        shown = dict(views.readings(view))
        assert shown == dict(portfolio.readings.loc[portfolio.readings["team"] == team, ["kpi", "now"]].values)
        for kpi, verdict in mine["variation"].items():
            assert shown[kpi].endswith(f"— {verdict}.") == verdict.is_special, (team, kpi, shown[kpi])
        # the index's headline counts the same special causes
        expected = {views.headline_words(v): int((mine["variation"] == v).sum()) for v in Variation if v.is_special}
        assert _counts(views.headline(view.matrix)) == {k: n for k, n in expected.items() if n}, team
        mine_earlier = views.earlier_signals(view)
        theirs_earlier = earlier[earlier["team"] == team]
        assert mine_earlier["reading"].tolist() == theirs_earlier["reading"].tolist(), team


NHS_TEAMS = ["RRK type 1", "R1H type 1", "RW6 type 1", "R0A type 1", "RAL type 1", "RWE type 1", "RDU type 1",
             "RQM type 1"]  # the departments of parameters/nhs_ae.yaml


@pytest.mark.slow
def test_the_nhs_ae_batch_says_the_same_in_its_lists_matrix_and_department_reports(tmp_path):
    cache = rc.build({"source": "dataset:nhs_ae_attendances", "kind": "aggregates"}, "month", tmp_path)
    targets = {"proportion": 0.95}  # the 4-hour standard, on the aggregates' own KPI
    portfolio = views.portfolio_view(cache, "2019-03-01", "2019-04-01", teams=NHS_TEAMS, targets=targets)
    assert sorted(portfolio.readings["team"]) == sorted(NHS_TEAMS)
    special = portfolio.matrix[[v.is_special for v in portfolio.matrix["variation"]]]
    now = views.signals(portfolio)
    assert set(zip(now["team"], now["kpi"])) == set(zip(special["team"], special["kpi"])) != set()
    columns = ["kpi", "variation", "assurance", "now", "earlier"]
    for team in NHS_TEAMS:
        view = views.team_view(cache, team, "2019-03-01", "2019-04-01", targets=targets)
        theirs = portfolio.readings[portfolio.readings["team"] == team]
        assert view.readings[columns].reset_index(drop=True).equals(theirs[columns].reset_index(drop=True)), team
