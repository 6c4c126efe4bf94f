"""Enrolling counselors and participants, and finding who a phone number belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, Group, OutboxMessage, Participant
from bot.outbox import cancel_pending, enqueue
from bot.phones import InvalidPhone, normalize_phone
from bot.program import LANGUAGES, Program, parse_hhmm, parse_timezone
from bot.vocabulary import DISCHARGE_REASONS

NAME_CHARS = 120  # Counselor.name and Participant.name are VARCHAR(120)


class EnrolmentError(ValueError):
    """Enrolment input that cannot be accepted; the message says why in one line."""


def _phone(raw: str, what: str, region: str = "US") -> str:
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        raise EnrolmentError(f"{what} is not a valid phone number: {raw!r}") from None


def _name(raw: str | None, who: str) -> str:
    """The trimmed name, or EnrolmentError when it is empty or longer than the column."""
    name = " ".join((raw or "").split())
    if not name:
        raise EnrolmentError(f"a {who} needs a name")
    if len(name) > NAME_CHARS:
        raise EnrolmentError(f"--name must be at most {NAME_CHARS} characters")
    return name


def _phone_in_use(session: Session, phone: str) -> str | None:
    if session.scalar(select(Counselor.id).where(Counselor.phone == phone)):
        return "a counselor"
    if session.scalar(select(Participant.id).where(Participant.phone == phone)):
        return "a participant"
    return None


def add_counselor(
    session: Session,
    *,
    name: str,
    phone: str,
    on_call: bool,
    now: datetime,
    supervisor: bool = False,
    region: str = "US",
    actor: str = "system",
) -> Counselor:
    """Enrol a counselor."""
    name = _name(name, "counselor")
    number = _phone(phone, "--phone", region)
    if used := _phone_in_use(session, number):
        raise EnrolmentError(f"{number} is already enrolled as {used}")
    counselor = Counselor(
        name=name, phone=number, on_call=on_call, supervisor=supervisor, created_at=now
    )
    session.add(counselor)
    session.flush()
    audit.record(
        session, "counselor.added", now=now, actor=actor, subject_type="counselor",
        subject_id=counselor.id,
    )
    return counselor


@dataclass(frozen=True)
class Enrolment:
    """What enrolling a participant needs."""

    name: str
    phone: str
    counselor_phone: str
    timezone: str
    language: str = "en"
    checkin_time: str | None = None
    group: str | None = None
    channel: str = "sms"
    consent_source: str = "enrolment by staff (CLI)"


def add_participant(
    session: Session, program: Program, form: Enrolment, now: datetime, actor: str = "system"
) -> Participant:
    """Enrol a participant, record their consent to texts and queue the opt-in confirmation."""
    name = _name(form.name, "participant")
    number = _phone(form.phone, "--phone", program.phone_region)
    if used := _phone_in_use(session, number):
        raise EnrolmentError(f"{number} is already enrolled as {used}")
    counselor_phone = _phone(form.counselor_phone, "--counselor", program.phone_region)
    counselor = session.scalar(select(Counselor).where(Counselor.phone == counselor_phone))
    if counselor is None:
        raise EnrolmentError(f"no counselor with phone {form.counselor_phone!r}")
    try:
        parse_timezone(form.timezone)
    except ValueError as exc:
        raise EnrolmentError(str(exc)) from None
    if form.language not in LANGUAGES:
        raise EnrolmentError(f"--language must be one of {', '.join(LANGUAGES)}")
    checkin = form.checkin_time or program.section("checkin").get("default_time", "17:00")
    try:
        local = parse_hhmm(str(checkin))
    except ValueError:
        raise EnrolmentError(f"--checkin-time must be HH:MM (24-hour), not {checkin!r}") from None
    if not program.in_quiet_window(local):
        raise EnrolmentError(
            f"check-in time {checkin} is outside the clinic's texting hours "
            f"{program.quiet_start:%H:%M}-{program.quiet_end:%H:%M}"
        )
    group_id = None
    if form.group:
        group_id = session.scalar(select(Group.id).where(Group.name == form.group))
        if group_id is None:
            raise EnrolmentError(f"no group named {form.group!r}")
    participant = Participant(
        name=name,
        phone=number,
        channel=form.channel,
        timezone=form.timezone,
        language=form.language,
        counselor_id=counselor.id,
        group_id=group_id,
        status="active",
        checkin_time=f"{local:%H:%M}",
        consent_at=now,
        consent_source=form.consent_source,
        enrolled_at=now,
    )
    session.add(participant)
    session.flush()
    enqueue(
        session,
        to=number,
        channel=form.channel,
        participant_id=participant.id,
        body=program.text("optin.confirm", participant.language),
        kind="optin",
        dedupe_key=f"optin:{participant.id}",
        now=now,
        priority=3,
    )
    audit.record(
        session,
        "participant.enrolled",
        now=now,
        actor=actor,
        subject_type="participant",
        subject_id=participant.id,
        consent_source=form.consent_source,
    )
    return participant


def find_participant(session: Session, phone: str, region: str = "US") -> Participant:
    """The participant with `phone` (any format; national numbers in `region`) or EnrolmentError."""
    number = _phone(phone, "phone", region)
    participant = session.scalar(select(Participant).where(Participant.phone == number))
    if participant is None:
        raise EnrolmentError(f"no participant with phone {number}")
    return participant


def discharge(
    session: Session, phone: str, now: datetime, region: str = "US", reason: str | None = None,
    actor: str = "system",
) -> Participant:
    """Discharge a participant: nothing more is scheduled or sent to them."""
    if reason is not None and reason not in DISCHARGE_REASONS:
        raise EnrolmentError(f"--reason must be one of {', '.join(DISCHARGE_REASONS)}")
    participant = find_participant(session, phone, region)
    if participant.status == "discharged":
        raise EnrolmentError(f"{participant.phone} is already discharged")
    participant.status, participant.discharged_at = "discharged", now
    cancel_pending(
        session, where=OutboxMessage.to_phone == participant.phone, reason="participant discharged"
    )
    audit.record(
        session,
        "participant.discharged",
        now=now,
        actor=actor,
        subject_type="participant",
        subject_id=participant.id,
        **({"reason": reason} if reason else {}),
    )
    return participant
