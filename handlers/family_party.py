"""Recognising a family member who has been texted under a participant's consent."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from bot.models import Counselor, Participant
from bot.models.family import FamilyContact
from handlers.turn import Party


def resolve(session: Session, phone: str) -> Party | None:
    """The family member texting from `phone`, if any.

    Only numbers we have actually texted (invited_at set) count: a number staff entered but the
    participant never confirmed is still a stranger. Staff and participants are never family.
    """
    if session.scalar(select(Counselor.id).where(Counselor.phone == phone)) or session.scalar(
        select(Participant.id).where(Participant.phone == phone)
    ):
        return None
    contact = session.scalar(
        select(FamilyContact)
        .where(FamilyContact.phone == phone, FamilyContact.invited_at.is_not(None))
        .order_by(
            case((FamilyContact.state == "active", 0), (FamilyContact.state == "invited", 1),
                 else_=2),
            FamilyContact.invited_at.desc(),
        )
        .limit(1)
    )
    return Party("family", family=contact) if contact else None
