"""Alembic's entry point: run the revisions on the connection qoswb hands over."""

from alembic import context

from qoswb.pdca.model import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True)  # SQLite alters tables by copying them
with context.begin_transaction():
    context.run_migrations()
