"""Twilio's incoming-message webhook: POST /twilio/messages."""

from __future__ import annotations

import functools
import logging
import re
from xml.sax.saxutils import escape

from flask import Blueprint, Flask, Response, request
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Request

from bot.db import once_more_if_disconnected, scrub_driver_message
from bot.paging import send_pages_soon
from bot.phones import InvalidPhone, mask, split_address
from bot.runtime import current
from bot.triage import Triage, triage
from handlers.dispatch import handle_inbound
from handlers.signature import is_authentic
from handlers.turn import InboundMessage

log = logging.getLogger(__name__)
bp = Blueprint("twilio_messages", __name__)
PATH = "/twilio/messages"
MAX_BODY_CHARS = 5000  # WhatsApp allows 4096; long SMS are split well below this
# Twilio's ids are two letters and 32 hex digits; allow any short token of safe characters
# (the terminal chat makes its own) but never control characters, which PostgreSQL refuses.
SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# TwiML as twilio's MessagingResponse writes it (tests/test_webhook_twiml.py compares the two),
# without building an element tree per text.
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
EMPTY_TWIML = XML_DECLARATION + "<Response />"
# A sender's address parsed once per process (phonenumbers' parse is costly; numbers repeat).
address_of = functools.lru_cache(maxsize=4096)(split_address)


def plain(text: str, status: int) -> Response:
    """A short plain-text answer for a rejected request."""
    return Response(text + "\n", status=status, mimetype="text/plain")


def twiml(replies: list[str]) -> Response:
    """A TwiML response carrying `replies` (empty TwiML when there are none)."""
    if not replies:
        return Response(EMPTY_TWIML, status=200, mimetype="text/xml")
    messages = "".join(f"<Message>{escape(text)}</Message>" if text else "<Message />"
                       for text in replies)
    return Response(f"{XML_DECLARATION}<Response>{messages}</Response>", status=200,
                    mimetype="text/xml")


def clean_body(body: str) -> str:
    """Drop NUL and other C0 control characters that databases refuse; keep everything else."""
    return "".join(c for c in body if c >= " " or c in "\n\t")


@bp.post(PATH)
def incoming_message() -> Response:
    """The route as Flask sees it (its URL map, `url_for`); texts normally come through
    `WebhookFirst`, which answers them without Flask's request machinery."""
    return receive(request, current())


class WebhookFirst:
    """WSGI middleware that answers `POST /twilio/messages` itself and hands every other
    request to Flask (`app.wsgi_app`).

    The webhook needs none of what Flask does per request (app and request contexts, URL
    matching, the console's before/after-request hooks, the session interface), and that was
    about a tenth of a text's CPU. The request object is werkzeug's, with the app's
    MAX_CONTENT_LENGTH, so form parsing, the signature check and error statuses are unchanged;
    an unexpected exception is logged and answered 500 as Flask would (raised when the app is
    testing, as Flask does).
    """

    def __init__(self, app: Flask) -> None:
        self.app, self.flask = app, app.wsgi_app
        self.runtime = app.extensions["iopbot"]

    def __call__(self, environ: dict, start_response):
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST"
                or environ.get("SCRIPT_NAME")):
            return self.flask(environ, start_response)
        req = Request(environ)
        req.max_content_length = self.app.config["MAX_CONTENT_LENGTH"]
        try:
            response = receive(req, self.runtime)
        except HTTPException as exc:  # e.g. 413 from the form parser
            response = exc
        except Exception:
            if self.app.config["PROPAGATE_EXCEPTIONS"] or self.app.testing or self.app.debug:
                raise
            self.app.logger.error("Exception on %s [%s]", req.path, req.method, exc_info=True)
            response = InternalServerError()
        finally:
            req.close()
        return response(environ, start_response)


def receive(request: Request, runtime) -> Response:
    """Receive one text, answer inline, and hand any staff pages to the page sender."""
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
        channel, phone = address_of(sender)
    except InvalidPhone:
        return plain("From is not a phone number", 400)
    message = InboundMessage(
        sid=sid, phone=phone, channel=channel, body=clean_body(body), received_at=runtime.now(),
        opt_out_type=opt_out_type(form.get("OptOutType")),
    )
    reading = read_before_storing(runtime, message.body)  # before the database is touched
    def store_and_handle():
        with runtime.Session() as session, session.begin():
            return handle_inbound(session, runtime, message, message.received_at, reading)

    try:
        turn = once_more_if_disconnected(store_and_handle)
    except Exception as exc:
        in_crisis = reading is not None and reading.level == "crisis"
        return not_stored(runtime, message, in_crisis, exc)
    if turn is None:
        return twiml([])
    # Pages are committed; this process's page sender sends them while we answer (a worker
    # never waits on Twilio). Any it cannot send stay pending for the clock.
    send_pages_soon(runtime, list(turn.page_ids))
    return twiml(turn.replies)


def opt_out_type(raw: str | None) -> str | None:
    """Twilio Advanced Opt-Out's OptOutType (STOP, START or HELP); anything else is ignored."""
    value = (raw or "").strip().upper()
    if value in ("STOP", "START", "HELP"):
        return value
    if value:
        log.warning("unknown OptOutType %r ignored", value[:12])
    return None


def read_before_storing(runtime, body: str) -> Triage | None:
    """The text's plain triage, which needs no database (the rules are in memory); the
    handlers reuse it. None when triage itself failed: the text is still stored."""
    try:
        return triage(body, rules=runtime.rules)
    except Exception:  # never let the safety net itself stop the text from being stored
        log.exception("triage before storing failed; the handlers will triage again")
        return None


def not_stored(runtime, message: InboundMessage, in_crisis: bool, exc: Exception) -> Response:
    """Storing the text failed: a crisis still gets 911/988 (the only chance: Twilio does not
    retry webhooks); anything else gets a 503. The log line carries no body and no number.
    """
    reason = type(exc).__name__
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        reason += f": {scrub_driver_message(str(exc.orig))}"
    if not isinstance(exc, SQLAlchemyError) and not in_crisis:
        raise exc  # a bug, not the database: let Flask log it
    log.error("inbound %s from %s NOT stored (%s)%s", message.sid, mask(message.phone), reason,
              "; answered with the generic crisis reply, staff were NOT paged" if in_crisis else "",
              exc_info=not isinstance(exc, SQLAlchemyError))
    if in_crisis:
        # The stranger's wording: without the database we cannot know who is texting.
        return twiml([runtime.program.text("crisis.unknown", runtime.program.default_language)])
    return plain("the message could not be stored; please try again", 503)

