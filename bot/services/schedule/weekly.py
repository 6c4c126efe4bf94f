"""Meetings generated from groups' weekly patterns, and retiring them when a pattern changes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Group
from bot.models.schedule import Fire, TherapySession
from bot.rules.weekly import occurrences, parse_weekly
from bot.services.schedule.sessions import SessionError, withdraw_fires
from bot.sql import insert_ignoring_duplicates


def weekly_rows(groups: list[Group], first: date, last: date, now: datetime) -> list[dict]:
    """Session rows for every weekly meeting of `groups` with a local date in [first, last]."""
    rows = []
    for group in groups:
        try:
            pattern = parse_weekly(group.weekly)
        except ValueError:
            continue  # refused at entry; an old bad row must not stop the planner
        for meeting in occurrences(pattern, ZoneInfo(group.timezone), first, last):
            rows.append({
                "group_id": group.id, "participant_id": None,
                "occurrence_key": f"weekly:{group.id}:{meeting.local_date}T{pattern.start:%H:%M}",
                "starts_at": meeting.starts_at, "ends_at": meeting.ends_at,
                "location": group.location, "status": "scheduled", "revision": 0,
                "changed_at": now, "created_at": now,
            })
    return rows


def weekly_meeting(
    session: Session, group: Group, local_day: date, now: datetime
) -> TherapySession:
    """The stored session of `group`'s weekly meeting on `local_day`, storing it first if the
    clock has not yet (as the clock would: once, under its occurrence key)."""
    rows = weekly_rows([group], local_day, local_day, now) if group.weekly else []
    if not rows:
        raise SessionError(f"group {group.name!r} has no weekly meeting on {local_day}")
    insert_ignoring_duplicates(session, TherapySession.__table__, rows, key=["occurrence_key"])
    return session.scalars(select(TherapySession).where(
        TherapySession.occurrence_key == rows[0]["occurrence_key"])).one()


def retire_weekly(session: Session, group_ids: list[int], now: datetime) -> int:
    """After a pattern change: cancel the group's future generated meetings that no longer fit."""
    count = 0
    for group in session.scalars(select(Group).where(Group.id.in_(group_ids))):
        tz = ZoneInfo(group.timezone)
        pattern = parse_weekly(group.weekly) if group.weekly else None
        for row in session.scalars(select(TherapySession).where(
            TherapySession.group_id == group.id, TherapySession.starts_at > now,
            TherapySession.occurrence_key.is_not(None), TherapySession.status == "scheduled",
        )):
            local = row.starts_at.astimezone(tz)
            fits = pattern is not None and local.weekday() in pattern.weekdays and (
                local.time() == pattern.start)
            if not fits:
                row.status, row.cancelled_at = "cancelled", now
                withdraw_fires(session, Fire.session_id == row.id, "weekly pattern changed", now)
                count += 1
    return count
