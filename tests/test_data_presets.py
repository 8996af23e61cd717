"""Presets for help desks' exports: files made here with the vendors' documented column names."""

import pytest

from qoswb.cli import main
from qoswb.data import load_interactions
from qoswb.data.mapping import read_mapping
from qoswb.data.presets import matching, names
from qoswb.errors import DataError, ParameterError

ZENDESK = ("Id,Subject,Status,Priority,Via,Ticket type,Group,Created at,Solved at,Replies,"
           "First reply time in minutes,Satisfaction Score\n"
           "101,Login,solved,Normal,Mail,question,Billing,2024-03-01 09:00:00,2024-03-01 12:00:00,2,90,Good\n"
           "102,Refund,open,High,Web form,problem,Billing,2024-03-02 10:00:00,,0,,Offered\n"
           "103,Crash,solved,Low,Phone,incident,Tech,2024-03-03 08:30:00,2024-03-04 08:30:00,5,1:15:00,Bad\n")
FRESHDESK = ("Ticket ID,Subject,Status,Priority,Source,Type,Agent,Group,Created time,Resolved time,"
             "Initial response time,First response time (in hrs),Resolution time (in hrs),Agent interactions\n"
             "7,Help,Closed,Medium,Email,Question,Ann,Desk,2024-03-01 09:00:00,2024-03-01 11:30:00,"
             "2024-03-01 09:45:00,00:45:00,02:30:00,3\n")
SERVICENOW = ("number,short_description,priority,state,assignment_group,opened_at,resolved_at,contact_type,"
              "category,reassignment_count,sys_updated_on\n"
              "INC0010001,VPN down,2 - High,Resolved,Network,2024-03-01 08:00:00,2024-03-01 09:00:00,phone,"
              "network,1,2024-03-01 09:00:00\n")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("preset, text, first", [("zendesk", ZENDESK, "101"), ("freshdesk", FRESHDESK, "7"),
                                                 ("servicenow", SERVICENOW, "INC0010001")])
def test_each_preset_loads_its_vendors_export(tmp_path, preset, text, first):
    r = load_interactions(write(tmp_path, f"{preset}.csv", text), preset)
    assert r.summary["rejected"] == 0 and r.data["id"].iloc[0] == first
    assert r.data["team"].notna().all() and r.data["resolved_at"].notna().iloc[0]


def test_zendesk_first_reply_minutes_become_a_timestamp(tmp_path):
    r = load_interactions(write(tmp_path, "z.csv", ZENDESK), "zendesk")
    replied = r.data.set_index("id")["first_response_at"]
    assert str(replied["101"]) == "2024-03-01 10:30:00+00:00"     # 09:00 + 90 minutes
    assert str(replied["103"]) == "2024-03-03 09:45:00+00:00"     # 08:30 + 1:15:00
    assert replied.isna()["102"]                                  # not yet replied: no value, not rejected


def test_preset_plus_keys_that_override_it(tmp_path):
    mapping = {"preset": "zendesk", "columns": {"team": "Via"}, "timezone": "Europe/London"}
    r = load_interactions(write(tmp_path, "z.csv", ZENDESK), mapping)
    assert sorted(r.data["team"].unique()) == ["Mail", "Phone", "Web form"]
    assert str(r.data["opened_at"].iloc[0]) == "2024-03-01 09:00:00+00:00"  # March: London is UTC
    assert read_mapping(mapping).columns["resolved_at"] == {"column": "Solved at"}  # the rest kept


def test_preset_over_a_freshdesk_hh_mm_ss_duration(tmp_path):
    mapping = {"preset": "freshdesk", "columns": {
        "first_response_at": {"after": "opened_at", "hours": "First response time (in hrs)"}}}
    r = load_interactions(write(tmp_path, "f.csv", FRESHDESK), mapping)
    assert str(r.data["first_response_at"].iloc[0]) == "2024-03-01 09:45:00+00:00"


def test_a_bare_preset_name_in_the_cli(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, "z.csv", ZENDESK)), "--mapping", "zendesk"]) == 0
    assert "3 accepted" in capsys.readouterr().out


def test_a_bare_preset_name_in_a_parameters_file(tmp_path):
    from qoswb.reports.params import load as read_parameters

    write(tmp_path, "z.csv", ZENDESK)
    params = write(tmp_path, "p.yaml", "templates: [team_report]\nperiods: [2024-03]\noutput: out\ndata: {source: z.csv, mapping: zendesk}\n")
    assert read_parameters(params).data["mapping"] == "zendesk"


def test_an_unknown_preset_name_says_which_exist():
    with pytest.raises(ParameterError, match=r"unknown mapping preset 'zendsk' \(did you mean 'zendesk'"):
        read_mapping("zendsk")
    with pytest.raises(ParameterError, match="unknown mapping preset 'jira'"):
        read_mapping({"preset": "jira"})


@pytest.mark.parametrize("text, preset", [(ZENDESK, "zendesk"), (FRESHDESK, "freshdesk"),
                                          (SERVICENOW, "servicenow")])
def test_validate_without_a_mapping_names_the_preset_that_fits(tmp_path, capsys, text, preset):
    assert main(["validate", str(write(tmp_path, "export.csv", text))]) == 2
    assert f"--mapping {preset}" in capsys.readouterr().err
    with pytest.raises(DataError, match=f"mapping='{preset}'"):
        load_interactions(tmp_path / "export.csv")


def test_a_header_of_no_vendor_matches_no_preset():
    assert matching(["Case", "Team", "Opened"]) == [] and names() == ["freshdesk", "servicenow", "servicenow_events", "zendesk"]


@pytest.mark.parametrize("mapping", ["zendesk", {"preset": "zendesk", "timezone": "UTC"}])
def test_an_export_with_only_a_presets_required_columns_loads_and_lists_the_rest_absent(tmp_path, mapping):
    path = tmp_path / "tickets.csv"
    path.write_text("Id,Group,Created at\n1,Billing,2025-03-03 09:00\n2,Returns,2025-03-03 10:00\n")
    result = load_interactions(path, mapping=mapping)
    assert result.summary["accepted"] == 2 and result.data["team"].tolist() == ["Billing", "Returns"]
    assert any("optional columns absent" in note and "resolved_at" in note for note in result.notes)


def test_a_users_own_column_missing_from_the_header_is_still_an_error_over_a_preset(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("Id,Group,Created at\n1,Billing,2025-03-03 09:00\n")
    with pytest.raises(DataError, match="column 'Solved on' .mapped to resolved_at. is not in the header"):
        load_interactions(path, mapping={"preset": "zendesk", "columns": {"resolved_at": "Solved on"}})
