"""Climbing the escalation ladder: who to text at each step, and taking due steps."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Alert, AlertEvent, Counselor
from bot.program import Program
from bot.rules.ladder import Ladder, ladder_from_dict, next_step
from bot.runtime import Runtime
from bot.services.alerts import page, staff_text
from bot.services.oncall import on_call_now

log = logging.getLogger(__name__)


def escalation_path(program: Program) -> Path:
    """The ladder file next to the program file, else the packaged config/escalation.yaml."""
    local = program.path.parent / str(program.raw.get("escalation", "escalation.yaml"))
    return local if local.is_file() else _packaged()


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime: float, timezone: str) -> Ladder:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return ladder_from_dict(data, timezone)
    except (OSError, yaml.YAMLError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def _packaged() -> Path:
    return Path(str(files("config").joinpath("escalation.yaml")))


def ladder_for(program: Program, *, strict: bool = False) -> Ladder:
    """The clinic's escalation ladder (re-read when the file changes).

    A broken clinic file must never stop a crisis page: unless `strict` (start-up checks),
    it is logged and the packaged defaults are used instead.
    """
    path = escalation_path(program)
    try:
        return _load(path, path.stat().st_mtime, program.timezone)
    except (OSError, ValueError) as exc:
        if strict or path == _packaged():
            raise ValueError(str(exc)) from None
        log.error("escalation rules unusable, using the packaged defaults: %s", exc)
        packaged = _packaged()
        return _load(packaged, packaged.stat().st_mtime, program.timezone)


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
