"""Pausing and resuming daily check-ins (session reminders carry on while paused)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_

from bot import audit
from bot.models import OutboxMessage, Participant
from bot.models.schedule import Fire
from bot.outbox import cancel_pending
from bot.services.schedule.sessions import withdraw_fires

CHECKIN_KINDS = ("checkin", "followup")


class PauseError(ValueError):
    """The participant cannot be paused or resumed as asked."""


def pause(
    session, participant: Participant, now: datetime, *, until: date | None, actor: str
) -> None:
    """Stop check-ins until `until` (the local date they restart) or until resumed."""
    if participant.status == "discharged":
        raise PauseError(f"{participant.phone} is discharged")
    if until is not None and until <= now.astimezone(ZoneInfo(participant.timezone)).date():
        raise PauseError(f"--until {until} is not in the future")
    participant.status, participant.paused_until = "paused", until
    withdraw_fires(
        session,
        and_(Fire.participant_id == participant.id, Fire.kind.in_(CHECKIN_KINDS)),
        "check-ins paused", now,
    )
    cancel_pending(
        session,
        where=and_(OutboxMessage.participant_id == participant.id,
                   OutboxMessage.kind.in_(("checkin", "checkin.followup"))),
        reason="check-ins paused",
    )
    audit.record(session, "participant.paused", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id,
                 until=until.isoformat() if until else None)


def resume(session, participant: Participant, now: datetime, *, actor: str) -> bool:
    """Turn check-ins back on; False when they were not paused."""
    if participant.status != "paused":
        return False
    participant.status, participant.paused_until = "active", None
    audit.record(session, "participant.resumed", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id)
    return True
