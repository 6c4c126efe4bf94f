"""Who may see what: one rule, used by every console page and query."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from bot.models import Alert, AlertEvent, Counselor, Participant

CLINICAL_ROLES = ("counselor", "supervisor")


class StaffLike(Protocol):
    """What the rule needs to know about the signed-in person."""

    role: str
    counselor_id: int | None


def _routed_to(counselor_id: int) -> ColumnElement[bool]:
    """Alerts assigned to the counselor or texted to them by the ladder."""
    texted = select(AlertEvent.alert_id).where(AlertEvent.counselor_id == counselor_id)
    return or_(Alert.counselor_id == counselor_id, Alert.id.in_(texted))


def _on_call(counselor_id: int) -> ColumnElement[bool]:
    return exists().where(Counselor.id == counselor_id, Counselor.on_call.is_(True),
                          Counselor.active.is_(True))


def _routed(counselor_id: int) -> ColumnElement[bool]:
    """Alerts that reached this counselor: assigned, texted by the ladder, or open while on call
    (the alerts `may_act` lets them act on by text)."""
    return or_(_routed_to(counselor_id),
               and_(Alert.state != "resolved", _on_call(counselor_id)))


def participant_scope(staff: StaffLike) -> ColumnElement[bool]:
    """A WHERE clause on Participant: the participants `staff` may see.

    A counselor: their caseload plus the participants of alerts routed to them (assigned,
    texted by the ladder, or open while they are on call). A supervisor: all. An admin: none
    (no clinical content by default).
    """
    if staff.role == "supervisor":
        return true()
    if staff.role != "counselor" or staff.counselor_id is None:
        return false()
    via_alerts = select(Alert.participant_id).where(
        Alert.participant_id.is_not(None), _routed(staff.counselor_id))
    return or_(Participant.counselor_id == staff.counselor_id, Participant.id.in_(via_alerts))


def alert_scope(staff: StaffLike) -> ColumnElement[bool]:
    """A WHERE clause on Alert: the alerts `staff` may see: every alert of a participant they
    may see, and alerts routed to them (including crisis texts from unknown numbers)."""
    if staff.role == "supervisor":
        return true()
    if staff.role != "counselor" or staff.counselor_id is None:
        return false()
    visible = select(Participant.id).where(participant_scope(staff))
    return or_(_routed(staff.counselor_id), Alert.participant_id.in_(visible))


def can_view(session: Session, staff: StaffLike, participant: Participant | int) -> bool:
    """True when `staff` may see this participant's messages, check-ins and alerts."""
    pid = participant if isinstance(participant, int) else participant.id
    return bool(session.scalar(select(
        exists().where(Participant.id == pid, participant_scope(staff)))))


def can_view_alert(session: Session, staff: StaffLike, alert: Alert | int) -> bool:
    """True when `staff` may see this alert (and so the text that raised it)."""
    aid = alert if isinstance(alert, int) else alert.id
    return bool(session.scalar(select(exists().where(Alert.id == aid, alert_scope(staff)))))
