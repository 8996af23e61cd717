"""Timestamps in common formats recognised per column without a format; an ambiguous column asks for one."""

import pandas as pd
import pytest

from qoswb.cli import main
from qoswb.data import load_interactions
from qoswb.errors import DataError

BASE = {"id": "Ticket", "team": "Team", "opened_at": "Opened", "resolved_at": "Closed"}


def load(opened, closed, **mapping):
    raw = pd.DataFrame({"Ticket": [f"T{i}" for i in range(len(opened))], "Team": "A", "Opened": opened,
                        "Closed": closed})
    return load_interactions(raw, {**BASE, **mapping})


@pytest.mark.parametrize("opened", [
    ["25/03/2024 09:00", "01/04/2024 10:30"],          # dd/mm/yyyy HH:MM
    ["25-03-2024 09:00", "01-04-2024 10:30"],          # dd-mm-yyyy HH:MM
    ["25.03.2024 09:00:00", "01.04.2024 10:30:00"],    # with seconds
    ["03/25/2024 09:00", "04/01/2024 10:30"],          # mm/dd/yyyy
    ["2024-03-25T09:00:00+00:00", "2024-04-01 11:30+01:00"],   # ISO with offsets
])
def test_common_formats_are_recognised(opened):
    r = load(opened, ["", ""])
    assert r.summary["rejected"] == 0
    assert r.data["opened_at"].tolist() == [pd.Timestamp("2024-03-25 09:00", tz="UTC"),
                                            pd.Timestamp("2024-04-01 10:30", tz="UTC")]


def test_each_column_has_its_own_format():
    r = load(["25/03/2024 09:00", "01/04/2024 10:30"], ["03-26-2024", "04-02-2024"])
    assert r.data["resolved_at"].dt.day.tolist() == [26, 2] and r.data["resolved_at"].dt.month.tolist() == [3, 4]


def test_a_value_of_another_format_is_a_rejected_row():
    r = load(["25/03/2024 09:00", "01/04/2024 10:30", "yesterday"], ["", "", ""])
    assert r.summary["accepted"] == 2 and r.rejected["reason"].tolist() == ["unparseable opened_at ('Opened')"]


def test_an_ambiguous_column_asks_for_its_format_naming_the_column():
    with pytest.raises(DataError, match=r"column opened_at \('Opened'\): its dates \(e.g. '0[34]/0[34]/2024"
                                        r" 09:00'\) read as day/month and as month/day alike.*formats: "
                                        r"\{opened_at: '%d/%m/%Y %H:%M'\}"):
        load(["03/04/2024 09:00", "04/03/2024 09:00"], ["", ""])


def test_a_format_given_settles_an_ambiguous_column():
    r = load(["03/04/2024 09:00"], [""], formats={"opened_at": "%m/%d/%Y %H:%M"})
    assert r.data["opened_at"].iloc[0] == pd.Timestamp("2024-03-04 09:00", tz="UTC")


def test_an_ambiguous_file_is_exit_2_in_validate(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("Ticket,Team,Opened\nT1,A,01/02/2024 08:00\nT2,A,02/01/2024 09:00\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {id: Ticket, team: Team, opened_at: Opened}\n")
    assert main(["validate", str(path), "--mapping", str(mapping)]) == 2
    assert "read as day/month and as month/day alike" in capsys.readouterr().err
