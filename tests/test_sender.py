"""The sender against the loopback Twilio: errors, retries, backoff, pacing and opt-outs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, MessageLog, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from bot.rules.send_errors import backoff, classify_error
from bot.senders import build_transport
from bot.sending import drain, send_now

PHONE = "+14155550142"


def queue(runtime, clock, n: int = 1, to: str = PHONE, **extra) -> list[int]:
    """Enqueue `n` texts; return their ids."""
    ids = []
    with runtime.Session() as s, s.begin():
        for i in range(n):
            row = enqueue(s, to=to, body=f"Reminder {i}: group Tue 6pm", kind="test",
                          dedupe_key=f"t:{to}:{i}:{extra.get('tag', '')}", now=clock(),
                          **{k: v for k, v in extra.items() if k != "tag"})
            ids.append(row.id)
    return ids


def row(db_session, row_id: int) -> OutboxMessage:
    """The current state of an outbox row."""
    return db_session.get(OutboxMessage, row_id, populate_existing=True)


def phone(db_session, number: str = PHONE) -> PhoneNumber | None:
    """The current state of a phone number."""
    return db_session.get(PhoneNumber, number, populate_existing=True)


def use_settings(runtime, **changes) -> None:
    """Change the runtime's settings (and rebuild its transport)."""
    runtime.settings = runtime.settings.with_overrides(**changes)
    runtime.transport = build_transport(runtime.settings)


def test_sends_and_records_the_sid(runtime, clock, twilio, db_session):
    [rid] = queue(runtime, clock)
    report = drain(runtime)
    assert report.sent == 1
    [msg] = twilio.messages
    assert (msg["to"], msg["from_"]) == (PHONE, "+15005550006")
    r = row(db_session, rid)
    assert (r.state, r.twilio_sid, r.attempts, r.sent_at) == ("sent", msg["sid"], 1, clock())
    entry = db_session.scalar(select(MessageLog).where(MessageLog.outbox_id == rid))
    assert (entry.direction, entry.state, entry.twilio_sid) == ("out", "sent", msg["sid"])


def test_whatsapp_rows_go_to_whatsapp_addresses(runtime, clock, twilio):
    queue(runtime, clock, channel="whatsapp")
    drain(runtime)
    [msg] = twilio.messages
    assert (msg["to"], msg["from_"]) == (f"whatsapp:{PHONE}", "whatsapp:+15005550006")


def test_messaging_service_sid_is_used_when_configured(runtime, clock, twilio):
    use_settings(runtime, twilio_from_number=None,
                 twilio_messaging_service_sid="MG" + "1" * 32)
    queue(runtime, clock)
    assert drain(runtime).sent == 1
    assert twilio.messages[0]["messaging_service_sid"] == "MG" + "1" * 32


def test_21610_marks_opted_out_and_never_retries(runtime, clock, twilio, db_session):
    [rid] = queue(runtime, clock)
    twilio.fail_next(400, 21610)
    report = drain(runtime)
    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    r = row(db_session, rid)
    assert (r.state, r.error_code) == ("failed", 21610)
    assert phone(db_session).opted_out
    clock.advance(days=1)
    queue(runtime, clock, tag="later")
    assert drain(runtime).suppressed == 1
    assert len(twilio.requests) == 1  # nothing was ever tried again


@pytest.mark.parametrize("code, flag", [(21211, "invalid"), (21614, "not_mobile")])
def test_invalid_or_landline_stops_and_flags(runtime, clock, twilio, db_session, code, flag):
    [rid] = queue(runtime, clock)
    twilio.fail_next(400, code)
    assert drain(runtime).failed == 1
    assert row(db_session, rid).state == "failed"
    number = phone(db_session)
    assert (number.flag, number.flag_code, number.opted_out) == (flag, code, False)
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "send.flagged"))
    assert drain(runtime, now=clock() + timedelta(days=1)).sent == 0
    assert len(twilio.requests) == 1


def test_sender_blocked_codes_flag_for_an_admin(runtime, clock, twilio, db_session):
    queue(runtime, clock)
    twilio.fail_next(400, 30034, message="unregistered 10DLC")
    assert drain(runtime).failed == 1
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "send.flagged"))
    assert event.detail["admin"] is True


@pytest.mark.parametrize(
    "failure",
    [("fail", 429, None), ("fail", 429, 20429), ("fail", 500, None), ("fail", 503, None),
     ("fail", 400, 21611), ("drop", None, None)],
)
def test_transient_failures_retry_with_exponential_backoff_then_fail(
    runtime, clock, twilio, db_session, failure
):
    use_settings(runtime, max_send_attempts=4)
    [rid] = queue(runtime, clock)
    kind, status, code = failure
    for attempt in range(1, 5):
        if kind == "fail":
            twilio.fail_next(status, code)
        else:
            twilio.drop_connection_next()
        report = drain(runtime)
        r = row(db_session, rid)
        assert r.attempts == attempt
        if attempt < 4:
            assert (report.retried, r.state) == (1, "pending")
            assert r.not_before == clock() + backoff(attempt)
            assert drain(runtime).retried == 0  # not due yet
            clock.set(r.not_before)
        else:
            assert (report.failed, r.state) == (1, "failed")
    gaps = [backoff(a).total_seconds() for a in (1, 2, 3)]
    assert gaps == [30, 60, 120]
    assert twilio.messages == []
    assert drain(runtime, now=clock() + timedelta(days=1)).sent == 0


def test_a_transient_failure_then_success_sends_once(runtime, clock, twilio, db_session):
    [rid] = queue(runtime, clock)
    twilio.fail_next(503)
    assert drain(runtime).retried == 1
    clock.advance(minutes=1)
    assert drain(runtime).sent == 1
    assert len(twilio.messages) == 1
    assert row(db_session, rid).state == "sent"


def test_backoff_is_capped():
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(100) == timedelta(hours=1)


@pytest.mark.parametrize(
    "code, status, transient, retry, opt_out, flag",
    [
        (21610, 400, False, False, True, None),
        (21211, 400, False, False, False, "invalid"),
        (21614, 400, False, False, False, "not_mobile"),
        (30006, None, False, False, False, "landline"),
        (30003, None, False, True, False, "unreachable"),
        (30005, None, False, False, False, "unknown_handset"),
        (30007, None, False, False, False, "carrier_filtered"),
        (20429, 429, False, True, False, None),
        (None, 500, False, True, False, None),
        (None, None, True, True, False, None),
        (21602, 400, False, False, False, None),
        (63016, 400, False, False, False, "whatsapp_template_needed"),
    ],
)
def test_error_table(code, status, transient, retry, opt_out, flag):
    action = classify_error(code, status, transient)
    assert (action.retry, action.opt_out, action.flag) == (retry, opt_out, flag)


def test_nothing_is_sent_to_an_opted_out_number(runtime, clock, twilio, db_session):
    db_session.add(PhoneNumber(phone=PHONE, opted_out=True, opted_out_at=clock()))
    db_session.flush()
    ids = queue(runtime, clock, n=3)
    report = drain(runtime)
    assert (report.sent, report.suppressed) == (0, 3)
    assert send_now(runtime, ids).sent == 0
    assert twilio.requests == []
    assert {row(db_session, i).state for i in ids} == {"suppressed"}


def test_expired_rows_are_dropped_not_sent(runtime, clock, twilio, db_session):
    [rid] = queue(runtime, clock, expires_at=clock() + timedelta(minutes=5))
    assert drain(runtime, now=clock() + timedelta(minutes=6)).dropped == 1
    assert row(db_session, rid).state == "dropped"
    assert twilio.requests == []


def test_not_before_is_respected_and_priority_orders_sends(runtime, clock, twilio):
    use_settings(runtime, send_concurrency=1)  # arrival order = start order
    queue(runtime, clock, to="+14155550143", tag="later", not_before=clock() + timedelta(hours=1))
    queue(runtime, clock, to="+14155550144", tag="low", priority=5)
    queue(runtime, clock, to="+14155550145", tag="crisis", priority=0)
    assert drain(runtime).sent == 2
    assert [m["to"] for m in twilio.messages] == ["+14155550145", "+14155550144"]
    assert drain(runtime, now=clock() + timedelta(hours=1)).sent == 1


def test_send_now_sends_exactly_the_given_rows(runtime, clock, twilio, db_session):
    ids = queue(runtime, clock, n=3)
    assert send_now(runtime, ids[1:2]).sent == 1
    assert len(twilio.messages) == 1
    assert row(db_session, ids[0]).state == "pending"
    assert send_now(runtime, ids[1:2]).sent == 0  # already sent: not again


def test_send_rate_is_respected(runtime, clock, twilio):
    use_settings(runtime, send_rate=20.0)
    queue(runtime, clock, n=10)
    started = time.monotonic()
    assert drain(runtime).sent == 10
    assert time.monotonic() - started >= 0.45  # 9 gaps of 1/20 s
    times = sorted(m["created_at"] for m in twilio.messages)
    assert (times[-1] - times[0]).total_seconds() >= 0.40  # as Twilio saw them (+/- jitter)
    for i, start in enumerate(times):  # never a burst: at most 5 (+1 jitter) in any 250 ms
        assert sum(1 for t in times[i:] if (t - start).total_seconds() < 0.25) <= 6


def test_pacing_is_shared_between_drains(runtime, clock, twilio):
    use_settings(runtime, send_rate=10.0)
    queue(runtime, clock, n=3, tag="a")
    started = time.monotonic()
    drain(runtime)
    queue(runtime, clock, n=3, tag="b")
    drain(runtime)  # the second drain waits for slots after the first one's
    # Six slots 0.1 s apart: the last send cannot start before 0.5 s after the first. (Measured
    # on our side: arrival times at the fake carry the first connection's set-up jitter.)
    assert time.monotonic() - started >= 0.5
    assert len(twilio.messages) == 6


@pytest.mark.parametrize(("concurrency", "overlap"), [(1, False), (4, True)])
def test_slow_api_answers_overlap_up_to_the_concurrency(
    runtime, clock, twilio, concurrency, overlap
):
    use_settings(runtime, send_rate=50.0, send_concurrency=concurrency)
    twilio.delay_next(0.3, times=6)  # Twilio takes 300 ms to answer each of the six
    queue(runtime, clock, n=6)
    started = time.monotonic()
    assert drain(runtime).sent == 6
    elapsed = time.monotonic() - started
    # One request at a time needs 6 x 0.3 s; four in flight need two rounds of 0.3 s.
    assert (elapsed < 1.2) is overlap, elapsed
    assert len(twilio.messages) == 6
