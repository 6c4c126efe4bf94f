"""POST /twilio/status: signature-checked, monotonic, and acting on delivery errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from bot.sending import drain
from tests.factories import make_participant

PATH = "/twilio/status"


@pytest.fixture
def sent(runtime, db_session, clock, twilio) -> OutboxMessage:
    """A text that went out through the fake Twilio and has a SID."""
    p = make_participant(db_session)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body="Reminder: group Tue 6pm. Reply C to confirm.",
                kind="reminder", dedupe_key="rem:1", now=clock(), participant_id=p.id)
    assert drain(runtime).sent == 1
    row = db_session.scalars(select(OutboxMessage)).one()
    assert row.twilio_sid == twilio.messages[0]["sid"]
    assert twilio.messages[0]["status_callback"] == "https://bot.example.org/twilio/status"
    return row


def callback(post_twilio, row: OutboxMessage, status: str, code: str | None = None):
    """Twilio's status callback for `row`."""
    form = {"MessageSid": row.twilio_sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32,
            "To": row.to_phone, "From": "+15005550006"}
    if code:
        form["ErrorCode"] = code
    return post_twilio(PATH, **form)


def status_of(db_session, row: OutboxMessage) -> tuple[str | None, str]:
    """(outbox delivery_status, message_log state) of a sent row."""
    fresh = db_session.get(OutboxMessage, row.id, populate_existing=True)
    entry = db_session.scalar(select(MessageLog).where(MessageLog.twilio_sid == row.twilio_sid))
    return fresh.delivery_status, entry.state


def test_unsigned_callback_is_refused_and_changes_nothing(client, sent, db_session):
    response = client.post(PATH, data={"MessageSid": sent.twilio_sid, "MessageStatus": "failed",
                                       "ErrorCode": "21610"})
    assert response.status_code == 403
    assert status_of(db_session, sent) == (None, "sent")
    assert db_session.get(PhoneNumber, sent.to_phone, populate_existing=True) is None


def test_forged_callback_is_refused(client, sent, db_session, settings):
    from twilio.request_validator import RequestValidator

    good = {"MessageSid": sent.twilio_sid, "MessageStatus": "sent"}
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(
        "https://bot.example.org" + PATH, good)
    forged = {**good, "MessageStatus": "failed", "ErrorCode": "21610"}
    response = client.post(PATH, data=forged, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert db_session.get(PhoneNumber, sent.to_phone, populate_existing=True) is None


def test_statuses_move_forward(post_twilio, sent, db_session):
    for status in ("queued", "sent", "delivered"):
        assert callback(post_twilio, sent, status).status_code == 204
        assert status_of(db_session, sent) == (status, status)


@pytest.mark.parametrize(
    "sequence, final",
    [
        (["delivered", "sent"], "delivered"),
        (["delivered", "queued", "sending"], "delivered"),
        (["sent", "delivered", "delivered", "sent"], "delivered"),
        (["read", "delivered"], "read"),
        (["undelivered", "sent", "queued"], "undelivered"),
        (["delivered", "undelivered", "failed"], "delivered"),
    ],
)
def test_repeated_and_out_of_order_callbacks_never_move_backwards(
    post_twilio, sent, db_session, sequence, final
):
    for status in sequence:
        assert callback(post_twilio, sent, status).status_code == 204
    assert status_of(db_session, sent) == (final, final)


def test_callback_for_unknown_sid_is_acknowledged(post_twilio, db_session):
    response = post_twilio(PATH, MessageSid="SM" + "f" * 32, MessageStatus="delivered")
    assert response.status_code == 204


@pytest.mark.parametrize(
    "form",
    [
        {"MessageStatus": "delivered"},
        {"MessageSid": "SM" + "f" * 32},
        {"MessageSid": "SM" + "f" * 32, "MessageStatus": "exploded"},
        {"MessageSid": "SM\x00" + "f" * 30, "MessageStatus": "sent"},
    ],
)
def test_malformed_callbacks_are_400(post_twilio, form):
    assert post_twilio(PATH, **form).status_code == 400


def rows_to(db_session, phone: str) -> list[OutboxMessage]:
    """Outbox rows to `phone`, oldest first."""
    return db_session.scalars(select(OutboxMessage).where(OutboxMessage.to_phone == phone)
                              .order_by(OutboxMessage.id)).all()


def test_undelivered_30003_schedules_a_retry_with_backoff(
    post_twilio, sent, db_session, clock, runtime, twilio
):
    assert callback(post_twilio, sent, "undelivered", "30003").status_code == 204
    original, retry = rows_to(db_session, sent.to_phone)
    assert original.error_code == 30003
    assert (retry.state, retry.body, retry.kind) == ("pending", sent.body, sent.kind)
    assert retry.dedupe_key == "rem:1#retry1"
    assert retry.not_before > clock()
    # Not flagged yet: an unreachable handset is retried first.
    assert db_session.get(PhoneNumber, sent.to_phone, populate_existing=True) is None
    # The same callback again does not queue a second retry.
    callback(post_twilio, sent, "undelivered", "30003")
    assert len(rows_to(db_session, sent.to_phone)) == 2
    # Sent again once due.
    assert drain(runtime, now=retry.not_before).sent == 1
    assert len(twilio.messages) == 2


def test_30003_is_flagged_after_repeated_retries(post_twilio, sent, db_session, clock, runtime):
    """Delivery failures follow the sender's one retry policy: IOPBOT_MAX_SEND_ATTEMPTS tries."""
    row, attempts = sent, runtime.settings.max_send_attempts
    for _ in range(attempts - 1):
        callback(post_twilio, row, "undelivered", "30003")
        row = rows_to(db_session, sent.to_phone)[-1]
        assert db_session.get(PhoneNumber, sent.to_phone, populate_existing=True) is None
        assert drain(runtime, now=row.not_before).sent == 1
        row = db_session.get(OutboxMessage, row.id, populate_existing=True)
    callback(post_twilio, row, "undelivered", "30003")
    assert len(rows_to(db_session, sent.to_phone)) == attempts  # the original and its retries
    phone = db_session.get(PhoneNumber, sent.to_phone, populate_existing=True)
    assert (phone.flag, phone.flag_code, phone.opted_out) == ("unreachable", 30003, False)


@pytest.mark.parametrize(
    "code, flag, opted_out",
    [("21610", None, True), ("30006", "landline", False), ("30005", "unknown_handset", False)],
)
def test_delivery_errors_flag_or_opt_out_without_retrying(
    post_twilio, sent, db_session, code, flag, opted_out
):
    assert callback(post_twilio, sent, "undelivered", code).status_code == 204
    phone = db_session.get(PhoneNumber, sent.to_phone, populate_existing=True)
    assert phone.opted_out is opted_out
    assert phone.flag == flag
    assert len(rows_to(db_session, sent.to_phone)) == 1  # no retry queued


def test_opted_out_by_callback_means_nothing_more_is_sent(
    post_twilio, sent, db_session, runtime, clock, twilio
):
    callback(post_twilio, sent, "failed", "21610")
    with runtime.Session() as s, s.begin():
        enqueue(s, to=sent.to_phone, body="next", kind="reminder", dedupe_key="rem:2",
                now=clock())
    assert drain(runtime).suppressed == 1
    assert len(twilio.messages) == 1


def test_failed_without_error_code_just_records_the_state(post_twilio, sent, db_session):
    callback(post_twilio, sent, "failed")
    assert status_of(db_session, sent) == ("failed", "failed")
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
