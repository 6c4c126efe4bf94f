"""Creating a consent and its double opt-in: the participant's YES <code>, then the family YES."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, Participant
from bot.models.family import LIVE_CONSENT_STATES, Consent, FamilyContact
from bot.outbox import PRIORITY_REPLY, enqueue, is_opted_out
from bot.phones import InvalidPhone, normalize_phone
from bot.program import LANGUAGES, Program, parse_timezone
from bot.rules.family_scopes import parse_scopes, scope_list
from bot.services.family.codes import code_matches, hash_code, new_code
from bot.services.family.config import family_config
from bot.services.family.disclosures import disclose
from bot.services.family.timing import next_open, start_of_day
from bot.services.people import find_participant


class ConsentError(ValueError):
    """Consent input that cannot be accepted; the message says why in one line."""


@dataclass(frozen=True)
class Invitation:
    """What staff enter to start a family consent (`iopbot family invite`)."""

    participant_phone: str
    name: str
    phone: str
    relationship: str
    share: str
    expires: str | date | None
    timezone: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Invited:
    """A new consent waiting for the participant, and the code texted to them."""

    consent: Consent
    code: str


def _family_phone(session: Session, raw: str, participant: Participant, region: str) -> str:
    try:
        phone = normalize_phone(raw, region)
    except InvalidPhone:
        raise ConsentError(f"--phone is not a valid phone number: {raw!r}") from None
    if phone == participant.phone:
        raise ConsentError("the family member's phone is the participant's own number")
    if session.scalar(select(Counselor.id).where(Counselor.phone == phone)):
        raise ConsentError(f"{phone} belongs to a counselor, not a family member")
    if session.scalar(select(Participant.id).where(Participant.phone == phone)):
        raise ConsentError(f"{phone} belongs to an enrolled participant")
    if is_opted_out(session, phone):
        raise ConsentError(f"{phone} has opted out of texts (replied STOP); it can't be invited")
    return phone


def _expiry(raw: str | date | None, zone: ZoneInfo, now: datetime) -> date:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ConsentError("a consent needs an expiry date (--expires YYYY-MM-DD)")
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(raw.strip())
    except ValueError:
        raise ConsentError(f"--expires must be a date YYYY-MM-DD, not {raw!r}") from None
    if day <= now.astimezone(zone).date():
        raise ConsentError(f"--expires {day.isoformat()} is not in the future")
    return day


def invite(
    session: Session, program: Program, form: Invitation, now: datetime, actor: str,
    staff_id: int | None = None,
) -> Invited:
    """Record a consent request and text the participant the consent with their YES code."""
    participant = find_participant(session, form.participant_phone, program.phone_region)
    if participant.status == "discharged":
        raise ConsentError(f"{participant.phone} is discharged")
    name, relationship = (form.name or "").strip(), (form.relationship or "").strip()
    if not name or len(name) > 120:
        raise ConsentError("--name is required (at most 120 characters)")
    if not relationship or len(relationship) > 60:
        raise ConsentError("--relationship is required (at most 60 characters)")
    phone = _family_phone(session, form.phone, participant, program.phone_region)
    scopes = parse_scopes(form.share or "")
    p_zone = ZoneInfo(participant.timezone)
    expires_on = _expiry(form.expires, p_zone, now)
    config = family_config(program)
    zone_name = form.timezone or config.default_timezone or participant.timezone
    try:
        parse_timezone(zone_name)
    except ValueError as exc:
        raise ConsentError(str(exc)) from None
    language = form.language or participant.language
    if language not in LANGUAGES:
        raise ConsentError(f"--language must be one of {', '.join(LANGUAGES)}")
    live = session.scalar(select(Consent).where(
        Consent.participant_id == participant.id, Consent.recipient_phone == phone,
        Consent.state.in_(LIVE_CONSENT_STATES),
    ))
    if live is not None:
        raise ConsentError(
            f"consent {live.id} for {phone} is already {live.state}; revoke it first"
        )

    contact = session.scalar(select(FamilyContact).where(
        FamilyContact.participant_id == participant.id, FamilyContact.phone == phone
    )) or FamilyContact(participant_id=participant.id, phone=phone, created_at=now)
    contact.name, contact.relationship, contact.language = name, relationship, language
    contact.timezone, contact.state = zone_name, "invited"
    session.add(contact)
    session.flush()

    earlier = session.scalars(
        select(Consent.code_hash).where(Consent.participant_id == participant.id)
    ).all()
    code = new_code()
    while any(code_matches(code, stored) for stored in earlier):
        code = new_code()
    lang = participant.language
    first = contact.first_name
    values = {
        "recipient": name, "recipient_first": first, "relationship": relationship,
        "recipient_phone": phone, "scopes": scope_list(program, scopes, lang),
        "purpose": program.text("family.purpose", lang), "expires": expires_on.isoformat(),
    }
    body = program.text("family.consent.request", lang, code=code, **values)
    consent = Consent(
        participant_id=participant.id, family_contact_id=contact.id,
        discloser=program.clinic_name, recipient_name=name, recipient_phone=phone,
        relationship=relationship, scopes=list(scopes), purpose=values["purpose"],
        expires_on=expires_on, expires_at=start_of_day(expires_on, p_zone),
        how_to_revoke=program.text("family.how_to_revoke", lang, recipient_first=first),
        consent_text=program.text("family.consent.request", lang, code="<code>", **values),
        state="pending_participant", code_hash=hash_code(code),
        code_expires_at=now + timedelta(days=config.code_valid_days),
        created_by=actor, created_at=now,
    )
    session.add(consent)
    session.flush()
    enqueue(
        session, to=participant.phone, channel=participant.channel, body=body,
        kind="family.consent", dedupe_key=f"family:consent:{consent.id}", now=now,
        not_before=next_open(program, p_zone, now), expires_at=consent.code_expires_at,
        priority=PRIORITY_REPLY, participant_id=participant.id,
    )
    audit.record(session, "family.consent.requested", now=now, actor=actor,
                 subject_type="consent", subject_id=consent.id, staff_id=staff_id,
                 participant_id=participant.id, scopes=list(scopes),
                 expires_on=expires_on.isoformat())
    return Invited(consent, code)


@dataclass(frozen=True)
class Signing:
    """What became of a participant's "YES <code>": the reply key and the consent, if any."""

    outcome: str  # confirmed | bad_code | used_code | expired_code
    consent: Consent | None = None


def sign(
    session: Session, program: Program, participant: Participant, code: str, *,
    message_sid: str, message_log_id: int | None, now: datetime,
) -> Signing:
    """Apply the participant's own YES <code>: on a match, invite the family member."""
    consents = session.scalars(
        select(Consent).where(Consent.participant_id == participant.id).order_by(Consent.id.desc())
    ).all()
    consent = next((c for c in consents if code_matches(code, c.code_hash)), None)
    if consent is None:
        return Signing("bad_code")
    if consent.signed_at is not None:
        return Signing("used_code", consent)
    if (consent.state != "pending_participant" or now >= consent.code_expires_at
            or now >= consent.expires_at):
        return Signing("expired_code", consent)
    consent.state, consent.signed_at = "pending_family", now
    consent.signed_message_sid, consent.signed_message_log_id = message_sid, message_log_id
    contact = session.get(FamilyContact, consent.family_contact_id)
    contact.invited_at = now
    lang = contact.language
    body = program.text(
        "family.invite", lang, participant=participant.name.split()[0],
        frequency=program.text("family.frequency", lang), expires=consent.expires_on.isoformat(),
        scopes=scope_list(program, consent.scopes, lang),
        notice=program.text("family.notice", lang),
    )
    disclose(
        session, consent, scope="invitation", body=body, kind="family.invite",
        occurrence=f"family:invite:{consent.id}", now=now,
        not_before=next_open(program, ZoneInfo(contact.timezone), now),
    )
    audit.record(session, "family.consent.signed", now=now,
                 actor=f"participant:{participant.id}", subject_type="consent",
                 subject_id=consent.id, message_sid=message_sid)
    return Signing("confirmed", consent)


def join(session: Session, phone: str, *, message_sid: str, now: datetime) -> list[Consent]:
    """The family member's YES: every consent waiting for them at `phone` becomes active."""
    waiting = session.scalars(select(Consent).where(
        Consent.recipient_phone == phone, Consent.state == "pending_family",
        Consent.expires_at > now,
    )).all()
    for consent in waiting:
        consent.state, consent.family_joined_at = "active", now
        consent.family_join_message_sid = message_sid
        session.get(FamilyContact, consent.family_contact_id).state = "active"
        audit.record(session, "family.consent.joined", now=now, actor="family:text",
                     subject_type="consent", subject_id=consent.id)
    return list(waiting)
