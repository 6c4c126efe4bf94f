"""`iopbot staff add|set-password|list|disable`: console accounts from the command line."""

from __future__ import annotations

import sys

import click

from bot.cli.common import reading, region, runtime, transaction
from bot.cli.context import RuntimeGroup
from bot.vocabulary import STAFF_ROLES


@click.group("staff", cls=RuntimeGroup)
def staff_group() -> None:
    """Staff console accounts: add, set a password, list, disable."""


def _link(token: str) -> str:
    base = (runtime().settings.public_base_url or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/console/welcome/{token}"


@staff_group.command("add")
@click.option("--email", required=True, help="Their work email (the sign-in name).")
@click.option("--name", required=True, help="Their name as colleagues know it.")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES),
              help="counselor, supervisor or admin.")
@click.option("--counselor", "phone", default=None,
              help="A counselor account's counselor phone (ties it to that caseload).")
def staff_add(email: str, name: str, role: str, phone: str | None) -> None:
    """Create an account; prints a one-time set-password link (valid 72 h) on the last line."""
    from sqlalchemy import select

    from bot.models import Counselor
    from bot.phones import InvalidPhone, normalize_phone
    from bot.services.staff import StaffError, create_staff, issue_set_password_link

    rt = runtime()
    now = rt.now()
    with transaction() as session:
        counselor = None
        if phone is not None:
            try:
                number = normalize_phone(phone, region())
            except InvalidPhone as exc:
                raise StaffError(f"--counselor: {exc}") from None
            counselor = session.scalar(select(Counselor).where(Counselor.phone == number))
            if counselor is None:
                raise StaffError(f"--counselor: no counselor has the phone {number}")
        account = create_staff(session, email=email, name=name, role=role, counselor=counselor,
                               now=now)
        token = issue_set_password_link(session, account, now=now)
        click.echo(f"created {role} account {account.email}"
                   + (f" for counselor {counselor.name}" if counselor else ""))
        click.echo("Send them this link to set a password (works once, for 72 hours):")
    click.echo(_link(token))


@staff_group.command("set-password")
@click.option("--email", required=True, help="The account's email.")
def staff_set_password(email: str) -> None:
    """Set a password read from standard input (for scripted set-up); signs out everywhere."""
    from bot.services.staff import set_password

    password = sys.stdin.readline().rstrip("\r\n")
    rt = runtime()
    with transaction() as session:
        account = _account(session, email)
        set_password(session, account, password, now=rt.now(), actor="cli")
        click.echo(f"password set for {account.email}")


@staff_group.command("list")
def staff_list() -> None:
    """Every account: email, name, role, state, second factor, last sign-in."""
    from bot.queries.listing import staff_lines

    with reading() as connection:  # Core: no ORM to import (start-up)
        for line in staff_lines(connection):
            click.echo(line)


@staff_group.command("disable")
@click.option("--email", required=True, help="The account's email.")
def staff_disable(email: str) -> None:
    """Disable an account: it can no longer sign in, and its sessions end now."""
    from bot.services.staff import disable_staff

    rt = runtime()
    with transaction() as session:
        account = _account(session, email)
        disable_staff(session, account, now=rt.now(), actor="cli")
        click.echo(f"disabled {account.email}; signed out everywhere")


@staff_group.command("enable")
@click.option("--email", required=True, help="The account's email.")
def staff_enable(email: str) -> None:
    """Let a disabled account sign in again (with its old password, or a new link)."""
    from bot.services.staff import enable_staff

    rt = runtime()
    with transaction() as session:
        account = _account(session, email)
        enable_staff(session, account, now=rt.now(), actor="cli")
        click.echo(f"enabled {account.email}")


def _account(session, email: str):
    """The account with `email`, or a one-line error."""
    from bot.services.staff import StaffError, find_staff

    account = find_staff(session, email)
    if account is None:
        raise StaffError(f"no account has the email {email.strip()!r}")
    return account


COMMANDS: list[click.Command] = [staff_group]
