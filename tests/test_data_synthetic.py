"""The synthetic demo data: canonical shape, realism, determinism, injected causes."""

import warnings

import numpy as np
import pandas as pd
import pytest

from qoswb.data.synthetic import generate

CAUSE_TEAMS = ["Customer Care", "Orders", "Returns", "Executive Office"]


@pytest.fixture(scope="module")
def demo():
    return generate(seed=11, weeks=52, teams=CAUSE_TEAMS)


def _weekly(frame, column, values):
    week = frame[column].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    return values.groupby(week)


def test_canonical_columns_and_types(demo):
    it, sv = demo.interactions, demo.surveys
    assert list(it.columns) == ["id", "team", "opened_at", "first_response_at", "resolved_at", "channel",
                                "category", "priority", "contacts", "reopened", "sla_minutes"]
    for col in ("opened_at", "first_response_at", "resolved_at"):
        assert str(it[col].dt.tz) == "Europe/London"
    assert it["contacts"].dtype == "Int64" and it["reopened"].dtype == "boolean"
    assert it["id"].is_unique
    assert list(sv.columns) == ["id", "answered_at", "csat", "nps", "ces", "comment"]
    assert set(sv["id"]) <= set(it["id"])
    assert sv["csat"].dropna().between(1, 5).all() and sv["nps"].dropna().between(0, 10).all()
    assert sv["ces"].dropna().between(1, 7).all()
    causes = demo.special_causes
    assert list(causes.columns) == ["team", "kpi", "kind", "start", "end", "direction", "magnitude",
                                    "description"]
    assert sorted(causes["kind"]) == ["drift", "spike", "step"]


def test_times_are_in_order_and_realistic(demo):
    it = demo.interactions
    first = (it["first_response_at"] - it["opened_at"]).dt.total_seconds()
    resolved = (it["resolved_at"] - it["first_response_at"]).dt.total_seconds()
    assert (first.dropna() >= 0).all() and (resolved.dropna() >= 0).all()
    assert 0 < it["resolved_at"].isna().mean() < 0.05           # some still open
    assert 0.003 < it["first_response_at"].isna().mean() < 0.05  # a few never logged
    assert (it["contacts"] > 1).mean() > 0.1 and 0.01 < it["reopened"].mean() < 0.1
    # DST: the data cross both clock changes, and local offsets differ in winter and summer
    winter, summer = it["opened_at"].iloc[0], it.loc[it["opened_at"].dt.month == 7, "opened_at"].iloc[0]
    assert (winter.utcoffset(), summer.utcoffset()) == (pd.Timedelta(0), pd.Timedelta(hours=1))
    # weekly seasonality: Mondays much busier than Sundays; sizes very different
    dow = it["opened_at"].dt.day_of_week.value_counts()
    assert dow[0] > 3 * dow[6]
    sizes = it["team"].value_counts()
    assert sizes.max() > 8 * sizes.min()


def test_surveys_follow_how_the_case_went(demo):
    it, sv = demo.interactions, demo.surveys
    resolved = it["resolved_at"].notna().sum()
    assert 0.15 <= len(sv) / resolved <= 0.25
    cases = sv.merge(it, on="id")
    assert (cases["answered_at"] >= cases["resolved_at"]).all()
    # reopened cases score worse than the rest: how the case went drives satisfaction
    by = cases.groupby("reopened")["csat"].mean()
    assert by[True] < by[False] - 0.5
    bad = cases.loc[cases["csat"] <= 2, "comment"].dropna()
    good = cases.loc[cases["csat"] >= 4, "comment"].dropna()
    assert len(bad) > 0 and len(set(bad) & set(good)) == 0  # outcome-dependent phrases


def test_injected_causes_are_in_the_data(demo):
    it, sv, causes = demo.interactions, demo.surveys, demo.special_causes.set_index("kind")
    spike = causes.loc["spike"]
    team = it[it["team"] == spike["team"]]
    volume = _weekly(team, "opened_at", team["id"]).size()
    assert volume.idxmax() == spike["start"]
    assert volume.max() > 1.5 * volume.drop(spike["start"]).median()

    step = causes.loc["step"]
    team = it[it["team"] == step["team"]]
    minutes = (team["first_response_at"] - team["opened_at"]).dt.total_seconds() / 60
    weekly = _weekly(team, "opened_at", minutes).median()
    before, after = weekly[weekly.index < step["start"]], weekly[weekly.index >= step["start"]]
    assert after.median() / before.median() == pytest.approx(step["magnitude"], rel=0.2)
    assert after.min() > before.median()  # a clear step, every week after it is above the old centre

    drift = causes.loc["drift"]
    cases = sv.merge(it[["id", "team", "opened_at"]], on="id")
    team = cases[cases["team"] == drift["team"]]
    weekly = _weekly(team, "opened_at", team["csat"].astype(float)).mean()
    early = weekly[weekly.index < drift["start"]].mean()
    late = weekly[weekly.index > drift["end"]].mean()
    assert late - early == pytest.approx(drift["magnitude"], abs=0.3)
    other = cases[cases["team"] == "Executive Office"]
    o = _weekly(other, "opened_at", other["csat"].astype(float)).mean()
    assert abs(o[o.index > drift["end"]].mean() - o[o.index < drift["start"]].mean()) < 0.25


def test_same_seed_same_data_other_seed_other_data():
    a, b = generate(seed=5, weeks=3, teams=2), generate(seed=5, weeks=3, teams=2)
    pd.testing.assert_frame_equal(a.interactions, b.interactions)
    pd.testing.assert_frame_equal(a.surveys, b.surveys)
    c = generate(seed=6, weeks=3, teams=2)
    assert len(c.interactions) != len(a.interactions) or not np.array_equal(
        c.interactions["opened_at"], a.interactions["opened_at"])


def test_weekly_control_charts_find_each_injected_cause(demo):
    """The causes are big enough for a weekly individuals chart with a 20-week baseline to find them,
    and the chart gives no signal in the cause's direction before it starts (the yearly wave in
    volume may give signals the other way: seasonality is real, and a chart rightly sees it)."""
    spc = pytest.importorskip("qoswb.spc")
    it, sv, causes = demo.interactions, demo.surveys, demo.special_causes.set_index("kind")
    minutes = (it["first_response_at"] - it["opened_at"]).dt.total_seconds() / 60
    cases = sv.merge(it[["id", "team", "opened_at"]], on="id")
    series = {
        "step": _weekly(it, "opened_at", minutes.where(it["team"] == causes.loc["step", "team"])).median(),
        "spike": _weekly(it, "opened_at", (it["team"] == causes.loc["spike", "team"]).astype(int)).sum(),
        "drift": _weekly(cases, "opened_at",
                         cases["csat"].astype(float).where(cases["team"] == causes.loc["drift", "team"])).mean(),
    }
    for kind, weekly in series.items():
        cause = causes.loc[kind]
        with warnings.catch_warnings():  # weekly series with a wave are autocorrelated: known here
            warnings.simplefilter("ignore")
            frame = spc.chart("i", weekly.to_numpy(), freeze=20, rules=["we1", "we2"]).frame
        frame.index = weekly.index
        wanted = 1 if cause["direction"] == "up" else -1
        hits = frame.index[frame["signal"] & (frame["direction"] == wanted)]
        assert len(hits) and cause["start"] <= hits[0] <= cause["start"] + pd.Timedelta(weeks=8), kind
        before = frame.index < cause["start"]
        assert not (frame["signal"] & (frame["direction"] == wanted))[before].any(), kind


def test_unknown_team_names_are_refused_with_the_known_ones():
    from qoswb.errors import ParameterError

    with pytest.raises(ParameterError, match=r"not Alpha.*|synthetic teams are .*Billing"):
        generate(seed=1, weeks=2, teams=["Alpha", "Billing"])
