"""Windows-1252 before Latin-1: € ’ “ ” – decode right, and the note names the encoding used."""

import pytest

from qoswb.data import load_interactions
from qoswb.data.encodings import eight_bit

WINDOWS_TEXT = ["20 €", "wasn’t", "“quoted”", "9–5", "Müller…"]


def export(rows: list[str]) -> str:
    lines = ["Ticket ID,Group,Created at,Comment"]
    lines += [f"T{i},Support,2024-03-0{i % 9 + 1} 09:00,{text}" for i, text in enumerate(rows)]
    return "\n".join(lines) + "\n"


def test_a_windows_1252_file_decodes_its_punctuation_and_euro(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_bytes(export(WINDOWS_TEXT).encode("cp1252"))
    r = load_interactions(path, {"id": "Ticket ID", "team": "Group", "opened_at": "Created at"})
    assert r.data["Comment"].tolist() == WINDOWS_TEXT
    assert any("tickets.csv is not UTF-8: read as Windows-1252" in n for n in r.notes)


def test_a_windows_1252_header_name_decodes_too(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_bytes(export(["ok"]).replace("Comment", "Kunde’s Bemerkung").encode("cp1252"))
    r = load_interactions(path, {"id": "Ticket ID", "team": "Group", "opened_at": "Created at"})
    assert "Kunde’s Bemerkung" in r.data.columns


def test_a_byte_windows_1252_lacks_is_read_as_latin_1(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes(export(["Sü"]).encode("latin-1") + b"T9,Support,2024-03-09 09:00,x\x81y\n")
    r = load_interactions(path, {"id": "Ticket ID", "team": "Group", "opened_at": "Created at"})
    assert r.data["Comment"].tolist() == ["Sü", "x\x81y"]
    assert any("read as Latin-1" in n for n in r.notes)


def test_windows_1252_far_into_a_file_that_starts_as_utf8(tmp_path):
    path = tmp_path / "late.csv"
    filler = "".join(f"B{i},Support,2024-01-03 00:00,fine\n" for i in range(5000))  # > the 64 KiB sniffed
    path.write_bytes(export(["é"]).encode() + filler.encode() + "C1,Support,2024-01-03 00:00,wasn’t €5\n"
                     .encode("cp1252"))
    r = load_interactions(path, {"id": "Ticket ID", "team": "Group", "opened_at": "Created at"})
    assert r.data["Comment"].iloc[-1] == "wasn’t €5"
    assert any("not valid UTF-8 throughout: read as Windows-1252" in n for n in r.notes)


def test_an_encoding_given_is_used_and_no_guess_is_noted(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_bytes(export(["20 €"]).encode("cp1252"))
    r = load_interactions(path, {"id": "Ticket ID", "team": "Group", "opened_at": "Created at",
                                 "encoding": "latin-1"})
    assert r.data["Comment"].tolist() == ["20 \x80"] and not any("UTF-8" in n for n in r.notes)


@pytest.mark.parametrize("byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_the_five_bytes_windows_1252_leaves_undefined(byte):
    with pytest.raises(UnicodeDecodeError):  # the reason they mean Latin-1
        bytes([byte]).decode("cp1252")
    assert eight_bit(b"abc" + bytes([byte])) == "latin-1"
