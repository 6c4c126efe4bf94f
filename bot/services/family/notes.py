"""Short notes to the assigned counselor: a family member's message, a setup request."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, Participant
from bot.models.family import Consent, FamilyContact
from bot.outbox import PRIORITY_ALERT, enqueue
from bot.program import Program
from bot.services.family.timing import next_open

NOTE_CHARS = 300


def forward_family_note(
    session: Session, program: Program, phone: str, note: str, *, message_sid: str,
    now: datetime,
) -> list[int]:
    """Queue the family member's note to the counselor of each participant whose consent is
    active for `phone`; returns the outbox ids (empty when no consent is active)."""
    text = " ".join(note.split())[:NOTE_CHARS]
    ids = []
    consents = session.scalars(select(Consent).where(
        Consent.recipient_phone == phone, Consent.state == "active", Consent.expires_at > now,
    ).order_by(Consent.id)).all()
    for consent in consents:
        participant = session.get(Participant, consent.participant_id)
        counselor = session.get(Counselor, participant.counselor_id)
        contact = session.get(FamilyContact, consent.family_contact_id)
        body = program.text(
            "family.note.counselor", program.default_language, family=contact.name,
            relationship=contact.relationship, participant=participant.first_name_initial,
            note=text,
        )
        row = enqueue(
            session, to=counselor.phone, body=body, kind="family.note", party="counselor",
            dedupe_key=f"family:note:{message_sid}:{consent.id}", now=now,
            priority=PRIORITY_ALERT,
        )
        if row is not None:
            ids.append(row.id)
            audit.record(session, "family.note.forwarded", now=now, actor="family:text",
                         subject_type="consent", subject_id=consent.id, outbox_id=row.id)
    return ids


def request_setup(
    session: Session, program: Program, participant: Participant, now: datetime
) -> None:
    """Tell the participant's counselor they asked (by text) to set up family updates."""
    counselor = session.get(Counselor, participant.counselor_id)
    day = now.astimezone(ZoneInfo(participant.timezone)).date().isoformat()
    enqueue(
        session, to=counselor.phone, party="counselor", kind="family.request",
        body=program.text("family.add.note", program.default_language,
                          participant=participant.first_name_initial),
        dedupe_key=f"family:request:{participant.id}:{day}", now=now,
        not_before=next_open(program, ZoneInfo(program.timezone), now),
    )
    audit.record(session, "family.setup.requested", now=now,
                 actor=f"participant:{participant.id}", subject_type="participant",
                 subject_id=participant.id)
