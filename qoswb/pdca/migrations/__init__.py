"""Alembic migrations of the PDCA store: every schema change is a revision in ``versions/``.

:func:`qoswb.pdca.schema.upgrade` runs them when a store is opened, so a store written
by any released qoswb opens in a later one and is upgraded in place. ``0001`` is the
schema of 0.1.0 as it was (stores of 0.1.0 have no ``alembic_version`` table and are
stamped with it first); each later revision changes it. To add one, change
:mod:`qoswb.pdca.model`, then write the next file beside the others (``alembic
revision`` with ``script_location`` set to this folder does it from ``script.py.mako``);
tests/test_pdca_migrations.py checks that the revisions build exactly the model.
"""
