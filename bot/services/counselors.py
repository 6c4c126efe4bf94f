"""Changing counselors after enrolment: edit, deactivate, and hand a caseload to a colleague."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, Counselor, OutboxMessage, Participant
from bot.outbox import cancel_pending
from bot.runtime import Runtime
from bot.services.alert_pages import page, staff_text
from bot.services.oncall import clear_counselor
from bot.services.people import EnrolmentError, _name, _phone, _phone_in_use


def find_counselor(
    session: Session, phone: str, what: str = "phone", region: str = "US"
) -> Counselor:
    """The counselor with `phone` (any format; national numbers in `region`) or EnrolmentError."""
    number = _phone(phone, what, region)
    counselor = session.scalar(select(Counselor).where(Counselor.phone == number))
    if counselor is None:
        raise EnrolmentError(f"no counselor with phone {number}")
    return counselor


def update_counselor(
    session: Session, counselor: Counselor, now: datetime, *, name: str | None = None,
    phone: str | None = None, supervisor: bool | None = None, actor: str = "staff:cli",
    region: str = "US",
) -> list[str]:
    """Change a counselor's name, phone or supervisor role; returns what changed."""
    changes = []
    if name is not None:
        counselor.name = _name(name, "counselor")
        changes.append("name")
    if phone is not None:
        number = _phone(phone, "--phone", region)
        if number != counselor.phone:
            if used := _phone_in_use(session, number):
                raise EnrolmentError(f"{number} is already enrolled as {used}")
            # Pages not yet sent follow the counselor to the new number.
            session.execute(update(OutboxMessage).where(
                OutboxMessage.to_phone == counselor.phone, OutboxMessage.state == "pending",
                OutboxMessage.party == "counselor").values(to_phone=number)
                .execution_options(synchronize_session=False))
            counselor.phone = number
            changes.append("phone")
    if supervisor is not None and supervisor != counselor.supervisor:
        counselor.supervisor = supervisor
        changes.append("supervisor" if supervisor else "not supervisor")
    audit.record(session, "counselor.updated", now=now, actor=actor, subject_type="counselor",
                 subject_id=counselor.id, changes=changes)
    return changes


def caseload(session: Session, counselor: Counselor) -> int:
    """How many participants (not discharged) a counselor has."""
    return session.scalar(select(func.count()).select_from(Participant).where(
        Participant.counselor_id == counselor.id, Participant.status != "discharged")) or 0


def move_open_alerts(session: Session, runtime: Runtime, participant_ids: list[int],
                     to: Counselor, now: datetime, actor: str = "system") -> int:
    """Route the unresolved alerts about these participants to `to`; alerts nobody has
    acknowledged yet are texted to them at once. Returns how many alerts moved."""
    if not participant_ids:
        return 0
    alerts = list(session.scalars(select(Alert).where(
        Alert.participant_id.in_(participant_ids), Alert.state != "resolved",
        Alert.counselor_id.is_distinct_from(to.id)).order_by(Alert.id)))
    for alert in alerts:
        old = alert.counselor_id
        alert.counselor_id = to.id
        audit.record(session, "alert.reassigned", now=now, actor=actor, subject_type="alert",
                     subject_id=alert.id, from_counselor=old, to_counselor=to.id)
        if alert.state == "open":
            body = staff_text(session, runtime, alert, "alert.staff.new")
            page(session, runtime, alert, [to], body=body, tag=f"moved{to.id}",
                 action="notified", now=now)
    return len(alerts)


def assign_counselor(session: Session, runtime: Runtime, participant: Participant,
                     counselor: Counselor, now: datetime, actor: str = "staff:cli") -> int:
    """Give a participant a new counselor; their open alerts move too. Returns alerts moved."""
    if not counselor.active:
        raise EnrolmentError(f"{counselor.name} is deactivated")
    if participant.counselor_id == counselor.id:
        return 0
    old = participant.counselor_id
    participant.counselor_id = counselor.id
    audit.record(session, "participant.counselor_changed", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id,
                 from_counselor=old, to_counselor=counselor.id)
    return move_open_alerts(session, runtime, [participant.id], counselor, now, actor)


@dataclass(frozen=True)
class Deactivation:
    """What deactivating a counselor did."""

    counselor: Counselor
    participants_moved: int
    alerts_moved: int
    reassigned_to: Counselor | None


def deactivate_counselor(
    session: Session, runtime: Runtime, counselor: Counselor, now: datetime, *,
    reassign_to: Counselor | None = None, actor: str = "staff:cli",
) -> Deactivation:
    """Deactivate a counselor; their caseload and open alerts go to `reassign_to` first.

    Refused while they still have participants and no colleague is named. They get no more
    pages: texts not yet sent to them are withdrawn and they leave the on-call rota.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Two staff deactivating or reassigning the same counselor at once take turns.
        session.refresh(counselor, with_for_update=True)
    if not counselor.active:
        raise EnrolmentError(f"{counselor.name} is already deactivated")
    if reassign_to is not None:
        if reassign_to.id == counselor.id:
            raise EnrolmentError("--reassign-to must be another counselor")
        if not reassign_to.active:
            raise EnrolmentError(f"{reassign_to.name} is deactivated")
    moved_ids = list(session.scalars(select(Participant.id).where(
        Participant.counselor_id == counselor.id, Participant.status != "discharged")))
    if moved_ids and reassign_to is None:
        raise EnrolmentError(
            f"{counselor.name} still has {len(moved_ids)} participant(s): "
            "give --reassign-to PHONE to move them to a colleague")
    alerts = 0
    if reassign_to is not None:
        # By counselor, not by the ids read above: someone enrolled meanwhile moves too.
        session.execute(
            update(Participant)
            .where(Participant.counselor_id == counselor.id, Participant.status != "discharged")
            .values(counselor_id=reassign_to.id)
            .execution_options(synchronize_session="fetch"))
        # Open alerts routed to the leaver (about their caseload or anyone else) move too.
        about = set(moved_ids) | set(session.scalars(select(Alert.participant_id).where(
            Alert.counselor_id == counselor.id, Alert.state != "resolved",
            Alert.participant_id.is_not(None))))
        alerts = move_open_alerts(session, runtime, sorted(about), reassign_to, now)
    counselor.active = False
    clear_counselor(session, counselor, now)
    cancel_pending(session, where=(OutboxMessage.to_phone == counselor.phone)
                   & (OutboxMessage.party == "counselor"), reason="counselor deactivated")
    audit.record(session, "counselor.deactivated", now=now, actor=actor,
                 subject_type="counselor", subject_id=counselor.id,
                 reassigned_to=reassign_to.id if reassign_to else None,
                 participants=len(moved_ids), alerts=alerts)
    return Deactivation(counselor, len(moved_ids), alerts, reassign_to)
