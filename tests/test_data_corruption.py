"""Corrupted CSV files: either a DataError naming the file, or counts that reconcile exactly."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qoswb.data import DataError, load_interactions, load_surveys

HEADER = ["id", "team", "opened_at", "resolved_at", "contacts", "reopened"]

row = st.tuples(
    st.text("ABC123", min_size=1, max_size=4),
    st.sampled_from(["North", "South", "Zürich", "Ålesund"]),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.one_of(st.just(""), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M"))),
    st.sampled_from(["1", "2", "", "3"]),
    st.sampled_from(["yes", "no", "TRUE", "0", ""]),
)


def corrupt(draw, lines: list[list[str]]) -> tuple[bytes, bool]:
    """Apply a few corruptions; returns the bytes and whether row counting stays simple."""
    simple = True
    delimiter, encoding, bom = ",", "utf-8", False
    for kind in draw(st.lists(st.sampled_from([
            "bad date", "stray quote", "missing cell", "extra cell", "drop column", "extra column",
            "bom", "semicolon", "latin-1", "duplicate header", "header only", "empty"]), max_size=4)):
        data_rows = len(lines) - 1
        i = draw(st.integers(1, max(1, data_rows))) if data_rows else 0
        if kind == "bad date" and data_rows:
            lines[i][2] = draw(st.sampled_from(["2024-02-30", "soon", "31/12/2024", "2024-13-01 00:00"]))
        elif kind == "stray quote" and data_rows:
            lines[i][1] = '"' + lines[i][1]
            simple = False
        elif kind == "missing cell" and data_rows:
            lines[i] = lines[i][:-1]
        elif kind == "extra cell" and data_rows:
            lines[i] = lines[i] + ["surplus"]
        elif kind == "drop column":
            col = draw(st.integers(0, len(lines[0]) - 1))
            lines = [line[:col] + line[col + 1:] for line in lines]
        elif kind == "extra column":
            lines = [line + (["note"] if n == 0 else ["x"]) for n, line in enumerate(lines)]
        elif kind == "bom":
            bom = True
        elif kind == "semicolon":
            delimiter = ";"
        elif kind == "latin-1":
            encoding = "latin-1"
        elif kind == "duplicate header" and len(lines[0]) > 1:
            lines[0][-1] = lines[0][0]
        elif kind == "header only":
            lines = lines[:1]
        elif kind == "empty":
            return (b"\xef\xbb\xbf" if bom else b""), simple
    text = "\n".join(delimiter.join(line) for line in lines) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding), simple


@st.composite
def corrupted_csv(draw):
    rows = draw(st.lists(row, min_size=0, max_size=12))
    lines = [list(HEADER)] + [list(r) for r in rows]
    content, simple = corrupt(draw, lines)
    return content, simple


def check_reconciles(result, content: bytes, simple: bool):
    s = result.summary
    assert s["rows_read"] == s["accepted"] + s["rejected"]
    assert len(result.data) == s["accepted"] and len(result.rejected) == s["rejected"]
    assert sum(s["rejected_by_reason"].values()) == s["rejected"]
    assert result.rejected["reason"].notna().all() if len(result.rejected) else True
    if simple:  # one line per row: every non-blank line after the header is a row read
        lines = [ln for ln in content.split(b"\n")[1:] if ln.strip(b";, \t\r")]
        assert s["rows_read"] == len(lines)


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted_csv(), st.sampled_from([load_interactions, load_surveys]))
def test_corrupted_csv_gives_named_error_or_reconciled_counts(case, loader):
    content, simple = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(content)
        try:
            result = loader(path)
        except DataError as exc:
            assert str(path) in str(exc)
            return
        check_reconciles(result, content, simple)
