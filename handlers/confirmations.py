"""Answers to a session reminder: "C", "N", "I'll be there", "can't make it", "sí", "no puedo"."""

from __future__ import annotations

from bot.services.schedule.checkins import open_checkin
from bot.services.schedule.confirmations import record_confirmation, reminded_session
from bot.triage import TriageRules, parse_confirmation, parse_craving, parse_use
from handlers.turn import Turn


def _fits_checkin(text: str, rules: TriageRules) -> bool:
    """Whether the text would also answer a check-in question (a number, yes or no)."""
    return (parse_craving(text, expect_craving=True, rules=rules) is not None
            or parse_use(text, expect_use=True, rules=rules) is not None)


def handle(turn: Turn) -> bool:
    """Record a confirmation for the session the participant was last reminded of."""
    person = turn.party.participant
    if person is None:
        return False
    reminded = reminded_session(turn.session, person, turn.now)
    if reminded is None:
        return False
    text = turn.message.body
    coming = parse_confirmation(text, rules=turn.rules)
    if coming is None:
        return False
    therapy, reminded_at = reminded
    checkin = open_checkin(turn.session, person.id, turn.now)
    after = checkin is not None and checkin.prompted_at > reminded_at
    if after and _fits_checkin(text, turn.rules):
        return False  # the check-in question came last: a plain yes/no answers it
    record_confirmation(turn.session, turn.program, person, therapy, bool(coming), turn.now,
                        message_log_id=turn.log.id)
    return turn.answer("confirmation", "confirm.coming" if coming else "confirm.cant_make_it")
