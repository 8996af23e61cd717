"""Every kind of source gives the same canonical result; unreadable ones give a DataError naming them."""

import gzip

import pandas as pd
import pytest

from qoswb.data import DataError, load_interactions

ROWS = [("A1", "Nörth", "2024-01-01 09:00:00", "2"), ("A2", "South", "2024-01-02 10:30:00", "1")]


def frame():
    return pd.DataFrame(ROWS, columns=["id", "team", "opened_at", "contacts"])


def text(delimiter=",", newline="\n"):
    lines = [delimiter.join(["id", "team", "opened_at", "contacts"])]
    lines += [delimiter.join(r) for r in ROWS]
    return newline.join(lines) + newline


def check(result, source_rows=(2, 3)):
    d = result.data
    assert result.summary["accepted"] == 2 and result.summary["rejected"] == 0
    assert d["id"].tolist() == ["A1", "A2"] and d["team"].tolist() == ["Nörth", "South"]
    assert d["opened_at"].tolist() == [pd.Timestamp("2024-01-01 09:00", tz="UTC"),
                                       pd.Timestamp("2024-01-02 10:30", tz="UTC")]
    assert d["contacts"].tolist() == [2, 1]


@pytest.mark.parametrize("name, content", [
    ("plain.csv", text().encode()),
    ("bom.csv", b"\xef\xbb\xbf" + text().encode()),
    ("crlf.csv", text(newline="\r\n").encode()),
    ("semicolon.csv", text(";").encode()),
    ("pipe.txt", text("|").encode()),
    ("tabs.tsv", text("\t").encode()),
    ("latin1.csv", text(";").encode("latin-1")),
    ("cp1252.csv", text().encode("cp1252")),
    ("utf16.csv", text().encode("utf-16")),
    ("zipped.csv.gz", gzip.compress(text().encode(), mtime=0)),
])
def test_delimited_text_variants(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    check(load_interactions(path))


def test_latin1_bytes_far_into_a_file_that_starts_as_utf8(tmp_path):
    path = tmp_path / "late.csv"
    filler = "".join(f"B{i},South,2024-01-03 00:00:00,1\n" for i in range(20000))  # > the 64 KiB sniffed
    path.write_bytes((text() + filler).encode() + "C1,Sü,2024-01-03 00:00:00,1\n".encode("latin-1"))
    r = load_interactions(path)
    assert r.summary["accepted"] == 20003 and r.data["team"].iloc[-1] == "Sü"
    assert any("read as Windows-1252" in n for n in r.notes)  # Latin-1's letters, Windows-1252's € ’


# pyarrow cannot hand such a row to the handler as UTF-8 text and says so on stderr; we read again
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_latin1_bytes_far_into_the_file_in_a_row_with_too_many_cells(tmp_path):
    path = tmp_path / "late_bad.csv"
    filler = "".join(f"B{i},South,2024-01-03 00:00:00,1\n" for i in range(20000))
    path.write_bytes((text() + filler).encode() + "C1,Sü,2024-01-03 00:00:00,1,extra\n".encode("latin-1"))
    r = load_interactions(path)
    assert r.summary["rows_read"] == 20003 and r.summary["rejected"] == 1
    assert r.rejected["row_text"].iloc[0] == "C1,Sü,2024-01-03 00:00:00,1,extra"


def test_quoted_values_with_delimiters_and_newlines(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('id,team,opened_at,category\nA1,"North, East",2024-01-01,"two\nlines"\n'
                    'A2,South,2024-01-02,x\n')
    r = load_interactions(path)
    assert r.data["team"].tolist() == ["North, East", "South"]
    assert r.data["category"].iloc[0] == "two\nlines"


def test_parquet(tmp_path):
    path = tmp_path / "data.parquet"
    frame().to_parquet(path)
    check(load_interactions(path))


def test_parquet_with_typed_columns_keeps_its_timezone(tmp_path):
    path = tmp_path / "typed.parquet"
    f = frame().assign(opened_at=lambda x: pd.to_datetime(x["opened_at"]).dt.tz_localize("Europe/Paris"),
                       contacts=lambda x: x["contacts"].astype(int))
    f.to_parquet(path)
    r = load_interactions(path)
    assert str(r.data["opened_at"].dt.tz) == "Europe/Paris" and r.data["contacts"].tolist() == [2, 1]
    r = load_interactions(path, timezone="Europe/London")
    assert r.data["opened_at"].dt.hour.tolist() == [8, 9]


def test_excel(tmp_path):
    path = tmp_path / "data.xlsx"
    frame().to_excel(path, index=False)
    check(load_interactions(path))


def test_duckdb_file_table_and_query(tmp_path):
    import duckdb

    path = tmp_path / "data.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE cases AS SELECT * FROM (VALUES ('A1','Nörth','2024-01-01 09:00:00','2'),"
                    "('A2','South','2024-01-02 10:30:00','1'),('Z9','South','2024-01-02 10:30:00','1'))"
                    " t(id, team, opened_at, contacts)")
    check(load_interactions(path, query="SELECT * FROM cases WHERE id <> 'Z9'"))
    assert load_interactions(path, table="cases").summary["accepted"] == 3
    with pytest.raises(DataError, match=r"data.duckdb: say which data.*tables: cases"):
        load_interactions(path)
    with pytest.raises(DataError, match="data.duckdb"):
        load_interactions(path, table="nope")


def test_sqlite_url_table_and_query(tmp_path):
    import sqlite3

    path = tmp_path / "data.sqlite"
    with sqlite3.connect(path) as con:
        frame().to_sql("cases", con, index=False)
    url = f"sqlite:///{path}"
    check(load_interactions(url, table="cases"), source_rows=(1, 2))
    r = load_interactions(url, query="SELECT * FROM cases WHERE id = 'A2'")
    assert r.data["id"].tolist() == ["A2"]
    with pytest.raises(DataError, match=r"sqlite:///.*\(missing\)"):
        load_interactions(url, table="missing")


def test_dataframe_source_numbers_rows_from_one():
    f = pd.concat([frame(), pd.DataFrame([("A3", None, "2024-01-03", "1")], columns=frame().columns)])
    r = load_interactions(f)
    assert r.rejected["source_row"].tolist() == [3] and r.rejected["reason"].tolist() == ["missing team"]


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\n\n  \n", "empty"),
    (b"\xef\xbb\xbf", "empty"),
])
def test_empty_files(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"{path}.*{message}"):
        load_interactions(path)


def test_header_only_is_an_empty_result(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("id,team,opened_at\n")
    r = load_interactions(path)
    assert r.summary["rows_read"] == r.summary["accepted"] == r.summary["rejected"] == 0
    assert list(r.data.columns) == ["id", "team", "opened_at"]


def test_blank_lines_are_skipped_but_keep_row_numbers(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("id,team,opened_at\nA,T,2024-01-01\n\n,T,2024-01-01\n")
    r = load_interactions(path)
    assert r.rejected["source_row"].tolist() == [4] and r.summary["rows_read"] == 2
    assert any("blank" in n for n in r.notes)


def test_repeated_header_names(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,team,opened_at,team\nA,T,2024-01-01,U\n")
    with pytest.raises(DataError, match="'team'.*more than once"):
        load_interactions(path, {"team": "team"})
    path.write_text("id,team,opened_at,note,note\nA,T,2024-01-01,x,y\n")
    r = load_interactions(path)
    assert r.data[["note", "note.1"]].iloc[0].tolist() == ["x", "y"] and any("repeated" in n for n in r.notes)


def test_missing_file():
    with pytest.raises(DataError, match="nowhere.csv: file not found"):
        load_interactions("nowhere.csv")


def test_excel_with_typed_cells_and_a_sheet_name(tmp_path):
    path = tmp_path / "typed.xlsx"
    f = pd.DataFrame({"id": ["A1", "A2"], "team": ["N", "S"],
                      "opened_at": pd.to_datetime(["2024-07-01 09:00", "2024-07-02 10:30"]),
                      "contacts": [2, 1], "reopened": [True, False], "sla_minutes": [30.0, 480.0]})
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="cover", index=False)
        f.to_excel(writer, sheet_name="cases", index=False)
    r = load_interactions(path, sheet="cases", timezone="Europe/London")
    assert r.ok and r.data["opened_at"].iloc[1] == pd.Timestamp("2024-07-02 10:30", tz="Europe/London")
    assert r.data["contacts"].tolist() == [2, 1] and r.data["reopened"].tolist() == [True, False]
    with pytest.raises(DataError, match="typed.xlsx"):
        load_interactions(path, sheet="nope")


def test_dataframe_with_nanosecond_timestamps():
    f = frame().assign(opened_at=pd.to_datetime(["2024-01-01 09:00:00.000000001", "2024-01-02 10:30:00.0"],
                                                format="ISO8601"))
    r = load_interactions(f)
    assert r.ok and r.data["opened_at"].iloc[0] == pd.Timestamp("2024-01-01 09:00", tz="UTC")


def test_an_unclosed_quote_stops_with_the_line_and_column_where_it_opens(tmp_path):
    # it swallows line 4, a record of its own: reading on would count 2 rows for 3 records
    path = tmp_path / "quote.csv"
    path.write_text('id,team,opened_at\nZ,West,2024-01-01\nA,"North,2024-01-01\nB,South,2024-01-02\n')
    with pytest.raises(DataError, match=r"quote.csv: line 3: a quote opens in column 'team' and runs to "
                                        r"line 4, taking in 1 line that is a record of its own"):
        load_interactions(path)


@pytest.mark.parametrize("name, content, message", [
    ("broken.xlsx", b"not a zip", "cannot be read as Excel"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "old Excel .xls files are not read"),
    ("broken.parquet", b"PAR1 nonsense", "cannot be read as Parquet"),
])
def test_unreadable_binary_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"{name}: {message}"):
        load_interactions(path)


def test_newlines_in_quoted_values_across_read_blocks(tmp_path):
    # big enough for the reader to cut it into several blocks, with a quoted newline in every row
    path = tmp_path / "comments.csv"
    rows = "".join(f'S{i},2024-01-01,4,"line one\nline two of {i}"\n' for i in range(60000))
    path.write_text("id,answered_at,csat,comment\n" + rows)
    from qoswb.data import load_surveys

    r = load_surveys(path)
    assert r.ok and r.summary["accepted"] == 60000
    assert r.data["comment"].iloc[-1] == "line one\nline two of 59999"


def test_a_very_large_cell_loads(tmp_path):
    big = "x" * 3_000_000  # three times pyarrow's read block
    path = tmp_path / "big.csv"
    path.write_text(f'id,team,opened_at,comment\nA,N,2024-01-01,ok\nB,N,2024-01-02,{big}\n'
                    f'C,N,2024-01-03,"{big}\nmore"\nD,N,2024-01-04,"a\nb"\n')
    r = load_interactions(path)
    assert r.summary["rows_read"] == r.summary["accepted"] == 4
    assert r.data["comment"].str.len().tolist() == [2, 3_000_000, 3_000_005, 3]


def test_a_cell_beyond_the_largest_block_names_its_line(tmp_path, monkeypatch):
    from qoswb.data import sources

    monkeypatch.setattr(sources, "BLOCK_SIZES", [1 << 14, 1 << 16])
    path = tmp_path / "huge.csv"
    path.write_text("id,team,opened_at,comment\nA,N,2024-01-01,ok\nB,N,2024-01-02,ok\n"
                    f"C,N,2024-01-03,{'y' * 1_000_000}\nD,N,2024-01-04,ok\n")
    with pytest.raises(DataError, match=r"huge.csv: line 4 is longer than 0.0625 MiB, more than qoswb reads"):
        load_interactions(path)


def _zip(members: dict) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _parquet() -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": ["a"]}), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, looks", [
    ("book.csv", lambda: _zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<w/>"}), "an Excel workbook"),
    ("data.txt", lambda: _zip({"tickets.csv": "id\n1\n"}), "a ZIP archive"),
    ("data.tsv", _parquet, "a Parquet file"),
    ("data.csv", lambda: gzip.compress(b"id,team\n1,N\n"), "a gzip-compressed file"),
    ("old.csv", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "an old Office"),
    ("db.csv", lambda: b"SQLite format 3\x00" + bytes(200), "an SQLite database"),
    ("blob.csv", lambda: b"id,team\n\x00\x01\x02\x03\xff" * 50, "binary data"),
])
def test_binary_files_with_a_text_name_say_what_they_look_like(tmp_path, name, content, looks):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(DataError) as caught:
        load_interactions(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: this is not delimited text: it looks like {looks}")
    assert "\\x" not in message and "\x00" not in message and len(message) < 250  # no bytes dumped


def test_compressed_csv_with_its_own_suffix_still_loads(tmp_path):
    import gzip

    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"id,team,opened_at\nA,N,2024-01-01\n"))
    assert load_interactions(path).summary["accepted"] == 1


def test_a_broken_compressed_file_or_a_folder_is_a_data_error_naming_it(tmp_path):
    whole = gzip.compress(("id,team,opened_at\n" + "".join(f"T{i},N,2024-01-01\n" for i in range(50_000))).encode())
    for name, content in (("cut.csv.gz", whole[: len(whole) // 2]), ("fake.csv.gz", b"not gzip at all")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match=rf"{name}: cannot be read as gz-compressed text: "):
            load_interactions(tmp_path / name)
    for name in ("folder.csv", "folder.parquet"):
        (tmp_path / name).mkdir()
        with pytest.raises(DataError, match=rf"{name}: is a folder, not a data file"):
            load_interactions(tmp_path / name)


def test_blank_excel_rows_are_skipped_like_blank_csv_lines_keeping_row_numbers(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    for row in (["id", "team", "opened_at"], ["A", "N", "2024-01-01"], [], ["B", None, "2024-01-02"],
                ["C", "N", "2024-01-03"]):
        book.active.append(row)
    book.save(tmp_path / "blank.xlsx")
    r = load_interactions(tmp_path / "blank.xlsx")
    assert r.summary["rows_read"] == 3 and r.data["id"].tolist() == ["A", "C"]
    assert r.rejected["source_row"].tolist() == [4] and "1 blank row(s) in blank.xlsx skipped" in r.notes


def test_a_header_wider_than_the_sniffed_block_is_read_whole(tmp_path):
    extra = [f"survey_question_{i:05d}" for i in range(3_000)]  # about 70 KB of header
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["id", "team", "opened_at", *extra]) + "\n"
                    + ",".join(["A", "N", "2024-01-01", *("x" for _ in extra)]) + "\n")
    r = load_interactions(path)
    assert r.summary["accepted"] == 1 and r.data.columns[-1] == "survey_question_02999"


@pytest.mark.parametrize("name, content, looks", [
    ("text.parquet", lambda: b"id,team,opened_at\nA,N,2024-01-01\n", "; it looks like delimited text (name it .csv)"),
    ("text.xlsx", lambda: b"id,team,opened_at\nA,N,2024-01-01\n", "; it looks like delimited text (name it .csv)"),
    ("table.xlsx", _parquet, "; it looks like a Parquet file (name it .parquet)"),
])
def test_a_file_that_is_not_what_its_suffix_says_is_told_what_it_looks_like(tmp_path, name, content, looks):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(DataError) as caught:
        load_interactions(path)
    assert str(caught.value).endswith(looks)
