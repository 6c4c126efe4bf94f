"""Crisis language: answer at once with safety information and page staff right away.

Runs for every text from a participant (any status, even opted out) before anything else but
opt-out keywords, and for family members and unknown numbers; an opt-out worded as a crisis
still pages staff.
Opted-out senders still raise the alert and page staff; dispatch withholds the reply itself
because they said STOP.
"""

from __future__ import annotations

import logging

from bot.phones import mask
from bot.services.alerts import follow_up, open_alert_like, raise_alert, short_summary
from bot.triage import Triage
from handlers import family_text
from handlers.turn import Turn

log = logging.getLogger(__name__)


def respond(turn: Turn, result: Triage) -> bool:
    """Raise (or add to) the crisis alert, queue its pages for immediate sending, and reply."""
    return turn.answer("crisis", alert_staff(turn, result))


def alert_staff(turn: Turn, result: Triage) -> str:
    """Raise (or add to) the crisis alert and queue its pages; returns the reply's key."""
    participant = turn.party.participant
    existing = open_alert_like(
        turn.session, participant_id=participant.id if participant else None,
        phone=turn.message.phone, level="crisis", now=turn.now,
    )
    if existing is not None:
        turn.page_ids += follow_up(turn.session, turn.runtime, existing,
                                   message_log_id=turn.log.id, now=turn.now)
        alert_id, key = existing.id, "crisis.again"
    else:
        raised = raise_alert(
            turn.session, turn.runtime, participant=participant, level="crisis",
            kind="crisis" if participant else "crisis_unknown", reasons=result.reasons,
            summary=short_summary(result.reasons) if participant else "texted crisis language",
            now=turn.now, dedupe_key=f"msg:{turn.message.sid}", message_log_id=turn.log.id,
            phone=None if participant else turn.message.phone,
        )
        turn.page_ids += raised.outbox_ids if raised else []
        alert_id, key = (raised.alert.id if raised else None), "crisis.reply"
    if participant is None:
        key = "crisis.unknown"  # says nothing about the program or anyone in it
    log.warning("crisis alert %s from %s: %s page(s) to send now", alert_id,
                mask(turn.message.phone), len(turn.page_ids))
    return key


def _check(turn: Turn) -> Triage | None:
    result = turn.read()
    return result if result.level == "crisis" else None


def participant(turn: Turn) -> bool:
    """Crisis language from a participant: safety reply, crisis alert, immediate pages."""
    result = _check(turn)
    return respond(turn, result) if result else False


def behind_opt_out(turn: Turn) -> bool:
    """An opt-out that also says crisis ("stop texting me, I want to die"): staff are paged.

    The opt-out stands and its one confirmation is the only reply (it then carries 911/988);
    the alert must not be lost. Returns True when crisis language was found.
    """
    if turn.party.kind == "counselor":
        return False
    result = _check(turn)
    if result is None:
        return False
    alert_staff(turn, result)
    return True


def family(turn: Turn) -> bool:
    """Crisis language from a family member: the stranger's safety reply and staff paged.

    A "Message for counselor: ..." in crisis words also still reaches the counselor as a note.
    """
    result = _check(turn)
    if result is None:
        return False
    key = alert_staff(turn, result)
    family_text.forward_note(turn)
    return turn.answer("crisis", key)


def unknown(turn: Turn) -> bool:
    """Crisis language from an unknown number: a generic 911/988 reply; on-call staff paged."""
    result = _check(turn)
    return respond(turn, result) if result else False
