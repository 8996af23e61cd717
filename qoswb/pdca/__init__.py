"""qoswb.pdca: the durable record of PDCA improvement cycles, the Check step and the A3 export.

Light to import: the modules below load on first use (SQLAlchemy with the store,
statsmodels with the check, matplotlib with the figures).

    Store       cycles, causes, whys, actions, changes, checks, history (SQLite / PostgreSQL),
                versions per row (EditConflict), undoable removal, Alembic migrations
    check_change  the Check of a change on a KPI series: stable baseline, run rules, a test
                that allows for autocorrelation, a verdict in plain words
    evaluate    before vs after on observations: test, effect, confidence interval, verdict
    to_markdown / to_html   a cycle as a one-page A3 report
    fishbone / pareto       the Ishikawa and Pareto figures

>>> import qoswb.pdca
>>> store = qoswb.pdca.Store("sqlite://")
>>> store.new_cycle("Slow replies")["title"]
'Slow replies'
"""

import importlib

_LAZY = {
    "Store": "qoswb.pdca.store",
    "default_url": "qoswb.pdca.store",
    "evaluate": "qoswb.pdca.compare",
    "check_change": "qoswb.pdca.check",
    "check_chart": "qoswb.pdca.phases",
    "CheckResult": "qoswb.pdca.compare",
    "phase_chart": "qoswb.pdca.phases",
    "kpi_chart": "qoswb.pdca.phases",
    "check_kpi": "qoswb.pdca.phases",
    "split_at": "qoswb.pdca.phases",
    "to_markdown": "qoswb.pdca.export",
    "to_html": "qoswb.pdca.export",
    "write_report": "qoswb.pdca.export",
    "fishbone": "qoswb.pdca.fishbone",
    "pareto": "qoswb.pdca.fishbone",
    "phase_reading": "qoswb.pdca.phases",
    "CATEGORIES": "qoswb.pdca.model",
    "EditConflict": "qoswb.pdca.history",
    "session_user": "qoswb.pdca.authors",
}
__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qoswb.pdca' has no attribute {name!r}")
