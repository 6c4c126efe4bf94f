"""Staff marking attendance; an absence nobody warned us about alerts the counselor.

An excused absence (staff knew in advance, by phone or in person) is stored as absent and
raises no alert, the same as an absence the participant announced by answering a reminder.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Participant
from bot.models.schedule import Attendance, ReminderConfirmation, TherapySession
from bot.runtime import Runtime
from bot.services.alerts import raise_or_add
from bot.services.schedule.sessions import SessionError
from bot.services.schedule.wording import when_text


def mark_attendance(
    session: Session, runtime: Runtime, therapy: TherapySession, participant: Participant,
    present: bool, now: datetime, actor: str = "staff:cli", excused: bool = False,
) -> bool:
    """Record present/absent/excused (re-marking overwrites); True if an alert was raised."""
    if present and excused:
        raise SessionError("a participant who was present cannot also be excused")
    belongs = (therapy.participant_id == participant.id) if therapy.group_id is None else (
        participant.group_id == therapy.group_id)
    if not belongs:
        raise SessionError(f"{participant.phone} is not expected at session {therapy.id}")
    if therapy.status == "cancelled":
        raise SessionError(f"session {therapy.id} was cancelled")
    if therapy.starts_at > now:
        raise SessionError(f"session {therapy.id} has not started yet")
    row = session.scalar(select(Attendance).where(
        Attendance.session_id == therapy.id, Attendance.participant_id == participant.id))
    if row is None:
        row = Attendance(session_id=therapy.id, participant_id=participant.id)
        session.add(row)
    row.present, row.excused, row.marked_at, row.marked_by = present, excused, now, actor
    audit.record(session, "attendance.marked", now=now, actor=actor, subject_type="session",
                 subject_id=therapy.id, participant_id=participant.id, present=present,
                 excused=excused)
    if present or excused:
        return False
    warned = session.scalar(select(ReminderConfirmation.id).where(
        ReminderConfirmation.session_id == therapy.id,
        ReminderConfirmation.participant_id == participant.id,
        ReminderConfirmation.answer == "cant_make_it",
        ReminderConfirmation.answered_at <= therapy.ends_at))
    if warned:
        return False
    what = "group" if therapy.group_id else "appointment"
    when = when_text(therapy.starts_at, runtime.program.timezone, "en")
    raised = raise_or_add(  # a new alert of its own, never a follow-up
        add_to_open=False, session=session, runtime=runtime,
        participant=participant, level="concern", kind="absence",
        reasons=[f"absent from {what} without notice"], summary=f"missed {what} {when}",
        now=now, dedupe_key=f"absence:{therapy.id}:{participant.id}",
    )
    return raised.new
