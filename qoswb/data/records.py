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
Damage(line=3, last_line=5, column='comment', to_end=True, records=True)
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
    records: bool = True  # whether the lines it took in look like records of their own

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
        held = f"{swallowed:,} line{'s' if swallowed != 1 else ''}"
        if self.records:
            held += " that is a record of its own" if swallowed == 1 else " that are records of their own"
        return f"line {self.line}: a quote opens{where} and {end}, taking in {held}"


def _looks_like_record(line: str, delimiter: str, width: int) -> bool:
    line = line.rstrip("\r")
    if line.count(delimiter) == width - 1:
        return True
    return len(next(csv.reader([line], delimiter=delimiter), [])) == width


def _swallowing(cells, delimiter: str, width: int) -> np.ndarray:
    """Which multi-line values swallowed records: every full line after the first looks like a
    record (the last may be cut short by the closing quote), and there is at least one such line.
    Vectorised: a file may hold a multi-line comment in every row."""
    if width < 2 or len(cells) == 0:
        return np.zeros(len(cells), bool)
    pieces = pc.split_pattern(cells, "\n")
    parent = np.asarray(pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False))
    flat = pc.list_flatten(pieces)
    starts = np.asarray(pieces.offsets.to_numpy(zero_copy_only=False))[:-1] - pieces.offsets[0].as_py()
    position = np.arange(len(parent)) - starts[parent]
    text = pc.utf8_rtrim(flat, characters="\r")
    later = (position > 0) & _np(pc.not_equal(text, ""))
    looks = _np(pc.equal(pc.count_substring(text, delimiter), width - 1))
    quoted = np.flatnonzero(later & ~looks & _np(pc.match_substring(text, '"')))
    for i in quoted:  # a quoted delimiter inside a swallowed record: read it as CSV (rare)
        looks[i] = _looks_like_record(text[int(i)].as_py(), delimiter, width)
    n = len(cells)
    count = np.bincount(parent[later], minlength=n)
    last = np.full(n, -1)
    np.maximum.at(last, parent[later], np.flatnonzero(later))
    misfits = np.bincount(parent[later & ~looks], minlength=n)
    has_last = last >= 0
    last_looks = np.zeros(n, bool)
    last_looks[has_last] = looks[last[has_last]]
    middle_misfits = misfits - (has_last & ~last_looks)
    return (count >= 1) & (middle_misfits == 0) & ((count >= 2) | last_looks)


def _np(mask) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _newlines(column) -> np.ndarray:
    """Line breaks in each value: \\n, \\r\\n or a lone \\r (as a reader counts line ends)."""
    def count(pattern):
        return np.asarray(pc.fill_null(pc.count_substring(column, pattern), 0).to_numpy(zero_copy_only=False),
                          dtype=np.int64)

    return count("\n") + count("\r") - count("\r\n")


def _holds_line_break(column) -> bool:
    """Whether any value of a text column holds a line break: a search of its character
    buffers (memchr speed), far cheaper than a string kernel over every value."""
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is not None:
            raw = data.to_pybytes()
            if raw.find(b"\n") >= 0 or raw.find(b"\r") >= 0:
                return True
    return False


def _breaks(table: pa.Table, bad_rows: list) -> tuple[dict, list]:
    """Line breaks per value of each text column that has any, and in each bad row's text."""
    per_column = {i: _newlines(table.column(i)) for i in _text_columns(table) if _holds_line_break(table.column(i))}
    return per_column, [text.count("\n") + text.count("\r") - text.count("\r\n") for _, text, _ in bad_rows]


def lines_held(table: pa.Table, bad_rows: list) -> int:
    """How many lines of the file the records read hold: one each, plus the line breaks inside them.

    >>> lines_held(pa.table({"a": ["x", "y\\nz"]}), [(4, "p,q\\nr", "wrong number of cells")])
    5
    """
    per_column, bad_breaks = _breaks(table, bad_rows)
    return table.num_rows + len(bad_rows) + int(sum(int(c.sum()) for c in per_column.values())) + sum(bad_breaks)


def _text_columns(table: pa.Table) -> list:
    return [i for i, f in enumerate(table.schema)
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def _ends_file(text: str, tail) -> bool:
    """Whether the file ends with the value's own last characters: its closing quote never came."""
    end = tail()
    return bool(end) and end.endswith(text[-len(end):] if len(text) > len(end) else text)


def find_damage(table: pa.Table, bad_rows: list, numbers, delimiter: str, tail,
                header_lines: int = 1, records_inside: bool = False) -> Damage | None:
    """The first damaged record of a file read as ``table`` (rows numbered ``numbers``, the
    spreadsheet row of each, header = 1) and ``bad_rows`` ((row, text, reason) for rows that
    could not be split), or None. Cheap when no value holds a line break.

    ``tail()`` gives the file's last characters (asked only when the last record holds a line
    break); ``header_lines``: the lines the header takes; ``records_inside``: the user says
    quoted values may hold lines that look like records (then only a value running to the end
    of the file is damaged).
    """
    per_column, bad_breaks = _breaks(table, bad_rows)
    if not per_column and not any(bad_breaks):
        return None
    width = table.num_columns if not records_inside else 0  # no width: no line looks like a record
    # the first line of each record: its row number plus the line breaks inside earlier records
    rows = np.concatenate([np.asarray(numbers, np.int64), np.array([b[0] for b in bad_rows], np.int64)])
    breaks = np.concatenate([sum(per_column.values(), np.zeros(table.num_rows, np.int64)),
                             np.array(bad_breaks, np.int64)])
    order = np.argsort(rows, kind="stable")
    first_line = np.empty_like(rows)
    first_line[order] = rows[order] + header_lines - 1 + np.cumsum(breaks[order]) - breaks[order]
    last_row = rows.max(initial=0)

    found = []
    for i, counts in per_column.items():
        before = sum((per_column[j] for j in per_column if j < i), np.zeros(table.num_rows, np.int64))
        held = np.flatnonzero(counts)
        cells = table.column(i).take(pa.array(held)).combine_chunks()
        swallowing = _swallowing(cells, delimiter, width)
        at_end = np.flatnonzero(rows[held] == last_row)  # the file's last record, when it holds a break
        for k in sorted({*np.flatnonzero(swallowing)[:1], *at_end}):  # the first that swallowed, the last
            row, text = held[k], cells[int(k)].as_py()
            to_end = bool(rows[row] == last_row and text.endswith("\n") and _ends_file(text, tail))
            records = bool(swallowing[k])
            if to_end or records:
                opens = int(first_line[row] + before[row])
                found.append(Damage(opens, opens + int(counts[row]) - to_end, table.column_names[i], to_end,
                                    records))
                break  # the earliest in this column is enough
    texts = pa.array([text if n else "" for (_, text, _), n in zip(bad_rows, bad_breaks)], pa.string())
    for k in np.flatnonzero(_swallowing(texts, delimiter, width))[:1]:
        lines = bad_rows[k][1].split("\n")
        start = next(j for j, line in enumerate(lines) if j and line.strip("\r"))  # the first line taken in
        first = int(first_line[table.num_rows + k])
        cells = len(next(csv.reader([lines[start - 1]], delimiter=delimiter), [""]))  # opens in its last cell
        name = table.column_names[cells - 1] if cells <= width else None
        found.append(Damage(first + start - 1, first + bad_breaks[k], name, False))
    return min(found, key=lambda d: d.line) if found else None
