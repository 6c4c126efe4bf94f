"""The message log (every text in or out) and the outbox (every text still to send)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.inbox import INBOX_WHERE

# Outbox states. pending -> sending -> sent (-> delivered/undelivered via status callbacks)
# pending -> cancelled | dropped | suppressed; sending -> pending (retry) | failed.
OUTBOX_STATES = (
    "pending", "sending", "sent", "replied", "failed", "cancelled", "dropped", "suppressed",
)
# Delivery states reported by Twilio, in the order they can only move forward.
DELIVERY_RANK = {
    "accepted": 1, "queued": 1, "scheduled": 1, "sending": 2, "sent": 3,
    "failed": 4, "undelivered": 4, "delivered": 5, "read": 6, "canceled": 4,
}


class OutboxMessage(Base):
    """One text we intend to send, committed with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before"),
        # A participant's timeline reads their texts newest first.
        Index("ix_outbox_participant_at", "participant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_phone: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="sms")
    body: Mapped[str] = mapped_column(Text)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=5)  # lower sends first; crisis = 0
    state: Mapped[str] = mapped_column(String(12), default="pending")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # pointless after this
    party: Mapped[str] = mapped_column(String(12), default="participant")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a send may have reached Twilio without us hearing back (crash or timeout):
    # the next attempt first asks Twilio whether it already has the message.
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # webhook SID max
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageLog(Base):
    """Every text received or sent, with who it was from or to."""

    __tablename__ = "message_log"
    __table_args__ = (
        # A participant's timeline, newest first; the inbox: texts waiting for a person.
        Index("ix_message_log_participant_at", "participant_id", "created_at"),
        Index("ix_message_log_inbox", "created_at", "id",
              postgresql_where=text(INBOX_WHERE), sqlite_where=text(INBOX_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    channel: Mapped[str] = mapped_column(String(10), default="sms")
    phone: Mapped[str] = mapped_column(String(20), index=True)
    party: Mapped[str] = mapped_column(String(12))  # participant | counselor | family | unknown
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # webhook SID max
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    body: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set when staff mark an inbox text reviewed (who: InboxReview); NULL = still waiting.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendPacing(Base):
    """A single row that spaces sends across every sender process (messages per second)."""

    __tablename__ = "send_pacing"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_slot_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sender(Base):
    """A process that claims outbox rows; its beat shows the rows it holds are in hand."""

    __tablename__ = "senders"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # host:pid
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
