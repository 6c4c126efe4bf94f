"""Delivery problems: numbers that opted out, numbers Twilio flagged, account-level errors.

An account-level error (bad credentials, an unregistered 10DLC or unverified toll-free sender)
stops every text, not one number's. The first time one is seen, an `account_problems` row is
inserted with ON CONFLICT DO NOTHING, so however many sender and web processes hit it at once,
exactly one of them queues the notice to the supervisors (the clinic's admins by SMS: iopbot
has no other admin contact). The notice may itself fail while the account is blocked, so the
row, `iopbot delivery problems` and an ERROR log line are the record that always exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import (
    AccountProblem,
    AuditEvent,
    Counselor,
    OutboxMessage,
    Participant,
    PhoneNumber,
)
from bot.models.family import FamilyContact
from bot.outbox import PRIORITY_ALERT, enqueue
from bot.program import Program
from bot.rules.send_errors import OPTED_OUT, SENDER_BLOCKED
from bot.sql import insert_ignoring_duplicates

log = logging.getLogger(__name__)

ACCOUNT_ERRORS = {20003: "bad_credentials", **SENDER_BLOCKED}
HOW = {"text": "text", "advanced_opt_out": "Advanced Opt-Out"}


@dataclass(frozen=True)
class OptedOut:
    """A number that opted out: when, and how we learned it."""

    phone: str
    who: str
    at: datetime | None
    how: str  # text | Twilio error 21610 | Advanced Opt-Out | staff | unknown


@dataclass(frozen=True)
class Flagged:
    """A number Twilio says we cannot (or should not) text."""

    phone: str
    who: str
    flag: str
    code: int | None
    at: datetime | None


@dataclass(frozen=True)
class DeliveryProblems:
    """Everything on the delivery problems page."""

    account: list[AccountProblem]
    opted_out: list[OptedOut]
    flagged: list[Flagged]


def _owners(session: Session, phones: set[str]) -> dict[str, str]:
    if not phones:
        return {}
    owners: dict[str, str] = {}
    for phone, fid in session.execute(select(FamilyContact.phone, FamilyContact.id).where(
            FamilyContact.phone.in_(phones))):
        owners[phone] = f"family contact {fid}"
    for phone, name in session.execute(select(Counselor.phone, Counselor.name).where(
            Counselor.phone.in_(phones))):
        owners[phone] = f"counselor {name}"
    for phone, pid, name in session.execute(select(
            Participant.phone, Participant.id, Participant.name).where(
            Participant.phone.in_(phones))):
        owners[phone] = f"participant {pid} {name}"
    return owners


def _how(session: Session, phones: set[str]) -> dict[str, str]:
    """How each number opted out, from the latest event that says so."""
    how: dict[str, str] = {}
    for (phone,) in session.execute(select(OutboxMessage.to_phone).where(
            OutboxMessage.to_phone.in_(phones),
            OutboxMessage.error_code.in_(OPTED_OUT)).order_by(OutboxMessage.id)):
        how[phone] = f"Twilio error {min(OPTED_OUT)}"
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "phone.opted_out").order_by(AuditEvent.id))
    for event in events:
        phone = (event.detail or {}).get("phone")
        if phone in phones:
            how[phone] = HOW.get(event.actor.rpartition(":")[2], event.actor)
    return how


def delivery_problems(session: Session) -> DeliveryProblems:
    """Account-level errors not cleared, opted-out numbers, and flagged numbers."""
    account = list(session.scalars(select(AccountProblem).where(
        AccountProblem.cleared_at.is_(None)).order_by(AccountProblem.first_seen_at)))
    numbers = list(session.scalars(select(PhoneNumber).where(
        (PhoneNumber.opted_out.is_(True)) | (PhoneNumber.flag.is_not(None))
    ).order_by(PhoneNumber.phone)))
    blocked = set(ACCOUNT_ERRORS.values())
    out_phones = {n.phone for n in numbers if n.opted_out}
    owners = _owners(session, {n.phone for n in numbers})
    how = _how(session, out_phones) if out_phones else {}
    opted = [OptedOut(n.phone, owners.get(n.phone, "-"), n.opted_out_at,
                      how.get(n.phone, "unknown")) for n in numbers if n.opted_out]
    flagged = [Flagged(n.phone, owners.get(n.phone, "-"), n.flag, n.flag_code, n.flagged_at)
               for n in numbers if n.flag and n.flag not in blocked]
    return DeliveryProblems(account, opted, flagged)


def note_account_error(session: Session, program: Program, code: int | None,
                       now: datetime) -> bool:
    """Record an account-level error; True when it is new (the supervisors' notice is queued)."""
    if code not in ACCOUNT_ERRORS:
        return False
    reason = ACCOUNT_ERRORS[code]
    first = bool(insert_ignoring_duplicates(session, AccountProblem.__table__, [{
        "code": code, "reason": reason, "first_seen_at": now, "last_seen_at": now,
        "occurrences": 1, "cleared_at": None}], key=["code"]))
    if not first:
        # Seen before: count it; if staff had cleared it, it is back and counts as new.
        again = session.execute(update(AccountProblem).where(
            AccountProblem.code == code, AccountProblem.cleared_at.is_not(None)).values(
            cleared_at=None, first_seen_at=now, last_seen_at=now, occurrences=1)
            .execution_options(synchronize_session=False)).rowcount
        if not again:
            session.execute(update(AccountProblem).where(AccountProblem.code == code).values(
                last_seen_at=now, occurrences=AccountProblem.occurrences + 1)
                .execution_options(synchronize_session=False))
            return False
    log.error("account-level Twilio error %s (%s): texting is blocked", code, reason)
    audit.record(session, "delivery.account_error", now=now, subject_type="account_problem",
                 subject_id=code, reason=reason)
    body = program.text("staff.account_error", program.default_language, code=code,
                        reason=reason)
    supervisors = session.scalars(select(Counselor).where(
        Counselor.supervisor, Counselor.active).order_by(Counselor.id))
    for person in supervisors:
        enqueue(session, to=person.phone, body=body, kind="staff.notice", now=now,
                dedupe_key=f"account-error:{code}:{now.isoformat()}:{person.id}",
                priority=PRIORITY_ALERT, party="counselor")
    return True


class DeliveryError(ValueError):
    """A delivery-problem action that cannot be done."""


def clear_account_error(session: Session, code: int, now: datetime,
                        actor: str = "staff:cli") -> AccountProblem:
    """Mark an account-level error fixed; if it comes back, staff are told again."""
    row = session.get(AccountProblem, code)
    if row is None or row.cleared_at is not None:
        raise DeliveryError(f"no open account-level error {code}")
    row.cleared_at = now
    audit.record(session, "delivery.account_error_cleared", now=now, actor=actor,
                 subject_type="account_problem", subject_id=code)
    return row
