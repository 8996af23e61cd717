"""Reading a source into a pyarrow table, as read, with each row's number in the source.

Sources: CSV/TSV/TXT (any delimiter, sniffed from the header line; UTF-8 with or
without BOM, UTF-16 with BOM, else Windows-1252, or Latin-1 when it has bytes
Windows-1252 lacks: see :mod:`qoswb.data.encodings`), Parquet, Excel ``.xlsx``, a
DuckDB file with ``table=`` or ``query=``, a SQLAlchemy URL (``postgresql://...``,
``sqlite:///...``) with ``table=`` or ``query=``, or a pandas DataFrame.

CSV cells are kept as strings (so a rejected row shows exactly what was in the
file); other sources keep their own types.

Every line of a CSV is accounted for: the header's lines, plus one per record
read, plus the line breaks inside quoted values, must equal the lines of the
file. A quote left open that swallows later lines (see :mod:`qoswb.data.records`)
is a :class:`DataError` naming the line where it opens, never a silent merge. A
very large cell is read in larger blocks (up to 256 MiB a record). A binary file
under a text name (an .xlsx, Parquet, gzip... saved as .csv) is a DataError
saying what it looks like (see :mod:`qoswb.data.filetypes`).

Row numbers (``source_rows``): for CSV and Excel, the row as a spreadsheet shows
it, the header being row 1 and the first data row row 2 (the line number in the
file unless a quoted value spans lines). For Parquet, DuckDB, SQL and DataFrames,
the 1-based position of the row. Wholly blank CSV lines are not data: they are
skipped (with a note) but keep their number, so later rows keep theirs.

>>> import pandas as pd
>>> from qoswb.data.sources import read_source
>>> raw = read_source(pd.DataFrame({"id": ["a", "b"]}))
>>> raw.table.num_rows, raw.source_rows.tolist()
(2, [1, 2])
"""

import codecs
import csv
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from qoswb.data.encodings import describe, eight_bit_of_stream
from qoswb.data.filetypes import looks_like
from qoswb.data.records import find_damage, lines_held
from qoswb.data.validate import FALSE, TRUE
from qoswb.errors import DataError

DELIMITERS = [",", ";", "\t", "|"]
SNIFF_BYTES = 1 << 16
MAX_HEADER_BYTES = 1 << 24
COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")  # read through pyarrow's decompression
BLOCK_SIZES = [1 << 20, 1 << 26, 1 << 28]  # pyarrow's default first; larger only for very large cells


@dataclass
class RawTable:
    """What a source held: ``table``, ``source_rows`` (one per table row), and the rows that
    could not be split into cells (``bad_rows``: list of (row number, text, reason))."""

    table: pa.Table
    name: str
    source_rows: np.ndarray
    bad_rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    repeated: list = field(default_factory=list)  # header names that occur more than once


def read_source(source, options: dict | None = None) -> RawTable:
    """Read any supported source; raises :class:`DataError` naming it when it cannot.

    >>> read_source("no/such/file.csv")
    Traceback (most recent call last):
    ...
    qoswb.errors.DataError: no/such/file.csv: file not found
    """
    options = dict(options or {})
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return _from_frame(source, "DataFrame", first_row=1)
    if isinstance(source, str) and "://" in source:
        return _read_sql(source, options)
    path = _existing_file(Path(source))
    reader = _READERS.get(path.suffix.lower())
    return reader(path, options) if reader else read_csv(path, options)


def _from_frame(frame, name: str, first_row: int) -> RawTable:
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        # mixed-type object columns (e.g. from Excel): keep their text
        fixed = frame.copy()
        for col in fixed.columns[fixed.dtypes == object]:
            fixed[col] = fixed[col].map(lambda v: v if v is None or v != v else str(v))
        table = pa.Table.from_pandas(fixed, preserve_index=False)
    return RawTable(table, name, np.arange(first_row, first_row + table.num_rows, dtype=np.int64))


# --- CSV --------------------------------------------------------------------------------------

def _sniff_encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:  # a UTF-8 BOM is no promise: some tools write one before Latin-1 text
        head.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) < SNIFF_BYTES or exc.start < len(head) - 4:  # not a character cut by the sample's end
            return "latin-1"
    return "utf-8"


def _eight_bit(path: Path) -> str:
    """Windows-1252 or Latin-1, from the whole file (see :mod:`qoswb.data.encodings`)."""
    with _open(path) as stream:
        return eight_bit_of_stream(stream)


def _is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (read in blocks; only on the error path)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open(path) as stream:
        try:
            while block := stream.read(1 << 22):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _header_line(text: str) -> str:
    """The header record (a quoted name may hold a newline, so count quotes)."""
    end, quoted = 0, False
    for end, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            return text[:end]
    return text


def sniff_delimiter(header: str) -> str:
    """The candidate delimiter seen most often outside quotes in the header line.

    >>> sniff_delimiter('"a;b",c,d')
    ','
    >>> sniff_delimiter("a;b;c")
    ';'
    """
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    """Header names made unique the pandas way (``x``, ``x.1``), and the repeated names.

    >>> unique_names(["a", "b", "a", ""])
    (['a', 'b', 'a.1', 'Unnamed: 3'], ['a'])
    """
    seen, out, repeated = {}, [], []
    for i, name in enumerate(names):
        name = name.strip() or f"Unnamed: {i}"
        if name in seen:
            repeated.append(name)
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            out.append(candidate)
            seen[candidate] = 0
        else:
            seen[name] = 0
            out.append(name)
    return out, sorted(set(repeated))


def _existing_file(path: Path) -> Path:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a data file")
    return path


def _unreadable(path: Path, exc: OSError) -> DataError:
    how = f" as {path.suffix[1:]}-compressed text" if path.suffix.lower() in COMPRESSED else ""
    return DataError(f"{path}: cannot be read{how}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


def _open(path: Path):
    import pyarrow.csv  # noqa: F401  (makes pa.csv and its compression support available)

    return pa.input_stream(str(path), compression="detect")


@dataclass
class CsvLayout:
    """What the start of a delimited file says: encoding, delimiter, header names."""

    encoding: str
    delimiter: str
    names: list
    repeated: list
    notes: list
    header_lines: int = 1  # a quoted header name may hold a line break


class TypedReadFailed(Exception):
    """A value did not fit the type asked of the reader: read again as text."""


def is_delimited(source) -> bool:
    """True for a path that :func:`read_source` reads as delimited text."""
    import pandas as pd

    if isinstance(source, pd.DataFrame) or (isinstance(source, str) and "://" in source):
        return False
    return Path(source).suffix.lower() not in _READERS


def sniff_csv(path, options: dict) -> CsvLayout:
    """Encoding, delimiter and header of a delimited file (from its first 64 KiB)."""
    path = _existing_file(Path(path))
    try:
        with _open(path) as stream:
            head = stream.read(SNIFF_BYTES)
            # a very wide header (thousands of columns) may not end within the first block
            while len(head) < MAX_HEADER_BYTES and b"\n" not in head and b"\r" not in head \
                    and (more := stream.read(len(head))):
                head += more
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if not head.strip(b" \t\r\n\xef\xbb\xbf\x00\xff\xfe"):
        raise DataError(f"{path}: the file is empty (no header row)")
    what = looks_like(head, path, options.get("encoding"))
    if what:
        raise DataError(f"{path}: this is not delimited text: it looks like {what}")
    encoding = options.get("encoding") or _sniff_encoding(head)
    notes = []
    if encoding == "latin-1" and not options.get("encoding"):
        encoding = _eight_bit(path)
        notes.append(f"{path.name} is not UTF-8: read as {describe(encoding)} (give 'encoding' to read it otherwise)")
    try:
        text = head.removeprefix(codecs.BOM_UTF8).decode(
            encoding, errors="replace" if encoding.lower().startswith("utf") else "strict")
    except (LookupError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot decode with encoding {encoding!r}: {exc}") from exc
    header = _header_line(text.lstrip("\ufeff"))
    delimiter = options.get("delimiter") or sniff_delimiter(header)
    later = header.splitlines()[1:]
    if any(delimiter in line for line in later):  # a header name may hold a line break, not records
        raise DataError(f"{path}: line 1: a quote opens in the header and runs on over "
                        f"{'at least ' if len(head) == SNIFF_BYTES else ''}{len(later):,} more lines; "
                        "close or remove that quote")
    names = next(csv.reader(io.StringIO(header), delimiter=delimiter), [])
    names, repeated = unique_names(names)
    if repeated:
        notes.append(f"header names repeated in {path.name}: {', '.join(repeated)} (later ones read as "
                     f"NAME.1, NAME.2, ...)")
    return CsvLayout(encoding, delimiter, names, repeated, notes, count_line_ends(header) + 1)


def read_csv(path, options: dict, layout: CsvLayout | None = None, types: dict | None = None) -> RawTable:
    """Read a delimited text file: every cell as a string, or the columns in ``types`` typed
    by the reader (faster; :class:`TypedReadFailed` when a value does not fit)."""
    import pyarrow.csv as pcsv

    path = Path(path)
    layout = layout or sniff_csv(path, options)
    names, notes, types = layout.names, list(layout.notes), dict(types or {})
    # large_string is what pandas' string dtype holds: reading it directly spares a copy later
    column_types = {n: types.get(n, pa.large_string()) for n in names}

    block_size = BLOCK_SIZES[0]

    def attempt(encoding, threads, multiline):
        bad = []

        def on_bad_row(row):
            reason = f"wrong number of cells ({row.actual_columns} instead of {row.expected_columns})"
            lines = row.text.count("\n") + 1
            if lines > 1:  # a quote opened and never closed swallows the lines after it
                reason += f"; an unclosed quote ran {lines} lines together"
            # pyarrow numbers rows after the lines it skipped; we count the header as row 1
            bad.append((None if row.number is None else row.number - layout.header_lines + 1, row.text, reason))
            return "skip"

        convert = pcsv.ConvertOptions(column_types=column_types, strings_can_be_null=False,
                                      quoted_strings_can_be_null=False, null_values=[""])
        if types:  # the reader matches exactly: give it the usual spellings in three cases
            convert.true_values = sorted({f(v) for v in TRUE for f in (str.lower, str.upper, str.capitalize)})
            convert.false_values = sorted({f(v) for v in FALSE for f in (str.lower, str.upper, str.capitalize)})
        with _open(path) as stream:
            table = pcsv.read_csv(
                stream,
                read_options=pcsv.ReadOptions(column_names=names, skip_rows=layout.header_lines, encoding=encoding,
                                              use_threads=threads, block_size=block_size),
                parse_options=pcsv.ParseOptions(delimiter=layout.delimiter, invalid_row_handler=on_bad_row,
                                                ignore_empty_lines=False,
                                                newlines_in_values=multiline),
                convert_options=convert)
        return table, bad

    def attempt_any(encoding):
        """Splitting at every line end is twice as fast, but wrong for a quoted value holding a
        newline: read again allowing them when the fast read failed or left a quote unclosed."""
        if options.get("multiline") is not None:
            multiline = bool(options["multiline"])
            return (*attempt(encoding, True, multiline), multiline)
        try:
            table, bad = attempt(encoding, True, False)
        except pa.ArrowInvalid:
            return (*attempt(encoding, True, True), True)
        if any(text.count('"') % 2 for _, text, _ in bad) or not accounted(table, bad, encoding):
            return (*attempt(encoding, True, True), True)
        return table, bad, False

    def accounted(table, bad, encoding) -> bool:
        """Whether every line of the file is in a record read: pyarrow's line-by-line reading
        silently drops the rest of a block after a quote left open."""
        return layout.header_lines + lines_held(table, bad) == file_lines(path, encoding)

    def attempt_all(encoding):
        try:
            table, bad, multiline = attempt_any(encoding)
        except pa.ArrowInvalid:
            # bytes that are not UTF-8 past the sniffed start: the reader fails on them in
            # different ways (a text column, a row it cannot split), so look at the file itself
            if options.get("encoding") or encoding != "utf-8" or _is_utf8(path):
                raise
            encoding = _eight_bit(path)  # valid UTF-8 at the start, not further on
            notes.append(f"{path.name} is not valid UTF-8 throughout: read as {describe(encoding)} "
                         "(give 'encoding' to read it otherwise)")
            table, bad, multiline = attempt_any(encoding)
        if any(number is None for number, _, _ in bad):  # threaded reading does not number rows
            table, bad = attempt(encoding, False, multiline)
        return table, bad, encoding

    while True:
        try:
            table, bad, encoding = attempt_all(layout.encoding)
            break
        except OSError as exc:  # a compressed file cut short or not what its suffix says
            raise _unreadable(path, exc) from exc
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block_size < BLOCK_SIZES[-1]:
                # a record longer than a read block (a very large cell): read in larger blocks
                block_size = BLOCK_SIZES[BLOCK_SIZES.index(block_size) + 1]
                continue
            if types:
                raise TypedReadFailed(str(exc)) from exc
            if "straddl" in str(exc):
                raise DataError(f"{path}: {_longest_line(path, block_size)} is longer than "
                                f"{block_size / 2**20:g} MiB, more than qoswb reads as one record") from exc
            raise DataError(f"{path}: cannot be read as delimited text ({layout.delimiter!r}): "
                            f"{str(exc).splitlines()[0]}") from exc
    total = table.num_rows + len(bad)
    numbers = np.arange(2, total + 2, dtype=np.int64)
    if bad:
        numbers = np.delete(numbers, np.array([b[0] for b in bad], dtype=np.int64) - 2)
    damage = find_damage(table, bad, numbers, layout.delimiter, lambda: _tail(path, encoding),
                         layout.header_lines, records_inside=options.get("multiline") is True)
    if damage:
        hint = "" if damage.to_end else " (or, if that value is meant to hold those lines, set multiline: true)"
        raise DataError(f"{path}: {damage.describe()}; close or remove that quote{hint}")
    if not accounted(table, bad, encoding):
        held = layout.header_lines + lines_held(table, bad)
        raise DataError(f"{path}: the file has {file_lines(path, encoding):,} lines but the records read hold "
                        f"{held:,}: its quoting is damaged (a quote left open or a stray line end)")
    table, numbers = _drop_blank_rows(table, numbers, notes, path.name)
    return RawTable(table, str(path), numbers, bad, notes, layout.repeated)


def count_line_ends(text) -> int:
    """Line ends in text or bytes, as a CSV reader counts them: \\n, \\r\\n or a lone \\r.

    >>> count_line_ends("a\\r\\nb\\rc\\n"), count_line_ends(b"no end")
    (3, 0)
    """
    cr, lf = ("\r", "\n") if isinstance(text, str) else (b"\r", b"\n")
    return text.count(lf) + text.count(cr) - text.count(cr + lf)


@functools.lru_cache(maxsize=8)
def _file_lines(path: str, encoding: str, size: int, mtime: int) -> int:
    utf16 = encoding.lower().startswith("utf-16")
    decoder = codecs.getincrementaldecoder(encoding)() if utf16 else None  # UTF-16 bytes hold 0x0a in letters
    cr, lf = ("\r", "\n") if utf16 else (b"\r", b"\n")
    lines, last = 0, None
    compressed = Path(path).suffix.lower() in COMPRESSED
    with (_open(Path(path)) if compressed or utf16 else open(path, "rb")) as stream:
        while block := stream.read(1 << 20):
            text = decoder.decode(block) if utf16 else block
            if not text:
                continue
            lines += text.count(lf)
            if cr in text:  # \r\n is one line end, a lone \r another (also across blocks)
                lines += text.count(cr) - text.count(cr + lf) - (last == cr and text[:1] == lf)
            last = text[-1:]
    return lines + (last is not None and last not in (cr, lf))


def file_lines(path: Path, encoding: str) -> int:
    """The lines of a text file (the last one counts without a line end), read in blocks."""
    stat = Path(path).stat()
    return _file_lines(str(path), encoding, stat.st_size, stat.st_mtime_ns)


def _longest_line(path: Path, limit: int) -> str:
    """Which line of the file is at least ``limit`` bytes long (read in blocks; error path only)."""
    line, length = 1, 0
    with _open(path) as stream:
        while block := stream.read(1 << 22):
            *ended, rest = block.split(b"\n")
            for piece in ended:
                if length + len(piece) >= limit:
                    return f"line {line}"
                line, length = line + 1, 0
            length += len(rest)
            if length >= limit:
                return f"line {line}"
    return "a record spanning several lines"


def _tail(path: Path, encoding: str, size: int = 256) -> str:
    """The file's last characters (to tell a value that runs to its end)."""
    end = b""
    if path.suffix.lower() in COMPRESSED:
        with _open(path) as stream:
            while block := stream.read(1 << 22):
                end = block[-size:]
    else:
        with path.open("rb") as stream:
            stream.seek(max(0, path.stat().st_size - size))
            end = stream.read()
    if encoding.lower().startswith("utf-16"):
        with path.open("rb") as stream:
            encoding = "utf-16-be" if stream.read(2) == codecs.BOM_UTF16_BE else "utf-16-le"
    return end.decode(encoding, errors="ignore")


def _drop_blank_rows(table: pa.Table, numbers: np.ndarray, notes: list, name: str):
    """Wholly blank rows carry no data: skip them, keeping the other rows' numbers."""
    import pyarrow.compute as pc

    if table.num_columns == 0 or table.num_rows == 0:
        return table, numbers
    blank = None
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            empty = pc.fill_null(pc.equal(column, ""), True)  # Excel's empty cells are null
        else:
            empty = pc.is_null(column)
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return table, numbers
    n_blank = pc.sum(blank).as_py() or 0
    if not n_blank:
        return table, numbers
    keep = pc.invert(blank)
    notes.append(f"{n_blank} blank row(s) in {name} skipped")
    return table.filter(keep), numbers[keep.to_numpy(zero_copy_only=False)]


# --- other files and databases --------------------------------------------------------------

def _looks_instead(path: Path) -> str:
    """For a file that is not what its suffix says: what it looks like (text, or another format)."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    what = looks_like(head, path)
    if what is None and head.strip():
        what = "delimited text (name it .csv)"
    promised = _FORMAT_NAMES.get(path.suffix.lower(), path.suffix)
    return f"; it looks like {what}" if what and promised not in what else ""  # not 'Parquet looks like Parquet'


def _read_parquet(path: Path, options: dict) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: cannot be read as Parquet: {exc}{_looks_instead(path)}") from exc
    return RawTable(table, str(path), np.arange(1, table.num_rows + 1, dtype=np.int64))


def _read_excel(path: Path, options: dict) -> RawTable:
    import zipfile

    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=options.get("sheet", 0), dtype=str)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot be read as Excel: {exc}{_looks_instead(path)}") from exc
    raw = _from_frame(frame, str(path), first_row=2)
    raw.table, raw.source_rows = _drop_blank_rows(raw.table, raw.source_rows, raw.notes, path.name)
    return raw


def _read_old_excel(path: Path, options: dict) -> RawTable:
    raise DataError(f"{path}: old Excel .xls files are not read; save it as .xlsx or CSV")


def _table_or_query(name: str, options: dict) -> str:
    if options.get("query"):
        return options["query"]
    if options.get("table"):
        return 'SELECT * FROM "' + str(options["table"]).replace('"', '""') + '"'
    raise DataError(f"{name}: say which data to read with table=... or query=...")


def _read_duckdb(path: Path, options: dict) -> RawTable:
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            if not (options.get("query") or options.get("table")):
                tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
                raise DataError(f"{path}: say which data to read with table=... or query=... "
                                f"(tables: {', '.join(tables) or 'none'})")
            table = con.sql(_table_or_query(str(path), options)).to_arrow_table()
    except duckdb.Error as exc:
        raise DataError(f"{path}: {exc}") from exc
    return RawTable(table, str(path), np.arange(1, table.num_rows + 1, dtype=np.int64))


def _read_sql(url: str, options: dict) -> RawTable:
    import pandas as pd
    import sqlalchemy as sa

    from qoswb.redact import hide_passwords, password_pieces, safe_url

    try:
        engine = sa.create_engine(url)
        shown = safe_url(engine.url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        reason = str(exc)
        for piece in reversed(password_pieces(url)):  # the parser may quote a piece of a malformed URL
            reason = reason.replace(piece, "***")
        raise DataError(hide_passwords(f"{url}: not a usable database URL: {reason}")) from exc
    what = options.get("table") or "query"
    query = _table_or_query(shown, options)
    try:
        with engine.connect() as con:
            frame = pd.read_sql(sa.text(query), con)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        raise DataError(f"{shown} ({what}): {str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()
    return _from_frame(frame, f"{shown} ({what})", first_row=1)


# what a suffix promises, as filetypes.looks_like names it
_FORMAT_NAMES = {".parquet": "Parquet", ".pq": "Parquet", ".xlsx": "Excel", ".xlsm": "Excel"}
# file suffix -> reader; anything else is read as delimited text
_READERS = {".parquet": _read_parquet, ".pq": _read_parquet, ".xlsx": _read_excel, ".xlsm": _read_excel,
            ".xls": _read_old_excel, ".duckdb": _read_duckdb, ".ddb": _read_duckdb}
