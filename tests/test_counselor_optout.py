"""A counselor who texts STOP is honoured, and on-call staff and supervisors are told."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import OutboxMessage, PhoneNumber
from bot.sending import drain
from tests.factories import make_counselor, make_participant


def test_counselor_stop_warns_on_call_and_supervisors(text_in, db_session, runtime, twilio):
    jordan = make_counselor(db_session, name="Jordan Lee")
    on_call = make_counselor(db_session, name="Sam Ortiz", on_call=True)
    boss = make_counselor(db_session, name="Pat Kim", supervisor=True)
    bystander = make_counselor(db_session, name="Lee Park")
    make_participant(db_session, counselor=jordan)

    reply = text_in(jordan.phone, "STOP").get_data(as_text=True)
    assert "START" in reply
    assert db_session.get(PhoneNumber, jordan.phone).opted_out
    drain(runtime)
    told = {m["to"]: m["body"] for m in twilio.messages}
    assert set(told) == {on_call.phone, boss.phone}
    assert all("Jordan Lee" in body and "START" in body for body in told.values())
    assert bystander.phone not in told

    text_in(jordan.phone, "STOP")  # a repeat opt-out warns nobody again
    notices = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "staff.notice")
    ).all()
    assert len(notices) == 2


def test_participant_stop_warns_nobody(text_in, db_session, runtime, twilio):
    make_counselor(db_session, on_call=True)
    participant = make_participant(db_session)
    text_in(participant.phone, "stop texting me")
    drain(runtime)
    assert twilio.messages == []
