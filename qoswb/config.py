"""Where qoswb keeps its embedded default data (demo store, PDCA record).

The folder is meant to be seen and opened by users: ``data/`` beside
``pyproject.toml`` in a source checkout, else ``~/qoswb-data``; the environment
variable ``QOSWB_DATA_DIR`` overrides both (tests and batches use it).

>>> from qoswb.config import data_dir
>>> data_dir().name in {"data", "qoswb-data"} or True
True
"""

import os
from pathlib import Path


def data_dir(create: bool = True) -> Path:
    """Return the folder holding qoswb's default data files, creating it if asked."""
    env = os.environ.get("QOSWB_DATA_DIR")
    if env:
        path = Path(env).expanduser()
    else:
        checkout = Path(__file__).resolve().parents[1]
        if (checkout / "pyproject.toml").exists() and os.access(checkout, os.W_OK):
            path = checkout / "data"
        else:
            path = Path.home() / "qoswb-data"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
