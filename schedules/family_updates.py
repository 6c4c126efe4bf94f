"""Placeholder until issue 5 (family updates) fills it in: plans nothing yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.runtime import Runtime


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Nothing is planned yet."""
    return {}
