"""Answers to session reminders: coming, or can't make it (which tells the counselor)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, Participant
from bot.models.schedule import Fire, ReminderConfirmation, TherapySession
from bot.outbox import PRIORITY_ALERT, enqueue
from bot.program import Program
from bot.services.schedule.wording import when_text
from bot.sql import insert_ignoring_duplicates


def reminded_session(
    session: Session, participant: Participant, now: datetime
) -> tuple[TherapySession, datetime] | None:
    """The session the participant was last reminded of that hasn't ended, and when."""
    theirs = TherapySession.participant_id == participant.id
    if participant.group_id is not None:
        theirs = or_(theirs, TherapySession.group_id == participant.group_id)
    row = session.execute(
        select(TherapySession, Fire.decided_at)
        .join(Fire, Fire.session_id == TherapySession.id)
        .where(theirs, TherapySession.status == "scheduled", TherapySession.ends_at > now,
               Fire.participant_id == participant.id, Fire.kind == "reminder",
               Fire.state == "done", Fire.decided_at <= now)
        .order_by(Fire.decided_at.desc(), TherapySession.starts_at)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def record_confirmation(
    session: Session, program: Program, participant: Participant, therapy: TherapySession,
    coming: bool, now: datetime, message_log_id: int | None = None,
) -> ReminderConfirmation:
    """Store the answer (the latest wins); a "can't make it" queues a note to the counselor."""
    answer = "coming" if coming else "cant_make_it"
    insert_ignoring_duplicates(session, ReminderConfirmation.__table__, [{
        "session_id": therapy.id, "participant_id": participant.id, "answer": answer,
        "answered_at": now, "message_log_id": message_log_id,
    }], key=["session_id", "participant_id"])
    row = session.scalars(select(ReminderConfirmation).where(
        ReminderConfirmation.session_id == therapy.id,
        ReminderConfirmation.participant_id == participant.id)).one()
    row.answer, row.answered_at, row.message_log_id = answer, now, message_log_id
    if not coming:  # once per session time: the key repeats for a second "can't make it"
        counselor = session.get(Counselor, participant.counselor_id)
        what = "appointment" if therapy.group_id is None else "group"
        enqueue(
            session, to=counselor.phone, party="counselor", kind="note.cant_make_it",
            body=program.text(
                "note.cant_make_it", program.default_language, who=participant.first_name_initial,
                what=what, when=when_text(therapy.starts_at, program.timezone,
                                          program.default_language)),
            dedupe_key=f"cant_make_it:{therapy.id}:{therapy.revision}:{participant.id}",
            now=now, priority=PRIORITY_ALERT,
        )
    audit.record(session, "session.confirmation", now=now, actor=f"participant:{participant.id}",
                 subject_type="session", subject_id=therapy.id, answer=answer)
    return row
