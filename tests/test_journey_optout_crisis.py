"""Journey: an opt-out worded as a crisis is honoured, and the crisis still reaches staff."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import Alert, AlertEvent, OutboxMessage, PhoneNumber
from tests.factories import make_counselor, make_participant


@pytest.fixture
def people(db_session):
    """An assigned counselor, an on-call counselor and one participant."""
    assigned = make_counselor(db_session, name="Jordan Lee")
    on_call = make_counselor(db_session, name="Sam Ortiz", on_call=True)
    alex = make_participant(db_session, counselor=assigned, name="Alex Rivera")
    return {"assigned": assigned, "on_call": on_call, "alex": alex}


def test_stop_texting_me_i_want_to_die_opts_out_and_pages_staff(
    text_in, db_session, twilio, people
):
    alex = people["alex"]
    reply = text_in(alex.phone, "stop texting me, I want to kill myself").get_data(as_text=True)
    assert db_session.get(PhoneNumber, alex.phone).opted_out
    assert "won't get more texts" in reply  # the one confirmation the FCC allows ...
    assert reply.count("<Message>") == 1
    assert "911" in reply and "988" in reply  # ... which also says where help is
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.participant_id) == ("crisis", alex.id)
    assert {m["to"] for m in twilio.messages} == {people["assigned"].phone,
                                                  people["on_call"].phone}
    assert not db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_phone == alex.phone, OutboxMessage.kind != "reply")).all()


def test_already_opted_out_crisis_worded_as_opt_out_joins_open_alert(
    text_in, db_session, twilio, people, clock
):
    alex = people["alex"]
    text_in(alex.phone, "STOP")
    text_in(alex.phone, "I want to kill myself")
    clock.advance(minutes=3)
    response = text_in(alex.phone, "no more texts. i took all my pills")
    assert "<Message>" not in response.get_data(as_text=True)
    alert = db_session.scalars(select(Alert)).one()
    assert db_session.scalar(select(func.count()).select_from(AlertEvent).where(
        AlertEvent.alert_id == alert.id, AlertEvent.action == "follow_up")) == 1
    assert len(twilio.messages) == 4  # first pages, then the follow-up pages


def test_plain_stop_raises_nothing(text_in, db_session, twilio, people):
    text_in(people["alex"].phone, "STOP")
    assert db_session.scalar(select(func.count()).select_from(Alert)) == 0
    assert twilio.messages == []


def test_unknown_number_crisis_opt_out_gets_a_safe_confirmation(text_in, db_session, people):
    reply = text_in("+14155550177", "stop texting me i want to die").get_data(as_text=True)
    assert reply.count("<Message>") == 1
    assert "911" in reply and "988" in reply
    for secret in ("team", "Riverside", "Alex", "counselor"):
        assert secret not in reply
    assert db_session.get(PhoneNumber, "+14155550177").opted_out


def test_plain_opt_out_confirmation_has_no_crisis_lines(text_in, people):
    reply = text_in(people["alex"].phone, "stop texting me").get_data(as_text=True)
    assert "won't get more texts" in reply and "988" not in reply
