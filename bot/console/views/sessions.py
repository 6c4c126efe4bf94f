"""One session's page: when, who, reminder status; moving or cancelling it.

Moving and cancelling are `iopbot session move` and `iopbot session cancel`: the same checks,
one-line errors, withdrawn reminders and texts to the participants. A weekly meeting the clock
has not stored yet is stored first (under its occurrence key, as the clock would).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for

from bot.console import bp
from bot.console.auth import StaffUser, audit_view, role_required, signed_in_staff
from bot.console.views.calendar import typed_instant
from bot.models import Participant
from bot.queries.calendar import CalendarSession, add_reminders, group_sizes, reminder_lead
from bot.queries.session_detail import find_session, session_zone, store_session
from bot.runtime import current
from bot.services.schedule.sessions import cancel_session, move_session


def may_change(s, staff: StaffUser, item: CalendarSession) -> bool:
    """Supervisors change any session; a counselor only appointments of their own caseload."""
    if staff.role == "supervisor":
        return True
    if item.is_group or staff.role != "counselor":
        return False
    person = s.get(Participant, item.participant_id)
    return person is not None and person.counselor_id == staff.counselor_id


def visible(s, staff: StaffUser, ref: str) -> CalendarSession:
    """The session, or 404 when there is none or it is an appointment outside reach."""
    item = find_session(s, staff, ref, current().now())
    if item is None:
        abort(404)
    return item


def session_page(s, staff: StaffUser, item: CalendarSession, *, error: str | None = None,
                 form: dict | None = None):
    """Render one session's page (optionally with a form's error and values)."""
    rt = current()
    zone = session_zone(s, item)
    tz = ZoneInfo(zone)
    if item.participant_id:
        audit_view(s, staff, item.participant_id, session=item.ref)
    if item.id is not None:
        add_reminders(s, {item.id: item}, item.starts_at, item.starts_at + timedelta(seconds=1),
                      reminder_lead(rt.program))
    item.members = group_sizes(s).get(item.group_id, 0) if item.is_group else 1
    values = {"day": item.starts_at.astimezone(tz).date().isoformat(),
              "start": item.starts_at.astimezone(tz).strftime("%H:%M"),
              "end": item.ends_at.astimezone(tz).strftime("%H:%M"), **(form or {})}
    return render_template(
        "console/session.html", item=item, zone=zone, clinic_zone=rt.program.timezone,
        can_change=may_change(s, staff, item) and item.status == "scheduled",
        started=item.starts_at <= rt.now(), now=rt.now(), error=error, form=values,
        week=item.starts_at.astimezone(ZoneInfo(rt.program.timezone)).date().isoformat())


@bp.get("/sessions/<ref>")
@role_required("counselor", "supervisor")
def calendar_session(ref: str):
    """One session: time, place, who it is for, and (to those allowed) move and cancel."""
    staff = signed_in_staff()
    with current().Session() as s, s.begin():
        return session_page(s, staff, visible(s, staff, ref))


def _change(ref: str, verb: str):
    staff = signed_in_staff()
    rt = current()
    try:
        with rt.Session() as s, s.begin():
            item = visible(s, staff, ref)
            if not may_change(s, staff, item):
                abort(403)
            row = store_session(s, item, rt.now())
            if verb == "cancel":
                told = cancel_session(s, rt.program, row.id, rt.now(), actor=staff.actor)
            else:
                zone = session_zone(s, item)
                day = request.form.get("day", "")
                told = move_session(
                    s, rt.program, row.id, typed_instant(day, request.form.get("start", ""), zone),
                    typed_instant(day, request.form.get("end", ""), zone), rt.now(),
                    actor=staff.actor)
            sid = row.id
    except ValueError as exc:
        with rt.Session() as s, s.begin():
            return session_page(s, staff, visible(s, staff, ref), error=str(exc),
                                form=request.form.to_dict()), 400
    done = "cancelled" if verb == "cancel" else "moved"
    flash(f"Session {sid} {done}; {told} participant(s) will be told.")
    return redirect(url_for("console.calendar_session", ref=sid))


@bp.post("/sessions/<ref>/move")
@role_required("counselor", "supervisor")
def calendar_move(ref: str):
    """Reschedule: reminders follow the new time and the participants are told."""
    return _change(ref, "move")


@bp.post("/sessions/<ref>/cancel")
@role_required("counselor", "supervisor")
def calendar_cancel(ref: str):
    """Cancel: unsent reminders are withdrawn and the participants are told."""
    return _change(ref, "cancel")
