"""clock pass heartbeat for iopbot doctor

Revision ID: ops_clock_pass
Revises: d463c56c8504
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision = "ops_clock_pass"
down_revision = "d463c56c8504"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clock_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finished_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_pass")),
    )


def downgrade() -> None:
    op.drop_table("clock_pass")
