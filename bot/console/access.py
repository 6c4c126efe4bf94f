"""Who may see what: one rule, used by every console page and query."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, and_, exists, false, literal_column, or_, select, true
from sqlalchemy.orm import Session, aliased

from bot.models import Alert, AlertEvent, Counselor, OnCallShift, Participant

CLINICAL_ROLES = ("counselor", "supervisor")


class StaffLike(Protocol):
    """What the rule needs to know about the signed-in person."""

    role: str
    counselor_id: int | None


def _routed_to(counselor_id: int, alert=Alert) -> ColumnElement[bool]:
    """Alerts assigned to the counselor or texted to them by the ladder (a correlated EXISTS:
    PostgreSQL answers it from ix_alert_events_counselor instead of scanning alert_events)."""
    texted = exists().where(AlertEvent.alert_id == alert.id,
                            AlertEvent.counselor_id == counselor_id)
    return or_(alert.counselor_id == counselor_id, texted)


def _on_call(counselor_id: int) -> ColumnElement[bool]:
    """On call by the --on-call flag, which counts only while the clinic has no weekly rota
    (bot.services.oncall); with a rota, on-call staff see the alerts they were paged about.
    Never correlated with the query around it (the caseload joins counselors too)."""
    no_rota = ~select(OnCallShift.id).correlate(None).exists()
    return (select(Counselor.id)
            .where(Counselor.id == counselor_id, Counselor.on_call.is_(True),
                   Counselor.active.is_(True), no_rota)
            .correlate(None).exists())


def _unresolved(alert=Alert) -> ColumnElement[bool]:
    """`state <> 'resolved'` as SQL literals, so PostgreSQL matches the partial indexes."""
    return alert.state != literal_column("'resolved'")


def _routed(counselor_id: int, alert=Alert) -> ColumnElement[bool]:
    """Alerts that reached this counselor: assigned, texted by the ladder, or open while on call
    (the alerts `may_act` lets them act on by text)."""
    return or_(_routed_to(counselor_id, alert),
               and_(_unresolved(alert), _on_call(counselor_id)))


# Built once: aliases are costly to make and these are only ever used inside their own EXISTS.
_ASSIGNED, _TEXTED, _UNRESOLVED = aliased(Alert), aliased(Alert), aliased(Alert)
_PERSON = aliased(Participant)


def _has_routed_alert(counselor_id: int, participant_id) -> ColumnElement[bool]:
    """The participant `participant_id` (a column) has an alert routed to the counselor.

    Three EXISTS, one per way an alert reaches a counselor, so each has an index whether
    PostgreSQL runs it once per row or hashes it: alerts by participant or by counselor,
    alert_events by counselor, and unresolved alerts by participant (ix_alerts_open_participant)."""
    assigned, texted, unresolved = _ASSIGNED, _TEXTED, _UNRESOLVED
    return or_(
        exists().where(assigned.participant_id == participant_id,
                       assigned.counselor_id == counselor_id),
        exists().where(texted.participant_id == participant_id,
                       AlertEvent.alert_id == texted.id, AlertEvent.counselor_id == counselor_id),
        and_(_on_call(counselor_id),
             exists().where(unresolved.participant_id == participant_id,
                            _unresolved(unresolved))),
    )


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
    return or_(Participant.counselor_id == staff.counselor_id,
               _has_routed_alert(staff.counselor_id, Participant.id))


def alert_scope(staff: StaffLike) -> ColumnElement[bool]:
    """A WHERE clause on Alert: the alerts `staff` may see: every alert of a participant they
    may see, and alerts routed to them (including crisis texts from unknown numbers)."""
    if staff.role == "supervisor":
        return true()
    if staff.role != "counselor" or staff.counselor_id is None:
        return false()
    cid = staff.counselor_id
    person = _PERSON
    on_caseload = exists().where(person.id == Alert.participant_id, person.counselor_id == cid)
    return or_(_routed(cid), on_caseload, _has_routed_alert(cid, Alert.participant_id))


def can_view(session: Session, staff: StaffLike, participant: Participant | int) -> bool:
    """True when `staff` may see this participant's messages, check-ins and alerts."""
    pid = participant if isinstance(participant, int) else participant.id
    return bool(session.scalar(select(
        exists().where(Participant.id == pid, participant_scope(staff)))))


def can_view_alert(session: Session, staff: StaffLike, alert: Alert | int) -> bool:
    """True when `staff` may see this alert (and so the text that raised it)."""
    aid = alert if isinstance(alert, int) else alert.id
    return bool(session.scalar(select(exists().where(Alert.id == aid, alert_scope(staff)))))
