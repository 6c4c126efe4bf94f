"""The counts family updates may draw on, read from the schedule tables.

Only counts leave this module: whether a check-in was answered (never what the answer was) and
whether a group session was marked attended or missed (never notes, scores or reasons).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.models.schedule import Attendance, CheckIn, TherapySession
from bot.rules.family_scopes import WeeklyFacts


def weekly_facts(
    session: Session, participant_id: int, start: datetime, end: datetime
) -> WeeklyFacts:
    """Counts for [start, end): check-ins asked/answered, group sessions marked/attended.

    A group session counts once staff have marked it (present or absent); an unmarked one is
    left out rather than reported as missed.
    """
    asked, answered = session.execute(
        select(func.count(CheckIn.id), func.count(CheckIn.answered_at)).where(
            CheckIn.participant_id == participant_id,
            CheckIn.asked_at >= start, CheckIn.asked_at < end,
        )
    ).one()
    marked, present = session.execute(
        select(
            func.count(Attendance.id),
            func.coalesce(func.sum(case((Attendance.present.is_(True), 1), else_=0)), 0),
        )
        .join(TherapySession, TherapySession.id == Attendance.session_id)
        .where(
            Attendance.participant_id == participant_id,
            TherapySession.group_id.is_not(None), TherapySession.status == "scheduled",
            TherapySession.starts_at >= start, TherapySession.starts_at < end,
        )
    ).one()
    return WeeklyFacts(
        sessions_scheduled=int(marked), sessions_attended=int(present),
        checkins_asked=int(asked), checkins_answered=int(answered),
    )


def milestone_values(session: Session, participant_id: int, until: datetime) -> dict[str, int]:
    """Totals milestones are measured on: weeks with an answered check-in, sessions attended."""
    answered_days = session.scalars(
        select(CheckIn.local_date).where(
            CheckIn.participant_id == participant_id, CheckIn.answered_at.is_not(None),
            CheckIn.answered_at < until,
        )
    ).all()
    weeks = {day.isocalendar()[:2] for day in answered_days}
    attended = session.scalar(
        select(func.count(Attendance.id))
        .join(TherapySession, TherapySession.id == Attendance.session_id)
        .where(
            Attendance.participant_id == participant_id, Attendance.present.is_(True),
            TherapySession.group_id.is_not(None), TherapySession.status == "scheduled",
            TherapySession.starts_at < until,
        )
    )
    return {"checkin_weeks": len(weeks), "sessions_attended": int(attended or 0)}

