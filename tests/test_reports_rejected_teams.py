"""Rejected rows carry their canonical team (#11, user test A4): each team's report counts its own
rejected rows, whatever the export calls the team column, and the portfolio lists only the rows
whose team is empty or unreadable.

Exports are written here with the vendors' column names: a Salesforce Service Cloud "Cases" report
(team from "Owner Role") and a Zendesk ticket export read through the shipped preset (team from
"Group"); survey answers reach their team through the case they rate, accepted or rejected.
"""

import pandas as pd
import pytest

from qoswb.data import load_interactions
from qoswb.reports import cache as rc
from qoswb.reports import quality

TEAMS = ["Tier 1 Support", "Billing & Payments"]
SALESFORCE = {"id": "Case Number", "team": "Owner Role", "opened_at": "Date/Time Opened",
              "resolved_at": "Date/Time Closed", "timezone": "America/New_York"}


def salesforce_cases(folder, n=120):
    """A Salesforce-style export: US dates, AM/PM times; rows 0-2 (Tier 1) and 3 (Billing) unreadable,
    row 4 with no Owner Role; returns (path, frame)."""
    opened = pd.date_range("2024-01-01 08:00", periods=n, freq="7h")
    frame = pd.DataFrame({
        "Case Number": [f"{500000 + i:08d}" for i in range(n)],
        "Owner Role": [TEAMS[i % 2] for i in range(n)],
        "Date/Time Opened": opened.strftime("%m/%d/%Y %I:%M %p"),
        "Date/Time Closed": (opened + pd.Timedelta(hours=5)).strftime("%m/%d/%Y %I:%M %p"),
    })
    frame.loc[[0, 2], "Date/Time Opened"] = "someday"          # Tier 1 (even rows)
    frame.loc[4, "Date/Time Closed"] = "13/45/2024 99:00 PM"   # Tier 1
    frame.loc[1, "Date/Time Opened"] = "n/a"                   # Billing
    frame.loc[6, ["Owner Role", "Date/Time Opened"]] = ["", "never"]  # no team to charge it to
    path = folder / "cases.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_rejected_rows_carry_the_mapped_team_and_id(tmp_path):
    path, _ = salesforce_cases(tmp_path)
    result = load_interactions(path, SALESFORCE)
    bad = result.rejected.set_index("source_row")
    assert result.summary["rejected"] == 5
    # spreadsheet rows: header = 1, frame row i = i + 2
    assert bad.loc[[2, 4, 6], "mapped_team"].tolist() == ["Tier 1 Support"] * 3
    assert bad.loc[3, "mapped_team"] == "Billing & Payments"
    assert pd.isna(bad.loc[8, "mapped_team"])
    assert bad.loc[2, "mapped_id"] == "00500000"
    assert "Owner Role" in bad.columns  # the row as read is still there


def test_a_source_column_called_team_keeps_its_text_beside_the_mapped_one(tmp_path):
    raw = pd.DataFrame({"Case": ["A", "B"], "team": ["  North ", "South"], "Opened": ["2024-03-01", "never"]})
    result = load_interactions(raw, {"id": "Case", "team": "team", "opened_at": "Opened"})
    row = result.rejected.iloc[0]
    assert row["team"] == "South" and row["mapped_team"] == "South"


@pytest.mark.slow
def test_each_team_counts_its_own_rejected_rows_from_an_owner_role_column(tmp_path):
    path, frame = salesforce_cases(tmp_path)
    answers = pd.DataFrame({"Case Number": ["00500000", "00500001", "00500010", "99999999"],
                            "Survey Date": ["2024-01-05 10:00"] * 4, "Satisfaction (1-5)": [5, 4, 3, 2]})
    answers.loc[2, "Satisfaction (1-5)"] = 9  # out of range: a rejected answer of a Tier 1 case
    answers.to_csv(tmp_path / "csat.csv", index=False)
    data = {"source": str(path), "kind": "interactions", "mapping": SALESFORCE,
            "surveys": {"source": str(tmp_path / "csat.csv"),
                        "mapping": {"id": "Case Number", "answered_at": "Survey Date",
                                    "csat": "Satisfaction (1-5)"}}}
    cache = rc.build(data, "month", tmp_path / "out")
    tier1 = quality.data_quality(cache, "Tier 1 Support")[0]
    assert (tier1["interactions"]["rejected"], tier1["interactions"]["rows_read"]) == (3, 59)
    assert tier1["surveys"]["rejected"] == 1  # the answer rating a Tier 1 case, out of range
    billing = quality.data_quality(cache, "Billing & Payments")[0]["interactions"]
    assert (billing["rows_read"], billing["accepted"], billing["rejected"]) == (60, 59, 1)
    unknown = quality.unknown_team_rows(cache)
    assert unknown["source_row"].tolist() == [8] and unknown["team"].tolist() == ["(none)"]
    lines = quality.load_lines(tier1)
    assert "this team's 59 rows read, 56 accepted, 3 rejected" in lines[0]
    # answers of rejected cases are said apart from answers rating no case at all
    surveys = rc.meta(cache)["summaries"]["surveys"]
    assert (surveys["rate_rejected"], surveys["unmatched"]) == (2, 1)
    said = " ".join(quality.load_lines(rc.meta(cache)["summaries"]))
    assert "2 survey answer(s) rate an interaction rejected at load" in said
    assert "1 survey answer(s) in the file match no interaction" in said


@pytest.mark.slow
def test_a_preset_mapping_gives_rejected_rows_their_team(tmp_path):
    n = 80
    opened = pd.date_range("2024-01-02 09:00", periods=n, freq="9h")
    export = pd.DataFrame({"Id": range(1, n + 1), "Group": [["Support", "Billing"][i % 2] for i in range(n)],
                           "Created at": opened.strftime("%Y-%m-%d %H:%M:%S"),
                           "Solved at": (opened + pd.Timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"),
                           "First reply time in minutes": 30, "Via": "Email", "Ticket type": "question",
                           "Priority": "normal", "Replies": 1})
    export.loc[[1, 3], "Solved at"] = (opened[[1, 3]] - pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    export.to_csv(tmp_path / "zendesk.csv", index=False)
    cache = rc.build({"source": str(tmp_path / "zendesk.csv"), "kind": "interactions", "mapping": "zendesk"},
                     "month", tmp_path / "out")
    billing = quality.data_quality(cache, "Billing")
    assert billing[0]["interactions"]["rejected"] == 2
    assert billing[1]["reason"].tolist() == ["resolved_at before opened_at; resolved_at before first_response_at"]
    assert quality.data_quality(cache, "Support")[0]["interactions"]["rejected"] == 0
    assert quality.unknown_team_rows(cache).empty


@pytest.mark.slow
def test_the_team_report_says_its_rejected_rows(tmp_path):
    """A real papermill run of the team report: its data-quality section counts the team's rows."""
    from test_reports_escaping import run_report

    path, _ = salesforce_cases(tmp_path, n=300)
    cache = rc.build({"source": str(path), "kind": "interactions", "mapping": SALESFORCE}, "month",
                     tmp_path / "out")
    page, _ = run_report("team_report", {"team": "Tier 1 Support"}, cache, tmp_path)
    assert "this team's 149 rows read, 146 accepted, 3 rejected at load" in page.text
    portfolio, _ = run_report("portfolio_report", {"teams": []}, cache, tmp_path)
    assert "1 rejected row(s) whose team is unknown" in portfolio.text


def test_an_event_logs_rejected_events_carry_their_cases_team(tmp_path):
    """ServiceNow's event log (UCI header): INC0000047's events are rejected for one unreadable value,
    each with the group the case was at at its last update; INC0000050 has no group at its last update
    and the event with no number has no case: no team for those."""
    from test_data_events import event, write_log

    rows = [event("INC0000047", 0, "29/2/2016 04:40", opened="29/2/2016 04:40", group="Service Desk"),
            event("INC0000047", 1, "1/3/2016 08:00", opened="29/2/2016 04:40", group="Service Desk",
                  resolved="31/2/2016 25:00"),
            event("INC0000047", 2, "2/3/2016 10:00", opened="29/2/2016 04:40", group="Network"),
            event("INC0000050", 0, "13/3/2016 10:00", opened="13/3/2016 10:00", group="Network"),
            event("INC0000050", 1, "13/3/2016 11:00", opened="13/3/2016 10:00", group="?"),
            event("?", 0, "16/3/2016 08:00", opened="16/3/2016 08:00", group="Network"),
            event("INC0000060", 0, "16/3/2016 09:00", opened="16/3/2016 09:00", group="Network")]
    result = load_interactions(write_log(tmp_path, rows), "servicenow_events")
    bad = result.rejected.set_index("source_row")
    assert bad.loc[[2, 3, 4], "mapped_team"].tolist() == ["Network"] * 3  # the case's, not each event's
    assert bad.loc[[2, 3, 4], "mapped_id"].tolist() == ["INC0000047"] * 3
    assert bad.loc[[5, 6], "mapped_team"].isna().all()
    assert bad.loc[7, "mapped_team"] == "Network" and pd.isna(bad.loc[7, "mapped_id"])  # its own, no case
