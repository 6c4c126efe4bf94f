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

from sqlalchemy import ColumnElement, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from bot.models import Group, OutboxMessage, Participant
from bot.models.messaging import OUTBOX_STATES
from bot.models.schedule import Fire, ReminderConfirmation, TherapySession
from bot.program import Program
from bot.rules.timing import local_to_utc
from bot.services.schedule.config import schedule_config
from bot.services.schedule.weekly import weekly_rows

SENT_STATES = ("sent", "replied")
WAITING_STATES = ("pending", "sending")
FEW = 20  # up to this many sessions, reminder counts are read by session id
UNSENT_STATES = tuple(s for s in OUTBOX_STATES if s not in SENT_STATES)


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
    when: str = ""  # "18:00–21:00" in the clinic's zone (set by `by_day`)

    @property
    def is_group(self) -> bool:
        """A group session (weekly or one-off), not an individual appointment."""
        return self.group_id is not None


def week_bounds(monday: date, timezone: str) -> tuple[datetime, datetime]:
    """UTC instants of Monday 00:00 and the next Monday 00:00, in the clinic's zone."""
    tz = ZoneInfo(timezone)
    return local_to_utc(monday, time(0), tz), local_to_utc(monday + timedelta(days=7), time(0), tz)


def reminder_lead(program: Program) -> timedelta:
    """How long before a session its reminders can go out: the longest offset, plus slack for
    quiet hours and clock changes."""
    return schedule_config(program).longest_offset + timedelta(days=1)


def meeting_ref(group_id: int, local_day: date) -> str:
    """The calendar's name for a weekly meeting the clock has not stored yet."""
    return f"g{group_id}-{local_day.isoformat()}"


def week_sessions(
    session: Session, first: datetime, end: datetime, now: datetime, lead: timedelta,
    appointments: ColumnElement[bool] | None,
) -> list[CalendarSession]:
    """Every group session starting in [first, end), and the appointments of participants
    matching `appointments` (a condition on Participant; None lists none), in start order."""
    columns = [TherapySession.id, TherapySession.group_id, TherapySession.participant_id,
               TherapySession.occurrence_key, TherapySession.starts_at, TherapySession.ends_at,
               TherapySession.location, TherapySession.status, Group.name]
    in_week = (TherapySession.starts_at >= first, TherapySession.starts_at < end)
    if appointments is None:
        stmt = (select(*columns, literal_column("NULL").label("person"))
                .join(Group, TherapySession.group_id == Group.id).where(*in_week))
    else:
        stmt = (select(*columns, Participant.name)
                .outerjoin(Group, TherapySession.group_id == Group.id)
                .outerjoin(Participant, TherapySession.participant_id == Participant.id)
                .where(*in_week, or_(TherapySession.group_id.is_not(None), appointments)))
    rows = session.execute(stmt).all()
    shown = [CalendarSession(
        ref=str(r[0]), id=r[0], group_id=r[1], participant_id=r[2], starts_at=r[4],
        ends_at=r[5], location=r[6], status=r[7], group_name=r[8], participant_name=r[9],
        weekly=r[3] is not None) for r in rows]
    shown += _pattern_meetings(session, first, end, now, {r[3] for r in rows if r[3]})
    sizes = group_sizes(session)
    for item in shown:
        item.members = sizes.get(item.group_id, 0) if item.is_group else 1
    add_reminders(session, {s.id: s for s in shown if s.id is not None}, first, end, lead)
    return sorted(shown, key=lambda s: (s.starts_at, s.group_name or s.participant_name or ""))


def appointment_days(
    session: Session, first: datetime, end: datetime, timezone: str
) -> dict[date, int]:
    """How many scheduled appointments each day of [first, end) has (clinic time)."""
    tz = ZoneInfo(timezone)
    days: dict[date, int] = defaultdict(int)
    for start in session.scalars(select(TherapySession.starts_at).where(
            TherapySession.participant_id.is_not(None), TherapySession.status == "scheduled",
            TherapySession.starts_at >= first, TherapySession.starts_at < end)).all():
        days[start.astimezone(tz).date()] += 1
    return dict(days)


def _pattern_meetings(
    session: Session, first: datetime, end: datetime, now: datetime, stored: set[str]
) -> list[CalendarSession]:
    """Weekly meetings in [first, end) not yet stored by the clock and not yet over.

    `stored` holds the occurrence keys already read for this week; the others are looked up
    (a meeting moved to another week is stored under its old key)."""
    if end <= now:
        return []  # a past week: meetings the clock never stored did not happen
    groups = {g.id: g for g in session.scalars(select(Group).where(Group.weekly.is_not(None)))}
    if not groups:
        return []
    # Local dates a day either side (a group may keep another zone); none already over.
    since = (max(first, now) - timedelta(days=1)).date()
    candidates = [row for row in weekly_rows(list(groups.values()), since,
                                             end.date() + timedelta(days=1), now)
                  if first <= row["starts_at"] < end and row["ends_at"] > now
                  and row["occurrence_key"] not in stored]
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
    session: Session, by_id: dict[int, CalendarSession], first: datetime, end: datetime,
    lead: timedelta,
) -> None:
    """Fill in reminder counts for the stored sessions starting in [first, end).

    One statement of three grouped parts, none of which reads every reminder's outbox row:
    fires by state (through ix_fires_reminder_session); the few reminder texts not (yet) sent,
    found through the outbox's state index within the time reminders for these sessions go out
    (`lead`: the longest reminder offset, plus slack); and the answers to the reminders.
    """
    if not by_id:
        return
    in_week = (TherapySession.starts_at >= first, TherapySession.starts_at < end)
    if len(by_id) <= FEW:  # one session's page: by id, not by scanning the week's fires
        in_week = (TherapySession.id.in_(list(by_id)),)
    fires = (
        select(literal_column("'fire'").label("part"), Fire.session_id.label("sid"),
               Fire.state.label("value"), func.count().label("n"))
        .join(TherapySession, TherapySession.id == Fire.session_id)
        .where(Fire.kind == literal_column("'reminder'"), *in_week)
        .group_by(Fire.session_id, Fire.state))
    unsent = (
        select(literal_column("'text'"), Fire.session_id, OutboxMessage.state, func.count())
        .select_from(OutboxMessage)
        .join(Fire, Fire.key == OutboxMessage.dedupe_key)
        .join(TherapySession, TherapySession.id == Fire.session_id)
        .where(OutboxMessage.state.in_(UNSENT_STATES), OutboxMessage.kind == "reminder",
               OutboxMessage.not_before >= first - lead, OutboxMessage.not_before < end,
               *in_week)
        .group_by(Fire.session_id, OutboxMessage.state))
    answers = (
        select(literal_column("'answer'"), ReminderConfirmation.session_id,
               ReminderConfirmation.answer, func.count())
        .join(TherapySession, TherapySession.id == ReminderConfirmation.session_id)
        .where(*in_week)
        .group_by(ReminderConfirmation.session_id, ReminderConfirmation.answer))
    for part, session_id, value, count in session.execute(
            union_all(fires, unsent, answers)).all():
        item = by_id.get(session_id)
        if item is not None:
            _count(item.reminders, part, value, count)


def _count(counts: Reminders, part: str, value: str, n: int) -> None:
    if part == "fire" and value in ("pending", "deferred"):
        counts.queued += n
    elif part == "fire" and value == "done":
        counts.sent += n  # less the texts still waiting or refused ("text" rows)
    elif part == "text":
        counts.sent -= n
        if value in WAITING_STATES:
            counts.queued += n
        else:
            counts.not_sent += n
    elif part == "answer" and value == "coming":
        counts.coming += n
    elif part == "answer":
        counts.cant_make_it += n


def by_day(sessions: list[CalendarSession], monday: date, timezone: str) -> list[tuple[date, list]]:
    """The week's seven days (clinic time) with their sessions."""
    tz = ZoneInfo(timezone)
    days: dict[date, list[CalendarSession]] = defaultdict(list)
    for item in sessions:
        local = item.starts_at.astimezone(tz)
        item.when = f"{local:%H:%M}–{item.ends_at.astimezone(tz):%H:%M}"
        days[local.date()].append(item)
    return [(monday + timedelta(days=n), days.get(monday + timedelta(days=n), []))
            for n in range(7)]
