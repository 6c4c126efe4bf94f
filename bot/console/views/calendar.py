"""The week calendar: group sessions, one-off sessions and appointments, and adding them.

Adding goes through the services `iopbot group add` and `iopbot session add` use, so the
checks and their one-line errors are the CLI's; the signed-in person is the audit actor.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import insert, select, true

from bot.console import bp
from bot.console.access import participant_scope
from bot.console.auth import StaffUser, audit_view, role_required, signed_in_staff
from bot.models import AuditEvent, Counselor, Group, Participant
from bot.program import parse_timezone
from bot.queries.calendar import (
    appointment_days,
    by_day,
    reminder_lead,
    week_bounds,
    week_sessions,
)
from bot.rules.timing import local_to_utc
from bot.runtime import current
from bot.services.people import find_participant
from bot.services.schedule.groups import add_group
from bot.services.schedule.sessions import SessionError, add_session

# A supervisor's week lists every appointment up to this many; beyond that (a large clinic
# has a thousand a week) it shows how many each day has and lists one counselor's at a time.
LIST_LIMIT = 150


def monday_of(text: str | None) -> date:
    """The Monday of the week holding `text` (YYYY-MM-DD), or of today in the clinic's zone."""
    rt = current()
    if text:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            abort(400)
    else:
        day = rt.now().astimezone(ZoneInfo(rt.program.timezone)).date()
    return day - timedelta(days=day.weekday())


def typed_instant(day: str, clock: str, zone: str) -> datetime:
    """A date and a wall-clock time typed in a form, in `zone` (as the CLI reads --start)."""
    text = f"{day.strip()}T{clock.strip()}"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SessionError(f"not an ISO-8601 date-time: {text!r}") from None
    return local_to_utc(value.date(), value.time(), parse_timezone(zone))


def audit_shown(s, staff: StaffUser, participant_ids) -> None:
    """One `console.view` event per participant named on the page, as `audit_views` writes
    them, in one INSERT (a supervisor's week can name a thousand people)."""
    rt = current()
    page = request.full_path.rstrip("?")[:200]
    rows = [{"at": rt.now(), "actor": staff.actor, "action": "console.view",
             "subject_type": "participant", "subject_id": pid, "detail": {},
             "staff_id": staff.id, "participant_id": pid, "page": page}
            for pid in sorted({pid for pid in participant_ids if pid is not None})]
    if rows:
        s.execute(insert(AuditEvent), rows)


def week_page(s, staff: StaffUser, monday: date, *, error: str | None = None,
              form: dict | None = None, opened: str | None = None):
    """Render the week starting `monday` (optionally with a form's error and values)."""
    rt = current()
    zone = rt.program.timezone
    first, end = week_bounds(monday, zone)
    counselor_id = request.args.get("counselor", type=int)
    collapsed: dict[date, int] | None = None
    if staff.role != "supervisor":
        who = participant_scope(staff)
    elif counselor_id:
        who = Participant.counselor_id == counselor_id
    else:
        counts = appointment_days(s, first, end, zone)
        who, collapsed = (true(), None) if sum(counts.values()) <= LIST_LIMIT else (None, counts)
    items = week_sessions(s, first, end, rt.now(), reminder_lead(rt.program), who)
    groups = s.scalars(select(Group).order_by(Group.name)).all()
    caseload, counselors = [], []
    if staff.role == "counselor":
        caseload = s.execute(select(Participant.id, Participant.name).where(
            Participant.counselor_id == staff.counselor_id, Participant.status != "discharged"
        ).order_by(Participant.name)).all()
    else:
        counselors = s.execute(select(Counselor.id, Counselor.name).where(
            Counselor.active.is_(True)).order_by(Counselor.name)).all()
    audit_view(s, staff, None, week=monday.isoformat(), shown=len(items))
    audit_shown(s, staff, [i.participant_id for i in items])
    today = rt.now().astimezone(ZoneInfo(zone)).date()
    return render_template(
        "console/calendar.html", days=by_day(items, monday, zone), monday=monday,
        previous=monday - timedelta(days=7), following=monday + timedelta(days=7),
        this_week=today - timedelta(days=today.weekday()), today=today, zone=zone,
        groups=groups, caseload=caseload, counselors=counselors, counselor_id=counselor_id,
        collapsed=collapsed, error=error, form=form or {}, opened=opened,
        supervisor=staff.role == "supervisor", now=rt.now(),
    )


@bp.get("/calendar")
@role_required("counselor", "supervisor")
def calendar():
    """A week (Monday to Sunday, clinic time) of sessions, with their reminder status."""
    staff = signed_in_staff()
    monday = monday_of(request.args.get("week"))
    with current().Session() as s, s.begin():
        return week_page(s, staff, monday)


def _refused(staff: StaffUser, message: str, opened: str):
    """The week page again with the one-line error above the form that was sent."""
    monday = monday_of(request.form.get("week"))
    with current().Session() as s, s.begin():
        return week_page(s, staff, monday, error=message, form=request.form.to_dict(),
                         opened=opened), 400


def _added(starts_at: datetime, message: str):
    rt = current()
    flash(message)
    local = starts_at.astimezone(ZoneInfo(rt.program.timezone)).date()
    return redirect(url_for("console.calendar", week=local.isoformat()))


@bp.post("/calendar/groups")
@role_required("supervisor")
def calendar_add_group():
    """Add a group with a weekly pattern (the checks of `iopbot group add`)."""
    staff = signed_in_staff()
    rt = current()
    form = request.form
    try:
        with rt.Session() as s, s.begin():
            group = add_group(
                s, name=form.get("name", ""), timezone=form.get("timezone", "").strip()
                or rt.program.timezone, weekly=form.get("weekly", "").strip() or None,
                location=form.get("location", "").strip() or None, now=rt.now(),
                actor=staff.actor)
            name, weekly = group.name, group.weekly
    except ValueError as exc:
        return _refused(staff, str(exc), "group")
    flash(f"Group {name} added" + (f", meeting {weekly}." if weekly else "."))
    return redirect(url_for("console.calendar", week=form.get("week") or None))


@bp.post("/calendar/sessions")
@role_required("counselor", "supervisor")
def calendar_add_session():
    """Add a one-off group session (supervisors) or an appointment (the participant's
    counselor, or a supervisor): the checks of `iopbot session add`."""
    staff = signed_in_staff()
    rt = current()
    form = request.form
    kind = form.get("kind")
    if kind not in ("group", "appointment"):
        abort(400)
    if kind == "group" and staff.role != "supervisor":
        abort(403)
    try:
        with rt.Session() as s, s.begin():
            group = person = None
            if kind == "group":
                group = s.get(Group, form.get("group_id", type=int) or 0)
                if group is None:
                    raise SessionError("choose a group")
            else:
                person = _participant(s, staff)
            zone = group.timezone if group else person.timezone
            row = add_session(
                s, starts_at=typed_instant(form.get("day", ""), form.get("start", ""), zone),
                ends_at=typed_instant(form.get("day", ""), form.get("end", ""), zone),
                now=rt.now(), group=group, participant=person,
                location=form.get("location", "").strip() or None, actor=staff.actor)
            what = f"{group.name} session" if group else f"Appointment with {person.name}"
            starts_at, sid = row.starts_at, row.id
    except ValueError as exc:
        return _refused(staff, str(exc), "group-session" if kind == "group" else kind)
    return _added(starts_at, f"{what} added (session {sid}). Reminders go out as usual.")


def _participant(s, staff: StaffUser) -> Participant:
    """The appointment's participant: picked from a counselor's own caseload, or found by
    phone number for a supervisor (as `--participant` in the CLI)."""
    rt = current()
    if staff.role == "counselor":
        person = s.get(Participant, request.form.get("participant_id", type=int) or 0)
        if person is None or person.counselor_id != staff.counselor_id:
            raise SessionError("choose one of your participants")
        return person
    return find_participant(s, request.form.get("phone", ""), rt.program.phone_region)
