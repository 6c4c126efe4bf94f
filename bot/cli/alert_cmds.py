"""`iopbot alert list|ack|resolve`: counselor alerts from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.common import reading, region, runtime, transaction
from bot.cli.context import RuntimeGroup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.models import Counselor


@click.group("alert", cls=RuntimeGroup)
def alert_group() -> None:
    """Counselor alerts: list, acknowledge, resolve."""


def _counselor(session: Session, phone: str) -> Counselor:
    from sqlalchemy import select

    from bot.models import Counselor
    from bot.phones import InvalidPhone, normalize_phone

    try:
        number = normalize_phone(phone, region())
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from None
    found = session.scalar(select(Counselor).where(Counselor.phone == number, Counselor.active))
    if found is None:
        raise ValueError(f"{number} is not an active counselor's phone")
    return found


@alert_group.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only alerts not yet resolved.")
def alert_list(only_open: bool) -> None:
    """List alerts, newest first: id, level, state, who, created, step, deadline, reasons."""
    from bot.queries.listing import alert_lines

    with reading() as connection:  # Core: no ORM to import (start-up)
        for line in alert_lines(connection, only_open=only_open):
            click.echo(line)


@alert_group.command("ack")
@click.argument("alert_id", type=int)
@click.option("--by", "phone", required=True, help="The acknowledging counselor's phone.")
def alert_ack(alert_id: int, phone: str) -> None:
    """Acknowledge an alert: its escalation stops."""
    from bot.services.alert_actions import acknowledge

    rt = runtime()
    with transaction() as session:
        counselor = _counselor(session, phone)
        acknowledge(session, rt, alert_id, counselor, now=rt.now(), via="cli")
        click.echo(f"alert {alert_id} acknowledged by {counselor.name}")


@alert_group.command("resolve")
@click.argument("alert_id", type=int)
@click.option("--by", "phone", required=True, help="The resolving counselor's phone.")
@click.option("--note", default=None, help="What was done (kept with the alert).")
def alert_resolve(alert_id: int, phone: str, note: str | None) -> None:
    """Resolve an alert, with an optional note."""
    from bot.services.alert_actions import resolve

    rt = runtime()
    with transaction() as session:
        counselor = _counselor(session, phone)
        resolve(session, rt, alert_id, counselor, now=rt.now(), via="cli", note=note)
        click.echo(f"alert {alert_id} resolved by {counselor.name}")


COMMANDS: list[click.Command] = [alert_group]
