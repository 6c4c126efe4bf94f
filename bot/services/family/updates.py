"""Planning family texts that are due: the weekly update and milestones, within consent.

Consent is checked here, when a text is planned, with the consent row locked: a revocation
either commits first (and nothing is planned) or waits and then withdraws what was planned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Participant
from bot.models.family import Consent, Disclosure, FamilyContact
from bot.outbox import is_opted_out
from bot.program import Program
from bot.rules.family_scopes import (
    ATTENDANCE,
    MILESTONES,
    SUMMARY,
    WEEKLY_SCOPES,
    WeeklyFacts,
    milestone_due,
    milestone_message,
    weekly_update,
)
from bot.services.family.config import FamilyConfig, family_config
from bot.services.family.disclosures import disclose
from bot.services.family.facts import milestone_values, weekly_facts
from bot.services.family.timing import local_instant, weekly_slot
from bot.sql import for_update_skip_locked


def plan_updates(session: Session, program: Program, now: datetime) -> dict[str, int]:
    """Queue every weekly update and milestone due at `now` under an active consent."""
    config = family_config(program)
    counts = {"weekly": 0, "milestones": 0}
    consents = session.scalars(for_update_skip_locked(
        select(Consent).where(Consent.state == "active", Consent.expires_at > now)
        .order_by(Consent.id), session,
    )).all()
    for consent in consents:
        participant = session.get(Participant, consent.participant_id)
        if participant is None or participant.status == "discharged":
            continue
        if is_opted_out(session, consent.recipient_phone):
            continue  # they replied STOP: nothing is planned (or recorded) until START
        contact = session.get(FamilyContact, consent.family_contact_id)
        zone = ZoneInfo(contact.timezone)
        if not program.in_quiet_window(now.astimezone(zone).time()):
            continue  # planned when texting hours open, if still worth sending
        counts["weekly"] += _weekly(session, program, config, consent, participant, contact,
                                    zone, now)
        counts["milestones"] += _milestones(session, program, config, consent, participant,
                                            contact, now)
    return counts


def _first(participant: Participant) -> str:
    return (participant.name.split() or [participant.name])[0]


def _weekly(session, program, config: FamilyConfig, consent: Consent, participant: Participant,
            contact: FamilyContact, zone: ZoneInfo, now: datetime) -> int:
    scopes = [s for s in consent.scopes if s in WEEKLY_SCOPES]
    slot = weekly_slot(now, zone, config.weekly_day, config.weekly_time)
    late = timedelta(hours=config.catch_up_hours)
    if not scopes or now - slot > late or slot < (consent.family_joined_at or now):
        return 0
    slot_day = slot.astimezone(zone).date()
    occurrence = f"family:weekly:{consent.id}:{slot_day.isoformat()}"
    if session.scalar(select(Disclosure.id).where(Disclosure.occurrence == occurrence)):
        return 0
    facts = WeeklyFacts()
    if ATTENDANCE in scopes or SUMMARY in scopes:
        start = local_instant(slot_day - timedelta(days=7), config.weekly_time, zone)
        facts = weekly_facts(session, participant.id, start, slot)
    body = weekly_update(program, scopes=scopes, facts=facts,
                         participant_first=_first(participant), language=contact.language)
    if body is None:
        return 0
    done = disclose(session, consent, scope=",".join(scopes), body=body, kind="family.weekly",
                    occurrence=occurrence, now=now, expires_at=slot + late)
    return 1 if done else 0


def _milestones(session, program, config: FamilyConfig, consent: Consent,
                participant: Participant, contact: FamilyContact, now: datetime) -> int:
    if MILESTONES not in consent.scopes or not config.milestones:
        return 0
    values = milestone_values(session, participant.id, now)
    planned = 0
    for kind, thresholds in config.milestones.items():
        prefix = f"family:milestone:{consent.id}:{kind}:"
        sent = session.scalars(
            select(Disclosure.occurrence).where(Disclosure.occurrence.startswith(prefix))
        ).all()
        last = max((int(key.rsplit(":", 1)[1]) for key in sent), default=0)
        reached = milestone_due(thresholds, values.get(kind, 0), last)
        if reached is None:
            continue
        body = milestone_message(program, kind=kind, count=reached,
                                 participant_first=_first(participant), language=contact.language)
        if disclose(session, consent, scope=MILESTONES, body=body, kind="family.milestone",
                    occurrence=f"{prefix}{reached}", now=now,
                    expires_at=now + timedelta(hours=config.catch_up_hours)):
            planned += 1
    return planned
