"""kpis(): every KPI on a small hand-computed data set (ties, missing first responses, open cases,
a week crossing the DST change of Sunday 31 March 2024 in Europe/London, a team with no surveys).

The expected values below were worked out by hand from the cases listed in ``cases()``;
durations are minutes between the absolute instants (00:30 GMT -> 03:30 BST is 120 minutes).
Quantiles are type 7 (linear interpolation): median of [30, 60, 120] = 60, p90 = 60 + 0.8 * 60 = 108.
"""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError
from qoswb.metrics import BusinessCalendar, kpis

TZ = "Europe/London"
W1, W2, W3 = pd.Timestamp("2024-03-25"), pd.Timestamp("2024-04-01"), pd.Timestamp("2024-04-08")


def _t(text):
    return pd.Timestamp(text, tz=TZ) if text else pd.NaT


def cases() -> pd.DataFrame:
    rows = [  # id, team, opened, first response, resolved, sla, contacts, reopened
        ("a1", "A", "2024-03-25 09:00", "2024-03-25 09:30", "2024-03-25 10:00", 60, 1, False),
        ("a2", "A", "2024-03-27 10:00", "2024-03-27 11:00", "2024-03-27 12:00", 60, 2, True),
        # opened 00:30 GMT, clocks go forward at 01:00: response at 03:30 BST is 120 minutes later
        ("a3", "A", "2024-03-31 00:30", "2024-03-31 03:30", "2024-03-31 04:30", 150, 1, False),
        # 00:30 BST on Monday is still Sunday in UTC: local time puts it in week 2
        ("a4", "A", "2024-04-01 00:30", None, None, 60, None, None),
        ("a5", "A", "2024-04-02 09:00", "2024-04-02 09:10", "2024-04-02 09:40", 60, 1, False),
        ("a6", "A", "2024-04-03 09:00", "2024-04-03 09:10", "2024-04-03 10:00", 60, 2, False),
        ("a7", "A", "2024-04-04 09:00", "2024-04-04 09:40", None, 60, None, None),
        ("a8", "A", "2024-04-04 12:00", None, None, None, None, None),
        ("b1", "B", "2024-03-26 08:00", "2024-03-26 08:20", "2024-03-26 09:00", 30, 1, False),
        ("b2", "B", "2024-04-01 10:00", "2024-04-01 10:30", "2024-04-08 10:00", 30, 3, False),
        ("b3", "B", "2024-04-10 12:00", None, None, 1440, None, None),
        ("b4", "B", "2024-04-10 12:30", "2024-04-10 12:40", None, 30, None, None),
    ]
    frame = pd.DataFrame(rows, columns=["id", "team", "opened_at", "first_response_at", "resolved_at",
                                        "sla_minutes", "contacts", "reopened"])
    for column in ("opened_at", "first_response_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(TZ)
    frame["sla_minutes"] = frame["sla_minutes"].astype(float)
    frame["contacts"] = frame["contacts"].astype("Int64")
    frame["reopened"] = frame["reopened"].astype("boolean")
    return frame


def answers() -> pd.DataFrame:  # team B has no survey answers at all
    return pd.DataFrame({
        "id": ["a1", "a2", "a3", "a5", "a6"],
        "answered_at": pd.to_datetime(["2024-04-12"] * 5).tz_localize(TZ),
        "csat": pd.array([5, 2, 4, 4, None], dtype="Int64"),
        "nps": pd.array([10, 3, 8, 9, 7], dtype="Int64"),
        "ces": pd.array([2, 6, None, 1, 3], dtype="Int64"),
    })


@pytest.fixture(scope="module")
def table():
    return kpis(cases(), answers())


def cell(table, team, period, kpi):
    row = table[(table["team"] == team) & (table["period"] == period) & (table["kpi"] == kpi)]
    assert len(row) == 1, (team, period, kpi)
    return row.iloc[0]


NAN = float("nan")
EXPECTED = [  # team, week, kpi, numerator, denominator, value
    ("A", W1, "volume", 3, NAN, 3), ("A", W2, "volume", 5, NAN, 5), ("A", W3, "volume", 0, NAN, 0),
    ("B", W1, "volume", 1, NAN, 1), ("B", W2, "volume", 1, NAN, 1), ("B", W3, "volume", 2, NAN, 2),
    # a2 answered exactly at its 60-minute target: within target; a4 never answered and its target passed: breach;
    # a8 has no target: not counted; b3 unanswered but inside its 24 h target at the end of the data: pending
    ("A", W1, "sla_response", 3, 3, 1.0), ("A", W2, "sla_response", 3, 4, 0.75),
    ("A", W3, "sla_response", 0, 0, NAN), ("B", W3, "sla_response", 1, 1, 1.0),
    ("A", W1, "sla_resolution", 1, 3, 1 / 3), ("A", W2, "sla_resolution", 2, 4, 0.5),
    ("B", W2, "sla_resolution", 0, 1, 0.0), ("B", W3, "sla_resolution", 0, 0, NAN),
    ("A", W1, "first_response_median", NAN, 3, 60), ("A", W1, "first_response_p90", NAN, 3, 108),
    # ties: [10, 10, 40] -> median 10, p90 = 10 + 0.8 * 30 = 34
    ("A", W2, "first_response_median", NAN, 3, 10), ("A", W2, "first_response_p90", NAN, 3, 34),
    ("A", W1, "resolution_median", NAN, 3, 120), ("A", W1, "resolution_p90", NAN, 3, 168),
    ("A", W2, "resolution_median", NAN, 2, 50), ("A", W2, "resolution_p90", NAN, 2, 58),
    ("B", W2, "resolution_median", NAN, 1, 10080), ("B", W3, "resolution_median", NAN, 0, NAN),
    ("A", W1, "fcr", 2, 3, 2 / 3), ("A", W2, "fcr", 1, 2, 0.5), ("B", W2, "fcr", 0, 1, 0.0),
    ("A", W1, "reopen_rate", 1, 3, 1 / 3), ("A", W2, "reopen_rate", 0, 2, 0.0),
    ("A", W1, "backlog", NAN, NAN, 0), ("A", W2, "backlog", NAN, NAN, 3), ("A", W3, "backlog", NAN, NAN, 3),
    ("B", W2, "backlog", NAN, NAN, 1), ("B", W3, "backlog", NAN, NAN, 2),
    ("A", W1, "csat", 2, 3, 2 / 3), ("A", W2, "csat", 1, 1, 1.0), ("B", W1, "csat", 0, 0, NAN),
    ("A", W1, "csat_mean", 11, 3, 11 / 3), ("A", W2, "csat_mean", 4, 1, 4.0),
    ("A", W1, "nps", 0, 3, 0.0), ("A", W2, "nps", 1, 2, 50.0), ("B", W2, "nps", 0, 0, NAN),
    ("A", W1, "ces_mean", 8, 2, 4.0), ("A", W2, "ces_mean", 4, 2, 2.0), ("B", W1, "ces_mean", 0, 0, NAN),
]


@pytest.mark.parametrize("team, period, kpi, numerator, denominator, value", EXPECTED)
def test_hand_computed_values(table, team, period, kpi, numerator, denominator, value):
    row = cell(table, team, period, kpi)
    np.testing.assert_allclose([row["numerator"], row["denominator"], row["value"]],
                               [numerator, denominator, value], equal_nan=True)


def test_nps_standard_error_is_the_multinomial_formula(table):
    # week 1: 1 promoter, 1 detractor of 3: 100 sqrt((1/3 + 1/3 - 0) / 3) = 47.1405
    assert cell(table, "A", W1, "nps")["se"] == pytest.approx(100 * np.sqrt(2 / 9))
    # week 2: 1 promoter, 1 passive: 100 sqrt((0.5 + 0 - 0.25) / 2) = 35.3553
    assert cell(table, "A", W2, "nps")["se"] == pytest.approx(35.35533906)
    assert np.isnan(cell(table, "A", W1, "csat")["se"])


def test_columns_registry_fields_and_grid(table):
    assert list(table.columns) == ["team", "period", "kpi", "numerator", "denominator", "value", "se", "unit",
                                   "polarity", "chart", "complete"]
    assert len(table) == 2 * 3 * 14  # every team gets every week and KPI, even with no data
    row = cell(table, "A", W1, "sla_response")
    assert (row["unit"], row["polarity"], row["chart"]) == ("proportion", 1, "p")
    assert cell(table, "A", W1, "first_response_median")["polarity"] == -1
    assert table.attrs["notes"] == []


def test_completeness_from_the_data_and_from_as_of(table):
    # data ends 2024-04-10 12:40 (a Wednesday): the week of 8 April is not complete
    weeks = table.drop_duplicates("period").set_index("period")["complete"]
    assert weeks.to_dict() == {W1: True, W2: True, W3: False}
    later = kpis(cases(), kpis=["volume"], as_of="2024-04-15 00:00")
    assert later.drop_duplicates("period")["complete"].tolist() == [True, True, True]
    # a first week the data starts in the middle of (Wednesday) is not complete either
    late_start = cases()[cases()["opened_at"] >= _t("2024-03-27 00:00")]
    first = kpis(late_start, kpis=["volume"]).drop_duplicates("period")
    assert first["complete"].tolist() == [False, True, False]


def test_daily_periods_across_the_dst_day():
    daily = kpis(cases(), kpis=["volume"], freq="D")
    a = daily[daily["team"] == "A"].set_index("period")["value"]
    assert a[pd.Timestamp("2024-03-31")] == 1  # the 23-hour day holds a3 only
    assert a[pd.Timestamp("2024-04-01")] == 1  # a4 at 00:30 BST, which is 23:30 UTC the day before
    monthly = kpis(cases(), kpis=["volume"], freq="M")
    assert monthly.groupby("period")["value"].sum().to_dict() == {
        pd.Timestamp("2024-03-01"): 4, pd.Timestamp("2024-04-01"): 8}


def test_by_two_columns():
    frame = cases().assign(channel=["phone", "email"] * 6)
    table = kpis(frame, by=["team", "channel"], kpis=["volume"])
    totals = table.groupby(["team", "channel"])["value"].sum().to_dict()
    assert totals == {("A", "email"): 4, ("A", "phone"): 4, ("B", "email"): 2, ("B", "phone"): 2}


def test_sla_targets_from_argument():
    table = kpis(cases(), kpis=["sla_response"], sla={"response": 45})
    # week 1 of A: responses 30, 60, 120 against 45 minutes -> 1 of 3
    assert cell(table, "A", W1, "sla_response")["value"] == pytest.approx(1 / 3)
    by_priority = cases().assign(priority=["P1", "P2"] * 6)
    table = kpis(by_priority, kpis=["sla_response"], sla={"P1": 30, "P2": 120})
    # A week 1: a1 P1 30<=30 met, a2 P2 60<=120 met, a3 P1 120>30 breach
    assert cell(table, "A", W1, "sla_response")[["numerator", "denominator"]].tolist() == [2, 3]
    # a table per team: A's target 100 minutes (30, 60 met; 120 not), B's none (rows without a target left out)
    per_team = kpis(cases(), kpis=["sla_response"], sla=pd.DataFrame({"team": ["A"], "minutes": [100.0]}))
    assert cell(per_team, "A", W1, "sla_response")[["numerator", "denominator"]].tolist() == [2, 3]
    assert cell(per_team, "B", W1, "sla_response")["denominator"] == 0


def test_working_time_calendar():
    # Thursday 28 March 17:00 GMT -> Tuesday 2 April 09:00 BST, Good Friday and Easter Monday off:
    # 60 working minutes on Thursday + 60 on Tuesday; in calendar time 6,660 minutes
    frame = pd.DataFrame({"id": ["x"], "team": ["A"], "opened_at": [_t("2024-03-28 17:00")],
                          "first_response_at": [_t("2024-04-02 09:00")], "sla_minutes": [240.0]})
    plain = kpis(frame, kpis=["first_response_median", "sla_response"])
    assert plain.set_index("kpi")["value"].tolist() == [0.0, 6660.0]
    office = BusinessCalendar("08:00", "18:00", holidays=["2024-03-29", "2024-04-01"])
    worked = kpis(frame, kpis=["first_response_median", "sla_response"], calendar={"A": office})
    assert worked.set_index("kpi")["value"].tolist() == [1.0, 120.0]


def test_unmatched_survey_answers_are_reported_not_dropped_silently():
    extra = pd.concat([answers(), answers().iloc[:1].assign(id="zz")], ignore_index=True)
    with pytest.warns(UserWarning, match="1 survey answer"):
        table = kpis(cases(), extra, kpis=["csat"])
    assert "zz" in table.attrs["notes"][0]


def test_absent_or_empty_columns_leave_kpis_out_with_a_note():
    frame = cases().drop(columns=["contacts", "reopened"])
    frame["first_response_at"] = pd.Series(pd.NaT, index=frame.index, dtype=f"datetime64[us, {TZ}]")
    table = kpis(frame)
    assert set(table["kpi"]) == {"volume", "sla_resolution", "resolution_median", "resolution_p90", "backlog"}
    notes = " ".join(table.attrs["notes"])
    assert "first_response_at" in notes and "contacts" in notes and "surveys.csat" in notes
    assert table.attrs["left_out"]["fcr"] == ["contacts"]
    # asked for by name, it is still left out with a note (a report shows the note, not a traceback)
    asked = kpis(frame, kpis=["volume", "sla_response"])
    assert set(asked["kpi"]) == {"volume"}
    assert asked.attrs["notes"] == ["sla_response left out: column(s) first_response_at absent or empty; "
                                    "map them to see it"]


@pytest.mark.parametrize("frame, message", [
    (cases().iloc[:0], "empty"),
    (cases().assign(opened_at=cases()["opened_at"].dt.tz_localize(None)), "naive"),
    (cases().drop(columns="team"), "team"),
    (cases().assign(opened_at=[_t("2024-03-25 09:00").tz_convert("UTC")] + list(cases()["opened_at"][1:])),
     "mixes timezones"),
    (cases().assign(first_response_at=cases()["opened_at"] - pd.Timedelta(minutes=5)), "before 'opened_at'"),
])
def test_bad_input_is_a_clear_error(frame, message):
    with pytest.raises(DataError, match=message):
        kpis(frame)


def test_bad_parameters():
    with pytest.raises(ParameterError, match="unknown KPI 'speed'; known: volume, sla_response"):
        kpis(cases(), kpis=["speed"])
    with pytest.raises(ParameterError, match=r"unknown KPI 'sla_respone' \(did you mean 'sla_response'"):
        kpis(cases(), kpis=["volume", "sla_respone"])
    with pytest.raises(ParameterError, match="freq"):
        kpis(cases(), freq="fortnight")


def test_a_single_period_is_a_valid_table():
    one = kpis(cases().iloc[:3], kpis=["volume", "sla_response"])
    assert one["period"].nunique() == 1 and one.loc[one["kpi"] == "volume", "value"].tolist() == [3]


def test_separate_sla_targets_per_clock_and_priority():
    frame = cases().assign(priority=["P1", "P2"] * 6)  # a1 P1, a2 P2, a3 P1, a4 P2, ...
    table = kpis(frame, kpis=["sla_response", "sla_resolution"],
                 sla={"first_response": 45, "resolution": {"P1": 100, "P2": 200}})
    # A week 1, first response 30, 60, 120 against 45 minutes: 1 of 3
    assert cell(table, "A", W1, "sla_response")[["numerator", "denominator"]].tolist() == [1, 3]
    # resolution: a1 P1 60 <= 100 met, a2 P2 120 <= 200 met, a3 P1 180 > 100 breach
    assert cell(table, "A", W1, "sla_resolution")[["numerator", "denominator"]].tolist() == [2, 3]
    # week 2: a5 (30) and a6 (60) met; a4, a7, a8 unresolved with their targets long passed: breaches
    assert cell(table, "A", W2, "sla_resolution")[["numerator", "denominator"]].tolist() == [2, 5]
    assert table.attrs["sla"] == "first response: 45 min; resolution: P1 100 min, P2 200 min"
    # priorities written as numbers (as YAML reads `1: 100`) match a text priority column
    numbered = kpis(cases().assign(priority=["1", "2"] * 6), kpis=["sla_resolution"],
                    sla={"resolution": {1: 100, 2: 200}})
    assert cell(numbered, "A", W1, "sla_resolution")[["numerator", "denominator"]].tolist() == [2, 3]


def test_a_clock_without_a_target_is_left_out_and_untargeted_rows_are_counted_in_a_note():
    frame = cases().assign(priority=["P1", "P2"] * 6)
    table = kpis(frame, kpis=["sla_response", "sla_resolution"], sla={"resolution": {"P1": 100}})
    assert set(table["kpi"]) == {"sla_resolution"}
    notes = table.attrs["notes"]
    assert "sla_response left out: no first response target" in notes[0]
    assert table.attrs["left_out"] == {"sla_response": ["sla_minutes"]}
    assert notes[1].startswith("sla (resolution): 6 interaction(s) have no target for their priority ('P2')")
    # a3 P1 breach, a1 P1 met; a2 P2 has no target and is not counted
    assert cell(table, "A", W1, "sla_resolution")[["numerator", "denominator"]].tolist() == [1, 2]


@pytest.mark.parametrize("sla, message", [
    ({"first_response": 60, "resolutoin": 100}, "unknown clock 'resolutoin' (did you mean 'resolution'?)"),
    ({"first_response": "sla_minute"}, "no column 'sla_minute' (did you mean 'sla_minutes'?)"),
    ({"resolution": {"P1": "fast"}}, "every priority needs minutes"),
    ({"resolution": -5}, "positive minutes"),
    ({"first_responce": 30}, "no interaction has priority 'first_responce' (did you mean 'first_response'?)"),
    ({"resolution": {"High": 30}}, "no interaction has priority 'High'"),
])
def test_bad_sla_targets_name_what_is_wrong(sla, message):
    with pytest.raises(ParameterError) as err:
        kpis(cases().assign(priority="P1"), kpis=["sla_resolution", "sla_response"], sla=sla)
    assert message in str(err.value)


def test_the_rows_own_target_drives_both_clocks_unless_told_otherwise(table):
    assert table.attrs["sla"].startswith("each case's own target, in minutes, as the data gives it")
    assert "sla_minutes" not in table.attrs["sla"]  # a report shows it to readers
    split = kpis(cases(), kpis=["sla_response", "sla_resolution"],
                 sla={"first_response": "sla_minutes", "resolution": 100})
    # first response keeps the rows' targets (as the module fixture); resolution 60, 120, 180 vs 100: 1 of 3
    assert cell(split, "A", W1, "sla_response")[["numerator", "denominator"]].tolist() == [3, 3]
    assert cell(split, "A", W1, "sla_resolution")[["numerator", "denominator"]].tolist() == [1, 3]
