"""``qoswb validate FILE``: load a file as qoswb would, print the summary, keep the rejected rows.

Exit status: 0 when every row was accepted, 1 when rows were rejected (or survey
answers match no interaction), 2 on an error (missing column, unreadable or
damaged file, bad mapping, a rejects file it will not overwrite), printed as one line.

The rejected rows go beside the file, named from its whole name with the data
suffix replaced — ``tickets.2024-01.csv`` gives ``tickets.2024-01.rejected.csv``
and ``tickets.csv.gz`` gives ``tickets.rejected.csv`` — or to ``--rejected PATH``.
Their header starts ``source_row,reason`` (where the row was, why it was
rejected), then the row as read; that header is how qoswb knows a rejects file
it wrote. It never writes over its input, nor over an existing file without that
header (exit 2 naming it); the file is written whole or not at all.

Survey answers (``--kind surveys``) given ``--interactions FILE`` (with its own
``--interactions-mapping``) are linked to them by id, and the summary says how
many answers match no interaction: those leave CSAT, NPS and CES.

>>> from qoswb.cli import main
>>> main(["validate", "orders.csv", "--mapping", "orders.yaml"])   # doctest: +SKIP
orders.csv: 1,204 rows read, 1,198 accepted, 6 rejected
  duplicate id: 4
  ...
"""

import csv
import os
import tempfile
from pathlib import Path

from qoswb.errors import DataError, ParameterError

REJECTS_HEADER = ["source_row", "reason"]
# suffixes that say how a file is stored, dropped from the name of its rejects file
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".dat", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls",
                 ".duckdb", ".ddb", ".sqlite", ".db")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zst", ".lz4")


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV/TSV, Parquet, .xlsx or DuckDB file, or a SQLAlchemy URL")
    parser.add_argument("--mapping", help="YAML mapping of your columns onto qoswb's")
    parser.add_argument("--kind", choices=["interactions", "surveys", "aggregates"],
                        help="what the file holds (default: the mapping's kind, else interactions)")
    parser.add_argument("--rejected", metavar="PATH", help="where to write the rejected rows (CSV)")
    parser.add_argument("--table", help="table to read (DuckDB file or database URL)")
    parser.add_argument("--query", help="SQL query to read (DuckDB file or database URL)")
    parser.add_argument("--interactions", metavar="FILE",
                        help="for survey answers: the interactions they rate, to count answers that match none")
    parser.add_argument("--interactions-mapping", metavar="YAML", help="mapping of the --interactions file")


def rejected_path(source: str, given: str | None = None, kind: str = "interactions") -> Path:
    """Where the rejected rows go: ``given``, else beside a file, else the current folder. Survey
    answers' and aggregates' rejects are named for their kind, so that validating the tickets and
    their ratings from one export keeps both files.

    >>> rejected_path("exports/orders.csv").as_posix()
    'exports/orders.rejected.csv'
    >>> rejected_path("tickets.2024-01.csv").name, rejected_path("t.csv.gz").name
    ('tickets.2024-01.rejected.csv', 't.rejected.csv')
    >>> rejected_path("x.rejected.csv").name
    'x.rejected.rejected.csv'
    >>> rejected_path("export.csv", kind="surveys").name
    'export.surveys.rejected.csv'
    """
    if given:
        return Path(given)
    named = "" if kind == "interactions" else f"{kind}."
    if "://" in source:
        return Path(f"{named}rejected.csv")
    path = Path(source)
    if not path.name or path.name == "..":
        raise DataError(f"{source!r}: is a folder (or empty), not a data file")
    stem = path.name
    for suffixes in (COMPRESSION_SUFFIXES, DATA_SUFFIXES):
        for suffix in suffixes:
            if stem.lower().endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                break
    return path.with_name(f"{stem}.{named}rejected.csv")


def is_rejects_file(path: Path) -> bool:
    """Whether ``path`` is a rejects file qoswb wrote: its header starts ``source_row,reason``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            header = next(csv.reader([stream.readline(4096)]), [])
    except (OSError, UnicodeDecodeError):
        return False
    return header[: len(REJECTS_HEADER)] == REJECTS_HEADER


def check_target(target: Path, source: str) -> None:
    """Refuse to write over the input or over a file qoswb did not write (ParameterError)."""
    if "://" not in source and target.exists() and Path(source).exists() and target.samefile(source):
        raise ParameterError(f"{target}: is the file being validated; not overwritten (give --rejected PATH)")
    if target.is_dir():
        raise ParameterError(f"{target}: is a folder, not a file for the rejected rows")
    if target.exists() and not is_rejects_file(target):
        raise ParameterError(f"{target}: exists and is not a rejects file qoswb wrote (its header does not "
                             f"start with {','.join(REJECTS_HEADER)}); not overwritten (move it or give "
                             f"--rejected PATH)")


def write_rejected(rejected, target: Path) -> None:
    """Write the rejected rows, ``source_row`` and ``reason`` first, whole or not at all."""
    columns = REJECTS_HEADER + [c for c in rejected.columns if c not in REJECTS_HEADER]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                rejected[columns].to_csv(stream, index=False)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError as exc:
        raise DataError(f"cannot write the rejected rows to {target}: {exc.strerror or exc}") from exc


def unmatched_answers(result, interactions: str, mapping=None) -> tuple[int, int]:
    """(answers matching no interaction of ``interactions``, answers rating one rejected there):
    accepted survey answers whose case is not in the file, and those whose case is but was rejected."""
    from qoswb.data.linking import link_surveys, rating_rejected
    from qoswb.data.loaders import load_interactions

    try:
        cases = load_interactions(interactions, mapping)
    except DataError as exc:  # the loader's advice names --mapping; for this file it is another option
        raise DataError(str(exc).replace("--mapping ", "--interactions-mapping ")) from None
    _, unmatched = link_surveys(result.data, cases.data)
    of_rejected = int(rating_rejected(unmatched, cases.rejected).sum())
    return len(unmatched) - of_rejected, of_rejected


def run(args) -> int:
    """Load, print the summary and notes, write the rejected rows; 0 clean, 1 rows rejected."""
    from qoswb.data.loaders import load
    from qoswb.data.mapping import read_mapping

    mapping = read_mapping(args.mapping, setting="--mapping")
    kind = args.kind or mapping.kind or "interactions"
    if args.interactions and kind != "surveys":
        raise ParameterError(f"--interactions is for survey answers (--kind surveys), not {kind}")
    options = {k: v for k, v in (("table", args.table), ("query", args.query)) if v}
    target = rejected_path(args.file, args.rejected, kind)
    check_target(target, args.file)  # before the work, so a refusal costs nothing
    result = load(args.file, kind, mapping, **options)
    print(result.report())
    unmatched, of_rejected = unmatched_answers(result, args.interactions, args.interactions_mapping) \
        if args.interactions else (0, 0)
    if args.interactions:
        print(f"{unmatched:,} answer{'s match' if unmatched != 1 else ' matches'} no interaction in {args.interactions}"
              + (" (they are left out of CSAT, NPS and CES)" if unmatched else ""))
        if of_rejected:  # their case is there but was rejected: fixing the case brings them back
            print(f"{of_rejected:,} answer{'s rate' if of_rejected != 1 else ' rates'} an interaction rejected in "
                  f"{args.interactions} (left out of CSAT, NPS and CES until it is accepted)")
        unmatched += of_rejected
    if result.ok:
        return 1 if unmatched else 0
    write_rejected(result.rejected, target)
    print(f"rejected rows written to {target}")
    return 1
