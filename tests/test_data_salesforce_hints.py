"""What a new user is told when a Salesforce Service Cloud export does not load yet (#11, user test A6):
the header names likely meant (Owner Role for team, not Type), a mapping example written as YAML for
the command line, a missing mapping file named by its flag, and survey answers of rejected cases
counted apart from answers rating no case."""

import pandas as pd
import pytest
import yaml

from qoswb.cli import main
from qoswb.data import load_interactions
from qoswb.errors import DataError, ParameterError

HEADER = ["Case Number", "Case Owner", "Owner Role", "Date/Time Opened", "Date/Time Closed", "Case Origin",
          "Priority", "Status", "Type", "Subject"]


def export(folder, rows=3):
    frame = pd.DataFrame([[f"{i:08d}", "Jane Doe", "Tier 1 Support", f"10/{14 + i}/2026 03:19 PM", "", "Email",
                           "High", "New", "Problem", "Can't log in"] for i in range(rows)], columns=HEADER)
    frame.to_csv(folder / "cases.csv", index=False)
    return folder / "cases.csv"


def test_a_team_column_is_suggested_by_what_it_is_called_not_by_spelling(tmp_path):
    with pytest.raises(DataError) as caught:
        load_interactions(export(tmp_path))
    message = str(caught.value)
    assert "team (did you mean 'Owner Role'?)" in message
    assert "opened_at (did you mean 'Date/Time Opened'?)" in message
    assert "id (did you mean 'Case Number'" in message


def test_the_mapping_example_is_yaml_that_loads_the_file(tmp_path):
    path = export(tmp_path)
    with pytest.raises(DataError) as caught:
        load_interactions(path)
    example = str(caught.value).split("holding e.g. '", 1)[1].split("' and give it as --mapping FILE", 1)[0]
    (tmp_path / "mapping.yaml").write_text(example + "\n")
    assert yaml.safe_load(example)["columns"]["team"] == "Owner Role"
    assert main(["validate", str(path), "--mapping", str(tmp_path / "mapping.yaml")]) == 0


def test_a_missing_mapping_file_names_the_flag_and_the_nearest_file(tmp_path, capsys):
    path = export(tmp_path)
    (tmp_path / "mapping.yaml").write_text("columns: {id: Case Number}\n")
    assert main(["validate", str(path), "--mapping", str(tmp_path / "maping.yaml")]) == 2
    err = capsys.readouterr().err
    assert "--mapping: no mapping file" in err and "(did you mean" in err and "mapping.yaml'" in err
    with pytest.raises(ParameterError, match=r"^mapping=: no mapping file .*maping.yaml"):
        load_interactions(path, tmp_path / "maping.yaml")


def test_answers_of_rejected_cases_are_counted_apart_in_validate(tmp_path, capsys):
    path = export(tmp_path, rows=3)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "Date/Time Opened"] = "someday"  # case 00000000 rejected
    frame.to_csv(path, index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {id: Case Number, team: Owner Role, opened_at: Date/Time Opened}\n")
    answers = tmp_path / "csat.csv"
    answers.write_text("Case Number,Survey Date,Satisfaction (1-5)\n00000000,2026-10-20 10:00,5\n"
                       "00000001,2026-10-20 10:00,4\n99999999,2026-10-20 10:00,1\n")
    answers_mapping = tmp_path / "csat.yaml"
    answers_mapping.write_text("columns: {id: Case Number, answered_at: Survey Date, csat: Satisfaction (1-5)}\n")
    code = main(["validate", str(answers), "--kind", "surveys", "--mapping", str(answers_mapping),
                 "--interactions", str(path), "--interactions-mapping", str(mapping)])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 answer matches no interaction in" in out
    assert "1 answer rates an interaction rejected in" in out
