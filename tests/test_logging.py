"""At INFO, logs never carry a message body or a full phone number."""

from __future__ import annotations

import logging

from bot.app import configure_logging
from bot.outbox import enqueue
from bot.phones import mask
from bot.sending import drain
from tests.factories import make_counselor, make_participant

SECRET = "my secret words 7431"
STRANGER = "+14155559321"


def leaks(records: list[logging.LogRecord], phones: list[str], bodies: list[str]) -> list[str]:
    """Log lines (with their arguments and any traceback) that contain a phone or a body."""
    found = []
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
        for phone in phones:
            if phone in text or phone[2:] in digits:
                found.append(f"{record.name}: {text}")
        for body in bodies:
            if body.lower() in text.lower():
                found.append(f"{record.name}: {text}")
    return found


def test_a_whole_conversation_logs_no_bodies_or_numbers(
    caplog, runtime, db_session, text_in, twilio, clock, runner
):
    caplog.set_level(logging.INFO)
    counselor = make_counselor(db_session)
    p = make_participant(db_session, counselor=counselor)
    bodies = [SECRET, "HELP", "STOP", "START", "I feel fine today"]
    for body in bodies:
        assert text_in(p.phone, body).status_code == 200
    text_in(STRANGER, SECRET)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body="Reminder: group Tue 6pm " + SECRET, kind="reminder",
                dedupe_key="r", now=clock(), participant_id=p.id)
        enqueue(s, to=counselor.phone, body="Alert 1 " + SECRET, kind="alert",
                dedupe_key="a", now=clock(), party="counselor")
    twilio.fail_next(503, to=counselor.phone)
    report = drain(runtime)
    assert report.sent == 1 and report.retried == 1
    clock.advance(minutes=5)
    twilio.fail_next(400, 21211)
    assert drain(runtime).failed == 1
    runner.invoke(args=["participant", "discharge", p.phone])
    assert len(twilio.messages) == 1  # the logs below cover real sends
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert any(r.name == "bot.sending" for r in records)  # there were log lines to check
    assert any(mask(p.phone) in r.getMessage() for r in records)
    assert leaks(records, [p.phone, counselor.phone, STRANGER], [SECRET, "I feel fine"]) == []


def test_the_twilio_library_does_not_log_request_bodies_at_info(
    caplog, runtime, db_session, clock, twilio
):
    configure_logging("INFO")
    caplog.set_level(logging.INFO)
    p = make_participant(db_session)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body=SECRET, kind="t", dedupe_key="t", now=clock())
    assert drain(runtime).sent == 1
    assert logging.getLogger("twilio.http_client").getEffectiveLevel() >= logging.WARNING
    twilio_records = [r for r in caplog.records if r.name.startswith("twilio")]
    assert twilio_records == []
    assert leaks(caplog.records, [p.phone], [SECRET]) == []


def test_mask_keeps_only_country_code_and_last_two_digits():
    assert mask("+14155550123") == "+1********23"
    assert mask("whatsapp:+14155550123") == "+1********23"
    assert mask(None) == "-"
    assert mask("+12") == "***"
