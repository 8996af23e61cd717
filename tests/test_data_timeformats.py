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


def test_a_busy_desk_s_export_in_opening_order_is_read_day_first_not_called_ambiguous():
    """800 tickets a day, to the minute, for 40 days: its first 5,000 distinct times are all in its
    first week (no day above 12), but the days after settle the order."""
    opened = pd.date_range("2024-01-01", periods=40 * 800, freq="108s")
    r = load(opened.strftime("%d.%m.%Y %H:%M").tolist(), [""] * len(opened))
    assert r.summary["rejected"] == 0
    assert r.data["opened_at"].dt.tz_localize(None).tolist() == opened.floor("min").tolist()


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


@pytest.mark.parametrize("text, fmt, expected", [
    ("01/03/2016 09:05", "%d/%m/%Y %H:%M", "2016-03-01 09:05:00"),
    ("1/3/2016 9:05", "%d/%m/%Y %H:%M", "2016-03-01 09:05:00"),     # leading zeros optional
    ("29/2/2016 01:16", "%d/%m/%Y %H:%M", "2016-02-29 01:16:00"),
    ("31/2/2016 10:00", "%d/%m/%Y %H:%M", None),                    # not rolled over to 2 March
    ("29/2/2015 01:16", "%d/%m/%Y %H:%M", None),                    # 2015 has no 29 February
    ("1/3/2016 24:00", "%d/%m/%Y %H:%M", None),
    ("1/3/2016 9:05 x", "%d/%m/%Y %H:%M", None),                    # text left over
    ("1/3/2016  9:05", "%d/%m/%Y %H:%M", None),
    ("\uff11/3/2016 9:05", "%d/%m/%Y %H:%M", None),                 # a full-width digit
    ("2016-03-01T09:05:07", "%Y-%m-%dT%H:%M:%S", "2016-03-01 09:05:07"),
    ("2016-02-30", "%Y-%m-%d", None),
    ("1 Mar 2016", "%d %b %Y", "2016-03-01 00:00:00"),              # a month name: checked by formatting again
    ("31 Feb 2016", "%d %b %Y", None),
])
def test_strict_formats_take_each_number_as_written(text, fmt, expected):
    import pyarrow as pa

    from qoswb.data.validate import _strptime

    (value,) = _strptime(pa.array([text]), fmt).to_pylist()
    assert (None if value is None else str(value)) == expected
