"""Reports work with only id, team and opened_at (#11 item 1), and count each team's own rows (item 8).

Each optional interactions column is removed in turn, then all of them (and the surveys): every part
of both reports still comes out, and what needs an absent column is replaced by a line naming it.
"""

import json
import warnings

import pytest

from qoswb.reports import cache as rc
from qoswb.reports import quality, views
from qoswb.reports.testing import OPTIONAL, write_exports

KPIS = ["sla_response", "first_response_median", "resolution_median", "fcr", "reopen_rate", "csat",
        "volume", "backlog"]
FEB = ("2024-02-01", "2024-03-01")
# what the canonical schema says each column gives (DESIGN.md's KPI table), by report label
NEEDS = {"first_response_at": ["SLA attainment (first response)", "First response median"],
         "resolved_at": ["Resolution time median", "Backlog", "First-contact resolution", "Reopen rate"],
         "contacts": ["First-contact resolution"], "reopened": ["Reopen rate"],
         "sla_minutes": ["SLA attainment (first response)"]}


def build(folder, **options):
    return rc.build(write_exports(folder, **options), "month", folder / "out")


def every_part(cache):
    """Everything both templates ask of the views, for the first team; returns the team view."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short series: SPC advice, not an error
        team = rc.meta(cache)["teams"][0]
        view = views.team_view(cache, team, *FEB, kpis=KPIS, targets={"sla_response": 0.9})
        views.headline(view.matrix)
        views.readings(view)
        view.behind = views.behind_worst(view)
        view.said = views.comments(view)
        view.quality = quality.load_lines(quality.data_quality(cache, team)[0])
        portfolio = views.portfolio_view(cache, *FEB, kpis=KPIS, targets={"sla_response": 0.9})
        views.funnels(portfolio), views.signals(portfolio), quality.unknown_team_rows(cache)
        view.portfolio_left_out = portfolio.left_out
    return view


@pytest.mark.slow
@pytest.mark.parametrize("column", OPTIONAL)
def test_each_optional_column_removed_in_turn(tmp_path, column):
    view = every_part(build(tmp_path, drop=[column]))
    shown = set(view.charts["kpi"].map(views.nv.label))
    gone = NEEDS.get(column, [])
    assert not shown & set(gone)
    assert "Volume" in shown
    said = " ".join(view.left_out)
    assert said == " ".join(view.portfolio_left_out)
    for label in gone:
        assert label in said, (label, said)
    if column != "sla_minutes":
        assert all(f"Map a {column} column" in line or f"{column} and" in line or f"and {column}" in line
                   for line in view.left_out), view.left_out
    if column in ("channel", "priority", "category"):
        assert view.left_out == []  # no KPI needs them
    if column == "category" and view.behind and view.behind.kpi not in views.nv.SURVEY_KPIS:
        assert view.behind.table is None
        assert view.behind.missing.startswith("Map a category column to see where")


def test_only_id_team_and_opened_at(tmp_path):
    view = every_part(build(tmp_path, drop=OPTIONAL, surveys=False))
    assert set(view.charts["kpi"]) == {"volume"}
    assert view.behind.missing == "Map a category column to see where the volume comes from."
    assert views.comments_missing(view).startswith("Load survey answers")
    lines = " ".join(view.left_out)
    for column in ("first_response_at", "resolved_at", "contacts", "reopened"):
        assert column in lines
    assert "Load survey answers" in lines and "CSAT" in lines


def test_survey_answers_without_comments_or_ratings(tmp_path):
    cache = build(tmp_path)
    surveys = rc.read(cache, "surveys")
    for dropped, needle in (("comment", "Map a comment column of the survey answers"),
                            ("csat", "Map a csat column of the survey answers to see CSAT")):
        surveys.drop(columns=[dropped]).to_parquet(cache / "surveys.parquet", index=False)
        kpis = rc.read(cache, "kpis")
        if dropped == "csat":  # as the batch computes it from such answers: no CSAT rows
            kpis = kpis[~kpis["kpi"].isin(["csat", "csat_mean"])]
            kpis.to_parquet(cache / "kpis.parquet", index=False)
            info = json.loads((cache / "meta.json").read_text())  # and its meta.json, as the build writes both
            info["kpi_units"] = {k: u for k, u in info["kpi_units"].items() if k in set(kpis["kpi"])}
            (cache / "meta.json").write_text(json.dumps(info))
        view = every_part(cache)
        said = views.comments_missing(view) if dropped == "comment" else " ".join(view.left_out)
        assert said and needle in said, said


@pytest.mark.slow
def test_both_templates_run_with_only_the_required_columns(tmp_path):
    """A real papermill run of both templates on id, team and opened_at only."""
    from test_reports_escaping import run_report

    cache = build(tmp_path, drop=OPTIONAL, surveys=False)
    team = rc.meta(cache)["teams"][0]
    page, _ = run_report("team_report", {"team": team}, cache, tmp_path)
    for line in ("Map a category column to see where the volume comes from.",
                 "Map a first_response_at column to see SLA attainment (first response), First response median.",
                 "Load survey answers", "to see what customers said", "this team's"):
        assert line in page.text, line
    portfolio, _ = run_report("portfolio_report", {"teams": []}, cache, tmp_path)
    assert "Map a resolved_at column to see" in portfolio.text
    assert "No proportion KPI" in portfolio.text


# ------------------------------------------------------------------------------- item 8: own rows
def test_data_quality_counts_the_teams_own_rows_and_the_portfolio_the_unknown(tmp_path):
    import pandas as pd

    data = write_exports(tmp_path, surveys=False)
    frame = pd.read_csv(data["source"])
    teams = sorted(frame["team"].unique())
    frame.loc[frame.index[:3], ["opened_at", "team"]] = ["31/02/2024", teams[0]]  # no such day
    frame.loc[frame.index[3], ["opened_at", "team"]] = ["never", teams[1]]
    frame.loc[frame.index[4], ["opened_at", "team"]] = ["never", None]  # no team to charge it to
    frame.to_csv(data["source"], index=False)
    cache = rc.build(data, "month", tmp_path / "out")
    whole = rc.meta(cache)["summaries"]["interactions"]
    assert whole["rows_read"] == len(frame) and whole["rejected"] == 5
    counted = 0
    for team, refused in zip(teams, (3, 1, 0)):
        mine = quality.data_quality(cache, team)[0]["interactions"]
        rows = int((frame["team"] == team).sum())
        assert (mine["rows_read"], mine["accepted"], mine["rejected"]) == (rows, rows - refused, refused)
        assert sum(quality.data_quality(cache, team)[1]["rows"]) == refused
        counted += mine["rows_read"]
    unknown = quality.unknown_team_rows(cache)
    assert len(unknown) == 1 and counted + len(unknown) == whole["rows_read"]  # counts reconcile
    assert "this team's" in quality.load_lines(quality.data_quality(cache, teams[0])[0])[0]


def test_unmatched_survey_answers_are_shown_when_the_load_counts_them():
    lines = quality.load_lines({"surveys": {"source": "s.csv", "rows_read": 10, "accepted": 10,
                                          "rejected": 0, "unmatched": 4}})
    assert "4 survey answer(s) in the file match no interaction" in lines[0]


def test_answers_that_rate_no_interaction_are_counted_in_every_report(tmp_path):
    import pandas as pd

    data = write_exports(tmp_path)
    answers = pd.read_csv(data["surveys"]["source"])
    answers.loc[answers.index[:7], "id"] = [f"NOSUCH-{i}" for i in range(7)]
    answers.to_csv(data["surveys"]["source"], index=False)
    cache = rc.build(data, "month", tmp_path / "out")
    for team in (None, rc.meta(cache)["teams"][0]):
        lines = quality.load_lines(quality.data_quality(cache, team)[0])
        assert any("7 survey answer(s) in the file match no interaction" in line for line in lines), lines


def test_a_database_password_never_reaches_a_report():
    lines = quality.load_lines({"interactions": {"source": "postgresql://qos:s3cret@db:5432/desk",
                                               "rows_read": 1, "accepted": 1, "rejected": 0}})
    assert "s3cret" not in lines[0] and "postgresql://qos:***@db:5432/desk" in lines[0]


def test_answers_and_comments_after_the_period_end_are_not_in_its_report(tmp_path):
    cache = build(tmp_path)
    team = rc.meta(cache)["teams"][0]
    answers = rc.read(cache, "surveys", team=team)
    tickets = rc.read(cache, "interactions", team=team)
    opened = tickets.set_index("id")["opened_at"]
    end = pd_timestamp(FEB[1], opened)
    late = answers[answers["id"].map(opened).lt(end) & answers["answered_at"].ge(end)]
    assert len(late), "the data must hold February cases answered in March for this test"
    view = views.team_view(cache, team, *FEB)
    assert view.answers["answered_at"].max() < end
    assert not set(late["id"]) & set(view.answers["id"])
    said = views.comments(view, n=10_000)
    assert said["answered_at"].max() < end


def test_a_periods_csat_counts_only_answers_given_before_its_end(tmp_path):
    """CSAT (share of 4-5) per week of the case rated, counted by hand from the answers given
    before 1 March, against the February team report's chart."""
    cache = build(tmp_path)
    team = rc.meta(cache)["teams"][0]
    tickets = rc.read(cache, "interactions", team=team)[["id", "opened_at"]]
    answers = rc.read(cache, "surveys", team=team).merge(tickets, on="id")
    end = pd_timestamp(FEB[1], answers["answered_at"])
    answers = answers[(answers["answered_at"] < end) & answers["csat"].notna()]
    week = answers["opened_at"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    by_hand = (answers["csat"] >= 4).groupby(week).mean()
    view = views.team_view(cache, team, *FEB, kpis=["csat"])
    chart = view.charts[view.charts["complete"].astype(bool)].set_index("period")["y"]
    cached = rc.read(cache, "kpis", team=team).query("kpi == 'csat'").set_index("period")["value"]
    assert len(chart) >= 6
    for period, y in chart.items():
        assert y == pytest.approx(by_hand[period]), period
    assert (cached.reindex(chart.index) != chart).any()  # some answers to February cases came later


def pd_timestamp(day, like):
    import pandas as pd

    return pd.Timestamp(day).tz_localize(like.dt.tz)


def test_an_aggregates_batch_asks_for_no_column_to_map(tmp_path):
    import pandas as pd

    months = pd.date_range("2023-01-01", periods=14, freq="MS").strftime("%Y-%m")
    rows = [{"team": team, "period": m, "numerator": 80 + i % 7, "denominator": 100}
            for team in ("North", "South") for i, m in enumerate(months)]
    pd.DataFrame(rows).to_csv(tmp_path / "counts.csv", index=False)
    cache = rc.build({"source": str(tmp_path / "counts.csv"), "kind": "aggregates"}, "month", tmp_path / "out",
                     kpis=["within_target"])
    view = views.team_view(cache, "North", "2024-02-01", "2024-03-01")
    assert view.left_out == [] and len(view.charts)
    assert views.behind_worst(view) is None
    assert views.comments_missing(view).startswith("Comments come with case data")
    assert views.portfolio_view(cache, "2024-02-01", "2024-03-01").left_out == []
