"""Supervisors and admins: the counselors, adding and editing one, and deactivating a leaver."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.console.form_errors import form_words
from bot.models import Counselor
from bot.queries.staffing import counselor_rows
from bot.runtime import current
from bot.services.counselors import caseload, deactivate_counselor, update_counselor
from bot.services.oncall import on_call_now
from bot.services.people import EnrolmentError, add_counselor

ROLES = ("supervisor", "admin")


def _on_call_ids(s: Session) -> set[int]:
    rt = current()
    return {c.id for c in on_call_now(s, rt.program, rt.now())}


@bp.get("/counselors")
@role_required(*ROLES)
def counselors(error: str | None = None, form: dict | None = None):
    """Every counselor with caseload size, state, phone and whether they are on call now."""
    with current().Session() as s:
        rows = counselor_rows(s, _on_call_ids(s))
    return render_template("console/counselors.html", rows=rows, error=error, form=form or {})


@bp.post("/counselors")
@role_required(*ROLES)
def counselor_add():
    """Enrol a counselor (as `iopbot counselor add`)."""
    me, rt = signed_in_staff(), current()
    form = request.form
    try:
        with rt.Session() as s, s.begin():
            added = add_counselor(
                s, name=form.get("name", ""), phone=form.get("phone", ""),
                on_call="on_call" in form, supervisor="supervisor" in form, now=rt.now(),
                region=rt.program.phone_region, actor=me.actor)
            name = added.name
    except EnrolmentError as exc:
        return counselors(error=form_words(str(exc)), form=form.to_dict()), 400
    flash(f"{name} added.")
    return redirect(url_for("console.counselors"))


def _counselor(s: Session, counselor_id: int) -> Counselor:
    counselor = s.get(Counselor, counselor_id)
    if counselor is None:
        abort(404)
    return counselor


@bp.get("/counselors/<int:counselor_id>")
@role_required(*ROLES)
def counselor(counselor_id: int, error: str | None = None, form: dict | None = None):
    """One counselor: edit their details, or deactivate them and hand their caseload over."""
    with current().Session() as s:
        person = _counselor(s, counselor_id)
        size = caseload(s, person)
        colleagues = [r for r in counselor_rows(s, _on_call_ids(s))
                      if r.active and r.id != person.id]
        return render_template("console/counselor.html", c=person, caseload=size,
                               colleagues=colleagues, error=error, form=form or {})


@bp.post("/counselors/<int:counselor_id>")
@role_required(*ROLES)
def counselor_update(counselor_id: int):
    """Change a counselor's name, phone or supervisor role (as `iopbot counselor update`)."""
    me, rt = signed_in_staff(), current()
    form = request.form
    try:
        with rt.Session() as s, s.begin():
            person = _counselor(s, counselor_id)
            if not person.active:
                raise EnrolmentError(f"{person.name} is deactivated")
            name = form.get("name", "")
            changes = update_counselor(
                s, person, rt.now(), name=name if name.strip() != person.name else None,
                phone=form.get("phone") or None, supervisor="supervisor" in form,
                actor=me.actor, region=rt.program.phone_region)
            who = person.name
    except EnrolmentError as exc:
        return counselor(counselor_id, error=form_words(str(exc)), form=form.to_dict()), 400
    flash(f"{who}: {', '.join(changes)} saved." if changes else f"{who}: nothing changed.")
    return redirect(url_for("console.counselor", counselor_id=counselor_id))


@bp.post("/counselors/<int:counselor_id>/deactivate")
@role_required(*ROLES)
def counselor_deactivate(counselor_id: int):
    """Deactivate a counselor; their participants and open alerts move to the chosen colleague
    in the same step (refused while they have participants and nobody is chosen)."""
    me, rt = signed_in_staff(), current()
    chosen = request.form.get("reassign_to", "")
    try:
        with rt.Session() as s, s.begin():
            person = _counselor(s, counselor_id)
            colleague = None
            if chosen:
                colleague = s.get(Counselor, int(chosen)) if chosen.isdigit() else None
                if colleague is None:
                    raise EnrolmentError("choose a colleague from the list")
            done = deactivate_counselor(s, rt, person, rt.now(), reassign_to=colleague,
                                        actor=me.actor)
            moved = (f" {done.participants_moved} participant(s) and {done.alerts_moved} open "
                     f"alert(s) moved to {colleague.name}.") if colleague else ""
            message = f"{person.name} deactivated: no more pages or on-call shifts.{moved}"
    except EnrolmentError as exc:
        return counselor(counselor_id, error=form_words(str(exc)),
                         form={"reassign_to": chosen}), 400
    flash(message)
    return redirect(url_for("console.counselors"))
