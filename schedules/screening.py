"""Screening questions nobody answered within 30 minutes become urgent alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.services.screening import sweep_unanswered


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Raise an urgent alert for each screening question past its window: {"unanswered": n}."""
    return {"unanswered": sweep_unanswered(session, runtime, now)}
