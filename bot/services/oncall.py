"""Who is on call, as model objects, and changes to the rota.

Who is on call when is decided in one place, `bot.queries.oncall` (its docstring gives the
precedence of overrides, weekly shifts and the --on-call flag); this module returns those
counselors as `Counselor` objects and adds and removes shifts and overrides. (A session
flushes pending changes before a Core statement as before an ORM one: SQLAlchemy #9809.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, OnCallOverride, OnCallShift
from bot.program import Program
from bot.queries.oncall import RotaLine, on_call_condition, rota, rota_in_use
from bot.rules.rota import WEEKDAYS, parse_days, parse_hours

__all__ = ["OnCallError", "RotaLine", "add_override", "add_shifts", "clear_counselor",
           "is_on_call", "on_call_now", "remove", "rota", "rota_in_use"]


class OnCallError(ValueError):
    """A rota change that cannot be made; the message says why in one line."""


def on_call_now(session: Session, program: Program, now: datetime) -> list[Counselor]:
    """The active counselors on call at `now` (`bot.queries.oncall` decides who), by id."""
    condition = on_call_condition(session, program.timezone, now)
    if condition is None:
        return []
    return list(session.scalars(select(Counselor).where(condition).order_by(Counselor.id)))


def is_on_call(session: Session, program: Program, counselor: Counselor, now: datetime) -> bool:
    """Whether `counselor` is on call at `now`."""
    return any(c.id == counselor.id for c in on_call_now(session, program, now))


def add_shifts(session: Session, counselor: Counselor, days: str, hours: str, *, now: datetime,
               actor: str = "staff:cli") -> list[OnCallShift]:
    """Put `counselor` on the weekly rota on `days` for `hours` (clinic time)."""
    _usable(counselor)
    try:
        weekdays, (starts, ends) = parse_days(days), parse_hours(hours)
    except ValueError as exc:
        raise OnCallError(str(exc)) from None
    shifts = [OnCallShift(counselor_id=counselor.id, weekday=d, starts=f"{starts:%H:%M}",
                          ends=f"{ends:%H:%M}", created_at=now) for d in weekdays]
    session.add_all(shifts)
    session.flush()
    audit.record(session, "oncall.shift_added", now=now, actor=actor, subject_type="counselor",
                 subject_id=counselor.id, days=[WEEKDAYS[d] for d in weekdays],
                 hours=f"{starts:%H:%M}-{ends:%H:%M}")
    return shifts


def add_override(session: Session, counselor: Counselor, starts_at: datetime, ends_at: datetime,
                 *, now: datetime, note: str | None = None,
                 actor: str = "staff:cli") -> OnCallOverride:
    """Put `counselor` on call from `starts_at` to `ends_at`, replacing the rota meanwhile."""
    _usable(counselor)
    if ends_at <= starts_at:
        raise OnCallError("--to must be after --from")
    if ends_at <= now:
        raise OnCallError("that override is already over")
    row = OnCallOverride(counselor_id=counselor.id, starts_at=starts_at, ends_at=ends_at,
                         note=(note or None) and note[:200], created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, "oncall.override_added", now=now, actor=actor,
                 subject_type="counselor", subject_id=counselor.id, override_id=row.id,
                 starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
    return row


def remove(session: Session, *, now: datetime, shift_id: int | None = None,
           override_id: int | None = None, actor: str = "staff:cli") -> None:
    """Delete one weekly shift or one override."""
    model, key = (OnCallShift, shift_id) if shift_id is not None else (OnCallOverride,
                                                                         override_id)
    what = "shift" if model is OnCallShift else "override"
    row = session.get(model, key)
    if row is None:
        raise OnCallError(f"there is no on-call {what} {key}")
    session.delete(row)
    audit.record(session, f"oncall.{what}_removed", now=now, actor=actor,
                 subject_type="counselor", subject_id=row.counselor_id, row_id=key)


def clear_counselor(session: Session, counselor: Counselor, now: datetime) -> int:
    """Take a counselor off the rota and out of future overrides (on deactivation)."""
    gone = session.execute(delete(OnCallShift).where(
        OnCallShift.counselor_id == counselor.id)).rowcount or 0
    gone += session.execute(delete(OnCallOverride).where(
        OnCallOverride.counselor_id == counselor.id, OnCallOverride.ends_at > now)).rowcount or 0
    return gone


def _usable(counselor: Counselor) -> None:
    if not counselor.active:
        raise OnCallError(f"{counselor.name} is deactivated and cannot be on call")
