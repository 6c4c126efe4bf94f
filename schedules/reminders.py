"""Planning session-reminder fires: per session and offset, one INSERT ... SELECT of attendees."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, cast, literal, or_, select
from sqlalchemy.orm import Session

from bot.models import Group, Participant, UTCDateTime
from bot.models.schedule import Fire, TherapySession
from bot.rules.timing import before
from bot.sql import insert_ignoring_duplicates

DST_SLACK = timedelta(hours=2)  # whole-day offsets are calendar days: up to an hour off


def reminder_times(
    starts_at: datetime, offsets: tuple[timedelta, ...], tz: ZoneInfo
) -> list[tuple[timedelta, datetime]]:
    """(offset, due instant) for each reminder of a session starting at `starts_at`."""
    return [(offset, before(starts_at, offset, tz)) for offset in offsets]


def due_in_window(
    times: list[tuple[timedelta, datetime]], start: datetime, end: datetime, fresh: bool,
    now: datetime,
) -> list[tuple[timedelta, datetime]]:
    """The reminders to plan now: due in (start, end]; for a session added or moved since the
    last plan, also the latest overdue one, when no later reminder is still to come."""
    chosen = [(o, due) for o, due in times if start < due <= end]
    if fresh and not any(due > now for _, due in times):
        overdue = [(o, due) for o, due in times if due <= now]
        if overdue:
            latest = max(overdue, key=lambda item: item[1])
            if latest not in chosen:
                chosen.append(latest)
    return chosen


def plan_reminders(
    session: Session, offsets: tuple[timedelta, ...], start: datetime, end: datetime,
    now: datetime, fresh_since: datetime,
) -> int:
    """Store reminder fires due in (start, end] for every scheduled session; returns rows added.

    Sessions added or moved after `fresh_since` (the previous pass) may also get an overdue one.
    """
    if not offsets:
        return 0
    longest = max(offsets)
    candidates = session.execute(
        select(TherapySession, Group.timezone, Participant.timezone)
        .outerjoin(Group, TherapySession.group_id == Group.id)
        .outerjoin(Participant, TherapySession.participant_id == Participant.id)
        .where(
            TherapySession.status == "scheduled", TherapySession.starts_at > start,
            or_(TherapySession.starts_at <= end + longest + DST_SLACK,
                TherapySession.changed_at > fresh_since),
        )
    ).all()
    added = 0
    for therapy, group_zone, person_zone in candidates:
        tz = ZoneInfo(group_zone or person_zone)
        fresh = therapy.changed_at > fresh_since and therapy.starts_at > now
        times = reminder_times(therapy.starts_at, offsets, tz)
        for offset, due in due_in_window(times, start, end, fresh, now):
            added += _insert(session, therapy, offset, due, now)
    return added


def _insert(session: Session, therapy: TherapySession, offset: timedelta, due: datetime,
            now: datetime) -> int:
    minutes = int(offset.total_seconds() // 60)
    prefix = f"reminder:{therapy.id}:{therapy.revision}:"
    attendee = (Participant.group_id == therapy.group_id) if therapy.group_id else (
        Participant.id == therapy.participant_id)
    rows = select(
        (literal(prefix) + cast(Participant.id, String) + literal(f":{minutes}")).label("key"),
        literal("reminder").label("kind"),
        Participant.id.label("participant_id"),
        literal(therapy.id, Integer).label("session_id"),
        literal(minutes, Integer).label("offset_minutes"),
        literal(due, UTCDateTime).label("due_at"),
        literal(therapy.starts_at, UTCDateTime).label("expires_at"),
        literal("pending").label("state"),
        literal(now, UTCDateTime).label("created_at"),
    ).where(attendee, Participant.status != "discharged")
    return insert_ignoring_duplicates(session, Fire.__table__, rows, key=["key"])
