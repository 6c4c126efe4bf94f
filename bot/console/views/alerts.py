"""The alert queue and one alert's page (with the participant's own words)."""

from __future__ import annotations

from flask import abort, render_template

from bot.console import bp
from bot.console.alert_rows import alert_detail, alert_events, open_alerts, recently_resolved
from bot.console.auth import audit_view, role_required, signed_in_staff
from bot.runtime import current


@bp.get("/alerts")
@role_required("counselor", "supervisor")
def alerts():
    """Open alerts newest-crisis-first, then the latest resolved ones."""
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        rows = open_alerts(s, staff)
        done = recently_resolved(s, staff)
        for pid in sorted({r.participant_id for r in rows + done if r.participant_id}):
            audit_view(s, staff, pid)
    return render_template("console/alerts.html", rows=rows, done=done, now=rt.now())


@bp.get("/alerts/<int:alert_id>")
@role_required("counselor", "supervisor")
def alert(alert_id: int):
    """One alert: level, who, the text that raised it, reasons, and every step since."""
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        row = alert_detail(s, staff, alert_id)
        if row is None:
            abort(404)
        events = alert_events(s, alert_id)
        audit_view(s, staff, row.participant_id, alert_id=alert_id)
    return render_template("console/alert.html", a=row, events=events, now=rt.now())
