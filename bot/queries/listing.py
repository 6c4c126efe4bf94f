"""The rows `iopbot participant list`, `counselor list`, `group list`, `alert list` and
`staff list` print, read with Core.

Importing this module imports SQLAlchemy Core and `bot.tables` only, not the ORM nor the
models (a command's start-up). `conn` is a Connection or a Session: both execute these.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.tables import alerts, counselors, first_name_initial, groups, participants, phone_numbers
from bot.tables import staff_accounts as staff


def phone_status(status: str, opted_out: bool | None, flag: str | None) -> str:
    """'active', 'active,opted-out', 'paused,flagged:landline' ... (`opted_out` and `flag` of
    the number's phone_numbers row; None when it has none)."""
    parts = [status]
    if opted_out:
        parts.append("opted-out")
    if flag:
        parts.append(f"flagged:{flag}")
    return ",".join(parts)


def participant_lines(conn: Any) -> Iterator[str]:
    """Per participant, by id: id, name, phone, status, language, check-in time, group (or -),
    counselor, tab-separated; the status adds ",opted-out" and ",flagged:REASON"."""
    p = participants.c
    rows = conn.execute(
        select(p.id, p.name, p.phone, p.status, p.language, p.checkin_time, groups.c.name,
               counselors.c.name, phone_numbers.c.opted_out, phone_numbers.c.flag)
        .join(counselors, p.counselor_id == counselors.c.id)
        .outerjoin(groups, p.group_id == groups.c.id)
        .outerjoin(phone_numbers, phone_numbers.c.phone == p.phone)
        .order_by(p.id)
    )
    for (pid, name, phone, status, language, checkin_time, group_name, counselor_name,
         opted_out, flag) in rows:
        yield "\t".join([str(pid), name, phone, phone_status(status, opted_out, flag), language,
                         checkin_time, group_name or "-", counselor_name])


def counselor_lines(conn: Any, timezone: str, now: datetime) -> Iterator[str]:
    """Per counselor, by id: id, name, phone, and on-call now / supervisor / inactive (or -);
    `timezone`: the clinic's (for the weekly rota)."""
    from bot.queries.oncall import on_call_rows

    now_on = {row.id for row in on_call_rows(conn, timezone, now)}
    c = counselors.c
    rows = conn.execute(select(c.id, c.name, c.phone, c.supervisor, c.active).order_by(c.id))
    for cid, name, phone, supervisor, active in rows:
        flags = [f for f, on in (("on-call", cid in now_on), ("supervisor", supervisor),
                                 ("inactive", not active)) if on]
        yield f"{cid}\t{name}\t{phone}\t{','.join(flags) or '-'}"


def group_lines(conn: Any) -> Iterator[str]:
    """Per group, by name: id, name, time zone, weekly pattern, location (or -)."""
    g = groups.c
    rows = conn.execute(select(g.id, g.name, g.timezone, g.weekly, g.location).order_by(g.name))
    for gid, name, timezone, weekly, location in rows:
        yield "\t".join([str(gid), name, timezone, weekly or "-", location or "-"])


def alert_who(participant_id: int | None, participant_name: str | None,
              phone: str | None) -> str:
    """The minimum-necessary reference to the person an alert is about."""
    if participant_id is not None:
        return first_name_initial(participant_name, participant_id)
    return f"unknown number ending {(phone or '')[-4:]}"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%MZ") if value else "-"


def alert_lines(conn: Any, *, only_open: bool = False) -> Iterator[str]:
    """Alerts, newest first: id, level, state, who, kind, created, step, deadline, reasons."""
    a = alerts.c
    stmt = (
        select(a.id, a.level, a.state, a.participant_id, participants.c.name, a.phone, a.kind,
               a.created_at, a.step, a.deadline_at, a.reasons)
        .outerjoin(participants, a.participant_id == participants.c.id)
        .order_by(a.id.desc())
    )
    if only_open:
        stmt = stmt.where(a.state != "resolved")
    for (aid, level, state, participant_id, name, phone, kind, created_at, step, deadline_at,
         reasons) in conn.execute(stmt):
        text = ", ".join(reasons or []) or kind
        yield (f"{aid}\t{level}\t{state}\t{alert_who(participant_id, name, phone)}\t{kind}\t"
               f"created {_when(created_at)}\tstep {step}\tdeadline {_when(deadline_at)}\t{text}")


def staff_lines(conn: Any) -> Iterator[str]:
    """Every account by email: email, name, role, state, second factor, last sign-in."""
    s = staff.c
    rows = conn.execute(
        select(s.email, s.name, s.role, s.active, s.password_hash, s.totp_secret,
               s.last_sign_in_at).order_by(s.email)
    )
    for email, name, role, active, password_hash, totp_secret, last_sign_in_at in rows:
        state = "active" if active else "disabled"
        if active and password_hash is None:
            state = "no-password-yet"
        yield (f"{email}\t{name}\t{role}\t{state}\t"
               f"totp {'on' if totp_secret else 'off'}\tlast sign-in {_when(last_sign_in_at)}")
