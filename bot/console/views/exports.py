"""CSV exports for supervisors and admins: the same files as `iopbot csv KIND`, each audited."""

from __future__ import annotations

import io
from calendar import monthrange
from datetime import date
from zoneinfo import ZoneInfo

from flask import Response, render_template, request

from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.rules.timing import local_date
from bot.runtime import current
from bot.services.exports import EXPORTS, MAX_DAYS, ExportError, period, write_export

KINDS = {
    "attendance": ("Attendance", "one row per attendance mark at each session that started in "
                   "the period, with the reminder answer"),
    "checkin-adherence": ("Check-in adherence", "per participant: check-ins asked, answered, "
                          "completed, missed, and the response rate"),
    "craving-trend": ("Craving trend", "each answered check-in's craving (0-10), use and mood, "
                      "with a running average of the last 7 answers"),
    "alerts": ("Alerts with time to acknowledge", "each alert raised in the period: level, who "
               "had it, state, and minutes until someone acknowledged it"),
}
assert set(KINDS) == set(EXPORTS), "every export kind needs a label here"


def _this_month() -> tuple[date, date]:
    """The first and last day of the clinic's current month."""
    rt = current()
    today = local_date(rt.now(), ZoneInfo(rt.program.timezone))
    return today.replace(day=1), today.replace(day=monthrange(today.year, today.month)[1])


def _render(**values) -> str:
    first, last = _this_month()
    values.setdefault("kind", "attendance")
    values.setdefault("first", first.isoformat())
    values.setdefault("last", last.isoformat())
    return render_template("console/exports.html", kinds=KINDS, max_days=MAX_DAYS,
                           timezone=current().program.timezone, **values)


@bp.get("/exports")
@role_required("supervisor", "admin")
def exports():
    """Pick an export and a period (clinic dates; default this month)."""
    return _render()


@bp.post("/exports")
@role_required("supervisor", "admin")
def exports_download():
    """The CSV download; recorded in the audit trail with the staff member."""
    staff = signed_in_staff()
    rt = current()
    kind = request.form.get("kind", "")
    first, last = request.form.get("from", "").strip(), request.form.get("to", "").strip()
    form = {"kind": kind, "first": first, "last": last}
    if kind not in EXPORTS:
        return _render(error="Choose one of the exports.", **form), 400
    try:
        p = period(rt.program, date.fromisoformat(first), date.fromisoformat(last))
    except ValueError as exc:  # a malformed date, or ExportError (reversed, too long)
        message = str(exc) if isinstance(exc, ExportError) else "Dates must be YYYY-MM-DD."
        message = message.replace("--to", "“To”").replace("--from", "“From”")
        return _render(error=message, **form), 400
    out = io.StringIO()
    with rt.Session() as s, s.begin():
        write_export(s, kind, p, out, now=rt.now(), actor=staff.actor, staff_id=staff.id)
    name = f"iopbot-{kind}-{p.first.isoformat()}-to-{p.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
