"""The inbound path under bad input and a failing database: never a 500 for Twilio's odd
values, never PHI in a log, and a crisis text always answered with 911/988.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import event, select, text

from bot.app import build_runtime, create_app
from bot.db import make_engine, scrub_driver_message
from bot.models import Alert, MessageLog, OutboxMessage, PhoneNumber
from bot.outbox import enqueue
from bot.sending import drain
from bot.settings import Settings
from handlers.signature import check_webhook_signing
from tests.conftest import PUBLIC_BASE_URL, postgres_url, sign
from tests.factories import make_counselor, make_participant

BODY = "I relapsed last night"  # a body that must never reach a log


def messages(response) -> list[str]:
    return re.findall(r"<Message>(.*?)</Message>", response.get_data(as_text=True), re.S)


# item 3: MessageSid up to 64 characters is stored ------------------------------------------


@pytest.mark.parametrize("length", [34, 41, 64])
def test_a_message_sid_up_to_64_characters_is_stored(text_in, db_session, length):
    sid = "SM" + "a" * (length - 2)
    response = text_in("+14155550101", "hello", sid=sid)
    assert response.status_code == 200
    assert db_session.scalar(select(MessageLog.twilio_sid).where(
        MessageLog.direction == "in")) == sid


def test_a_message_sid_of_65_characters_is_refused(text_in, db_session):
    assert text_in("+14155550101", "hello", sid="SM" + "a" * 63).status_code == 400
    assert db_session.scalar(select(MessageLog)) is None


# item 4: odd ErrorCodes on /twilio/status ---------------------------------------------------


@pytest.fixture
def sent(runtime, db_session, clock, twilio) -> OutboxMessage:
    """A text that went out and has a SID."""
    p = make_participant(db_session)
    with runtime.Session() as s, s.begin():
        enqueue(s, to=p.phone, body="Reminder: group Tue 6pm.", kind="reminder",
                dedupe_key="rem:1", now=clock(), participant_id=p.id)
    assert drain(runtime).sent == 1
    return db_session.scalars(select(OutboxMessage)).one()


@pytest.mark.parametrize("code", ["²", "9" * 5000, str(2**31), "99999999999", "-30005", "1e5",
                                  "٣٠٠٠٥", "0"])
def test_a_malformed_error_code_is_logged_and_never_a_500(post_twilio, sent, db_session, caplog,
                                                         code):
    caplog.set_level(logging.WARNING)
    response = post_twilio("/twilio/status", MessageSid=sent.twilio_sid,
                           MessageStatus="undelivered", ErrorCode=code)
    assert response.status_code in (200, 204, 400)
    row = db_session.get(OutboxMessage, sent.id)
    assert row.delivery_status == "undelivered"  # the status itself still counts
    assert row.error_code is None
    assert "malformed ErrorCode" in caplog.text


def test_an_unknown_status_is_logged_and_refused(post_twilio, sent, db_session, caplog):
    caplog.set_level(logging.WARNING)
    response = post_twilio("/twilio/status", MessageSid=sent.twilio_sid, MessageStatus="exploded")
    assert response.status_code == 400
    assert "unknown MessageStatus 'exploded'" in caplog.text
    assert db_session.get(OutboxMessage, sent.id).delivery_status is None


def test_a_well_formed_error_code_is_still_acted_on(post_twilio, sent, db_session):
    post_twilio("/twilio/status", MessageSid=sent.twilio_sid, MessageStatus="undelivered",
                ErrorCode="30005")
    assert db_session.get(OutboxMessage, sent.id).error_code == 30005
    assert db_session.get(PhoneNumber, sent.to_phone).flag_code == 30005


# item 5: no PHI in error logs ---------------------------------------------------------------


def _fail_with_phi(session, phone):
    """A statement that fails with the number (and the body) in its parameters and DETAIL."""
    session.execute(text("INSERT INTO phone_numbers (phone, opted_out, flag) "
                         "VALUES (:phone, false, :body)"), {"phone": phone, "body": BODY})


def test_a_database_error_in_the_webhook_logs_neither_number_nor_body(
    text_in, monkeypatch, caplog, db_session
):
    caplog.set_level(logging.DEBUG)
    def look_up_failing(session, phone, *_):
        for _ in range(2):  # the second INSERT of the number fails whether or not a row was held
            _fail_with_phi(session, phone)

    monkeypatch.setattr("handlers.dispatch.look_up_sender", look_up_failing)
    phone = "+14155550142"
    response = text_in(phone, BODY)
    assert response.status_code == 503
    assert "NOT stored" in caplog.text and "IntegrityError" in caplog.text
    assert phone not in caplog.text and phone[2:] not in caplog.text
    assert BODY not in caplog.text
    assert db_session.scalar(select(MessageLog)) is None  # nothing half-stored


def test_a_database_error_carries_no_phi_in_its_text(runtime):
    phone = "+14155550143"
    with runtime.Session() as s, s.begin():
        s.add(PhoneNumber(phone=phone, opted_out=False))
    with pytest.raises(Exception) as caught, runtime.Session() as s, s.begin():
        _fail_with_phi(s, phone)
    message = str(caught.value)
    assert "phone_numbers" in message  # still says what failed ...
    assert phone not in message and phone[2:] not in message and BODY not in message  # ... only


@pytest.mark.parametrize("raw, clean", [
    ('duplicate key value violates unique constraint "uq_x"\nDETAIL:  Key (phone)=(+14155550100)'
     " already exists.", 'duplicate key value violates unique constraint "uq_x"'),
    ('invalid input syntax for type integer: "I took pills"\nCONTEXT: portal',
     'invalid input syntax for type integer: "…"'),
    ("call me at 415 555 0100 please", "call me at … please"),
    ("", ""),
])
def test_driver_messages_are_scrubbed(raw, clean):
    assert scrub_driver_message(raw) == clean


# item 7: the database unreachable during a crisis text --------------------------------------


@pytest.fixture
def no_database(settings, clock, tmp_path):
    """The app with a database that cannot be reached."""
    if postgres_url():
        bad = "postgresql+psycopg://root@127.0.0.1:1/none"
    else:
        bad = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'iopbot.db'}"
    runtime = build_runtime(settings.with_overrides(database_url=bad), clock=clock)
    app = create_app(runtime=runtime)
    app.testing = True
    yield app
    runtime.engine.dispose()


def post_to(app, settings, path: str, **form: str):
    signature = sign(PUBLIC_BASE_URL + path, form, settings.twilio_auth_token)
    return app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize("body", ["I want to kill myself tonight", "i took all my pills"])
def test_a_crisis_text_while_the_database_is_down_gets_911_and_988(
    no_database, settings, caplog, body
):
    caplog.set_level(logging.DEBUG)
    phone = "+14155550144"
    response = post_to(no_database, settings, "/twilio/messages", From=phone, Body=body,
                       MessageSid="SM" + "c" * 32, To="+15005550006")
    assert response.status_code == 200
    [reply] = messages(response)
    assert "911" in reply and "988" in reply
    for secret in ("team", "counselor", "program", "Riverside"):
        assert secret not in reply  # the stranger's wording: it reveals no patienthood
    assert "NOT stored" in caplog.text
    assert phone not in caplog.text and body not in caplog.text


def test_a_routine_text_while_the_database_is_down_gets_a_5xx(no_database, settings, caplog):
    response = post_to(no_database, settings, "/twilio/messages", From="+14155550145",
                       Body="8", MessageSid="SM" + "d" * 32, To="+15005550006")
    assert response.status_code == 503
    assert messages(response) == []


def test_a_status_callback_while_the_database_is_down_gets_a_503(no_database, settings,
                                                                 caplog):
    response = post_to(no_database, settings, "/twilio/status", MessageSid="SM" + "e" * 32,
                       MessageStatus="delivered")
    assert response.status_code == 503
    assert "NOT recorded" in caplog.text and not [r for r in caplog.records if r.exc_info]


# item 9: unsigned webhooks ------------------------------------------------------------------


def test_console_transport_without_a_token_warns_once(caplog):
    caplog.set_level(logging.WARNING)
    check_webhook_signing(Settings(transport="console"))
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "TWILIO_AUTH_TOKEN is not set" in caplog.text


def test_a_token_means_no_warning(caplog):
    check_webhook_signing(Settings(transport="console", twilio_auth_token="x" * 32))
    assert caplog.records == []


def test_the_gunicorn_app_refuses_twilio_without_a_token(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("TWILIO_AUTH_TOKEN", "IOPBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("IOPBOT_TRANSPORT", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+15005550006")
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("iopbot: ") and "TWILIO_AUTH_TOKEN" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_gunicorn_app_warns_when_serving_unsigned_webhooks(monkeypatch, tmp_path, caplog):
    monkeypatch.chdir(tmp_path)
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "IOPBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("IOPBOT_TRANSPORT", "console")
    caplog.set_level(logging.WARNING)
    app = create_app()
    app.extensions["iopbot"].engine.dispose()
    assert sum("WITHOUT a signature check" in r.getMessage() for r in caplog.records) == 1


def test_iopbot_web_refuses_twilio_without_a_token(runner, monkeypatch, app):
    runtime = app.extensions["iopbot"]
    monkeypatch.setattr(runtime, "settings", Settings(transport="twilio"))
    served = []  # had the check let it through, the test must fail, not serve forever
    monkeypatch.setattr("bot.gunicorn_app.serve", lambda *a, **k: served.append(k))
    result = runner.invoke(args=["web"])
    assert served == []
    assert result.exit_code == 2
    assert "needs TWILIO_AUTH_TOKEN" in result.output


# item 14: Twilio Advanced Opt-Out -----------------------------------------------------------


@pytest.fixture
def twilio_keyword(post_twilio):
    """A text that Twilio's Advanced Opt-Out matched (and already answered)."""
    sids = iter(range(1, 1000))

    def post(phone: str, body: str, opt_out_type: str):
        return post_twilio("/twilio/messages", From=phone, To="+15005550006", Body=body,
                           MessageSid=f"SM{next(sids):032x}", OptOutType=opt_out_type)

    return post


def test_twilio_answered_stop_is_recorded_without_a_second_confirmation(
    twilio_keyword, db_session
):
    alex = make_participant(db_session)
    response = twilio_keyword(alex.phone, "STOP", "STOP")
    assert response.status_code == 200 and messages(response) == []
    assert db_session.get(PhoneNumber, alex.phone).opted_out
    response = twilio_keyword(alex.phone, "START", "START")
    assert messages(response) == []
    assert not db_session.get(PhoneNumber, alex.phone).opted_out
    assert messages(twilio_keyword(alex.phone, "HELP", "HELP")) == []


def test_a_custom_twilio_keyword_opts_out_too(twilio_keyword, db_session):
    alex = make_participant(db_session)
    assert messages(twilio_keyword(alex.phone, "ARRET", "stop")) == []
    assert db_session.get(PhoneNumber, alex.phone).opted_out


def test_a_crisis_twilio_read_as_opt_out_still_pages_staff(twilio_keyword, db_session, twilio):
    on_call = make_counselor(db_session, on_call=True)
    alex = make_participant(db_session)
    response = twilio_keyword(alex.phone, "stop texting me, I want to kill myself", "STOP")
    assert messages(response) == []  # Twilio answered already: never a second text
    assert db_session.get(PhoneNumber, alex.phone).opted_out
    assert db_session.scalars(select(Alert)).one().level == "crisis"
    assert on_call.phone in {m["to"] for m in twilio.messages}


def test_an_unknown_opt_out_type_is_ignored(twilio_keyword, db_session):
    alex = make_participant(db_session)
    response = twilio_keyword(alex.phone, "hello", "FOO")
    assert response.status_code == 200 and messages(response)  # handled as a normal text
    phone = db_session.get(PhoneNumber, alex.phone)  # no row on SQLite: nothing to lock there
    assert phone is None or not phone.opted_out


def test_engines_hide_parameters(database_url):
    engine = make_engine(database_url)
    try:
        assert engine.hide_parameters
    finally:
        engine.dispose()


@pytest.mark.skipif(postgres_url() is None, reason="a PostgreSQL connection option")
@pytest.mark.parametrize("query, expected", [("", 5), ("connect_timeout=2", "2")])
def test_postgresql_connections_time_out(database_url, query, expected):
    url = database_url + (("&" if "?" in database_url else "?") + query if query else "")
    engine = make_engine(url)
    seen: dict = {}
    event.listen(engine, "do_connect", lambda _d, _r, _a, cparams: seen.update(cparams))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert seen["connect_timeout"] == expected
    finally:
        engine.dispose()
