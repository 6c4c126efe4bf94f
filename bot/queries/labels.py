"""Plain-words labels for timeline rows: what a text was, whether it went, what an alert did."""

from __future__ import annotations

from datetime import date, datetime

from bot.models import AlertEvent, OutboxMessage
from bot.models.family import Consent
from bot.models.schedule import CheckIn

KIND_TITLES = {
    "checkin": "Check-in question", "checkin.followup": "Check-in nudge",
    "reminder": "Session reminder", "reply": "Automatic reply", "optin": "Sign-up confirmation",
    "family.consent": "Family consent request", "family.ended": "Family updates ended",
    "family.stopped": "Family updates stopped", "session.moved": "Session moved",
    "session.cancelled": "Session cancelled", "staff_reply": "Text from staff",
}
# Twilio's delivery reports, in words.
DELIVERY = {"delivered": "delivered", "read": "read", "undelivered": "not delivered",
            "failed": "not delivered", "sent": "sent to the carrier", "queued": "sent",
            "accepted": "sent", "sending": "sending", "canceled": "not delivered"}
# How the bot understood a participant's text (message_log.intent), for the timeline.
INTENT_NOTES = {
    "checkin_answer": "check-in answer", "checkin_unclear": "check-in answer, unclear: asked again",
    "confirmation": "answer to a reminder", "free_text": "message for the team",
    "opt_out": "STOP: texts turned off", "opt_in": "START: texts back on", "help": "HELP",
    "pause": "asked to pause check-ins", "resume": "asked to resume check-ins",
    "crisis": "crisis: staff paged", "free_text.urgent": "raised an urgent alert",
    "free_text.concern": "raised a concern alert", "family_consent": "signed a family consent",
    "family_revoke": "ended family updates", "family_add": "asked to add family",
}
STATUS_ACTIONS = {
    "participant.paused": "Check-ins paused", "participant.resumed": "Check-ins resumed",
    "participant.discharged": "Discharged", "participant.readmitted": "Re-admitted",
    "participant.counselor_changed": "Counselor changed",
    "participant.phone_changed": "Phone number changed (opt-in confirmation sent to the new one)",
    "participant.renamed": "Preferred name changed", "participant.updated": "Details changed",
}
# participant.updated's `changes` items ("checkin_time=18:00"), in words.
CHANGE_WORDS = {"checkin_time": "check-in time", "timezone": "time zone", "language": "language",
                "group": "group"}


def changes_label(changes: list[str]) -> str:
    """'check-in time 18:00, group Tuesday evening' from participant.updated's detail."""
    words = []
    for change in changes:
        key, _, value = change.partition("=")
        words.append(f"{CHANGE_WORDS.get(key, key)} {'none' if value == '-' else value}")
    return ", ".join(words)
ALERT_ACTIONS = {
    "created": "raised", "notified": "texted", "resent": "texted again",
    "escalated": "escalated to", "skipped": "step skipped", "follow_up": "texted again by them",
    "acknowledged": "acknowledged by", "resolved": "resolved by", "told_acked": "told it is taken:",
}


def outbox_title(kind: str, staff_name: str | None) -> str:
    """What kind of text this was."""
    if staff_name:
        return f"Text from {staff_name}"
    return KIND_TITLES.get(kind, kind.replace("_", " ").replace(".", ": ").capitalize())


def outbox_status(row: OutboxMessage) -> tuple[str, bool]:
    """Whether and how a text went, and whether that is a problem staff should notice."""
    why = row.error or ""
    if row.state == "pending":
        waiting = row.not_before > row.created_at
        return ("waiting for texting hours" if waiting else "queued to send"), False
    if row.state == "sending":
        return "sending", False
    if row.state == "replied":
        return "answered at once", False
    if row.state == "sent":
        status = DELIVERY.get(row.delivery_status or "sent", row.delivery_status or "sent")
        bad = row.delivery_status in ("undelivered", "failed", "canceled")
        code = f" (error {row.error_code})" if bad and row.error_code else ""
        return status + code, bad
    if row.state == "suppressed":
        return "not sent: they opted out (STOP)", True
    if row.state == "dropped":
        return f"not sent: {why or 'too late to be useful'}", True
    if row.state == "cancelled":
        return f"withdrawn: {why or 'cancelled'}", False
    if row.state == "failed":
        code = f" (error {row.error_code})" if row.error_code else ""
        return f"failed{code}: {why}" if why else f"failed{code}", True
    return row.state, False


def checkin_summary(c: CheckIn) -> str:
    """The answers in a few words, or why there are none."""
    if c.answered_at is None:
        return "missed: no answer" if c.missed else "asked, no answer yet"
    parts = []
    if c.craving is not None:
        parts.append(f"urges {c.craving}/10")
    if c.used is not None:
        parts.append("reported use" if c.used else "no use")
    if c.mood is not None:
        parts.append(f"mood {c.mood}/5")
    if c.completed_at is None:
        parts.append("(unfinished)")
    return ", ".join(parts) or "answered"


def alert_step(event: AlertEvent, counselor_name: str | None) -> str:
    """One ladder step in words: 'texted Jordan Lee'."""
    what = ALERT_ACTIONS.get(event.action, event.action.replace("_", " "))
    who = f" {counselor_name}" if counselor_name else ""
    extra = f" ({event.detail})" if event.detail and event.action in ("skipped", "resolved") else ""
    return f"{what}{who}{extra}"


def consent_events(c: Consent) -> list[tuple[datetime, str, str | None]]:
    """Each change of one family consent: (when, what, by whom)."""
    name = f"{c.recipient_name} ({c.relationship})"
    events: list[tuple[datetime, str, str | None]] = [
        (c.created_at, f"Family consent requested for {name}", c.created_by)]
    if c.signed_at:
        events.append((c.signed_at, f"Family consent signed for {name}", "participant"))
    if c.family_joined_at:
        events.append((c.family_joined_at, f"{name} joined family updates", None))
    if c.revoked_at:
        events.append((c.revoked_at, f"Family consent for {name} revoked", c.revoked_by))
    if c.expired_at:
        events.append((c.expired_at, f"Family consent for {name} expired", None))
    return events


def fire_not_sent(kind: str, day: date | None) -> str:
    """Title for a scheduled text that never went."""
    what = {"checkin": "Check-in", "followup": "Check-in nudge", "reminder": "Reminder"}.get(
        kind, kind)
    return f"{what} not sent" + (f" ({day:%a %b %-d})" if day and kind != "reminder" else "")


def actor_label(actor: str | None) -> str | None:
    """Who did something, in words: 'the participant (by text)', 'staff (command line)'."""
    if not actor:
        return None
    if actor.startswith("participant:"):
        return "the participant, by text"
    if actor in ("staff:cli", "system"):
        return "staff (command line)" if actor == "staff:cli" else "the bot"
    return actor
