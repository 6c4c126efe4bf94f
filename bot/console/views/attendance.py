"""Taking attendance: one form for a session's whole roster, once the session has started.

Each changed mark is `iopbot attendance mark` (bot.services.schedule.attendance): an absence
nobody was told about raises the same alert to the participant's counselor. "Excused" is an
absence staff knew about, so it raises none.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.console import bp
from bot.console.auth import StaffUser, audit_views, role_required, signed_in_staff
from bot.console.views.sessions import visible
from bot.models import Participant
from bot.queries.calendar import CalendarSession
from bot.queries.session_detail import hidden_count, roster, store_session
from bot.runtime import current
from bot.services.schedule.attendance import mark_attendance

MARKS = ("present", "absent", "excused")


def attendance_page(s, staff: StaffUser, item: CalendarSession, *, error: str | None = None):
    """Render the roster form (or why there is none yet)."""
    rt = current()
    rows = roster(s, staff, item)
    audit_views(s, staff, [r.participant_id for r in rows])
    return render_template(
        "console/attendance.html", item=item, rows=rows, hidden=hidden_count(s, staff, item),
        started=item.starts_at <= rt.now(), now=rt.now(), error=error, marks=MARKS)


@bp.get("/sessions/<ref>/attendance")
@role_required("counselor", "supervisor")
def attendance(ref: str):
    """The roster with present / absent / excused for each participant and their reminder
    answer beside them; before the session starts, only a note saying when it can be taken."""
    staff = signed_in_staff()
    with current().Session() as s, s.begin():
        return attendance_page(s, staff, visible(s, staff, ref))


@bp.post("/sessions/<ref>/attendance")
@role_required("counselor", "supervisor")
def attendance_save(ref: str):
    """Apply the marks that changed, one `iopbot attendance mark` each, in one transaction."""
    staff = signed_in_staff()
    rt = current()
    counts = dict.fromkeys(MARKS, 0)
    alerted = 0
    try:
        with rt.Session() as s, s.begin():
            item = visible(s, staff, ref)
            wanted = {r.participant_id: (r.mark, request.form.get(f"p{r.participant_id}"))
                      for r in roster(s, staff, item)}
            changed = {pid: new for pid, (old, new) in wanted.items() if new and new != old}
            if any(mark not in MARKS for mark in changed.values()):
                abort(400)
            if not changed:
                return _saved(item.ref, counts, 0)
            therapy = store_session(s, item, rt.now())
            people = s.scalars(select(Participant).where(Participant.id.in_(changed))).all()
            for person in people:
                mark = changed[person.id]
                if mark_attendance(s, rt, therapy, person, mark == "present", rt.now(),
                                   actor=staff.actor, excused=mark == "excused"):
                    alerted += 1
                counts[mark] += 1
            sid = therapy.id
    except ValueError as exc:
        with rt.Session() as s, s.begin():
            return attendance_page(s, staff, visible(s, staff, ref), error=str(exc)), 400
    return _saved(sid, counts, alerted)


def _saved(ref: int | str, counts: dict[str, int], alerted: int):
    if not any(counts.values()):
        flash("Nothing changed.")
    else:
        saved = ", ".join(f"{n} {mark}" for mark, n in counts.items() if n)
        flash(f"Attendance saved: {saved}."
              + (f" {alerted} absence(s) without notice: the counselor is alerted."
                 if alerted else ""))
    return redirect(url_for("console.attendance", ref=ref))
