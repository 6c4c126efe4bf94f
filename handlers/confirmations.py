"""Answers to a session reminder: "C", "N", "I'll be there", "can't make it", "sí", "no puedo"."""

from __future__ import annotations

from bot.models.schedule import TherapySession
from bot.services.schedule.confirmations import record_confirmation
from bot.triage.reply import Reply
from handlers.turn import Turn


def handle(turn: Turn, reply: Reply) -> bool:
    """Record a confirmation for the session the participant was last reminded of."""
    person, sender = turn.party.participant, turn.sender
    if person is None or sender is None or sender.reminded is None:
        return False
    coming = reply.confirmation
    if coming is None:
        return False
    session_id, reminded_at = sender.reminded
    checkin = sender.checkin
    after = checkin is not None and checkin.prompted_at > reminded_at
    if after and reply.fits_checkin:
        return False  # the check-in question came last: a plain yes/no answers it
    therapy = turn.session.get(TherapySession, session_id)
    record_confirmation(turn.session, turn.program, person, therapy, bool(coming), turn.now,
                        message_log_id=turn.log.id)
    return turn.answer("confirmation", "confirm.coming" if coming else "confirm.cant_make_it")
