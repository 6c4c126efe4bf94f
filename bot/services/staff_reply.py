"""A staff member texting a participant from the console: through the outbox, on the record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import ConsoleReply, OutboxMessage, Participant
from bot.outbox import PRIORITY_REPLY, enqueue, is_opted_out

MAX_CHARS = 1000  # about six SMS segments; longer belongs in a call


class ReplyError(ValueError):
    """The text cannot be sent (opted out, discharged, empty, too long)."""


@dataclass(frozen=True)
class SentReply:
    """The queued text and whether this call queued it (False: a repeated form submission)."""

    outbox_id: int
    new: bool


def check_can_text(session: Session, participant: Participant) -> None:
    """Raise ReplyError when nothing may be texted to `participant` now."""
    if is_opted_out(session, participant.phone):
        raise ReplyError(f"{participant.name} replied STOP: texts to them are off until they "
                         "text START. Call them instead.")
    if participant.status == "discharged":
        raise ReplyError(f"{participant.name} is discharged: nothing more is texted to them.")


def send_staff_reply(
    session: Session, participant: Participant, body: str, *, actor: str, sender_name: str,
    now: datetime, form_key: str, staff_id: int | None = None,
) -> SentReply:
    """Queue `body` to the participant from the program number, recorded as sent by staff.

    `form_key` is a random token from the reply form: submitting the same form twice (a double
    tap, a retried POST) queues one text. The audit event names the participant, never the words.
    """
    text = (body or "").strip()
    if not text:
        raise ReplyError("The text is empty.")
    if len(text) > MAX_CHARS:
        raise ReplyError(f"The text is {len(text)} characters; keep it under {MAX_CHARS}.")
    if not form_key or len(form_key) > 64:
        raise ReplyError("The form is out of date; reload the page.")
    check_can_text(session, participant)
    key = f"staff_reply:{participant.id}:{form_key}"
    row = enqueue(
        session, to=participant.phone, channel=participant.channel, body=text, kind="staff_reply",
        dedupe_key=key, now=now, participant_id=participant.id, priority=PRIORITY_REPLY,
        party="participant",
    )
    if row is None:
        existing = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
        return SentReply(existing, False)
    session.add(ConsoleReply(outbox_id=row.id, participant_id=participant.id, sent_by=actor,
                             sent_by_name=sender_name[:120], staff_id=staff_id, created_at=now))
    audit.record(session, "participant.texted", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id, outbox_id=row.id,
                 characters=len(text), participant_id=participant.id, staff_id=staff_id)
    return SentReply(row.id, True)
