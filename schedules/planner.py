"""The schedule sweep: plan reminder and check-in fires, fire what is due, settle missed ones.

Everything is set-based: fires are planned with INSERT ... SELECT ... ON CONFLICT DO NOTHING
(one statement per time-zone/check-in-time pair or per session and offset), never by a loop
over participants, and never as one APScheduler job per participant.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from bot.models import Group, Participant
from bot.models.schedule import Fire, PlannerMark, TherapySession
from bot.program import Program
from bot.runtime import Runtime
from bot.services.schedule import groups as group_service
from bot.services.schedule.checkins import mark_missed
from bot.services.schedule.config import ScheduleConfig, schedule_config
from bot.services.schedule.weekly import retire_weekly, weekly_rows
from bot.sql import for_update_skip_locked, insert_ignoring_duplicates
from schedules.checkins import plan_checkins
from schedules.fires import fire_due, supersede_reminders, withdraw_discharged
from schedules.reminders import plan_reminders

MARK = "schedule"
log = logging.getLogger(__name__)


def claim_mark(session: Session, name: str = MARK) -> PlannerMark | None:
    """Lock the planner's row; None when another clock holds it (it is doing this pass)."""
    insert_ignoring_duplicates(session, PlannerMark.__table__, [{"name": name}], key=["name"])
    return session.scalars(
        for_update_skip_locked(select(PlannerMark).where(PlannerMark.name == name), session)
    ).one_or_none()


def sweep(session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    """One planning-and-firing pass as of `now`; returns counts for the pass summary."""
    mark = claim_mark(session)
    if mark is None:
        return {"busy": 1}
    program, config = runtime.program, schedule_config(runtime.program)
    counts = {"weekly_retired": sync_groups(session, program, mark, now)}
    counts["sessions_added"] = materialize_weekly(session, config, now)
    counts["resumed"] = resume_expired_pauses(session, now)
    counts["withdrawn"] = withdraw_discharged(session, now)
    counts.update(plan(session, config, mark, now, present=runtime.now()))
    counts["superseded"] = supersede_reminders(session, now)
    counts.update(fire_due(session, program, config, now))
    counts.update(mark_missed(session, runtime, now, config.missed_before_alert))
    counts["fires_pruned"] = prune_fires(session, min(now, runtime.now()))
    return {key: value for key, value in counts.items() if value}


def plan(session: Session, config: ScheduleConfig, mark: PlannerMark, now: datetime,
         present: datetime | None = None) -> dict[str, int]:
    """Plan fires due between the last planned instant and `now` + lookahead; move the mark.

    The mark never moves past the real `present` (+ lookahead): a pass as of a later instant
    (`iopbot dispatch --at` in the future, or a mistyped year) plans and fires what is due then,
    but must not make the clock skip planning until that instant comes. Planning again what it
    planned is harmless: fires are inserted with ON CONFLICT DO NOTHING.
    """
    present = present or now
    start = mark.through or (now - timedelta(minutes=1))  # first pass: what is due now
    start = max(start, now - config.max_catch_up)
    end = now + config.lookahead
    fresh_since = mark.ran_at or (now - config.max_catch_up)
    counts = {"checkins_planned": 0, "reminders_planned": 0}
    if end > start:
        counts["checkins_planned"] = plan_checkins(session, start, end, now)
    counts["reminders_planned"] = plan_reminders(
        session, config.reminder_offsets, start, max(start, end), now, fresh_since)
    mark.through = min(max(end, mark.through or end), present + config.lookahead)
    mark.ran_at = min(max(now, mark.ran_at or now), present)
    return counts


def materialize_weekly(session: Session, config: ScheduleConfig, now: datetime) -> int:
    """Store the weekly meetings coming up soon enough to need reminders (once each)."""
    groups = list(session.scalars(select(Group).where(Group.weekly.is_not(None))))
    if not groups:
        return 0
    first = (now - timedelta(days=1)).date()
    last = (now + config.longest_offset + config.lookahead + timedelta(days=2)).date()
    rows = weekly_rows(groups, first, last, now)
    added = 0
    for start in range(0, len(rows), 500):
        added += insert_ignoring_duplicates(
            session, TherapySession.__table__, rows[start:start + 500], key=["occurrence_key"])
    return added


def sync_groups(session: Session, program: Program, mark: PlannerMark, now: datetime) -> int:
    """Apply the program file's `groups:` list when it changed since the last sync."""
    try:
        entries = group_service.validate_program_groups(program.raw.get("groups"))
    except group_service.GroupError as exc:
        log.error("%s; the program file's groups were not applied", exc)
        return 0
    digest = group_service.program_groups_digest(entries)
    if mark.digest == digest:
        return 0
    changed = group_service.sync_program_groups(session, entries, program.timezone, now)
    mark.digest = digest
    return retire_weekly(session, changed, now) if changed else 0


def resume_expired_pauses(session: Session, now: datetime) -> int:
    """Turn check-ins back on for pauses whose end date has passed everywhere on Earth."""
    result = session.execute(
        update(Participant)
        .where(and_(Participant.status == "paused", Participant.paused_until.is_not(None),
                    Participant.paused_until < (now - timedelta(days=1)).date()))
        .values(status="active", paused_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


FIRE_RETENTION = timedelta(days=14)  # settled fires are bookkeeping: the outbox keeps the record


def prune_fires(session: Session, now: datetime) -> int:
    """Once a day, delete fires settled more than FIRE_RETENTION ago."""
    mark = session.get(PlannerMark, "prune")
    if mark is None:
        mark = PlannerMark(name="prune")
        session.add(mark)
    elif mark.through is not None and mark.through > now - timedelta(days=1):
        return 0
    mark.through = now
    result = session.execute(
        delete(Fire).where(Fire.state.not_in(("pending", "deferred")),
                           Fire.due_at < now - FIRE_RETENTION)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
