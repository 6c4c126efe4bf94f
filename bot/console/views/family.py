"""Family consent (42 CFR Part 2): start an invitation, list and revoke consents, and the
accounting of disclosures. The participant still signs by texting YES <code>; the console never
records consent on their behalf and never shows the code."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from bot import audit
from bot.console import bp
from bot.console.auth import StaffUser, audit_view, audit_views, role_required, signed_in_staff
from bot.models import Participant
from bot.models.family import Consent
from bot.program import LANGUAGES
from bot.queries.family import consent_rows, find_people, may_manage
from bot.rules.family_scopes import SCOPES
from bot.rules.timing import local_date
from bot.runtime import current
from bot.services.exports import write_rows
from bot.services.family.consent import Invitation, invite
from bot.services.family.disclosures import accounting
from bot.services.family.revoke import revoke
from bot.services.family.timing import start_of_day

LOOKBACK_YEARS = 3  # a participant may ask for an accounting of the last three years
FIELDS = {"participant": "Participant", "name": "Name", "phone": "Family member's phone",
          "relationship": "Relationship", "share": "What may be shared",
          "expires": "Consent ends on", "timezone": "Time zone", "language": "Language"}
ACCOUNTING_HEADER = ["disclosed_at", "recipient_name", "relationship", "recipient_phone",
                     "consent_id", "information_disclosed", "purpose", "delivery", "sent_at",
                     "text"]


def _person(s: Session, staff: StaffUser, participant_id: int) -> Participant:
    """The participant, or 404 when their family consents are outside this person's reach."""
    person = s.get(Participant, participant_id)
    if person is None or not may_manage(s, staff, participant_id):
        abort(404)
    return person


def _plain(message: str) -> str:
    """A service message in the form's words ("--phone is ..." -> "Family member's phone is")."""
    return re.sub(r"--(\w+)", lambda m: FIELDS.get(m.group(1), m.group(1)), message)


@bp.get("/family")
@role_required("counselor", "supervisor")
def family():
    """Every consent within reach (live first), and a search to open someone's family page."""
    staff = signed_in_staff()
    rt = current()
    search = request.args.get("q", "")[:120]
    with rt.Session() as s, s.begin():
        rows = consent_rows(s, staff, rt.now())
        found = find_people(s, staff, search)
        audit_views(s, staff, [r.participant_id for r in rows] + [p.id for p in found])
    return render_template("console/family.html", rows=rows, found=found, q=search)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _period(person: Participant, now: datetime) -> tuple[date, date, str | None]:
    """The accounting period from ?from=&to= (participant's dates); defaults to 3 years."""
    today = local_date(now, ZoneInfo(person.timezone))
    default = _years_before(today, LOOKBACK_YEARS), today
    try:
        first = date.fromisoformat(request.args.get("from") or default[0].isoformat())
        last = date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        return *default, "Dates must be YYYY-MM-DD; showing the last three years."
    if last < first:
        return *default, "The period ends before it starts; showing the last three years."
    return first, last, None


def _lines(s: Session, person: Participant, first: date, last: date):
    zone = ZoneInfo(person.timezone)
    return accounting(s, person.id, start_of_day(first, zone),
                      start_of_day(last + timedelta(days=1), zone))


def _page(s: Session, staff: StaffUser, person: Participant, *, error: str | None = None,
          form: dict | None = None) -> tuple[str, int]:
    """The participant's family page and its status (400 when a form or the period is bad)."""
    rt = current()
    zone = ZoneInfo(person.timezone)
    first, last, period_error = _period(person, rt.now())
    lines = _lines(s, person, first, last)
    audit_view(s, staff, person.id)
    program = rt.program
    scopes = [(scope, program.text(f"family.scope.{scope}", "en")) for scope in SCOPES]
    html = render_template(
        "console/family_person.html", p=person,
        rows=consent_rows(s, staff, rt.now(), participant_id=person.id), lines=lines,
        first=first, last=last, period_error=period_error, error=error, form=form or {},
        scopes=scopes, languages=LANGUAGES, tz=zone,
        min_expiry=local_date(rt.now(), zone) + timedelta(days=1),
        clinic=program.clinic_name, purpose=program.text("family.purpose", "en"))
    return html, 400 if error or period_error else 200


@bp.get("/family/<int:participant_id>")
@role_required("counselor", "supervisor")
def family_person(participant_id: int):
    """One participant's consents, the invitation form and the accounting of disclosures."""
    staff = signed_in_staff()
    with current().Session() as s, s.begin():
        return _page(s, staff, _person(s, staff, participant_id))


@bp.post("/family/<int:participant_id>/invite")
@role_required("counselor", "supervisor")
def family_invite(participant_id: int):
    """Text the participant the consent to sign with YES <code>; nothing is shared before."""
    staff = signed_in_staff()
    rt = current()
    form = {k: request.form.get(k, "").strip()[:200] for k in
            ("name", "phone", "relationship", "expires", "language", "timezone")}
    form["share"] = [v for v in request.form.getlist("share") if v in SCOPES]
    with rt.Session() as s, s.begin():
        person = _person(s, staff, participant_id)
        invitation = Invitation(
            participant_phone=person.phone, name=form["name"], phone=form["phone"],
            relationship=form["relationship"], share=",".join(form["share"]),
            expires=form["expires"], timezone=form["timezone"] or None,
            language=form["language"] or None)
        try:  # every check comes before the service writes anything
            consent = invite(s, rt.program, invitation, rt.now(), staff.actor,
                             staff_id=staff.id).consent
        except ValueError as exc:  # ConsentError, a bad scope list, a discharged participant
            return _page(s, staff, person, error=_plain(str(exc)), form=form)
        flash(f"Consent request texted to {person.name}. Nothing is shared until "
              f"{person.name.split()[0]} replies YES with the code from their own phone, and "
              f"then {consent.recipient_name} replies YES.")
    return redirect(url_for("console.family_person", participant_id=participant_id))


@bp.post("/family/<int:participant_id>/consents/<int:consent_id>/revoke")
@role_required("counselor", "supervisor")
def family_revoke(participant_id: int, consent_id: int):
    """Revoke one consent at once: unsent updates are withdrawn before the next send."""
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        _person(s, staff, participant_id)
        consent = s.get(Consent, consent_id)
        if consent is None or consent.participant_id != participant_id:
            abort(404)
        if consent.state not in ("pending_participant", "pending_family", "active"):
            flash(f"That consent had already ended ({consent.state}).")
        else:
            revoke(s, rt.program, consent, rt.now(), staff.actor, staff_id=staff.id)
            flash(f"Consent for {consent.recipient_name} revoked. Nothing more will be sent; "
                  "they get one text saying the updates stopped.")
    return redirect(url_for("console.family_person", participant_id=participant_id))


@bp.get("/family/<int:participant_id>/disclosures.csv")
@role_required("counselor", "supervisor")
def family_disclosures_csv(participant_id: int):
    """The accounting of disclosures for the period, as CSV (audited)."""
    staff = signed_in_staff()
    rt = current()
    with rt.Session() as s, s.begin():
        person = _person(s, staff, participant_id)
        first, last, error = _period(person, rt.now())
        if error:
            abort(400)
        lines = _lines(s, person, first, last)
        zone = ZoneInfo(person.timezone)
        out = io.StringIO()
        count = write_rows(out, ACCOUNTING_HEADER, (
            [line.at.astimezone(zone), line.recipient_name, line.relationship,
             line.recipient_phone, line.consent_id, line.scope, line.purpose, line.status,
             line.sent_at.astimezone(zone) if line.sent_at else None, line.body]
            for line in lines))
        audit.record(s, "family.accounting.exported", now=rt.now(), actor=staff.actor,
                     staff_id=staff.id, participant_id=person.id, subject_type="participant",
                     subject_id=person.id, first=first.isoformat(), last=last.isoformat(),
                     rows=count, page=request.full_path.rstrip("?"))
    name = f"disclosures-{participant_id}-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
