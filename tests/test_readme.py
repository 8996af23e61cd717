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
