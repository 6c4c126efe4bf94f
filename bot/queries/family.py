"""Family consents as the console lists them: who may be told what, until when, and its state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, false, func, select, true
from sqlalchemy.orm import Session

from bot.console.access import StaffLike, participant_scope
from bot.models import Participant
from bot.models.family import LIVE_CONSENT_STATES, Consent
from bot.queries.caseload import escape_like

LIST_LIMIT = 200

# What staff read for each stored state (the stored word stays in the audit trail and the CLI).
WAITING = {
    "pending_participant": "waiting for the participant to text YES and their code",
    "pending_family": "signed; waiting for the family member to reply YES",
}


@dataclass(frozen=True)
class ConsentRow:
    """One consent: the family contact, what may be shared, expiry, and its state in words."""

    id: int
    participant_id: int
    participant_name: str
    recipient_name: str
    recipient_phone: str
    relationship: str
    scopes: tuple[str, ...]
    expires_on: date
    state: str  # pending | active | revoked | expired
    detail: str  # what it waits for, or when and by whom it ended
    live: bool  # may still be revoked
    created_at: datetime


def family_scope(staff: StaffLike) -> ColumnElement[bool]:
    """Participants whose family consents `staff` may manage: a counselor's own caseload
    (within the one reach rule), every participant for a supervisor, nobody for an admin."""
    if staff.role == "supervisor":
        return true()
    if staff.role != "counselor" or staff.counselor_id is None:
        return false()
    return and_(participant_scope(staff), Participant.counselor_id == staff.counselor_id)


def may_manage(session: Session, staff: StaffLike, participant_id: int) -> bool:
    """True when `staff` may see and change this participant's family consents."""
    return bool(session.scalar(select(
        select(Participant.id).where(Participant.id == participant_id, family_scope(staff))
        .exists())))


def _state(c: Consent, now: datetime) -> tuple[str, str, bool]:
    """(state, detail, live) in staff's words; a live consent past its date reads as expired
    even before the clock's sweep has marked it."""
    if c.state == "revoked":
        return "revoked", f"revoked {c.revoked_at:%Y-%m-%d} by {c.revoked_by or 'unknown'}", False
    if c.state == "expired" or c.expires_at <= now:
        return "expired", f"ended on {c.expires_on.isoformat()}", False
    if c.state == "active":
        return "active", f"family member joined {c.family_joined_at:%Y-%m-%d}", True
    return "pending", WAITING.get(c.state, c.state), True


def consent_rows(
    session: Session, staff: StaffLike, now: datetime, *, participant_id: int | None = None,
    limit: int = LIST_LIMIT,
) -> list[ConsentRow]:
    """Consents `staff` may manage (one participant's, or everyone's), live first, newest first."""
    live_first = case((Consent.state.in_(LIVE_CONSENT_STATES), 0), else_=1)
    stmt = (select(Consent, Participant.name)
            .join(Participant, Participant.id == Consent.participant_id)
            .where(family_scope(staff))
            .order_by(live_first, Consent.created_at.desc(), Consent.id.desc())
            .limit(limit))
    if participant_id is not None:
        stmt = stmt.where(Consent.participant_id == participant_id)
    rows = []
    for c, name in session.execute(stmt):
        state, detail, live = _state(c, now)
        rows.append(ConsentRow(
            id=c.id, participant_id=c.participant_id, participant_name=name,
            recipient_name=c.recipient_name, recipient_phone=c.recipient_phone,
            relationship=c.relationship, scopes=tuple(c.scopes), expires_on=c.expires_on,
            state=state, detail=detail, live=live, created_at=c.created_at))
    return rows


@dataclass(frozen=True)
class PersonRow:
    """A participant found by name, to open their family page."""

    id: int
    name: str
    status: str


def find_people(session: Session, staff: StaffLike, search: str, limit: int = 20
                ) -> list[PersonRow]:
    """Participants `staff` may manage whose name contains `search`."""
    words = search.strip().lower()
    if not words:
        return []
    stmt = (select(Participant.id, Participant.name, Participant.status)
            .where(family_scope(staff),
                   func.lower(Participant.name).like(f"%{escape_like(words)}%", escape="\\"))
            .order_by(Participant.name, Participant.id).limit(limit))
    return [PersonRow(*row) for row in session.execute(stmt)]
