"""The baseline for bench_webhook.py: a bare Flask endpoint answering empty TwiML.

Served by the same gunicorn command line as the bot (`--chdir tests/bench bench_webhook_bare:app`).
"""

from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)


@app.post("/twilio/messages")
def incoming() -> Response:
    """Answer with an empty TwiML response, nothing else."""
    return Response(str(MessagingResponse()), status=200, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> str:
    """Ready check used by the benchmark."""
    return "ok"
