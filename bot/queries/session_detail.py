"""One session as the console shows it (stored, or a weekly meeting not stored yet), and its
attendance roster with each participant's answer to the reminder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, not_, select
from sqlalchemy.orm import Session

from bot.console.access import StaffLike, can_view, participant_scope
from bot.models import Group, Participant
from bot.models.schedule import Attendance, ReminderConfirmation, TherapySession
from bot.queries.calendar import CalendarSession
from bot.services.schedule.sessions import get_session
from bot.services.schedule.weekly import weekly_meeting, weekly_rows

_MEETING = re.compile(r"^g(\d{1,9})-(\d{4}-\d{2}-\d{2})$")


def find_session(
    session: Session, staff: StaffLike, ref: str, now: datetime
) -> CalendarSession | None:
    """The session `ref` names, or None when there is none or `staff` may not see it."""
    if ref.isdigit():
        row = session.get(TherapySession, int(ref))
        return _stored(session, staff, row) if row is not None else None
    meeting = _meeting(session, ref, now)
    if meeting is None:
        return None
    group, row = meeting
    stored = session.scalar(select(TherapySession).where(
        TherapySession.occurrence_key == row["occurrence_key"]))
    if stored is not None:
        return _stored(session, staff, stored)
    return CalendarSession(
        ref=ref, id=None, group_id=group.id, group_name=group.name, participant_id=None,
        participant_name=None, starts_at=row["starts_at"], ends_at=row["ends_at"],
        location=row["location"], status="scheduled", weekly=True)


def _meeting(session: Session, ref: str, now: datetime) -> tuple[Group, dict] | None:
    match = _MEETING.match(ref)
    if not match:
        return None
    group = session.get(Group, int(match.group(1)))
    try:
        day = date.fromisoformat(match.group(2))
    except ValueError:
        return None
    if group is None or not group.weekly:
        return None
    rows = weekly_rows([group], day, day, now)
    return (group, rows[0]) if rows else None


def _stored(session: Session, staff: StaffLike, row: TherapySession) -> CalendarSession | None:
    group = session.get(Group, row.group_id) if row.group_id else None
    person = session.get(Participant, row.participant_id) if row.participant_id else None
    if person is not None and not can_view(session, staff, person):
        return None
    ref = str(row.id)
    return CalendarSession(
        ref=ref, id=row.id, group_id=row.group_id, group_name=group.name if group else None,
        participant_id=row.participant_id, participant_name=person.name if person else None,
        starts_at=row.starts_at, ends_at=row.ends_at, location=row.location, status=row.status,
        weekly=row.occurrence_key is not None)


def store_session(session: Session, item: CalendarSession, now: datetime) -> TherapySession:
    """The stored row behind `item` (a weekly meeting is stored now, as the clock would)."""
    if item.id is not None:
        return get_session(session, item.id)
    group = session.get(Group, item.group_id)
    local_day = date.fromisoformat(item.ref.split("-", 1)[1])
    return weekly_meeting(session, group, local_day, now)


def session_zone(session: Session, item: CalendarSession) -> str:
    """The zone a session's times are typed in: its group's, or its participant's (as the CLI)."""
    if item.group_id is not None:
        return session.get(Group, item.group_id).timezone
    return session.get(Participant, item.participant_id).timezone


@dataclass(frozen=True)
class RosterRow:
    """One expected participant: the reminder answer and the attendance already marked."""

    participant_id: int
    name: str
    answer: str | None  # coming | cant_make_it | None
    mark: str | None  # present | absent | excused | None


def _expected(item: CalendarSession):
    where = (Participant.group_id == item.group_id) if item.group_id is not None else (
        Participant.id == item.participant_id)
    return and_(where, Participant.status != "discharged")


def roster(session: Session, staff: StaffLike, item: CalendarSession) -> list[RosterRow]:
    """The participants expected at the session that `staff` may see, by name (one query)."""
    sid = item.id or 0
    rows = session.execute(
        select(Participant.id, Participant.name, ReminderConfirmation.answer,
               Attendance.present, Attendance.excused)
        .outerjoin(ReminderConfirmation, and_(ReminderConfirmation.session_id == sid,
                                              ReminderConfirmation.participant_id
                                              == Participant.id))
        .outerjoin(Attendance, and_(Attendance.session_id == sid,
                                    Attendance.participant_id == Participant.id))
        .where(_expected(item), participant_scope(staff))
        .order_by(Participant.name, Participant.id)
    ).all()
    return [RosterRow(pid, name, answer, None if present is None else
                      "present" if present else "excused" if excused else "absent")
            for pid, name, answer, present, excused in rows]


def hidden_count(session: Session, staff: StaffLike, item: CalendarSession) -> int:
    """How many expected participants are outside `staff`'s reach (not named to them)."""
    if staff.role == "supervisor":
        return 0
    return session.scalar(select(func.count()).select_from(Participant).where(
        _expected(item), not_(participant_scope(staff)))) or 0
