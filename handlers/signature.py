"""Twilio request signatures: a forged webhook never reaches a handler."""

from __future__ import annotations

import functools
import logging

from flask import Request
from twilio.request_validator import RequestValidator

from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def check_webhook_signing(settings: Settings, *, warn: bool = True) -> None:
    """At start-up of a web server: refuse Twilio without a token; warn when unsigned is open.

    Without TWILIO_AUTH_TOKEN anyone who can reach the server can post a text as any number;
    that is acceptable only for the console transport (trying the bot out locally).
    """
    if settings.twilio_auth_token:
        return
    if settings.transport == "twilio":
        raise SettingsError("IOPBOT_TRANSPORT=twilio needs TWILIO_AUTH_TOKEN to check webhooks")
    if warn:
        log.warning("TWILIO_AUTH_TOKEN is not set: webhooks are accepted WITHOUT a signature "
                    "check (fine for the console transport on this machine, never on a public "
                    "address)")


def public_url(request: Request, settings: Settings) -> str:
    """The URL Twilio called, as seen from outside any proxy."""
    if not settings.public_base_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return settings.public_base_url.rstrip("/") + request.path + (f"?{query}" if query else "")


def is_authentic(request: Request, settings: Settings) -> bool:
    """True when no auth token is configured, or the X-Twilio-Signature matches."""
    token = settings.twilio_auth_token
    if not token:
        return True
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    return validator(token).validate(public_url(request, settings), request.form, signature)


@functools.lru_cache(maxsize=4)
def validator(token: str) -> RequestValidator:
    """twilio's validator for `token`, made once per process."""
    return RequestValidator(token)
