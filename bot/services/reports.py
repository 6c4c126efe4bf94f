"""The program report for supervisors: per week, how the program is doing."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.models import Alert, Participant
from bot.models.schedule import Attendance, CheckIn, TherapySession
from bot.rules.timing import local_to_utc
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

    Set-based: each figure is one aggregate query, whatever the number of participants (the
    console's report page must stay fast with thousands of them). A row's week is found by
    comparing its instant with the instants the weeks begin (in SQL a CASE, in Python a bisect),
    never by converting every row to a local date.
    """
    weeks: dict[date, Week] = {}
    day = _monday(p.first)
    while day <= p.last:
        weeks[day] = Week(day)
        day += timedelta(days=7)
    by_index = list(weeks.values())
    starts = [max(_day_start(monday, p), p.starts_at) for monday in weeks]

    def week_at(instant: datetime) -> Week:
        return by_index[bisect_right(starts, instant) - 1]

    def week_case(column) -> ColumnElement[int]:
        if len(starts) == 1:
            return literal(0)
        return case(*((column < starts[i + 1], i) for i in range(len(starts) - 1)),
                    else_=len(starts) - 1)

    conn = session.connection()  # plain rows: nothing here needs the ORM
    _count_active(conn, p, weeks)
    for day, asked, answered in conn.execute(
            select(CheckIn.local_date, func.count(), func.count(CheckIn.answered_at))
            .where(CheckIn.local_date >= p.first, CheckIn.local_date <= p.last)
            .group_by(CheckIn.local_date)):
        week = weeks[_monday(day)]
        week.checkins_asked += asked
        week.checkins_answered += answered
    # Per session, two correlated counts that PostgreSQL answers from ix_attendance_session
    # alone (no scan of the whole attendance table, no hash of every mark).
    of_session = Attendance.session_id == TherapySession.id
    marked = select(func.count()).where(of_session).scalar_subquery()
    present = select(func.count()).where(of_session, Attendance.present.is_(True)
                                         ).scalar_subquery()
    for session_start, marked_n, present_n in conn.execute(
            select(TherapySession.starts_at, marked, present)
            .where(TherapySession.starts_at >= p.starts_at, TherapySession.starts_at < p.ends_at)):
        week = week_at(session_start)
        week.attendance_marked += marked_n
        week.attendance_present += present_n
    in_period = (Alert.created_at >= p.starts_at, Alert.created_at < p.ends_at)
    index = week_case(Alert.created_at).label("week")
    for i, level, count in conn.execute(
            select(index, Alert.level, func.count()).where(*in_period)
            .group_by(index, Alert.level)):
        alerts = by_index[i].alerts
        alerts[level] = alerts.get(level, 0) + count
    for created, acked in conn.execute(select(Alert.created_at, Alert.acknowledged_at).where(
            *in_period, Alert.acknowledged_at.is_not(None))):
        week_at(created).ack_minutes.append((acked - created).total_seconds() / 60)
    return by_index


def _count_active(conn: Connection, p: Period, weeks: dict[date, Week]) -> None:
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
        for week, count in zip(weeks.values(), conn.execute(select(*counts)).one(),
                               strict=True):
            week.active_participants = count
