"""Sessions, stored fires, daily check-ins, reminder confirmations and attendance."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow

SESSION_STATES = ("scheduled", "cancelled")
FIRE_STATES = ("pending", "deferred", "done", "dropped", "withdrawn")
FIRE_KINDS = ("checkin", "followup", "reminder")


class TherapySession(Base):
    """One meeting: a group session (weekly or one-off) or an individual appointment."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    # "weekly:<group>:<local start>" for meetings generated from a weekly pattern, so each is
    # created once (and a cancelled one is never generated again); NULL for one-offs.
    occurrence_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped by each reschedule
    # Added or rescheduled at: reminders already overdue then are planned once, latest only.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Byte-order comparison for the fire key: planning inserts ~100,000 keys a day and checks each
# for a conflict, and PostgreSQL's locale-aware comparison of them costs twice as much.
KEY = String(120).with_variant(String(120, collation="C"), "postgresql")
OPEN_STATE = "state IN ('pending', 'deferred')"
REMINDER = "kind = 'reminder'"


class Fire(Base):
    """One scheduled text occurrence; `key` is unique per occurrence and becomes the outbox key.

    Planning writes ~200,000 of these a day for a large clinic, so the table carries only the
    indexes its queries need (the key, open fires by due time, reminders by session)
    and no foreign keys: fires are derived rows, and participants and sessions are never deleted.
    """

    __tablename__ = "fires"
    __table_args__ = (
        Index("ix_fires_due", "due_at", postgresql_where=text(OPEN_STATE),
              sqlite_where=text(OPEN_STATE)),
        Index("ix_fires_session", "session_id", postgresql_where=text("session_id IS NOT NULL"),
              sqlite_where=text("session_id IS NOT NULL")),
        # The console calendar counts each session's reminders by state from this alone.
        Index("ix_fires_reminder_session", "session_id", "state",
              postgresql_where=text(REMINDER), sqlite_where=text(REMINDER)),
        # Why a text never went (a participant's timeline): dropped fires only, so planning's
        # hot path (pending -> done) never touches it.
        Index("ix_fires_dropped", "participant_id", "decided_at",
              postgresql_where=text("state = 'dropped'"), sqlite_where=text("state = 'dropped'")),
    )

    key: Mapped[str] = mapped_column(KEY, primary_key=True)  # = the outbox dedupe_key
    kind: Mapped[str] = mapped_column(String(12))  # checkin | followup | reminder
    participant_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(Integer)
    local_date: Mapped[date | None] = mapped_column(Date)  # check-ins: the participant's day
    offset_minutes: Mapped[int | None] = mapped_column(Integer)  # reminders: before the start
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # pointless from then on
    state: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(String(120))
    deferred_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckIn(Base):
    """A participant's daily check-in: asked once per local date, answered a question at a time."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("participant_id", "local_date"),
        Index("ix_checkins_open", "participant_id", "closes_at"),
        # The weekly report counts asked and answered per day from this index alone.
        Index("ix_checkins_day", "local_date", postgresql_include=["answered_at"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    local_date: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prompted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the last question went
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    step: Mapped[str] = mapped_column(String(8), default="craving")  # craving|use|mood|done
    craving: Mapped[int | None] = mapped_column(Integer)
    used: Mapped[bool | None] = mapped_column(Boolean)
    mood: Mapped[int | None] = mapped_column(Integer)
    reasks: Mapped[int] = mapped_column(Integer, default=0)  # re-asks of the current question
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first answer
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)


class ReminderConfirmation(Base):
    """A participant's answer to a session reminder: coming, or can't make it (latest wins)."""

    __tablename__ = "reminder_confirmations"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    answer: Mapped[str] = mapped_column(String(14))  # coming | cant_make_it
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_log_id: Mapped[int | None] = mapped_column(ForeignKey("message_log.id"))


class Attendance(Base):
    """Whether a participant was at a session, as marked by staff."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "participant_id"),
        # The weekly report counts present and marked per session from this index alone.
        Index("ix_attendance_session", "session_id", postgresql_include=["present"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean)
    # Absent with notice given to staff (no alert); always False when present.
    excused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    marked_by: Mapped[str] = mapped_column(String(80))


class PlannerMark(Base):
    """How far the planner has planned (and other small per-planner facts)."""

    __tablename__ = "planner_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    through: Mapped[datetime | None] = mapped_column(UTCDateTime)  # planned up to here
    ran_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last pass's `now`
    digest: Mapped[str | None] = mapped_column(String(64))
