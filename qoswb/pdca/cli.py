"""``qoswb a3 CYCLE``: write one PDCA cycle's one-page A3 report, without opening Jupyter.

CYCLE is a cycle's id or its exact title. The store is the workshop's default
SQLite file in the data folder unless ``--store`` names another (a SQLAlchemy URL
or an SQLite file path); the export never creates a store that is not there.
The report is HTML unless ``--format md`` (or ``-o`` ending in ``.md``), written
to ``a3-<title slug>.<ext>`` in the current folder unless ``-o`` says where.

Exit status: 0 written (the path is printed), 2 for an unknown cycle, a store
that cannot be opened, or options that disagree (one line saying which).

>>> from qoswb.cli import main
>>> main(["a3", "1", "--store", "pdca.sqlite"])    # doctest: +SKIP
a3-slow-first-response-5d41402a.html
0
"""

from __future__ import annotations

from pathlib import Path

from qoswb.errors import ParameterError

FORMATS = {"html": ".html", "md": ".md"}
SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
SHOWN_WHEN_UNKNOWN = 5  # cycles listed when CYCLE matches none
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def add_arguments(parser) -> None:
    """The options of ``qoswb a3``."""
    parser.add_argument("cycle", metavar="CYCLE", help="the cycle's id, or its exact title")
    parser.add_argument("--store", metavar="URL", default=None,
                        help="PDCA store: a database URL or an SQLite file "
                             "(default: pdca.sqlite in the data folder)")
    parser.add_argument("--format", choices=sorted(FORMATS), default=None,
                        help="html (default) or md; else taken from -o's file ending")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="where to write (default: a3-<title>.<format> in this folder)")


def run(args) -> int:
    """Write the A3 report of one cycle and print the path written."""
    from qoswb.pdca.export import write_report
    from qoswb.pdca.store import Store

    fmt = report_format(args.format, args.output)
    store = Store(existing_store(args.store))
    try:
        cycle = store.get_cycle(find_cycle(store, args.cycle))
    finally:
        store.close()
    path = Path(args.output) if args.output else default_path(cycle["title"], fmt)
    print(write_report(cycle, path))
    return 0


def report_format(fmt: str | None, output: str | None) -> str:
    """html or md, from ``--format`` or else the ending of ``-o``; they must agree.

    >>> report_format(None, "report.md"), report_format(None, None)
    ('md', 'html')
    """
    if output is None:
        return fmt or "html"
    implied = SUFFIX_FORMAT.get(Path(output).suffix.lower())
    if implied is None:
        raise ParameterError(f"-o {output!r}: expected a file ending in .html or .md")
    if fmt is not None and fmt != implied:
        raise ParameterError(f"--format {fmt} but -o {output!r} asks for {implied}")
    return implied


def existing_store(url: str | None):
    """The store's URL (or SQLite file) if it is there to read; a missing SQLite file is an
    error, since opening it would create an empty store.

    >>> existing_store("postgresql://host/db")
    'postgresql://host/db'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from qoswb.pdca.database import default_url, store_url

    given = default_url() if url is None else url
    try:
        parsed = make_url(store_url(given))
    except ArgumentError:  # the store gives the clear error for a bad URL
        return given
    if parsed.get_backend_name() != "sqlite":
        return given
    if parsed.database in (None, "", ":memory:"):
        return given
    path = Path(parsed.database)
    if path.is_dir():
        raise ParameterError(f"PDCA store {given!r}: is a folder, not an SQLite file")
    if not path.is_file():
        raise ParameterError(f"PDCA store {given!r}: no such file (--store names another)")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise ParameterError(f"PDCA store {given!r}: cannot be read ({exc.strerror})") from None
    if head != SQLITE_HEADER:  # an empty file too: opening it would make a new, empty store
        raise ParameterError(f"PDCA store {given!r}: not an SQLite database "
                             f"(--store takes a database URL or an SQLite file)")
    return given


def find_cycle(store, wanted: str) -> int:
    """The id of the cycle whose id, or else whose exact title, is ``wanted``.

    >>> from qoswb.pdca.store import Store
    >>> store = Store("sqlite://")
    >>> cid = store.new_cycle("Slow replies")["id"]
    >>> find_cycle(store, "Slow replies") == find_cycle(store, str(cid)) == cid
    True
    """
    cycles = store.list_cycles()
    if wanted.strip().isdigit() and int(wanted) in set(cycles["id"]):
        return int(wanted)
    matches = cycles.loc[cycles["title"] == wanted, "id"].tolist()
    if len(matches) == 1:
        return int(matches[0])
    if matches:
        raise ParameterError(f"cycle {wanted!r}: {len(matches)} cycles have this title "
                             f"(ids {', '.join(map(str, matches))}); give the id")
    raise ParameterError(f"cycle {wanted!r}: no cycle with this id or title in {store.url}; "
                         f"{_some_cycles(cycles)}")


def _some_cycles(cycles) -> str:
    """A few of the store's cycles (latest edited first), for an error message."""
    if cycles.empty:
        return "the store has no cycles yet"
    shown = cycles.head(SHOWN_WHEN_UNKNOWN)
    listed = ", ".join(f"{row.id} {row.title!r}" for row in shown.itertuples())
    more = len(cycles) - len(shown)
    return f"cycles there: {listed}" + (f" and {more} more" if more else "")


def default_path(title: str, fmt: str) -> Path:
    """``a3-<safe slug of the title>.<ext>`` in the current folder.

    >>> default_path("Slow replies / lunch", "md").name
    'a3-slow-replies-lunch-...md'
    """
    from qoswb.filenames import slug

    return Path(f"a3-{slug(title, fallback='cycle')}{FORMATS[fmt]}")
