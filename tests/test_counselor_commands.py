"""Counselors acknowledge, resolve and list alerts by text; their texts are never triaged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import Alert, AlertEvent, AuditEvent
from tests.factories import make_counselor, make_participant


@pytest.fixture
def people(db_session):
    """Two regular counselors, an on-call counselor, a supervisor and two participants."""
    jordan = make_counselor(db_session, name="Jordan Lee")
    riley = make_counselor(db_session, name="Riley Chen")
    on_call = make_counselor(db_session, name="Sam Ortiz", on_call=True)
    boss = make_counselor(db_session, name="Pat Kim", supervisor=True)
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    bea = make_participant(db_session, counselor=riley, name="Bea Stone")
    return dict(jordan=jordan, riley=riley, on_call=on_call, boss=boss, alex=alex, bea=bea)


@pytest.fixture
def say(text_in):
    """Text the bot, close the response, and return the reply text."""

    def send(phone: str, text: str) -> str:
        return text_in(phone, text).get_data(as_text=True)  # text_in closes the response

    return send


def alert_about(db_session, participant) -> Alert:
    return db_session.scalars(select(Alert).where(Alert.participant_id == participant.id)
                              .order_by(Alert.id.desc())).first()


def test_ack_then_done_with_note(say, db_session, people, clock):
    say(people["alex"].phone, "I used last night")
    alert = alert_about(db_session, people["alex"])
    acked_at = clock.advance(minutes=4)
    assert f"Alert {alert.id} acknowledged. Reply DONE {alert.id}" in say(
        people["jordan"].phone, f"ACK {alert.id}")
    clock.advance(minutes=30)
    reply = say(people["jordan"].phone, f"done {alert.id} called her, she is ok, seeing her Tue")
    assert f"Alert {alert.id} resolved" in reply
    alert = alert_about(db_session, people["alex"])
    assert alert.state == "resolved"
    assert alert.note == "called her, she is ok, seeing her Tue"
    assert alert.acknowledged_at == acked_at and alert.acknowledged_by == people["jordan"].id
    assert alert.resolved_by == people["jordan"].id and alert.resolved_at == clock()
    events = db_session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                .order_by(AlertEvent.id)).all()
    assert [e.action for e in events][-2:] == ["acknowledged", "resolved"]
    assert events[-1].counselor_id == people["jordan"].id
    audit = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id)).all()
    assert {"alert.raised", "alert.acknowledged", "alert.resolved"} <= set(audit)


@pytest.mark.parametrize("text", ["ack {id}", "Ack #{id}", "ACK{id}", "  ack   {id}. "])
def test_ack_forms(say, db_session, people, text):
    say(people["alex"].phone, "I used last night")
    alert = alert_about(db_session, people["alex"])
    assert "acknowledged" in say(people["jordan"].phone, text.format(id=alert.id))
    assert alert_about(db_session, people["alex"]).state == "acknowledged"


def test_bare_ack_takes_the_only_waiting_alert(say, db_session, people):
    say(people["alex"].phone, "I used last night")
    assert "acknowledged" in say(people["jordan"].phone, "ack")
    assert alert_about(db_session, people["alex"]).state == "acknowledged"


def test_bare_ack_with_two_waiting_asks_which(say, db_session, people, clock):
    say(people["alex"].phone, "I used last night")
    say(people["on_call"].phone, "ALERTS")
    say(people["bea"].phone, "I want to quit the program")
    reply = say(people["on_call"].phone, "ack")
    assert "Which alert?" in reply
    assert alert_about(db_session, people["alex"]).state == "open"


def test_unknown_id_gets_a_clear_reply(say, people):
    assert "There is no alert 999." in say(people["jordan"].phone, "ACK 999")
    assert "There is no alert 998." in say(people["jordan"].phone, "DONE 998 fine")


def test_other_counselors_alert_is_refused(say, db_session, people):
    say(people["bea"].phone, "I used again")
    alert = alert_about(db_session, people["bea"])
    reply = say(people["jordan"].phone, f"ACK {alert.id}")
    assert "isn't one of yours" in reply
    assert alert_about(db_session, people["bea"]).state == "open"


@pytest.mark.parametrize("who", ["on_call", "boss"])
def test_on_call_and_supervisor_may_ack_any_alert(say, db_session, people, who):
    say(people["bea"].phone, "I used again")
    alert = alert_about(db_session, people["bea"])
    assert "acknowledged" in say(people[who].phone, f"ack {alert.id}")
    assert alert_about(db_session, people["bea"]).acknowledged_by == people[who].id


def test_second_ack_says_who_has_it(say, db_session, people):
    say(people["alex"].phone, "I want to kill myself")
    alert = alert_about(db_session, people["alex"])
    say(people["on_call"].phone, f"ACK {alert.id}")
    reply = say(people["jordan"].phone, f"ACK {alert.id}")
    assert f"Alert {alert.id} was already acknowledged by Sam Ortiz." in reply


def test_done_twice_says_already_resolved(say, db_session, people):
    say(people["alex"].phone, "I used")
    alert = alert_about(db_session, people["alex"])
    say(people["jordan"].phone, f"DONE {alert.id}")
    assert "already resolved" in say(people["jordan"].phone, f"DONE {alert.id}")


def test_alerts_lists_open_ones_short(say, db_session, people):
    assert "No open alerts." in say(people["jordan"].phone, "alerts")
    say(people["alex"].phone, "I used last night")
    say(people["bea"].phone, "I want to quit the program")
    mine = say(people["jordan"].phone, "ALERTS")
    a = alert_about(db_session, people["alex"])
    b = alert_about(db_session, people["bea"])
    assert f"{a.id} URGENT Alex R." in mine and "Bea" not in mine
    everyone = say(people["on_call"].phone, "Alerts")
    assert f"{a.id} URGENT Alex R." in everyone and f"{b.id} CONCERN Bea S." in everyone
    say(people["jordan"].phone, f"ack {a.id}")
    assert "(acked)" in say(people["jordan"].phone, "ALERTS")
    say(people["jordan"].phone, f"done {a.id}")
    assert "No open alerts." in say(people["jordan"].phone, "ALERTS")


def test_counselor_crisis_words_are_not_triaged(say, db_session, people):
    reply = say(people["jordan"].phone, "I want to kill myself, this paperwork")
    assert "Commands: ACK" in reply
    assert db_session.scalars(select(Alert)).all() == []


def test_unrelated_counselor_text_gets_the_command_list(say, people):
    assert "Commands: ACK" in say(people["jordan"].phone, "acknowledged, thanks")
