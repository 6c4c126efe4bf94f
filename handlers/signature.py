"""Twilio request signatures: a forged webhook never reaches a handler."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import RequestValidator

from bot.settings import Settings


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
    return RequestValidator(token).validate(public_url(request, settings), request.form, signature)
