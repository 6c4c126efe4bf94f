"""Sessions: one-off group sessions, individual appointments, weekly meetings, cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Group, OutboxMessage, Participant
from bot.models.schedule import Fire, ReminderConfirmation, TherapySession
from bot.outbox import cancel_pending, enqueue
from bot.program import Program
from bot.rules.timing import QuietHours
from bot.rules.weekly import occurrences, parse_weekly
from bot.services.schedule.wording import session_text, when_text

OPEN_FIRE_STATES = ("pending", "deferred")
LOCATION_CHARS = 200  # TherapySession.location is VARCHAR(200)


class SessionError(ValueError):
    """A session cannot be added or changed as asked; the message says why in one line."""


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise SessionError("the session must end after it starts (--end is not after --start)")
    if ends_at - starts_at > timedelta(hours=12):
        raise SessionError("a session can last at most 12 hours")


def overlapping(
    session: Session, group: Group, starts_at: datetime, ends_at: datetime,
    ignore_id: int | None = None,
) -> str | None:
    """Describe a session of `group` (stored or from its weekly pattern) overlapping the span."""
    clash = session.scalar(
        select(TherapySession).where(
            TherapySession.group_id == group.id, TherapySession.status == "scheduled",
            TherapySession.starts_at < ends_at, TherapySession.ends_at > starts_at,
            TherapySession.id != (ignore_id or 0),
        )
    )
    if clash is not None:
        return f"session {clash.id} ({clash.starts_at:%Y-%m-%d %H:%M} UTC)"
    if group.weekly:
        tz = ZoneInfo(group.timezone)
        first = starts_at.astimezone(tz).date() - timedelta(days=1)
        for meeting in occurrences(parse_weekly(group.weekly), tz, first, first + timedelta(3)):
            if meeting.starts_at < ends_at and meeting.ends_at > starts_at:
                return f"the weekly meeting on {meeting.local_date} ({group.weekly})"
    return None


def add_session(
    session: Session, *, starts_at: datetime, ends_at: datetime, now: datetime,
    group: Group | None = None, participant: Participant | None = None,
    location: str | None = None, actor: str = "staff:cli",
) -> TherapySession:
    """Add a one-off group session or an individual appointment (exactly one of the two)."""
    if (group is None) == (participant is None):
        raise SessionError("give either --group or --participant")
    _check_times(starts_at, ends_at)
    if location and len(location) > LOCATION_CHARS:
        raise SessionError(f"--location must be at most {LOCATION_CHARS} characters")
    if participant is not None and participant.status == "discharged":
        raise SessionError(f"{participant.phone} is discharged")
    if group is not None and (clash := overlapping(session, group, starts_at, ends_at)):
        raise SessionError(f"overlaps {clash} of group {group.name!r}")
    if participant is not None:
        clash = session.scalar(
            select(TherapySession.id).where(
                TherapySession.participant_id == participant.id,
                TherapySession.status == "scheduled",
                TherapySession.starts_at < ends_at, TherapySession.ends_at > starts_at,
            )
        )
        if clash:
            raise SessionError(f"overlaps appointment {clash} of {participant.phone}")
    row = TherapySession(
        group_id=group.id if group else None,
        participant_id=participant.id if participant else None,
        starts_at=starts_at, ends_at=ends_at,
        location=location or (group.location if group else None),
        status="scheduled", revision=0, changed_at=now, created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(session, "session.added", now=now, actor=actor, subject_type="session",
                 subject_id=row.id)
    return row


def get_session(session: Session, session_id: int) -> TherapySession:
    """The session with `session_id`, or SessionError."""
    row = session.get(TherapySession, session_id)
    if row is None:
        raise SessionError(f"no session with id {session_id}")
    return row


def attendees(session: Session, row: TherapySession) -> list[Participant]:
    """Who the session is for: the group's members or the one participant (not discharged)."""
    where = (Participant.group_id == row.group_id) if row.group_id else (
        Participant.id == row.participant_id)
    return list(session.scalars(
        select(Participant).where(where, Participant.status != "discharged")
        .order_by(Participant.id)
    ))


def withdraw_fires(session: Session, where, reason: str, now: datetime) -> int:
    """Withdraw unsent fires matching `where` and any pending outbox rows they queued."""
    keys = list(session.scalars(
        select(Fire.key).where(where, Fire.state.in_(("pending", "deferred", "done")))
    ))
    for start in range(0, len(keys), 200):  # chunks keep SQLite's expression depth small
        chunk = keys[start:start + 200]
        # A reminder Twilio could not deliver is re-queued as "<key>#retryN" by the status
        # callback: withdraw those too, or a cancelled session's reminder could still go out.
        retries = [OutboxMessage.dedupe_key.startswith(f"{key}#retry", autoescape=True)
                   for key in chunk]
        cancel_pending(session, where=or_(OutboxMessage.dedupe_key.in_(chunk), *retries),
                       reason=reason)
    result = session.execute(
        update(Fire).where(where, Fire.state.in_(OPEN_FIRE_STATES))
        .values(state="withdrawn", reason=reason[:120], decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _notify(
    session: Session, program: Program, row: TherapySession, key: str, now: datetime,
    old_start: datetime | None = None,
) -> int:
    """Tell each attendee about a change, inside texting hours, while it still matters."""
    quiet = QuietHours(program.quiet_start, program.quiet_end)
    expires = min(row.starts_at, old_start or row.starts_at)
    count = 0
    for person in attendees(session, row):
        tz = ZoneInfo(person.timezone)
        local = now.astimezone(tz).time()
        not_before = now if quiet.inside(local) else quiet.next_opening(now, tz)
        if not_before >= expires:
            continue
        extra = {}
        if old_start is not None:
            extra["old_when"] = when_text(old_start, person.timezone, person.language)
        body = session_text(
            program, key, individual=row.group_id is None, starts_at=row.starts_at,
            location=row.location, timezone=person.timezone, language=person.language,
            style=person.wording, **extra)
        if enqueue(session, to=person.phone, channel=person.channel, body=body,
                   kind=key, dedupe_key=f"{key}:{row.id}:{row.revision}:{person.id}", now=now,
                   participant_id=person.id, not_before=not_before, expires_at=expires):
            count += 1
    return count


def cancel_session(
    session: Session, program: Program, session_id: int, now: datetime, actor: str = "staff:cli",
) -> int:
    """Cancel a session: withdraw its unsent reminders and tell attendees; returns texts queued."""
    row = get_session(session, session_id)
    if row.status == "cancelled":
        raise SessionError(f"session {session_id} is already cancelled")
    row.status, row.cancelled_at = "cancelled", now
    withdraw_fires(session, Fire.session_id == row.id, "session cancelled", now)
    told = _notify(session, program, row, "session.cancelled", now) if row.starts_at > now else 0
    audit.record(session, "session.cancelled", now=now, actor=actor,
                 subject_type="session", subject_id=row.id, told=told)
    return told


def move_session(
    session: Session, program: Program, session_id: int, starts_at: datetime,
    ends_at: datetime, now: datetime, actor: str = "staff:cli",
) -> int:
    """Reschedule: withdraw reminders for the old time, plan afresh, tell attendees."""
    row = get_session(session, session_id)
    if row.status == "cancelled":
        raise SessionError(f"session {session_id} is cancelled")
    _check_times(starts_at, ends_at)
    if row.group_id is not None:
        group = session.get(Group, row.group_id)
        clash = session.scalar(select(TherapySession.id).where(
            TherapySession.group_id == group.id, TherapySession.status == "scheduled",
            TherapySession.starts_at < ends_at, TherapySession.ends_at > starts_at,
            TherapySession.id != row.id))
        if clash:
            raise SessionError(f"overlaps session {clash} of group {group.name!r}")
    old_start = row.starts_at
    withdraw_fires(session, Fire.session_id == row.id, "session rescheduled", now)
    session.execute(ReminderConfirmation.__table__.delete().where(
        ReminderConfirmation.session_id == row.id))
    row.starts_at, row.ends_at, row.revision = starts_at, ends_at, row.revision + 1
    row.changed_at = now
    told = _notify(session, program, row, "session.moved", now, old_start=old_start)
    audit.record(session, "session.moved", now=now, actor=actor, subject_type="session",
                 subject_id=row.id, old_start=old_start.isoformat(), told=told)
    return told


def list_sessions(
    session: Session, first: datetime | None, last: datetime | None
) -> list[tuple[TherapySession, str]]:
    """Sessions starting in [first, last), with who they are for."""
    stmt = (
        select(TherapySession, Group.name, Participant.phone)
        .outerjoin(Group, TherapySession.group_id == Group.id)
        .outerjoin(Participant, TherapySession.participant_id == Participant.id)
        .order_by(TherapySession.starts_at, TherapySession.id)
    )
    if first is not None:
        stmt = stmt.where(TherapySession.starts_at >= first)
    if last is not None:
        stmt = stmt.where(TherapySession.starts_at < last)
    return [(s, f"group {g}" if g else f"participant {p}") for s, g, p in session.execute(stmt)]
