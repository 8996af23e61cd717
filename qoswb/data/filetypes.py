"""What a file that should be text really is, from its first bytes (so the error can say it).

A spreadsheet saved under ``.csv``, a Parquet file renamed ``.txt``, a gzip
download without its ``.gz``: each starts with a signature of its own. The table
below is the one place they are listed; a file with none of them but with NUL
bytes is binary of some other kind.

>>> looks_like(b"PAR1\\x15\\x04")
'a Parquet file (name it .parquet)'
>>> looks_like(b"id,team\\n1,North\\n") is None
True
"""

import io
import zipfile

# leading bytes -> what the file is, with what to do about it
SIGNATURES = [
    (b"PAR1", "a Parquet file (name it .parquet)"),
    (b"\x1f\x8b", "a gzip-compressed file (name it .csv.gz to read it compressed)"),
    (b"BZh", "a bzip2-compressed file (name it .csv.bz2 to read it compressed)"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard-compressed file (name it .csv.zst to read it compressed)"),
    (b"\xfd7zXZ\x00", "an xz-compressed file (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (extract the file first)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office (.xls) file (save it as .xlsx or CSV)"),
    (b"SQLite format 3\x00", "an SQLite database (read it with a sqlite:/// URL and table=...)"),
    (b"ARROW1", "an Arrow/Feather file (convert it to Parquet or CSV)"),
    (b"ORC", "an ORC file (convert it to Parquet or CSV)"),
    (b"%PDF", "a PDF document (export the data as CSV)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
]
# a ZIP's first member names tell the Office formats apart
ZIP_CONTENTS = [
    ("xl/", "an Excel workbook (name it .xlsx)"),
    ("word/", "a Word document (export the data as CSV)"),
    ("ppt/", "a PowerPoint file (export the data as CSV)"),
]


def looks_like(head: bytes, path=None, encoding: str | None = None) -> str | None:
    """What a file starting with ``head`` is, when it is not text; None for text.

    UTF-16 text (NUL bytes between letters) is text when it starts with a byte-order mark
    or when ``encoding`` says it is UTF-16.

    >>> looks_like(b"\\x00\\x01\\x02binary")
    'binary data (it holds NUL bytes), or UTF-16 text without a byte-order mark (give encoding=utf-16-le or utf-16-be)'
    >>> looks_like(b"\\xff\\xfei\\x00d\\x00") is None
    True
    """
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            return what
    if head[8:12] == b"DUCK":
        return "a DuckDB database (name it .duckdb and give table=...)"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_contents(head, path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (encoding or "").lower().startswith("utf-16"):
        return None
    if b"\x00" in head:
        return ("binary data (it holds NUL bytes), or UTF-16 text without a byte-order mark "
                "(give encoding=utf-16-le or utf-16-be)")
    return None


def _zip_contents(head: bytes, path) -> str:
    try:
        source = path if path is not None else io.BytesIO(head)
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        names = []
    for prefix, what in ZIP_CONTENTS:
        if any(n.startswith(prefix) for n in names):
            return what
    return "a ZIP archive (extract the file first)"
