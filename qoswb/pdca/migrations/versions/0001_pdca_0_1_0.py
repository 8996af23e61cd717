"""The PDCA store of qoswb 0.1.0, as its ``create_all`` made it.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _created():
    return sa.Column("created_at", sa.DateTime(), nullable=False)


def _child(name: str, *columns, parent: str = "cycles", key: str = "cycle_id"):
    """A table hanging off ``parent`` by ``key`` (indexed), with an id and a creation time."""
    op.create_table(name, sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column(key, sa.Integer(), sa.ForeignKey(f"{parent}.id"), nullable=False),
                    *columns, _created())
    op.create_index(f"ix_{name}_{key}", name, [key])


def upgrade() -> None:
    op.create_table(
        "cycles", sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("team", sa.String(200)), sa.Column("kpi", sa.String(100)),
        sa.Column("baseline", sa.Text()), sa.Column("target", sa.Text()),
        sa.Column("stage", sa.String(10), nullable=False), sa.Column("decision", sa.String(10)),
        sa.Column("standardised", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("next_cycle_id", sa.Integer()), _created(),
        sa.Column("updated_at", sa.DateTime(), nullable=False))
    op.create_table(
        "history", sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("cycle_id", sa.Integer()), sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("old", sa.Text()), sa.Column("new", sa.Text()))
    op.create_index("ix_history_at", "history", ["at"])
    op.create_index("ix_history_cycle_id", "history", ["cycle_id"])
    _child("causes", sa.Column("category", sa.String(100), nullable=False),
           sa.Column("text", sa.Text(), nullable=False),
           sa.Column("votes", sa.Integer(), nullable=False),
           sa.Column("is_root", sa.Boolean(), nullable=False))
    _child("actions", sa.Column("action", sa.Text(), nullable=False),
           sa.Column("owner", sa.String(200), nullable=False), sa.Column("due", sa.Date()),
           sa.Column("status", sa.String(10), nullable=False),
           sa.Column("notes", sa.Text(), nullable=False))
    _child("changes", sa.Column("what", sa.Text(), nullable=False),
           sa.Column("changed_on", sa.Date(), nullable=False),
           sa.Column("notes", sa.Text(), nullable=False))
    _child("checks", sa.Column("kind", sa.String(20), nullable=False),
           sa.Column("test", sa.String(100), nullable=False),
           sa.Column("verdict", sa.String(20), nullable=False),
           *(sa.Column(name, sa.Float()) for name in ("effect", "ci_low", "ci_high", "p_value",
                                                      "effect_size")),
           sa.Column("more_periods_needed", sa.Integer()),
           sa.Column("reading", sa.Text(), nullable=False),
           sa.Column("details", sa.Text(), nullable=False))
    _child("whys", sa.Column("position", sa.Integer(), nullable=False),
           sa.Column("text", sa.Text(), nullable=False),
           sa.UniqueConstraint("cause_id", "position"), parent="causes", key="cause_id")


def downgrade() -> None:
    for name in ("whys", "checks", "changes", "actions", "causes", "history", "cycles"):
        op.drop_table(name)
