"""Planning daily check-in fires: one INSERT ... SELECT per (time zone, check-in time) pair."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, and_, cast, literal, or_, select
from sqlalchemy.orm import Session

from bot.models import Participant, UTCDateTime
from bot.models.schedule import Fire
from bot.program import parse_hhmm, parse_timezone
from bot.rules.timing import day_end, instants_between
from bot.sql import insert_ignoring_duplicates

log = logging.getLogger(__name__)


def checkin_eligible(local_day):
    """SQL: participants who get a check-in on `local_day` (active, or paused until then)."""
    return or_(
        Participant.status == "active",
        and_(Participant.status == "paused", Participant.paused_until.is_not(None),
             Participant.paused_until <= local_day),
    )


def plan_checkins(session: Session, start: datetime, end: datetime, now: datetime) -> int:
    """Store a fire for every check-in whose moment lies in (start, end]; returns rows added."""
    combos = session.execute(
        select(Participant.timezone, Participant.checkin_time)
        .where(Participant.status != "discharged").distinct()
    ).all()
    added = 0
    for zone, hhmm in combos:
        try:
            tz, at = parse_timezone(zone), parse_hhmm(hhmm)
        except ValueError:
            log.warning("skipping participants with unusable zone/time %r %r", zone, hhmm)
            continue
        for local_day, instant in instants_between(at, tz, start, end):
            added += _insert(session, zone, hhmm, local_day, instant, tz, now)
    return added


def _insert(session: Session, zone: str, hhmm: str, local_day, instant: datetime,
            tz: ZoneInfo, now: datetime) -> int:
    rows = select(
        (literal("checkin:") + cast(Participant.id, String) + literal(f":{local_day}"))
        .label("key"),
        literal("checkin").label("kind"),
        Participant.id.label("participant_id"),
        literal(local_day, Date).label("local_date"),
        literal(instant, UTCDateTime).label("due_at"),
        literal(day_end(local_day, tz), UTCDateTime).label("expires_at"),
        literal("pending").label("state"),
        literal(now, UTCDateTime).label("created_at"),
    ).where(
        Participant.timezone == zone, Participant.checkin_time == hhmm,
        checkin_eligible(literal(local_day, Date)),
    )
    return insert_ignoring_duplicates(session, Fire.__table__, rows, key=["key"])



