"""The program report for supervisors: per week, how the program is doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.models import Alert, Participant
from bot.models.schedule import Attendance, CheckIn, TherapySession
from bot.rules.timing import local_date, local_to_utc
from bot.services.exports import Period


@dataclass
class Week:
    """One week (Monday to Sunday, clinic time) of the report."""

    starts: date
    active_participants: int = 0
    checkins_asked: int = 0
    checkins_answered: int = 0
    attendance_marked: int = 0
    attendance_present: int = 0
    alerts: dict[str, int] = field(default_factory=lambda: {
        "crisis": 0, "urgent": 0, "concern": 0})
    ack_minutes: list[float] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """Check-ins answered / asked, or None when none were asked."""
        return self.checkins_answered / self.checkins_asked if self.checkins_asked else None

    @property
    def attendance_rate(self) -> float | None:
        """Present / marked, or None when nobody was marked."""
        return (self.attendance_present / self.attendance_marked
                if self.attendance_marked else None)

    @property
    def median_ack_minutes(self) -> float | None:
        """Median minutes from an alert to its acknowledgement (acknowledged alerts only)."""
        return median(self.ack_minutes) if self.ack_minutes else None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _day_start(day: date, p: Period) -> datetime:
    """The instant local `day` begins in the clinic's zone."""
    return local_to_utc(day, time(0), p.tz)


def weekly_report(session: Session, p: Period) -> list[Week]:
    """Weeks overlapping the period, each with its figures (days outside the period ignored).

    Set-based: one aggregate query per figure, whatever the number of participants (the
    console's report page must stay fast with thousands of them).
    """
    weeks: dict[date, Week] = {}
    day = _monday(p.first)
    while day <= p.last:
        weeks[day] = Week(day)
        day += timedelta(days=7)

    def week_of(day: date) -> Week | None:
        return weeks.get(_monday(day)) if p.first <= day <= p.last else None

    _count_active(session, p, weeks)
    for day, asked, answered in session.execute(
            select(CheckIn.local_date, func.count(), func.count(CheckIn.answered_at))
            .where(CheckIn.local_date >= p.first, CheckIn.local_date <= p.last)
            .group_by(CheckIn.local_date)):
        if week := week_of(day):
            week.checkins_asked += asked
            week.checkins_answered += answered
    present = func.count(case((Attendance.present.is_(True), 1)))
    for starts, marked, attended in session.execute(
            select(TherapySession.starts_at, func.count(), present)
            .join(Attendance, Attendance.session_id == TherapySession.id)
            .where(TherapySession.starts_at >= p.starts_at, TherapySession.starts_at < p.ends_at)
            .group_by(TherapySession.id, TherapySession.starts_at)):
        if week := week_of(local_date(starts, p.tz)):
            week.attendance_marked += marked
            week.attendance_present += attended
    for created, level, acked in session.execute(
            select(Alert.created_at, Alert.level, Alert.acknowledged_at)
            .where(Alert.created_at >= p.starts_at, Alert.created_at < p.ends_at)):
        if week := week_of(local_date(created, p.tz)):
            week.alerts[level] = week.alerts.get(level, 0) + 1
            if acked is not None:
                week.ack_minutes.append((acked - created).total_seconds() / 60)
    return list(weeks.values())


def _count_active(session: Session, p: Period, weeks: dict[date, Week]) -> None:
    """Participants enrolled by a week's last day and not discharged before its first day
    (clinic dates), for every week in one pass over the participants table."""
    counts = []
    for monday in weeks:
        first, last = max(monday, p.first), min(monday + timedelta(days=6), p.last)
        enrolled = Participant.enrolled_at < _day_start(last + timedelta(days=1), p)
        still_in = or_(Participant.discharged_at.is_(None),
                       Participant.discharged_at >= _day_start(first, p))
        counts.append(func.count(case((and_(enrolled, still_in), 1))))
    if counts:
        for week, count in zip(weeks.values(), session.execute(select(*counts)).one(),
                               strict=True):
            week.active_participants = count
