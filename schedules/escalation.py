"""The alert sweep: unacknowledged alerts past their deadline climb the escalation ladder.

Alerts are swept whatever became of the participant (paused, discharged, opted out): an
opt-out stops texts to them, never the staff outreach an open alert calls for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Alert
from bot.runtime import Runtime
from bot.services.escalation import advance
from bot.sql import for_update_skip_locked

BATCH = 500


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """Claim open alerts whose deadline has passed and take their due ladder steps."""
    due = session.scalars(for_update_skip_locked(
        select(Alert).where(Alert.state == "open", Alert.deadline_at <= now)
        .order_by(Alert.deadline_at, Alert.id).limit(BATCH), session)).all()
    steps = sum(advance(session, runtime, alert, now) for alert in due)
    return {"escalated": steps} if steps else {}
