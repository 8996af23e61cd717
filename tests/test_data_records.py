"""Rows read equal the records of the file: a stray quote in any column never swallows lines silently."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qoswb.cli import main
from qoswb.data import DataError, load_interactions

HEADER = ["id", "team", "opened_at", "category", "comment"]
word = st.text("abcdefghij XYZ", min_size=1, max_size=8).map(str.strip).filter(bool)


@st.composite
def records(draw):
    """Rows of cells, and for some a comment that legitimately spans lines (free text)."""
    n = draw(st.integers(1, 15))
    rows = []
    for i in range(n):
        comment = draw(st.one_of(word, st.lists(word, min_size=2, max_size=4).map("\n".join)))
        rows.append([f"T{i}", draw(st.sampled_from(["North", "South"])), f"2024-03-{1 + i % 28:02d} 09:00",
                     draw(word), comment])
    return rows


def render(rows, stray=()) -> tuple[str, list[int]]:
    """The file's text (multi-line comments quoted) and the line where each record starts.
    ``stray``: (row, column) cells that get a quote opened at their start and never closed."""
    lines, starts, line = [",".join(HEADER)], [], 2
    for r, cells in enumerate(rows):
        out = []
        for c, cell in enumerate(cells):
            if (r, c) in stray:
                out.append('"' + cell.replace("\n", " "))
            elif "\n" in cell:
                out.append('"' + cell + '"')
            else:
                out.append(cell)
        starts.append(line)
        text = ",".join(out)
        line += text.count("\n") + 1
        lines.append(text)
    return "\n".join(lines) + "\n", starts


def load_text(text: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_text(text, encoding="utf-8")
        return load_interactions(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_legitimately_multiline_values_load_exactly(rows):
    text, _ = render(rows)
    result = load_text(text)
    assert result.summary["rows_read"] == result.summary["accepted"] == len(rows)
    assert result.data["comment"].tolist() == [r[4] for r in rows]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.data())
def test_a_stray_quote_in_any_column_is_an_error_at_its_line_or_a_rejected_row(rows, data):
    row = data.draw(st.integers(0, len(rows) - 1), label="row")
    column = data.draw(st.integers(0, len(HEADER) - 1), label="column")
    text, starts = render(rows, stray={(row, column)})
    try:
        result = load_text(text)
    except DataError as exc:
        assert "export.csv: " in str(exc)
        assert f"line {starts[row]}: a quote opens" in str(exc)
        assert f"column {HEADER[column]!r}" in str(exc)
        return
    # no line swallowed (the quote closed on its own line, e.g. at a later quote): the damaged
    # record is rejected, and every accepted row is a record of the file exactly as written
    s = result.summary
    assert s["rows_read"] == s["accepted"] + s["rejected"] and s["rejected"] >= 1
    written = {r[0]: r for r in rows}
    for accepted in result.data[["id", "team", "category", "comment"]].itertuples(index=False):
        assert accepted.id != rows[row][0]
        assert list(accepted) == [written[accepted.id][i] for i in (0, 1, 3, 4)]


def test_the_issue_case_a_quote_in_the_last_column_running_to_the_end(tmp_path):
    rows = [f"T{i},North,2024-01-01 10:00,ok" for i in range(10_000)]
    rows[100] = 'T100,North,2024-01-01 10:00,"Great service'
    path = tmp_path / "tickets.csv"
    path.write_text("id,team,opened_at,comment\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"tickets.csv: line 102: a quote opens in column 'comment' and is "
                                        r"never closed \(it runs to the end of the file, line 10001\), "
                                        r"taking in 9,899 lines"):
        load_interactions(path)


def test_a_quote_closed_by_a_later_stray_quote_names_both_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,team,opened_at,comment\nA,N,2024-01-01,"oops\nB,N,2024-01-02,fine\n'
                    'C,N,2024-01-03,"another\nD,N,2024-01-04,last"\nE,N,2024-01-05,x\n')
    with pytest.raises(DataError, match=r"line 2: a quote opens in column 'comment' and runs to line 4"):
        load_interactions(path)


def test_validate_exits_2_on_a_damaged_record(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text('id,team,opened_at\nA,"N,2024-01-01\nB,N,2024-01-02\nC,N,2024-01-03\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "t.csv: line 2: a quote opens in column 'team'" in err
