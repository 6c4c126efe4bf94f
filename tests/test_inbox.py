"""The inbox: a participant's text only a person can answer waits until staff mark it reviewed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import AuditEvent, InboxReview, MessageLog, OutboxMessage
from bot.queries.inbox import waiting, waiting_counts, waiting_item
from bot.services.inbox import InboxError, mark_reviewed
from schedules import inbox_digest
from schedules.sweep import registered_sweeps, run_sweeps
from tests.console.conftest import make_staff
from tests.factories import make_counselor, make_participant


@pytest.fixture
def people(db_session):
    jordan = make_counselor(db_session, name="Jordan Lee")
    sam = make_counselor(db_session, name="Sam Ortiz")
    alex = make_participant(db_session, counselor=jordan, name="Alex Rivera")
    maria = make_participant(db_session, counselor=jordan, name="María Gómez", language="es")
    bea = make_participant(db_session, counselor=sam, name="Bea Stone")
    return {"jordan": jordan, "sam": sam, "alex": alex, "maria": maria, "bea": bea}


def say(text_in, phone: str, text: str) -> str:
    return text_in(phone, text).get_data(as_text=True)


def test_a_routine_text_waits_in_the_counselors_inbox_and_the_reply_says_so(
        text_in, db_session, people):
    reply = say(text_in, people["alex"].phone, "can we move my appointment to friday?")
    assert "your counselor will read it" in reply
    assert "automatic reply" in reply  # never pretends a person is reading live
    items = waiting(db_session, counselor_id=people["jordan"].id)
    assert [(i.participant_name, i.body) for i in items] == [
        ("Alex Rivera", "can we move my appointment to friday?")]
    assert waiting(db_session, counselor_id=people["sam"].id) == []


def test_the_spanish_reply_is_honest_too(text_in, people):
    reply = say(text_in, people["maria"].phone, "¿puedo cambiar mi cita?")
    assert "tu consejero lo leerá" in reply


@pytest.mark.parametrize("text", ["HELP", "PAUSE", "I used last night", "I want to kill myself"])
def test_texts_the_bot_handled_or_alerted_on_stay_out_of_the_inbox(text_in, db_session, people,
                                                                     text):
    say(text_in, people["alex"].phone, text)
    assert db_session.scalar(select(MessageLog.intent).where(MessageLog.direction == "in"))
    assert waiting(db_session) == []


def test_an_opted_out_participants_text_still_reaches_a_person(text_in, db_session, people):
    say(text_in, people["bea"].phone, "STOP")
    reply = say(text_in, people["bea"].phone, "sorry, wrong button earlier")
    assert "counselor" not in reply  # nothing is texted to someone who said stop
    assert [i.body for i in waiting(db_session)] == ["sorry, wrong button earlier"]


def test_supervisor_view_sees_every_caseload_oldest_first_with_keyset_pages(
        text_in, clock, db_session, people):
    for who, text in (("alex", "first"), ("bea", "second"), ("maria", "third")):
        say(text_in, people[who].phone, f"question {text} about my schedule")
        clock.advance(minutes=1)
    everyone = waiting(db_session)
    assert [i.participant_name for i in everyone] == ["Alex Rivera", "Bea Stone", "María Gómez"]
    first = waiting(db_session, limit=2)
    rest = waiting(db_session, after=(first[-1].received_at, first[-1].message_id), limit=2)
    assert [i.message_id for i in first + rest] == [i.message_id for i in everyone]
    assert waiting_counts(db_session) == {people["jordan"].id: 2, people["sam"].id: 1}


def test_marking_reviewed_records_who_and_when_and_is_audited(text_in, clock, runtime,
                                                              db_session, people):
    staff = make_staff(db_session, counselor=people["jordan"])
    say(text_in, people["alex"].phone, "is group still on tonight?")
    item = waiting(db_session)[0]
    with runtime.Session() as session, session.begin():
        assert mark_reviewed(session, [item.message_id], actor="staff:7", staff_id=staff.id,
                             now=clock()) == 1
    review = db_session.get(InboxReview, item.message_id)
    assert (review.reviewed_by, review.staff_id, review.reviewed_at) == (
        "staff:7", staff.id, clock())
    assert waiting(db_session) == [] and waiting_item(db_session, item.message_id) is None
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "inbox.reviewed")
                               ).one()
    assert (event.actor, event.subject_id) == ("staff:7", item.message_id)
    assert (event.participant_id, event.staff_id) == (people["alex"].id, staff.id)
    assert event.detail == {}  # never the text itself


def test_a_second_reviewer_does_not_overwrite_the_first(text_in, clock, runtime, db_session,
                                                        people):
    say(text_in, people["alex"].phone, "is group still on tonight?")
    message_id = waiting(db_session)[0].message_id
    for actor in ("staff:1", "staff:2"):
        with runtime.Session() as session, session.begin():
            mark_reviewed(session, [message_id], actor=actor, now=clock())
        clock.advance(minutes=1)
    assert db_session.get(InboxReview, message_id).reviewed_by == "staff:1"
    assert db_session.scalar(select(AuditEvent.actor).where(
        AuditEvent.action == "inbox.reviewed")) == "staff:1"


def test_only_inbox_texts_can_be_marked_reviewed(text_in, clock, runtime, db_session, people):
    say(text_in, people["alex"].phone, "HELP")
    help_id = db_session.scalar(select(MessageLog.id).where(MessageLog.direction == "in"))
    with pytest.raises(InboxError, match=str(help_id)):
        with runtime.Session() as session, session.begin():
            mark_reviewed(session, [help_id], actor="staff:1", now=clock())
    assert db_session.scalars(select(InboxReview)).all() == []


# --- the daily digest -------------------------------------------------------------------

def digests(db_session) -> list[OutboxMessage]:
    return db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "staff.inbox_digest").order_by(OutboxMessage.id)).all()


def test_the_digest_sweep_is_registered():
    assert ("inbox", inbox_digest.sweep) in registered_sweeps()


def test_one_lock_screen_safe_digest_a_day_to_each_counselor_with_waiting_texts(
        text_in, clock, runtime, db_session, people):
    say(text_in, people["alex"].phone, "is the schedule the same next week")
    say(text_in, people["maria"].phone, "tengo una pregunta sobre el horario")
    counts = run_sweeps(runtime, clock())  # 10:00 in New York: texting hours
    assert counts.get("inbox.digests") == 1
    (digest,) = digests(db_session)
    assert digest.to_phone == people["jordan"].phone and digest.party == "counselor"
    assert digest.body == ("Riverside Health: 2 new messages are waiting for you in the staff "
                           "console.")
    assert "Alex" not in digest.body and "María" not in digest.body
    say(text_in, people["alex"].phone, "and another question")
    clock.advance(hours=2)
    assert "inbox.digests" not in run_sweeps(runtime, clock())  # at most one a day
    assert len(digests(db_session)) == 1
    clock.advance(days=1)
    run_sweeps(runtime, clock())
    assert [d.body.split(": ")[1][:1] for d in digests(db_session)] == ["2", "3"]


def test_no_digest_outside_texting_hours_or_for_an_empty_inbox(text_in, clock, runtime,
                                                               db_session, people):
    run_sweeps(runtime, clock())
    assert digests(db_session) == []  # nothing waiting
    clock.set(clock().replace(hour=3))  # 22:00 the evening before in New York
    say(text_in, people["bea"].phone, "quick question about friday")
    run_sweeps(runtime, clock())
    assert digests(db_session) == []
    clock.advance(hours=11)  # 09:00 in New York
    run_sweeps(runtime, clock())
    (digest,) = digests(db_session)
    assert digest.to_phone == people["sam"].phone and "1 new message is" in digest.body
    assert digest.expires_at > clock() + timedelta(hours=10)


def test_no_digest_for_an_inactive_counselor(text_in, clock, runtime, db_session, people):
    people["sam"].active = False
    db_session.flush()
    say(text_in, people["bea"].phone, "quick question about friday")
    run_sweeps(runtime, clock())
    assert digests(db_session) == []


# --- iopbot inbox -----------------------------------------------------------------------

def test_cli_lists_waiting_texts_by_counselor(text_in, runner, people):
    say(text_in, people["alex"].phone, "is the schedule the same next week")
    say(text_in, people["bea"].phone, "quick question\nabout friday")
    everyone = runner.invoke(args=["inbox"])
    assert everyone.exit_code == 0, everyone.output
    lines = everyone.output.splitlines()
    assert len(lines) == 2 and "Alex Rivera\tJordan Lee\tis the schedule" in lines[0]
    assert lines[1].endswith("Bea Stone\tSam Ortiz\tquick question about friday")
    mine = runner.invoke(args=["inbox", "--counselor", people["sam"].phone])
    assert mine.output.count("\n") == 1 and "Bea Stone" in mine.output


def test_cli_inbox_errors_are_one_line(runner, people):
    result = runner.invoke(args=["inbox", "--counselor", "+14155559999"])
    assert result.exit_code != 0 and "no counselor with phone +14155559999" in result.output
    result = runner.invoke(args=["inbox", "--counselor", "not a phone"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert runner.invoke(args=["inbox"]).output == "inbox empty\n"
