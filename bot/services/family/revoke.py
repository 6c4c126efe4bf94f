"""Ending consent: revocation by the participant or staff, and expiry on its date."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Participant
from bot.models.family import LIVE_CONSENT_STATES, Consent, FamilyContact
from bot.outbox import PRIORITY_REPLY, cancel_pending, enqueue
from bot.phones import InvalidPhone, normalize_phone
from bot.program import Program
from bot.rules.keywords import normalize
from bot.services.family.consent import ConsentError
from bot.services.family.disclosures import pending_outbox_for
from bot.services.family.timing import next_open
from bot.services.people import find_participant
from bot.sql import for_update_skip_locked


def live_consents(session: Session, participant_id: int) -> list[Consent]:
    """The participant's consents that are not yet ended, oldest first."""
    return list(session.scalars(select(Consent).where(
        Consent.participant_id == participant_id, Consent.state.in_(LIVE_CONSENT_STATES),
    ).order_by(Consent.id)))


def _end(session: Session, consent: Consent, state: str, now: datetime, reason: str) -> bool:
    """Mark `consent` ended and withdraw its unsent texts; True if the family was contacted."""
    contacted = consent.state in ("pending_family", "active")
    consent.state = state
    if state == "revoked":
        consent.revoked_at = now
    else:
        consent.expired_at = now
    session.get(FamilyContact, consent.family_contact_id).state = "stopped"
    cancel_pending(session, where=pending_outbox_for(consent.id), reason=reason)
    return contacted


def revoke(
    session: Session, program: Program, consent: Consent, now: datetime, actor: str,
    staff_id: int | None = None,
) -> Consent:
    """Revoke one consent before the next send; the family member is told only that it stopped."""
    if consent.state not in LIVE_CONSENT_STATES:
        raise ConsentError(f"consent {consent.id} is already {consent.state}")
    if _end(session, consent, "revoked", now, "consent revoked"):
        contact = session.get(FamilyContact, consent.family_contact_id)
        enqueue(
            session, to=consent.recipient_phone, party="family", kind="family.stopped",
            body=program.text("family.stopped", contact.language),
            dedupe_key=f"family:stopped:{consent.id}", now=now,
            not_before=next_open(program, ZoneInfo(contact.timezone), now),
            priority=PRIORITY_REPLY,
        )
    consent.revoked_by = actor
    audit.record(session, "family.consent.revoked", now=now, actor=actor,
                 subject_type="consent", subject_id=consent.id, staff_id=staff_id,
                 participant_id=consent.participant_id)
    return consent


def revoke_named(
    session: Session, program: Program, participant: Participant, name: str | None,
    now: datetime, actor: str,
) -> list[Consent]:
    """Revoke the participant's live consents for family members called `name` (all if None)."""
    wanted = normalize(name or "")
    chosen = [
        c for c in live_consents(session, participant.id)
        if not wanted or wanted in (normalize(c.recipient_name),
                                    normalize(c.recipient_name.split()[0]))
    ]
    for consent in chosen:
        revoke(session, program, consent, now, actor)
    return chosen


def revoke_by_phone(
    session: Session, program: Program, participant_phone: str, family_phone: str,
    now: datetime, actor: str,
) -> list[Consent]:
    """Staff revocation (`iopbot family revoke`): every live consent to that family number."""
    participant = find_participant(session, participant_phone, program.phone_region)
    try:
        phone = normalize_phone(family_phone, program.phone_region)
    except InvalidPhone:
        raise ConsentError(f"--phone is not a valid phone number: {family_phone!r}") from None
    chosen = [c for c in live_consents(session, participant.id) if c.recipient_phone == phone]
    if not chosen:
        raise ConsentError(f"no consent in force for {phone} from {participant.phone}")
    return [revoke(session, program, c, now, actor) for c in chosen]


def expire_due(session: Session, program: Program, now: datetime) -> int:
    """End every consent whose expiry date has come; tell the participant, not the family."""
    due = session.scalars(for_update_skip_locked(select(Consent).where(
        Consent.state.in_(LIVE_CONSENT_STATES), Consent.expires_at <= now,
    ), session)).all()
    for consent in due:
        was_active = consent.state == "active"
        _end(session, consent, "expired", now, "consent expired")
        participant = session.get(Participant, consent.participant_id)
        if was_active and participant.status != "discharged":
            enqueue(
                session, to=participant.phone, channel=participant.channel,
                participant_id=participant.id, kind="family.ended",
                body=program.text("family.ended", participant.language,
                                  recipient=consent.recipient_name,
                                  expires=consent.expires_on.isoformat()),
                dedupe_key=f"family:ended:{consent.id}", now=now,
                not_before=next_open(program, ZoneInfo(participant.timezone), now),
            )
        audit.record(session, "family.consent.expired", now=now, subject_type="consent",
                     subject_id=consent.id)
    return len(due)
