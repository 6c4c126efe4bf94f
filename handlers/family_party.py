"""Placeholder until issue 5 (family updates): recognises no family members yet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.turn import Party


def resolve(session: Session, phone: str) -> Party | None:
    """The family member texting from `phone`, if any."""
    return None
