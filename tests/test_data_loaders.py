"""Row checks, typing and counts of the loaders, on small hand-made files."""

import pandas as pd
import pytest

from qoswb.data import DataError, load_aggregates, load_interactions, load_surveys
from qoswb.errors import ParameterError

HEADER = "id,team,opened_at,first_response_at,resolved_at,channel,contacts,reopened,sla_minutes\n"


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def reasons(result):
    return dict(zip(result.rejected["source_row"], result.rejected["reason"]))


def test_clean_file_is_typed_canonically(tmp_path):
    path = write(tmp_path, HEADER +
                 "A1,North,2024-03-30 09:00,2024-03-30 09:05,2024-03-30 10:00,phone,1,no,30\n"
                 "A2,South,2024-03-31 01:30,,,email,2,YES,480\n")
    r = load_interactions(path, timezone="Europe/London")
    d = r.data
    assert r.summary == {"source": str(path), "kind": "interactions", "rows_read": 2, "accepted": 2,
                         "rejected": 0, "rejected_by_reason": {}}
    assert str(d["opened_at"].dt.tz) == "Europe/London"
    # 01:30 on the spring-forward night does not exist in London: read as the first instant after the gap
    assert d["opened_at"].iloc[1] == pd.Timestamp("2024-03-31 02:00", tz="Europe/London")
    assert d["opened_at"].iloc[0].utcoffset() == pd.Timedelta(0)
    assert pd.isna(d["resolved_at"].iloc[1])  # an open case, not a rejection
    assert d["contacts"].dtype == "Int64" and d["reopened"].tolist() == [False, True]
    assert d["sla_minutes"].dtype == "float64" and d["id"].dtype == "str"


@pytest.mark.parametrize("row, reason", [
    ("A3,,2024-01-01 10:00,,,,1,no,30", "missing team"),
    (",North,2024-01-01 10:00,,,,1,no,30", "missing id"),
    ("A3,North,,,,,1,no,30", "missing opened_at"),
    ("A3,North,2024-02-30 10:00,,,,1,no,30", "unparseable opened_at"),
    ("A3,North,yesterday,,,,1,no,30", "unparseable opened_at"),
    ("A3,North,2024-01-01 10:00,,,,1.5,no,30", "unparseable contacts"),
    ("A3,North,2024-01-01 10:00,,,,one,no,30", "unparseable contacts"),
    ("A3,North,2024-01-01 10:00,,,,1,perhaps,30", "unparseable reopened"),
    ("A3,North,2024-01-01 10:00,,,,1,no,-30", "negative sla_minutes"),
    ("A3,North,2024-01-01 10:00,,,,-1,no,30", "negative contacts"),
    ("A3,North,2024-01-01 10:00,2024-01-01 09:00,,,1,no,30", "first_response_at before opened_at"),
    ("A3,North,2024-01-01 10:00,,2023-12-31 10:00,,1,no,30", "resolved_at before opened_at"),
    ("A1,North,2024-01-01 10:00,,,,1,no,30", "duplicate id"),
    ("A3,North,2024-01-01 10:00,,,,1,no", "wrong number of cells (8 instead of 9)"),
])
def test_each_interaction_check_rejects_with_its_reason(tmp_path, row, reason):
    good = "A1,North,2024-01-01 09:00,2024-01-01 09:01,,chat,1,no,30\n"
    r = load_interactions(write(tmp_path, HEADER + good + row + "\n"))
    assert r.summary["rows_read"] == 2 and r.summary["accepted"] == 1 and r.summary["rejected"] == 1
    assert r.summary["rejected_by_reason"] == {reason: 1}
    assert reasons(r) == {3: reason}
    assert r.data["id"].tolist() == ["A1"]


def test_rejected_rows_are_kept_as_read_with_all_reasons(tmp_path):
    text = HEADER + ("A1,North,2024-01-01 09:00,,,,1,no,30\n"
                     "A2,,31/12/2024,,,,x,maybe,30\n"
                     "A3,North,2024-01-01 09:00,,,web,01,T,030\n")
    r = load_interactions(write(tmp_path, text))
    row = r.rejected.iloc[0]
    assert row["opened_at"] == "31/12/2024" and row["contacts"] == "x"  # strings as in the file
    assert row["source_row"] == 3
    assert row["reason"] == ("missing team; unparseable opened_at; unparseable contacts; "
                             "unparseable reopened")
    # counted once, under the first reason, so the counts add up
    assert r.summary["rejected_by_reason"] == {"missing team": 1}
    assert r.data["contacts"].tolist() == [1, 1] and r.data["sla_minutes"].tolist() == [30.0, 30.0]


@pytest.mark.parametrize("spelling, value", [
    ("true", True), ("FALSE", False), ("Yes", True), ("no", False), ("y", True), ("N", False),
    ("1", True), ("0", False), ("t", True), ("F", False)])
def test_boolean_spellings(tmp_path, spelling, value):
    r = load_interactions(write(tmp_path, f"id,team,opened_at,reopened\nA,T,2024-01-01,{spelling}\n"))
    assert r.data["reopened"].tolist() == [value]


def test_first_good_row_of_a_repeated_id_is_kept(tmp_path):
    text = ("id,team,opened_at\n"
            "B,T,not a date\n"      # rejected for its date: the next B is then the first good one
            "B,T,2024-01-02\n"
            "A,T,2024-01-01\n"
            "B,T,2024-01-03\n")
    r = load_interactions(write(tmp_path, text))
    assert reasons(r) == {2: "unparseable opened_at", 5: "duplicate id"}
    assert r.data["opened_at"].dt.day.tolist() == [2, 1]


def test_missing_required_column_names_file_and_closest_header(tmp_path):
    path = write(tmp_path, "Case Number,Team,Opened Date\nA,T,2024-01-01\n")
    with pytest.raises(DataError) as err:
        load_interactions(path)
    msg = str(err.value)
    assert str(path) in msg and "id" in msg and "did you mean 'Opened Date'" in msg


def test_mapped_column_not_in_header_is_an_error_with_suggestion(tmp_path):
    path = write(tmp_path, "Case,Team,Opened Date\nA,T,2024-01-01\n")
    with pytest.raises(DataError, match=r"'Opened Dat' \(mapped to opened_at\).*did you mean 'Opened Date'"):
        load_interactions(path, {"id": "Case", "opened_at": "Opened Dat"})


def test_missing_optional_columns_are_notes_not_errors(tmp_path):
    r = load_interactions(write(tmp_path, "id,team,opened_at\nA,T,2024-01-01\n"))
    assert r.ok
    assert any("optional columns absent: first_response_at" in n for n in r.notes)
    assert any("read as UTC" in n for n in r.notes)


def test_mapping_formats_timezone_joined_columns_and_constants(tmp_path):
    path = write(tmp_path, "Ref;Grp;Sub;Opened\nX1;Billing;North;27/10/2024 01:30\nX2;Billing;;01/07/2024 12:00\n")
    r = load_interactions(path, {"columns": {"id": "Ref", "team": {"columns": ["Grp", "Sub"], "sep": " / "},
                                             "opened_at": "Opened", "sla_minutes": {"value": 60}},
                                 "timestamp_format": "%d/%m/%Y %H:%M", "timezone": "Europe/London"})
    d = r.data
    assert d["team"].tolist() == ["Billing / North", "Billing"]
    # the ambiguous autumn hour is read as its first occurrence (still summer time)
    assert d["opened_at"].iloc[0].utcoffset() == pd.Timedelta(hours=1)
    assert d["sla_minutes"].tolist() == [60.0, 60.0]
    assert "Sub" not in d.columns and "Grp" not in d.columns  # used columns are not repeated as extras


def test_offsets_in_timestamps_are_converted(tmp_path):
    path = write(tmp_path, "id,team,opened_at\nA,T,2024-06-01T10:00:00+02:00\nB,T,2024-06-01T08:00:00Z\n")
    r = load_interactions(path, timezone="Europe/London")
    assert r.data["opened_at"].dt.strftime("%H:%M").tolist() == ["09:00", "09:00"]


def test_extra_columns_are_kept_as_text(tmp_path):
    r = load_interactions(write(tmp_path, "id,team,opened_at,borough\nA,T,2024-01-01,Bronx\nB,T,2024-01-01,\n"))
    assert r.data["borough"].tolist()[0] == "Bronx" and pd.isna(r.data["borough"].iloc[1])
    r = load_interactions(write(tmp_path, "id,team,opened_at,borough\nA,T,2024-01-01,Bronx\n"), keep_extra=False)
    assert "borough" not in r.data.columns


def test_surveys_score_ranges(tmp_path):
    text = ("id,answered_at,csat,nps,ces,comment\n"
            "A,2024-01-01,5,10,1,great\n"
            "B,2024-01-01,6,5,2,\n"
            "C,2024-01-01,3,11,2,\n"
            "D,2024-01-01,3,5,0,\n"
            "E,2024-01-01,,,,no scores\n")
    r = load_surveys(write(tmp_path, text))
    assert reasons(r) == {3: "csat out of range 1-5", 4: "nps out of range 0-10", 5: "ces out of range 1-7"}
    assert r.data["id"].tolist() == ["A", "E"] and r.data["csat"].dtype == "Int64"
    assert pd.isna(r.data["csat"].iloc[1])


def test_aggregates_expression_and_checks(tmp_path):
    text = ("period,org,type,att,breaches\n"
            "2024-01-01,R1,1,100,5\n"
            "2024-01-01,R1,1,100,5\n"
            "2024-02-01,R1,1,10,12\n"
            "2024-03-01,R1,1,x,1\n")
    mapping = {"team": ["org", "type"], "period": "period", "numerator": {"expr": "att - breaches"},
               "denominator": "att"}
    r = load_aggregates(write(tmp_path, text), mapping)
    assert reasons(r) == {3: "duplicate team and period", 4: "negative numerator (att - breaches)",
                          5: "unparseable numerator (att - breaches); unparseable denominator ('att')"}
    assert r.data["numerator"].tolist() == [95.0] and r.data["team"].tolist() == ["R1 1"]
    assert r.data["period"].dtype == "datetime64[us]"


def test_aggregates_need_numerator_and_denominator_or_value(tmp_path):
    with pytest.raises(DataError, match="denominator"):
        load_aggregates(write(tmp_path, "team,period,numerator\nA,2024-01-01,1\n"))
    r = load_aggregates(write(tmp_path, "team,period,value\nA,2024-01-01,1.5\n"))
    assert r.data["value"].tolist() == [1.5]


def test_bad_options_and_mappings_are_parameter_errors(tmp_path):
    path = write(tmp_path, "id,team,opened_at\nA,T,2024-01-01\n")
    with pytest.raises(ParameterError, match="delimitr"):
        load_interactions(path, delimitr=";")
    with pytest.raises(ParameterError, match="Case Number.*canonical"):
        load_interactions(path, {"Case Number": "id"})
    with pytest.raises(ParameterError, match="timezone 'Mars/Olympus'"):
        load_interactions(path, timezone="Mars/Olympus")
    with pytest.raises(ParameterError, match="mapping for surveys"):
        load_interactions(path, {"kind": "surveys"})


def test_decimal_comma(tmp_path):
    path = write(tmp_path, "team;period;value\nA;2024-01-01;1.234,5\n")
    assert load_aggregates(path, decimal=",").data["value"].tolist() == [1234.5]
