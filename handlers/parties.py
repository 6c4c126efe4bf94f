"""Who sent a text: counselor, participant, family member or unknown."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Counselor, Participant
from handlers import family_party
from handlers.turn import Party


def _counselor(session: Session, phone: str) -> Party | None:
    found = session.scalar(select(Counselor).where(Counselor.phone == phone, Counselor.active))
    return Party("counselor", counselor=found) if found else None


def _participant(session: Session, phone: str) -> Party | None:
    found = session.scalar(select(Participant).where(Participant.phone == phone))
    return Party("participant", participant=found) if found else None


# Looked up in order: staff first, then participants, then family members.
RESOLVERS: list[Callable[[Session, str], Party | None]] = [
    _counselor, _participant, family_party.resolve,
]


def resolve_party(session: Session, phone: str) -> Party:
    """The first resolver that knows `phone`, else an unknown party."""
    for resolver in RESOLVERS:
        party = resolver(session, phone)
        if party is not None:
            return party
    return Party("unknown")
