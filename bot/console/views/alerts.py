"""The alert queue and one alert's page (with the participant's own words)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from bot.console import bp
from bot.console.alert_rows import alert_detail, alert_events, open_alerts, recently_resolved
from bot.console.auth import audit_view, audit_views, role_required, signed_in_staff
from bot.runtime import current
from bot.services.alert_actions import AlertError, acknowledge, console_actor, resolve


@bp.get("/alerts")
@role_required("counselor", "supervisor")
def alerts():
    """Open alerts newest-crisis-first, then the latest resolved ones."""
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        rows = open_alerts(s, staff)
        done = recently_resolved(s, staff)
        audit_views(s, staff, (r.participant_id for r in rows + done))
    return render_template("console/alerts.html", rows=rows, done=done, now=rt.now(), me=staff)


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
    return render_template("console/alert.html", a=row, events=events, now=rt.now(),
                           me=staff)


def _act(alert_id: int, verb: str):
    staff = signed_in_staff()
    rt = current()
    note = " ".join(request.form.get("note", "").split())[:1000] or None
    try:
        with rt.Session() as s, s.begin():
            actor = console_actor(s, staff.id)
            if verb == "ack":
                acknowledge(s, rt, alert_id, actor, now=rt.now(), via="console")
            else:
                resolve(s, rt, alert_id, actor, now=rt.now(), via="console", note=note)
    except AlertError as exc:
        if exc.code in ("unknown", "not_yours"):
            abort(404)
        flash(MESSAGES[exc.code].format(**{"id": alert_id, **exc.values}))
    else:
        flash(MESSAGES[verb].format(id=alert_id))
    return redirect(url_for("console.alert", alert_id=alert_id))


MESSAGES = {
    "ack": "You acknowledged alert {id}. Others who were paged are told you have it.",
    "resolve": "Alert {id} is resolved.",
    "already": "Alert {id} was already acknowledged by {name}.",
    "resolved": "Alert {id} was already resolved.",
}


@bp.post("/alerts/<int:alert_id>/ack")
@role_required("counselor", "supervisor")
def alert_ack(alert_id: int):
    """Acknowledge: the same service as `ACK n` by text, with the signed-in person as actor."""
    return _act(alert_id, "ack")


@bp.post("/alerts/<int:alert_id>/resolve")
@role_required("counselor", "supervisor")
def alert_resolve(alert_id: int):
    """Resolve with an optional note: the same service as `DONE n note` by text."""
    return _act(alert_id, "resolve")
