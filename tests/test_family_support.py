"""Shared helpers for the family tests (no tests of its own)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import select

from bot.models import OutboxMessage, Participant
from bot.models.family import Consent
from tests.factories import make_counselor, make_participant, next_phone

PROBES = ["is Alex in treatment?", "how is Alex doing?", "Is Alex Rivera a patient there?",
          "did alex go to group this week", "what's alex's craving score", "hello?",
          "¿Cómo está Alex?"]


def replies(response) -> list[str]:
    """The texts in a TwiML response."""
    return [html.unescape(m) for m in
            re.findall(r"<Message>(.*?)</Message>", response.get_data(as_text=True), re.S)]


def code_from(body: str) -> str:
    """The YES code in a consent text."""
    return re.search(r"YES (\d{6})", body).group(1)


@dataclass
class People:
    """A counselor, a participant and a family member's number."""

    counselor_phone: str
    participant: Participant
    family_phone: str


def people(db_session, **participant) -> People:
    """Enrol a counselor and participant (Alex Rivera, New York) and pick a family number."""
    counselor = make_counselor(db_session, name="Sam Ortiz")
    p = make_participant(db_session, counselor=counselor, name="Alex Rivera", **participant)
    return People(counselor.phone, p, next_phone())


def invite(runner, ppl: People, share="attendance,summary,milestones,encouragement",
           expires="2027-06-30", name="Maria Lopez", extra=()):
    """Run `iopbot family invite`; returns the CLI result."""
    return runner.invoke(args=[
        "family", "invite", "--participant", ppl.participant.phone, "--name", name,
        "--phone", ppl.family_phone, "--relationship", "mother", "--share", share,
        "--expires", expires, *extra,
    ])


def consent_text(db_session, consent_id: int) -> OutboxMessage:
    """The consent text queued to the participant."""
    return db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"family:consent:{consent_id}")).one()


def only_consent(db_session) -> Consent:
    """The single consent in the database."""
    return db_session.scalars(select(Consent)).one()


def to_phone(db_session, phone: str, *, inline: bool = False) -> list[OutboxMessage]:
    """Outbox rows to `phone`, oldest first (inline webhook replies only if `inline`)."""
    stmt = select(OutboxMessage).where(OutboxMessage.to_phone == phone)
    if not inline:
        stmt = stmt.where(OutboxMessage.kind != "reply")
    return list(db_session.scalars(stmt.order_by(OutboxMessage.id)))


def full_opt_in(runner, db_session, text_in, ppl: People, **kw) -> Consent:
    """Invite, the participant's YES <code>, the family member's YES: an active consent."""
    result = invite(runner, ppl, **kw)
    assert result.exit_code == 0, result.output
    consent = db_session.scalars(
        select(Consent).where(Consent.recipient_phone == ppl.family_phone)).one()
    code = code_from(consent_text(db_session, consent.id).body)
    text_in(ppl.participant.phone, f"YES {code}")
    text_in(ppl.family_phone, "YES")
    consent = db_session.get(Consent, consent.id)
    db_session.refresh(consent)
    assert consent.state == "active"
    return consent


def add_checkin(db_session, participant_id: int, at, *, answered: bool, **answers):
    """A check-in asked at `at` (answered five minutes later, or missed)."""
    from datetime import timedelta

    from bot.models.schedule import CheckIn

    row = CheckIn(
        participant_id=participant_id, local_date=at.date(), asked_at=at, prompted_at=at,
        closes_at=at + timedelta(hours=20), answered_at=at + timedelta(minutes=5) if answered
        else None, step="done" if answered else "craving", missed=not answered, **answers,
    )
    db_session.add(row)
    db_session.flush()
    return row
