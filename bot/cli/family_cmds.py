"""`iopbot family ...`: invite, revoke, list consents, and the accounting of disclosures."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import click

from bot.cli.common import region, runtime, transaction
from bot.cli.context import RuntimeGroup
from bot.program import LANGUAGES

STAFF = "staff:cli"


@click.group("family", cls=RuntimeGroup)
def family_group() -> None:
    """Family updates within the participant's own consent (42 CFR Part 2)."""


@family_group.command("invite")
@click.option("--participant", "participant_phone", required=True, help="Participant's phone.")
@click.option("--name", required=True, help="Family member's name.")
@click.option("--phone", required=True, help="Family member's phone.")
@click.option("--relationship", required=True, help="e.g. mother, partner, friend.")
@click.option("--share", required=True,
              help="Comma-separated scopes: attendance, summary, milestones, encouragement.")
@click.option("--expires", required=True, help="Consent ends on this date (YYYY-MM-DD).")
@click.option("--timezone", help="Family member's IANA zone (default: the participant's).")
@click.option("--language", type=click.Choice(LANGUAGES),
              help="Family member's language (default: the participant's).")
def family_invite(participant_phone, name, phone, relationship, share, expires, timezone,
                  language) -> None:
    """Text the participant the consent; the family member is invited only after their YES."""
    from bot.services.family.consent import Invitation, invite

    rt = runtime()
    form = Invitation(participant_phone=participant_phone, name=name, phone=phone,
                      relationship=relationship, share=share, expires=expires,
                      timezone=timezone, language=language)
    with transaction() as session:
        consent = invite(session, rt.program, form, rt.now(), STAFF).consent
        click.echo(
            f"consent {consent.id} {consent.state}: {', '.join(consent.scopes)} for "
            f"{consent.recipient_name} until {consent.expires_on.isoformat()}; "
            "the participant must reply YES <code> from their phone"
        )


@family_group.command("revoke")
@click.option("--participant", "participant_phone", required=True, help="Participant's phone.")
@click.option("--phone", "family_phone", required=True, help="Family member's phone.")
def family_revoke(participant_phone: str, family_phone: str) -> None:
    """Revoke consent at once: unsent updates are withdrawn, the family member told it stopped."""
    from bot.services.family.revoke import revoke_by_phone

    rt = runtime()
    with transaction() as session:
        for consent in revoke_by_phone(session, rt.program, participant_phone, family_phone,
                                       rt.now(), STAFF):
            click.echo(f"consent {consent.id} revoked")


@family_group.command("list")
@click.option("--participant", "participant_phone", required=True, help="Participant's phone.")
def family_list(participant_phone: str) -> None:
    """Each consent: id, name, phone, relationship, scopes, state, expiry, signed, joined."""
    from sqlalchemy import select

    from bot.models.family import Consent
    from bot.services.people import find_participant

    with transaction() as session:
        participant = find_participant(session, participant_phone, region())
        consents = session.scalars(
            select(Consent).where(Consent.participant_id == participant.id).order_by(Consent.id)
        )
        for c in consents:
            click.echo("\t".join([
                str(c.id), c.recipient_name, c.recipient_phone, c.relationship,
                ",".join(c.scopes), c.state, c.expires_on.isoformat(),
                _when(c.signed_at), _when(c.family_joined_at),
            ]))


@family_group.command("disclosures")
@click.option("--participant", "participant_phone", required=True, help="Participant's phone.")
@click.option("--since", help="Only disclosures on or after this date (YYYY-MM-DD).")
def family_disclosures(participant_phone: str, since: str | None) -> None:
    """The accounting of disclosures: when, recipient, consent, scope, status, what was sent."""
    from bot.services.family.disclosures import accounting
    from bot.services.family.timing import start_of_day
    from bot.services.people import find_participant

    with transaction() as session:
        participant = find_participant(session, participant_phone, region())
        start = None
        if since:
            try:
                day = date.fromisoformat(since.strip())
            except ValueError:
                raise click.BadParameter(f"not a date YYYY-MM-DD: {since!r}",
                                         param_hint="--since") from None
            start = start_of_day(day, ZoneInfo(participant.timezone))
        for line in accounting(session, participant.id, start):
            click.echo("\t".join([
                _when(line.at), f"{line.recipient_name} {line.recipient_phone}",
                f"consent {line.consent_id}", line.scope, line.status,
                _when(line.sent_at), line.body,
            ]))


def _when(moment) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


COMMANDS = [family_group]
