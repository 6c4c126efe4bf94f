"""The crisis path end to end through the webhook: reply, alert row, immediate pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import Alert, AlertEvent, OutboxMessage, PhoneNumber
from bot.sending import drain
from tests.factories import make_care_team, make_participant


@pytest.fixture
def people(db_session):
    """An assigned counselor, an on-call counselor, a supervisor and one participant."""
    return make_care_team(db_session)


def body(response) -> str:
    return response.get_data(as_text=True)


def test_crisis_reply_alert_and_pages_without_a_clock_tick(text_in, db_session, twilio, people):
    alex = people["alex"]
    response = text_in(alex.phone, "honestly everyone would be better off without me")
    assert response.status_code == 200
    reply = body(response)
    for needed in ("911", "988", "naloxone", "stay with them", "automated", "counselor"):
        assert needed in reply, needed
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.kind, alert.participant_id) == ("crisis", "crisis", alex.id)
    assert alert.reasons == ["suicidal language"]
    assert alert.message_log_id is not None
    assert alert.deadline_at is not None and alert.state == "open"
    # Closing the response ran call_on_close: the pages went out with no clock tick.
    sent = {m["to"]: m["body"] for m in twilio.messages}
    assert set(sent) == {people["assigned"].phone, people["on_call"].phone}
    assert sent[people["assigned"].phone] == (
        f"Alert {alert.id} CRISIS: Alex R. suicidal language. Reply ACK {alert.id}"
    )
    assert "better off" not in sent[people["on_call"].phone]  # no message bodies to staff
    pages = db_session.scalars(select(OutboxMessage).where(OutboxMessage.party == "counselor"))
    assert {p.state for p in pages} == {"sent"}
    notified = db_session.scalars(select(AlertEvent.counselor_id).where(
        AlertEvent.alert_id == alert.id, AlertEvent.action == "notified")).all()
    assert sorted(notified) == sorted([people["assigned"].id, people["on_call"].id])


def test_spanish_participant_gets_spanish_crisis_reply(text_in, db_session, twilio, people):
    maria = make_participant(db_session, counselor=people["assigned"], name="María Gómez",
                             language="es")
    reply = body(text_in(maria.phone, "ya no quiero vivir"))
    assert "mensaje automático" in reply and "988" in reply and "naloxona" in reply
    assert len(twilio.messages) == 2


@pytest.mark.parametrize("status", ["paused", "discharged"])
def test_crisis_works_for_paused_and_discharged(text_in, db_session, twilio, people, status):
    alex = people["alex"]
    alex.status = status
    db_session.commit()
    reply = body(text_in(alex.phone, "I took all my pills"))
    assert "988" in reply
    assert db_session.scalars(select(Alert)).one().level == "crisis"
    assert len(twilio.messages) == 2


def test_inactive_counselor_falls_back_to_on_call(text_in, db_session, twilio, people):
    people["assigned"].active = False
    db_session.commit()
    text_in(people["alex"].phone, "I want to kill myself")
    assert [m["to"] for m in twilio.messages] == [people["on_call"].phone]


def test_no_on_call_falls_back_to_supervisor(text_in, db_session, twilio, people):
    people["assigned"].active = False
    people["on_call"].on_call = False
    db_session.commit()
    text_in(people["alex"].phone, "I want to kill myself")
    assert [m["to"] for m in twilio.messages] == [people["boss"].phone]


def test_replayed_message_sid_never_double_alerts(text_in, db_session, twilio, people):
    alex = people["alex"]
    first = text_in(alex.phone, "I want to end my life", sid="SM" + "a" * 32)
    again = text_in(alex.phone, "I want to end my life", sid="SM" + "a" * 32)
    assert "988" in body(first)
    assert "<Message>" not in body(again)
    assert db_session.scalar(select(func.count()).select_from(Alert)) == 1
    assert len(twilio.messages) == 2


def test_second_crisis_text_joins_the_open_alert(text_in, db_session, twilio, people, clock):
    alex = people["alex"]
    text_in(alex.phone, "I want to kill myself")
    clock.advance(minutes=2)
    reply = body(text_in(alex.phone, "i took all my pills"))
    assert "texted again" in reply and "911" in reply
    alert = db_session.scalars(select(Alert)).one()
    assert len(twilio.messages) == 4
    assert all("texted again" in m["body"] for m in twilio.messages[2:])
    assert db_session.scalar(select(func.count()).select_from(AlertEvent).where(
        AlertEvent.alert_id == alert.id, AlertEvent.action == "follow_up")) == 1


def test_opted_out_participant_still_pages_staff_but_gets_no_reply(
    text_in, db_session, twilio, people
):
    alex = people["alex"]
    assert "won't get more texts" in body(text_in(alex.phone, "STOP"))
    response = text_in(alex.phone, "I want to kill myself")
    assert "<Message>" not in body(response)  # they said STOP; dispatch withholds the reply
    assert db_session.scalars(select(Alert)).one().level == "crisis"
    assert {m["to"] for m in twilio.messages} == {people["assigned"].phone,
                                                  people["on_call"].phone}


def test_opt_out_during_open_crisis_keeps_alert_and_pages(
    text_in, db_session, twilio, people, runtime, clock
):
    alex = people["alex"]
    twilio.fail_next(503)  # first immediate page fails: it stays pending for the clock
    text_in(alex.phone, "I want to kill myself")
    pending = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.party == "counselor", OutboxMessage.state == "pending")).all()
    assert len(pending) == 1
    text_in(alex.phone, "STOP")
    assert db_session.get(PhoneNumber, alex.phone).opted_out
    alert = db_session.scalars(select(Alert)).one()
    assert alert.state == "open"
    assert db_session.scalars(select(OutboxMessage.state).where(
        OutboxMessage.id == pending[0].id)).one() == "pending"
    clock.advance(minutes=1)
    drain(runtime, paced=False)
    assert {m["to"] for m in twilio.messages} == {people["assigned"].phone,
                                                  people["on_call"].phone}


def test_unknown_number_gets_generic_answer_and_on_call_is_paged(
    text_in, db_session, twilio, people
):
    response = text_in("+14155550123", "i want to die tonight")
    reply = body(response)
    assert "911" in reply and "988" in reply
    for secret in ("counselor", "Riverside", "Alex", "team"):
        assert secret not in reply
    alert = db_session.scalars(select(Alert)).one()
    assert alert.participant_id is None and alert.phone == "+14155550123"
    assert [m["to"] for m in twilio.messages] == [people["on_call"].phone]
    assert twilio.messages[0]["body"] == (
        f"Alert {alert.id} CRISIS: unknown number ending 0123 texted crisis language. "
        f"Reply ACK {alert.id}"
    )


def test_unknown_number_routine_text_reveals_nothing(text_in, db_session, twilio, people):
    reply = body(text_in("+14155550124", "hi is this alex's counselor"))
    assert "can't help" in reply
    assert db_session.scalar(select(func.count()).select_from(Alert)) == 0
    assert twilio.messages == []


def test_idiom_is_not_a_crisis(text_in, db_session, twilio, people):
    reply = body(text_in(people["alex"].phone, "this traffic is killing me lol"))
    assert "988" not in reply
    assert db_session.scalar(select(func.count()).select_from(Alert)) == 0
