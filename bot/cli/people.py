"""`iopbot counselor ...` and `iopbot participant ...`.

Services and models are imported inside each command: `--help` needs neither.
"""

from __future__ import annotations

import click

from bot.cli.common import reading, region, runtime, transaction
from bot.cli.context import RuntimeGroup
from bot.program import LANGUAGES
from bot.vocabulary import DISCHARGE_REASONS


@click.group("counselor", cls=RuntimeGroup)
def counselor_group() -> None:
    """Counselors who receive alerts."""


@counselor_group.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--on-call", is_flag=True, help="Gets crisis pages and escalations.")
@click.option("--supervisor", is_flag=True, help="Last step of the escalation ladder.")
def counselor_add(name: str, phone: str, on_call: bool, supervisor: bool) -> None:
    """Enrol a counselor."""
    from bot.services.oncall import rota_in_use
    from bot.services.people import add_counselor

    now = runtime().now()
    with transaction() as session:
        counselor = add_counselor(
            session, name=name, phone=phone, on_call=on_call, supervisor=supervisor, now=now,
            region=region(),
        )
        click.echo(
            f"counselor {counselor.id} {counselor.name} {counselor.phone}"
            + (" on-call" if on_call else "")
        )
        if on_call and rota_in_use(session):
            click.echo("note: this clinic has a weekly on-call rota, so --on-call has no effect;"
                       " use `iopbot oncall set`", err=True)


@counselor_group.command("list")
def counselor_list() -> None:
    """List counselors: id, name, phone, and on-call now / supervisor / inactive."""
    from bot.queries.listing import counselor_lines

    rt = runtime()
    with reading() as connection:  # Core: no ORM to import (start-up)
        for line in counselor_lines(connection, rt.program.timezone, rt.now()):
            click.echo(line)


@click.group("participant", cls=RuntimeGroup)
def participant_group() -> None:
    """Participants who get reminders and check-ins."""


@participant_group.command("add")
@click.option("--name", required=True, help="The name they want to be called.")
@click.option("--phone", required=True)
@click.option("--counselor", "counselor_phone", required=True, help="Assigned counselor's phone.")
@click.option("--timezone", required=True, help="IANA zone, e.g. America/Chicago.")
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--checkin-time", help="Local HH:MM of the daily check-in.")
@click.option("--group", help="Therapy group name.")
@click.option(
    "--whatsapp", is_flag=True, help="Text on WhatsApp (not HIPAA-eligible: their choice)."
)
def participant_add(
    name, phone, counselor_phone, timezone, language, checkin_time, group, whatsapp
) -> None:
    """Enrol a participant and send the opt-in confirmation."""
    from bot.services.people import Enrolment, add_participant

    rt = runtime()
    form = Enrolment(
        name=name,
        phone=phone,
        counselor_phone=counselor_phone,
        timezone=timezone,
        language=language,
        checkin_time=checkin_time,
        group=group,
        channel="whatsapp" if whatsapp else "sms",
    )
    with transaction() as session:
        participant = add_participant(session, rt.program, form, rt.now())
        click.echo(f"participant {participant.id} {participant.name} {participant.phone}")


@participant_group.command("list")
def participant_list() -> None:
    """List participants: id, name, phone, status, language, check-in time, group, counselor.

    The status column adds ",opted-out" and ",flagged:REASON" for numbers we cannot text.
    """
    from bot.queries.listing import participant_lines

    with reading() as connection:  # Core: no ORM to import (start-up)
        for line in participant_lines(connection):
            click.echo(line)


@participant_group.command("discharge")
@click.argument("phone")
@click.option("--reason", type=click.Choice(DISCHARGE_REASONS), help="Why (kept in the audit).")
def participant_discharge(phone: str, reason: str | None) -> None:
    """Discharge a participant: nothing more is sent to them."""
    from bot.services.people import discharge

    with transaction() as session:
        participant = discharge(session, phone, runtime().now(), region(), reason=reason)
        click.echo(f"participant {participant.id} discharged")


COMMANDS = [counselor_group, participant_group]
