"""The inbox: participants' texts that wait for a person, and marking them reviewed."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for

from bot.console import bp
from bot.console.access import can_view
from bot.console.auth import audit_view, role_required, signed_in_staff
from bot.models import InboxReview
from bot.queries.inbox import waiting, waiting_counts, waiting_item
from bot.runtime import current
from bot.services.inbox import mark_reviewed

PAGE = 50


def _scope(staff) -> int | None:
    """Whose caseload the inbox shows: the counselor's own; a supervisor's is everyone's."""
    return None if staff.role == "supervisor" else staff.counselor_id


@bp.get("/inbox")
@role_required("counselor", "supervisor")
def inbox():
    """Waiting texts, oldest first."""
    staff = signed_in_staff()
    after = _after(request.args.get("after", ""))
    items: list = []
    total = 0
    if staff.role == "supervisor" or staff.counselor_id is not None:
        rt = current()
        with rt.Session() as s, s.begin():
            items = waiting(s, counselor_id=_scope(staff), after=after, limit=PAGE + 1)
            counts = waiting_counts(s)
            total = (sum(counts.values()) if _scope(staff) is None
                     else counts.get(staff.counselor_id, 0))
            for pid in sorted({i.participant_id for i in items[:PAGE]}):
                audit_view(s, staff, pid)
    more = items[PAGE - 1] if len(items) > PAGE else None
    return render_template(
        "console/inbox.html", items=items[:PAGE], total=total, everyone=_scope(staff) is None,
        more=f"{more.received_at.isoformat()}~{more.message_id}" if more else None,
        now=current().now())


def _after(token: str) -> tuple[datetime, int] | None:
    """The (received_at, message id) a 'next page' link carries; 400 when malformed."""
    if not token:
        return None
    at, _, ident = token.rpartition("~")
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        abort(400)
    if not ident.isdigit() or when.tzinfo is None:
        abort(400)
    return when, int(ident)


@bp.post("/inbox/<int:message_id>/reviewed")
@role_required("counselor", "supervisor")
def inbox_review(message_id: int):
    """Mark one text reviewed by the signed-in person (404 outside their reach)."""
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        item = waiting_item(s, message_id)
        if item is None:
            done = s.get(InboxReview, message_id)
            if done is None:
                abort(404)
            pid = _participant_of(s, message_id)
            if pid is None or not can_view(s, staff, pid):
                abort(404)
            flash("Already marked reviewed by someone else.")
        else:
            if not can_view(s, staff, item.participant_id):
                abort(404)
            mark_reviewed(s, [message_id], actor=staff.actor, staff_id=staff.id, now=rt.now())
            pid = item.participant_id
            flash(f"Marked reviewed: {item.participant_name}'s text.")
    if request.form.get("back") == "participant":
        return redirect(url_for("console.participant", participant_id=pid))
    return redirect(url_for("console.inbox"))


def _participant_of(s, message_id: int) -> int | None:
    from bot.models import MessageLog

    return s.get(MessageLog, message_id).participant_id
