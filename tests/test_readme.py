"""README's promises: the quick start has exactly two commands, and its mapping example loads."""

import re

from conftest import REPO
from qoswb import data


def _blocks(lang):
    text = (REPO / "README.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    section = (REPO / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert commands[1] in (REPO / ".ci" / "run").read_text()


def test_mapping_example_loads_an_export(tmp_path):
    (yaml_block,) = [b for b in _blocks("yaml") if b.startswith("# mapping.yaml")]
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml_block)
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "Ticket ID,Queue,Created,First Reply,Solved\n"
        "T1,Billing,2024-03-30 09:00,2024-03-30 09:30,2024-03-31 10:00\n"
        "T2,Billing,2024-03-31 09:00,,\n"
        "T3,,2024-03-31 09:00,,\n"
    )
    result = data.load_interactions(tickets, mapping=mapping)
    assert result.summary["rows_read"] == 3
    assert result.summary["accepted"] == 2 and result.summary["rejected"] == 1
    assert list(result.rejected["Ticket ID"]) == ["T3"]
    # naive timestamps read in the mapping's timezone: 31 March 2024 09:00 is BST (UTC+1)
    t2 = result.data.set_index("id").loc["T2", "opened_at"]
    assert t2.tz_convert("UTC").hour == 8


def test_preset_example_loads_a_zendesk_export(tmp_path):
    import pandas as pd

    for name in ("zendesk-ours.yaml", "zendesk-csat.yaml"):
        (block,) = [b for b in _blocks("yaml") if b.startswith(f"# {name}")]
        (tmp_path / name).write_text(block)
    export = tmp_path / "tickets.csv"
    export.write_bytes(
        ("Id,Subject,Support team,Group,Created at,Updated at,Solved at,Via,Ticket type,Priority,Agent replies,"
         "First reply time in minutes,Satisfaction Score\n"
         "1,Refund of 20 €,Billing,Tier 1,2024-03-04 09:00:00,2024-03-05 09:00:00,2024-03-04 12:00:00,Mail,"
         "question,Normal,2,45,Good\n"
         "2,It wasn’t delivered,Billing,Tier 1,2024-03-04 10:00:00,2024-03-05 09:00:00,N/A,Web form,problem,High,"
         "0,-,offered\n"
         "3,Crash,Tech,Tier 2,2024-03-05 09:00:00,2024-03-05 09:00:00,?,Phone,incident,Low,1,30,Great\n"
         ).encode("cp1252"))
    tickets = data.load_interactions(export, mapping=tmp_path / "zendesk-ours.yaml")
    assert tickets.summary["accepted"] == 3 and tickets.summary["rejected"] == 0
    ok = tickets.data.set_index("id")
    assert ok["team"].tolist() == ["Billing", "Billing", "Tech"] and ok["contacts"].tolist() == [3, 1, 2]
    assert ok.loc["1", "first_response_at"] - ok.loc["1", "opened_at"] == pd.Timedelta("45min")
    assert ok["resolved_at"].isna().tolist() == [False, True, True]  # N/A and ? mean no value
    assert ok.loc["2", "Subject"] == "It wasn’t delivered" and ok.loc["1", "Subject"] == "Refund of 20 €"
    assert any("read as Windows-1252" in note for note in tickets.notes)

    answers = data.load_surveys(export, mapping=tmp_path / "zendesk-csat.yaml")
    assert answers.data.set_index("id")["csat"].tolist()[:1] == [5] and answers.summary["accepted"] == 2
    assert answers.rejected["reason"].tolist() == ["csat ('Satisfaction Score') value not named in its recode "
                                                   "(values:)"]


def test_event_log_example_loads_a_servicenow_event_log(tmp_path):
    from test_data_events import EVENTS, write_log

    (block,) = [b for b in _blocks("yaml") if b.startswith("# incidents-log.yaml")]
    (tmp_path / "incidents-log.yaml").write_text(block)
    result = data.load_interactions(write_log(tmp_path, EVENTS), mapping=tmp_path / "incidents-log.yaml")
    (shown,) = [b for b in _blocks("bash") if "incidents-log.yaml" in b]
    first = result.report().splitlines()[0]
    assert first.split(": ", 1)[1] in shown                      # the summary README shows is the one printed
    assert result.summary["cases"] == {"read": 4, "accepted": 2, "rejected": 2}
    assert [n for n in result.notes if "dd/mm/yyyy HH:MM" in n][0] in shown
