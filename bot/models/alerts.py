"""Counselor alerts and every step taken on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot import tables
from bot.models.base import Base, UTCDateTime
from bot.tables import ALERT_LEVELS, ALERT_STATES, RESOLVED, UNRESOLVED

__all__ = ["ALERT_LEVELS", "ALERT_STATES", "RESOLVED", "UNRESOLVED", "Alert", "AlertEvent"]


class Alert(Base):
    """Something a counselor must look at: a concerning reply, missed check-ins, an absence.

    Its columns are `bot.tables.alerts`; its partial indexes are added below.
    """

    __table__ = tables.alerts

    id: Mapped[int]
    dedupe_key: Mapped[str]
    # Both empty for crisis language from an unknown number (then `phone` says who texted).
    participant_id: Mapped[int | None]
    counselor_id: Mapped[int | None]
    phone: Mapped[str | None]
    level: Mapped[str]  # crisis | urgent | concern
    kind: Mapped[str]  # triage | missed_checkins | absence | ...
    reasons: Mapped[list]
    summary: Mapped[str | None]  # the few words staff texts carry
    message_log_id: Mapped[int | None]
    state: Mapped[str]
    step: Mapped[int]  # position on the escalation ladder
    deadline_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None]
    acknowledged_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None]
    resolved_at: Mapped[datetime | None]
    note: Mapped[str | None]
    # Set when the step was taken in the console: the signed-in staff account.
    acknowledged_by_staff_id: Mapped[int | None]
    resolved_by_staff_id: Mapped[int | None]
    created_at: Mapped[datetime]


# The alerts table's partial indexes, on the table itself (`bot.tables.alerts`).
_ALERT = tables.alerts.c
# The console's queue: unresolved alerts of one level, newest first; and the latest resolved
# ones (bot.console.alert_rows).
Index("ix_alerts_queue", _ALERT.level, _ALERT.created_at, _ALERT.id,
      postgresql_where=text(UNRESOLVED), sqlite_where=text(UNRESOLVED))
Index("ix_alerts_resolved", _ALERT.resolved_at, _ALERT.id,
      postgresql_where=text(RESOLVED), sqlite_where=text(RESOLVED))
# The access rule: participants with an unresolved alert (seen by on-call staff).
Index("ix_alerts_open_participant", _ALERT.participant_id,
      postgresql_where=text(UNRESOLVED), sqlite_where=text(UNRESOLVED))


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
