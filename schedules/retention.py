"""The daily retention sweep: blank old message bodies once a day (see bot.services.retention)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.services.retention import blank_old_bodies
from schedules.planner import claim_mark

MARK = "retention"
EVERY = timedelta(days=1)


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Blank bodies past the clinic's retention period, at most once a day across clocks."""
    days = runtime.program.keep_message_bodies_days
    if days is None:
        return {}
    mark = claim_mark(session, MARK)
    if mark is None or (mark.ran_at is not None and now - mark.ran_at < EVERY):
        return {}
    report = blank_old_bodies(session, days, now)
    mark.ran_at = now
    return {"blanked": report.log_blanked + report.outbox_blanked}
