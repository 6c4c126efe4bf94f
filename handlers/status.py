"""Twilio's status callbacks: POST /twilio/status updates delivery state, never backwards."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.models import MessageLog, OutboxMessage
from bot.models.messaging import DELIVERY_RANK
from bot.outbox import enqueue, flag_recipient, retry_after
from bot.rules.send_errors import classify_error
from bot.runtime import current
from bot.services.delivery import note_account_error
from bot.services.family.disclosures import retry_disclosure
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
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.twilio_sid == sid))
        if row is None:
            return
        current_rank = DELIVERY_RANK.get(row.delivery_status or "", 0)
        if DELIVERY_RANK[status] <= current_rank:
            return  # a repeat or an older status arriving late
        row.delivery_status = status
        entry = session.scalar(select(MessageLog).where(MessageLog.twilio_sid == sid))
        if entry is not None:
            entry.state = status
        if status in ("failed", "undelivered") and code:
            _act_on_delivery_error(session, runtime, row, code, now)
            note_account_error(session, runtime.program, code, now)


def _act_on_delivery_error(session, runtime, row: OutboxMessage, code: int, now) -> None:
    row.error_code = code
    action = classify_error(code, None)
    # The sender's policy: each delivery that failed is one attempt of this text.
    retry_number = row.dedupe_key.count("#retry") + 1
    wait = retry_after(action, retry_number, runtime.settings.max_send_attempts)
    retrying = wait is not None
    # An unreachable handset (30003) is retried first and flagged only once retries run out.
    if action.opt_out or (action.flag and not retrying):
        flag_recipient(session, row, action, code, now, "delivery.flagged")
    if not retrying:
        return
    key, not_before = f"{row.dedupe_key}#retry{retry_number}", now + wait
    if row.party == "family" and retry_disclosure(session, row, occurrence=key, now=now,
                                                  not_before=not_before):
        return
    enqueue(
        session, to=row.to_phone, channel=row.channel, body=row.body, kind=row.kind,
        dedupe_key=key, now=now, participant_id=row.participant_id, not_before=not_before,
        expires_at=row.expires_at, priority=row.priority, party=row.party,
    )
