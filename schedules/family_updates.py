"""The family sweep: end consents whose date has come, then plan what is due within consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.services.family.revoke import expire_due
from bot.services.family.updates import plan_updates


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Expire consents due to end, then queue weekly updates and milestones that are due."""
    expired = expire_due(session, runtime.program, now)
    return {"expired": expired, **plan_updates(session, runtime.program, now)}
