"""Who is on call now, the weekly rota and one-off overrides (all staff see; supervisors edit)."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.console.form_errors import form_words
from bot.console.formatting import local
from bot.models import Counselor
from bot.program import parse_timezone
from bot.rules.rota import WEEKDAYS
from bot.rules.timing import local_to_utc
from bot.runtime import current
from bot.services import oncall as service
from bot.services.oncall import OnCallError

EDITORS = ("supervisor", "admin")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@bp.get("/oncall")
@role_required("counselor", *EDITORS)
def oncall(error: str | None = None, form: dict | None = None):
    """Who is on call now (and why), the weekly rota, and overrides not yet over."""
    staff, rt = signed_in_staff(), current()
    now = rt.now()
    with rt.Session() as s:
        people = service.on_call_now(s, rt.program, now)
        lines = service.rota(s, now)
        weekly = service.rota_in_use(s)
        counselors = list(s.execute(select(Counselor.id, Counselor.name).where(
            Counselor.active).order_by(Counselor.name, Counselor.id)))
    shifts = [line for line in lines if line.kind == "shift"]
    overrides = [line for line in lines if line.kind == "override"]
    covering = any(o.starts_at <= now < o.ends_at for o in overrides)
    why = ("an override replaces the weekly rota right now" if covering
           else "from the weekly rota" if weekly
           else "no weekly rota: counselors marked “on call” are on call all week")
    return render_template(
        "console/oncall.html", people=people, why=why, shifts=shifts, overrides=overrides,
        counselors=counselors, can_edit=staff.role in EDITORS, now=now, day_names=DAY_NAMES,
        weekdays=WEEKDAYS, timezone=rt.program.timezone, error=error, form=form or {},
        shift_hours=shift_hours)


def shift_hours(line: service.RotaLine) -> str:
    """'09:00–17:00', '17:00–09:00 next day' or 'all day from 08:00' for a weekly shift."""
    if line.starts == line.ends:
        return "all day" if line.starts == "00:00" else f"24 hours from {line.starts}"
    late = " next day" if (line.ends or "") < (line.starts or "") else ""
    return f"{line.starts}–{line.ends}{late}"


def _counselor(s: Session, raw: str) -> Counselor:
    found = s.get(Counselor, int(raw)) if raw.isdigit() else None
    if found is None:
        raise OnCallError("choose a counselor from the list")
    return found


def _edit(action, **form_overrides):
    """Run `action(session, now, actor)` in one transaction; a refusal re-shows the page (400)."""
    me, rt = signed_in_staff(), current()
    try:
        with rt.Session() as s, s.begin():
            message = action(s, rt.now(), me.actor)
    except OnCallError as exc:
        return oncall(error=form_words(str(exc)),
                      form={**request.form.to_dict(), **form_overrides}), 400
    flash(message)
    return redirect(url_for("console.oncall"))


@bp.post("/oncall/shifts")
@role_required(*EDITORS)
def oncall_shift_add():
    """Put a counselor on the weekly rota on the ticked days for a time range (clinic time)."""
    form = request.form
    days = ",".join(d for d in form.getlist("days") if d in WEEKDAYS)
    hours = f"{form.get('starts', '').strip()}-{form.get('ends', '').strip()}"

    def add(s: Session, now: datetime, actor: str) -> str:
        person = _counselor(s, form.get("counselor", ""))
        added = service.add_shifts(s, person, days, hours, now=now, actor=actor)
        return f"{person.name} is on call {hours} on {len(added)} weekday(s)."

    return _edit(add, days=form.getlist("days"))


@bp.post("/oncall/overrides")
@role_required(*EDITORS)
def oncall_override_add():
    """Put a counselor on call once, from a start to an end (clinic time), replacing the rota."""
    form = request.form
    zone = current().program.timezone

    def add(s: Session, now: datetime, actor: str) -> str:
        person = _counselor(s, form.get("counselor", ""))
        starts = local_datetime(form.get("starts_at", ""), zone, "start")
        ends = local_datetime(form.get("ends_at", ""), zone, "end")
        service.add_override(s, person, starts, ends, now=now, note=form.get("note") or None,
                             actor=actor)
        return f"{person.name} is on call from {local(starts)} to {local(ends)}."

    return _edit(add)


def local_datetime(text: str, zone: str, what: str) -> datetime:
    """A date and time typed in the clinic's zone (or with an offset), as an aware instant."""
    raw = text.strip()
    if not raw:
        raise OnCallError(f"give the {what} date and time")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise OnCallError(f"the {what} is not a date and time: {raw!r}") from None
    if value.tzinfo is None:
        return local_to_utc(value.date(), value.time(), parse_timezone(zone))
    return value


@bp.post("/oncall/shifts/<int:shift_id>/remove")
@role_required(*EDITORS)
def oncall_shift_remove(shift_id: int):
    """Delete one weekly shift."""

    def drop(s: Session, now: datetime, actor: str) -> str:
        service.remove(s, now=now, shift_id=shift_id, actor=actor)
        return "Shift removed from the weekly rota."

    return _edit(drop)


@bp.post("/oncall/overrides/<int:override_id>/remove")
@role_required(*EDITORS)
def oncall_override_remove(override_id: int):
    """Delete one override."""

    def drop(s: Session, now: datetime, actor: str) -> str:
        service.remove(s, now=now, override_id=override_id, actor=actor)
        return "Override removed."

    return _edit(drop)
