"""Climbing the escalation ladder: who to text at each step, and taking due steps."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.clinic import packaged
from bot.models import Alert, AlertEvent, Counselor
from bot.program import Program
from bot.rules.ladder import Ladder, ladder_from_dict, next_step
from bot.runtime import Runtime
from bot.services.alert_pages import page, staff_text
from bot.services.oncall import on_call_now

log = logging.getLogger(__name__)


def escalation_path(program: Program) -> Path:
    """The clinic's ladder overrides next to the program file, else the packaged ladder."""
    local = program.path.parent / str(program.raw.get("escalation") or "escalation.yaml")
    return local if local.is_file() else packaged("escalation.yaml")


def ladder_for(program: Program) -> Ladder:
    """The clinic's escalation ladder: the packaged one with the clinic's overrides laid over it.

    Read and checked once, when the program was loaded (a broken file stops start-up), so a
    file edited while the bot runs can never stop a crisis page.
    """
    return ladder_from_dict(program.escalation, program.timezone)  # microseconds: no cache


def audience(session: Session, alert: Alert, name: str, program: Program,
             now: datetime) -> list[Counselor]:
    """Active counselors in an audience: assigned, on_call (the rota at `now`) or supervisors."""
    if name == "assigned":
        counselor = session.get(Counselor, alert.counselor_id) if alert.counselor_id else None
        return [counselor] if counselor is not None and counselor.active else []
    if name == "on_call":
        return on_call_now(session, program, now)
    return list(session.scalars(select(Counselor).where(Counselor.supervisor, Counselor.active)
                                .order_by(Counselor.id)))


def _unique(counselors: list[Counselor]) -> list[Counselor]:
    return list({c.id: c for c in counselors}.values())


def first_recipients(session: Session, ladder: Ladder, alert: Alert, program: Program,
                     now: datetime) -> list[Counselor]:
    """Who a new alert is texted to; if none of them is active, on-call then supervisors."""
    people = _unique([c for name in ladder.levels[alert.level].notify
                      for c in audience(session, alert, name, program, now)])
    for fallback in ("on_call", "supervisors"):
        if people:
            break
        people = audience(session, alert, fallback, program, now)
    return people


def first_notified(session: Session, alert: Alert) -> list[Counselor]:
    """The active counselors an alert was first texted to."""
    first = session.scalars(select(AlertEvent.counselor_id).where(
        AlertEvent.alert_id == alert.id, AlertEvent.detail == "step0",
        AlertEvent.action == "notified"))
    return [c for c in (session.get(Counselor, cid) for cid in first) if c and c.active]


def _step_recipients(session: Session, alert: Alert, action: str, program: Program,
                     now: datetime) -> list[Counselor]:
    if action == "resend":
        return first_notified(session, alert)
    return audience(session, alert, action, program, now)


def advance(session: Session, runtime: Runtime, alert: Alert, now: datetime) -> int:
    """Take every ladder step due at `now` for an open alert; returns how many were taken."""
    ladder = ladder_for(runtime.program)
    taken = 0
    while alert.state == "open":
        step = next_step(ladder, alert.level, alert.step, alert.deadline_at, now)
        if step is None:
            break
        alert.step, alert.deadline_at = step.number, step.deadline
        people = _step_recipients(session, alert, step.action, runtime.program, now)
        taken += 1
        if not people:  # nobody to tell at this step: log it and try the next one at once
            session.add(AlertEvent(alert_id=alert.id, at=now, action="skipped",
                                   detail=f"step{step.number} {step.action}: nobody to text"))
            audit.record(session, "alert.step_skipped", now=now, subject_type="alert",
                         subject_id=alert.id, step=step.number, audience=step.action)
            alert.deadline_at = now if step.deadline is not None else None
            continue
        minutes = max(1, int((now - alert.created_at).total_seconds() // 60))
        key = "alert.staff.resend" if step.action == "resend" else "alert.staff.escalated"
        body = staff_text(session, runtime, alert, key, minutes=minutes)
        page(session, runtime, alert, people, body=body, tag=f"step{step.number}",
             action="resent" if step.action == "resend" else "escalated", now=now)
        log.info("alert %s: step %s (%s) to %s counselor(s)", alert.id, step.number,
                 step.action, len(people))
    return taken
