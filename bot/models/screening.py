"""The screening question asked when triage is unsure (issue 11): one row per question."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime

# pending: asked, no answer yet; yes / no: the answer; crisis: crisis wording in the answer;
# no_answer: nothing came back in time (an urgent alert was raised).
SCREENING_OUTCOMES = ("pending", "yes", "no", "crisis", "no_answer")


class ScreeningQuestion(Base):
    """A screening question sent to a participant, its answer and what it led to."""

    __tablename__ = "screening_questions"
    __table_args__ = (Index("ix_screening_questions_outcome_due", "outcome", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    message_log_id: Mapped[int | None] = mapped_column(ForeignKey("message_log.id"))
    language: Mapped[str] = mapped_column(String(5))
    question: Mapped[str] = mapped_column(Text)  # as sent, so staff see the exact words
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # why triage was unsure
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # no answer by then: urgent alert
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
