"""Writing audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    now: datetime,
    actor: str = "system",
    subject_type: str | None = None,
    subject_id: int | None = None,
    staff_id: int | None = None,
    participant_id: int | None = None,
    page: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    event = AuditEvent(
        at=now, actor=actor, action=action, subject_type=subject_type,
        subject_id=subject_id, detail=detail, staff_id=staff_id,
        participant_id=participant_id, page=page[:200] if page else None,
    )
    session.add(event)
    return event
