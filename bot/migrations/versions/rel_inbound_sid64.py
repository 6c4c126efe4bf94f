"""MessageSid columns hold 64 characters (what the webhook accepts; Twilio's are 34)

Revision ID: rel_inbound_sid64
Revises: d463c56c8504
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rel_inbound_sid64"
down_revision = "rel_delivery_senders"
branch_labels = None
depends_on = None

TABLES = ("outbox", "message_log")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("twilio_sid", existing_type=sa.String(length=40),
                               type_=sa.String(length=64), existing_nullable=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("twilio_sid", existing_type=sa.String(length=64),
                               type_=sa.String(length=40), existing_nullable=True)
