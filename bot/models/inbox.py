"""What staff did with participants' texts: inbox reviews and replies sent from the console."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime

# The one intent that means "nobody but a person can answer this": a participant's text that
# no handler took and triage did not turn into an alert (handlers/fallback.py).
INBOX_INTENT = "free_text"
# The inbox's partial index holds only texts still waiting, so reading the inbox costs what is
# in it, not the years of reviewed texts behind it.
INBOX_WHERE = (f"direction = 'in' AND party = 'participant' AND intent = '{INBOX_INTENT}' "
               "AND reviewed_at IS NULL")


class InboxReview(Base):
    """Who marked a participant's text reviewed, and when (message_log.reviewed_at is the flag
    the inbox's index reads; this row is the record)."""

    __tablename__ = "inbox_reviews"

    message_log_id: Mapped[int] = mapped_column(ForeignKey("message_log.id"), primary_key=True)
    reviewed_by: Mapped[str] = mapped_column(String(80))  # the audit actor, e.g. "staff:3"
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsoleReply(Base):
    """A text a staff member wrote to a participant from the console (its outbox row)."""

    __tablename__ = "console_replies"
    __table_args__ = (Index("ix_console_replies_participant", "participant_id"),)

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    sent_by: Mapped[str] = mapped_column(String(80))  # the audit actor
    sent_by_name: Mapped[str] = mapped_column(String(120))  # as shown then, kept as a record
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
