"""qoswb.reports: papermill batches of report templates, with a data cache, manifest and index.

Public names load on first use, so ``import qoswb.reports`` (which every report
notebook pays for) stays cheap.

>>> from qoswb.reports import run_batch, load_parameters   # doctest: +SKIP
"""

import importlib

_PUBLIC = {
    "run_batch": "qoswb.reports.batch",
    "BatchOutcome": "qoswb.reports.batch",
    "load_parameters": ("qoswb.reports.params", "load"),
    "BatchParameters": "qoswb.reports.params",
    "slug": "qoswb.reports.jobs",
}
__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        target = _PUBLIC[name]
        module, attr = target if isinstance(target, tuple) else (target, name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'qoswb.reports' has no attribute {name!r}")
