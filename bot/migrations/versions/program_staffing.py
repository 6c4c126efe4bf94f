"""on-call rota and overrides, former phones, account-level send problems

Revision ID: program_staffing
Revises: d463c56c8504
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision = "program_staffing"
down_revision = "d463c56c8504"
branch_labels = None
depends_on = None

UTC = bot.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account_problems",
        sa.Column("code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("first_seen_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("cleared_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_account_problems")),
    )
    op.create_table(
        "oncall_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["counselor_id"], ["counselors.id"],
                                name=op.f("fk_oncall_shifts_counselor_id_counselors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_shifts")),
    )
    with op.batch_alter_table("oncall_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_shifts_counselor_id"), ["counselor_id"])
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counselor_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["counselor_id"], ["counselors.id"],
                                name=op.f("fk_oncall_overrides_counselor_id_counselors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_overrides_counselor_id"), ["counselor_id"])
        batch_op.create_index(batch_op.f("ix_oncall_overrides_starts_at"), ["starts_at"])
        batch_op.create_index(batch_op.f("ix_oncall_overrides_ends_at"), ["ends_at"])
    op.create_table(
        "former_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("replaced_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_former_phones_participant_id_participants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_phones")),
    )
    with op.batch_alter_table("former_phones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_former_phones_participant_id"), ["participant_id"])
        batch_op.create_index(batch_op.f("ix_former_phones_phone"), ["phone"])


def downgrade() -> None:
    op.drop_table("former_phones")
    op.drop_table("oncall_overrides")
    op.drop_table("oncall_shifts")
    op.drop_table("account_problems")
