"""Editing a participant's own details: preferred name and phone number."""

from __future__ import annotations

from datetime import datetime

from bot import audit
from bot.models import Counselor, FormerPhone, OutboxMessage, Participant
from bot.outbox import cancel_pending, enqueue
from bot.program import Program
from bot.services.people import EnrolmentError, _name, _phone, _phone_in_use

READMIT_SOURCE = "re-admission by staff (CLI)"


def rename(session, participant: Participant, name: str, now: datetime,
           actor: str = "staff:cli") -> None:
    """Change the name a participant wants to be called."""
    participant.name = _name(name, "participant")
    audit.record(session, "participant.renamed", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id)


def change_phone(session, program: Program, participant: Participant, phone: str,
                 now: datetime, actor: str = "staff:cli") -> bool:
    """Move a participant to a new number: the old one is kept in history, texts not yet
    sent to it are withdrawn, and the new one gets its own opt-in confirmation.
    Returns False when the number is the same."""
    number = _phone(phone, "--phone", program.phone_region)
    if number == participant.phone:
        return False
    if participant.status == "discharged":
        raise EnrolmentError(f"{participant.phone} is discharged")
    if used := _phone_in_use(session, number):
        raise EnrolmentError(f"{number} is already enrolled as {used}")
    old = participant.phone
    session.add(FormerPhone(participant_id=participant.id, phone=old, replaced_at=now))
    cancel_pending(session, where=OutboxMessage.to_phone == old,
                   reason="participant changed number")
    participant.phone = number
    session.flush()
    enqueue(session, to=number, channel=participant.channel, participant_id=participant.id,
            body=program.text("optin.confirm", participant.language), kind="optin",
            dedupe_key=f"optin:{participant.id}:{number}", now=now, priority=3)
    audit.record(session, "participant.phone_changed", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id)
    return True


def readmit(session, program: Program, participant: Participant, now: datetime, *,
            counselor: Counselor | None = None, actor: str = "staff:cli",
            consent_source: str = READMIT_SOURCE) -> Participant:
    """Re-admit a discharged participant: consent recorded anew, opt-in confirmation queued,
    check-ins and reminders planned again from the next sweep."""
    if participant.status != "discharged":
        raise EnrolmentError(f"{participant.phone} is not discharged")
    current = counselor or session.get(Counselor, participant.counselor_id)
    if not current.active:
        raise EnrolmentError(f"their counselor {current.name} is deactivated: "
                             "give --counselor PHONE")
    participant.counselor_id = current.id
    participant.status, participant.discharged_at, participant.paused_until = "active", None, None
    participant.consent_at, participant.consent_source = now, consent_source
    enqueue(session, to=participant.phone, channel=participant.channel,
            participant_id=participant.id,
            body=program.text("optin.confirm", participant.language), kind="optin",
            dedupe_key=f"optin:{participant.id}:readmit:{now.isoformat()}", now=now, priority=3)
    audit.record(session, "participant.readmitted", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id,
                 counselor_id=current.id, consent_source=consent_source)
    return participant
