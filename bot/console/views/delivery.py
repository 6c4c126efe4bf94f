"""Supervisors and admins: numbers we cannot text, and account-level errors that stop all texts.

While an account-level error is not marked fixed, every page shows admins and supervisors a
banner (read once per request, before the page's own transaction, as the on-call line is).
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import bp
from bot.console.auth import audit_views, current_staff, role_required, signed_in_staff
from bot.models import AccountProblem, Participant
from bot.runtime import current
from bot.services.delivery import DeliveryError, clear_account_error, delivery_problems

ROLES = ("supervisor", "admin")
# What each Twilio flag means for the clinic, in words (bot.rules.send_errors names them).
FLAGS = {
    "landline": "landline: cannot get texts", "not_mobile": "not a mobile number",
    "invalid": "not a valid number", "unreachable": "unreachable (phone off or out of service)",
    "unknown_handset": "unknown handset", "carrier_filtered": "blocked by the carrier",
    "whatsapp_template_needed": "WhatsApp: outside the 24-hour window",
}
# The account-level reasons (bot.services.delivery.ACCOUNT_ERRORS), in words.
REASONS = {
    "bad_credentials": "bad credentials", "unregistered_10dlc": "unregistered 10DLC sender",
    "unverified_toll_free": "unverified toll-free sender",
}
# What to do about an account-level error.
FIXES = {
    20003: "Twilio refused the account credentials. Check TWILIO_ACCOUNT_SID and "
           "TWILIO_AUTH_TOKEN on the server (a rotated or revoked token), then restart iopbot.",
    30032: "The toll-free number is not verified. Finish toll-free verification in the Twilio "
           "console.",
    30034: "The number is not registered for 10DLC. Register the brand and campaign in the "
           "Twilio console (Messaging → Regulatory compliance).",
}


@bp.get("/delivery")
@role_required(*ROLES)
def delivery():
    """Account-level errors, opted-out numbers and flagged numbers, with who each belongs to."""
    staff, rt = signed_in_staff(), current()
    with rt.Session() as s, s.begin():
        found = delivery_problems(s)
        phones = {row.phone for row in (*found.opted_out, *found.flagged)}
        ids = participant_ids(s, phones)
        audit_views(s, staff, ids.values())
    return render_template("console/delivery.html", found=found, ids=ids, flags=FLAGS,
                           fixes=FIXES, reasons=REASONS)


def participant_ids(s: Session, phones: set[str]) -> dict[str, int]:
    """The participant each of these numbers belongs to, by phone."""
    if not phones:
        return {}
    return dict(s.execute(select(Participant.phone, Participant.id).where(
        Participant.phone.in_(phones))).all())


@bp.post("/delivery/account/<int:code>/clear")
@role_required(*ROLES)
def delivery_clear(code: int):
    """Mark an account-level error fixed (as `iopbot delivery clear`); if it comes back, staff
    are told again."""
    me, rt = signed_in_staff(), current()
    try:
        with rt.Session() as s, s.begin():
            clear_account_error(s, code, rt.now(), actor=me.actor)
    except DeliveryError as exc:
        flash(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        return redirect(url_for("console.delivery"))
    flash(f"Account-level error {code} marked fixed. If Twilio reports it again, you will be "
          "told again.")
    return redirect(url_for("console.delivery"))


@bp.before_app_request
def _read_account_problems() -> None:
    """Uncleared account-level errors, for the banner admins and supervisors see on every page."""
    g.pop("account_problems", None)
    if request.blueprint != "console" or request.endpoint == "console.static":
        return
    staff = current_staff()
    if staff is None or staff.role not in ROLES:
        return
    with current().Session() as s:
        rows = s.execute(select(AccountProblem.code, AccountProblem.reason)
                         .where(AccountProblem.cleared_at.is_(None))
                         .order_by(AccountProblem.code)).all()
    g.account_problems = [(code, REASONS.get(reason, reason)) for code, reason in rows]


def account_problems() -> list[tuple[int, str]]:
    """(code, reason in words) of each account-level error not yet fixed, for the banner."""
    return g.get("account_problems", [])


@bp.context_processor
def _banner() -> dict:
    return {"account_problems": account_problems}
