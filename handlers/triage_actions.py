"""Acting on an understood reply: the alert its risk level calls for, and useful feedback."""

from __future__ import annotations

import logging
import zlib

from bot.services.alerts import follow_up, open_alert_like, raise_alert, short_summary
from bot.services.schedule.checkins import recent_cravings as recent_cravings_of
from bot.triage import Triage
from handlers.turn import Turn

log = logging.getLogger(__name__)
TIP_PREFIX = "coping.tip."


def recent_cravings(turn: Turn) -> list[int]:
    """The participant's craving ratings of the last week, for the "rise of 3+" rule."""
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


def alert_for(turn: Turn, result: Triage, *, kind: str) -> bool:
    """Raise (or add this text to) the alert `result` calls for; True when staff will know."""
    participant = turn.party.participant
    existing = open_alert_like(
        turn.session, participant_id=participant.id if participant else None,
        phone=turn.message.phone, level=result.level, now=turn.now,
    )
    if existing is not None:
        turn.page_ids += follow_up(turn.session, turn.runtime, existing,
                                   message_log_id=turn.log.id, now=turn.now)
        return True
    raised = raise_alert(
        turn.session, turn.runtime, participant=participant, level=result.level, kind=kind,
        reasons=result.reasons, summary=short_summary(result.reasons), now=turn.now,
        dedupe_key=f"msg:{turn.message.sid}", message_log_id=turn.log.id,
        phone=None if participant else turn.message.phone,
    )
    if raised is not None:
        log.info("alert %s (%s) raised from inbound %s", raised.alert.id, result.level,
                 turn.message.sid)
        if result.level == "crisis":
            turn.page_ids += raised.outbox_ids
    return True


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
        from handlers.crisis import respond

        respond(turn, result)
        return
    if result.level in ("urgent", "concern"):
        alert_for(turn, result, kind=context)
    if feedback:
        turn.say(feedback_key(result), tip=coping_tip(turn))
