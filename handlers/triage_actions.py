"""Acting on an understood reply: the alert its risk level calls for, and useful feedback."""

from __future__ import annotations

import dataclasses
import logging
import zlib

from bot.phones import mask
from bot.services.alerts import AlertOutcome, raise_or_add, short_summary
from bot.services.schedule.checkins import recent_cravings as recent_cravings_of
from bot.triage import Triage
from handlers.turn import Turn

log = logging.getLogger(__name__)
TIP_PREFIX = "coping.tip."


def recent_cravings(turn: Turn) -> list[int]:
    """The participant's craving ratings of the last week, for the "rise of 3+" rule."""
    if turn.sender is not None:
        return list(turn.sender.recent_cravings)
    participant = turn.party.participant
    if participant is None:
        return []
    return recent_cravings_of(turn.session, participant.id, turn.now, days=7)


def coping_tip(turn: Turn) -> str:
    """One coping prompt from the clinic's list, varying from message to message."""
    table = turn.program.messages.get(turn.language) or turn.program.messages["en"]
    keys = sorted(k for k in table if k.startswith(TIP_PREFIX) and "@" not in k)
    if not keys:
        return ""
    key = keys[zlib.crc32(turn.message.sid.encode()) % len(keys)]
    return turn.program.text(key, turn.language, turn.style)


def alert_for(turn: Turn, result: Triage, *, kind: str) -> AlertOutcome:
    """Raise (or add this text to) the alert `result` calls for; its pages go out now."""
    participant = turn.party.participant
    crisis = result.level == "crisis"
    if crisis and participant is None:
        kind, summary = "crisis_unknown", "texted crisis language"
    else:
        summary = short_summary(result.reasons)
    outcome = raise_or_add(
        turn.session, turn.runtime, participant=participant, level=result.level, kind=kind,
        reasons=result.reasons, summary=summary, now=turn.now,
        dedupe_key=f"msg:{turn.message.sid}", message_log_id=turn.log.id,
        phone=turn.message.phone,
    )
    turn.page_ids += outcome.page_now
    if crisis:
        log.warning("crisis alert %s from %s: %s page(s) to send now",
                    outcome.alert.id if outcome.alert else None, mask(turn.message.phone),
                    len(turn.page_ids))
    return outcome


def crisis_alert(turn: Turn, result: Triage) -> str:
    """Raise (or add to) the crisis alert and queue its pages; returns the reply's key."""
    # Always a crisis alert: a YES to the screening question pages whatever the words' level.
    outcome = alert_for(turn, dataclasses.replace(result, level="crisis"), kind="crisis")
    if turn.party.participant is None:
        return "crisis.unknown"  # says nothing about the program or anyone in it
    return "crisis.again" if outcome.alert is not None and not outcome.new else "crisis.reply"


def feedback_key(result: Triage) -> str:
    """Which feedback message answers a reply at this level (never shaming)."""
    reasons = " ".join(result.reasons)
    if result.used:
        return "feedback.used"
    if result.craving is not None:
        if result.level != "none":
            return "feedback.hard_alerted"
        return "feedback.steady" if result.craving <= 3 else "feedback.thanks"
    if result.level == "urgent":
        return "feedback.urgent"
    if result.level == "concern":
        return "feedback.quit" if "quit" in reasons else "feedback.concern"
    return "feedback.not_used" if result.used is False else "feedback.thanks"


def act_on(turn: Turn, result: Triage, *, context: str, feedback: bool = True) -> None:
    """Raise the alert `result`'s level calls for and add the feedback reply to `turn`.

    Crisis gets the crisis reply and pages; `context` (e.g. "checkin.craving") is stored as the
    alert's kind. The alert's dedupe key is the MessageSid, so a replay never alerts twice.
    """
    if result.level == "crisis":
        turn.answer("crisis", crisis_alert(turn, result))
        return
    if result.level in ("urgent", "concern"):
        alert_for(turn, result, kind=context)
    if feedback:
        turn.say(feedback_key(result), tip=coping_tip(turn))
