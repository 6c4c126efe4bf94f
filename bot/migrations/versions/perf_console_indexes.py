"""perf: indexes for the console's alert queue and access rule

Revision ID: perf_console_indexes
Revises: console_pages_inbox
Create Date: 2026-11-30 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "perf_console_indexes"
down_revision = "console_pages_inbox"
branch_labels = None
depends_on = None

UNRESOLVED = "state <> 'resolved'"
RESOLVED = "state = 'resolved'"


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_queue", ["level", "created_at", "id"], unique=False,
                              postgresql_where=sa.text(UNRESOLVED),
                              sqlite_where=sa.text(UNRESOLVED))
        batch_op.create_index("ix_alerts_resolved", ["resolved_at", "id"], unique=False,
                              postgresql_where=sa.text(RESOLVED), sqlite_where=sa.text(RESOLVED))
        batch_op.create_index("ix_alerts_open_participant", ["participant_id"], unique=False,
                              postgresql_where=sa.text(UNRESOLVED),
                              sqlite_where=sa.text(UNRESOLVED))
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index("ix_alert_events_counselor", ["counselor_id", "alert_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_events_counselor")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_open_participant")
        batch_op.drop_index("ix_alerts_resolved")
        batch_op.drop_index("ix_alerts_queue")
