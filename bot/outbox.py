"""Writing texts into the outbox: the only way anything in iopbot sends."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import bindparam, false, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import audit
from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.rules.send_errors import ErrorAction, backoff
from bot.sql import insert_or_update

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
    rows = enqueue_many(session, [{
        "dedupe_key": dedupe_key, "kind": kind, "to_phone": to, "channel": channel, "body": body,
        "participant_id": participant_id, "priority": priority, "party": party,
        "not_before": not_before or now, "expires_at": expires_at, "created_at": now,
    }])
    return rows[0] if rows else None


def enqueue_many(session: Session, rows: list[dict]) -> list[OutboxMessage]:
    """Add several texts (outbox column values) in one statement, skipping any whose
    `dedupe_key` exists; returns the new rows in the order given.

    One round trip: INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING the rows.
    """
    if not rows:
        return []
    values = [{"maybe_sent": False, "state": "pending", "attempts": 0, "expires_at": None,
               "participant_id": None, "channel": "sms", **row} for row in rows]
    # Rows as parameters, not in the statement: SQLAlchemy caches its compiled form (a
    # multi-VALUES statement is compiled anew every call) and still sends one INSERT.
    stmt = _insert_new_texts(session.get_bind().dialect.name)
    new = {row.dedupe_key: row for row in session.scalars(stmt, values)}
    return [new[row["dedupe_key"]] for row in rows if row["dedupe_key"] in new]


@functools.cache
def _insert_new_texts(dialect: str):
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING the new rows, built once."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (module.insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxMessage))


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


def hold_phone(session: Session, phone: str) -> bool:
    """Lock `phone`'s row for this transaction (creating it if new); True if it opted out.

    Everything decided for one number happens under this lock, so a STOP committed by another
    request is seen by every later one (PostgreSQL: the row lock; SQLite: BEGIN IMMEDIATE).
    One round trip: INSERT ... ON CONFLICT DO UPDATE (a no-op update) RETURNING opted_out, a
    statement built once per dialect (it runs for every inbound text on PostgreSQL), run on the
    session's connection as plain Core (it is the transaction's first statement: the session
    has nothing to flush before it, and the ORM's execute path costs more than the statement).
    """
    connection = session.connection()
    statement = _hold_statement(connection.dialect.name)
    return bool(connection.execute(statement, {"phone": phone}).scalar_one())


@functools.cache
def _hold_statement(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    table = PhoneNumber.__table__
    return (
        module.insert(table)
        .values(phone=bindparam("phone", type_=table.c.phone.type), opted_out=false())
        .on_conflict_do_update(index_elements=["phone"], set_={"opted_out": table.c.opted_out})
        .returning(table.c.opted_out)
    )


def is_opted_out(session: Session, phone: str, *, wait: bool = False) -> bool:
    """True when `phone` has opted out of texts.

    With `wait`, a request still deciding for this number (holding its row, see `hold_phone`)
    is waited for, so a STOP being handled right now is seen once it commits.
    """
    stmt = select(PhoneNumber.opted_out).where(PhoneNumber.phone == phone)
    if wait and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=True)
    return bool(session.scalar(stmt))


def mark_opted_out(session: Session, phone: str, now: datetime) -> bool:
    """Record that `phone` opted out (race-free upsert); False if it already was."""
    table = PhoneNumber.__table__
    changed = insert_or_update(
        session, table, {"phone": phone, "opted_out": True, "opted_out_at": now}, ["phone"],
        {"opted_out": True, "opted_out_at": now}, where=~table.c.opted_out,
        returning=[table.c.phone],
    )
    return changed is not None


def flag_recipient(
    session: Session, row: OutboxMessage, action: ErrorAction, code: int | None,
    now: datetime, event: str,
) -> None:
    """Record what a Twilio error says about the recipient: opted out, or flagged for staff."""
    if action.opt_out:
        mark_opted_out(session, row.to_phone, now)
    if action.flag:
        flagged = {"flag": action.flag, "flag_code": code, "flagged_at": now}
        insert_or_update(
            session, PhoneNumber.__table__, {"phone": row.to_phone, "opted_out": False, **flagged},
            ["phone"], flagged,
        )
    audit.record(
        session, event, now=now, subject_type="outbox", subject_id=row.id, code=code,
        flag=action.flag or "opted_out", admin=action.admin,
    )


def retry_after(action: ErrorAction, attempts: int, max_attempts: int) -> timedelta | None:
    """The one retry policy, for a send Twilio refused and for a delivery that failed later:
    wait this long before attempt `attempts + 1`, or None when it is not retried (the error is
    final, or `max_attempts` have been made)."""
    if not action.retry or attempts >= max_attempts:
        return None
    return backoff(attempts)
