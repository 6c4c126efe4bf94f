"""`iopbot inbox [--counselor PHONE]`: participants' texts waiting for a person to read them."""

from __future__ import annotations

import click

from bot.cli.common import region, transaction
from bot.cli.context import with_runtime


@click.command("inbox")
@click.option("--counselor", "phone", default=None, help="Only this counselor's caseload.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
@with_runtime
def inbox_command(phone: str | None, limit: int) -> None:
    """List waiting texts, oldest first: id, received, participant, counselor, the text."""
    from sqlalchemy import select

    from bot.models import Counselor
    from bot.phones import InvalidPhone, normalize_phone
    from bot.queries.inbox import waiting

    with transaction() as session:
        counselor_id = None
        if phone is not None:
            try:
                number = normalize_phone(phone, region())
            except InvalidPhone as exc:
                raise ValueError(str(exc)) from None
            counselor_id = session.scalar(select(Counselor.id).where(Counselor.phone == number))
            if counselor_id is None:
                raise ValueError(f"no counselor with phone {number}")
        items = waiting(session, counselor_id=counselor_id, limit=limit)
        for item in items:
            text = " ".join(item.body.split())
            click.echo(f"{item.message_id}\t{item.received_at:%Y-%m-%dT%H:%MZ}\t"
                       f"{item.participant_name}\t{item.counselor_name}\t{text}")
        if not items:
            click.echo("inbox empty")


COMMANDS: list[click.Command] = [inbox_command]
