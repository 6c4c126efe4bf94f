"""screening questions (issue 11)

Revision ID: triage_screening
Revises: d463c56c8504
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision = "triage_screening"
down_revision = "program_staffing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("message_log_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("asked_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.ForeignKeyConstraint(["message_log_id"], ["message_log.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_screening_questions_outcome_due", "screening_questions", ["outcome", "due_at"]
    )
    op.create_index(
        op.f("ix_screening_questions_participant_id"), "screening_questions", ["participant_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_questions_participant_id"), table_name="screening_questions")
    op.drop_index("ix_screening_questions_outcome_due", table_name="screening_questions")
    op.drop_table("screening_questions")
