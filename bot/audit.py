"""Writing audit events, and reading them back for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.models import AuditEvent

CONSOLE_ACTOR = "console:"


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
    """Append one audit event in the caller's transaction.

    A console actor (`console:<staff id>`) also fills `staff_id`, and `participant_id` for a
    participant subject, so a change made in the console by a shared service is found by the
    audit page's staff and participant filters like the console's own events."""
    if actor.startswith(CONSOLE_ACTOR) and actor[len(CONSOLE_ACTOR):].isdigit():
        staff_id = staff_id if staff_id is not None else int(actor[len(CONSOLE_ACTOR):])
        if participant_id is None and subject_type == "participant":
            participant_id = subject_id
    event = AuditEvent(
        at=now, actor=actor, action=action, subject_type=subject_type,
        subject_id=subject_id, detail=detail, staff_id=staff_id,
        participant_id=participant_id, page=page[:200] if page else None,
    )
    session.add(event)
    return event


def values(
    action: str, *, now: datetime, actor: str = "system", subject_type: str | None = None,
    subject_id: int | None = None, **detail: Any,
) -> dict[str, Any]:
    """One audit event's column values, for writing several in one statement (`record_many`)."""
    return {"at": now, "actor": actor, "action": action, "subject_type": subject_type,
            "subject_id": subject_id, "detail": detail, "staff_id": None,
            "participant_id": None, "page": None}


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append several audit events (`values(...)`) in one statement (executemany)."""
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)


@dataclass(frozen=True)
class AuditRow:
    """One audit event as people read it: the staff account's email when there is one."""

    id: int
    at: datetime
    actor: str
    action: str
    participant_id: int | None
    participant: str | None
    page: str | None
    subject: str | None
    detail: dict


def audit_rows(
    session: Session, *, participant_id: int | None = None, staff_id: int | None = None,
    since: datetime | None = None, limit: int = 500, before_id: int | None = None,
) -> list[AuditRow]:
    """Audit events newest first, filtered by participant, staff account and start time."""
    from bot.models import Participant, StaffAccount

    stmt = (select(AuditEvent, StaffAccount.email, Participant.name)
            .outerjoin(StaffAccount, StaffAccount.id == AuditEvent.staff_id)
            .outerjoin(Participant, Participant.id == AuditEvent.participant_id))
    if participant_id is not None:
        stmt = stmt.where(AuditEvent.participant_id == participant_id)
    if staff_id is not None:
        stmt = stmt.where(AuditEvent.staff_id == staff_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return [AuditRow(
        id=e.id, at=e.at, actor=email or e.actor, action=e.action, participant_id=e.participant_id,
        participant=name, page=e.page,
        subject=f"{e.subject_type} {e.subject_id}" if e.subject_type else None,
        detail=dict(e.detail or {}),
    ) for e, email, name in session.execute(stmt)]
