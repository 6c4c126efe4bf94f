"""Read-only rows for the alert pages (plain data for templates; scope applied here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from bot.console.access import StaffLike, alert_scope
from bot.models import Alert, AlertEvent, Counselor, MessageLog, Participant, StaffAccount
from bot.models.alerts import ALERT_LEVELS

LEVEL_ORDER = case({"crisis": 0, "urgent": 1, "concern": 2}, value=Alert.level, else_=3)


@dataclass(frozen=True)
class AlertRow:
    """One alert as the queue shows it."""

    id: int
    level: str
    state: str
    kind: str
    participant_id: int | None
    name: str  # the participant's preferred name, or "Unknown number ending 1234"
    created_at: datetime
    step: int
    reasons: list[str]
    text: str | None  # the participant's own words that raised it
    text_at: datetime | None
    acknowledged_by: str | None
    acknowledged_by_staff_id: int | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None


@dataclass(frozen=True)
class EventRow:
    """One step in an alert's life, in words."""

    at: datetime
    action: str
    summary: str
    text: str | None  # a later text from the participant that joined this alert


VIA = {"console": "in the console", "cli": "from the command line"}


def _via(detail: str | None) -> tuple[str, str | None]:
    """('by text' | 'in the console' | ..., the note after 'via: ') from an event's detail."""
    via, _, note = (detail or "").partition(": ")
    label = "by text" if via.startswith("sms") else VIA.get(via, "")
    return label, (note or None)


def describe(action: str, who: str | None, detail: str | None) -> str:
    """A sentence for one alert event, as a counselor would say it."""
    who = who or "someone"
    step = (detail or "").split(" ", 1)[0]
    step_no = step[4:] if step.startswith("step") and step[4:].isdigit() else None
    if action == "created":
        return "Alert raised"
    if action == "notified":
        return f"Texted {who}" + (f" (ladder step {step_no})" if step_no not in (None, "0")
                                  else "")
    if action == "resent":
        return f"No answer yet: texted {who} again"
    if action == "escalated":
        return f"No answer yet: escalated to {who}" + (f" (ladder step {step_no})"
                                                        if step_no else "")
    if action == "skipped":
        return "Ladder step skipped: nobody to text at that step"
    if action == "told_acked":
        return f"Told {who} that it is being handled"
    if action == "follow_up":
        return "They texted again"
    if action in ("acknowledged", "resolved"):
        via, note = _via(detail)
        sentence = f"{action.title()} by {who}" + (f" {via}" if via else "")
        return sentence + (f": “{note}”" if note else "")
    return action.replace("_", " ").capitalize() + (f" · {who}" if who != "someone" else "")


def _rows(session: Session, stmt) -> list[AlertRow]:
    acker, resolver = aliased(Counselor), aliased(Counselor)
    acker_staff, resolver_staff = aliased(StaffAccount), aliased(StaffAccount)
    stmt = (stmt.add_columns(Participant.name, MessageLog.body, MessageLog.created_at,
                             acker.name, resolver.name, acker_staff.name, resolver_staff.name)
            .outerjoin(Participant, Participant.id == Alert.participant_id)
            .outerjoin(MessageLog, MessageLog.id == Alert.message_log_id)
            .outerjoin(acker, acker.id == Alert.acknowledged_by)
            .outerjoin(resolver, resolver.id == Alert.resolved_by)
            .outerjoin(acker_staff, acker_staff.id == Alert.acknowledged_by_staff_id)
            .outerjoin(resolver_staff, resolver_staff.id == Alert.resolved_by_staff_id))
    out = []
    for alert, pname, body, body_at, ack, res, ack_s, res_s in session.execute(stmt):
        out.append(AlertRow(
            id=alert.id, level=alert.level, state=alert.state, kind=alert.kind,
            participant_id=alert.participant_id,
            name=pname or f"Unknown number ending {(alert.phone or '')[-4:]}",
            created_at=alert.created_at, step=alert.step, reasons=list(alert.reasons or []),
            text=body, text_at=body_at, acknowledged_by=ack_s or ack,
            acknowledged_by_staff_id=alert.acknowledged_by_staff_id,
            acknowledged_at=alert.acknowledged_at, resolved_by=res_s or res,
            resolved_at=alert.resolved_at, note=alert.note,
        ))
    return out


def _state(op: str, value: str):
    """`alerts.state <op> 'value'` as SQL literals, not bound parameters: PostgreSQL uses the
    partial indexes ix_alerts_queue / ix_alerts_resolved only when it sees the value (a prepared
    statement's generic plan does not)."""
    literal = literal_column(f"'{value}'")
    return Alert.state != literal if op == "!=" else Alert.state == literal


def _other_level():
    """`level NOT IN ALERT_LEVELS` as ranges between them, which ix_alerts_queue can answer."""
    known = sorted(ALERT_LEVELS)
    bounds = [literal_column(f"'{level}'") for level in known]
    gaps = [Alert.level < bounds[0], Alert.level > bounds[-1]]
    gaps += [and_(Alert.level > low, Alert.level < high)
             for low, high in zip(bounds, bounds[1:], strict=False)]
    return or_(*gaps)


def open_alerts(session: Session, staff: StaffLike, *, limit: int = 100) -> list[AlertRow]:
    """Unresolved alerts `staff` may see: crisis first, then urgent, then concern; newest first.

    The newest `limit` of each level come first through ix_alerts_queue (level, created_at),
    so the queue reads at most a few hundred index entries and joins names and texts only to
    the rows it shows, however many alerts the clinic has."""
    scope = alert_scope(staff)

    def newest(level_clause):
        return (select(Alert.id, Alert.level, Alert.created_at)
                .where(_state("!=", "resolved"), level_clause, scope)
                .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit).subquery())

    parts = [newest(Alert.level == literal_column(f"'{level}'")) for level in ALERT_LEVELS]
    parts.append(newest(_other_level()))
    top = union_all(*(select(part) for part in parts)).subquery()
    order = case({"crisis": 0, "urgent": 1, "concern": 2}, value=top.c.level, else_=3)
    ids = session.scalars(select(top.c.id).order_by(order, top.c.created_at.desc(),
                                                    top.c.id.desc()).limit(limit)).all()
    return _by_ids(session, ids, (LEVEL_ORDER, Alert.created_at.desc(), Alert.id.desc()))


def _by_ids(session: Session, ids: list[int], order) -> list[AlertRow]:
    """The rows of the alerts `ids` (already chosen and limited), joined to names and texts
    through primary keys only."""
    if not ids:
        return []
    return _rows(session, select(Alert).where(Alert.id.in_(ids)).order_by(*order))


def recently_resolved(session: Session, staff: StaffLike, *, limit: int = 20) -> list[AlertRow]:
    """The latest resolved alerts `staff` may see (through ix_alerts_resolved)."""
    ids = session.scalars(select(Alert.id).where(_state("==", "resolved"), alert_scope(staff))
                          .order_by(Alert.resolved_at.desc(), Alert.id.desc())
                          .limit(limit)).all()
    return _by_ids(session, ids, (Alert.resolved_at.desc(), Alert.id.desc()))


def alert_detail(session: Session, staff: StaffLike, alert_id: int) -> AlertRow | None:
    """One alert when `staff` may see it, else None (the page answers 404)."""
    rows = _rows(session, select(Alert).where(Alert.id == alert_id, alert_scope(staff)))
    return rows[0] if rows else None


def alert_events(session: Session, alert_id: int) -> list[EventRow]:
    """The alert's steps, oldest first, with any participant text each one carried."""
    staff_name = aliased(StaffAccount)
    stmt = (select(AlertEvent, Counselor.name, staff_name.name, MessageLog.body,
                   MessageLog.direction)
            .outerjoin(Counselor, Counselor.id == AlertEvent.counselor_id)
            .outerjoin(staff_name, staff_name.id == AlertEvent.staff_id)
            .outerjoin(MessageLog, MessageLog.id == AlertEvent.message_log_id)
            .where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.at, AlertEvent.id))
    return [EventRow(at=e.at, action=e.action,
                     summary=describe(e.action, sname or cname, e.detail),
                     text=body if direction == "in" and e.action == "follow_up" else None)
            for e, cname, sname, body, direction in session.execute(stmt)]
