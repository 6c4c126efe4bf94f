"""`iopbot counselor update/deactivate` and `iopbot oncall show/set/remove`."""

from __future__ import annotations

from datetime import datetime

import click

from bot.cli.common import reading, region, runtime, transaction
from bot.cli.context import RuntimeGroup
from bot.cli.people import counselor_group
from bot.cli.schedule_cmds import local_instant


@counselor_group.command("update")
@click.argument("phone")
@click.option("--name")
@click.option("--phone", "new_phone", help="Their new number (unsent pages follow them).")
@click.option("--supervisor/--not-supervisor", default=None,
              help="Last step of the escalation ladder, or not.")
def counselor_update(phone: str, name: str | None, new_phone: str | None,
                     supervisor: bool | None) -> None:
    """Change a counselor's name, phone or supervisor role."""
    from bot.services.counselors import find_counselor, update_counselor

    with transaction() as session:
        counselor = find_counselor(session, phone, region=region())
        changes = update_counselor(session, counselor, runtime().now(), name=name,
                                   phone=new_phone, supervisor=supervisor, region=region())
        click.echo(f"counselor {counselor.id} updated: {', '.join(changes) or 'nothing'}")


@counselor_group.command("deactivate")
@click.argument("phone")
@click.option("--reassign-to", "reassign_to", help="Colleague's phone: gets the caseload.")
def counselor_deactivate(phone: str, reassign_to: str | None) -> None:
    """Deactivate a counselor who leaves; their participants and open alerts move first."""
    from bot.services.counselors import deactivate_counselor, find_counselor

    rt = runtime()
    with transaction() as session:
        counselor = find_counselor(session, phone, region=region())
        colleague = find_counselor(session, reassign_to, "--reassign-to", region()) if reassign_to \
            else None
        done = deactivate_counselor(session, rt, counselor, rt.now(), reassign_to=colleague)
        moved = (f"; {done.participants_moved} participant(s) and {done.alerts_moved} open "
                 f"alert(s) moved to {colleague.name}") if colleague else ""
        click.echo(f"counselor {counselor.id} deactivated{moved}")


@click.group("oncall", cls=RuntimeGroup)
def oncall_group() -> None:
    """Who is on call: a weekly rota in the clinic's time zone plus one-off overrides."""


@oncall_group.command("show")
@click.option("--at", "at", help="Another instant (ISO; no offset = clinic time).")
def oncall_show(at: str | None) -> None:
    """Who is on call now, then the weekly rota and the overrides not yet over."""
    from bot.queries import oncall

    rt = runtime()
    now = local_instant(at, rt.program.timezone, "--at") if at else rt.now()
    with reading() as connection:  # Core: no ORM to import (start-up)
        people = oncall.on_call_rows(connection, rt.program.timezone, now)
        click.echo("on call now: " + (", ".join(f"{c.name} {c.phone}" for c in people)
                                      or "nobody (pages go to supervisors)"))
        lines = oncall.rota(connection, now)
        if not oncall.rota_in_use(connection):
            click.echo("no weekly rota: counselors added with --on-call are on call all week")
        for line in lines:
            click.echo(f"{line.kind} {line.id}\t{line.when}\t{line.counselor}\t{line.phone}")
        click.echo(f"(times of day in {rt.program.timezone})")


@oncall_group.command("set")
@click.argument("phone")
@click.option("--days", help="Weekly: mon,wed or mon-fri or all.")
@click.option("--hours", help="Weekly: 09:00-17:00; 17:00-09:00 runs overnight.")
@click.option("--from", "starts", help="Override start (ISO; no offset = clinic time).")
@click.option("--to", "ends", help="Override end (ISO; no offset = clinic time).")
@click.option("--note", help="Why (an override only).")
def oncall_set(phone: str, days: str | None, hours: str | None, starts: str | None,
               ends: str | None, note: str | None) -> None:
    """Put a counselor on the weekly rota (--days, --hours) or on call once (--from, --to)."""
    weekly, override = bool(days or hours), bool(starts or ends)
    if weekly == override:
        raise click.UsageError("give --days and --hours (weekly) or --from and --to (override)")
    if weekly and not (days and hours):
        raise click.UsageError("a weekly shift needs both --days and --hours")
    if override and not (starts and ends):
        raise click.UsageError("an override needs both --from and --to")
    from bot.services import oncall
    from bot.services.counselors import find_counselor

    rt = runtime()
    now = rt.now()
    with transaction() as session:
        counselor = find_counselor(session, phone, region=region())
        if weekly:
            shifts = oncall.add_shifts(session, counselor, days, hours, now=now)
            click.echo(f"{counselor.name} on call {hours} on {len(shifts)} weekday(s): shift "
                       + ",".join(str(s.id) for s in shifts))
        else:
            tz = rt.program.timezone
            row = oncall.add_override(session, counselor, local_instant(starts, tz, "--from"),
                                      local_instant(ends, tz, "--to"), now=now, note=note)
            click.echo(f"override {row.id}: {counselor.name} on call {_z(row.starts_at)} "
                       f"to {_z(row.ends_at)}")


@oncall_group.command("remove")
@click.option("--shift", "shift_id", type=int, help="A weekly shift id (see oncall show).")
@click.option("--override", "override_id", type=int, help="An override id (see oncall show).")
def oncall_remove(shift_id: int | None, override_id: int | None) -> None:
    """Delete one weekly shift or one override."""
    if (shift_id is None) == (override_id is None):
        raise click.UsageError("give --shift ID or --override ID")
    from bot.services import oncall

    with transaction() as session:
        oncall.remove(session, now=runtime().now(), shift_id=shift_id, override_id=override_id)
        click.echo(f"removed {'shift' if shift_id is not None else 'override'} "
                   f"{shift_id if shift_id is not None else override_id}")


def _z(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%MZ}"


COMMANDS = [oncall_group]
