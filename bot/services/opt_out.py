"""Opt-out and opt-in by text: the phone's state, its unsent texts, and who must know."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, OutboxMessage, PhoneNumber
from bot.outbox import PRIORITY_ALERT, cancel_pending, enqueue, mark_opted_out
from bot.program import Program
from bot.services.oncall import on_call_now


def set_opted_out(session: Session, phone: str, now: datetime, source: str) -> bool:
    """Opt `phone` out and withdraw its unsent texts; False if it already was."""
    if not mark_opted_out(session, phone, now):  # race-free: never a duplicate-key error
        return False
    cancel_pending(session, where=OutboxMessage.to_phone == phone, reason="recipient opted out")
    audit.record(session, "phone.opted_out", now=now, actor=source, phone=phone)
    return True


def set_opted_in(session: Session, phone: str, now: datetime, source: str) -> bool:
    """Opt `phone` back in; False if it was not opted out."""
    opted_in = session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.phone == phone, PhoneNumber.opted_out)
        .values(opted_out=False, opted_in_at=now)
        .execution_options(synchronize_session=False)
    )
    if not opted_in.rowcount:
        return False
    audit.record(session, "phone.opted_in", now=now, actor=source, phone=phone)
    return True


def warn_colleagues(
    session: Session, program: Program, counselor: Counselor, *, message_sid: str, now: datetime
) -> None:
    """A counselor who opts out stops receiving alerts: tell on-call staff and supervisors."""
    supervisors = session.scalars(
        select(Counselor).where(Counselor.active, Counselor.supervisor)).all()
    on_call = on_call_now(session, program, now)
    colleagues = [c for c in {c.id: c for c in [*on_call, *supervisors]}.values()
                  if c.id != counselor.id]
    body = program.text("staff.counselor_opted_out", name=counselor.name)
    for colleague in colleagues:
        enqueue(
            session, to=colleague.phone, body=body, kind="staff.notice", now=now,
            dedupe_key=f"counselor-opted-out:{counselor.id}:{message_sid}:{colleague.id}",
            priority=PRIORITY_ALERT, party="counselor",
        )
