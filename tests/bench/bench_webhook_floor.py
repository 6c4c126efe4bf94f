"""The durable floor for bench_webhook.py: the least a webhook must do before answering Twilio.

Checks the X-Twilio-Signature (twilio's RequestValidator), stores the text with one INSERT into
a small table on the bot's PostgreSQL schema, commits, and answers empty TwiML. Nothing a real
bot can skip, so "iopbot / floor" says how much its own work costs. Served by the same gunicorn
command line as the bot (`--chdir tests/bench bench_webhook_floor:app`); the benchmark creates
the table (bench_webhook.FLOOR_TABLE_SQL) before starting it. Reads DATABASE_URL,
TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL from the environment, as the bot does.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, Response, abort, request
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

INSERT = text("INSERT INTO bench_floor_inbound (message_sid, from_phone, body, received_at) "
              "VALUES (:sid, :sender, :body, :at)")

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
public_base = os.environ["PUBLIC_BASE_URL"].rstrip("/")
EMPTY_TWIML = str(MessagingResponse())


@app.post("/twilio/messages")
def incoming() -> Response:
    """Validate the signature, INSERT the text, commit, answer empty TwiML."""
    form = request.form
    if not validator.validate(public_base + request.path, form,
                              request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    with engine.begin() as conn:
        conn.execute(INSERT, {"sid": form["MessageSid"], "sender": form["From"],
                              "body": form.get("Body", ""), "at": datetime.now(UTC)})
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> str:
    """Ready check used by the benchmark."""
    return "ok"
