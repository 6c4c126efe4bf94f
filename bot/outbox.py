"""Writing texts into the outbox: the only way anything in iopbot sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.rules.send_errors import ErrorAction
from bot.sql import insert_ignoring_duplicates

PRIORITY_CRISIS = 0
PRIORITY_ALERT = 1
PRIORITY_REPLY = 3
PRIORITY_SCHEDULED = 5


def enqueue(
    session: Session,
    *,
    to: str,
    body: str,
    kind: str,
    dedupe_key: str,
    now: datetime,
    channel: str = "sms",
    participant_id: int | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    priority: int = PRIORITY_SCHEDULED,
    party: str = "participant",
) -> OutboxMessage | None:
    """Add a text to the outbox unless one with `dedupe_key` exists; return the row if new."""
    inserted = insert_ignoring_duplicates(
        session,
        OutboxMessage.__table__,
        [
            {
                "dedupe_key": dedupe_key,
                "kind": kind,
                "to_phone": to,
                "channel": channel,
                "body": body,
                "participant_id": participant_id,
                "priority": priority,
                "party": party,
                "maybe_sent": False,
                "state": "pending",
                "not_before": not_before or now,
                "expires_at": expires_at,
                "attempts": 0,
                "created_at": now,
            }
        ],
        key=["dedupe_key"],
    )
    if not inserted:
        return None
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    ).one()


def record_reply(
    session: Session,
    *,
    to: str,
    body: str,
    kind: str,
    dedupe_key: str,
    now: datetime,
    channel: str = "sms",
    participant_id: int | None = None,
    party: str = "participant",
) -> OutboxMessage:
    """Record a text answered inline (TwiML) so the outbox stays the record of everything sent."""
    row = OutboxMessage(
        dedupe_key=dedupe_key, kind=kind, to_phone=to, channel=channel, body=body,
        participant_id=participant_id, priority=PRIORITY_REPLY, state="replied", party=party,
        not_before=now, attempts=1, sent_at=now, created_at=now,
    )
    session.add(row)
    session.flush()
    session.add(
        MessageLog(
            direction="out", channel=channel, phone=to, party=party, participant_id=participant_id,
            outbox_id=row.id, body=body, intent=kind, state="replied", created_at=now,
        )
    )
    return row


def cancel_pending(
    session: Session, *, where, reason: str, state: str = "cancelled"
) -> int:
    """Withdraw unsent texts matching the SQL condition `where`; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == "pending", where)
        .values(state=state, error=reason[:300])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def is_opted_out(session: Session, phone: str) -> bool:
    """True when `phone` has opted out of texts."""
    return bool(
        session.scalar(select(PhoneNumber.opted_out).where(PhoneNumber.phone == phone))
    )


def flag_recipient(
    session: Session, row: OutboxMessage, action: ErrorAction, code: int | None,
    now: datetime, event: str,
) -> None:
    """Record what a Twilio error says about the recipient: opted out, or flagged for staff."""
    phone = session.get(PhoneNumber, row.to_phone) or PhoneNumber(phone=row.to_phone)
    session.add(phone)
    if action.opt_out:
        phone.opted_out, phone.opted_out_at = True, now
    if action.flag:
        phone.flag, phone.flag_code, phone.flagged_at = action.flag, code, now
    audit.record(
        session, event, now=now, subject_type="outbox", subject_id=row.id, code=code,
        flag=action.flag or "opted_out", admin=action.admin,
    )
