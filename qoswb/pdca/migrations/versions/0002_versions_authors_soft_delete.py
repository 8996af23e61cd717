"""Two at the table: a version per row, a revision per cycle, soft delete, sessions in history.

Each editable row gets ``version`` (1, 2, … one more per saved edit: an edit made
against an older version of a field is a conflict, not an overwrite) and causes,
whys, actions and changes ``deleted_at`` ("remove" can be undone). A cycle's
``revision`` goes up with every edit of it or its children, so an app polls one
number to know whether to reload. History rows record the row's version and the
cycle's revision after the edit, and the editing session (typing bursts merge only
within one session of one author).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSIONED = ("cycles", "causes", "whys", "actions", "changes")
REMOVABLE = ("causes", "whys", "actions", "changes")


def upgrade() -> None:
    for name in VERSIONED:
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                       server_default="1"))
            if name in REMOVABLE:
                table.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
            if name == "cycles":
                table.add_column(sa.Column("revision", sa.Integer(), nullable=False,
                                           server_default="0"))
    with op.batch_alter_table("history") as table:
        table.add_column(sa.Column("version", sa.Integer(), nullable=True))
        table.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        table.add_column(sa.Column("session", sa.String(40), nullable=True))
    op.create_index("ix_history_cycle_revision", "history", ["cycle_id", "revision"])


def downgrade() -> None:
    op.drop_index("ix_history_cycle_revision", "history")
    with op.batch_alter_table("history") as table:
        for column in ("session", "revision", "version"):
            table.drop_column(column)
    for name in VERSIONED:
        with op.batch_alter_table(name) as table:
            if name == "cycles":
                table.drop_column("revision")
            if name in REMOVABLE:
                table.drop_column("deleted_at")
            table.drop_column("version")
