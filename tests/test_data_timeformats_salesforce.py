"""US 12-hour timestamps, lists of formats and bad formats (#11, user test A1-A3), on a Salesforce
Service Cloud "Cases" report export (its column names, its 'mm/dd/yyyy hh:mm AM/PM' times, a few
rows written in 24-hour time by an older locale)."""

import pandas as pd
import pytest

from qoswb.cli import main
from qoswb.data import load_interactions
from qoswb.errors import DataError, ParameterError

MAPPING = {"id": "Case Number", "team": "Owner Role", "opened_at": "Date/Time Opened",
           "resolved_at": "Date/Time Closed", "timezone": "America/New_York"}


def cases(opened, closed=None):
    return pd.DataFrame({"Case Number": [f"{i:08d}" for i in range(len(opened))], "Owner Role": "Tier 1 Support",
                         "Date/Time Opened": opened, "Date/Time Closed": closed or [""] * len(opened)})


def local(text):
    return pd.Timestamp(text, tz="America/New_York")


@pytest.mark.parametrize("opened, expected", [
    (["10/14/2026 03:19 PM", "10/15/2026 12:05 AM"], ["2026-10-14 15:19", "2026-10-15 00:05"]),
    (["10/14/2026 03:19:07 PM", "10/15/2026 12:00:00 PM"], ["2026-10-14 15:19:07", "2026-10-15 12:00"]),
    (["14/10/2026 3:19 pm", "15/10/2026 9:05 am"], ["2026-10-14 15:19", "2026-10-15 09:05"]),  # dd/mm, lower case
])
def test_twelve_hour_times_are_recognised(opened, expected):
    r = load_interactions(cases(opened), MAPPING)
    assert r.summary["rejected"] == 0
    assert r.data["opened_at"].tolist() == [local(e) for e in expected]


def test_an_hour_that_is_not_on_a_twelve_hour_clock_is_rejected():
    r = load_interactions(cases(["10/14/2026 03:19 PM", "10/14/2026 13:19 PM", "10/14/2026 00:19 AM"]), MAPPING)
    assert r.summary["accepted"] == 1 and r.rejected["source_row"].tolist() == [2, 3]


def test_a_column_mixing_am_pm_and_24_hour_times_is_read_whole_and_said_so():
    r = load_interactions(cases(["10/14/2026 03:19 PM", "10/14/2026 15:40", "10/13/2026 9:00 AM"]), MAPPING)
    assert r.summary["rejected"] == 0
    assert r.data["opened_at"].tolist() == [local("2026-10-14 15:19"), local("2026-10-14 15:40"),
                                            local("2026-10-13 09:00")]
    assert any("read as mm/dd/yyyy hh:MM AM/PM or mm/dd/yyyy HH:MM" in n for n in r.notes), r.notes


def test_twelve_hour_days_all_below_13_are_still_ambiguous():
    with pytest.raises(DataError, match=r"read as day/month and as month/day alike.*formats: \{opened_at: "
                                        r"'%d/%m/%Y %I:%M %p'\}"):
        load_interactions(cases(["03/04/2026 03:19 PM", "04/03/2026 10:00 AM"]), MAPPING)


def test_a_list_of_formats_is_tried_in_turn():
    formats = {"opened_at": ["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M"]}
    r = load_interactions(cases(["03/04/2026 03:19 PM", "03/04/2026 15:40", "soon"]), {**MAPPING, "formats": formats})
    assert r.data["opened_at"].tolist() == [local("2026-03-04 15:19"), local("2026-03-04 15:40")]
    assert r.rejected["reason"].tolist() == ["unparseable opened_at ('Date/Time Opened')"]


def test_the_first_format_that_reads_a_value_wins():
    raw = cases(["01/02/2026"])
    day_first = load_interactions(raw, {**MAPPING, "formats": {"opened_at": ["%d/%m/%Y", "%m/%d/%Y"]}})
    month_first = load_interactions(raw, {**MAPPING, "timestamp_format": ["%m/%d/%Y", "%d/%m/%Y"]})
    assert day_first.data["opened_at"].iloc[0].month == 2 and month_first.data["opened_at"].iloc[0].month == 1


@pytest.mark.parametrize("formats, message", [
    ({"opend_at": "%m/%d/%Y %I:%M %p"},
     r"formats: opend_at is not a timestamp column of interactions \(did you mean 'opened_at'\?\)"),
    ({"opened_at": "%m/%d/%Y %I:%M %P"},
     r"formats: opened_at: '%m/%d/%Y %I:%M %P' has %P, which strptime does not know \(did you mean '%p'\?\)"),
    ({"opened_at": "%H:%M"}, r"formats: opened_at: '%H:%M' has no year"),
    ({"opened_at": ["%m/%d/%Y", 7]}, r"formats: opened_at: a format is a strptime text"),
])
def test_a_wrong_format_or_key_is_one_line_naming_it(formats, message):
    with pytest.raises(ParameterError, match=message):
        load_interactions(cases(["10/14/2026 03:19 PM"]), {**MAPPING, "formats": formats})


def test_a_bad_format_is_exit_2_in_validate_not_a_traceback(tmp_path, capsys):
    cases(["10/14/2026 03:19 PM"]).to_csv(tmp_path / "cases.csv", index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {id: Case Number, team: Owner Role, opened_at: Date/Time Opened}\n"
                       "formats: {opened_at: ['%m/%d/%Y %I:%M %p', '%m/%d/%Y %H:%M %Q']}\n")
    assert main(["validate", str(tmp_path / "cases.csv"), "--mapping", str(mapping)]) == 2
    err = capsys.readouterr().err
    assert "formats: opened_at: '%m/%d/%Y %H:%M %Q' has %Q" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unparseable_values_are_shown_once_with_the_formats_that_read_them():
    opened = ["10/14/2026 15:19", "10/14/2026 16:20", "10/14/2026 03:19 PM", "10/15/2026 09:00 AM"]
    r = load_interactions(cases(opened), {**MAPPING, "formats": {"opened_at": "%m/%d/%Y %H:%M"}})
    reason = "unparseable opened_at ('Date/Time Opened')"
    assert r.rejected["reason"].tolist() == [reason, reason]  # the same text for the same cause: they group
    assert r.summary["rejected_by_reason"] == {reason: 2}
    assert f"{reason}: 2 value(s), e.g. '10/14/2026 03:19 PM': give formats: {{opened_at: " \
           "['%m/%d/%Y %H:%M', '%m/%d/%Y %I:%M %p']} in the mapping (a list is tried in turn)" in r.notes


def test_a_mistyped_timezone_gets_a_suggestion():
    with pytest.raises(ParameterError, match=r"unknown timezone 'America/NewYork' \(did you mean 'America/New_York'"):
        load_interactions(cases(["10/14/2026 03:19 PM"]), {**MAPPING, "timezone": "America/NewYork"})


def test_a_bad_format_stops_a_batch_before_its_output_folder_is_made(tmp_path, capsys):
    from qoswb.reports.testing import make_parameters, make_template

    cases(["10/14/2026 03:19 PM"]).to_csv(tmp_path / "cases.csv", index=False)
    (tmp_path / "mapping.yaml").write_text("columns: {id: Case Number, team: Owner Role, opened_at: Date/Time Opened}\n"
                                          "formats: {opened_at: '%m/%d/%Y %I:%M %P'}\n")
    make_template(tmp_path, "tiny")
    path = make_parameters(tmp_path, templates=["tiny.ipynb"], data={"source": "cases.csv", "mapping": "mapping.yaml"},
                           teams="all", periods=["2026-10"])
    assert main(["batch", str(path)]) == 2
    assert "mapping.yaml: formats: opened_at: '%m/%d/%Y %I:%M %P' has %P" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
