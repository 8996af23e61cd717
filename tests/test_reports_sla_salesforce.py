"""Per-priority SLA targets of a batch on a Salesforce-style export (#11, user test A5): a mistyped
priority stops the batch naming the parameters file; interactions whose priority has no target are
said in the team and portfolio reports, not only in the KPI table's notes."""

import pandas as pd
import pytest

from qoswb.cli import main
from qoswb.reports import cache as rc
from qoswb.reports import views

ROWS = pd.DataFrame({
    "Case Number": ["00001001", "00001002", "00001003", "00001004"],
    "Owner Role": ["Tier 1 Support"] * 4,
    "Priority": ["High", "Medium", "Critical", "High"],
    "Date/Time Opened": ["02/13/2024 09:00 AM", "02/14/2024 09:00 AM", "02/17/2024 01:00 PM", "02/24/2024 09:00 AM"],
    "Date/Time Closed": ["02/13/2024 10:00 AM", "02/14/2024 03:00 PM", "02/17/2024 02:00 PM", "02/24/2024 02:00 PM"],
})
MAPPING = ("columns: {id: Case Number, team: Owner Role, priority: Priority, opened_at: Date/Time Opened, "
           "resolved_at: Date/Time Closed}\ntimezone: America/New_York\n")


def parameters(folder, sla):
    import yaml

    from qoswb.reports.testing import make_parameters, make_template

    ROWS.to_csv(folder / "cases.csv", index=False)
    (folder / "mapping.yaml").write_text(MAPPING)
    make_template(folder, "tiny")
    return make_parameters(folder, templates=["tiny.ipynb"], data={"source": "cases.csv", "mapping": "mapping.yaml"},
                           teams="all", periods=["2024-02"], sla=yaml.safe_load(sla), workers=1)


def test_a_mistyped_priority_stops_the_batch_naming_the_parameters_file(tmp_path, capsys):
    path = parameters(tmp_path, "resolution: {Hihg: 240, Medium: 1440}")
    assert main(["batch", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("batch.yaml: sla (resolution): no interaction has priority 'Hihg' (did you mean "
                        "'High'?); the data's priorities: 'Critical', 'High', 'Medium'"), err
    assert len(err.splitlines()) == 1


@pytest.mark.slow
def test_interactions_without_a_target_are_said_in_the_reports(tmp_path):
    from qoswb.reports.params import load

    params = load(parameters(tmp_path, "resolution: {High: 240, Medium: 1440}"))
    cache = rc.build(params.data, params.grain, params.output, kpis=params.kpis, sla=params.sla,
                     origin=params.origin)
    said = ("In the whole data, sla (resolution): 1 interaction(s) have no target for their priority "
            "('Critical') and are not counted in that SLA.")
    team = views.team_view(cache, "Tier 1 Support", "2024-02-01", "2024-03-01")
    portfolio = views.portfolio_view(cache, "2024-02-01", "2024-03-01")
    assert team.caveats == [said] and portfolio.caveats == [said]
    # and the shipped templates print them
    from test_reports_escaping import run_report

    page, _ = run_report("team_report", {"team": "Tier 1 Support"}, cache, tmp_path)
    assert "Not counted in the figures" in page.text and "have no target for their priority" in page.text
