"""Texts to a family member about a participant: queued and recorded together (42 CFR 2.25)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import OutboxMessage
from bot.models.family import LIVE_CONSENT_STATES, Consent, Disclosure
from bot.outbox import PRIORITY_SCHEDULED, enqueue


def disclose(
    session: Session,
    consent: Consent,
    *,
    scope: str,
    body: str,
    kind: str,
    occurrence: str,
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> Disclosure | None:
    """Queue `body` to the consent's recipient and record the disclosure; None if already done.

    The row never outlives the consent: its expiry is capped at the consent's expiry, so even a
    text stuck in the outbox is dropped by the sender once consent has ended.
    """
    cap = consent.expires_at if expires_at is None else min(expires_at, consent.expires_at)
    row = enqueue(
        session, to=consent.recipient_phone, body=body, kind=kind, dedupe_key=occurrence,
        now=now, not_before=not_before, expires_at=cap, priority=PRIORITY_SCHEDULED,
        party="family",
    )
    if row is None:
        return None
    record = Disclosure(
        participant_id=consent.participant_id, consent_id=consent.id,
        recipient_name=consent.recipient_name, recipient_phone=consent.recipient_phone,
        scope=scope, body=body, occurrence=occurrence, outbox_id=row.id, at=now,
    )
    session.add(record)
    session.flush()
    return record


def retry_disclosure(
    session: Session, row: OutboxMessage, *, occurrence: str, now: datetime,
    not_before: datetime,
) -> bool:
    """Whether `row` carried a disclosure; if so its retry is queued as a disclosure of its own,
    and only while the consent is still live (a revocation must withdraw the retry too)."""
    earlier = session.scalar(select(Disclosure).where(Disclosure.outbox_id == row.id))
    if earlier is None:
        return False
    consent = session.get(Consent, earlier.consent_id)
    if consent.state in LIVE_CONSENT_STATES and consent.expires_at > now:
        disclose(session, consent, scope=earlier.scope, body=row.body, kind=row.kind,
                 occurrence=occurrence, now=now, not_before=not_before,
                 expires_at=row.expires_at)
    return True


def pending_outbox_for(consent_id: int):
    """SQL condition: outbox rows that carry a disclosure under consent `consent_id`."""
    return OutboxMessage.id.in_(
        select(Disclosure.outbox_id).where(Disclosure.consent_id == consent_id)
    )


@dataclass(frozen=True)
class DisclosureLine:
    """One line of the accounting: who was told what under which consent, and when."""

    at: datetime
    recipient_name: str
    recipient_phone: str
    consent_id: int
    scope: str
    status: str  # the outbox state: sent, pending, cancelled (never reached them) ...
    sent_at: datetime | None
    body: str
    relationship: str = ""
    purpose: str = ""


def accounting(
    session: Session, participant_id: int, since: datetime | None = None,
    until: datetime | None = None,
) -> list[DisclosureLine]:
    """Every disclosure about a participant (optionally in [since, until)), oldest first."""
    stmt = (
        select(Disclosure, OutboxMessage.state, OutboxMessage.sent_at, Consent.relationship,
               Consent.purpose)
        .join(OutboxMessage, OutboxMessage.id == Disclosure.outbox_id)
        .join(Consent, Consent.id == Disclosure.consent_id)
        .where(Disclosure.participant_id == participant_id)
        .order_by(Disclosure.at, Disclosure.id)
    )
    if since is not None:
        stmt = stmt.where(Disclosure.at >= since)
    if until is not None:
        stmt = stmt.where(Disclosure.at < until)
    return [
        DisclosureLine(
            at=d.at, recipient_name=d.recipient_name, recipient_phone=d.recipient_phone,
            consent_id=d.consent_id, scope=d.scope, status=state, sent_at=sent_at, body=d.body,
            relationship=relationship, purpose=purpose,
        )
        for d, state, sent_at, relationship, purpose in session.execute(stmt)
    ]
