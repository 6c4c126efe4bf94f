"""Counselor alerts and every step taken on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow

ALERT_LEVELS = ("crisis", "urgent", "concern")
ALERT_STATES = ("open", "acknowledged", "resolved")
UNRESOLVED = "state <> 'resolved'"
RESOLVED = "state = 'resolved'"


class Alert(Base):
    """Something a counselor must look at: a concerning reply, missed check-ins, an absence."""

    __tablename__ = "alerts"
    __table_args__ = (
        # The console's queue: unresolved alerts of one level, newest first; and the latest
        # resolved ones (bot.console.alert_rows).
        Index("ix_alerts_queue", "level", "created_at", "id",
              postgresql_where=text(UNRESOLVED), sqlite_where=text(UNRESOLVED)),
        Index("ix_alerts_resolved", "resolved_at", "id",
              postgresql_where=text(RESOLVED), sqlite_where=text(RESOLVED)),
        # The access rule: participants with an unresolved alert (seen by on-call staff).
        Index("ix_alerts_open_participant", "participant_id",
              postgresql_where=text(UNRESOLVED), sqlite_where=text(UNRESOLVED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Both empty for crisis language from an unknown number (then `phone` says who texted).
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(10))  # crisis | urgent | concern
    kind: Mapped[str] = mapped_column(String(30))  # triage | missed_checkins | absence | ...
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(String(120))  # the few words staff texts carry
    message_log_id: Mapped[int | None] = mapped_column(ForeignKey("message_log.id"))
    state: Mapped[str] = mapped_column(String(14), default="open", index=True)
    step: Mapped[int] = mapped_column(Integer, default=0)  # position on the escalation ladder
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # Set when the step was taken in the console: the signed-in staff account.
    acknowledged_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    resolved_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertEvent(Base):
    """One step in an alert's life: created, notified, re-sent, escalated, acknowledged..."""

    __tablename__ = "alert_events"
    # The access rule's "texted to this counselor by the ladder" (bot.console.access).
    __table_args__ = (Index("ix_alert_events_counselor", "counselor_id", "alert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(20))
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselors.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    message_log_id: Mapped[int | None] = mapped_column(ForeignKey("message_log.id"))
    detail: Mapped[str | None] = mapped_column(String(300))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
