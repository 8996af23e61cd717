"""Files that appear whole or not at all: a hidden temporary name, flushed, then renamed.

Reports, the batch index and manifest and the workshop's A3 are written this way,
so a run killed part-way leaves at worst a hidden ``.*.partial.*`` file (which
:func:`remove_partials` clears), never a file that looks finished but is not.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "index.html"
>>> write_atomically(path, "<p>ok</p>")
>>> path.read_text()
'<p>ok</p>'
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

PARTIAL = ".partial"


def partial_name(path: Path) -> Path:
    """The hidden temporary name under which ``path`` is written before its rename."""
    # the real suffix last, so tools that check it (papermill does) are content
    path = Path(path)
    return path.with_name(f".{path.stem}.{os.getpid()}{PARTIAL}{path.suffix}")


def write_synced(path: Path, text: str) -> None:
    """Write ``text`` and flush it to disk, so a rename afterwards publishes whole content."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a hidden temporary file and a rename.

    Should the write fail (a full disk), the temporary file is removed and ``path``
    keeps what it held.
    """
    tmp = partial_name(path)
    try:
        write_synced(tmp, text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_partials(folder: Path, outputs) -> int:
    """Delete the temporary files a killed batch left for ``outputs`` (paths relative to
    ``folder``); returns how many. Only names :func:`partial_name` gives are touched, so a
    user's own ``.notes.partial.txt`` beside the reports stays."""
    count = 0
    for relative in outputs:
        path = Path(folder) / relative
        mine = re.compile(rf"\.{re.escape(path.stem)}\.\d+{re.escape(PARTIAL)}{re.escape(path.suffix)}")
        root, parent = Path(folder).resolve(), path.parent.resolve()
        if not path.parent.is_dir() or (parent != root and root not in parent.parents):
            continue  # a job folder that is not there, or a link leading out of the batch's folder
        for tmp in path.parent.glob(f".{glob.escape(path.stem)}.*{PARTIAL}{glob.escape(path.suffix)}"):
            if mine.fullmatch(tmp.name) and tmp.is_file() and not tmp.is_symlink():
                tmp.unlink()
                count += 1
    return count
