"""`iopbot delivery problems` and `iopbot delivery clear CODE`."""

from __future__ import annotations

from datetime import datetime

import click

from bot.cli.common import runtime, transaction
from bot.cli.context import RuntimeGroup


def _at(value: datetime | None) -> str:
    return f"{value:%Y-%m-%dT%H:%MZ}" if value else "-"


@click.group("delivery", cls=RuntimeGroup)
def delivery_group() -> None:
    """Texts that cannot be delivered: opt-outs, flagged numbers, account-level errors."""


@delivery_group.command("problems")
def delivery_list() -> None:
    """One tab-separated line per problem: account errors first, then opt-outs, then flags."""
    from bot.services.delivery import delivery_problems

    with transaction() as session:
        found = delivery_problems(session)
        for row in found.account:
            click.echo(f"account\t{row.code}\t{row.reason}\tfirst {_at(row.first_seen_at)}"
                       f"\tlast {_at(row.last_seen_at)}\tseen {row.occurrences}x"
                       "\tALL TEXTING BLOCKED")
        for out in found.opted_out:
            click.echo(f"opted-out\t{out.phone}\t{out.who}\t{_at(out.at)}\t{out.how}")
        for flag in found.flagged:
            click.echo(f"flagged\t{flag.phone}\t{flag.who}\t{flag.flag}\t{flag.code or '-'}\t"
                       f"{_at(flag.at)}")
        if not (found.account or found.opted_out or found.flagged):
            click.echo("no delivery problems")


@delivery_group.command("clear")
@click.argument("code", type=int)
def delivery_clear(code: int) -> None:
    """Mark an account-level error fixed (staff are told again if it comes back)."""
    from bot.services.delivery import clear_account_error

    with transaction() as session:
        clear_account_error(session, code, runtime().now())
        click.echo(f"account-level error {code} cleared")


COMMANDS = [delivery_group]
