"""Root of every pytest run (tests, notebooks, templates): an isolated data folder per run.

Tests, and the kernels and servers they start (which inherit the environment), never write
into a user's data folder: the demo store and the PDCA record go to a fresh folder per run.
"""

import os
import tempfile

os.environ["QOSWB_DATA_DIR"] = tempfile.mkdtemp(prefix="qoswb-test-data-")
