"""The pieces under kpis(): type-7 quantiles, local-time period codes, working-time clocks, themes."""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError
from qoswb.metrics import BusinessCalendar, tag_themes, theme_pareto
from qoswb.metrics import periods
from qoswb.metrics.quantiles import group_quantiles

MINUTE = 60_000_000_000


def test_quantiles_are_type_7_as_numpy_and_r():
    # Hyndman & Fan type 7, R's default: quantile(1:10, 0.9) = 9.1, median of 1..4 = 2.5
    key = np.array([0] * 10 + [1] * 4)
    values = np.concatenate([np.arange(1, 11), [4, 1, 3, 2]]) * MINUTE
    medians, p90 = group_quantiles(key, values, 3, (0.5, 0.9))
    assert (medians / MINUTE)[:2].tolist() == [5.5, 2.5] and np.isnan(medians[2])
    assert p90[0] / MINUTE == pytest.approx(9.1)


def test_quantiles_agree_with_numpy_on_random_groups_both_paths():
    rng = np.random.default_rng(7)
    key = rng.integers(0, 50, 5000)
    for values in (rng.integers(0, 10**6, 5000) * 1_000_000_000,  # whole seconds: packed path
                   rng.integers(0, 2**60, 5000)):                 # too wide to pack: pandas path
        got = group_quantiles(key, values, 50, (0.5, 0.9))
        for g in (0, 17, 49):
            expect = np.quantile(values[key == g].astype(float), [0.5, 0.9])  # numpy default = type 7
            np.testing.assert_allclose([got[0][g], got[1][g]], expect, rtol=1e-12)


def test_week_codes_start_on_monday_in_local_time():
    stamps = pd.Series(pd.to_datetime(["2024-03-24 23:59", "2024-03-25 00:00", "2024-10-27 01:30",
                                       "2024-10-28 00:10"])).dt.tz_localize("Europe/London", ambiguous=True)
    starts = periods.starts(periods.codes(periods.wall_clock(stamps, "t"), "W"), "W")
    assert starts.strftime("%Y-%m-%d").tolist() == ["2024-03-18", "2024-03-25", "2024-10-21", "2024-10-28"]
    quarters = periods.starts(periods.codes(periods.wall_clock(stamps, "t"), "Q"), "Q")
    assert quarters.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-01", "2024-10-01", "2024-10-01"]


def test_naive_timestamps_are_refused():
    with pytest.raises(DataError, match="naive"):
        periods.wall_clock(pd.Series(pd.to_datetime(["2024-01-01"])), "opened_at")


@pytest.mark.parametrize("begin, end, minutes", [
    ("2024-03-01T17:30", "2024-03-04T08:30", 60),      # Friday evening to Monday morning
    ("2024-03-02T10:00", "2024-03-02T12:00", 0),       # all on a Saturday
    ("2024-03-04T07:00", "2024-03-04T19:00", 600),     # before opening to after closing
    ("2024-03-04T09:00", "2024-03-06T09:00", 1200),    # two whole working days
    ("2024-12-24T17:00", "2024-12-27T09:00", 120),     # across the two holidays
])
def test_working_time(begin, end, minutes):
    cal = BusinessCalendar("08:00", "18:00", holidays=["2024-12-25", "2024-12-26"])
    got = cal.working_ns(np.array([begin], dtype="datetime64[ns]"), np.array([end], dtype="datetime64[ns]"))
    assert got[0] == minutes * MINUTE


def test_calendar_per_weekday_hours_and_bad_hours():
    cal = BusinessCalendar("09:00", "17:00", hours={"sat": ("10:00", "12:00")})
    assert cal.minutes_per_weekday() == [480, 480, 480, 480, 480, 120, 0]
    with pytest.raises(ParameterError, match="time of day"):
        BusinessCalendar("9am", "17:00").minutes_per_weekday()


def test_theme_tags_say_which_keyword_matched():
    answers = pd.DataFrame({"id": ["1", "2", "3", "4"],
                            "comment": ["Still not fixed.", "Quick and friendly, thank you.", None, "Meh"]})
    tags = tag_themes(answers)
    assert tags[["id", "theme", "keyword"]].values.tolist() == [
        ["1", "fixed first time", "not fixed"], ["2", "waiting and speed", "quick"], ["2", "staff manner", "friendly"]]
    custom = tag_themes(answers, {"mood": ["meh"]})
    assert custom[["id", "keyword"]].values.tolist() == [["4", "meh"]]
    with pytest.raises(ParameterError, match="keywords"):
        tag_themes(answers, {"mood": "meh"})


def test_theme_pareto_per_team_and_period():
    answers = pd.DataFrame({"id": ["a", "b", "c"], "comment": ["too long", "waited", "rude"]})
    interactions = pd.DataFrame({"id": ["a", "b", "c"], "team": ["X", "X", "Y"],
                                 "opened_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).tz_localize("UTC")})
    pareto = theme_pareto(tag_themes(answers), interactions, freq="W")
    assert pareto[["team", "theme", "count", "cumulative_share"]].values.tolist() == [
        ["X", "waiting and speed", 2, 1.0], ["Y", "staff manner", 1, 1.0]]
