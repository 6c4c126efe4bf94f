"""Who is signed in: Flask-Login over server-side session rows, guards, and view auditing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot import audit
from bot.console import bp
from bot.models import AuditEvent
from bot.runtime import current
from bot.services import staff_auth

login_manager = LoginManager()
login_manager.session_protection = None  # the server-side session row is the protection
SESSION_KEY = "sid"  # the Flask session (signed cookie) holds only this random token
POLL_HEADER = "X-Console-Poll"  # background refreshes do not count as activity
# Endpoints reachable without signing in (everything else in the blueprint needs it).
PUBLIC_ENDPOINTS = {"console.login", "console.welcome", "console.static", "console.totp"}


@dataclass(frozen=True)
class StaffUser:
    """The signed-in staff member, detached from any database session."""

    id: int
    email: str
    name: str
    role: str
    counselor_id: int | None
    session_id: int
    totp_enrolled: bool

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """Flask-Login's identifier (unused for loading: the cookie token is)."""
        return str(self.id)

    @property
    def actor(self) -> str:
        """The audit actor string."""
        return f"console:{self.id}"


def idle_limit() -> timedelta:
    """How long a session may sit unused."""
    return timedelta(minutes=current().settings.console_idle_minutes)


def absolute_limit() -> timedelta:
    """How long a session may last at all."""
    return timedelta(hours=current().settings.console_absolute_hours)


@login_manager.request_loader
def _load(_request) -> StaffUser | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    rt = current()
    with rt.Session() as s, s.begin():
        found = staff_auth.load_session(
            s, token, now=rt.now(), idle=idle_limit(), absolute=absolute_limit(),
            touch=request.headers.get(POLL_HEADER) != "1")
        if found is None:
            session.pop(SESSION_KEY, None)
            minutes = int(idle_limit().total_seconds() // 60)
            flash(f"You were signed out: {minutes} minutes without activity, the end of the "
                  "day's session, or a password change. Sign in again to continue.")
            return None
        row, account = found
        if not row.verified:
            return None  # password given, second factor still owed
        return StaffUser(id=account.id, email=account.email, name=account.name,
                         role=account.role, counselor_id=account.counselor_id,
                         session_id=row.id, totp_enrolled=account.totp_secret is not None)


def current_staff() -> StaffUser | None:
    """The signed-in staff member, or None."""
    user = current_user._get_current_object()
    return user if isinstance(user, StaffUser) else None


def signed_in_staff() -> StaffUser:
    """The signed-in staff member (call only behind the sign-in guard)."""
    staff = current_staff()
    if staff is None:
        abort(401)
    return staff


def refuse_signed_out():
    """The answer to a request that needs a sign-in: GET → 302 to the login page; POST → 401.

    A background refresh gets 401 too, so the page reloads itself onto the login form.
    """
    if request.headers.get(POLL_HEADER) == "1":  # a bare answer: the flash waits for the reload
        abort(Response("signed out", status=401, mimetype="text/plain"))
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    abort(401)


def login_required(view: Callable) -> Callable:
    """Guard a view: signed-out GET goes to the login page, anything else gets 401."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if current_staff() is None:
            return refuse_signed_out()
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str) -> Callable[[Callable], Callable]:
    """Guard a view to some roles (403 for the others; signed out as `login_required`)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            staff = current_staff()
            if staff is None:
                return refuse_signed_out()
            if staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def audit_view(
    session: Session, staff: StaffUser, participant_id: int | None, page: str | None = None,
    **detail: Any,
) -> None:
    """Record that `staff` was shown a participant's data on `page` (default: this request)."""
    audit.record(
        session, "console.view", now=current().now(), actor=staff.actor,
        subject_type="participant" if participant_id else None, subject_id=participant_id,
        staff_id=staff.id, participant_id=participant_id,
        page=page or request.full_path.rstrip("?"), **detail,
    )


def audit_views(
    session: Session, staff: StaffUser, participant_ids: Iterable[int | None],
    page: str | None = None,
) -> None:
    """Audit a page that lists several participants (one event each).

    A background refresh (the X-Console-Poll header) records only participants this person
    was not already shown on this page within the idle limit, so a queue left open does not
    write the same events every 20 seconds, while a new name appearing is still recorded.
    """
    page = page or request.full_path.rstrip("?")
    wanted = sorted({pid for pid in participant_ids if pid is not None})
    if wanted and request.headers.get(POLL_HEADER) == "1":
        seen = set(session.scalars(select(AuditEvent.participant_id).where(
            AuditEvent.staff_id == staff.id, AuditEvent.action == "console.view",
            AuditEvent.page == page, AuditEvent.at >= current().now() - idle_limit(),
            AuditEvent.participant_id.in_(wanted))))
        wanted = [pid for pid in wanted if pid not in seen]
    if len(wanted) == 1:
        audit_view(session, staff, wanted[0], page)
    elif wanted:  # a long list (delivery problems, a roster page): one multi-row INSERT
        at = current().now()
        session.execute(insert(AuditEvent), [
            {"at": at, "actor": staff.actor, "action": "console.view",
             "subject_type": "participant", "subject_id": pid, "detail": {},
             "staff_id": staff.id, "participant_id": pid, "page": page[:200]}
            for pid in wanted])


def init_app(app: Flask) -> None:
    """Attach Flask-Login (the console's loader only) and the blueprint-wide guard."""
    login_manager.init_app(app)


def needs_totp(account: Any) -> bool:
    """True when this account must have a second factor (supervisors, admins; counselors when
    the clinic's program file says `console: {counselor_totp: true}`)."""
    if account.role in ("supervisor", "admin"):
        return True
    return bool(current().program.section("console").get("counselor_totp", False))


def _guard():
    """Every console request: signed in (except public pages), enrolled in TOTP, CSRF on POST."""
    from bot.console.security import protect_post

    g.pop("_login_user", None)  # never trust a user cached by an earlier request (see isolated)
    if request.endpoint not in PUBLIC_ENDPOINTS:
        staff = current_staff()
        if staff is None:
            return refuse_signed_out()
        if (not staff.totp_enrolled and request.endpoint not in TOTP_EXEMPT
                and needs_totp(staff)):
            if request.method in ("GET", "HEAD"):
                return redirect(url_for("console.account_totp"))
            abort(403)
    protect_post()
    return None


TOTP_EXEMPT = {"console.account_totp", "console.logout"}
bp.before_request(_guard)
