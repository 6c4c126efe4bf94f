"""A participant's daily check-in answers as one point per local day, for the charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models.schedule import CheckIn


@dataclass(frozen=True)
class DayPoint:
    """One local day: the answers, or why there are none."""

    day: date
    state: str  # answered | missed | open | none (not asked: paused, not enrolled, no text)
    craving: int | None = None
    mood: int | None = None
    used: bool | None = None


def day_points(session: Session, participant_id: int, today: date, days: int) -> list[DayPoint]:
    """The last `days` local days ending `today`, oldest first."""
    first = today - timedelta(days=days - 1)
    rows = {c.local_date: c for c in session.scalars(
        select(CheckIn).where(CheckIn.participant_id == participant_id,
                              CheckIn.local_date >= first, CheckIn.local_date <= today))}
    points = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        c = rows.get(day)
        if c is None:
            points.append(DayPoint(day, "none"))
        elif c.answered_at is not None:
            points.append(DayPoint(day, "answered", c.craving, c.mood, c.used))
        else:
            # A check-in stays open into the next day; older unanswered ones count as missed.
            late = day < today - timedelta(days=1)
            points.append(DayPoint(day, "missed" if c.missed or late else "open"))
    return points
