"""Crisis language: answer at once with safety information and page staff right away.

Runs for every text from a participant (any status, even opted out) before anything else but
opt-out keywords, and for family members and unknown numbers; an opt-out worded as a crisis
still pages staff.
Opted-out senders still raise the alert and page staff; dispatch withholds the reply itself
because they said STOP.
"""

from __future__ import annotations

from bot.triage import Triage
from bot.triage.reply import Reply
from handlers import family_text
from handlers.triage_actions import crisis_alert
from handlers.turn import Turn


def respond(turn: Turn, result: Triage) -> bool:
    """Raise (or add to) the crisis alert, queue its pages for immediate sending, and reply."""
    return turn.answer("crisis", crisis_alert(turn, result))


def alert_staff(turn: Turn, result: Triage) -> str:
    """Raise (or add to) the crisis alert and queue its pages; returns the reply's key."""
    return crisis_alert(turn, result)


def participant(turn: Turn, reply: Reply) -> bool:
    """Crisis language from a participant: safety reply, crisis alert, immediate pages."""
    return respond(turn, reply.plain) if reply.crisis else False


def behind_opt_out(turn: Turn, reply: Reply) -> bool:
    """An opt-out that also says crisis ("stop texting me, I want to die"): staff are paged.

    The opt-out stands and its one confirmation is the only reply (it then carries 911/988);
    the alert must not be lost. Returns True when crisis language was found.
    """
    if turn.party.kind == "counselor" or not reply.crisis:
        return False
    crisis_alert(turn, reply.plain)
    return True


def family(turn: Turn, reply: Reply) -> bool:
    """Crisis language from a family member: the stranger's safety reply and staff paged.

    A "Message for counselor: ..." in crisis words also still reaches the counselor as a note.
    """
    if not reply.crisis:
        return False
    key = crisis_alert(turn, reply.plain)
    family_text.forward_note(turn)
    return turn.answer("crisis", key)


def unknown(turn: Turn, reply: Reply) -> bool:
    """Crisis language from an unknown number: a generic 911/988 reply; on-call staff paged."""
    return respond(turn, reply.plain) if reply.crisis else False
