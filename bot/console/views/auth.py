"""Sign in (password, then TOTP when enrolled), sign out, and the set-password link."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from bot.console import bp
from bot.console.auth import SESSION_KEY, absolute_limit, current_staff, idle_limit
from bot.models import StaffAccount, StaffSession
from bot.runtime import current
from bot.services import staff_auth
from bot.services.staff import StaffError, redeem_link, set_password

FAILED = ("That email and password don't match, or the account is locked for 15 minutes "
          "after repeated tries.")
TOO_MANY = "Too many sign-in attempts from this network. Wait a few minutes and try again."


def home_for(role: str) -> str:
    """Where a role lands after signing in."""
    return url_for("console.staff") if role == "admin" else url_for("console.alerts")


def safe_next(target: str | None, role: str) -> str:
    """`next` when it is a console path on this site; else the role's home page."""
    if target and target.startswith("/console/") and not target.startswith("//") \
            and "\\" not in target and not target.startswith("/console/log"):
        return target
    return home_for(role)


@bp.get("/")
def index():
    """The console's front door: the page for the signed-in role."""
    staff = current_staff()
    return redirect(home_for(staff.role) if staff else url_for("console.login"))


@bp.errorhandler(CSRFError)
def _expired_form(error):
    """A sign-in form left open too long (or cookies off): show the form again, say why."""
    if request.endpoint == "console.login":
        return render_template(
            "console/login.html", email=request.form.get("email", "")[:254],
            error="The sign-in form expired. Please sign in again.",
            next=request.form.get("next")), 400
    from bot.console.nav import error_page

    return error_page(400)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; POST checks the password (never saying whether the email exists)."""
    staff = current_staff()
    if staff is not None and request.method == "GET":
        return redirect(home_for(staff.role))
    if request.method == "GET":
        return render_template("console/login.html", email="", next=request.args.get("next"))
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:1024]
    rt = current()
    now = rt.now()
    with rt.Session() as s, s.begin():
        result = staff_auth.check_password(s, email, password, address=request.remote_addr,
                                           now=now)
        if result.account is not None:
            account = result.account
            challenge = account.totp_secret is not None
            token = staff_auth.start_session(s, account, address=request.remote_addr, now=now,
                                             verified=not challenge)
            role = account.role
    if result.account is None:
        status = 429 if result.outcome == "rate_limited" else 401
        message = TOO_MANY if status == 429 else FAILED
        return render_template("console/login.html", email=email, error=message,
                               next=request.form.get("next")), status
    session.clear()  # a fresh session (and CSRF token) after signing in
    session[SESSION_KEY] = token
    if challenge:
        session["next"] = request.form.get("next")
        return redirect(url_for("console.totp"))
    return redirect(safe_next(request.form.get("next"), role))


def _pending() -> tuple[StaffSession, StaffAccount] | None:
    rt = current()
    with rt.Session() as s:
        return staff_auth.load_session(
            s, session.get(SESSION_KEY), now=rt.now(), idle=idle_limit(),
            absolute=absolute_limit(), touch=False)


@bp.route("/login/code", methods=["GET", "POST"], endpoint="totp")
def totp():
    """The second step for accounts with TOTP: a 6-digit code from the authenticator app."""
    if _pending() is None:
        return redirect(url_for("console.login"))
    if request.method == "GET":
        return render_template("console/totp.html")
    rt = current()
    now = rt.now()
    token = session.get(SESSION_KEY)
    with rt.Session() as s, s.begin():
        found = staff_auth.load_session(s, token, now=now, idle=idle_limit(),
                                        absolute=absolute_limit())
        if found is None:
            return redirect(url_for("console.login"))
        row, account = found
        ok = staff_auth.check_totp(account, request.form.get("code", ""), now=now)
        if ok:
            staff_auth.mark_verified(s, row, account, now=now)
            role = account.role
        else:
            locked = staff_auth.code_failed(s, row, account, address=request.remote_addr,
                                            now=now)
    if not ok:
        if locked:
            session.clear()
            return render_template("console/login.html", email="", error=FAILED), 401
        return render_template("console/totp.html", error="That code didn't work. "
                               "Check the time on your phone and try the newest code."), 401
    target = session.pop("next", None)
    return redirect(safe_next(target, role))


@bp.post("/logout")
def logout():
    """Sign out this browser (the form posts the CSRF token)."""
    rt = current()
    with rt.Session() as s, s.begin():
        staff_auth.end_session(s, session.get(SESSION_KEY), now=rt.now(), reason="sign_out")
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("console.login"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    """The one-time set-password link from `iopbot staff add`."""
    rt = current()
    now = rt.now()
    with rt.Session() as s, s.begin():
        link = redeem_link(s, token[:200], now=now)
        if link is None:
            abort(404)
        account = s.get(StaffAccount, link.staff_id)
        name, email = account.name, account.email
        if request.method == "GET":
            return render_template("console/welcome.html", name=name, email=email)
        password = request.form.get("password", "")[:1024]
        error = None
        if password != request.form.get("confirm", ""):
            error = "The two passwords are not the same."
        else:
            try:
                set_password(s, account, password, now=now, actor=f"console:{account.id}")
                link.used_at = now
            except StaffError as exc:
                error = str(exc)
    if error:
        return render_template("console/welcome.html", name=name, email=email,
                               error=error), 400
    session.clear()
    flash("Your password is set. Sign in with your email and the new password.")
    return redirect(url_for("console.login"))

