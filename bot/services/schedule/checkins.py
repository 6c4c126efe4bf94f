"""Daily check-ins: the open one, answering it a question at a time, and missed ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.models import Participant
from bot.models.schedule import CheckIn
from bot.runtime import Runtime
from bot.services.alerts import raise_or_add

STEPS = ("craving", "use", "mood", "done")


def open_checkin(session: Session, participant_id: int, now: datetime) -> CheckIn | None:
    """The participant's latest check-in still waiting for an answer at `now`, if any."""
    return session.scalars(
        select(CheckIn)
        .where(CheckIn.participant_id == participant_id, CheckIn.step != "done",
               CheckIn.closes_at > now, CheckIn.asked_at <= now)
        .order_by(CheckIn.asked_at.desc())
        .limit(1)
    ).first()


def recent_cravings(
    session: Session, participant_id: int, now: datetime, days: int = 7
) -> list[int]:
    """Craving ratings the participant gave in the `days` before `now`, oldest first."""
    return list(session.scalars(
        select(CheckIn.craving)
        .where(CheckIn.participant_id == participant_id, CheckIn.craving.is_not(None),
               CheckIn.asked_at >= now - timedelta(days=days), CheckIn.asked_at <= now)
        .order_by(CheckIn.local_date)
    ))


@dataclass(frozen=True)
class Progress:
    """What the handler says after an answer: the next question's key, or thanks."""

    next_key: str
    done: bool


def record_answer(
    checkin: CheckIn, step: str, value: int | bool | None, now: datetime, ask_mood: bool
) -> Progress:
    """Store an understood answer to `step` and move the check-in to its next question."""
    if step == "craving":
        checkin.craving = int(value)
        checkin.step = "use"
    elif step == "use":
        checkin.used = bool(value)
        checkin.step = "mood" if ask_mood else "done"
    elif step == "mood":
        checkin.mood = None if value is None else int(value)
        checkin.step = "done"
    checkin.reasks = 0
    checkin.answered_at = checkin.answered_at or now
    if checkin.step == "done":
        checkin.completed_at = now
        return Progress("checkin.thanks", True)
    return Progress(f"checkin.{checkin.step}", False)


def mark_missed(session: Session, runtime: Runtime, now: datetime, streak: int) -> dict[str, int]:
    """Mark check-ins that closed unanswered as missed; alert once per `streak` in a row."""
    newly = session.execute(
        update(CheckIn)
        .where(CheckIn.closes_at <= now, CheckIn.answered_at.is_(None),
               CheckIn.missed.is_(False))
        .values(missed=True)
        .returning(CheckIn.participant_id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    counts = {"checkins_missed": len(newly), "missed_alerts": 0}
    if not newly or streak < 1:
        return counts
    for participant, first_date in _streaks(session, sorted(set(newly)), streak, now):
        raised = raise_or_add(  # a new alert of its own, never a follow-up
            add_to_open=False, session=session, runtime=runtime,
            participant=participant, level="concern", kind="missed_checkins",
            reasons=[f"{streak} daily check-ins missed in a row"],
            summary=f"missed {streak} daily check-ins in a row", now=now,
            dedupe_key=f"missed_checkins:{participant.id}:{first_date}",
        )
        counts["missed_alerts"] += 1 if raised.new else 0
    return counts


def _streaks(session: Session, participant_ids: list[int], streak: int, now: datetime):
    """(participant, first date of the run) for those whose last `streak` closed check-ins
    were all missed."""
    ranked = (
        select(
            CheckIn.participant_id, CheckIn.local_date, CheckIn.missed,
            func.row_number().over(
                partition_by=CheckIn.participant_id, order_by=CheckIn.local_date.desc()
            ).label("rank"),
        )
        .where(CheckIn.participant_id.in_(participant_ids), CheckIn.closes_at <= now)
        .subquery()
    )
    gone = func.sum(case((ranked.c.missed.is_(True), 1), else_=0))
    rows = session.execute(
        select(ranked.c.participant_id, func.count(), gone)
        .where(ranked.c.rank <= streak)
        .group_by(ranked.c.participant_id)
    ).all()
    qualifying = [pid for pid, total, missed in rows if total == streak and missed == streak]
    if not qualifying:
        return []
    people = session.scalars(select(Participant).where(
        Participant.id.in_(qualifying), Participant.status != "discharged"))
    return [(p, _run_start(session, p.id)) for p in people]


def _run_start(session: Session, participant_id: int):
    """The first date of the current run of missed check-ins (for a once-per-run alert key)."""
    last_answered = session.scalar(
        select(func.max(CheckIn.local_date)).where(
            CheckIn.participant_id == participant_id, CheckIn.answered_at.is_not(None))
    )
    stmt = select(func.min(CheckIn.local_date)).where(
        CheckIn.participant_id == participant_id, CheckIn.missed.is_(True))
    if last_answered is not None:
        stmt = stmt.where(CheckIn.local_date > last_answered)
    return session.scalar(stmt)
