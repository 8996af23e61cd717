"""A cycle's grain: the period its KPI is counted in, so the Explorer comes back to it.

A cycle records its team and KPI; the chart it was planned on also had a grain (weeks,
months…), and a KPI counted by month is another series than the same KPI by week.
``cycles.grain`` holds it (one of :data:`qoswb.pdca.model.GRAINS`); cycles of earlier
versions have none (NULL: the app keeps its current grain for them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycles") as table:
        table.add_column(sa.Column("grain", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycles") as table:
        table.drop_column("grain")
