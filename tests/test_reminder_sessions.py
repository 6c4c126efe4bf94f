from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import Alert, OutboxMessage
from bot.models.schedule import Fire, ReminderConfirmation, TherapySession
from schedules.sweep import run_pass
from tests.factories import make_counselor, make_group, make_participant


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def texts_to(twilio, phone):
    return [m["body"] for m in twilio.messages if m["to"] == phone]


def add_session(runner, *args) -> int:
    result = runner.invoke(args=["session", "add", *args])
    assert result.exit_code == 0, result.output
    return int(result.output.strip().splitlines()[-1])


@pytest.fixture
def evening(db_session):
    """Thursday-evening group in New York with one member in Chicago (inside texting hours)."""
    group = make_group(db_session, name="Evening", weekly="mon,wed,thu 18:00-21:00",
                       location="Room 2")
    person = make_participant(db_session, group_id=group.id, checkin_time="09:30",
                              timezone="America/New_York")
    return group, person


def test_weekly_group_gets_24h_and_2h_reminders_in_local_time(runtime, clock, db_session,
                                                              twilio, evening):
    group, person = evening
    # Wed 25 Nov 2026 18:00 EST = 23:00 UTC: 24 h before Thu 26 Nov 18:00.
    for moment in (at(2026, 11, 25, 22, 55), at(2026, 11, 25, 23, 0), at(2026, 11, 26, 21, 0)):
        run_pass(runtime, clock.set(moment), paced=False)
    reminders = [t for t in texts_to(twilio, person.phone) if "Thu" in t]
    assert reminders == [
        "Reminder: group Thu Nov 26 6:00 PM at Room 2. Reply C to confirm, N if you can't make it."
    ] * 2
    thursday = db_session.scalar(select(TherapySession.id).where(
        TherapySession.starts_at == at(2026, 11, 26, 23, 0)))
    fires = db_session.scalars(select(Fire).where(Fire.session_id == thursday)
                               .order_by(Fire.due_at)).all()
    assert [(f.offset_minutes, f.due_at, f.state) for f in fires] == [
        (1440, at(2026, 11, 25, 23, 0), "done"), (120, at(2026, 11, 26, 21, 0), "done")]


def test_spanish_reminder_and_confirmations_in_both_languages(runtime, clock, db_session,
                                                             twilio, text_in, evening):
    group, _ = evening
    counselor = make_counselor(db_session)
    people = {}
    for answer, language in (("C", "en"), ("N", "en"), ("I'll be there", "en"),
                             ("can't make it tonight", "en"), ("sí", "es"),
                             ("no puedo", "es")):
        people[answer] = make_participant(db_session, group_id=group.id, language=language,
                                          counselor=counselor)
    run_pass(runtime, clock.set(at(2026, 11, 26, 21, 0)), paced=False)
    spanish = texts_to(twilio, people["sí"].phone)
    assert spanish == ["Recordatorio: grupo el jue 26 nov 18:00 en Room 2. Responde C para "
                       "confirmar, N si no puedes ir."]
    replies = {a: text_in(p.phone, a).get_data(as_text=True) for a, p in people.items()}
    answers = {r.participant_id: r.answer for r in db_session.scalars(
        select(ReminderConfirmation))}
    expected = {"C": "coming", "N": "cant_make_it", "I'll be there": "coming",
                "can't make it tonight": "cant_make_it", "sí": "coming",
                "no puedo": "cant_make_it"}
    assert {a: answers[people[a].id] for a in people} == expected
    assert "see you then" in replies["C"] and "Gracias, nos vemos" in replies["sí"]
    assert "letting us know" in replies["N"] and "Gracias por avisarnos" in replies["no puedo"]
    notes = db_session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "note.cant_make_it")).all()
    assert len(notes) == 3 and {n.to_phone for n in notes} == {counselor.phone}
    assert "can't make it to group" in notes[0].body


def test_several_due_at_once_only_latest_goes_out(runtime, clock, db_session, twilio, evening):
    _, person = evening
    run_pass(runtime, clock.set(at(2026, 11, 25, 12, 0)), paced=False)  # planned up to here
    # Down until 45 minutes before the meeting: both the 24 h and 2 h reminders are overdue.
    run_pass(runtime, clock.set(at(2026, 11, 26, 22, 15)), paced=False)
    assert len([t for t in texts_to(twilio, person.phone) if t.startswith("Reminder")]) == 1
    states = {f.offset_minutes: (f.state, f.reason) for f in db_session.scalars(
        select(Fire).where(Fire.kind == "reminder"))}
    assert states[120] == ("done", None)
    assert states[1440] == ("dropped", "superseded by a later reminder")


def test_catch_up_after_six_hour_outage(runtime, clock, db_session, twilio, evening):
    _, member = evening
    evening_person = make_participant(db_session, checkin_time="17:00")  # 22:00 UTC
    morning_person = make_participant(db_session, checkin_time="10:00", timezone="Asia/Tokyo")
    run_pass(runtime, clock.set(at(2026, 11, 26, 17, 0)), paced=False)
    twilio.clear()
    # Outage 17:00 -> 23:00 UTC. Missed meanwhile: the 2 h reminder (21:00, session 23:00 has
    # started: pointless), the 17:00 NY check-in (still today, in hours: goes), and Tokyo's
    # 10:00 check-in at 01:00 UTC is not yet due.
    report = run_pass(runtime, clock.set(at(2026, 11, 26, 23, 0)), paced=False)
    assert len(texts_to(twilio, evening_person.phone)) == 1
    assert texts_to(twilio, member.phone) == []
    assert texts_to(twilio, morning_person.phone) == []
    reminder = db_session.scalars(select(Fire).where(Fire.kind == "reminder",
                                                     Fire.offset_minutes == 120)).one()
    assert reminder.state == "dropped" and "pointless" in reminder.reason
    assert report.counts["schedule.dropped"] >= 1


def test_outside_quiet_hours_waits_or_drops(runtime, clock, db_session, twilio):
    early = make_group(db_session, name="Early", weekly="sat 09:30-11:00")
    dawn = make_group(db_session, name="Dawn", weekly="sat 09:00-10:00")
    a = make_participant(db_session, group_id=early.id, checkin_time="12:00")
    b = make_participant(db_session, group_id=dawn.id, checkin_time="12:00")
    for moment in (at(2026, 11, 27, 12, 0), at(2026, 11, 27, 14, 0), at(2026, 11, 27, 14, 30)):
        run_pass(runtime, clock.set(moment), paced=False)  # the 24 h reminders, Fri in hours
    assert len(texts_to(twilio, a.phone)) == len(texts_to(twilio, b.phone)) == 1
    # The 2 h reminders fall at 07:30 and 07:00 local on Saturday: outside texting hours.
    run_pass(runtime, clock.set(at(2026, 11, 28, 12, 30)), paced=False)
    fires = {f.participant_id: f for f in db_session.scalars(
        select(Fire).where(Fire.kind == "reminder", Fire.offset_minutes == 120))}
    assert fires[a.id].state == "deferred" and fires[a.id].due_at == at(2026, 11, 28, 14, 0)
    assert fires[a.id].deferred_from == at(2026, 11, 28, 12, 30)
    assert fires[b.id].state == "dropped"  # the window opens just as the session starts
    assert "pointless" in fires[b.id].reason
    run_pass(runtime, clock.set(at(2026, 11, 28, 13, 59)), paced=False)
    assert len(texts_to(twilio, a.phone)) == 1
    run_pass(runtime, clock.set(at(2026, 11, 28, 14, 0)), paced=False)  # 09:00 local
    assert len(texts_to(twilio, a.phone)) == 2 and "9:30 AM" in texts_to(twilio, a.phone)[1]
    assert len(texts_to(twilio, b.phone)) == 1


def test_checkin_outside_hours_is_dropped_when_day_over(runtime, clock, db_session, twilio):
    person = make_participant(db_session, checkin_time="19:55")
    run_pass(runtime, clock.set(at(2026, 11, 26, 23, 0)), paced=False)  # 18:00 local
    run_pass(runtime, clock.set(at(2026, 11, 27, 1, 30)), paced=False)  # 20:30 local: late
    fire = db_session.scalars(select(Fire).where(Fire.kind == "checkin")).one()
    assert fire.state == "dropped" and "pointless" in fire.reason
    assert texts_to(twilio, person.phone) == []


def test_cancel_withdraws_reminders_and_tells_participants(runtime, clock, db_session, twilio,
                                                          runner, evening):
    group, person = evening
    clock.set(at(2026, 11, 30, 15, 0))  # Monday 10:00 local
    session_id = add_session(runner, "--group", "Evening", "--start", "2026-12-05T12:00",
                             "--end", "2026-12-05T13:30")
    run_pass(runtime, clock.set(at(2026, 12, 4, 17, 0)), paced=False)  # 24 h reminder goes
    assert len([t for t in texts_to(twilio, person.phone) if "Sat Dec 5" in t]) == 1
    # A 2 h reminder planned and queued but not yet sent is withdrawn too.
    with runtime.Session() as s, s.begin():
        from schedules.planner import sweep
        sweep(s, runtime, at(2026, 12, 5, 15, 0))
    assert db_session.scalar(select(OutboxMessage.state).where(
        OutboxMessage.dedupe_key.like(f"reminder:{session_id}:%:120"))) == "pending"
    clock.set(at(2026, 12, 5, 15, 1))
    result = runner.invoke(args=["session", "cancel", str(session_id)])
    assert result.exit_code == 0 and "1 participant" in result.output
    assert db_session.scalar(select(OutboxMessage.state).where(
        OutboxMessage.dedupe_key.like(f"reminder:{session_id}:%:120"))) == "cancelled"
    run_pass(runtime, clock.set(at(2026, 12, 5, 15, 2)), paced=False)
    texts = [t for t in texts_to(twilio, person.phone) if "check-in" not in t]
    assert len(texts) == 2 and "is cancelled" in texts[1]
    assert db_session.scalar(select(TherapySession.status).where(
        TherapySession.id == session_id)) == "cancelled"


def test_cancelled_weekly_meeting_gets_no_reminder(runtime, clock, db_session, twilio, runner,
                                                  evening):
    _, person = evening
    run_pass(runtime, clock.set(at(2026, 11, 25, 12, 0)), paced=False)
    meeting = db_session.scalars(select(TherapySession).where(
        TherapySession.starts_at == at(2026, 11, 26, 23, 0))).one()
    assert runner.invoke(args=["session", "cancel", str(meeting.id)]).exit_code == 0
    for moment in (at(2026, 11, 25, 23, 0), at(2026, 11, 26, 21, 0)):
        run_pass(runtime, clock.set(moment), paced=False)
    assert not [t for t in texts_to(twilio, person.phone) if t.startswith("Reminder")]
    assert db_session.scalar(select(TherapySession.status).where(
        TherapySession.id == meeting.id)) == "cancelled"


def test_move_sends_reminders_for_new_time_only(runtime, clock, db_session, twilio, runner,
                                                evening):
    _, person = evening
    session_id = add_session(runner, "--participant", person.phone, "--start",
                             "2026-11-27T15:00", "--end", "2026-11-27T16:00")
    result = runner.invoke(args=["session", "move", str(session_id), "--start",
                                 "2026-11-27T17:00", "--end", "2026-11-27T18:00"])
    assert result.exit_code == 0, result.output
    for hour in (20, 22):  # old 2 h reminder time (13:00 local), new one (15:00 local)
        run_pass(runtime, clock.set(at(2026, 11, 27, hour, 0) - timedelta(hours=2)), paced=False)
    texts = texts_to(twilio, person.phone)
    assert any("has moved to Fri Nov 27 5:00 PM" in t for t in texts)
    reminders = [t for t in texts if t.startswith("Reminder")]
    assert reminders and all("5:00 PM" in t for t in reminders)


def test_attendance_absence_alerts_unless_warned(runtime, clock, db_session, runner, text_in,
                                                 evening):
    group, warned = evening
    silent = make_participant(db_session, group_id=group.id)
    run_pass(runtime, clock.set(at(2026, 11, 26, 21, 0)), paced=False)
    text_in(warned.phone, "can't make it tonight")
    clock.set(at(2026, 11, 27, 2, 30))
    thursday = db_session.scalar(select(TherapySession.id).where(
        TherapySession.starts_at == at(2026, 11, 26, 23, 0)))
    for person in (warned, silent):
        result = runner.invoke(args=["attendance", "mark", "--session", str(thursday),
                                     "--participant",
                                     person.phone, "--absent"])
        assert result.exit_code == 0, result.output
    alerts = db_session.scalars(select(Alert)).all()
    assert [(a.participant_id, a.kind, a.level) for a in alerts] == [
        (silent.id, "absence", "concern")]
