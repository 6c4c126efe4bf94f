"""Routes one inbound text through the intent handlers for its sender's kind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.models import MessageLog
from bot.outbox import hold_phone, record_reply
from bot.phones import mask
from bot.runtime import Runtime
from bot.triage import Triage
from handlers import (
    checkin_answers,
    confirmations,
    counselor_commands,
    crisis,
    fallback,
    family_text,
    free_text,
    keywords,
    pause,
    screening,
)
from handlers.parties import resolve_party
from handlers.turn import InboundMessage, Party, Turn

log = logging.getLogger(__name__)
Handler = Callable[[Turn], bool]

# Each chain runs in order until a handler returns True. Opt-out words always come first;
# crisis language is next, so nothing (an open check-in, a pause) can swallow it.
CHAINS: dict[str, list[Handler]] = {
    "participant": [
        keywords.handle,
        screening.answer,  # an open screening question's YES/NO (crisis words page)
        crisis.participant,
        screening.ask,  # triage unsure: resources and one screening question
        family_text.participant,
        pause.handle,
        confirmations.handle,
        checkin_answers.handle,
        free_text.handle,
        fallback.participant,
    ],
    "counselor": [keywords.handle, counselor_commands.handle, fallback.counselor],
    "family": [keywords.handle, crisis.family, family_text.family, fallback.unknown],
    "unknown": [keywords.handle, crisis.unknown, fallback.unknown],
}
# Intents that may answer someone who has opted out (the one confirmation, and HELP).
ANSWERED_WHEN_OPTED_OUT = {"opt_out", "opt_in", "help"}


def record_inbound(
    session: Session, message: InboundMessage, party: Party | None = None
) -> MessageLog | None:
    """Log the text; None when this MessageSid was already received (a replayed webhook)."""
    # One round trip: INSERT ... ON CONFLICT DO NOTHING RETURNING the row (nothing on a replay).
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(MessageLog)
        .values(
            direction="in", channel=message.channel, phone=message.phone,
            party=party.kind if party else "unknown",
            participant_id=party.participant.id if party and party.participant else None,
            counselor_id=party.counselor.id if party and party.counselor else None,
            twilio_sid=message.sid, body=message.body, state="received",
            created_at=message.received_at,
        )
        .on_conflict_do_nothing(index_elements=["twilio_sid"])
        .returning(MessageLog)
    )
    return session.scalars(stmt).one_or_none()


def handle_inbound(
    session: Session, runtime: Runtime, message: InboundMessage, now: datetime,
    reading: Triage | None = None,
) -> Turn | None:
    """Process one text in the caller's transaction; None for a duplicate delivery.

    `reading` is the text's plain triage when the caller already has it (the webhook reads it
    before touching the database), so it is not computed twice.
    """
    # First, before reading anything: hold this number's row so that requests for one number
    # are decided one at a time and a STOP committed meanwhile is seen (issue 8, item 2).
    opted_out = hold_phone(session, message.phone)
    party = resolve_party(session, message.phone)
    entry = record_inbound(session, message, party)
    if entry is None:
        log.info("duplicate inbound %s ignored", message.sid)
        return None
    turn = Turn(
        session=session, runtime=runtime, message=message, party=party, log=entry, now=now,
        opted_out=opted_out, reading=reading,
    )
    for handler in CHAINS[party.kind]:
        if handler(turn):
            break
    if turn.opted_out and turn.intent not in ANSWERED_WHEN_OPTED_OUT:
        turn.replies.clear()  # nothing more is sent to someone who said stop
    for index, text in enumerate(turn.replies):
        record_reply(
            session, to=message.phone, channel=message.channel, body=text, kind="reply",
            dedupe_key=f"reply:{message.sid}:{index}", now=now, party=party.kind,
            participant_id=entry.participant_id,
        )
    entry.intent, entry.state = turn.intent, "processed"
    log.info("inbound %s from %s (%s) handled as %s", message.sid, mask(message.phone),
             party.kind, turn.intent)
    return turn
