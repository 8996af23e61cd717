"""The README's batch example (surveys in a batch, SLA targets, a new KPI) works as written.

Hand-computed: in March 2025 Billing has tickets B1 (P1, first reply 30 min, solved in 200 min) and B2
(P2, 90 min, 600 min); B1's answer rates 5, B2's 2, and one answer rates a ticket not in the export.
Claims's ticket C1 is a P3 (every priority the README's sla: names must be in the data).
"""

import re

import pandas as pd

from conftest import REPO
from qoswb.metrics import registry
from qoswb.reports import cache as rc
from qoswb.reports.params import parse

TICKETS = """Ticket ID,Queue,Created,First Reply,Solved,Priority
B1,Billing,2025-03-03 09:00,2025-03-03 09:30,2025-03-03 12:20,P1
B2,Billing,2025-03-04 09:00,2025-03-04 10:30,2025-03-04 19:00,P2
C1,Claims,2025-03-10 09:00,2025-03-10 09:20,2025-03-10 12:00,P3
"""
ANSWERS = """Ticket ID,Responded,Rating,Comment
B1,2025-03-05 10:00,5,Quick and kind
B2,2025-03-06 10:00,2,Took all day
Z9,2025-03-06 11:00,4,Which ticket?
"""


def block(lang: str, starts: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (found,) = [b for b in re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S) if b.startswith(starts)]
    return found


def test_the_readme_batch_with_surveys_and_sla_targets(tmp_path):
    import yaml

    (tmp_path / "tickets.csv").write_text(TICKETS)
    (tmp_path / "csat.csv").write_text(ANSWERS)
    params = parse(yaml.safe_load(block("yaml", "# batch.yaml")), origin="batch.yaml", base=tmp_path)
    assert params.sla == {"first_response": 60, "resolution": {"P1": 240, "P2": 480, "P3": 1440}}
    folder = rc.build(params.data, params.grain, params.output, kpis=params.kpis, sla=params.sla)
    table = pd.read_parquet(folder / "kpis.parquet")
    week = table[(table["team"] == "Billing") & (table["period"] == pd.Timestamp("2025-03-03"))].set_index("kpi")
    assert week.loc["csat", ["numerator", "denominator"]].tolist() == [1, 2]  # 5 is a 4-5, 2 is not
    assert week.loc["sla_response", ["numerator", "denominator"]].tolist() == [1, 2]  # 30 <= 60, 90 > 60
    assert week.loc["sla_resolution", ["numerator", "denominator"]].tolist() == [1, 2]  # 200 <= 240; 600 > 480
    info = rc.meta(folder)
    assert info["sla"] == "first response: 60 min; resolution: P1 240 min, P2 480 min, P3 1440 min"
    assert info["summaries"]["surveys"]["unmatched"] == 1  # Z9's answer: counted, not silently dropped


def test_the_readme_new_kpi_example():
    from qoswb.metrics import kpis

    code = block("python", "from qoswb.metrics import Kpi, register")
    tickets = pd.DataFrame({"id": ["a", "b", "c"], "team": "x",
                            "opened_at": pd.to_datetime(["2025-03-03 09:00"] * 3).tz_localize("UTC")})
    tickets["resolved_at"] = tickets["opened_at"] + pd.to_timedelta(["2h", "30h", "24h"])
    try:
        exec(code, {})  # the README's own text, run as a user would paste it
        table = kpis(tickets, kpis=["resolved_in_a_day"]).set_index("kpi")
    finally:
        registry.unregister("resolved_in_a_day")
    assert table.loc["resolved_in_a_day", ["numerator", "denominator"]].tolist() == [2, 3]  # 2 h and 24 h
