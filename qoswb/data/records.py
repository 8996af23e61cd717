"""Records as a person counts them: a quote left open must not swallow the lines after it.

A CSV reader takes a quote at the start of a field for the start of a quoted
value that runs to the next lone quote, over any number of line ends. One stray
quote (``"Great service`` typed in a comment) thus joins the lines after it into
one value, up to the next stray quote or the end of the file, and the rows read
no longer equal the records of the file. A value holding line breaks is taken
for such a damaged record when

- it runs to the end of the file (the file's last line end is inside it), or
- the lines it holds after its first look like records of their own: each has
  the header's number of cells (split at every delimiter, or read as CSV).

A legitimately multi-line value (an address, a comment with paragraphs) has
lines of free text, not of cells, and loads as it is.

>>> import pyarrow as pa
>>> table = pa.table({"id": ["1", "2"], "comment": ["ok", "Great\\n3,ok\\n4,ok\\n"]})
>>> find_damage(table, [], [2, 3], ",", tail=lambda: "4,ok\\n")
Damage(line=3, last_line=5, column='comment', to_end=True)
>>> find_damage(pa.table({"id": ["1"], "comment": ["Dear team,\\nthanks"]}), [], [2], ",", str) is None
True
"""

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Damage:
    """A quoted value that swallowed lines: where it opens, where it ends, in which column."""

    line: int
    last_line: int
    column: str | None
    to_end: bool

    def describe(self) -> str:
        """One sentence for an error message.

        >>> Damage(12, 40, "comment", False).describe()
        "line 12: a quote opens in column 'comment' and runs to line 40, taking in 28 lines that are records of their own"
        """
        where = f" in column {self.column!r}" if self.column else ""
        swallowed = self.last_line - self.line
        end = "is never closed (it runs to the end of the file" + (
            f", line {self.last_line})" if swallowed else ")")
        if not self.to_end:
            end = f"runs to line {self.last_line}"
        held = "1 line that is a record of its own" if swallowed == 1 else \
            f"{swallowed:,} lines that are records of their own"
        return f"line {self.line}: a quote opens{where} and {end}, taking in {held}"


def _looks_like_record(line: str, delimiter: str, width: int) -> bool:
    line = line.rstrip("\r")
    if line.count(delimiter) == width - 1:
        return True
    return len(next(csv.reader([line], delimiter=delimiter), [])) == width


def _swallowed_from(text: str, delimiter: str, width: int) -> int | None:
    """Index of the first swallowed line of a multi-line text, or None when it reads as free text:
    every full line after the first looks like a record (the last may be cut by the closing quote)."""
    if width < 2:
        return None
    lines = text.split("\n")
    later = [(i, line) for i, line in enumerate(lines) if i and line.strip("\r")]
    if not later:
        return None
    middle, last = later[:-1], later[-1]
    if all(_looks_like_record(line, delimiter, width) for _, line in middle) and (
            middle or _looks_like_record(last[1], delimiter, width)):
        return later[0][0]
    return None


def _newlines(column) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.count_substring(column, "\n"), 0).to_numpy(zero_copy_only=False),
                      dtype=np.int64)


def _holds_line_break(column) -> bool:
    """Whether any value of a text column holds a line break: a search of its character
    buffers (memchr speed), far cheaper than a string kernel over every value."""
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.to_pybytes().find(b"\n") >= 0:
            return True
    return False


def _text_columns(table: pa.Table) -> list:
    return [i for i, f in enumerate(table.schema)
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def _ends_file(text: str, tail) -> bool:
    """Whether the file ends with the value's own last characters: its closing quote never came."""
    end = tail()
    return bool(end) and end.endswith(text[-len(end):] if len(text) > len(end) else text)


def find_damage(table: pa.Table, bad_rows: list, numbers, delimiter: str, tail) -> Damage | None:
    """The first damaged record of a file read as ``table`` (rows numbered ``numbers``, the
    spreadsheet row of each, header = 1) and ``bad_rows`` ((row, text, reason) for rows that
    could not be split), or None. ``tail()`` gives the file's last characters (asked only when
    the last record holds a line break). Cheap when no value holds a line break."""
    text_columns = _text_columns(table)
    per_column = {i: _newlines(table.column(i)) for i in text_columns if _holds_line_break(table.column(i))}
    bad_breaks = [text.count("\n") for _, text, _ in bad_rows]
    if not per_column and not any(bad_breaks):
        return None
    width = table.num_columns
    # the first line of each record: its row number plus the line breaks inside earlier records
    rows = np.concatenate([np.asarray(numbers, np.int64), np.array([b[0] for b in bad_rows], np.int64)])
    breaks = np.concatenate([sum(per_column.values(), np.zeros(table.num_rows, np.int64)),
                             np.array(bad_breaks, np.int64)])
    order = np.argsort(rows, kind="stable")
    first_line = np.empty_like(rows)
    first_line[order] = rows[order] + np.cumsum(breaks[order]) - breaks[order]
    last_row = rows.max(initial=0)

    found = []
    for i, counts in per_column.items():
        before = sum((per_column[j] for j in per_column if j < i), np.zeros(table.num_rows, np.int64))
        held = np.flatnonzero(counts)
        for row, text in zip(held, table.column(i).take(pa.array(held)).to_pylist()):
            to_end = bool(rows[row] == last_row and text.endswith("\n") and _ends_file(text, tail))
            if to_end or _swallowed_from(text, delimiter, width) is not None:
                opens = int(first_line[row] + before[row])
                found.append(Damage(opens, opens + int(counts[row]) - to_end, table.column_names[i], to_end))
                break  # the earliest in this column is enough
    for k, (_, text, _) in enumerate(bad_rows):
        start = _swallowed_from(text, delimiter, width) if bad_breaks[k] else None
        if start is not None:
            first = int(first_line[table.num_rows + k])
            opening = text.split("\n")[start - 1]  # the quote opens in its last cell
            cells = len(next(csv.reader([opening], delimiter=delimiter), [""]))
            name = table.column_names[cells - 1] if cells <= width else None
            found.append(Damage(first + start - 1, first + bad_breaks[k], name, False))
            break
    return min(found, key=lambda d: d.line) if found else None
