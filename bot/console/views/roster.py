"""Running the roster from the console: enrol, edit, pause and resume, discharge, re-admit.

Every change goes through the same service as the `iopbot participant ...` command, so the
checks and the one-line errors are the CLI's, and the audit names the signed-in person.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.console import bp
from bot.console.auth import StaffUser, audit_view, role_required, signed_in_staff
from bot.console.roster_rights import roster_rights
from bot.console.views.participants import visible_participant
from bot.models import Counselor, Group, Participant
from bot.program import LANGUAGES
from bot.runtime import current
from bot.services.counselors import assign_counselor, find_counselor
from bot.services.people import DISCHARGE_REASONS, Enrolment, add_participant, discharge
from bot.services.roster import change_phone, readmit, rename
from bot.services.schedule.groups import find_group
from bot.services.schedule.participants import update_participant
from bot.services.schedule.pausing import pause, resume

CONSENT_SOURCE = "enrolment by staff (console)"
READMIT_SOURCE = "re-admission by staff (console)"
LANGUAGE_NAMES = {code: {"en": "English", "es": "Spanish"}.get(code, code) for code in LANGUAGES}
REASON_NAMES = {"completed": "Completed the program", "transferred": "Transferred",
                "stopped_attending": "Stopped attending", "administrative": "Administrative",
                "other": "Other"}
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
         "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico")
ENROL_FIELDS = ("name", "phone", "counselor", "timezone", "language", "checkin_time", "group")


def _choices(s) -> dict:
    """Active counselors (by phone, as the CLI names them) and groups, for the forms' lists."""
    counselors = s.execute(select(Counselor.name, Counselor.phone)
                           .where(Counselor.active.is_(True)).order_by(Counselor.name)).all()
    groups = s.scalars(select(Group.name).order_by(Group.name)).all()
    return {"counselors": counselors, "groups": groups, "languages": LANGUAGE_NAMES,
            "zones": ZONES, "reasons": {r: REASON_NAMES.get(r, r) for r in DISCHARGE_REASONS}}


# --- enrol --------------------------------------------------------------------------------

@bp.route("/participants/new", methods=["GET", "POST"])
@role_required("supervisor")
def participant_new():
    """Enrol a participant: the CLI's `participant add`, opt-in confirmation text included."""
    staff = signed_in_staff()
    rt = current()
    form = {k: request.form.get(k, "").strip() for k in ENROL_FIELDS}
    error = None
    if request.method == "POST":
        error = None if request.form.get("consent") == "yes" else (
            "confirm that they agreed to get texts from the program")
        if error is None:
            try:
                with rt.Session() as s, s.begin():
                    person = add_participant(s, rt.program, Enrolment(
                        name=form["name"], phone=form["phone"], counselor_phone=form["counselor"],
                        timezone=form["timezone"], language=form["language"] or "en",
                        checkin_time=form["checkin_time"] or None, group=form["group"] or None,
                        consent_source=CONSENT_SOURCE), rt.now(), actor=staff.actor)
                    pid, name, phone = person.id, person.name, person.phone
            except ValueError as exc:
                error = str(exc)
            else:
                flash(f"{name} is enrolled. The opt-in confirmation text to {phone} is queued; "
                      "check-ins start after it is sent.")
                return redirect(url_for("console.participant", participant_id=pid))
    else:
        form.update(timezone=rt.program.timezone, language=rt.program.default_language)
    with rt.Session() as s:
        page = render_template("console/participant_new.html", form=form, error=error,
                               default_time=rt.program.section("checkin").get("default_time",
                                                                               "17:00"),
                               **_choices(s))
    return page, (400 if error else 200)


# --- edit ---------------------------------------------------------------------------------

def _reachable(s, staff: StaffUser, participant_id: int, need: str) -> Participant:
    """The participant when `staff` may do `need` (a RosterRights field); 404 outside their
    reach, 403 when they see the person but may not make this change."""
    person = visible_participant(s, staff, participant_id)
    if not getattr(roster_rights(staff, person), need):
        abort(403)
    return person


def _edit_page(participant_id: int, *, error: str | None = None, form: dict | None = None):
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        person = visible_participant(s, staff, participant_id)
        rights = roster_rights(staff, person)
        if not rights.any:
            abort(403)
        group = s.get(Group, person.group_id) if person.group_id else None
        values = {"name": person.name, "phone": person.phone, "timezone": person.timezone,
                  "language": person.language, "checkin_time": person.checkin_time,
                  "group": group.name if group else "", "counselor": person.counselor.phone}
        values.update(form or {})
        audit_view(s, staff, person.id)
        page = render_template(
            "console/participant_edit.html", p=person, form=values, rights=rights, error=error,
            first_day=person_today(person, rt.now()) + timedelta(days=1),
            **_choices(s))
    return page, (400 if error else 200)


def person_today(person: Participant, now: datetime) -> date:
    """The participant's local date (a pause must end after it)."""
    return now.astimezone(ZoneInfo(person.timezone)).date()


@bp.get("/participants/<int:participant_id>/edit")
@role_required("counselor", "supervisor")
def participant_edit(participant_id: int):
    """The edit form, with pause/resume and (for supervisors) discharge and re-admit."""
    return _edit_page(participant_id)


DETAIL_FIELDS = ("phone", "timezone", "language", "group", "counselor")


def _changed(form: dict, current_values: dict) -> dict:
    """The submitted fields whose value differs from the participant's (blank check-in time
    means no change; a blank name or phone is a change, refused by the service)."""
    return {k: v for k, v in form.items()
            if v != current_values[k] and not (k == "checkin_time" and not v)}


def _apply(s, rt, staff: StaffUser, person: Participant, wanted: dict) -> list[str]:
    """Make the changes through the CLI's services, in the CLI's order; returns what changed."""
    now, region = rt.now(), rt.program.phone_region
    group = find_group(s, wanted["group"]) if wanted.get("group") else None
    counselor = (find_counselor(s, wanted["counselor"], "--counselor", region)
                 if "counselor" in wanted else None)
    changes = []
    scheduling = {k: wanted[k] for k in ("checkin_time", "timezone", "language") if k in wanted}
    if scheduling or "group" in wanted:
        changes += update_participant(s, rt.program, person, now, group=group,
                                      no_group="group" in wanted and group is None,
                                      actor=staff.actor, **scheduling)
    if "name" in wanted:
        rename(s, person, wanted["name"], now, actor=staff.actor)
        changes.append(f"name={person.name}")
    if "phone" in wanted and change_phone(s, rt.program, person, wanted["phone"], now,
                                          actor=staff.actor):
        changes.append(f"phone={person.phone} (opt-in confirmation text queued)")
    if counselor is not None and counselor.id != person.counselor_id:
        moved = assign_counselor(s, rt, person, counselor, now, actor=staff.actor)
        changes.append(f"counselor={counselor.name}"
                       + (f" ({moved} open alert(s) moved)" if moved else ""))
    return changes


@bp.post("/participants/<int:participant_id>/edit")
@role_required("counselor", "supervisor")
def participant_update(participant_id: int):
    """Save the edit form: the CLI's `participant update`, limited by the person's role."""
    staff = signed_in_staff()
    rt = current()
    fields = ("name", "checkin_time", *DETAIL_FIELDS)
    form = {k: " ".join(request.form[k].split()) if k == "name" else request.form[k].strip()
            for k in fields if k in request.form}
    try:
        with rt.Session() as s, s.begin():
            person = _reachable(s, staff, participant_id, "basics")
            rights = roster_rights(staff, person)
            group = s.get(Group, person.group_id) if person.group_id else None
            now_values = {"name": person.name, "phone": person.phone,
                          "timezone": person.timezone, "language": person.language,
                          "checkin_time": person.checkin_time,
                          "group": group.name if group else "",
                          "counselor": person.counselor.phone}
            wanted = _changed(form, now_values)
            if not rights.details and set(wanted) & set(DETAIL_FIELDS):
                abort(403)  # a counselor changes only the preferred name and check-in time
            changes = _apply(s, rt, staff, person, wanted) if wanted else []
    except ValueError as exc:
        return _edit_page(participant_id, error=str(exc), form=form)
    flash(f"Saved: {'; '.join(changes)}." if changes else "Nothing to change.")
    return redirect(url_for("console.participant", participant_id=participant_id))


# --- pause, resume, discharge, re-admit ---------------------------------------------------

def _status_action(participant_id: int, need: str, act) -> object:
    """Run `act(session, person, staff, rt)` -> flash text; a one-line error re-shows the edit
    page (400) with nothing changed."""
    staff = signed_in_staff()
    rt = current()
    try:
        with rt.Session() as s, s.begin():
            person = _reachable(s, staff, participant_id, need)
            done = act(s, person, staff, rt)
    except ValueError as exc:
        return _edit_page(participant_id, error=str(exc))
    flash(done)
    back = "console.participant_edit" if request.form.get("back") == "edit" \
        else "console.participant"
    return redirect(url_for(back, participant_id=participant_id))


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--until: not a date (YYYY-MM-DD): {text!r}") from None


@bp.post("/participants/<int:participant_id>/pause")
@role_required("counselor", "supervisor")
def participant_pause(participant_id: int):
    """Pause daily check-ins until a date (or until resumed); session reminders carry on."""
    def act(s, person, staff, rt):
        until = _day(request.form.get("until", ""))
        pause(s, person, rt.now(), until=until, actor=staff.actor)
        return (f"Check-ins for {person.name} are paused"
                + (f" until {until:%a %b} {until.day}." if until else " until you resume them."))
    return _status_action(participant_id, "pause", act)


@bp.post("/participants/<int:participant_id>/resume")
@role_required("counselor", "supervisor")
def participant_resume(participant_id: int):
    """Turn daily check-ins back on."""
    def act(s, person, staff, rt):
        if not resume(s, person, rt.now(), actor=staff.actor):
            return f"{person.name} was not paused."
        return f"Check-ins for {person.name} are back on."
    return _status_action(participant_id, "pause", act)


@bp.post("/participants/<int:participant_id>/discharge")
@role_required("supervisor")
def participant_discharge(participant_id: int):
    """Discharge with a reason: nothing more is scheduled or sent to them."""
    def act(s, person, staff, rt):
        reason = request.form.get("reason", "")
        if not reason:
            raise ValueError(f"--reason must be one of {', '.join(DISCHARGE_REASONS)}")
        discharge(s, person.phone, rt.now(), rt.program.phone_region, reason=reason,
                  actor=staff.actor)
        return f"{person.name} is discharged. Texts not yet sent to them were withdrawn."
    return _status_action(participant_id, "discharge", act)


@bp.post("/participants/<int:participant_id>/readmit")
@role_required("supervisor")
def participant_readmit(participant_id: int):
    """Re-admit a discharged participant; they get the opt-in confirmation text again."""
    def act(s, person, staff, rt):
        phone = request.form.get("counselor", "").strip()
        counselor = (find_counselor(s, phone, "--counselor", rt.program.phone_region)
                     if phone else None)
        readmit(s, rt.program, person, rt.now(), counselor=counselor, actor=staff.actor,
                consent_source=READMIT_SOURCE)
        return (f"{person.name} is re-admitted. The opt-in confirmation text is queued; "
                "check-ins start again after it is sent.")
    return _status_action(participant_id, "discharge", act)
