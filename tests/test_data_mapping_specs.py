"""Mapping specs for real exports: durations after a timestamp, recoded values, cell values meaning none."""

import re

import pandas as pd
import pytest

from qoswb.data import load_interactions, load_surveys
from qoswb.data.mapping import read_mapping
from qoswb.errors import DataError, ParameterError

BASE = {"id": "Ticket", "team": "Team", "opened_at": "Opened"}


def tickets(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"Ticket": [f"T{i}" for i in range(n)], "Team": ["A"] * n,
                         "Opened": ["2024-03-01 08:00:00"] * n, **columns})


@pytest.mark.parametrize("unit, cell, expected", [
    ("minutes", "90", "09:30"), ("minutes", "1.5", "08:01:30"), ("hours", "2", "10:00"),
    ("hours", "02:30:00", "10:30"), ("hours", "26:00", "2024-03-02 10:00"), ("seconds", "3600", "09:00"),
    ("days", "1", "2024-03-02 08:00"), ("minutes", " 0:45 ", "08:45")])
def test_a_duration_after_a_timestamp(unit, cell, expected):
    r = load_interactions(tickets(Wait=[cell]), {**BASE, "first_response_at": {"after": "opened_at", unit: "Wait"}})
    expected = expected if expected.startswith("2024") else f"2024-03-01 {expected}"
    assert r.data["first_response_at"].iloc[0] == pd.Timestamp(expected, tz="UTC")


def test_a_duration_that_is_not_one_is_a_rejected_row_naming_the_column():
    r = load_interactions(tickets(Wait=["10", "soon", "-5", ""]),
                          {**BASE, "first_response_at": {"after": "opened_at", "minutes": "Wait"}})
    assert r.summary["accepted"] == 2 and r.rejected["Wait"].tolist() == ["soon", "-5"]
    assert set(r.rejected["reason"]) == {"unparseable first_response_at (opened_at + 'Wait' minutes)"}


@pytest.mark.parametrize("spec, message", [
    ({"minutes": "Wait"}, "needs after"),
    ({"after": "opened_at", "column": "Wait"}, "after goes with a duration"),
    ({"after": "opened_at", "minutes": "Wait", "hours": "Wait"}, "exactly one of"),
])
def test_a_duration_spec_that_is_incomplete_says_so(spec, message):
    with pytest.raises(ParameterError, match=message):
        read_mapping({**BASE, "first_response_at": spec})


def test_after_must_name_a_canonical_timestamp():
    with pytest.raises(ParameterError, match="after should name the canonical timestamp"):
        load_interactions(tickets(Wait=["1"]), {**BASE, "first_response_at": {"after": "Opened", "minutes": "Wait"}})


def test_a_duration_may_count_from_a_column_itself_built_from_a_duration():
    mapping = {**BASE, "resolved_at": {"after": "first_response_at", "hours": "Fix"},
               "first_response_at": {"after": "opened_at", "minutes": "Wait"}}
    r = load_interactions(tickets(Wait=["30"], Fix=["1"]), mapping)
    assert r.data["resolved_at"].iloc[0] == pd.Timestamp("2024-03-01 09:30", tz="UTC")


SURVEYS = pd.DataFrame({"Ticket": list("123456"), "Date": ["2024-03-01"] * 6,
                        "Satisfaction Score": ["Good", " bad ", "OFFERED", "Great", "", "unoffered"]})
RECODE = {"id": "Ticket", "answered_at": "Date",
          "csat": {"column": "Satisfaction Score",
                   "values": {"Good": 5, "Bad": 1, "Offered": None, "Unoffered": None}}}


def test_recoded_values_match_regardless_of_case_and_spaces():
    r = load_surveys(SURVEYS, RECODE)
    csat = r.data.set_index("id")["csat"]
    assert csat[["1", "2"]].tolist() == [5, 1] and csat[["3", "5", "6"]].isna().all()


def test_a_value_the_recode_does_not_name_is_a_rejected_row_with_its_reason():
    r = load_surveys(SURVEYS, RECODE)
    assert r.summary["rows_read"] == r.summary["accepted"] + r.summary["rejected"] == 6
    assert r.rejected["Satisfaction Score"].tolist() == ["Great"]
    assert r.rejected["reason"].tolist() == ["csat ('Satisfaction Score') value not named in its recode (values:)"]


def test_a_recode_still_checks_the_range():
    r = load_surveys(SURVEYS, {**RECODE, "csat": {"column": "Satisfaction Score", "values": {
        "Good": 9, "Bad": 1, "Offered": None, "Unoffered": None, "Great": 5}}})
    assert "csat ('Satisfaction Score') out of range 1-5" in set(r.rejected["reason"])


@pytest.mark.parametrize("values, message", [({}, "values should map"), ({"Good": [5]}, "should become"),
                                             ({"Good": 5, " good": 4}, "given twice")])
def test_a_bad_recode_is_a_parameter_error(values, message):
    with pytest.raises(ParameterError, match=message):
        read_mapping({**RECODE, "csat": {"column": "Satisfaction Score", "values": values}})


def test_missing_cell_values_mean_no_value_not_a_rejected_row():
    raw = tickets(Closed=["2024-03-02 08:00:00", "N/A", " - ", "?"], Channel=["mail", "-", "phone", "N/A"])
    r = load_interactions(raw, {**BASE, "resolved_at": "Closed", "channel": "Channel",
                                "missing": ["?", "N/A", "-"]})
    assert r.summary["rejected"] == 0
    assert r.data["resolved_at"].notna().tolist() == [True, False, False, False]
    assert r.data["channel"].isna().tolist() == [False, True, False, True]


def test_without_missing_such_values_are_rejected_as_unparseable():
    r = load_interactions(tickets(Closed=["N/A"]), {**BASE, "resolved_at": "Closed"})
    assert r.rejected["reason"].tolist() == ["unparseable resolved_at ('Closed')"]


def test_missing_from_a_file_too(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ticket,Team,Opened,Replies\nT1,A,2024-03-01 08:00:00,N/A\nT2,A,2024-03-01 09:00:00,3\n")
    r = load_interactions(path, {**BASE, "contacts": "Replies", "missing": ["N/A"]})
    assert r.summary["accepted"] == 2 and r.data["contacts"].tolist()[1] == 3


def test_missing_must_be_a_list():
    with pytest.raises(ParameterError, match="missing should be a list"):
        read_mapping({**BASE, "missing": {"N/A": True}})


def test_an_unmapped_after_is_a_data_error():
    with pytest.raises(DataError, match="counts from resolved_at, which is not mapped"):
        load_interactions(tickets(Wait=["1"]), {**BASE, "first_response_at": {"after": "resolved_at",
                                                                               "minutes": "Wait"}})


def cases(**columns):
    return pd.DataFrame({"Ticket": ["T1", "T2"], "Team": ["A", "A"],
                         "Opened": ["2024-03-01 09:00:00", "2024-03-01 10:00:00"], **columns})


def test_timestamp_minus_timestamp_is_a_duration_in_minutes_for_a_number_column():
    r = load_interactions(cases(Due=["2024-03-01 17:00:00", "02/03/2024 10:00"]),  # each value's own format
                          {**BASE, "sla_minutes": {"expr": "Due - Opened"}})
    assert r.summary["rejected"] == 1  # one column has one format: the dd/mm value is unreadable
    assert r.data["sla_minutes"].tolist() == [480.0]


def test_timestamp_plus_a_difference_is_a_timestamp_and_comparisons_give_booleans():
    r = load_interactions(cases(Reply=["2024-03-01 09:30:00", "2024-03-01 12:00:00"],
                                Due=["2024-03-01 10:00:00", "2024-03-01 11:00:00"]),
                          {**BASE, "resolved_at": {"expr": "Opened + (Reply - Opened) * 2"},
                           "reopened": {"expr": "Reply > Due"}})
    assert r.data["resolved_at"].tolist() == [pd.Timestamp("2024-03-01 10:00", tz="UTC"),
                                              pd.Timestamp("2024-03-01 14:00", tz="UTC")]
    assert r.data["reopened"].tolist() == [False, True]


@pytest.mark.parametrize("expr, words", [("Opened + Reply", "cannot take timestamp and timestamp"),
                                         ("Opened - Reply > 5", "cannot take duration and number"),
                                         ("Opened * 2", "cannot take timestamp and number")])
def test_a_type_error_across_kinds_is_a_data_error_naming_column_and_expression(expr, words):
    with pytest.raises(DataError, match=rf"mapping: column 'resolved_at': expression '{re.escape(expr)}'.*{words}"):
        load_interactions(cases(Reply=["2024-03-01 09:30:00"] * 2), {**BASE, "resolved_at": {"expr": expr}})


def test_a_number_added_to_a_timestamp_points_to_after():
    with pytest.raises(DataError, match=r"gives a number, but resolved_at is a timestamp \(to count a duration "
                                        r"column from a timestamp, write \{after: opened_at, minutes: COLUMN\}\)"):
        load_interactions(cases(Wait=["30", "40"]), {**BASE, "resolved_at": {"expr": "Wait + 1"}})


def test_a_type_error_in_the_cli_is_exit_2(tmp_path, capsys):
    from qoswb.cli import main

    path = tmp_path / "t.csv"
    path.write_text("Ticket,Team,Opened,First reply time in minutes\nT1,A,2024-03-01 09:00:00,30\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {id: Ticket, team: Team, opened_at: Opened,\n"
                       "  first_response_at: {expr: 'Opened + `First reply time in minutes` > 3'}}\n")
    assert main(["validate", str(path), "--mapping", str(mapping)]) == 2
    assert "first_response_at" in capsys.readouterr().err
