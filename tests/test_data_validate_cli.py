"""``qoswb validate``: summary printed, rejected rows written, exit 0 / 1 / 2."""

import pandas as pd

from qoswb.cli import main


def test_clean_file_exits_0_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "clean.csv"
    path.write_text("id,team,opened_at\nA,T,2024-01-01\n")
    assert main(["validate", str(path)]) == 0
    assert "1 row read, 1 accepted, 0 rejected" in capsys.readouterr().out
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


BAD = "id,team,opened_at\nA,T,2024-01-01\nB,,2024-01-01\n"


def test_rejects_file_is_named_from_the_whole_input_name(tmp_path, capsys):
    for month in ("2024-01", "2024-02"):
        (tmp_path / f"tickets.{month}.csv").write_text(BAD.replace("B,", f"B{month},"))
        assert main(["validate", str(tmp_path / f"tickets.{month}.csv")]) == 1
    for month in ("2024-01", "2024-02"):  # two months never share a file
        rejected = pd.read_csv(tmp_path / f"tickets.{month}.rejected.csv", dtype=str)
        assert rejected.columns[:2].tolist() == ["source_row", "reason"]
        assert rejected["id"].tolist() == [f"B{month}"]
    assert not (tmp_path / "tickets.rejected.csv").exists()


def test_validating_a_rejects_file_never_overwrites_it(tmp_path, capsys):
    source = tmp_path / "x.csv"
    source.write_text(BAD)
    assert main(["validate", str(source)]) == 1
    first = tmp_path / "x.rejected.csv"
    before = first.read_bytes()
    assert main(["validate", str(first)]) == 1  # its row still has no team
    assert first.read_bytes() == before
    assert pd.read_csv(tmp_path / "x.rejected.rejected.csv")["id"].tolist() == ["B"]
    capsys.readouterr()
    for target in (source, first):
        assert main(["validate", str(target), "--rejected", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{target}: is the file being validated; not overwritten" in err
    assert source.read_text() == BAD and first.read_bytes() == before


def test_a_file_qoswb_did_not_write_is_not_overwritten(tmp_path, capsys):
    source = tmp_path / "cases.csv"
    source.write_text(BAD)
    mine = tmp_path / "cases.rejected.csv"
    mine.write_text("my,own,notes\n1,2,3\n")
    assert main(["validate", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{mine}: exists and is not a rejects file qoswb wrote" in err
    assert mine.read_text() == "my,own,notes\n1,2,3\n"
    assert main(["validate", str(source), "--rejected", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_survey_answers_that_match_no_interaction_are_counted(tmp_path, capsys):
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("Ticket,Queue,Created\nT1,North,2024-01-01\nT2,South,2024-01-02\n")
    mapping = tmp_path / "tickets.yaml"
    mapping.write_text("kind: interactions\ncolumns: {id: Ticket, team: Queue, opened_at: Created}\n")
    answers = tmp_path / "answers.csv"
    answers.write_text("id,answered_at,csat\nT1,2024-01-03,5\nT9,2024-01-03,1\nT8,2024-01-04,2\n")
    assert main(["validate", str(answers), "--kind", "surveys", "--interactions", str(tickets),
                 "--interactions-mapping", str(mapping)]) == 1
    out = capsys.readouterr().out
    assert "3 rows read, 3 accepted, 0 rejected" in out
    assert f"2 answers match no interaction in {tickets}" in out
    answers.write_text("id,answered_at,csat\nT1,2024-01-03,5\nT2,2024-01-03,1\n")
    assert main(["validate", str(answers), "--kind", "surveys", "--interactions", str(tickets),
                 "--interactions-mapping", str(mapping)]) == 0
    assert "0 answers match no interaction" in capsys.readouterr().out
    assert main(["validate", str(tickets), "--interactions", str(tickets)]) == 2
    capsys.readouterr()
    # the tickets' own columns, without their mapping: the option to give is named
    assert main(["validate", str(answers), "--kind", "surveys", "--interactions", str(tickets)]) == 2
    err = capsys.readouterr().err
    assert "give it as --interactions-mapping FILE" in err and "as --mapping" not in err, err


def test_one_export_s_tickets_and_ratings_keep_a_rejects_file_each(tmp_path):
    export = tmp_path / "export.csv"  # tickets and their ratings in one file, as Jira exports them
    export.write_text("id,team,opened_at,answered_at,csat\nT1,North,2024-01-01,2024-01-02,5\n"
                      "T2,North,not a date,2024-01-03,4\nT3,South,2024-01-02,,\n")
    assert main(["validate", str(export)]) == 1
    assert main(["validate", str(export), "--kind", "surveys"]) == 1
    tickets = pd.read_csv(tmp_path / "export.rejected.csv", dtype=str)
    answers = pd.read_csv(tmp_path / "export.surveys.rejected.csv", dtype=str)
    assert tickets["id"].tolist() == ["T2"] and answers["id"].tolist() == ["T3"]


def test_the_summary_shows_control_characters_from_the_data_escaped(tmp_path, capsys):
    path = tmp_path / "esc.csv"
    path.write_bytes(b"id,team,opened_at,x\x1b[2J,x\x1b[2J\nA,T,2024-01-01,1,2\nA,T,2024-01-02,1,2\n")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "x\\x1b[2J" in out
