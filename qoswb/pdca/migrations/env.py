"""Alembic's entry point: run the revisions on the connection qoswb hands over."""

from alembic import context

from qoswb.pdca.model import Base


def run(connection) -> None:
    """Run the revisions Alembic asked for, on ``connection`` (already in a transaction)."""
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True)  # SQLite alters tables by copying them
    with context.begin_transaction():
        context.run_migrations()


try:
    _connection = context.config.attributes["connection"]
except (AttributeError, NameError):  # imported outside a migration: nothing to run
    _connection = None
if _connection is not None:
    run(_connection)
