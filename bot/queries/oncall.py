"""Who is on call: a weekly rota plus one-off overrides; the one place that decides it.

Precedence, at an instant `now`:
1. an override covering `now` replaces the rota (its counselors are on call, nobody else);
2. otherwise the weekly shifts covering `now` in the clinic's time zone;
3. a clinic with no weekly shift at all keeps the old behaviour: counselors enrolled with
   `--on-call` are on call around the clock.
Deactivated counselors are never on call.

Read with Core statements on `bot.tables` (`iopbot oncall show` imports no ORM); `conn` is a
Connection or a Session. `bot.services.oncall` gives the same answer as model objects and
changes the rota.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, select

from bot.program import parse_hhmm
from bot.rules.rota import WEEKDAYS, covers
from bot.tables import counselors, oncall_overrides, oncall_shifts


def on_call_condition(conn: Any, timezone: str, now: datetime) -> ColumnElement[bool] | None:
    """Which counselors are on call at `now`, as a condition on the counselors table; None when
    nobody is (see the module docstring for precedence; `timezone`: the clinic's)."""
    c = counselors.c
    covering = set(conn.scalars(select(oncall_overrides.c.counselor_id).where(
        oncall_overrides.c.starts_at <= now, oncall_overrides.c.ends_at > now)))
    if covering:
        return and_(c.id.in_(covering), c.active)
    shifts = conn.execute(select(oncall_shifts.c.counselor_id, oncall_shifts.c.weekday,
                                 oncall_shifts.c.starts, oncall_shifts.c.ends)).all()
    if not shifts:
        return and_(c.on_call, c.active)
    local = now.astimezone(ZoneInfo(timezone))
    ids = {cid for cid, day, a, b in shifts if covers(day, parse_hhmm(a), parse_hhmm(b), local)}
    return and_(c.id.in_(ids), c.active) if ids else None


def on_call_rows(conn: Any, timezone: str, now: datetime) -> list[Row]:
    """The active counselors on call at `now`, by id: rows of (id, name, phone)."""
    condition = on_call_condition(conn, timezone, now)
    if condition is None:
        return []
    c = counselors.c
    return list(conn.execute(select(c.id, c.name, c.phone).where(condition).order_by(c.id)))


def rota_in_use(conn: Any) -> bool:
    """True once the clinic has any weekly shift (the --on-call flags then no longer count)."""
    return conn.scalar(select(oncall_shifts.c.id).limit(1)) is not None


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


def rota(conn: Any, now: datetime) -> list[RotaLine]:
    """The weekly shifts (Monday first) and the overrides not yet over (soonest first)."""
    lines = []
    s, o, c = oncall_shifts.c, oncall_overrides.c, counselors.c
    rows = conn.execute(select(s.id, s.weekday, s.starts, s.ends, c.name, c.phone).join(
        counselors, s.counselor_id == c.id).order_by(s.weekday, s.starts, s.id))
    for sid, weekday, starts, ends, name, phone in rows:
        lines.append(RotaLine("shift", sid, f"{WEEKDAYS[weekday]} {starts}-{ends}", name, phone,
                              weekday=weekday, starts=starts, ends=ends))
    rows = conn.execute(select(o.id, o.starts_at, o.ends_at, o.note, c.name, c.phone).join(
        counselors, o.counselor_id == c.id).where(o.ends_at > now).order_by(o.starts_at, o.id))
    for oid, starts_at, ends_at, note, name, phone in rows:
        lines.append(RotaLine("override", oid,
                              f"{starts_at:%Y-%m-%dT%H:%MZ} to {ends_at:%Y-%m-%dT%H:%MZ}",
                              name, phone, starts_at=starts_at, ends_at=ends_at, note=note))
    return lines
