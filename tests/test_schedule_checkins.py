from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.models import Alert, OutboxMessage
from bot.models.schedule import CheckIn, Fire
from schedules.sweep import run_pass
from tests.factories import make_participant


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def texts_to(twilio, phone):
    return [m["body"] for m in twilio.messages if m["to"] == phone]


def test_checkin_is_asked_at_local_time_and_conversation_runs(
        runtime, clock, db_session, twilio, text_in):
    person = make_participant(db_session, timezone="America/Chicago", checkin_time="17:00")
    run_pass(runtime, clock.set(at(2026, 11, 26, 22, 50)), paced=False)
    assert texts_to(twilio, person.phone) == []
    run_pass(runtime, clock.set(at(2026, 11, 26, 23, 0)), paced=False)  # 17:00 in Chicago
    [question] = texts_to(twilio, person.phone)
    assert "0-10" in question and "craving" not in question.lower()
    reply = text_in(person.phone, "6").get_data(as_text=True)
    assert "use since yesterday" in reply
    reply = text_in(person.phone, "nope").get_data(as_text=True)
    assert "mood" in reply
    reply = text_in(person.phone, "4").get_data(as_text=True)
    assert "Thanks for checking in" in reply
    row = db_session.scalars(select(CheckIn)).one()
    assert (row.craving, row.used, row.mood, row.step) == (6, False, 4, "done")
    assert row.local_date.isoformat() == "2026-11-26"


def test_unclear_answer_is_reasked_once_then_passed_on(runtime, clock, db_session, twilio,
                                                      text_in):
    person = make_participant(db_session, checkin_time="17:00")
    run_pass(runtime, clock.set(at(2026, 11, 26, 22, 0)), paced=False)
    reply = text_in(person.phone, "hmm dunno").get_data(as_text=True)
    assert "for example: 3" in reply
    reply = text_in(person.phone, "hmm dunno").get_data(as_text=True)
    assert "for example" not in reply  # the second time it is treated as a message
    reply = text_in(person.phone, "what time is group tomorrow?").get_data(as_text=True)
    assert "0 to 10" not in reply and "use since" not in reply
    assert db_session.scalars(select(CheckIn)).one().step == "craving"  # still open
    reply = text_in(person.phone, "2").get_data(as_text=True)
    assert "use since yesterday" in reply


def test_followup_once_when_no_reply_and_not_after_an_answer(runtime, clock, db_session, twilio,
                                                            text_in):
    quiet = make_participant(db_session, checkin_time="10:00")
    chatty = make_participant(db_session, checkin_time="10:00")
    run_pass(runtime, clock.set(at(2026, 11, 26, 15, 0)), paced=False)
    text_in(chatty.phone, "3")
    for minutes in (60, 119, 121, 180, 240):
        run_pass(runtime, clock.set(at(2026, 11, 26, 15, 0) + timedelta(minutes=minutes)),
                 paced=False)
    assert len(texts_to(twilio, quiet.phone)) == 2
    assert "nudge" in texts_to(twilio, quiet.phone)[1]
    assert len(texts_to(twilio, chatty.phone)) == 1


def test_three_missed_checkins_raise_one_alert(runtime, clock, db_session, twilio):
    person = make_participant(db_session, checkin_time="10:00")
    day = at(2026, 11, 26, 15, 0)
    for n in range(5):
        for hours in (0, 2.5, 6):
            run_pass(runtime, clock.set(day + timedelta(days=n, hours=hours)), paced=False)
    missed = db_session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.missed))
    assert missed == 4  # the fifth is still open
    alerts = db_session.scalars(select(Alert)).all()
    assert [(a.kind, a.level) for a in alerts] == [("missed_checkins", "concern")]
    first = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.party == "counselor").order_by(OutboxMessage.id)).first()
    assert "missed 3" in first.body  # later texts belong to the escalation ladder
    assert person.id == alerts[0].participant_id


def test_recent_cravings_lists_the_last_week(runtime, clock, db_session, text_in):
    from bot.services.schedule.checkins import recent_cravings

    person = make_participant(db_session, checkin_time="10:00")
    for n, rating in enumerate((2, 5, 7)):
        run_pass(runtime, clock.set(at(2026, 11, 26, 15, 0) + timedelta(days=n)), paced=False)
        text_in(person.phone, str(rating))
    with runtime.Session() as s:
        assert recent_cravings(s, person.id, clock()) == [2, 5, 7]
        assert recent_cravings(s, person.id, clock() + timedelta(minutes=1), days=1) == [7]


def test_pause_by_text_stops_checkins_and_resume_restarts(runtime, clock, db_session, twilio,
                                                         text_in):
    person = make_participant(db_session, checkin_time="10:00")
    reply = text_in(person.phone, "PAUSE 2 days").get_data(as_text=True)
    assert "Paused" in reply and "Sat Nov 28" in reply
    for n in range(3):
        run_pass(runtime, clock.set(at(2026, 11, 26, 15, 5) + timedelta(days=n)), paced=False)
    assert len(texts_to(twilio, person.phone)) == 1  # only on the 28th
    fires = db_session.scalars(select(Fire).where(Fire.kind == "checkin")).all()
    assert [f.local_date.isoformat() for f in fires] == ["2026-11-28"]
    reply = text_in(person.phone, "PAUSA").get_data(as_text=True)
    assert "REANUDAR" not in reply and "RESUME" in reply
    run_pass(runtime, clock.set(at(2026, 11, 29, 15, 5)), paced=False)
    assert len(texts_to(twilio, person.phone)) == 1
    assert "back on" in text_in(person.phone, "resume").get_data(as_text=True)
    run_pass(runtime, clock.set(at(2026, 11, 30, 15, 5)), paced=False)
    assert len(texts_to(twilio, person.phone)) == 2


def test_settled_fires_are_pruned_after_two_weeks(runtime, clock, db_session):
    make_participant(db_session, checkin_time="10:00")
    run_pass(runtime, clock.set(at(2026, 11, 26, 15, 0)), paced=False)
    assert db_session.scalar(select(func.count()).select_from(Fire)) == 2  # check-in, follow-up
    run_pass(runtime, clock.set(at(2026, 12, 11, 14, 0)), paced=False)
    keys = db_session.scalars(select(Fire.key)).all()
    assert not [k for k in keys if k.endswith("2026-11-26")]
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) >= 1  # history stays
