"""Event logs: one row per update of a case, collapsed to one row per case (qoswb.data.events).

The files are made here with the header of the public ServiceNow export "Incident management
process enriched event log" (UCI): day-first dates like 29/2/2016 01:16, '?' for no value,
priorities like "3 - Moderate".
"""

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qoswb.cli import main
from qoswb.data import load_interactions
from qoswb.data.events import group, take
from qoswb.data.mapping import read_mapping
from qoswb.data.presets import matching
from qoswb.errors import DataError, ParameterError

HEADER = ("number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,"
          "opened_by,opened_at,sys_created_by,sys_created_on,sys_updated_by,sys_updated_at,contact_type,"
          "location,category,subcategory,u_symptom,cmdb_ci,impact,urgency,priority,assignment_group,"
          "assigned_to,knowledge,u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by,closed_code,"
          "resolved_by,resolved_at,closed_at").split(",")


def event(number, mod, updated, group="Group 24", state="Active", resolved="?", opened="29/2/2016 01:16",
          priority="3 - Moderate", reassigned="0", reopened="0", **other):
    row = dict.fromkeys(HEADER, "?")
    row.update(number=number, incident_state=state, active="true", reassignment_count=reassigned,
               reopen_count=reopened, sys_mod_count=str(mod), made_sla="true", caller_id="Caller 2403",
               opened_by="Opened by 8", opened_at=opened, sys_created_by="Created by 6", sys_created_on=opened,
               sys_updated_by="Updated by 21", sys_updated_at=updated, contact_type="Phone",
               location="Location 143", category="Category 55", subcategory="Subcategory 170",
               impact="2 - Medium", urgency="2 - Medium", priority=priority, assignment_group=group,
               resolved_at=resolved, **other)
    return row


# INC0000045: 4 updates, in the file out of order; resolved at the last one
# INC0000047: 3 updates; one update's time cannot be read: the whole case is rejected
# INC0000050: 2 updates; the group is '?' at its last update: rejected as a row would be
# INC0000057: reopened: resolved, then its resolved_at cleared at the last update
# one update with no number: rejected alone
EVENTS = [
    event("INC0000045", 0, "29/2/2016 01:23", group="?", state="New"),
    event("INC0000045", 2, "29/2/2016 11:29", group="Group 70", reassigned="1"),
    event("INC0000045", 1, "29/2/2016 08:53"),
    event("INC0000045", 3, "1/3/2016 09:52", group="Group 70", state="Resolved", resolved="1/3/2016 09:52",
          reassigned="1"),
    event("INC0000047", 0, "29/2/2016 04:40", opened="29/2/2016 04:40", state="New"),
    event("INC0000047", 1, "31/2/2016 25:00", opened="29/2/2016 04:40"),
    event("INC0000047", 2, "2/3/2016 10:00", opened="29/2/2016 04:40", resolved="2/3/2016 10:00"),
    event("INC0000050", 0, "13/3/2016 10:00", opened="13/3/2016 10:00", priority="2 - High"),
    event("INC0000050", 1, "13/3/2016 11:00", opened="13/3/2016 10:00", priority="2 - High", group="?"),
    event("INC0000057", 0, "14/3/2016 09:00", opened="14/3/2016 09:00", priority="1 - Critical",
          group="Group 25"),
    event("INC0000057", 1, "14/3/2016 12:00", opened="14/3/2016 09:00", priority="1 - Critical",
          group="Group 25", state="Resolved", resolved="14/3/2016 12:00"),
    event("INC0000057", 2, "15/3/2016 08:00", opened="14/3/2016 09:00", priority="1 - Critical",
          group="Group 25", reopened="1"),
    event("?", 0, "16/3/2016 08:00", opened="16/3/2016 08:00"),
]


def write_log(tmp_path, rows=EVENTS, name="incident_event_log.csv"):
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def log(tmp_path):
    return load_interactions(write_log(tmp_path), "servicenow_events")


def test_counts_reconcile_in_events_and_in_cases(log):
    s = log.summary
    assert s["rows_read"] == s["events"]["read"] == 13
    assert s["events"] == {"read": 13, "in_accepted_cases": 7, "rejected": 6}
    assert s["events"]["read"] == s["events"]["in_accepted_cases"] + s["events"]["rejected"]
    assert s["cases"] == {"read": 4, "accepted": 2, "rejected": 2}  # the line with no number is no case
    assert len(log.data) == s["accepted"] == 2 and len(log.rejected) == s["rejected"] == 6
    assert sum(s["rejected_by_reason"].values()) == s["rejected"]
    assert log.data["events"].tolist() == [4, 3] and log.data["events"].sum() == s["events"]["in_accepted_cases"]


def test_each_case_takes_its_last_updates_values_by_order_not_by_file_line(log):
    case = log.data.set_index("id").loc["INC0000045"]
    assert case["team"] == "Group 70" and case["incident_state"] == "Resolved"
    assert str(case["resolved_at"]) == "2016-03-01 09:52:00+00:00"
    assert str(case["opened_at"]) == "2016-02-29 01:16:00+00:00"          # take: first
    assert case["contacts"] == 2                                          # reassignment_count + 1
    assert case["sys_updated_at"] == "1/3/2016 09:52"                     # other columns: the last update's


def test_a_reopened_incident_keeps_its_last_update_cleared_resolution(log):
    case = log.data.set_index("id").loc["INC0000057"]
    assert pd.isna(case["resolved_at"]) and bool(case["reopened"]) is True


def test_rejected_events_keep_their_file_lines_and_their_cases_reasons(log):
    rejected = log.rejected.set_index("source_row")
    # an unreadable update time rejects its case: each of its 3 events, on its own line (rows 6-8)
    assert rejected.loc[[6, 7, 8], "number"].eq("INC0000047").all()
    assert rejected.loc[[6, 7, 8], "reason"].eq(
        "unparseable order ('sys_updated_at') (in an event of its case)").all()
    assert rejected.loc[7, "sys_updated_at"] == "31/2/2016 25:00"         # the event as it was read
    assert rejected.loc[[9, 10], "reason"].eq("missing team ('assignment_group')").all()
    assert rejected.loc[14, "reason"] == "missing id ('number')"
    assert log.summary["rejected_by_reason"] == {
        "unparseable order ('sys_updated_at') (in an event of its case)": 3,
        "missing team ('assignment_group')": 2, "missing id ('number')": 1}


def test_an_unreadable_value_in_an_earlier_update_rejects_its_case(tmp_path):
    rows = [event("INC1", 0, "14/3/2016 09:00", reassigned="x"), event("INC1", 1, "14/3/2016 10:00"),
            event("INC2", 0, "14/3/2016 09:00", opened="14/3/2016 08:00")]
    r = load_interactions(write_log(tmp_path, rows), "servicenow_events")
    assert r.data["id"].tolist() == ["INC2"] and r.rejected["source_row"].tolist() == [2, 3]
    assert r.rejected["reason"].str.startswith("unparseable contacts").all()
    assert r.rejected["reason"].str.endswith("(in an event of its case)").all()


def test_a_line_that_cannot_be_split_is_a_rejected_event(tmp_path):
    path = write_log(tmp_path, EVENTS[9:12])
    path.write_text(path.read_text() + "INC9,too,few,cells\n")
    r = load_interactions(path, "servicenow_events")
    assert r.summary["events"] == {"read": 4, "in_accepted_cases": 3, "rejected": 1}
    assert r.rejected["source_row"].tolist() == [5]


def test_summary_and_notes_in_words(log):
    text = log.report()
    assert text.splitlines()[0].endswith(
        "13 events read in 4 cases: 2 cases accepted (7 events), 2 cases rejected; 6 events rejected")
    assert "note: opened_at, resolved_at: read as dd/mm/yyyy HH:MM (recognised" in text
    assert "opened_at, resolved_at: read as dd/mm/yyyy HH:MM" in log.notes[-2]
    assert "note: order ('sys_updated_at'): read as dd/mm/yyyy HH:MM" in text


def test_ties_in_order_go_by_the_next_order_column_then_by_file_line(tmp_path):
    same = "14/3/2016 09:00"
    rows = [event("INC1", 1, same, group="B"), event("INC1", 0, same, group="A"),
            event("INC2", 0, same, group="C", opened="14/3/2016 08:00"),
            event("INC2", 0, same, group="D", opened="14/3/2016 08:00")]
    by_count = load_interactions(write_log(tmp_path, rows), "servicenow_events").data.set_index("id")["team"]
    assert by_count.to_dict() == {"INC1": "B", "INC2": "D"}  # sys_mod_count decides, then the later line
    by_time = load_interactions(write_log(tmp_path, rows), {"preset": "servicenow_events",
                                                             "events": {"order": "sys_updated_at"}})
    assert by_time.data.set_index("id")["team"].to_dict() == {"INC1": "A", "INC2": "D"}


@pytest.mark.parametrize("how, expected", [("last", 3.0), ("first", 1.0), ("min", 1.0), ("max", 5.0)])
def test_take_first_last_min_max(tmp_path, how, expected):
    rows = [event("INC1", 0, "14/3/2016 09:00", reassigned="0"),
            event("INC1", 1, "14/3/2016 10:00", reassigned="4"), event("INC1", 2, "14/3/2016 11:00", reassigned="2")]
    mapping = {"preset": "servicenow_events",
               "columns": {"contacts": {"expr": "reassignment_count + 1", "take": how}}}
    r = load_interactions(write_log(tmp_path, rows), mapping)
    assert r.data["contacts"].tolist() == [expected]


def test_group_and_take_directly():
    cases = group(pa.array(["A", "B", "A", "B", None]), [np.array([3.0, 2.0, 1.0, 9.0, 0.0])])
    assert cases.count == 2 and cases.events().tolist() == [2, 2]
    values = pa.array([30, 20, 10, None, 99])
    assert take(values, "last", cases).to_pylist() == [30, None]   # the last event's own value, empty or not
    assert take(values, "max", cases).to_pylist() == [30, 20]      # min and max skip empty values
    assert take(values, "first", cases).to_pylist() == [10, 20]


def test_an_event_log_mapping_in_yaml_and_on_the_cli(tmp_path, capsys):
    path = write_log(tmp_path)
    (tmp_path / "log.yaml").write_text(
        "columns: {id: number, team: assignment_group, opened_at: {column: opened_at, take: first},\n"
        "          resolved_at: resolved_at}\n"
        "missing: ['?']\n"
        "events: {case: number, order: [sys_updated_at, sys_mod_count]}\n")
    r = load_interactions(path, tmp_path / "log.yaml")
    assert r.summary["cases"] == {"read": 4, "accepted": 2, "rejected": 2}
    assert main(["validate", str(path), "--mapping", str(tmp_path / "log.yaml")]) == 1
    out = capsys.readouterr().out
    assert "13 events read in 4 cases: 2 cases accepted (7 events), 2 cases rejected; 6 events rejected" in out
    assert "read as dd/mm/yyyy HH:MM" in out
    written = pd.read_csv(tmp_path / "incident_event_log.rejected.csv")
    assert written["source_row"].tolist() == [6, 7, 8, 9, 10, 14]


def test_validate_without_a_mapping_names_the_event_log_preset(tmp_path, capsys):
    path = write_log(tmp_path)
    assert matching(HEADER)[0] == "servicenow_events"
    assert main(["validate", str(path)]) == 2
    assert "--mapping servicenow_events" in capsys.readouterr().err
    with pytest.raises(DataError, match="mapping='servicenow_events'"):
        load_interactions(path)


@pytest.mark.parametrize("mapping, message", [
    ({"id": "number", "events": {"case": "number", "ordr": "sys_updated_at"}},
     r"events: unknown key\(s\) ordr \(did you mean 'order'\?\)"),
    ({"id": "number", "events": {"case": "number"}}, "events: order should name the column"),
    ({"id": "number", "events": "number"}, "events should be a mapping with case and order"),
    ({"id": {"column": "number", "take": "last"}}, "take goes with an event log"),
    ({"id": "number", "team": {"column": "assignment_group", "take": "latest"},
      "events": {"order": "sys_updated_at"}}, r"take should be one of last, first, min, max, not 'latest'"),
])
def test_bad_event_log_mappings_say_what_is_wrong(mapping, message):
    with pytest.raises(ParameterError, match=message):
        read_mapping(mapping)


def test_an_order_column_not_in_the_header_is_named(tmp_path):
    mapping = {"preset": "servicenow_events", "events": {"case": "number", "order": "sys_updated_on"}}
    with pytest.raises(DataError, match=r"column 'sys_updated_on' \(events: order\) is not in the header "
                                        r"\(did you mean .*'sys_updated_at'"):
        load_interactions(write_log(tmp_path), mapping)


def test_an_order_whose_dates_read_both_ways_asks_for_timestamp_format(tmp_path):
    rows = [event("INC1", 0, "1/3/2016 09:00"), event("INC1", 1, "2/3/2016 09:00")]
    with pytest.raises(DataError, match=r"column 'sys_updated_at': its dates .* alike; give its format in the "
                                        r"mapping, e.g. timestamp_format: '%d/%m/%Y %H:%M'"):
        load_interactions(write_log(tmp_path, rows), "servicenow_events")
    r = load_interactions(write_log(tmp_path, rows), {"preset": "servicenow_events",
                                                      "timestamp_format": "%d/%m/%Y %H:%M"})
    assert str(r.data["opened_at"].iloc[0]) == "2016-02-29 01:16:00+00:00" and not any("order" in n for n in r.notes)


def test_a_dataframe_event_log_ordered_by_numbers_and_an_empty_one():
    mapping = {"id": "n", "team": "g", "opened_at": "o", "events": {"order": "t"}}  # case: the id's column
    frame = pd.DataFrame({"n": ["a", "a", "b"], "g": ["x", "y", "z"],
                          "o": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]), "t": [2, 1, 1]})
    r = load_interactions(frame, mapping)
    assert r.data[["id", "team", "events"]].values.tolist() == [["a", "x", 2], ["b", "z", 1]]
    empty = load_interactions(frame.iloc[:0], mapping)
    assert empty.summary["cases"] == {"read": 0, "accepted": 0, "rejected": 0} and len(empty.data) == 0
