"""Firing due fires: claim them, apply the quiet-hour rules, queue outbox rows, settle them.

A fire for someone who texted STOP is dropped, not sent: no check-in is opened for them, so
none is counted as asked or missed (nor reported to their counselor or family as missed).

A fire's key is its outbox row's dedupe_key, so even two clocks claiming the same fire
could not queue its text twice; claims use row locks (SKIP LOCKED) so they don't try to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from bot.models import OutboxMessage, Participant, PhoneNumber
from bot.models.schedule import CheckIn, Fire, TherapySession
from bot.outbox import PRIORITY_SCHEDULED
from bot.program import Program
from bot.rules.timing import Decision, decide, local_to_utc
from bot.services.schedule.config import ScheduleConfig
from bot.services.schedule.wording import session_text
from bot.sql import for_update_skip_locked

OPEN = ("pending", "deferred")
BATCH = 2000
OUTBOX_KIND = {"checkin": "checkin", "followup": "checkin.followup", "reminder": "reminder"}


def supersede_reminders(session: Session, now: datetime) -> int:
    """Drop due reminders of a session when a later one for the same person is due too."""
    later = aliased(Fire)
    result = session.execute(
        update(Fire)
        .where(
            Fire.kind == "reminder", Fire.state.in_(OPEN), Fire.due_at <= now,
            exists().where(
                later.kind == "reminder", later.session_id == Fire.session_id,
                later.participant_id == Fire.participant_id, later.due_at > Fire.due_at,
                later.due_at <= now, later.state.in_(("pending", "deferred", "done")),
            ),
        )
        .values(state="dropped", reason="superseded by a later reminder", decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def fire_due(session: Session, program: Program, config: ScheduleConfig, now: datetime
             ) -> dict[str, int]:
    """Settle every fire due at `now`, a batch at a time; returns counts by outcome."""
    counts = {"sent": 0, "deferred": 0, "dropped": 0}
    while True:
        keys = session.scalars(for_update_skip_locked(
            select(Fire.key).where(Fire.state.in_(OPEN), Fire.due_at <= now)
            .order_by(Fire.due_at, Fire.key).limit(BATCH), session)).all()
        if not keys:
            return counts
        for outcome, number in _settle(session, program, config, keys, now).items():
            counts[outcome] += number


def _settle(session: Session, program: Program, config: ScheduleConfig, keys: list[str],
            now: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Fire, Participant, TherapySession)
        .join(Participant, Fire.participant_id == Participant.id)
        .outerjoin(TherapySession, Fire.session_id == TherapySession.id)
        .where(Fire.key.in_(keys))
    ).all()
    answered = _answered_checkins(session, [f for f, _, _ in rows if f.kind == "followup"])
    stopped = set(session.scalars(select(PhoneNumber.phone).where(
        PhoneNumber.phone.in_({person.phone for _, person, _ in rows}), PhoneNumber.opted_out)))
    outbox, checkins, followups, counts = [], [], [], {"sent": 0, "deferred": 0, "dropped": 0}
    for fire, person, therapy in rows:
        tz = ZoneInfo(person.timezone)
        why = "recipient opted out" if person.phone in stopped else _pointless(
            fire, person, therapy, answered)
        decision = Decision("drop", reason=why) if why else decide(
            now, tz, config.quiet, fire.expires_at)
        fire.decided_at = now
        if decision.action == "drop":
            fire.state, fire.reason = "dropped", decision.reason
            counts["dropped"] += 1
        elif decision.action == "defer":
            fire.deferred_from = fire.deferred_from or fire.due_at
            fire.state, fire.due_at, fire.reason = "deferred", decision.at, "outside texting hours"
            counts["deferred"] += 1
        else:
            fire.state, fire.reason = "done", None
            counts["sent"] += 1
            expires = min(filter(None, (fire.expires_at, config.quiet.closing(now, tz))))
            outbox.append(_outbox_row(program, fire, person, therapy, now, expires))
            if fire.kind == "checkin":
                checkins.append(_checkin_row(fire, person, tz, now))
                followups.append(_followup_row(fire, config.followup_after, now))
    session.flush()
    _insert(session, OutboxMessage.__table__, outbox, ["dedupe_key"])
    _insert(session, CheckIn.__table__, checkins, ["participant_id", "local_date"])
    _insert(session, Fire.__table__, followups, ["key"])
    return counts


def _insert(session: Session, table, rows: list[dict], key: list[str]) -> None:
    """Many rows, skipping duplicates: one compiled statement run as an executemany."""
    if not rows:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=key)
    session.execute(stmt, rows)


def _answered_checkins(session: Session, followups: Iterable[Fire]) -> set[tuple[int, object]]:
    """(participant, local date) of check-ins that need no nudge (answered, or not asked)."""
    wanted = [(f.participant_id, f.local_date) for f in followups]
    if not wanted:
        return set()
    people = {pid for pid, _ in wanted}
    asked = {
        (pid, day): answered
        for pid, day, answered in session.execute(
            select(CheckIn.participant_id, CheckIn.local_date, CheckIn.answered_at).where(
                CheckIn.participant_id.in_(people),
                CheckIn.local_date.in_({day for _, day in wanted}))
        )
    }
    return {key for key in wanted if key not in asked or asked[key] is not None}


def _pointless(fire: Fire, person: Participant, therapy: TherapySession | None,
               answered: set) -> str | None:
    """Why a due fire must not go out whatever the time, or None."""
    if person.status == "discharged":
        return "participant discharged"
    if fire.kind in ("checkin", "followup") and person.status == "paused" and not (
            person.paused_until is not None and person.paused_until <= fire.local_date):
        return "check-ins paused"
    if fire.kind == "followup" and (person.id, fire.local_date) in answered:
        return "check-in already answered"
    if fire.kind == "reminder" and (therapy is None or therapy.status != "scheduled"):
        return "session cancelled"
    return None


def _outbox_row(program: Program, fire: Fire, person: Participant,
                therapy: TherapySession | None, now: datetime, expires: datetime) -> dict:
    if fire.kind == "reminder":
        body = session_text(
            program, "reminder", individual=therapy.group_id is None,
            starts_at=therapy.starts_at, location=therapy.location, timezone=person.timezone,
            language=person.language, style=person.wording)
    else:
        key = "checkin.craving" if fire.kind == "checkin" else "checkin.followup"
        body = program.text(key, person.language, person.wording)
    return {
        "dedupe_key": fire.key, "kind": OUTBOX_KIND[fire.kind], "to_phone": person.phone,
        "channel": person.channel, "body": body, "participant_id": person.id,
        "priority": PRIORITY_SCHEDULED, "party": "participant", "maybe_sent": False,
        "state": "pending", "not_before": now, "expires_at": expires, "attempts": 0,
        "created_at": now,
    }


def _checkin_row(fire: Fire, person: Participant, tz: ZoneInfo, now: datetime) -> dict:
    asked_for = (fire.deferred_from or fire.due_at).astimezone(tz).time()
    closes = local_to_utc(fire.local_date + timedelta(days=1), asked_for, tz)
    return {
        "participant_id": person.id, "local_date": fire.local_date, "asked_at": now,
        "prompted_at": now,
        "closes_at": max(closes, now + timedelta(hours=1)), "step": "craving", "reasks": 0,
        "missed": False,
    }


def _followup_row(fire: Fire, after: timedelta, now: datetime) -> dict:
    return {
        "key": f"followup:{fire.participant_id}:{fire.local_date}", "kind": "followup",
        "participant_id": fire.participant_id, "local_date": fire.local_date,
        "due_at": now + after, "expires_at": fire.expires_at, "state": "pending",
        "created_at": now,
    }


def withdraw_discharged(session: Session, now: datetime) -> int:
    """Withdraw open fires of discharged participants."""
    gone = select(Participant.id).where(Participant.status == "discharged")
    result = session.execute(
        update(Fire).where(and_(Fire.state.in_(OPEN), Fire.participant_id.in_(gone)))
        .values(state="withdrawn", reason="participant discharged", decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
