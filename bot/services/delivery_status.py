"""Twilio's delivery statuses: record them (never backwards) and act on delivery errors with
the sender's one retry policy (bot/outbox.py `retry_after`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import MessageLog, OutboxMessage
from bot.models.messaging import DELIVERY_RANK
from bot.outbox import enqueue, flag_recipient, retry_after
from bot.rules.send_errors import classify_error
from bot.runtime import Runtime
from bot.services.delivery import note_account_error
from bot.services.family.disclosures import retry_disclosure


def record_delivery_status(
    session: Session, runtime: Runtime, sid: str, status: str, code: int | None, now: datetime
) -> None:
    """Store `status` for the text Twilio knows as `sid`; a failure is retried or flagged."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.twilio_sid == sid))
    if row is None:
        return
    current_rank = DELIVERY_RANK.get(row.delivery_status or "", 0)
    if DELIVERY_RANK[status] <= current_rank:
        return  # a repeat or an older status arriving late
    row.delivery_status = status
    entry = session.scalar(select(MessageLog).where(MessageLog.twilio_sid == sid))
    if entry is not None:
        entry.state = status
    if status in ("failed", "undelivered") and code:
        _act_on_delivery_error(session, runtime, row, code, now)
        note_account_error(session, runtime.program, code, now)


def _act_on_delivery_error(
    session: Session, runtime: Runtime, row: OutboxMessage, code: int, now: datetime
) -> None:
    row.error_code = code
    action = classify_error(code, None)
    # Each delivery that failed is one attempt of this text, as the sender counts them.
    retry_number = row.dedupe_key.count("#retry") + 1
    wait = retry_after(action, retry_number, runtime.settings.max_send_attempts)
    # An unreachable handset (30003) is retried first and flagged only once retries run out.
    if action.opt_out or (action.flag and wait is None):
        flag_recipient(session, row, action, code, now, "delivery.flagged")
    if wait is None:
        return
    key, not_before = f"{row.dedupe_key}#retry{retry_number}", now + wait
    if row.party == "family" and retry_disclosure(session, row, occurrence=key, now=now,
                                                  not_before=not_before):
        return
    enqueue(
        session, to=row.to_phone, channel=row.channel, body=row.body, kind=row.kind,
        dedupe_key=key, now=now, participant_id=row.participant_id, not_before=not_before,
        expires_at=row.expires_at, priority=row.priority, party=row.party,
    )
