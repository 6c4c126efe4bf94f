"""What counselors do with alerts: acknowledge, resolve, and list the open ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, AlertEvent, Counselor, StaffAccount
from bot.program import Program
from bot.runtime import Runtime
from bot.services.alert_pages import page, staff_text
from bot.services.oncall import is_on_call


class AlertError(ValueError):
    """An alert action that cannot be done (unknown id, not theirs, already resolved)."""

    def __init__(self, code: str, message: str, **values) -> None:
        super().__init__(message)
        self.code, self.values = code, values


@dataclass(frozen=True)
class Actor:
    """Who acts on an alert: a counselor texting ACK/DONE or named by the CLI, or a signed-in
    staff account in the console (which may also be tied to a counselor row)."""

    name: str
    counselor: Counselor | None = None
    staff_id: int | None = None

    @classmethod
    def of(cls, who: Actor | Counselor) -> Actor:
        """An Actor for a counselor row (SMS and CLI) or an Actor as is."""
        return who if isinstance(who, Actor) else cls(name=who.name, counselor=who)

    @property
    def audit_name(self) -> str:
        """The audit trail's actor string."""
        if self.staff_id is not None:
            return f"console:{self.staff_id}"
        return f"counselor:{self.counselor.id}"


def console_actor(session: Session, staff_id: int) -> Actor:
    """The Actor for a signed-in staff account (with its counselor row, when it has one)."""
    account = session.get(StaffAccount, staff_id)
    counselor = session.get(Counselor, account.counselor_id) if account.counselor_id else None
    return Actor(name=account.name, counselor=counselor, staff_id=account.id)


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


def actor_may_act(
    session: Session, alert: Alert, actor: Actor, program: Program, now: datetime
) -> bool:
    """A console account may act on the alerts it may see (one rule: bot.console.access);
    a counselor by text or CLI as `may_act` says."""
    if actor.staff_id is not None:
        from bot.console.access import can_view_alert

        return can_view_alert(session, session.get(StaffAccount, actor.staff_id), alert)
    return actor.counselor is not None and may_act(
        session, alert, actor.counselor, program, now
    )


def find_alert(
    session: Session, alert_id: int, who: Actor | Counselor, program: Program, now: datetime
) -> Alert:
    """The alert `alert_id` if `who` may act on it; else AlertError."""
    actor = Actor.of(who)
    alert = session.get(Alert, alert_id, with_for_update=True if _lock(session) else None)
    if alert is None:
        raise AlertError("unknown", f"there is no alert {alert_id}", id=alert_id)
    if not actor_may_act(session, alert, actor, program, now):
        raise AlertError("not_yours", f"alert {alert_id} is not assigned to {actor.name}",
                         id=alert_id)
    return alert


def _lock(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _log(session: Session, alert: Alert, action: str, actor: Actor, now: datetime,
         via: str, note: str | None = None) -> None:
    session.add(AlertEvent(alert_id=alert.id, at=now, action=action,
                           counselor_id=actor.counselor.id if actor.counselor else None,
                           staff_id=actor.staff_id,
                           detail=via if note is None else f"{via}: {note}"[:300]))
    audit.record(session, f"alert.{action}", now=now, actor=actor.audit_name,
                 subject_type="alert", subject_id=alert.id, staff_id=actor.staff_id,
                 participant_id=alert.participant_id, via=via)


def acknowledged_by_name(session: Session, alert: Alert) -> str:
    """Who acknowledged an alert, as staff know them."""
    if alert.acknowledged_by_staff_id is not None:
        return session.get(StaffAccount, alert.acknowledged_by_staff_id).name
    by = session.get(Counselor, alert.acknowledged_by) if alert.acknowledged_by else None
    return by.name if by else "someone"


def _mark_acknowledged(alert: Alert, actor: Actor, now: datetime) -> None:
    alert.acknowledged_by = actor.counselor.id if actor.counselor else None
    alert.acknowledged_by_staff_id, alert.acknowledged_at = actor.staff_id, now


def acknowledge(
    session: Session, runtime: Runtime, alert_id: int, who: Actor | Counselor, *,
    now: datetime, via: str,
) -> Alert:
    """Acknowledge an alert: the ladder stops; others who were texted hear who has it.

    The same call for `ACK n` by text, `iopbot alert ack` and the console's button; only the
    actor (a counselor row, or a signed-in staff account) and `via` differ.
    """
    actor = Actor.of(who)
    alert = find_alert(session, alert_id, actor, runtime.program, now)
    if alert.state == "resolved":
        raise AlertError("resolved", f"alert {alert_id} is already resolved", id=alert_id)
    if alert.state == "acknowledged":
        name = acknowledged_by_name(session, alert)
        raise AlertError("already", f"alert {alert_id} was already acknowledged by {name}",
                         id=alert_id, name=name)
    alert.state = "acknowledged"
    _mark_acknowledged(alert, actor, now)
    alert.deadline_at = None
    _log(session, alert, "acknowledged", actor, now, via)
    _tell_others(session, runtime, alert, actor, "acked", now)
    return alert


def resolve(
    session: Session, runtime: Runtime, alert_id: int, who: Actor | Counselor, *,
    now: datetime, via: str, note: str | None = None,
) -> Alert:
    """Resolve an alert (acknowledging it too if nobody had), with an optional note."""
    actor = Actor.of(who)
    alert = find_alert(session, alert_id, actor, runtime.program, now)
    if alert.state == "resolved":
        raise AlertError("resolved", f"alert {alert_id} is already resolved", id=alert_id)
    if alert.state == "open":
        _mark_acknowledged(alert, actor, now)
        _tell_others(session, runtime, alert, actor, "acked", now)
    alert.state, alert.resolved_at = "resolved", now
    alert.resolved_by = actor.counselor.id if actor.counselor else None
    alert.resolved_by_staff_id = actor.staff_id
    alert.deadline_at, alert.note = None, (note or None)
    _log(session, alert, "resolved", actor, now, via, note)
    return alert


def _tell_others(session: Session, runtime: Runtime, alert: Alert, actor: Actor,
                 tag: str, now: datetime) -> None:
    me = actor.counselor.id if actor.counselor else None
    others = [session.get(Counselor, cid) for cid in sorted(notified_ids(session, alert.id))
              if cid != me]
    others = [c for c in others if c is not None and c.active]
    if others:
        body = staff_text(session, runtime, alert, "alert.staff.acked_by", name=actor.name)
        page(session, runtime, alert, others, body=body, tag=tag, action="told_acked", now=now)


def open_alerts_for(session: Session, counselor: Counselor, program: Program, now: datetime,
                    limit: int = 50) -> list[Alert]:
    """Unresolved alerts a counselor may act on, newest first."""
    stmt = select(Alert).where(Alert.state != "resolved")
    if not (counselor.supervisor or is_on_call(session, program, counselor, now)):
        texted = select(AlertEvent.alert_id).where(AlertEvent.counselor_id == counselor.id)
        stmt = stmt.where(or_(Alert.counselor_id == counselor.id, Alert.id.in_(texted)))
    return list(session.scalars(stmt.order_by(Alert.id.desc()).limit(limit)))
