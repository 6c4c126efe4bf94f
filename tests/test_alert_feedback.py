"""Every answer gets a useful, never-shaming reply; urgent and concerning texts raise alerts."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Alert, Participant
from bot.models.schedule import CheckIn
from bot.triage import triage
from handlers.dispatch import record_inbound
from handlers.triage_actions import act_on, coping_tip, recent_cravings
from handlers.turn import InboundMessage, Party, Turn
from tests.factories import make_counselor, make_participant

SHAMING = ("relapse", "disappoint", "should have", "failed", "failure", "again?", "recaída")
LOCK_SCREEN_UNSAFE = ("addiction", "iop", "recovery", "relapse", "craving", "treatment",
                      "adicción", "recuperación", "recaída", "tratamiento", "antojo")


@pytest.fixture
def people(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    make_counselor(db_session, name="Sam Ortiz", on_call=True)
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    maria = make_participant(db_session, counselor=jordan, name="María Gómez", language="es")
    return {"jordan": jordan, "alex": alex, "maria": maria}


@pytest.fixture
def say(text_in):
    def send(phone: str, text: str) -> str:
        return text_in(phone, text).get_data(as_text=True)  # text_in closes the response

    return send


@pytest.fixture
def turn_for(runtime, clock):
    """Build a Turn as dispatch would, for calling act_on like the check-in handler does."""
    sessions = []

    def build(participant_id: int, body: str, sid: str) -> Turn:
        session = runtime.Session()
        session.begin()
        sessions.append(session)
        participant = session.get(Participant, participant_id)
        message = InboundMessage(sid=sid, phone=participant.phone, channel="sms", body=body,
                                 received_at=clock())
        return Turn(session=session, runtime=runtime, message=message,
                    party=Party("participant", participant=participant),
                    entry=record_inbound(session, message), now=clock())

    yield build
    for session in sessions:
        session.close()


def alerts(db_session) -> list[Alert]:
    return db_session.scalars(select(Alert).order_by(Alert.id)).all()


def test_reported_use_gets_kind_reply_and_urgent_alert(say, db_session, people):
    reply = say(people["alex"].phone, "I used last night, not proud of it")
    assert "Thanks for being honest" in reply
    assert not any(word in reply.lower() for word in SHAMING)
    (alert,) = alerts(db_session)
    assert (alert.level, alert.kind, alert.reasons) == ("urgent", "free_text", ["reported use"])
    assert alert.summary == "reported use"


def test_spanish_use_reply_is_spanish(say, db_session, people):
    reply = say(people["maria"].phone, "consumí anoche")
    assert "Gracias por tu honestidad" in reply
    assert alerts(db_session)[0].level == "urgent"


def test_distress_gets_concern_alert_and_safety_line(say, db_session, people):
    reply = say(people["alex"].phone, "feeling really down today")
    assert "let your counselor know" in reply and "988" in reply
    assert alerts(db_session)[0].level == "concern"


def test_wanting_to_quit_is_acknowledged(say, db_session, people):
    assert "talk it over" in say(people["alex"].phone, "I want to quit the program")


def test_routine_text_goes_to_the_fallback_without_alert(say, db_session, people):
    reply = say(people["alex"].phone, "running 5 min late to group")
    assert "got your message" in reply
    assert alerts(db_session) == []


def test_second_urgent_text_joins_the_open_alert(say, db_session, people):
    say(people["alex"].phone, "I used last night")
    say(people["alex"].phone, "had a drink at the party too")
    assert len(alerts(db_session)) == 1


@pytest.mark.parametrize(
    ("answer", "level", "key_text"),
    [
        ("8", "concern", "sounds hard"),
        ("10", "urgent", "sounds hard"),
        ("2", "none", "Glad today feels steady"),
        ("5", "none", "Thanks for checking in."),
    ],
)
def test_act_on_craving_answer(turn_for, db_session, people, answer, level, key_text):
    turn = turn_for(people["alex"].id, answer, "SM" + answer.zfill(32))
    result = triage(answer, expect="craving")
    assert result.level == level
    act_on(turn, result, context="checkin.craving")
    turn.session.commit()
    assert len(turn.replies) == 1 and key_text in turn.replies[0]
    found = alerts(db_session)
    if level == "none":
        assert found == []
    else:
        assert [(a.level, a.kind) for a in found] == [(level, "checkin.craving")]
        assert coping_tip(turn) in turn.replies[0]
        assert "let your counselor know" in turn.replies[0]


def test_act_on_denied_use(turn_for, db_session, people):
    turn = turn_for(people["alex"].id, "no", "SM" + "b" * 32)
    act_on(turn, triage("no", expect="use"), context="checkin.use")
    assert turn.replies == ["Thanks for checking in. Nice work today."]


def test_act_on_same_message_twice_alerts_once(turn_for, db_session, people):
    turn = turn_for(people["alex"].id, "9", "SM" + "c" * 32)
    act_on(turn, triage("9", expect="craving"), context="checkin.craving")
    act_on(turn, triage("9", expect="craving"), context="checkin.craving")
    turn.session.commit()
    assert len(alerts(db_session)) == 1


def test_act_on_crisis_from_a_checkin_answer_pages_now(turn_for, db_session, people):
    turn = turn_for(people["alex"].id, "10 and I want to die", "SM" + "d" * 32)
    act_on(turn, triage(turn.message.body, expect="craving"), context="checkin.craving")
    assert turn.intent == "crisis" and "988" in turn.replies[0]
    assert len(turn.page_ids) == 2


def test_coping_tips_vary_and_come_from_the_list(turn_for, runtime, people):
    turn = turn_for(people["alex"].id, "8", "SM" + "f" * 32)
    tips = set()
    for i in range(40):
        turn.message = dataclasses.replace(turn.message, sid=f"SM{i:032d}")
        tips.add(coping_tip(turn))
    listed = {text for key, text in runtime.program.messages["en"].items()
              if key.startswith("coping.tip.")}
    assert tips == listed and len(listed) >= 3


def test_rise_rule_uses_recent_cravings(turn_for, db_session, people, clock):
    alex = people["alex"]
    for days_ago, craving in ((3, 1), (2, 2), (1, 1), (9, 8)):  # the 9-day-old 8 is too old
        asked = clock() - timedelta(days=days_ago)
        db_session.add(CheckIn(participant_id=alex.id, local_date=asked.date(), asked_at=asked,
                               prompted_at=asked, closes_at=asked + timedelta(hours=6),
                               step="done", craving=craving))
    db_session.flush()
    turn = turn_for(alex.id, "5", "SM" + "e" * 32)
    history = recent_cravings(turn)
    assert history == [1, 2, 1]
    assert triage("5", expect="craving", recent_cravings=history).level == "concern"
    assert triage("5", expect="craving", recent_cravings=[4, 4]).level == "none"


def test_participant_wording_is_lock_screen_safe(runtime):
    for lang in ("en", "es"):
        for key, text in runtime.program.messages[lang].items():
            if key.startswith(("feedback.", "coping.")):
                assert not any(word in text.lower().split() or word in text.lower()
                               for word in LOCK_SCREEN_UNSAFE), (lang, key)
