"""The screening question end to end: asked when triage is unsure, YES/NO/silence acted on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.models import Alert
from bot.models.screening import ScreeningQuestion
from schedules.sweep import registered_sweeps, run_pass
from tests.factories import make_care_team, make_participant

UNSURE = "my papers are all in order now"  # a weak farewell signal: screen, not page
QUESTION = "Are you thinking about killing yourself or hurting yourself right now?"


@pytest.fixture
def people(db_session):
    return make_care_team(db_session)


def body(response) -> str:
    return response.get_data(as_text=True)


def _question(db_session) -> ScreeningQuestion:
    return db_session.scalars(select(ScreeningQuestion)).one()


def test_unsure_text_gets_resources_and_the_question_and_nobody_is_paged_yet(
    text_in, db_session, twilio, people
):
    reply = body(text_in(people["alex"].phone, UNSURE))
    for needed in ("automated message, not a person", "911", "988", QUESTION, "YES or NO"):
        assert needed in reply, needed
    row = _question(db_session)
    assert (row.outcome, row.participant_id) == ("pending", people["alex"].id)
    assert QUESTION in row.question and row.reasons
    assert db_session.scalars(select(Alert)).all() == []
    assert twilio.messages == []  # the reply is TwiML; no page yet


def test_yes_pages_at_once_and_staff_see_question_and_answer(text_in, db_session, twilio, people):
    alex = people["alex"]
    text_in(alex.phone, UNSURE)
    reply = body(text_in(alex.phone, "yes"))
    assert "988" in reply and "counselor" in reply
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.kind) == ("crisis", "crisis")
    assert alert.reasons[0] == "screening question answered YES"
    assert any(QUESTION in r for r in alert.reasons)
    assert "answer: yes" in alert.reasons
    assert {m["to"] for m in twilio.messages} == {people["assigned"].phone,
                                                  people["on_call"].phone}
    row = _question(db_session)
    assert (row.outcome, row.answer, row.alert_id) == ("yes", "yes", None)


def test_crisis_wording_in_the_answer_is_a_crisis(text_in, db_session, twilio, people):
    alex = people["alex"]
    text_in(alex.phone, UNSURE)
    text_in(alex.phone, "honestly I just want to die")
    alert = db_session.scalars(select(Alert)).one()
    assert alert.level == "crisis"
    assert alert.reasons[0] == "crisis wording in the answer to the screening question"
    assert _question(db_session).outcome == "crisis"
    assert len(twilio.messages) == 2


def test_no_records_the_answer_and_leaves_a_concern_alert(text_in, db_session, twilio, people):
    alex = people["alex"]
    text_in(alex.phone, UNSURE)
    reply = body(text_in(alex.phone, "No"))
    assert "Thank you for answering" in reply and "988" in reply
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.kind) == ("concern", "screening")
    assert alert.reasons[:3] == [
        "screening question answered NO", f"asked: {_question(db_session).question}", "answer: No"
    ]
    row = _question(db_session)
    assert (row.outcome, row.answer, row.alert_id) == ("no", "No", alert.id)
    assert twilio.messages == []  # concern: no page


def test_silence_for_30_minutes_raises_an_urgent_alert_once(
    text_in, db_session, clock, runtime, people
):
    text_in(people["alex"].phone, UNSURE)
    clock.advance(minutes=29)
    run_pass(runtime)
    assert db_session.scalars(select(Alert)).all() == []
    clock.advance(minutes=2)
    run_pass(runtime)
    run_pass(runtime)  # a second pass raises nothing more
    alert = db_session.scalars(select(Alert)).one()
    assert (alert.level, alert.kind) == ("urgent", "screening")
    assert alert.reasons[0] == "no answer to the safety question in 30 minutes"
    assert alert.summary == "no answer to the safety question"  # what a staff SMS carries
    assert "answer: (no answer)" in alert.reasons
    row = _question(db_session)
    assert (row.outcome, row.alert_id) == ("no_answer", alert.id)


def test_a_late_yes_after_the_window_is_still_a_crisis(text_in, db_session, clock, runtime,
                                                      people):
    alex = people["alex"]
    text_in(alex.phone, UNSURE)
    clock.advance(minutes=31)
    run_pass(runtime)
    text_in(alex.phone, "I want to kill myself")
    levels = sorted(a.level for a in db_session.scalars(select(Alert)))
    assert levels == ["crisis", "urgent"]


def test_an_unclear_answer_leaves_the_question_open(text_in, db_session, people):
    alex = people["alex"]
    text_in(alex.phone, UNSURE)
    text_in(alex.phone, "what time is group thursday?")
    assert _question(db_session).outcome == "pending"


def test_spanish_participant_is_asked_in_spanish(text_in, db_session, people):
    maria = make_participant(db_session, counselor=people["assigned"], name="María Gómez",
                             language="es")
    reply = body(text_in(maria.phone, "ya no me importa lo que me pase"))
    assert "mensaje automático, no una persona" in reply
    assert "¿Estás pensando en quitarte la vida o en hacerte daño ahora mismo?" in reply
    text_in(maria.phone, "sí")
    assert db_session.scalars(select(Alert)).one().level == "crisis"


def test_a_clear_crisis_is_paged_not_screened(text_in, db_session, people):
    text_in(people["alex"].phone, "I want to kill myself")
    assert db_session.scalars(select(ScreeningQuestion)).all() == []
    assert db_session.scalars(select(Alert)).one().level == "crisis"


def test_the_sweep_is_registered():
    assert "screening" in [name for name, _ in registered_sweeps()]


def test_a_second_unsure_text_does_not_ask_twice(text_in, db_session, people):
    alex = people["alex"]
    text_in(alex.phone, UNSURE)
    reply = body(text_in(alex.phone, "I'm tired of all of it"))
    assert QUESTION not in reply
    assert len(db_session.scalars(select(ScreeningQuestion)).all()) == 1
    assert db_session.scalars(select(Alert)).one().level == "concern"  # the usual concern path
