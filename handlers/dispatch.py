"""Routes one inbound text through the intent handlers for its sender's kind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.phones import mask
from bot.runtime import Runtime
from bot.services.inbound.party import look_up_sender
from bot.services.inbound.records import finish_inbound
from bot.services.inbound.records import store_inbound as record_inbound
from bot.triage import Triage
from bot.triage.reply import Reply, parse_reply
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
from handlers.turn import InboundMessage, Turn

__all__ = ["CHAINS", "handle_inbound", "record_inbound"]
log = logging.getLogger(__name__)
Handler = Callable[[Turn, Reply], bool]

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


def handle_inbound(
    session: Session, runtime: Runtime, message: InboundMessage, now: datetime,
    reading: Triage | None = None,
) -> Turn | None:
    """Process one text in the caller's transaction; None for a duplicate delivery.

    `reading` is the text's plain triage when the caller already has it (the webhook reads it
    before touching the database), so it is not computed twice.
    """
    # One lookup, under this number's lock (requests for one number are decided one at a time
    # and a STOP committed meanwhile is seen): who this is, whether they opted out, whether
    # this MessageSid came before, and what they were asked last.
    sender = look_up_sender(session, message.phone, message.sid, now)
    if sender.received_before:
        log.info("duplicate inbound %s ignored", message.sid)
        return None
    reply = parse_reply(message.body, runtime.rules, sender.context, plain=reading)
    party = sender.party
    turn = Turn(session=session, runtime=runtime, message=message, party=party, now=now,
                reply=reply, sender=sender, opted_out=sender.opted_out)
    for handler in CHAINS[party.kind]:
        if handler(turn, reply):
            break
    if turn.opted_out and turn.intent not in ANSWERED_WHEN_OPTED_OUT:
        turn.replies.clear()  # nothing more is sent to someone who said stop
    finish_inbound(session, message, party, entry=turn.entry, intent=turn.intent,
                   replies=turn.replies, now=now)
    log.info("inbound %s from %s (%s) handled as %s", message.sid, mask(message.phone),
             party.kind, turn.intent)
    return turn
