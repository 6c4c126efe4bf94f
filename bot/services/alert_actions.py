"""What counselors do with alerts: acknowledge, resolve, and list the open ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, AlertEvent, Counselor
from bot.program import Program
from bot.runtime import Runtime
from bot.services.alerts import page, staff_text
from bot.services.oncall import is_on_call


class AlertError(ValueError):
    """An alert action that cannot be done (unknown id, not theirs, already resolved)."""

    def __init__(self, code: str, message: str, **values) -> None:
        super().__init__(message)
        self.code, self.values = code, values


def notified_ids(session: Session, alert_id: int) -> set[int]:
    """Counselors who were texted about an alert."""
    return set(session.scalars(select(AlertEvent.counselor_id).where(
        AlertEvent.alert_id == alert_id, AlertEvent.counselor_id.is_not(None))))


def may_act(session: Session, alert: Alert, counselor: Counselor, program: Program,
            now: datetime) -> bool:
    """Assigned, on-call, supervisors, and anyone texted about it may acknowledge or resolve."""
    return (
        counselor.supervisor or alert.counselor_id == counselor.id
        or is_on_call(session, program, counselor, now)
        or counselor.id in notified_ids(session, alert.id)
    )


def find_alert(session: Session, alert_id: int, counselor: Counselor, program: Program,
               now: datetime) -> Alert:
    """The alert `alert_id` if `counselor` may act on it; else AlertError."""
    alert = session.get(Alert, alert_id, with_for_update=True if _lock(session) else None)
    if alert is None:
        raise AlertError("unknown", f"there is no alert {alert_id}", id=alert_id)
    if not may_act(session, alert, counselor, program, now):
        raise AlertError("not_yours", f"alert {alert_id} is not assigned to {counselor.name}",
                         id=alert_id)
    return alert


def _lock(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _log(session: Session, alert: Alert, action: str, counselor: Counselor, now: datetime,
         via: str, note: str | None = None) -> None:
    session.add(AlertEvent(alert_id=alert.id, at=now, action=action, counselor_id=counselor.id,
                           detail=via if note is None else f"{via}: {note}"[:300]))
    audit.record(session, f"alert.{action}", now=now, actor=f"counselor:{counselor.id}",
                 subject_type="alert", subject_id=alert.id, via=via)


def acknowledge(
    session: Session, runtime: Runtime, alert_id: int, counselor: Counselor, *, now: datetime,
    via: str,
) -> Alert:
    """Acknowledge an alert: the ladder stops; others who were texted hear who has it."""
    alert = find_alert(session, alert_id, counselor, runtime.program, now)
    if alert.state == "resolved":
        raise AlertError("resolved", f"alert {alert_id} is already resolved", id=alert_id)
    if alert.state == "acknowledged":
        by = session.get(Counselor, alert.acknowledged_by)
        raise AlertError("already", f"alert {alert_id} was already acknowledged by {by.name}",
                         id=alert_id, name=by.name)
    alert.state, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", counselor.id, now
    alert.deadline_at = None
    _log(session, alert, "acknowledged", counselor, now, via)
    _tell_others(session, runtime, alert, counselor, "acked", now)
    return alert


def resolve(
    session: Session, runtime: Runtime, alert_id: int, counselor: Counselor, *, now: datetime,
    via: str, note: str | None = None,
) -> Alert:
    """Resolve an alert (acknowledging it too if nobody had), with an optional note."""
    alert = find_alert(session, alert_id, counselor, runtime.program, now)
    if alert.state == "resolved":
        raise AlertError("resolved", f"alert {alert_id} is already resolved", id=alert_id)
    if alert.state == "open":
        alert.acknowledged_by, alert.acknowledged_at = counselor.id, now
        _tell_others(session, runtime, alert, counselor, "acked", now)
    alert.state, alert.resolved_by, alert.resolved_at = "resolved", counselor.id, now
    alert.deadline_at, alert.note = None, (note or None)
    _log(session, alert, "resolved", counselor, now, via, note)
    return alert


def _tell_others(session: Session, runtime: Runtime, alert: Alert, counselor: Counselor,
                 tag: str, now: datetime) -> None:
    others = [session.get(Counselor, cid) for cid in sorted(notified_ids(session, alert.id))
              if cid != counselor.id]
    others = [c for c in others if c is not None and c.active]
    if others:
        body = staff_text(session, runtime, alert, "alert.staff.acked_by", name=counselor.name)
        page(session, runtime, alert, others, body=body, tag=tag, action="told_acked", now=now)


def open_alerts_for(session: Session, counselor: Counselor, program: Program, now: datetime,
                    limit: int = 50) -> list[Alert]:
    """Unresolved alerts a counselor may act on, newest first."""
    stmt = select(Alert).where(Alert.state != "resolved")
    if not (counselor.supervisor or is_on_call(session, program, counselor, now)):
        texted = select(AlertEvent.alert_id).where(AlertEvent.counselor_id == counselor.id)
        stmt = stmt.where(or_(Alert.counselor_id == counselor.id, Alert.id.in_(texted)))
    return list(session.scalars(stmt.order_by(Alert.id.desc()).limit(limit)))
