"""Cookie settings, the signing key, CSRF and security headers for the console."""

from __future__ import annotations

import secrets

from flask import Flask, Request, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from bot.models import AppSecret
from bot.runtime import current
from bot.sql import insert_ignoring_duplicates

csrf = CSRFProtect()

CSP = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
SECRET_NAME = "console_cookie_key"


def is_console(req: Request) -> bool:
    """True for a request to a console page or asset."""
    return req.path == "/console" or req.path.startswith("/console/")


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, only on console paths, with a key every worker shares."""

    def get_signing_serializer(self, app: Flask):
        """The serializer, loading the shared key on first use; none outside the console."""
        if not is_console(request):
            return None  # webhooks and health checks get a null session, never a cookie
        if not app.secret_key:
            app.secret_key = shared_secret_key()
        return super().get_signing_serializer(app)


def shared_secret_key() -> str:
    """IOPBOT_SECRET_KEY, or one generated once and kept in the database for all processes."""
    rt = current()
    if rt.settings.secret_key:
        return rt.settings.secret_key
    with rt.Session() as session, session.begin():
        insert_ignoring_duplicates(
            session, AppSecret.__table__,
            [{"name": SECRET_NAME, "value": secrets.token_urlsafe(48)}], key=["name"])
        return session.scalar(select(AppSecret.value).where(AppSecret.name == SECRET_NAME))


def init_app(app: Flask) -> None:
    """Cookie flags, CSRF (console only) and headers on every console response."""
    settings = app.extensions["iopbot"].settings
    if settings.secret_key:
        app.secret_key = settings.secret_key
    https = bool(settings.public_base_url and settings.public_base_url.startswith("https://"))
    app.config.update(
        SESSION_COOKIE_NAME="iopbot_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in the console's before_request only
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (server-checked) session
        WTF_CSRF_SSL_STRICT=https,
    )
    app.session_interface = ConsoleSessionInterface()
    csrf.init_app(app)

    @app.after_request
    def _headers(response):
        if is_console(request):
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            if not request.path.startswith("/console/static/"):
                response.headers["Cache-Control"] = "no-store"
        return response


def protect_post() -> None:
    """Refuse (400) a state-changing request without a valid CSRF token."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
