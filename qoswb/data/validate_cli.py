"""``qoswb validate FILE``: load a file as qoswb would, print the summary, keep the rejected rows.

Exit status: 0 when every row was accepted, 1 when rows were rejected (they are
written to ``FILE`` with ``.rejected.csv`` as suffix — ``orders.csv`` gives
``orders.rejected.csv`` — or to ``--rejected PATH``), 2 on an error (missing
column, unreadable file, bad mapping), printed as one line.

>>> from qoswb.cli import main
>>> main(["validate", "orders.csv", "--mapping", "orders.yaml"])   # doctest: +SKIP
orders.csv: 1,204 rows read, 1,198 accepted, 6 rejected
  duplicate id: 4
  ...
"""

from pathlib import Path

from qoswb.errors import DataError


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV/TSV, Parquet, .xlsx or DuckDB file, or a SQLAlchemy URL")
    parser.add_argument("--mapping", help="YAML mapping of your columns onto qoswb's")
    parser.add_argument("--kind", choices=["interactions", "surveys", "aggregates"],
                        help="what the file holds (default: the mapping's kind, else interactions)")
    parser.add_argument("--rejected", metavar="PATH", help="where to write the rejected rows (CSV)")
    parser.add_argument("--table", help="table to read (DuckDB file or database URL)")
    parser.add_argument("--query", help="SQL query to read (DuckDB file or database URL)")


def rejected_path(source: str, given: str | None = None) -> Path:
    """Where the rejected rows go: ``given``, else beside a file, else the current folder.

    >>> rejected_path("exports/orders.csv").as_posix()
    'exports/orders.rejected.csv'
    """
    if given:
        return Path(given)
    if "://" in source:
        return Path("rejected.csv")
    path = Path(source)
    return path.with_name(path.name.split(".")[0] + ".rejected.csv")


def run(args) -> int:
    """Load, print the summary and notes, write the rejected rows; 0 clean, 1 rows rejected."""
    from qoswb.data.loaders import load
    from qoswb.data.mapping import read_mapping

    mapping = read_mapping(args.mapping)
    kind = args.kind or mapping.kind or "interactions"
    options = {k: v for k, v in (("table", args.table), ("query", args.query)) if v}
    result = load(args.file, kind, mapping, **options)
    print(result.report())
    if result.ok:
        return 0
    target = rejected_path(args.file, args.rejected)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        result.rejected.to_csv(target, index=False)
    except OSError as exc:
        raise DataError(f"cannot write the rejected rows to {target}: {exc.strerror or exc}") from exc
    print(f"rejected rows written to {target}")
    return 1
