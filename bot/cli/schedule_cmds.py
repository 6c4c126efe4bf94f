"""`iopbot group ...`, `session ...`, `attendance mark`, and participant update/pause/resume.

Services and models are imported inside each command: `--help` needs neither.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import click

from bot.cli.common import parse_day, reading, region, runtime, transaction
from bot.cli.context import RuntimeGroup
from bot.cli.people import participant_group
from bot.program import LANGUAGES, parse_timezone
from bot.rules.timing import local_to_utc


def local_instant(text: str, zone: str, option: str) -> datetime:
    """An ISO date-time; one without an offset is wall-clock time in `zone`."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"not an ISO-8601 date-time: {text!r}", param_hint=option) from None
    if value.tzinfo is None:
        tz = parse_timezone(zone)
        return local_to_utc(value.date(), value.time(), tz)
    return value


@click.group("group", cls=RuntimeGroup)
def group_group() -> None:
    """Therapy groups and their weekly meeting patterns."""


@group_group.command("add")
@click.option("--name", required=True)
@click.option("--timezone", required=True, help="IANA zone of the meeting place.")
@click.option("--weekly", help='Meeting pattern, e.g. "mon,wed,thu 18:00-21:00".')
@click.option("--location", help="Shown in reminders; keep it neutral.")
def group_add(name: str, timezone: str, weekly: str | None, location: str | None) -> None:
    """Add a group."""
    from bot.services.schedule.groups import add_group

    with transaction() as session:
        group = add_group(session, name=name, timezone=timezone, weekly=weekly,
                          location=location, now=runtime().now())
        click.echo(f"group {group.id} {group.name}")


@group_group.command("list")
def group_list() -> None:
    """List groups: id, name, time zone, weekly pattern, location."""
    from bot.queries.listing import group_lines

    with reading() as connection:  # Core: no ORM to import (start-up)
        for line in group_lines(connection):
            click.echo(line)


@click.group("session", cls=RuntimeGroup)
def session_group() -> None:
    """Group sessions and individual appointments."""


@session_group.command("add")
@click.option("--group", "group_name", help="A one-off session of this group.")
@click.option("--participant", "phone", help="An individual appointment with this participant.")
@click.option("--start", required=True, help="ISO date-time; without an offset, local time.")
@click.option("--end", required=True, help="ISO date-time; without an offset, local time.")
@click.option("--location")
def session_add(group_name, phone, start, end, location) -> None:
    """Add a session; prints its id on a line of its own."""
    from bot.services.people import find_participant
    from bot.services.schedule import sessions as session_service
    from bot.services.schedule.groups import find_group

    if bool(group_name) == bool(phone):
        raise click.UsageError("give exactly one of --group or --participant")
    rt = runtime()
    with transaction() as session:
        group = find_group(session, group_name) if group_name else None
        person = find_participant(session, phone, region()) if phone else None
        zone = group.timezone if group else person.timezone
        row = session_service.add_session(
            session, starts_at=local_instant(start, zone, "--start"),
            ends_at=local_instant(end, zone, "--end"), now=rt.now(), group=group,
            participant=person, location=location)
        click.echo(str(row.id))


@session_group.command("cancel")
@click.argument("session_id", type=int)
def session_cancel(session_id: int) -> None:
    """Cancel a session: withdraw its unsent reminders and tell the participants."""
    from bot.services.schedule import sessions as session_service

    rt = runtime()
    with transaction() as session:
        told = session_service.cancel_session(session, rt.program, session_id, rt.now())
        click.echo(f"session {session_id} cancelled; {told} participant(s) will be told")


@session_group.command("move")
@click.argument("session_id", type=int)
@click.option("--start", required=True)
@click.option("--end", required=True)
def session_move(session_id: int, start: str, end: str) -> None:
    """Reschedule a session: reminders follow the new time; participants are told."""
    from bot.models import Group, Participant
    from bot.services.schedule import sessions as session_service

    rt = runtime()
    with transaction() as session:
        row = session_service.get_session(session, session_id)
        zone = (session.get(Group, row.group_id).timezone if row.group_id
                else session.get(Participant, row.participant_id).timezone)
        told = session_service.move_session(
            session, rt.program, session_id, local_instant(start, zone, "--start"),
            local_instant(end, zone, "--end"), rt.now())
        click.echo(f"session {session_id} moved; {told} participant(s) will be told")


@session_group.command("list")
@click.option("--from", "first", help="First date (YYYY-MM-DD, clinic time zone).")
@click.option("--to", "last", help="Last date, inclusive.")
def session_list(first: str | None, last: str | None) -> None:
    """List sessions: id, start (UTC), end, status, who, location."""
    from bot.services.schedule import sessions as session_service

    rt = runtime()
    tz = parse_timezone(rt.program.timezone)
    lower = local_to_utc(parse_day(first, "--from"), time(0), tz) if first else None
    upper = local_to_utc(parse_day(last, "--to") + timedelta(days=1), time(0), tz) if last else None
    with transaction() as session:
        for row, who in session_service.list_sessions(session, lower, upper):
            click.echo("\t".join([
                str(row.id), row.starts_at.isoformat(), row.ends_at.isoformat(), row.status,
                who, row.location or "-"]))


@click.group("attendance", cls=RuntimeGroup)
def attendance_group() -> None:
    """Attendance at sessions."""


@attendance_group.command("mark")
@click.option("--session", "session_id", required=True, type=int)
@click.option("--participant", "phone", required=True)
@click.option("--present/--absent", default=None)
def attendance_mark(session_id: int, phone: str, present: bool | None) -> None:
    """Mark a participant present or absent; an unannounced absence alerts the counselor."""
    from bot.services.people import find_participant
    from bot.services.schedule import sessions as session_service
    from bot.services.schedule.attendance import mark_attendance

    if present is None:
        raise click.UsageError("give --present or --absent")
    rt = runtime()
    with transaction() as session:
        therapy = session_service.get_session(session, session_id)
        person = find_participant(session, phone, region())
        alerted = mark_attendance(session, rt, therapy, person, present, rt.now())
        state = "present" if present else "absent"
        click.echo(f"{person.phone} {state} at session {session_id}"
                   + ("; counselor alerted" if alerted else ""))


@participant_group.command("update")
@click.argument("phone")
@click.option("--group", "group_name", help="Move to this group.")
@click.option("--no-group", is_flag=True, help="Take out of their group.")
@click.option("--checkin-time", help="Local HH:MM of the daily check-in.")
@click.option("--timezone")
@click.option("--language", type=click.Choice(LANGUAGES))
@click.option("--name", help="The name they want to be called.")
@click.option("--phone", "new_phone", help="Their new number (gets its own opt-in text).")
@click.option("--counselor", "counselor_phone", help="New counselor's phone (open alerts move).")
def participant_update(phone, group_name, no_group, checkin_time, timezone, language, name,
                       new_phone, counselor_phone) -> None:
    """Change a participant's name, phone, counselor, group, check-in time, zone or language."""
    from bot.services.counselors import assign_counselor, find_counselor
    from bot.services.people import find_participant
    from bot.services.roster import change_phone, rename
    from bot.services.schedule.groups import find_group
    from bot.services.schedule.participants import update_participant

    if group_name and no_group:
        raise click.UsageError("give --group or --no-group, not both")
    rt = runtime()
    now = rt.now()
    with transaction() as session:
        person = find_participant(session, phone, region())
        group = find_group(session, group_name) if group_name else None
        counselor = find_counselor(session, counselor_phone, "--counselor", region()) \
            if counselor_phone else None
        changes = update_participant(
            session, rt.program, person, now, group=group, no_group=no_group,
            checkin_time=checkin_time, timezone=timezone, language=language)
        if name is not None:
            rename(session, person, name, now)
            changes.append("name")
        if new_phone is not None and change_phone(session, rt.program, person, new_phone, now):
            changes.append(f"phone={person.phone}")
        if counselor is not None:
            moved = assign_counselor(session, rt, person, counselor, now)
            changes.append(f"counselor={counselor.name}"
                           + (f" ({moved} open alert(s) moved)" if moved else ""))
        click.echo(f"participant {person.id} updated: {', '.join(changes) or 'nothing'}")


@participant_group.command("readmit")
@click.argument("phone")
@click.option("--counselor", "counselor_phone", help="Counselor's phone (default: the last one).")
def participant_readmit(phone: str, counselor_phone: str | None) -> None:
    """Re-admit a discharged participant; they get the opt-in confirmation again."""
    from bot.services.counselors import find_counselor
    from bot.services.people import find_participant
    from bot.services.roster import readmit

    rt = runtime()
    with transaction() as session:
        person = find_participant(session, phone, region())
        counselor = find_counselor(session, counselor_phone, "--counselor", region()) \
            if counselor_phone else None
        readmit(session, rt.program, person, rt.now(), counselor=counselor)
        click.echo(f"participant {person.id} re-admitted")


@participant_group.command("pause")
@click.argument("phone")
@click.option("--until", "until", help="Check-ins restart on this date (YYYY-MM-DD).")
def participant_pause(phone: str, until: str | None) -> None:
    """Pause a participant's daily check-ins (session reminders continue)."""
    from bot.services.people import find_participant
    from bot.services.schedule.pausing import pause

    rt = runtime()
    day = parse_day(until, "--until") if until else None
    with transaction() as session:
        person = find_participant(session, phone, region())
        pause(session, person, rt.now(), until=day, actor="staff:cli")
        click.echo(f"participant {person.id} paused" + (f" until {day}" if day else ""))


@participant_group.command("resume")
@click.argument("phone")
def participant_resume(phone: str) -> None:
    """Turn a participant's daily check-ins back on."""
    from bot.services.people import find_participant
    from bot.services.schedule.pausing import resume

    rt = runtime()
    with transaction() as session:
        person = find_participant(session, phone, region())
        done = resume(session, person, rt.now(), actor="staff:cli")
        click.echo(f"participant {person.id} " + ("resumed" if done else "was not paused"))


COMMANDS = [group_group, session_group, attendance_group]
