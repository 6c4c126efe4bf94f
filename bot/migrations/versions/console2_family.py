"""console part 2 (family, import, exports, reports): covering indexes for the weekly report

Revision ID: console2_family
Revises: perf_console_indexes
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

from alembic import op

revision = "console2_family"
down_revision = "perf_console_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_day", ["local_date"], unique=False,
                              postgresql_include=["answered_at"])
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_session", ["session_id"], unique=False,
                              postgresql_include=["present"])


def downgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_session")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_day")
