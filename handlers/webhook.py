"""Twilio's incoming-message webhook: POST /twilio/messages."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from bot.paging import send_pages_soon
from bot.phones import InvalidPhone, split_address
from bot.runtime import current
from handlers.dispatch import handle_inbound
from handlers.signature import is_authentic
from handlers.turn import InboundMessage

log = logging.getLogger(__name__)
bp = Blueprint("twilio_messages", __name__)
MAX_BODY_CHARS = 5000  # WhatsApp allows 4096; long SMS are split well below this
# Twilio's ids are two letters and 32 hex digits; allow any short token of safe characters
# (the terminal chat makes its own) but never control characters, which PostgreSQL refuses.
SID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def plain(text: str, status: int) -> Response:
    """A short plain-text answer for a rejected request."""
    return Response(text + "\n", status=status, mimetype="text/plain")


def twiml(replies: list[str]) -> Response:
    """A TwiML response carrying `replies` (empty TwiML when there are none)."""
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return Response(str(response), status=200, mimetype="text/xml")


def clean_body(body: str) -> str:
    """Drop NUL and other C0 control characters that databases refuse; keep everything else."""
    return "".join(c for c in body if c >= " " or c in "\n\t")


@bp.post("/twilio/messages")
def incoming_message() -> Response:
    """Receive one text, answer inline, and hand any staff pages to the page sender."""
    runtime = current()
    if not is_authentic(request, runtime.settings):
        return plain("invalid Twilio signature", 403)
    form = request.form
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    sender, body = form.get("From"), form.get("Body")
    missing = [name for name, value in (("From", sender), ("Body", body), ("MessageSid", sid))
               if value is None or (name != "Body" and not value)]
    if missing:
        return plain(f"missing {', '.join(missing)}", 400)
    if not SID.fullmatch(sid):
        return plain("MessageSid is not a Twilio message id", 400)
    if len(body) > MAX_BODY_CHARS:
        return plain(f"Body longer than {MAX_BODY_CHARS} characters", 413)
    try:
        channel, phone = split_address(sender)
    except InvalidPhone:
        return plain("From is not a phone number", 400)
    message = InboundMessage(
        sid=sid, phone=phone, channel=channel, body=clean_body(body), received_at=runtime.now(),
        opt_out_type=(request.form.get("OptOutType") or "").strip().upper()[:20] or None,
    )
    with runtime.Session() as session, session.begin():
        turn = handle_inbound(session, runtime, message, message.received_at)
    if turn is None:
        return twiml([])
    # Pages are committed; this process's page sender sends them while we answer (a worker
    # never waits on Twilio). Any it cannot send stay pending for the clock.
    send_pages_soon(runtime, list(turn.page_ids))
    return twiml(turn.replies)
