"""Presets' contacts give first-contact resolution as each vendor counts it, and missing: blanks every
kept column (#11 follow-up). Files made here with the vendors' column names."""

import pandas as pd

from qoswb.data import load_interactions
from qoswb.metrics import kpis

# ServiceNow incident table: reassignment_count is how many times the incident moved to another group,
# so 0 = solved by the group that took it first (one contact), 1 = worked by two groups
SERVICENOW = ("number,short_description,priority,state,assignment_group,opened_at,resolved_at,contact_type,"
              "category,reassignment_count,sys_updated_on\n"
              "INC0010001,VPN down,2 - High,Resolved,Network,2024-03-04 08:00:00,2024-03-04 09:00:00,phone,"
              "network,0,2024-03-04 09:00:00\n"
              "INC0010002,Mail full,3 - Moderate,Resolved,Network,2024-03-05 08:00:00,2024-03-05 12:00:00,email,"
              "software,1,2024-03-05 12:00:00\n"
              "INC0010003,Printer,4 - Low,Resolved,Network,2024-03-06 08:00:00,2024-03-06 10:00:00,self-service,"
              "hardware,0,2024-03-06 10:00:00\n")
ZENDESK = ("Id,Subject,Requester,Status,Priority,Via,Ticket type,Group,Created at,Solved at,Replies,"
           "First reply time in minutes\n"
           "101,Login,-,solved,Normal,Mail,question,Billing,2024-03-01 09:00:00,2024-03-01 12:00:00,1,90\n"
           "102,Refund, - ,solved,High,Web form,problem,Billing,2024-03-02 10:00:00,2024-03-02 11:00:00,2,30\n"
           "103,Crash,Ann,solved,Low,Phone,incident,Billing,2024-03-03 08:30:00,2024-03-04 08:30:00,1,20\n")


def test_servicenow_counts_an_incident_never_reassigned_as_first_contact(tmp_path):
    path = tmp_path / "incident.csv"
    path.write_text(SERVICENOW)
    r = load_interactions(path, "servicenow")
    assert r.data["contacts"].tolist() == [1, 2, 1]
    fcr = kpis(r.data, freq="M", kpis=["fcr"])
    assert fcr[["numerator", "denominator"]].sum().tolist() == [2, 3]  # two of three never reassigned


def test_missing_values_blank_the_kept_columns_too(tmp_path):
    path = tmp_path / "zendesk.csv"
    path.write_text(ZENDESK)
    r = load_interactions(path, "zendesk")
    assert r.data["Requester"].isna().tolist() == [True, True, False]  # "-" (spaces aside) is no value
    assert r.data["Subject"].tolist() == ["Login", "Refund", "Crash"]
    fcr = kpis(r.data, freq="M", kpis=["fcr"])
    assert fcr[["numerator", "denominator"]].sum().tolist() == [2, 3]  # one-touch: solved with one reply
