"""The audit trail for supervisors: who saw or changed what, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request

from bot import audit as audit_log
from bot.audit import audit_rows
from bot.console import bp
from bot.console.auth import role_required, signed_in_staff
from bot.runtime import current
from bot.services.staff import find_staff

PAGE = 100


@bp.get("/audit")
@role_required("supervisor")
def audit():
    """Audit events, filterable by participant number (#id), staff email and start date."""
    staff = signed_in_staff()
    rt = current()
    args = request.args
    error = None
    participant_id = _int(args.get("participant"))
    before = _int(args.get("before"))
    since = None
    if args.get("since"):
        try:
            since = datetime.fromisoformat(args["since"]).replace(tzinfo=UTC)
        except ValueError:
            error = "The date must look like 2026-11-26."
    with rt.Session() as s, s.begin():
        staff_id = None
        if args.get("staff"):
            account = find_staff(s, args["staff"])
            staff_id = account.id if account else -1
        rows = [] if error else audit_rows(s, participant_id=participant_id, staff_id=staff_id,
                                           since=since, limit=PAGE + 1, before_id=before)
        audit_log.record(s, "console.audit_viewed", now=rt.now(), actor=staff.actor,
                         staff_id=staff.id, page=request.full_path.rstrip("?"))
    more = len(rows) > PAGE
    return render_template("console/audit.html", rows=rows[:PAGE], more=more, error=error,
                           args=args), 400 if error else 200


def _int(value: str | None) -> int | None:
    value = (value or "").strip().lstrip("#")
    return int(value) if value.isdigit() else None
