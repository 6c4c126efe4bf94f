"""The caseload (search and filters), one participant's timeline with charts and badges, and
replying to them. Changing the roster is in roster.py."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from bot.charts import LEGEND, checkin_chart
from bot.console import bp
from bot.console.access import can_view
from bot.console.auth import StaffUser, audit_view, role_required, signed_in_staff
from bot.console.roster_rights import may_enrol, roster_rights
from bot.models import Counselor, Group, Participant
from bot.models.people import PARTICIPANT_STATUSES
from bot.paging import send_pages_soon
from bot.queries.badges import badges
from bot.queries.caseload import PAGE, Filters, caseload
from bot.queries.checkin_series import day_points
from bot.queries.timeline import timeline
from bot.rules.timing import local_date
from bot.runtime import current
from bot.services.staff_reply import MAX_CHARS, ReplyError, check_can_text, send_staff_reply

CHART_DAYS = (30, 90)


@bp.get("/participants")
@role_required("counselor", "supervisor")
def participants():
    """The caseload (a counselor's own; a supervisor's everyone), searchable by name or phone
    and filtered by status, group, counselor, opted out and flagged numbers."""
    staff = signed_in_staff()
    search = request.args.get("q", "")[:120]
    mine = staff.role == "counselor" and request.args.get("all") != "1"
    after = _after(request.args.get("after", ""))
    filters = _filters(request.args)
    rt = current()
    with rt.Session() as s, s.begin():
        rows = caseload(s, staff, search=search, own_only=mine, after=after, filters=filters)
        audit_view(s, staff, None, shown=len(rows))
        groups = s.execute(select(Group.id, Group.name).order_by(Group.name)).all()
        counselors = (s.execute(select(Counselor.id, Counselor.name).order_by(Counselor.name))
                      .all() if staff.role == "supervisor" else [])
    more = f"{rows[-1].name}~{rows[-1].id}" if len(rows) == PAGE else None
    args = {"q": search or None, "all": None if mine or staff.role != "counselor" else 1,
            "status": filters.status, "group": filters.group_id,
            "counselor": filters.counselor_id, "opted_out": 1 if filters.opted_out else None,
            "flagged": 1 if filters.flagged else None}
    return render_template("console/participants.html", rows=rows, q=search, mine=mine,
                           more=more, filters=filters, groups=groups, counselors=counselors,
                           statuses=PARTICIPANT_STATUSES, args=args,
                           may_enrol=may_enrol(staff))


def _filters(args) -> Filters:
    """The list's filters from the query string (unknown values are ignored)."""
    status = args.get("status", "")
    return Filters(status=status if status in PARTICIPANT_STATUSES else None,
                   group_id=args.get("group", type=int), counselor_id=args.get("counselor",
                                                                               type=int),
                   opted_out=args.get("opted_out") == "1", flagged=args.get("flagged") == "1")


def _after(token: str) -> tuple[str, int] | None:
    name, _, pid = token.rpartition("~")
    if not token:
        return None
    if not pid.isdigit():
        abort(400)
    return name, int(pid)


def visible_participant(s, staff: StaffUser, participant_id: int) -> Participant:
    """The participant, or 404 when they are outside this person's reach."""
    person = s.get(Participant, participant_id)
    if person is None or not can_view(s, staff, person):
        abort(404)
    return person


def _page(s, staff: StaffUser, person: Participant, *, error: str | None = None,
          draft: str = "") -> str:
    rt = current()
    days = request.args.get("days", type=int)
    days = days if days in CHART_DAYS else CHART_DAYS[0]
    try:
        page = timeline(s, person.id, cursor=request.args.get("before") or None)
    except ValueError:
        abort(400)
    today = local_date(rt.now(), ZoneInfo(person.timezone))
    points = day_points(s, person.id, today, days)
    chart = Markup(checkin_chart(points, title=f"{person.name}: urges and mood, last {days} days",
                                 chart_id=f"c{days}"))
    try:
        check_can_text(s, person)
        cannot_text = None
    except ReplyError as exc:
        cannot_text = str(exc)
    audit_view(s, staff, person.id)
    return render_template(
        "console/participant.html", p=person, counselor=person.counselor.name,
        badges=badges(s, person), page=page, chart=chart, points=points, days=days,
        chart_days=CHART_DAYS, legend=LEGEND, cannot_text=cannot_text, error=error,
        draft=draft, form_key=secrets.token_urlsafe(16), max_chars=MAX_CHARS, now=rt.now(),
        first_page=not request.args.get("before"), rights=roster_rights(staff, person),
    )


@bp.get("/participants/<int:participant_id>")
@role_required("counselor", "supervisor")
def participant(participant_id: int):
    """Everything about one participant, newest first, with the check-in chart."""
    staff = signed_in_staff()
    with current().Session() as s, s.begin():
        return _page(s, staff, visible_participant(s, staff, participant_id))


@bp.post("/participants/<int:participant_id>/reply")
@role_required("counselor", "supervisor")
def reply(participant_id: int):
    """Text the participant from the program number; shown on the timeline as sent by you."""
    staff = signed_in_staff()
    rt = current()
    body = request.form.get("body", "")
    with rt.Session() as s, s.begin():
        person = visible_participant(s, staff, participant_id)
        try:
            sent = send_staff_reply(
                s, person, body, actor=staff.actor, sender_name=staff.name, now=rt.now(),
                form_key=request.form.get("form_key", ""), staff_id=staff.id)
        except ReplyError as exc:  # raised before anything is written
            return _page(s, staff, person, error=str(exc), draft=body[:MAX_CHARS]), 400
        name = person.name
    flash(f"Text to {name} queued. It appears below as sent by you.")
    response = redirect(url_for("console.participant", participant_id=participant_id))
    if sent.new:  # sent at once by this process's sender threads (the clock retries failures)
        send_pages_soon(rt, [sent.outbox_id])
    return response
