"""The embedded default store: the synthetic demo data as Parquet files users can see.

``demo_data()`` reads ``<data_dir>/demo/{interactions,surveys,special_causes}.parquet``
(see :func:`qoswb.config.data_dir`), generating them on first use. Notebooks and
report batches read the demo through here, so they all see the same data; the
files are also plain Parquet for DuckDB or any other tool::

    duckdb -c "select team, count(*) from 'data/demo/interactions.parquet' group by 1"

A store written by another version of the generator (``meta.json`` differs) is
made again, so a changed generator never leaves stale demo data behind.

>>> from qoswb.data import demo_data
>>> demo = demo_data()              # doctest: +SKIP
>>> demo.special_causes["kpi"].tolist()   # doctest: +SKIP
['first_response_median', 'volume', 'csat']
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

from qoswb.config import data_dir
from qoswb.errors import DataError

STORE_VERSION = 2  # bump when the generator's output changes
DEMO_SEED = 2024
TABLES = ("interactions", "surveys", "special_causes")


def demo_path() -> Path:
    """The folder of the demo store (it may not exist yet)."""
    return data_dir() / "demo"


def _meta() -> dict:
    return {"store_version": STORE_VERSION, "seed": DEMO_SEED}


def _is_current(path: Path) -> bool:
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return meta == _meta() and all((path / f"{t}.parquet").exists() for t in TABLES)


def write_store(path: Path | None = None, replace: bool = False) -> Path:
    """Generate the demo data and write the store; safe when several processes race.

    The files are written to a temporary folder beside the store and moved into
    place in one rename, so a reader never sees half a store. A current store that
    another process finished meanwhile is kept, unless ``replace``.

    >>> write_store(tmp / "demo")    # doctest: +SKIP
    """
    from qoswb.data.synthetic import generate

    path = Path(path) if path is not None else demo_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = generate(seed=DEMO_SEED)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=path.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the store is meant to be seen
    try:
        for name in TABLES:
            getattr(data, name).to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "meta.json").write_text(json.dumps(_meta()))
        if path.exists():
            if _is_current(path) and not replace:
                return path
            old = Path(tempfile.mkdtemp(prefix=".demo-old-", dir=path.parent))
            os.replace(path, old / "store")  # out of the way in one step, then deleted
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, path)
        except OSError:
            if not _is_current(path):  # someone else won the race only if theirs is whole
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def demo_data(refresh: bool = False):
    """Return the demo :class:`~qoswb.data.synthetic.SyntheticData` from the store.

    Makes the store on first use (a few seconds) or when ``refresh`` is true.

    >>> from qoswb.data import demo_data
    >>> data = demo_data()                 # doctest: +SKIP
    >>> sorted(data.interactions["team"].unique())[:2]   # doctest: +SKIP
    ['Accessibility', 'Accounts']
    """
    import pandas as pd

    from qoswb.data.synthetic import SyntheticData

    path = demo_path()
    if refresh or not _is_current(path):
        write_store(path, replace=refresh)
    try:
        frames = {name: pd.read_parquet(path / f"{name}.parquet") for name in TABLES}
    except OSError as exc:
        raise DataError(f"cannot read the demo store in {path}: {exc}; "
                        "run demo_data(refresh=True) or 'qoswb demo --refresh'") from exc
    return SyntheticData(**frames)
