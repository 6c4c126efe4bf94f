"""`iopbot audit list`: who looked at or changed what, newest first."""

from __future__ import annotations

import json

import click

from bot.cli.common import parse_instant, region, transaction
from bot.cli.context import RuntimeGroup


@click.group("audit", cls=RuntimeGroup)
def audit_group() -> None:
    """The audit trail (HIPAA 164.312(b))."""


@audit_group.command("list")
@click.option("--participant", "phone", default=None, help="Only events about this participant.")
@click.option("--staff", "email", default=None, help="Only events by this console account.")
@click.option("--since", default=None, help="Only events at or after this date (ISO 8601).")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000))
def audit_list(phone: str | None, email: str | None, since: str | None, limit: int) -> None:
    """Print audit events, newest first: time, actor, action, participant, page, detail."""
    from sqlalchemy import select

    from bot.audit import audit_rows
    from bot.models import Participant
    from bot.phones import InvalidPhone, normalize_phone
    from bot.services.staff import find_staff

    start = parse_instant(since, "--since") if since else None
    with transaction() as session:
        participant_id = staff_id = None
        if phone is not None:
            try:
                number = normalize_phone(phone, region())
            except InvalidPhone as exc:
                raise ValueError(f"--participant: {exc}") from None
            participant_id = session.scalar(select(Participant.id).where(
                Participant.phone == number))
            if participant_id is None:
                raise ValueError(f"--participant: no participant has the phone {number}")
        if email is not None:
            account = find_staff(session, email)
            if account is None:
                raise ValueError(f"--staff: no console account has the email {email.strip()!r}")
            staff_id = account.id
        rows = audit_rows(session, participant_id=participant_id, staff_id=staff_id,
                          since=start, limit=limit)
    for r in rows:
        who = f"participant {r.participant_id}" if r.participant_id else (r.subject or "-")
        detail = json.dumps(r.detail, sort_keys=True, default=str) if r.detail else ""
        click.echo(f"{r.at.strftime('%Y-%m-%dT%H:%M:%SZ')}\t{r.actor}\t{r.action}\t{who}\t"
                   f"{r.page or '-'}\t{detail}".rstrip())


COMMANDS: list[click.Command] = [audit_group]
