"""Changing a participant's group, check-in time, time zone or language after enrolment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from bot import audit
from bot.models import Group, Participant
from bot.models.schedule import Fire
from bot.program import LANGUAGES, Program, parse_hhmm, parse_timezone
from bot.services.schedule.groups import GroupError


def update_participant(
    session, program: Program, participant: Participant, now: datetime, *,
    group: Group | None = None, no_group: bool = False, checkin_time: str | None = None,
    timezone: str | None = None, language: str | None = None, actor: str = "staff:cli",
) -> list[str]:
    """Apply the given changes after checking them all; returns what changed."""
    if participant.status == "discharged":
        raise GroupError(f"{participant.phone} is discharged")
    changes = []
    if checkin_time is not None:
        try:
            local = parse_hhmm(checkin_time)
        except ValueError:
            raise GroupError(
                f"--checkin-time must be HH:MM (24-hour), not {checkin_time!r}") from None
        if not program.in_quiet_window(local):
            raise GroupError(
                f"check-in time {checkin_time} is outside the clinic's texting hours "
                f"{program.quiet_start:%H:%M}-{program.quiet_end:%H:%M}")
        participant.checkin_time = f"{local:%H:%M}"
        changes.append(f"checkin_time={participant.checkin_time}")
    if timezone is not None:
        parse_timezone(timezone)
        participant.timezone = timezone
        changes.append(f"timezone={timezone}")
    if language is not None:
        if language not in LANGUAGES:
            raise GroupError(f"--language must be one of {', '.join(LANGUAGES)}")
        participant.language = language
        changes.append(f"language={language}")
    if group is not None or no_group:
        participant.group_id = None if no_group else group.id
        changes.append(f"group={'-' if no_group else group.name}")
    if checkin_time is not None or timezone is not None:
        # Check-ins not yet asked are planned again at the new time.
        session.execute(delete(Fire).where(
            Fire.participant_id == participant.id, Fire.kind == "checkin",
            Fire.state.in_(("pending", "deferred"))))
    if group is not None or no_group:
        session.execute(delete(Fire).where(
            Fire.participant_id == participant.id, Fire.kind == "reminder",
            Fire.state.in_(("pending", "deferred"))))
    audit.record(session, "participant.updated", now=now, actor=actor,
                 subject_type="participant", subject_id=participant.id, changes=changes)
    return changes
