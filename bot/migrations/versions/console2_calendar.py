"""console part 2, calendar: attendance can be marked excused (absent with notice, no alert);
reminder fires indexed by session and state for the week calendar

Revision ID: console2_calendar
Revises: console2_family
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "console2_calendar"
down_revision = "console2_family"
branch_labels = None
depends_on = None

REMINDER = "kind = 'reminder'"


def upgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("excused", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table("fires", schema=None) as batch_op:
        batch_op.create_index("ix_fires_reminder_session", ["session_id", "state"], unique=False,
                              postgresql_where=sa.text(REMINDER), sqlite_where=sa.text(REMINDER))


def downgrade() -> None:
    with op.batch_alter_table("fires", schema=None) as batch_op:
        batch_op.drop_index("ix_fires_reminder_session")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_column("excused")
