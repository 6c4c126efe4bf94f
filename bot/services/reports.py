"""The program report for supervisors: per week, how the program is doing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Alert, Participant
from bot.models.schedule import Attendance, CheckIn, TherapySession
from bot.rules.timing import local_date
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


def weekly_report(session: Session, p: Period) -> list[Week]:
    """Weeks overlapping the period, each with its figures (days outside the period ignored)."""
    weeks: dict[date, Week] = {}
    day = _monday(p.first)
    while day <= p.last:
        weeks[day] = Week(day)
        day += timedelta(days=7)

    def week_of(day: date) -> Week | None:
        return weeks.get(_monday(day)) if p.first <= day <= p.last else None

    for enrolled, discharged in session.execute(select(
            Participant.enrolled_at, Participant.discharged_at)):
        for monday, week in weeks.items():
            first, last = max(monday, p.first), min(monday + timedelta(days=6), p.last)
            if (local_date(enrolled, p.tz) <= last
                    and (discharged is None or local_date(discharged, p.tz) >= first)):
                week.active_participants += 1
    for day, answered in session.execute(select(CheckIn.local_date, CheckIn.answered_at).where(
            CheckIn.local_date >= p.first, CheckIn.local_date <= p.last)):
        if week := week_of(day):
            week.checkins_asked += 1
            week.checkins_answered += answered is not None
    for starts, present in session.execute(
            select(TherapySession.starts_at, Attendance.present)
            .join(Attendance, Attendance.session_id == TherapySession.id)
            .where(TherapySession.starts_at >= p.starts_at, TherapySession.starts_at < p.ends_at)):
        if week := week_of(local_date(starts, p.tz)):
            week.attendance_marked += 1
            week.attendance_present += bool(present)
    for created, level, acked in session.execute(
            select(Alert.created_at, Alert.level, Alert.acknowledged_at)
            .where(Alert.created_at >= p.starts_at, Alert.created_at < p.ends_at)):
        if week := week_of(local_date(created, p.tz)):
            week.alerts[level] = week.alerts.get(level, 0) + 1
            if acked is not None:
                week.ack_minutes.append((acked - created).total_seconds() / 60)
    return list(weeks.values())
