"""The batch's output folder: claimed before anything is written in it.

A batch writes only inside its output folder and only into a folder that is new,
empty or an earlier batch's (it holds a qoswb ``manifest.json``). Anything else —
a file, a folder that cannot be written, someone's folder with content — is
refused with one line naming it, before a single file is written or deleted.

>>> claim("/proc/version")
Traceback (most recent call last):
...
qoswb.errors.ParameterError: output /proc/version: is a file, not a folder
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from qoswb.errors import ParameterError

MANIFEST = "manifest.json"


def is_batch_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a manifest written by a qoswb batch.

    >>> is_batch_folder("/no/such/folder")
    False
    """
    try:
        body = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and isinstance(body.get("batch"), dict) and isinstance(body.get("jobs"), list)


def claim(output: str | Path) -> Path:
    """Make sure the batch may write into ``output`` (creating it when new); returns it.

    A new or empty folder gets an empty manifest at once, so a batch stopped before
    its first report still leaves a folder the next run recognises as its own.
    """
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ParameterError(f"output {output}: is a file, not a folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):  # the only sure test of "writable" (even as root)
            pass
    except OSError as exc:
        raise ParameterError(f"output {output}: cannot write there ({exc.strerror or exc})") from None
    if is_batch_folder(output):
        return output
    if any(output.iterdir()):
        raise ParameterError(f"output {output}: the folder has content that no qoswb batch wrote "
                             f"(no qoswb {MANIFEST}); refusing to write there: choose a new or empty folder")
    (output / MANIFEST).write_text(json.dumps({"batch": {}, "jobs": []}), encoding="utf-8")
    return output
