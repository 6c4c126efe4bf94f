"""Twilio's status callbacks: POST /twilio/status updates delivery state, never backwards."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError

from bot.models.messaging import DELIVERY_RANK
from bot.runtime import current
from bot.services.delivery_status import record_delivery_status
from handlers.signature import is_authentic
from handlers.webhook import SID, plain

log = logging.getLogger(__name__)
bp = Blueprint("twilio_status", __name__)
MAX_ERROR_CODE = 999_999  # Twilio's codes have five digits; the column is a 32-bit integer


def error_code(raw: str | None) -> int | None:
    """Twilio's ErrorCode as an int; None (logged) when absent, malformed or out of range."""
    value = (raw or "").strip()
    if not value:
        return None
    # str.isdigit() also accepts "²" and other digits int() refuses: ASCII digits only.
    if value.isascii() and value.isdigit() and len(value) <= 6 and 0 < int(value) <= MAX_ERROR_CODE:
        return int(value)
    log.warning("status callback with a malformed ErrorCode %r ignored", value[:12])
    return None


@bp.post("/twilio/status")
def status_callback() -> Response:
    """Record a delivery status; act on delivery errors as the sender would."""
    runtime = current()
    if not is_authentic(request, runtime.settings):
        return plain("invalid Twilio signature", 403)
    sid = (request.form.get("MessageSid") or "").strip()
    status = (request.form.get("MessageStatus") or "").strip().lower()
    if not sid or not status:
        return plain("missing MessageSid or MessageStatus", 400)
    if not SID.fullmatch(sid):
        return plain("MessageSid is not a Twilio message id", 400)
    if status not in DELIVERY_RANK:
        log.warning("status callback with an unknown MessageStatus %r refused", status[:20])
        return plain(f"unknown MessageStatus {status[:40]!r}", 400)
    code = error_code(request.form.get("ErrorCode"))
    try:
        _record(runtime, sid, status, code, runtime.now())
    except SQLAlchemyError as exc:  # the driver's text is already scrubbed (bot/db.py)
        log.error("status %s for %s NOT recorded (%s)", status, sid, type(exc).__name__)
        return plain("the status could not be recorded; please try again", 503)
    return Response("", status=204)


def _record(runtime, sid: str, status: str, code: int | None, now) -> None:
    with runtime.Session() as session, session.begin():
        record_delivery_status(session, runtime, sid, status, code, now)
