"""POST /twilio/messages: signatures, replays, the message log, TwiML and bad input."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.models import MessageLog, OutboxMessage, PhoneNumber
from bot.settings import Settings
from tests.conftest import PUBLIC_BASE_URL
from tests.factories import make_counselor, make_participant

PATH = "/twilio/messages"
UNKNOWN = "+14155559876"


def counts(db_session) -> tuple[int, int, int]:
    """Rows in message_log, outbox and phone_numbers."""
    return (
        db_session.scalar(select(func.count()).select_from(MessageLog)),
        db_session.scalar(select(func.count()).select_from(OutboxMessage)),
        db_session.scalar(select(func.count()).select_from(PhoneNumber)),
    )


def form(phone: str = UNKNOWN, body: str = "hello", sid: str = "SM" + "a" * 32) -> dict:
    """A webhook form as Twilio posts it."""
    return {"From": phone, "To": "+15005550006", "Body": body, "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32}


def signed_headers(settings: Settings, data: dict, url: str = PUBLIC_BASE_URL + PATH) -> dict:
    """A valid X-Twilio-Signature for `data` posted to `url`."""
    return {"X-Twilio-Signature":
            RequestValidator(settings.twilio_auth_token).compute_signature(url, data)}


# signatures ---------------------------------------------------------------------------------


def test_unsigned_request_is_refused_and_nothing_is_stored(client, db_session):
    before = counts(db_session)
    response = client.post(PATH, data=form(body="STOP"))
    assert response.status_code == 403
    assert counts(db_session) == before == (0, 0, 0)


def test_forged_signature_is_refused_and_nothing_is_stored(client, settings, db_session):
    data = form(body="STOP")
    headers = signed_headers(settings, data)
    data["Body"] = "START"  # tampered after signing
    response = client.post(PATH, data=data, headers=headers)
    assert response.status_code == 403
    assert counts(db_session) == (0, 0, 0)


def test_signature_with_the_wrong_token_is_refused(client, db_session):
    data = form()
    bad = RequestValidator("not-the-token").compute_signature(PUBLIC_BASE_URL + PATH, data)
    response = client.post(PATH, data=data, headers={"X-Twilio-Signature": bad})
    assert response.status_code == 403
    assert counts(db_session) == (0, 0, 0)


def test_signature_is_checked_against_public_base_url_not_the_local_host(
    client, settings, db_session
):
    data = form()
    # Signed for the URL the proxy forwarded to (what request.url is here): must not pass.
    local = signed_headers(settings, data, url="http://localhost" + PATH)
    assert client.post(PATH, data=data, headers=local).status_code == 403
    good = signed_headers(settings, data)
    assert client.post(PATH, data=data, headers=good).status_code == 200
    assert counts(db_session)[0] == 2  # the text and the neutral answer


def test_without_an_auth_token_requests_are_accepted(runtime, db_session):
    from dataclasses import replace

    from bot.app import create_app

    runtime.settings = replace(runtime.settings, twilio_auth_token=None)
    client = create_app(runtime=runtime).test_client()
    response = client.post(PATH, data=form(body="hi"))
    assert response.status_code == 200
    assert "<Message>" in response.get_data(as_text=True)
    assert db_session.scalar(select(MessageLog).where(MessageLog.direction == "in")).body == "hi"


# replay, logging, TwiML -------------------------------------------------------------------


def test_replayed_message_sid_is_acknowledged_and_not_processed_again(
    text_in, db_session, runtime
):
    p = make_participant(db_session)
    sid = "SM" + "b" * 32
    first = text_in(p.phone, "hello there", sid=sid)
    assert "<Message>" in first.get_data(as_text=True)
    after_first = counts(db_session)
    again = text_in(p.phone, "hello there", sid=sid)
    assert again.status_code == 200
    assert again.get_data(as_text=True) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response />'
    )
    assert counts(db_session) == after_first


def test_every_text_is_logged_with_direction_channel_party_sid_and_state(
    text_in, db_session
):
    p = make_participant(db_session)
    c = make_counselor(db_session)
    text_in(p.phone, "hi from participant", sid="SM" + "1" * 32)
    text_in(c.phone, "hi from counselor", sid="SM" + "2" * 32)
    text_in(UNKNOWN, "hi from stranger", sid="SM" + "3" * 32)
    inbound = {m.twilio_sid: m for m in db_session.scalars(
        select(MessageLog).where(MessageLog.direction == "in"))}
    assert {m.party for m in inbound.values()} == {"participant", "counselor", "unknown"}
    assert inbound["SM" + "1" * 32].participant_id == p.id
    assert inbound["SM" + "2" * 32].counselor_id == c.id
    assert inbound["SM" + "3" * 32].participant_id is None
    for m in inbound.values():
        assert (m.channel, m.state) == ("sms", "processed")
        assert m.intent is not None
    outbound = db_session.scalars(select(MessageLog).where(MessageLog.direction == "out")).all()
    assert len(outbound) == 3  # one inline answer each, recorded
    assert {m.phone for m in outbound} == {p.phone, c.phone, UNKNOWN}
    assert all(m.state == "replied" and m.outbox_id for m in outbound)


def test_replies_are_twiml_messages(text_in, db_session):
    p = make_participant(db_session)
    response = text_in(p.phone, "HELP")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    text = response.get_data(as_text=True)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "Riverside Health" in text


FORBIDDEN = ("program", "treatment", "recovery", "addiction", "relapse", "craving", "iop",
             "clinic", "counsel", "participant", "enrol", "patient", "group", "check-in",
             "riverside", "alex", "rivera", "jordan")


@pytest.mark.parametrize(
    "body", ["hi", "is Alex Rivera in your program?", "who is this", "1", "I want to join"]
)
def test_unknown_number_gets_a_neutral_answer(text_in, db_session, body):
    make_participant(db_session)  # Alex Rivera exists; nothing may hint at it
    response = text_in(UNKNOWN, body)
    assert response.status_code == 200
    reply = response.get_data(as_text=True)
    assert "<Message>" in reply
    lowered = reply.lower()
    for word in FORBIDDEN:
        assert word not in lowered, word


def test_unknown_number_answer_is_the_same_whoever_they_ask_about(text_in, db_session):
    make_participant(db_session, name="Casey Moreno")
    a = text_in(UNKNOWN, "is Casey Moreno there?").get_data(as_text=True)
    b = text_in("+14155559875", "is Nobody Atall there?").get_data(as_text=True)
    assert a == b


def test_whatsapp_sender_is_handled_and_reply_logged_as_whatsapp(text_in, db_session):
    p = make_participant(db_session, channel="whatsapp")
    response = text_in(f"whatsapp:{p.phone}", "hello")
    assert response.status_code == 200
    assert "<Message>" in response.get_data(as_text=True)
    logs = db_session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
    assert [(m.direction, m.channel, m.phone, m.party) for m in logs] == [
        ("in", "whatsapp", p.phone, "participant"),
        ("out", "whatsapp", p.phone, "participant"),
    ]
    reply = db_session.scalars(select(OutboxMessage)).one()
    assert (reply.channel, reply.to_phone) == ("whatsapp", p.phone)


# bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["From", "Body", "MessageSid"])
def test_missing_field_is_400_and_nothing_stored(post_twilio, db_session, missing):
    data = form(body="STOP")
    del data[missing]
    response = post_twilio(PATH, **data)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)
    assert counts(db_session) == (0, 0, 0)


def test_empty_body_is_a_text_not_an_error(post_twilio, db_session):
    # An MMS with only a picture arrives with Body="".
    response = post_twilio(PATH, **form(body=""))
    assert response.status_code == 200
    assert counts(db_session)[0] == 2


@pytest.mark.parametrize("sender", ["hello", "12", "+1 555 0000 00000000", "whatsapp:", ""])
def test_sender_that_is_not_a_phone_number_is_400(post_twilio, db_session, sender):
    response = post_twilio(PATH, **form(phone=sender))
    assert response.status_code == 400
    assert counts(db_session) == (0, 0, 0)


@pytest.mark.parametrize("body", ["x" * 10_240, "é" * 5_200])
def test_oversized_body_is_413_and_nothing_stored(post_twilio, db_session, body):
    response = post_twilio(PATH, **form(body=body))
    assert response.status_code == 413
    assert counts(db_session) == (0, 0, 0)


def test_huge_request_is_413_before_any_parsing(client, db_session):
    data = {"Body": "x" * 200_000, "From": UNKNOWN}
    response = client.post(PATH, data=data, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 413
    assert counts(db_session) == (0, 0, 0)


def test_nul_bytes_in_body_are_dropped_and_the_text_is_handled(post_twilio, db_session):
    response = post_twilio(PATH, **form(body="he\x00llo\x00"))
    assert response.status_code == 200
    logged = db_session.scalar(select(MessageLog).where(MessageLog.direction == "in"))
    assert logged.body == "hello"


@pytest.mark.parametrize("field", ["From", "MessageSid"])
def test_nul_bytes_in_from_or_sid_are_400(post_twilio, db_session, field):
    data = form()
    data[field] = data[field][:5] + "\x00" + data[field][5:]
    response = post_twilio(PATH, **data)
    assert response.status_code == 400
    assert counts(db_session) == (0, 0, 0)


def test_emoji_and_right_to_left_marks_pass_through_intact(text_in, db_session):
    p = make_participant(db_session)
    body = "\u200fمرحبا 👋🏽 שלום\u200e 💊?"
    assert text_in(p.phone, body).status_code == 200
    logged = db_session.scalar(select(MessageLog).where(MessageLog.direction == "in"))
    assert logged.body == body


def post_raw(client, settings, raw: bytes, signed_form: dict):
    """POST raw urlencoded bytes, signed over the form Werkzeug will decode them into."""
    return client.post(
        PATH, data=raw, content_type="application/x-www-form-urlencoded",
        headers=signed_headers(settings, signed_form),
    )


def test_percent_encoded_invalid_utf8_is_kept_as_escapes(client, settings, db_session):
    # Werkzeug decodes %E9 (latin-1 é, not UTF-8) with its url_quote error handler: the
    # invalid byte stays as the text "%E9". The signature is over that decoded form.
    data = form(body="caf%E9")
    raw = urlencode({**data, "Body": "PLACEHOLDER"}).replace("PLACEHOLDER", "caf%E9").encode()
    response = post_raw(client, settings, raw, data)
    assert response.status_code == 200
    assert b"Traceback" not in response.data
    logged = db_session.scalar(select(MessageLog).where(MessageLog.direction == "in"))
    assert logged.body == "caf%E9"


def test_raw_invalid_utf8_bytes_are_a_clean_4xx(client, settings, db_session):
    # A raw 0xFF byte makes the whole body undecodable; Werkzeug then yields an empty form,
    # so the (correct) signature over that empty form passes and the fields are missing.
    raw = urlencode(form()).encode() + b"&Body=\xff\xfe"
    response = post_raw(client, settings, raw, {})
    assert response.status_code == 400
    assert b"Traceback" not in response.data
    assert counts(db_session) == (0, 0, 0)
    # ...and signed over the form the sender meant, it is refused as forged.
    response = post_raw(client, settings, raw, form())
    assert response.status_code == 403
    assert counts(db_session) == (0, 0, 0)


def test_get_is_not_allowed(client):
    assert client.get(PATH).status_code == 405
