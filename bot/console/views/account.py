"""The signed-in person's own account: second factor (TOTP) and password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from bot import audit
from bot.console import bp
from bot.console.auth import SESSION_KEY, needs_totp, signed_in_staff
from bot.console.passwords import verify_password
from bot.models import StaffAccount
from bot.runtime import current
from bot.services import staff_auth
from bot.services.staff import StaffError, set_password


@bp.get("/account")
def account():
    """Name, role, second-factor state, and the change-password form."""
    staff = signed_in_staff()
    return render_template("console/account.html", staff=staff, totp_required=needs_totp(staff))


@bp.route("/account/totp", methods=["GET", "POST"], endpoint="account_totp")
def account_totp():
    """Enrol an authenticator app: show the secret as text and an otpauth URI, confirm a code."""
    staff = signed_in_staff()
    rt = current()
    now = rt.now()
    with rt.Session() as s, s.begin():
        account = s.get(StaffAccount, staff.id)
        replacing = account.totp_secret is not None
        if request.method == "GET" or account.totp_pending is None:
            account.totp_pending = staff_auth.new_totp_secret()
            error = None
        elif replacing and not verify_password(account.password_hash,
                                               request.form.get("current", "")[:1024]):
            error = "To move your sign-in code to a new phone, enter your current password."
        elif staff_auth.check_totp(account, request.form.get("code", ""), now=now,
                                   secret=account.totp_pending):
            account.totp_secret, account.totp_pending = account.totp_pending, None
            audit.record(s, "staff.totp_enrolled", now=now, actor=staff.actor,
                         subject_type="staff", subject_id=staff.id, staff_id=staff.id)
            flash("Your authenticator app is set up. You'll be asked for a code when you sign in.")
            return redirect(url_for("console.index"))
        else:
            error = "That code didn't match. Enter the newest 6-digit code from the app."
        secret = account.totp_pending
        issuer = rt.program.clinic_name or "iopbot"
        uri = staff_auth.totp_for(secret, account=account, issuer=issuer).provisioning_uri()
    return render_template("console/account_totp.html", staff=staff, secret=secret, uri=uri,
                           required=needs_totp(staff), replacing=replacing,
                           error=error), 400 if error else 200


@bp.post("/account/password")
def account_password():
    """Change the password (current one required); every other session is signed out."""
    staff = signed_in_staff()
    rt = current()
    now = rt.now()
    new = request.form.get("password", "")[:1024]
    error = None
    with rt.Session() as s, s.begin():
        account = s.get(StaffAccount, staff.id)
        if not verify_password(account.password_hash, request.form.get("current", "")[:1024]):
            error = "Your current password is not right."
        elif new != request.form.get("confirm", ""):
            error = "The two new passwords are not the same."
        else:
            try:
                set_password(s, account, new, now=now, actor=staff.actor)
            except StaffError as exc:
                error = str(exc)
            else:  # everywhere else is signed out; this browser gets a fresh session
                token = staff_auth.start_session(s, account, address=request.remote_addr,
                                                 now=now, verified=True)
    if error:
        return render_template("console/account.html", staff=staff, error=error,
                               totp_required=needs_totp(staff)), 400
    session.clear()
    session[SESSION_KEY] = token
    flash("Password changed. Other browsers signed in as you have been signed out.")
    return redirect(url_for("console.account"))
