"""senders: liveness of the processes that claim outbox rows

Revision ID: rel_delivery_senders
Revises: d463c56c8504
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision = "rel_delivery_senders"
down_revision = "triage_screening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "senders",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("beat_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_senders")),
    )


def downgrade() -> None:
    op.drop_table("senders")
