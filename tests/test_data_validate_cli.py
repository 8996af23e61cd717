"""``qoswb validate``: summary printed, rejected rows written, exit 0 / 1 / 2."""

import pandas as pd

from qoswb.cli import main


def test_clean_file_exits_0_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "clean.csv"
    path.write_text("id,team,opened_at\nA,T,2024-01-01\n")
    assert main(["validate", str(path)]) == 0
    assert "1 rows read, 1 accepted, 0 rejected" in capsys.readouterr().out
    assert not (tmp_path / "clean.rejected.csv").exists()


def test_rejected_rows_exit_1_and_are_written_beside_the_input(tmp_path, capsys):
    path = tmp_path / "cases.csv"
    path.write_text("Case;Group;Opened\nA;T;01/02/2024\nB;;01/02/2024\nC;T;31/02/2024\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("kind: interactions\ncolumns: {id: Case, team: Group, opened_at: Opened}\n"
                       "timestamp_format: '%d/%m/%Y'\n")
    assert main(["validate", str(path), "--mapping", str(mapping)]) == 1
    out = capsys.readouterr().out
    assert "3 rows read, 1 accepted, 2 rejected" in out
    assert "missing team ('Group'): 1" in out and "unparseable opened_at ('Opened'): 1" in out
    rejected = pd.read_csv(tmp_path / "cases.rejected.csv", dtype=str)
    assert rejected["Case"].tolist() == ["B", "C"] and rejected["source_row"].tolist() == ["3", "4"]
    assert rejected["Opened"].tolist() == ["01/02/2024", "31/02/2024"]  # as in the file

    elsewhere = tmp_path / "out" / "bad.csv"
    assert main(["validate", str(path), "--mapping", str(mapping), "--rejected", str(elsewhere)]) == 1
    assert len(pd.read_csv(elsewhere)) == 2


def test_errors_exit_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_text("Ticket,When\nA,2024-01-01\n")
    assert main(["validate", str(path), "--kind", "surveys"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "s.csv" in err and "answered_at" in err
    assert main(["validate", str(tmp_path / "none.csv")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_database_url_with_table(tmp_path, capsys, monkeypatch):
    import sqlite3

    db = tmp_path / "cases.sqlite"
    with sqlite3.connect(db) as con:
        pd.DataFrame({"id": ["A", "A"], "team": ["T", "T"], "opened_at": ["2024-01-01", "2024-01-02"]}).to_sql(
            "cases", con, index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", f"sqlite:///{db}", "--table", "cases"]) == 1
    assert "duplicate id: 1" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "rejected.csv")["source_row"].tolist() == [2]
