"""The console's week calendar: sessions of a week as plain rows, with their reminder status.

A fixed handful of set-based queries per week whatever the clinic's size: the stored sessions,
the groups (whose weekly patterns give the meetings the clock has not stored yet), group sizes,
reminder fires by state, and reminder answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.console.access import StaffLike, participant_scope
from bot.models import Group, OutboxMessage, Participant
from bot.models.schedule import Fire, ReminderConfirmation, TherapySession
from bot.rules.timing import local_to_utc
from bot.services.schedule.weekly import weekly_rows

SENT_STATES = ("sent", "replied")
WAITING_STATES = ("pending", "sending")


@dataclass
class Reminders:
    """Reminder texts of one session by state, and the participants' answers."""

    queued: int = 0
    sent: int = 0
    not_sent: int = 0
    coming: int = 0
    cant_make_it: int = 0


@dataclass
class CalendarSession:
    """One meeting on the calendar: stored (has an id) or still only in a weekly pattern."""

    ref: str  # the session id, or "g<group id>-<local date>" for a pattern's meeting
    id: int | None
    group_id: int | None
    group_name: str | None
    participant_id: int | None
    participant_name: str | None
    starts_at: datetime
    ends_at: datetime
    location: str | None
    status: str
    weekly: bool
    members: int = 0
    reminders: Reminders = field(default_factory=Reminders)

    @property
    def is_group(self) -> bool:
        """A group session (weekly or one-off), not an individual appointment."""
        return self.group_id is not None


def week_bounds(monday: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC instants of Monday 00:00 and the next Monday 00:00, in the clinic's zone."""
    tz = ZoneInfo(timezone)
    return local_to_utc(monday, time(0), tz), local_to_utc(monday + timedelta(days=7), time(0), tz)


def meeting_ref(group_id: int, local_day: date) -> str:
    """The calendar's name for a weekly meeting the clock has not stored yet."""
    return f"g{group_id}-{local_day.isoformat()}"


def week_sessions(
    session: Session, staff: StaffLike, first: datetime, end: datetime, now: datetime
) -> list[CalendarSession]:
    """Every session starting in [first, end) that `staff` may see, in start order.

    Group sessions are shown to every clinical role; an appointment only to staff who may see
    its participant (bot.console.access).
    """
    rows = session.execute(
        select(TherapySession.id, TherapySession.group_id, TherapySession.participant_id,
               TherapySession.occurrence_key, TherapySession.starts_at, TherapySession.ends_at,
               TherapySession.location, TherapySession.status, Group.name, Participant.name)
        .outerjoin(Group, TherapySession.group_id == Group.id)
        .outerjoin(Participant, TherapySession.participant_id == Participant.id)
        .where(TherapySession.starts_at >= first, TherapySession.starts_at < end,
               or_(TherapySession.group_id.is_not(None), participant_scope(staff)))
    ).all()
    shown = [CalendarSession(
        ref=str(r[0]), id=r[0], group_id=r[1], participant_id=r[2], starts_at=r[4],
        ends_at=r[5], location=r[6], status=r[7], group_name=r[8], participant_name=r[9],
        weekly=r[3] is not None) for r in rows]
    shown += _pattern_meetings(session, first, end, now)
    sizes = group_sizes(session)
    for item in shown:
        item.members = sizes.get(item.group_id, 0) if item.is_group else 1
    add_reminders(session, {s.id: s for s in shown if s.id is not None}, first, end)
    return sorted(shown, key=lambda s: (s.starts_at, s.group_name or s.participant_name or ""))


def _pattern_meetings(
    session: Session, first: datetime, end: datetime, now: datetime
) -> list[CalendarSession]:
    """Weekly meetings in [first, end) not yet stored by the clock and not yet over."""
    groups = {g.id: g for g in session.scalars(select(Group).where(Group.weekly.is_not(None)))}
    if not groups:
        return []
    candidates = [row for row in weekly_rows(list(groups.values()), (first - timedelta(days=1))
                                             .date(), end.date() + timedelta(days=1), now)
                  if first <= row["starts_at"] < end and row["ends_at"] > now]
    if not candidates:
        return []
    stored = set(session.scalars(select(TherapySession.occurrence_key).where(
        TherapySession.occurrence_key.in_([row["occurrence_key"] for row in candidates]))))
    meetings = []
    for row in candidates:
        if row["occurrence_key"] in stored:
            continue  # stored: shown from its row (possibly moved to another week, or cancelled)
        group = groups[row["group_id"]]
        local_day = row["starts_at"].astimezone(ZoneInfo(group.timezone)).date()
        meetings.append(CalendarSession(
            ref=meeting_ref(group.id, local_day), id=None, group_id=group.id,
            group_name=group.name, participant_id=None, participant_name=None,
            starts_at=row["starts_at"], ends_at=row["ends_at"], location=row["location"],
            status="scheduled", weekly=True))
    return meetings


def group_sizes(session: Session) -> dict[int, int]:
    """How many participants (not discharged) each group has."""
    return dict(session.execute(
        select(Participant.group_id, func.count())
        .where(Participant.group_id.is_not(None), Participant.status != "discharged")
        .group_by(Participant.group_id)
    ).all())


def add_reminders(
    session: Session, by_id: dict[int, CalendarSession], first: datetime, end: datetime
) -> None:
    """Fill in reminder counts for the stored sessions of the week (two grouped queries)."""
    if not by_id:
        return
    in_week = (TherapySession.starts_at >= first, TherapySession.starts_at < end)
    fires = session.execute(
        select(Fire.session_id, Fire.state, OutboxMessage.state, func.count())
        .join(TherapySession, TherapySession.id == Fire.session_id)
        .outerjoin(OutboxMessage, OutboxMessage.dedupe_key == Fire.key)
        .where(Fire.kind == "reminder", Fire.state.in_(("pending", "deferred", "done")),
               *in_week)
        .group_by(Fire.session_id, Fire.state, OutboxMessage.state)
    ).all()
    for session_id, fire_state, outbox_state, count in fires:
        item = by_id.get(session_id)
        if item is None:
            continue
        counts = item.reminders
        if fire_state != "done" or outbox_state in WAITING_STATES:
            counts.queued += count
        elif outbox_state in SENT_STATES:
            counts.sent += count
        else:
            counts.not_sent += count
    answers = session.execute(
        select(ReminderConfirmation.session_id, ReminderConfirmation.answer, func.count())
        .join(TherapySession, TherapySession.id == ReminderConfirmation.session_id)
        .where(*in_week)
        .group_by(ReminderConfirmation.session_id, ReminderConfirmation.answer)
    ).all()
    for session_id, answer, count in answers:
        item = by_id.get(session_id)
        if item is not None and answer == "coming":
            item.reminders.coming += count
        elif item is not None:
            item.reminders.cant_make_it += count


def by_day(sessions: list[CalendarSession], monday: date, timezone: str) -> list[tuple[date, list]]:
    """The week's seven days (clinic time) with their sessions."""
    tz = ZoneInfo(timezone)
    days: dict[date, list[CalendarSession]] = defaultdict(list)
    for item in sessions:
        days[item.starts_at.astimezone(tz).date()].append(item)
    return [(monday + timedelta(days=n), days.get(monday + timedelta(days=n), []))
            for n in range(7)]
