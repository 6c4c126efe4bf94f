"""Who is on call: a weekly rota plus one-off overrides; the one place that decides it.

Precedence, at an instant `now`:
1. an override covering `now` replaces the rota (its counselors are on call, nobody else);
2. otherwise the weekly shifts covering `now` in the clinic's time zone;
3. a clinic with no weekly shift at all keeps the old behaviour: counselors enrolled with
   `--on-call` are on call around the clock.
Deactivated counselors are never on call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import audit
from bot.models import Counselor, OnCallOverride, OnCallShift
from bot.program import Program, parse_hhmm
from bot.rules.rota import WEEKDAYS, covers, parse_days, parse_hours


class OnCallError(ValueError):
    """A rota change that cannot be made; the message says why in one line."""


def _active(session: Session, ids: set[int]) -> list[Counselor]:
    if not ids:
        return []
    return list(session.scalars(select(Counselor).where(
        Counselor.id.in_(ids), Counselor.active).order_by(Counselor.id)))


def on_call_now(session: Session, program: Program, now: datetime) -> list[Counselor]:
    """The active counselors on call at `now` (see the module docstring for precedence)."""
    covering = set(session.scalars(select(OnCallOverride.counselor_id).where(
        OnCallOverride.starts_at <= now, OnCallOverride.ends_at > now)))
    if covering:
        return _active(session, covering)
    shifts = session.execute(select(OnCallShift.counselor_id, OnCallShift.weekday,
                                    OnCallShift.starts, OnCallShift.ends)).all()
    if not shifts:
        return list(session.scalars(select(Counselor).where(
            Counselor.on_call, Counselor.active).order_by(Counselor.id)))
    local = now.astimezone(ZoneInfo(program.timezone))
    return _active(session, {cid for cid, day, a, b in shifts
                             if covers(day, parse_hhmm(a), parse_hhmm(b), local)})


def is_on_call(session: Session, program: Program, counselor: Counselor, now: datetime) -> bool:
    """Whether `counselor` is on call at `now`."""
    return any(c.id == counselor.id for c in on_call_now(session, program, now))


def rota_in_use(session: Session) -> bool:
    """True once the clinic has any weekly shift (the --on-call flags then no longer count)."""
    return session.scalar(select(OnCallShift.id).limit(1)) is not None


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


@dataclass(frozen=True)
class RotaLine:
    """One row of the rota as shown to staff."""

    kind: str  # shift | override
    id: int
    when: str
    counselor: str
    phone: str
    # The raw values behind `when`, for pages that show them in the clinic's time zone.
    weekday: int | None = None
    starts: str | None = None
    ends: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str | None = None


def rota(session: Session, now: datetime) -> list[RotaLine]:
    """The weekly shifts (Monday first) and the overrides not yet over (soonest first)."""
    lines = []
    rows = session.execute(select(OnCallShift, Counselor).join(
        Counselor, OnCallShift.counselor_id == Counselor.id).order_by(
        OnCallShift.weekday, OnCallShift.starts, OnCallShift.id))
    for shift, c in rows:
        lines.append(RotaLine("shift", shift.id,
                              f"{WEEKDAYS[shift.weekday]} {shift.starts}-{shift.ends}",
                              c.name, c.phone, weekday=shift.weekday, starts=shift.starts,
                              ends=shift.ends))
    rows = session.execute(select(OnCallOverride, Counselor).join(
        Counselor, OnCallOverride.counselor_id == Counselor.id).where(
        OnCallOverride.ends_at > now).order_by(OnCallOverride.starts_at, OnCallOverride.id))
    for over, c in rows:
        lines.append(RotaLine("override", over.id,
                              f"{over.starts_at:%Y-%m-%dT%H:%MZ} to {over.ends_at:%Y-%m-%dT%H:%MZ}",
                              c.name, c.phone, starts_at=over.starts_at, ends_at=over.ends_at,
                              note=over.note))
    return lines


def _usable(counselor: Counselor) -> None:
    if not counselor.active:
        raise OnCallError(f"{counselor.name} is deactivated and cannot be on call")
